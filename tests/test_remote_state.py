"""Remote state and workspaces, on the emulator (loopback only).

The state backend is bootstrapped in the emulator; then the example
workspaces dev and prod (same account, same region) are applied (each apply
plans first), planned again, locked and destroyed through the real S3
backend. Tests run in file order on one module-scoped set-up; each phase is a
fixture.
"""
import json
import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts import platform_cmd
from scripts.lifecycle import destroy_workspace
from scripts.platform_cmd import (
    PLATFORM_STACK, Progress, Target, Terraform, bootstrap_state, emulator_copies, emulator_scope,
    use_emulator_state_backend)
from scripts.terraform_env import terraform_binary

pytestmark = pytest.mark.applies
WORKSPACES = ("dev", "prod")
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def target(synthesized_dir, emulator, terraform_env, tmp_path_factory) -> Target:
    stacks = emulator_copies(synthesized_dir.parent, tmp_path_factory.mktemp("remote-state"), emulator)
    return Target("emulator", stacks, emulator.env(terraform_env, region=REGION), emulator)


@pytest.fixture(scope="module")
def settings(target):
    """The state backend, bootstrapped once; the platform stack initialized on it."""
    settings = bootstrap_state(target, REGION, Progress())
    use_emulator_state_backend(target, settings)
    platform = target.terraform(PLATFORM_STACK)
    platform.init()
    platform.ensure_workspace(*WORKSPACES)
    return settings


@pytest.fixture(scope="module")
def platform(target, settings) -> Terraform:
    return target.terraform(PLATFORM_STACK)


@pytest.fixture(scope="module")
def s3(emulator):
    return emulator.client("s3", REGION)


def _var_file(repo_root, ws):
    return repo_root / "workspaces" / f"{ws}.tfvars.json"


def _state(s3, settings, ws):
    """(serial, number of versions, managed resources) of workspace ``ws``'s state object."""
    key = f"{settings.workspace_key_prefix}/{ws}/{settings.key}"
    body = json.loads(s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read())
    versions = s3.list_object_versions(Bucket=settings.bucket, Prefix=key).get("Versions", [])
    managed = [r for r in body.get("resources", []) if r["mode"] == "managed"]
    return body["serial"], len([v for v in versions if v["Key"] == key]), len(managed)


def _in_parallel(function, items):
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return dict(zip(items, pool.map(function, items), strict=True))


def test_state_bucket_is_versioned_encrypted_and_private(settings, s3):
    assert settings.bucket == f"tfstate-sagemaker-emr-123456789012-{REGION}" and settings.use_lockfile
    assert s3.get_bucket_versioning(Bucket=settings.bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=settings.bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=settings.bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=settings.bucket)["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def test_state_bucket_policy_and_protection_are_declared(synthesized_dir):
    # The policy is planned, not applied, on the emulator (see UNSUPPORTED_TYPES).
    config = json.loads((synthesized_dir.parent / "state-backend" / "cdk.tf.json").read_text())
    (bucket,) = config["resource"]["aws_s3_bucket"].values()
    assert bucket["lifecycle"]["prevent_destroy"] is True
    (policy,) = config["resource"]["aws_s3_bucket_policy"].values()
    assert '"aws:SecureTransport" = "false"' in policy["policy"]


def test_platform_backend_is_encrypted_locked_and_per_workspace(target):
    override = json.loads((target.stacks[PLATFORM_STACK] / "emulator_backend_override.tf.json").read_text())
    backend = override["terraform"]["backend"]["s3"]
    assert backend["use_lockfile"] is True and backend["workspace_key_prefix"] == "sagemaker-emr-platform"


def test_each_workspace_has_its_own_state_object(settings, s3):
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=settings.bucket)["Contents"]}
    for ws in WORKSPACES:
        assert f"sagemaker-emr-platform/{ws}/platform.tfstate" in keys


def test_a_plan_creates_its_missing_workspace_in_the_s3_backend(platform, repo_root, settings, s3):
    """`plan` and `pr-plan` rely on this instead of `terraform workspace new`."""
    assert "qa" not in platform.workspaces()
    run = platform.run(["plan", "-input=false", f"-var-file={_var_file(repo_root, 'dev')}", "-var=workspace=qa",
                        "-var=domain_name=ml-qa"], workspace="qa", check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "qa" in platform.workspaces()
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=settings.bucket)["Contents"]}
    assert f"{settings.workspace_key_prefix}/qa/{settings.key}" in keys


@pytest.fixture(scope="module")
def applied(platform, repo_root, settings, s3):
    targets, _ = emulator_scope(platform.dir)
    runs = _in_parallel(lambda ws: platform.run(
        ["apply", "-input=false", "-auto-approve", f"-var-file={_var_file(repo_root, ws)}", *targets],
        workspace=ws, check=False), WORKSPACES)
    return targets, runs


def test_both_workspaces_apply_side_by_side_without_collisions(applied, settings, s3, emulator):
    _, runs = applied
    for ws, run in runs.items():
        assert run.returncode == 0, f"{ws}:\n{run.stderr[-3000:]}"
        # Each apply planned its workspace through the S3 backend first (no plan of its own before it).
        assert re.search(r"^Plan: \d+ to add, 0 to change, 0 to destroy", run.stdout, re.M), run.stdout[-3000:]
        assert _state(s3, settings, ws)[2] > 50
    ec2 = emulator.client("ec2", REGION)
    names = {t["Value"] for v in ec2.describe_vpcs()["Vpcs"] for t in v.get("Tags", []) if t["Key"] == "Name"}
    assert {"ml-dev", "ml-prod"} <= names


