"""The domain guard on the emulator (scripts/domain_guard.py): dev applied once
for the module on the persistent emulator (the tests' own), then each change
planned against that state through `scripts/platform`, from a copy of the
workspaces folder (a temporary --root).

Each input that forces the domain's replacement (modules/domain_replacement.py,
measured with hashicorp/aws 5.100.0) is refused by `plan`, naming the input
and its old and new value, the users and their home EFS, and the switch;
changes that do not replace the domain pass; the variable and the flag let a
replacement through; `apply` stops before anything changes; `pr-plan` writes
the comment and exits 1; `destroy` asks for the switch, then replaces nothing
it was not allowed to. Each plan takes 10 to 20 s on the emulator.

dev runs with EMR, as the example workspace does: the plans that replace the
network also replace the security groups and subnet the product templates
name, which reach them through SSM parameters (modules/emr_catalog.py), so
each plan still names its product version and reaches the guard; a region
change reads no previous product ids (a moved workspace).
"""
import json
import re

import pytest

import terraform_runs
from modules.domain_replacement import FORCING_INPUT_NAMES
from scripts import emulator_persistent, platform_cmd, terraform_env

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
REGION = "eu-west-1"  # workspaces/dev.tfvars.json
SWITCH = ("scripts/platform apply dev --allow-domain-replacement (or \"allow_domain_replacement\": true in "
          "workspaces/dev.tfvars.json for this one apply")

# case => (the change, what the refusal says under "Forced by:"). An existing VPC's id and
# subnets change together (the input rules want both), so one case covers both.
FORCING = {
    "domain_name": ({"domain_name": "ml-dev2"},
                    ['  - domain_name (the domain\'s name): domain_name changed from "ml-dev" to "ml-dev2" ']),
    "vpc_cidr": ({"vpc_cidr": "10.21.0.0/16"},
                 ['  - vpc_id (the domain\'s VPC): vpc_cidr changed from "10.20.0.0/16" to "10.21.0.0/16" ',
                  '  - subnet_ids (the domain\'s subnets): vpc_cidr changed from "10.20.0.0/16" to "10.21.0.0/16" ']),
    "az_count": ({"az_count": 3}, ["  - subnet_ids (the domain's subnets): az_count changed from 2 to 3 "]),
    "private_subnet_cidrs": ({"private_subnet_cidrs": ["10.20.64.0/20", "10.20.80.0/20"],
                              "public_subnet_cidrs": ["10.20.192.0/20", "10.20.208.0/20"]},
                             ['  - subnet_ids (the domain\'s subnets): private_subnet_cidrs changed from [] to '
                              '["10.20.64.0/20","10.20.80.0/20"] ']),
    "existing_vpc": ({"existing_vpc_id": "vpc-0123456789abcdef0",
                      "existing_private_subnet_ids": ["subnet-0123456789abcdef0"]},
                     ['  - vpc_id (the domain\'s VPC): existing_vpc_id changed from null to "vpc-0123456789abcdef0" ',
                      'existing_private_subnet_ids changed from [] to ["subnet-0123456789abcdef0"] ']),
    "region": ({"region": "eu-central-1"},
               ['  - region (the domain\'s region): region changed from "eu-west-1" to "eu-central-1" ']),
}


@pytest.fixture(scope="module")
def applied(scratch_root, synthesized_dir):
    """(root, dev's values, CLI arguments): dev applied on the tests' persistent emulator from a
    temporary root whose workspaces/dev.tfvars.json each test may rewrite."""
    root = scratch_root("guard-root")
    dev = json.loads((root / "workspaces" / "dev.tfvars.json").read_text())
    args = ["--root", str(root), "--outdir", str(synthesized_dir.parent.parent), "--no-synth"]
    with terraform_runs.applied_on_emulator(root, args, ["dev"], REGION):
        yield root, dev, args


