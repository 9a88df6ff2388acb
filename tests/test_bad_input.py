"""Bad workspace values are refused at plan time, before anything is created,
with a message that names the variable, the value and the rule.

Each case changes the dev workspace file. A plan costs seconds, mostly
provider start-up, so cases that touch unrelated inputs share one plan:
Terraform reports every failed variable rule at once, and a rule is only
skipped when an input it reads is itself invalid, which the grouping below
rules out. The plans run in parallel once per module; each test reads the
output of its case's plan.
"""
import json
import re

import pytest

from terraform_runs import plan_many

BASE = "dev"

# name: (changes to the dev workspace, fragments the error must contain)
CASES = {
    "vpc_cidr_host_bits": ({"vpc_cidr": "10.20.0.1/16"}, ['vpc_cidr = "10.20.0.1/16" is invalid', "network"]),
    "vpc_cidr_too_wide": ({"vpc_cidr": "10.0.0.0/8"}, ['vpc_cidr = "10.0.0.0/8" is invalid', "/16 to /20"]),
    "vpc_cidr_not_a_cidr": ({"vpc_cidr": "ten"}, ['vpc_cidr = "ten" is invalid']),
    "subnets_overlap": (
        {"private_subnet_cidrs": ["10.20.0.0/20", "10.20.16.0/20"],
         "public_subnet_cidrs": ["10.20.16.0/24", "10.20.128.0/20"]},
        ["overlap", "10.20.16.0/20 and 10.20.16.0/24"]),
    "subnet_outside_vpc": (
        {"private_subnet_cidrs": ["10.99.0.0/20", "10.20.16.0/20"],
         "public_subnet_cidrs": ["10.20.128.0/20", "10.20.144.0/20"]},
        ['private_subnet_cidrs = ["10.99.0.0/20","10.20.16.0/20"] is invalid', "inside", "10.20.0.0/16"]),
    "subnet_not_a_cidr": (
        {"private_subnet_cidrs": ["10.20.0.0/33", "10.20.16.0/20"],
         "public_subnet_cidrs": ["10.20.128.0/20", "10.20.144.0/20"]},
        ["private_subnet_cidrs", "10.20.0.0/33", "IPv4 CIDR"]),
    "subnet_count_differs_from_az_count": (
        {"private_subnet_cidrs": ["10.20.0.0/20"], "public_subnet_cidrs": ["10.20.128.0/20"]},
        ["private_subnet_cidrs has 1 entries but az_count is 2"]),
    "only_one_subnet_list": (
        {"private_subnet_cidrs": ["10.20.0.0/20", "10.20.16.0/20"]},
        ["must be given together"]),
    "az_count_too_small": ({"az_count": 1}, ["az_count = 1 is invalid", "2 to 6"]),
    "az_count_too_large": ({"az_count": 7}, ["az_count = 7 is invalid", "2 to 6"]),
    "domain_name_characters": ({"domain_name": "ML_Dev"}, ['domain_name = "ML_Dev" is invalid', "lowercase"]),
    "domain_name_too_long": ({"domain_name": "a" * 25}, [f'domain_name = "{"a" * 25}" is invalid', "3 to 24"]),
    "user_name_characters": ({"user_profiles": {"alice": {}, "bob_smith!": {}}},
                             ['user_profiles has invalid names: ["bob_smith!"]', "1 to 63"]),
    "user_name_too_long": ({"user_profiles": {"u" * 64: {}}}, ["user_profiles has invalid names", "u" * 64]),
    "user_role_not_an_arn": ({"user_profiles": {"alice": {"execution_role_arn": "my-role"}}},
                             ["execution_role_arn", '"alice":"my-role"', "IAM role ARN"]),
    "users_empty": ({"user_profiles": {}}, ["user_profiles is empty", "at least one user"]),
    "network_mode_unknown": ({"network_mode": "Public"}, ['network_mode = "Public" is unknown',
                                                         "VpcOnly or PublicInternetOnly"]),
    "public_internet_with_emr": ({"network_mode": "PublicInternetOnly"},
                                 ['network_mode = "PublicInternetOnly" is not allowed while enable_emr = true',
                                  "cannot reach EMR"]),
    "existing_vpc_without_subnets": ({"existing_vpc_id": "vpc-0123456789abcdef0"},
                                     ['existing_vpc_id = "vpc-0123456789abcdef0" is set but '
                                      "existing_private_subnet_ids is empty"]),
    "subnets_without_existing_vpc": ({"existing_private_subnet_ids": ["subnet-0123456789abcdef0"]},
                                     ["existing_private_subnet_ids is set but existing_vpc_id is null"]),
    "existing_vpc_id_malformed": ({"existing_vpc_id": "my-vpc", "existing_private_subnet_ids": ["subnet-01234567"]},
                                  ['existing_vpc_id = "my-vpc" is not a VPC id']),
    "region_malformed": ({"region": "europe"}, ['region = "europe" is not an AWS region name']),
    "efs_retention_unknown": ({"home_efs_retention": "Keep"}, ['home_efs_retention = "Keep" is invalid']),
    "emr_release_malformed": ({"emr_release_labels": ["7.5.0"]}, ['emr_release_labels = ["7.5.0"] is invalid']),
    "emr_idle_timeout_zero": ({"emr_idle_timeout_minutes": 0}, ["emr_idle_timeout_minutes = 0 is invalid"]),
    "product_versions_kept_one": ({"emr_product_versions_kept": 1},
                                  ["emr_product_versions_kept = 1 is invalid", "from 2 (the current version"]),
    "livy_timeout_malformed": ({"livy_session_timeout": "2 hours"},
                               ['livy_session_timeout = "2 hours" is invalid']),
    "reserved_tag": ({"tags": {"aws:owner": "me"}}, ["tags = ", "reserved by AWS"]),
    "emr_release_without_imdsv2": ({"emr_release_labels": ["emr-7.5.0", "emr-5.36.0"]},
                                   ['emr_release_labels has releases before emr-6.2.0: ["emr-5.36.0"]',
                                    "requires IMDSv2"]),
    "log_retention_not_a_cloudwatch_period": ({"log_retention_days": 100},
                                              ["log_retention_days = 100 is invalid", "90, 120", "3653"]),
    "studio_idle_timeout_too_short": ({"studio_idle_timeout_minutes": 30},
                                      ["studio_idle_timeout_minutes = 30 is invalid", "from 60"]),
    "allowed_bucket_is_an_arn": ({"allowed_s3_buckets": ["my-datasets", "arn:aws:s3:::other"]},
                                 ['allowed_s3_buckets = ["my-datasets","arn:aws:s3:::other"] is invalid',
                                  "no ARNs, no wildcards"]),
}

