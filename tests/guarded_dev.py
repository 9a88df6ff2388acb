"""dev applied on the tests' persistent emulator for the domain guard's tests
(tests/test_domain_guard*.py), and a `scripts/platform` run with changed values.

The guard's tests are three files, so that their plans (10 to 20 s each) run
on three workers; the example dev is applied once per run, each file getting a
copy of the applied emulator (terraform_runs.applied_copy). The refusal cases
(FORCING) and their assertions are here, shared by two of them.
"""
import json
import re
from contextlib import contextmanager, nullcontext

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
# The refusal cases of test_domain_guard.py (the name, the region) and test_domain_guard_network.py: two
# files, so that their plans (two and a show per case) run on two workers.
NAME_CASES = ("domain_name", "region")
NETWORK_CASES = ("az_count", "existing_vpc", "private_subnet_cidrs", "vpc_cidr")


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


def assert_refused(applied, capsys, name: str) -> None:
    """`scripts/platform plan` of dev with FORCING[name]'s change: refused, naming the input, its old
    and new value, the users and their home EFS, and the switch (the refusal tests of both files)."""
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
