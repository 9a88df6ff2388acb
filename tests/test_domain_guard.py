"""The domain guard's refusals on the emulator (scripts/domain_guard.py): dev
applied on the persistent emulator (the tests' own, a copy of the run's one
apply of dev: tests/guarded_dev.py), then each change planned against that state through
`scripts/platform`, from a copy of the workspaces folder (a temporary --root).

Each input that forces the domain's replacement (modules/domain_replacement.py,
measured with hashicorp/aws 5.100.0) is refused by `plan`, naming the input
and its old and new value, the users and their home EFS, and the switch;
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
from contextlib import contextmanager, nullcontext

import pytest

import terraform_runs
from guarded_dev import REGION, SWITCH, applied, domain_ids, run  # noqa: F401 (applied: a fixture)
from modules.domain_replacement import FORCING_INPUT_NAMES
from scripts.emulator import persistent as emulator_persistent

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
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
    # VPC_ID, SUBNET_A and SUBNET_B: made on the emulator for the case (the input rules read them at plan).
    "existing_vpc": ({"existing_vpc_id": "VPC_ID", "existing_private_subnet_ids": ["SUBNET_A", "SUBNET_B"]},
                     ['  - vpc_id (the domain\'s VPC): existing_vpc_id changed from null to "VPC_ID" ',
                      'existing_private_subnet_ids changed from [] to ["SUBNET_A","SUBNET_B"] ']),
    "region": ({"region": "eu-central-1"},
               ['  - region (the domain\'s region): region changed from "eu-west-1" to "eu-central-1" ']),
}


def test_every_measured_forcing_input_has_a_case():
    blamed = {name for _, causes in FORCING.values() for cause in causes for name in FORCING_INPUT_NAMES
              if f"{name} changed from" in cause}
    assert blamed == set(FORCING_INPUT_NAMES)


@contextmanager
def existing_vpc(root):
    """A VPC with a subnet in each of two zones on the emulator: names => ids; removed on exit."""
    ec2 = emulator_persistent.find(root).client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    ids = {"VPC_ID": vpc}
    try:
        for name, cidr, zone in (("SUBNET_A", "10.60.0.0/24", f"{REGION}a"),
                                 ("SUBNET_B", "10.60.1.0/24", f"{REGION}b")):
            ids[name] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        yield ids
    finally:
        for name, subnet in ids.items():
            if name != "VPC_ID":
                ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)


def _named(value, ids):
    text = json.dumps(value)
    for name, id_ in ids.items():
        text = text.replace(name, id_)
    return json.loads(text)


@pytest.mark.parametrize("name", sorted(FORCING))
def test_plan_refuses_a_change_that_replaces_the_domain(applied, capsys, name):
    with existing_vpc(applied[0]) if name == "existing_vpc" else nullcontext({}) as ids:
        changes, causes = _named(FORCING[name], ids)
        code, out, err = run(applied, capsys, "plan", changes)
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