def _run(applied, capsys, command, changes, *flags):
    root, dev, args = applied
    var_file = root / "workspaces" / "dev.tfvars.json"
    var_file.write_text(json.dumps({**dev, **changes}))
    try:
        code = platform_cmd.main([command, "dev", *flags, *args])
    finally:
        var_file.write_text(json.dumps(dev))
    out, err = capsys.readouterr()
    return code, out, err


def _domain_ids(root):
    emu = emulator_persistent.find(root)
    return sorted(d["DomainId"] for d in emu.client("sagemaker", REGION).list_domains()["Domains"])


def test_every_measured_forcing_input_has_a_case():
    blamed = {name for _, causes in FORCING.values() for cause in causes for name in FORCING_INPUT_NAMES
              if f"{name} changed from" in cause}
    assert blamed == set(FORCING_INPUT_NAMES)


@pytest.mark.parametrize("name", sorted(FORCING))
def test_plan_refuses_a_change_that_replaces_the_domain(applied, capsys, name):
    changes, causes = FORCING[name]
    code, out, err = _run(applied, capsys, "plan", changes)
    assert code == 1, err[-3000:]
    error = err[err.index("scripts/platform plan: error: "):]
    verb = "re-creates" if name == "region" else "replaces"
    assert re.match(rf"scripts/platform plan: error: this plan {verb} the SageMaker domain ml-dev \(d-\w+", error), \
        error
    assert "the domain guard refuses it.\nForced by:\n" in error
    for cause in causes:
        assert cause in error, cause
    assert "Users lose: 2 user profile(s) (alice, bob)" in error
    assert re.search(r"(home|its) EFS fs-\w+", error)  # a move leaves the old domain and its EFS running
    assert f"Next: undo that change in workspaces/dev.tfvars.json; or, to {'move' if name == 'region' else 'replace'}" \
           f" the domain in this one apply: {SWITCH}" in error
    # The plan and its summary are printed before the refusal, the summary with the guard first.
    assert "> - **Domain guard: REFUSED.**" in out


def test_plan_passes_changes_that_keep_the_domain(applied, capsys):
    """One plan with every change that updates the domain in place: a change that replaced
    it alone would replace it here too (replacement never depends on other inputs'
    values), so one plan shows that none of them does."""
    changes = {"studio_idle_timeout_minutes": 120, "studio_docker_access": True, "home_efs_retention": "Delete",
               # (PublicInternetOnly only without EMR: the input rules say so)
               "network_mode": "PublicInternetOnly", "enable_emr": False}
    code, out, err = _run(applied, capsys, "plan", changes)
    assert code == 0, err[-3000:]
    assert "aws_sagemaker_domain.studio_domain_F1B3BB3C will be updated in-place" in out
    for attribute in ("idle_timeout_in_minutes", "docker_settings", "retention_policy", "app_network_access_type"):
        assert attribute in out, attribute
    assert "Domain guard" not in out and "domain guard" not in err


def test_the_variable_lets_a_replacement_through(applied, capsys):
    code, out, err = _run(applied, capsys, "plan", {"az_count": 3, "allow_domain_replacement": True})
    assert code == 0, err[-3000:]
    assert "must be replaced" in out
    assert "> - **Domain guard: allowed** by `allow_domain_replacement = true`: applying this plan replaces " \
           "the SageMaker domain ml-dev" in out


def test_the_flag_lets_a_replacement_through(applied, capsys):
    code, out, err = _run(applied, capsys, "plan", {"domain_name": "ml-dev2"}, "--allow-domain-replacement")
    assert code == 0, err[-3000:]
    assert "> - **Domain guard: allowed**" in out


def test_pr_plan_writes_the_refusal_into_the_comment_and_fails(applied, capsys, tmp_path):
    code, out, err = _run(applied, capsys, "pr-plan", {"az_count": 3}, "--out", str(tmp_path))
    assert code == 1
    assert "scripts/platform pr-plan: error: this plan replaces the SageMaker domain ml-dev" in err
    comment = (tmp_path / "comment.md").read_text()
    assert "> [!CAUTION]" in comment and "> - **Domain guard: REFUSED.**" in comment
    assert "az_count changed from 2 to 3" in comment


