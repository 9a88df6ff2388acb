"""Re-record the plan fixtures of this folder from a commit of the stack.

    .venv/bin/python tests/data/plans/record.py [--commit HEAD] [--workdir DIR]

What it does (nothing leaves loopback: the provider talks to a moto server on
127.0.0.1 with fake credentials, through the emulator's provider override):

1. exports the commit with ``git archive`` into a temporary directory (so that
   uncommitted edits in the work tree do not leak into the fixtures) and
   synthesizes it there (``python main.py``);
2. ``terraform init`` with ``scripts.terraform_env.build_env()``, local state in
   the work directory whatever backend the commit configures (an override
   file), a Terraform workspace ``dev`` (selected through ``TF_WORKSPACE``);
3. records ``add_only.json``: the plan of ``workspaces/dev.tfvars.json`` from
   scratch;
4. applies, with ``-target``, every resource whose type the emulator can
   create (everything except the SageMaker domain, the user profiles and the
   Service Catalog associations and constraint);
5. records ``in_place_change.json`` (dev with one tag value changed),
   ``destroy_emr.json`` (dev with ``enable_emr = false``) and
   ``teardown.json`` (``plan -destroy`` of dev);
6. derives ``replace_domain.json`` from ``in_place_change.json``: the domain
   cannot be created on the emulator, so its resource change is edited into a
   replacement (see README.md; :func:`derive_domain_replacement`).

Each JSON is stripped to what ``scripts.plan_summary`` reads (see ``KEEP``);
``manifest.json`` says which commit and Terraform version they came from.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent.parent
sys.path.insert(0, str(REPO_ROOT))

from scripts import terraform_env  # noqa: E402
from scripts.emulator import Emulator  # noqa: E402

WORKSPACE = "dev"
# Types the emulator cannot create (DESIGN.md, "Facts about these machines").
NOT_ON_EMULATOR = frozenset({
    "aws_sagemaker_domain",
    "aws_sagemaker_user_profile",
    "aws_servicecatalog_product_portfolio_association",
    "aws_servicecatalog_constraint",
    "aws_servicecatalog_principal_portfolio_association",
    # moto enforces the TLS-only bucket policies against its plain-http endpoint,
    # which would then refuse the template upload: left planned, not applied.
    "aws_s3_bucket_policy",
    # moto's DescribeProductAsAdmin never reports the product AVAILABLE (the provider waits 5 min).
    "aws_servicecatalog_product",
})
KEEP = ("format_version", "terraform_version", "applyable", "complete", "errored", "variables",
        "resource_changes", "output_changes")
MAX_FIXTURE_BYTES = 200_000
DERIVED_DOMAIN_ID = "d-fixture0000001"
DERIVED_EFS_ID = "fs-0fixture00000001"


def strip_plan(shown: dict) -> dict:
    """The parts of a ``terraform show -json`` plan that the summary reads."""
    out = {k: shown[k] for k in KEEP if k in shown}
    out["resource_changes"] = []
    for rc in shown.get("resource_changes", []):
        if rc.get("mode") == "data":
            continue
        rc = copy.deepcopy(rc)
        if rc["change"]["actions"] == ["no-op"]:  # unchanged: the summary only counts it
            rc["change"] = {"actions": ["no-op"]}
        out["resource_changes"].append(rc)
    out["configuration"] = {"root_module": {"variables": shown.get("configuration", {})
                                            .get("root_module", {}).get("variables", {})}}
    return out


def dump(plan: dict) -> str:
    """JSON with one resource change (and one variable) per line: small, and diffs stay readable."""
    lines = ["{"]
    keys = sorted(plan)
    for i, key in enumerate(keys):
        value = plan[key]
        comma = "," if i < len(keys) - 1 else ""
        if key == "resource_changes":
            items = [json.dumps(v, sort_keys=True, separators=(",", ":")) for v in value]
            lines.append(f' "{key}": [')
            lines += [f"  {item}{',' if j < len(items) - 1 else ''}" for j, item in enumerate(items)]
            lines.append(f" ]{comma}")
        elif isinstance(value, dict) and key in ("variables", "output_changes"):
            items = [f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True, separators=(',', ':'))}"
                     for k, v in sorted(value.items())]
            lines.append(f' "{key}": {{')
            lines += [f"{item}{',' if j < len(items) - 1 else ''}" for j, item in enumerate(items)]
            lines.append(f" }}{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, sort_keys=True, separators=(',', ':'))}{comma}")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == plan
    return text


def derive_domain_replacement(plan: dict) -> dict:
    """``plan`` with the domain replaced (``kms_key_id`` forces it) and, as Terraform
    would then plan, every user profile replaced because ``domain_id`` becomes
    unknown; the domain outputs become unknown."""
    plan = copy.deepcopy(plan)
    found = False
    for rc in plan["resource_changes"]:
        change = rc["change"]
        if rc["type"] == "aws_sagemaker_domain":
            found = True
            after = change["after"]
            before = copy.deepcopy(after)
            before.update({
                "id": DERIVED_DOMAIN_ID,
                "arn": f"arn:aws:sagemaker:{plan['variables']['region']['value']}:123456789012:domain/"
                       f"{DERIVED_DOMAIN_ID}",
                "home_efs_file_system_id": DERIVED_EFS_ID,
                "url": f"https://{DERIVED_DOMAIN_ID}.studio.{plan['variables']['region']['value']}"
                       ".sagemaker.aws",
                "kms_key_id": None,
            })
            after["kms_key_id"] = None
            change["after_unknown"]["kms_key_id"] = True
            change["before"] = before
            change["before_sensitive"] = change.get("after_sensitive", {})
            change["actions"] = ["delete", "create"]
            change["replace_paths"] = [["kms_key_id"]]
            rc["action_reason"] = "replace_because_cannot_update"
        elif rc["type"] == "aws_sagemaker_user_profile":
            after = change["after"]
            before = copy.deepcopy(after)
            name = before.get("user_profile_name") or rc.get("index")
            before.update({
                "id": f"arn:aws:sagemaker:{plan['variables']['region']['value']}:123456789012:user-profile/"
                      f"{DERIVED_DOMAIN_ID}/{name}",
                "domain_id": DERIVED_DOMAIN_ID,
                "home_efs_file_system_uid": "200001",
            })
            change["before"] = before
            change["before_sensitive"] = change.get("after_sensitive", {})
            change["after_unknown"]["domain_id"] = True
            change["actions"] = ["delete", "create"]
            change["replace_paths"] = [["domain_id"]]
            rc["action_reason"] = "replace_because_cannot_update"
    if not found:
        raise SystemExit("record.py: no aws_sagemaker_domain in the plan to derive the replacement from")
    for name in ("domain_id", "domain_url"):
        oc = plan.get("output_changes", {}).get(name)
        if oc is not None:
            oc["actions"] = ["update"]
            oc["before"] = DERIVED_DOMAIN_ID if name == "domain_id" else \
                f"https://{DERIVED_DOMAIN_ID}.studio.{plan['variables']['region']['value']}.sagemaker.aws"
            oc["after"] = None
            oc["after_unknown"] = True
    return plan


def run(cmd, cwd, env, what):
    proc = subprocess.run(cmd, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"record.py: {what} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n"
                         f"{proc.stderr[-3000:]}")
    return proc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commit", default="HEAD", help="commit of the stack to record (default: HEAD)")
    ap.add_argument("--workdir", default=None, help="keep the export here instead of a temporary directory")
    ap.add_argument("--out", default=str(HERE), help="where to write the fixtures (default: this folder)")
    args = ap.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    commit = run(["git", "rev-parse", args.commit], REPO_ROOT, None, "git rev-parse").stdout.strip()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="plan-fixtures-"))
    src = work / "src"
    src.mkdir(parents=True, exist_ok=False)
    archive = subprocess.run(["git", "archive", commit], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    print(f"[record] {commit} exported to {src}", file=sys.stderr)

    env = terraform_env.build_env(src)
    env["CDKTF_OUTDIR"] = str(src / "cdktf.out")
    run([sys.executable, "main.py"], src, env, "synthesis (python main.py)")
    stack = src / "cdktf.out" / "stacks" / "platform"
    # Whatever backend the commit configures (local, or S3 remote state), record with local
    # state inside the export: an override file replaces the backend block.
    (stack / "record_backend_override.tf.json").write_text(json.dumps(
        {"terraform": {"backend": {"local": {"path": str(work / "state" / "terraform.tfstate"),
                                             "workspace_dir": str(work / "state" / "workspaces")}}}}, indent=2))
    terraform_env.init(stack, env=env)
    tf_version = json.loads(terraform_env.run_terraform(["version", "-json"], stack, env=env).stdout)

    dev = json.loads((src / "workspaces" / f"{WORKSPACE}.tfvars.json").read_text())
    variants = {
        "dev": dev,
        "tags": {**dev, "tags": {**dev.get("tags", {}), "cost-center": "ml-research"}},
        "no_emr": {**dev, "enable_emr": False},
    }
    var_files = {}
    for name, values in variants.items():
        var_files[name] = work / f"{name}.tfvars.json"
        var_files[name].write_text(json.dumps(values, indent=2))

    region = dev["region"]
    types = json.loads((stack / "cdk.tf.json").read_text())["resource"]
    targets = [f"-target={t}.{n}" for t, block in sorted(types.items()) if t not in NOT_ON_EMULATOR for n in block]

    def plan(var_name: str, fixture: str, *extra: str) -> dict:
        plan_file = work / f"{fixture}.tfplan"
        terraform_env.run_terraform(["plan", "-input=false", f"-var-file={var_files[var_name]}",
                                     f"-out={plan_file}", *extra], stack, env=emu_env, timeout=900)
        shown = json.loads(terraform_env.run_terraform(["show", "-json", str(plan_file)], stack,
                                                       env=emu_env, timeout=300).stdout)
        return strip_plan(shown)

    recorded = {}
    # The AWS managed policies the roles attach (AmazonEMRServicePolicy_v2, ...) exist in moto
    # only when it loads its copy of them; the emulator inherits this process's environment.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    with Emulator(region=region, log_dir=work / "emulator") as emu:
        emu.write_provider_override(stack, region)
        emu_env = emu.env(env, region=region)
        emu_env.pop("TF_WORKSPACE", None)
        terraform_env.run_terraform(["workspace", "new", WORKSPACE], stack, env=emu_env)
        emu_env["TF_WORKSPACE"] = WORKSPACE
        recorded["add_only"] = plan("dev", "add_only")
        print("[record] add_only planned; applying what the emulator supports", file=sys.stderr)
        terraform_env.run_terraform(["apply", "-input=false", "-auto-approve", f"-var-file={var_files['dev']}",
                                     *targets], stack, env=emu_env, timeout=1800)
        recorded["in_place_change"] = plan("tags", "in_place_change")
        recorded["destroy_emr"] = plan("no_emr", "destroy_emr")
        recorded["teardown"] = plan("dev", "teardown", "-destroy")
        Emulator.remove_provider_override(stack)
    recorded["replace_domain"] = derive_domain_replacement(recorded["in_place_change"])

    texts = {name: dump(data) for name, data in recorded.items()}
    for name, text in texts.items():
        if len(text.encode()) > MAX_FIXTURE_BYTES:
            raise SystemExit(f"record.py: {name}.json would be {len(text.encode())} bytes "
                             f"(limit {MAX_FIXTURE_BYTES}); strip more in strip_plan()")
    for name, text in texts.items():
        (out_dir / f"{name}.json").write_text(text)
        print(f"[record] wrote {name}.json ({len(text.encode())} bytes)", file=sys.stderr)
    manifest = {
        "commit": commit,
        "terraform_version": tf_version.get("terraform_version"),
        "provider_selections": tf_version.get("provider_selections"),
        "workspace": WORKSPACE,
        "recorded_at": datetime.date.today().isoformat(),
        "variants": {"add_only": "workspaces/dev.tfvars.json, empty state",
                     "in_place_change": 'dev with tags["cost-center"] = "ml-research"',
                     "destroy_emr": "dev with enable_emr = false",
                     "teardown": "terraform plan -destroy of dev",
                     "replace_domain": "derived from in_place_change (see README.md)"},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"[record] done; work files in {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except terraform_env.TerraformError as exc:
        sys.exit(f"record.py: {exc}")