# Accepted: PublicInternetOnly is fine once EMR is off (seed section 2.4.1).
GOOD = {"public_internet_without_emr": {"network_mode": "PublicInternetOnly", "enable_emr": False}}


# Inputs whose rules read each other: cases touching one group never share a plan.
RELATED_INPUTS = (
    {"vpc_cidr", "az_count", "private_subnet_cidrs", "public_subnet_cidrs"},
    {"network_mode", "enable_emr"},
    {"existing_vpc_id", "existing_private_subnet_ids", "existing_private_route_table_ids"},
)


def _footprint(changes: dict) -> frozenset:
    keys = set(changes)
    for group in RELATED_INPUTS:
        if keys & group:
            keys |= group
    return frozenset(keys)


def batches(cases: dict) -> list:
    """Groups case names so that no two cases in a group touch related inputs."""
    groups = []  # (footprint, names)
    for name, changes in cases.items():
        footprint = _footprint(changes)
        for used, names in groups:
            if not used & footprint:
                used |= footprint
                names.append(name)
                break
        else:
            groups.append((set(footprint), [name]))
    return [names for _, names in groups]


def test_batches_never_mix_related_inputs():
    changes = {n: c for n, (c, _) in CASES.items()}
    grouped = batches(changes)
    assert sorted(n for names in grouped for n in names) == sorted(CASES)
    for names in grouped:
        footprints = [_footprint(changes[n]) for n in names]
        assert sum(len(f) for f in footprints) == len(frozenset().union(*footprints))


@pytest.fixture(scope="module")
def results(emulator_stack, repo_root, tmp_path):
    stack_dir, env = emulator_stack
    base = json.loads((repo_root / "workspaces" / f"{BASE}.tfvars.json").read_text())
    changes = {n: c for n, (c, _) in CASES.items()}
    plans = {f"bad{i}": names for i, names in enumerate(batches(changes))}
    plans.update({name: [name] for name in GOOD})
    changes.update(GOOD)
    files = {}
    for plan_name, names in plans.items():
        merged = dict(base)
        for name in names:
            merged.update(changes[name])
        files[plan_name] = tmp_path / f"{plan_name}.tfvars.json"
        files[plan_name].write_text(json.dumps(merged))
    runs = plan_many(stack_dir, files, env, workspace=BASE)
    return {name: runs[plan_name] for plan_name, names in plans.items() for name in names}


@pytest.fixture(scope="module")
def tmp_path(tmp_path_factory):
    return tmp_path_factory.mktemp("bad_input")


def _messages(output: str) -> str:
    """Terraform's error text, with its line wrapping undone."""
    return re.sub(r"\s+", " ", re.sub(r"[│╷╵]", " ", output))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_value_is_refused_with_a_clear_message(results, case):
    run = results[case]
    text = _messages(run.output)
    assert run.exit_code != 0, f"{case} was accepted"
    assert "Invalid value for variable" in text, text[-2000:]
    for fragment in CASES[case][1]:
        assert fragment in text, f"{case}: {fragment!r} not in:\n{text[-2000:]}"
    assert "Traceback" not in run.output


def test_public_internet_without_emr_is_accepted(results):
    run = results["public_internet_without_emr"]
    assert run.exit_code == 0, run.output[-3000:]
    assert "aws_servicecatalog_portfolio" not in run.output
    assert "aws_sagemaker_domain" in run.output