def test_apply_stops_before_anything_changes(applied, capsys):
    root = applied[0]
    before = _domain_ids(root)
    code, out, err = _run(applied, capsys, "apply", {"az_count": 3}, "--auto-approve")
    assert code == 1
    assert "scripts/platform apply: error: this plan replaces the SageMaker domain ml-dev" in err
    assert "terraform apply (dev)" not in err and "which user profiles go" not in err
    assert _domain_ids(root) == before
    emu = emulator_persistent.find(root)
    subnets = emu.client("ec2", REGION).describe_subnets(Filters=[{"Name": "tag:platform:domain",
                                                                    "Values": ["ml-dev"]}])["Subnets"]
    assert len(subnets) == 4  # two zones, a private and a public subnet each: no third zone


def test_destroy_asks_for_the_switch_and_says_what_goes(applied, capsys):
    root = applied[0]
    before = _domain_ids(root)
    code, out, err = _run(applied, capsys, "destroy", {}, "--auto-approve")
    assert code == 1
    assert re.search(r"scripts/platform destroy: error: destroy of workspace dev destroys the SageMaker domain "
                     r"d-\w+ and its 2 user profile\(s\) \(alice, bob\): their spaces, apps and running Studio "
                     r"sessions are deleted, and their home directories stay on the home EFS fs-\w+ "
                     r"\(home_efs_retention = Retain\)", err), err[-3000:]
    assert "Next: if that is meant, scripts/platform destroy dev --allow-domain-replacement" in err
    assert "terraform destroy" not in err
    assert _domain_ids(root) == before


def test_terraform_alone_refuses_it_too(applied, tmp_path):
    """What `cdktf deploy` runs, without scripts/platform: the domain's precondition compares
    the forcing inputs with the output the previous apply recorded, and says the same."""
    root, dev, _ = applied
    emu = emulator_persistent.find(root)
    stack = emulator_persistent.persistent_dir(root) / "stacks" / "platform"  # the CLI's copy, initialized
    env = emu.env(terraform_env.build_env(root), region=REGION)
    var_file = tmp_path / "dev.tfvars.json"
    var_file.write_text(json.dumps({**dev, "az_count": 3}))
    run = terraform_runs.plan(stack, var_file, env)
    assert run.exit_code == 1
    text = " ".join(run.output.split())  # Terraform wraps the message
    assert "Error: Resource precondition failed" in text
    assert re.search(r"refused-by-domain-guard: this plan replaces the SageMaker domain ml-dev \(d-\w+\) of "
                     r"workspace dev, and the domain guard refuses it\. Forced by: - subnet_ids \(the domain's "
                     r"subnets\): az_count changed from 2 to 3 \(", text), text[-3000:]
    assert "Users lose: 2 user profile(s) (alice, bob): " in text
    assert "scripts/platform apply dev --allow-domain-replacement" in text
    assert "with cdktf: --var allow_domain_replacement=true" in text
    var_file.write_text(json.dumps({**dev, "az_count": 3, "allow_domain_replacement": True}))
    assert terraform_runs.plan(stack, var_file, env).exit_code == 0


def test_apply_with_the_flag_replaces_the_domain(applied, capsys):
    """Last: it changes the state (a third zone, a new domain). (Destroy with the switch: the
    loop, tests/test_studio_leftovers.py and tests/test_remote_state.py.)"""
    root = applied[0]
    before = _domain_ids(root)
    code, out, err = _run(applied, capsys, "apply", {"az_count": 3}, "--auto-approve", "--allow-domain-replacement")
    assert code == 0, err[-3000:]
    assert "domain guard: allow_domain_replacement = true: this apply replaces the SageMaker domain ml-dev" in err
    after = _domain_ids(root)
    assert len(after) == 1 and after != before
