"""dev applied on the tests' persistent emulator for the domain guard's tests
(tests/test_domain_guard*.py), and a `scripts/platform` run with changed values.

The guard's tests are two files, so that their plans (10 to 20 s each) run on
two workers; the example dev is applied once per run, each file getting a copy
of the applied emulator (terraform_runs.applied_copy).
"""
import json

import pytest

import terraform_runs
from scripts import platform_cmd
from scripts.emulator import persistent as emulator_persistent

REGION = "eu-west-1"  # workspaces/dev.tfvars.json
SWITCH = ("scripts/platform apply dev --allow-domain-replacement (or \"allow_domain_replacement\": true in "
          "workspaces/dev.tfvars.json for this one apply")


@pytest.fixture(scope="module")
def applied(scratch_root, synthesized_dir, tmp_path_factory):
    """(root, dev's values, CLI arguments): dev applied on the tests' persistent emulator (a copy of
    the run's one apply of the example dev), used from a temporary root whose
    workspaces/dev.tfvars.json each test may rewrite."""
    root = scratch_root("guard-root")
    dev = json.loads((root / "workspaces" / "dev.tfvars.json").read_text())
    args = ["--root", str(root), "--outdir", str(synthesized_dir.parent.parent), "--no-synth"]
    with terraform_runs.applied_copy(tmp_path_factory, synthesized_dir.parent.parent, ["dev"], REGION, root):
        yield root, dev, args


def run(applied, capsys, command, changes, *flags):
    root, dev, args = applied
    var_file = root / "workspaces" / "dev.tfvars.json"
    var_file.write_text(json.dumps({**dev, **changes}))
    try:
        code = platform_cmd.main([command, "dev", *flags, *args])
    finally:
        var_file.write_text(json.dumps(dev))
    out, err = capsys.readouterr()
    return code, out, err


def domain_ids(root):
    emu = emulator_persistent.find(root)
    return sorted(d["DomainId"] for d in emu.client("sagemaker", REGION).list_domains()["Domains"])