def test_second_plan_of_each_workspace_shows_no_changes(applied, platform, repo_root):
    targets, _ = applied
    runs = _in_parallel(lambda ws: platform.run(
        ["plan", "-input=false", "-detailed-exitcode", f"-var-file={_var_file(repo_root, ws)}", *targets],
        workspace=ws, check=False), WORKSPACES)
    for ws, run in runs.items():
        assert run.returncode == 0, f"{ws} has a perpetual diff:\n{run.stdout[-4000:]}{run.stderr[-2000:]}"


def test_a_held_lock_blocks_its_workspace_only(applied, platform, repo_root, settings, s3):
    targets, _ = applied
    before = _state(s3, settings, "prod")
    env = {**platform.env, "TF_WORKSPACE": "prod"}
    # An apply of prod that waits at its approval prompt holds prod's lock.
    holder = subprocess.Popen(
        [terraform_binary(env), "apply", "-no-color", f"-var-file={_var_file(repo_root, 'prod')}", "-var",
         'tags={"lock-test" = "pending"}', *targets],
        cwd=platform.dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    seen = []
    prompt = threading.Event()

    def read():
        # Byte chunks, not lines: the approval prompt does not end with a newline.
        while chunk := os.read(holder.stdout.fileno(), 4096):
            seen.append(chunk.decode(errors="replace"))
            if "Enter a value" in "".join(seen[-2:]):
                prompt.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert prompt.wait(300), "the holding apply never reached its prompt:\n" + "".join(seen)[-3000:]
        lock_key = "sagemaker-emr-platform/prod/platform.tfstate.tflock"
        assert s3.head_object(Bucket=settings.bucket, Key=lock_key)
        for command in (["plan"], ["apply", "-auto-approve"]):
            blocked = platform.run([*command, "-input=false", "-lock-timeout=0s",
                                    f"-var-file={_var_file(repo_root, 'prod')}", *targets],
                                   workspace="prod", check=False)
            assert blocked.returncode != 0
            assert "Error acquiring the state lock" in blocked.stderr, blocked.stderr[-2000:]
        other = platform.run(["plan", "-input=false", "-lock-timeout=0s", f"-var-file={_var_file(repo_root, 'dev')}",
                              *targets], workspace="dev", check=False)
        assert other.returncode == 0, other.stderr[-2000:]
        assert _state(s3, settings, "prod") == before
    finally:
        holder.stdin.write("no\n")
        holder.stdin.close()
        holder.wait(120)
        reader.join(10)
    assert "Apply cancelled" in "".join(seen)
    assert _state(s3, settings, "prod") == before


def test_destroy_of_one_workspace_leaves_the_other_untouched(applied, platform, repo_root, settings, s3, emulator):
    targets, _ = applied
    prod_before = _state(s3, settings, "prod")
    # As `scripts/platform destroy` does: the domain first, then what SageMaker
    # left in dev's VPC (dev's NFS groups and mount targets only), then the rest.
    teardown = destroy_workspace(Target("emulator", {}, platform.env, emulator), platform, "dev",
                                 Path(_var_file(repo_root, "dev")), Progress(), auto_approve=True, targets=targets,
                                 allow_domain_replacement=True)
    assert teardown.kept_home_efs and any("security-group-for-inbound-nfs-" in line for line in teardown.lines)
    assert _state(s3, settings, "dev")[2] == 0
    groups = {g["GroupName"] for g in emulator.client("ec2", REGION).describe_security_groups()["SecurityGroups"]}
    prod_domain = [d for d in emulator.client("sagemaker", REGION).list_domains()["Domains"]
                   if d["DomainName"] == "ml-prod"]
    assert len(prod_domain) == 1  # prod's domain, its home EFS's groups and its users are still there
    assert f"security-group-for-inbound-nfs-{prod_domain[0]['DomainId']}" in groups
    assert _state(s3, settings, "prod") == prod_before
    iam = emulator.client("iam", REGION)
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not {r for r in roles if r.startswith("ml-dev-")}
    assert {f"ml-prod-{REGION}-studio-execution", f"ml-prod-{REGION}-emr-launch"} <= roles


def test_workspace_without_variable_file_is_refused(capsys):
    assert platform_cmd.main(["plan", "staging"]) == 1
    err = capsys.readouterr().err
    assert "unknown workspace 'staging'" in err and "Available workspaces: dev, prod" in err
    assert "scripts/platform new-workspace staging" in err


def test_default_workspace_is_refused_for_apply(capsys):
    assert platform_cmd.main(["apply", "default", "--target", "aws"]) == 1
    assert "the Terraform workspace 'default' is not used" in capsys.readouterr().err


def test_new_workspace_starts_from_an_example(tmp_path, repo_root):
    (tmp_path / "workspaces").mkdir()
    (tmp_path / "workspaces" / "dev.tfvars.json").write_text(_var_file(repo_root, "dev").read_text())
    path = platform_cmd.new_workspace(tmp_path, "staging", "dev", None, "eu-central-1")
    values = json.loads(path.read_text())
    assert (values["workspace"], values["domain_name"], values["region"]) == ("staging", "ml-staging", "eu-central-1")
    with pytest.raises(platform_cmd.CommandError, match="already exists"):
        platform_cmd.new_workspace(tmp_path, "staging", "dev", None, None)
    with pytest.raises(platform_cmd.CommandError, match="'default' is not used"):
        platform_cmd.new_workspace(tmp_path, "default", "dev", None, None)
