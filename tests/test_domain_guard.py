"""The domain guard's refusals on the emulator (scripts/domain_guard.py): dev
applied on the persistent emulator (the tests' own, a copy of the run's one
apply of dev: tests/guarded_dev.py), then each change planned against that state through
`scripts/platform`, from a copy of the workspaces folder (a temporary --root).

Each input that forces the domain's replacement (modules/domain_replacement.py,
measured with hashicorp/aws 5.100.0) is refused by `plan`, naming the input
and its old and new value, the users and their home EFS, and the switch (the
name and the region here, the network's inputs in
tests/test_domain_guard_network.py, on another worker);
Terraform alone (what `cdktf deploy` runs) refuses it too; `destroy` asks for
the switch. Each plan takes 10 to 20 s on the emulator. What lets a
replacement through, and what `pr-plan` and `apply` do with a refused plan:
tests/test_domain_guard_switches.py (its own copy of dev, on another worker).

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
from guarded_dev import (FORCING, NAME_CASES, NETWORK_CASES, REGION, applied, assert_refused,  # noqa: F401
                         domain_ids, run)
from modules.domain_replacement import FORCING_INPUT_NAMES
from scripts.emulator import persistent as emulator_persistent

pytestmark = [pytest.mark.emulator, pytest.mark.applies]


def test_every_measured_forcing_input_has_a_case():
    assert sorted(NAME_CASES + NETWORK_CASES) == sorted(FORCING)  # this file's and test_domain_guard_network.py's
    blamed = {name for _, causes in FORCING.values() for cause in causes for name in FORCING_INPUT_NAMES
              if f"{name} changed from" in cause}
    assert blamed == set(FORCING_INPUT_NAMES)


@pytest.mark.parametrize("name", NAME_CASES)
def test_plan_refuses_a_change_that_replaces_the_domain(applied, capsys, name):
    assert_refused(applied, capsys, name)


def test_destroy_asks_for_the_switch_and_says_what_goes(applied, capsys):
    root = applied[0]
    before = domain_ids(root)
    code, out, err = run(applied, capsys, "destroy", {}, "--auto-approve")
    assert code == 1
    assert re.search(r"scripts/platform destroy: error: destroy of workspace dev destroys the SageMaker domain "
                     r"d-\w+ and its 2 user profile\(s\) \(alice, bob\): their spaces, apps and running Studio "
                     r"sessions are deleted, and their home directories stay on the home EFS fs-\w+ "
                     r"\(home_efs_retention = Retain\)", err), err[-3000:]
    assert "Next: if that is meant, scripts/platform destroy dev --allow-domain-replacement" in err
    assert "terraform destroy" not in err
    assert domain_ids(root) == before


def test_terraform_alone_refuses_it_too(applied, tmp_path):
    """What `cdktf deploy` runs, without scripts/platform: the domain's precondition compares
    the forcing inputs with the output the previous apply recorded, and says the same."""
    root, dev, _ = applied
    emu = emulator_persistent.find(root)
    cli = terraform_runs.cli_stack(root, emu, "platform", REGION)  # the CLI's copy, initialized
    stack, env = cli.dir, cli.env
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
