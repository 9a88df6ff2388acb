"""Levels 2 and 3: terraform validate offline, and plans of the example
workspaces against the local emulator, read through ``terraform show -json``."""
import json

import pytest

from scripts.terraform_env import run_terraform
from terraform_runs import by_type, planned_resources

# Planned once per session by the `plans` fixture (conftest.py, PLANNED_WORKSPACES).
WORKSPACES = ("dev", "prod")


def _workspace(repo_root, name):
    return json.loads((repo_root / "workspaces" / f"{name}.tfvars.json").read_text())


def test_validate_with_the_real_provider_offline(initialized_stack, terraform_env):
    proc = run_terraform(["validate"], initialized_stack, env=terraform_env, check=False)
    assert proc.returncode == 0 and "The configuration is valid" in proc.stdout, proc.stdout + proc.stderr


REQUIRED_TYPES = {
    "aws_vpc": 1, "aws_subnet": 4, "aws_internet_gateway": 1, "aws_nat_gateway": 1, "aws_route_table": 2,
    "aws_vpc_endpoint": 8, "aws_security_group": 5, "aws_vpc_security_group_ingress_rule": 9,
    "aws_vpc_security_group_egress_rule": 17, "aws_iam_role": 5, "aws_iam_instance_profile": 1,
    "aws_s3_bucket": 3, "aws_s3_object": 2, "aws_sagemaker_domain": 1, "aws_sagemaker_user_profile": 1,
    "aws_kms_key": 1, "aws_kms_key_policy": 1, "aws_kms_alias": 1, "aws_flow_log": 1, "aws_cloudwatch_log_group": 1,
    "aws_emr_security_configuration": 1, "aws_s3_bucket_logging": 2, "aws_s3_bucket_lifecycle_configuration": 3,
    "aws_servicecatalog_portfolio": 1, "aws_servicecatalog_product": 1,
    "aws_servicecatalog_product_portfolio_association": 1, "aws_servicecatalog_constraint": 1,
    "aws_servicecatalog_principal_portfolio_association": 1,
}


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_every_required_resource_type_is_planned(plans, workspace):
    counts = {}
    for change in planned_resources(plans[workspace]).values():
        counts[change["type"]] = counts.get(change["type"], 0) + 1
    missing = {t: n for t, n in REQUIRED_TYPES.items() if counts.get(t, 0) < n}
    assert not missing, f"planned fewer than required: {missing}; planned {counts}"


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_network_follows_the_workspace(plans, repo_root, workspace):
    values = _workspace(repo_root, workspace)
    shown = plans[workspace]
    subnets = list(by_type(shown, "aws_subnet").values())
    assert len(subnets) == 2 * values["az_count"]
    assert len({s["availability_zone"] for s in subnets}) == values["az_count"]
    nats = by_type(shown, "aws_nat_gateway")
    assert len(nats) == (1 if values["single_nat_gateway"] else values["az_count"])
    private = sorted(s["cidr_block"] for s in subnets if s["tags"]["tier"] == "private")
    if "private_subnet_cidrs" in values:
        assert private == sorted(values["private_subnet_cidrs"])
    (vpc,) = by_type(shown, "aws_vpc").values()
    assert vpc["cidr_block"] == values["vpc_cidr"]


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_endpoints_gateway_and_interface_list(plans, workspace):
    endpoints = by_type(plans[workspace], "aws_vpc_endpoint").values()
    kinds = {(e["vpc_endpoint_type"], e["service_name"].split(".", 3)[3]) for e in endpoints}
    assert ("Gateway", "s3") in kinds
    for service in ("sagemaker.api", "sagemaker.runtime", "sts", "logs", "monitoring", "servicecatalog",
                    "elasticmapreduce"):
        assert ("Interface", service) in kinds
    assert all(e["private_dns_enabled"] for e in endpoints if e["vpc_endpoint_type"] == "Interface")


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_domain_is_vpc_only_with_one_profile_per_user(plans, repo_root, workspace):
    values = _workspace(repo_root, workspace)
    (domain,) = by_type(plans[workspace], "aws_sagemaker_domain").values()
    assert domain["app_network_access_type"] == "VpcOnly"
    assert domain["auth_mode"] == "IAM"
    assert domain["domain_name"] == values["domain_name"]
    assert domain["retention_policy"][0]["home_efs_file_system"] == values["home_efs_retention"]
    profiles = by_type(plans[workspace], "aws_sagemaker_user_profile")
    assert sorted(p["user_profile_name"] for p in profiles.values()) == sorted(values["user_profiles"])


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_catalog_product_is_visible_and_launch_constrained(plans, workspace):
    shown = plans[workspace]
    for product in by_type(shown, "aws_servicecatalog_product").values():
        assert product["tags"]["sagemaker:studio-visibility:emr"] == "true"
    assert {c["type"] for c in by_type(shown, "aws_servicecatalog_constraint").values()} == {"LAUNCH"}
    principals = by_type(shown, "aws_servicecatalog_principal_portfolio_association")
    assert len(principals) == 1  # the platform role: no user overrides in the examples


def test_names_derive_from_the_domain_so_workspaces_do_not_collide(plans):
    def names(shown):
        found = set()
        for type_, key in (("aws_iam_role", "name"), ("aws_iam_instance_profile", "name"),
                           ("aws_s3_bucket", "bucket"), ("aws_security_group", "name"),
                           ("aws_servicecatalog_portfolio", "name"), ("aws_servicecatalog_product", "name"),
                           ("aws_emrserverless_application", "name")):
            found |= {(type_, v[key]) for v in by_type(shown, type_).values()}
        return found
    dev, prod = names(plans["dev"]), names(plans["prod"])
    assert len(dev) == 16  # 5 roles, 1 profile, 3 buckets, 5 groups, portfolio, product
    # and the EMR runtime roles of team-a and team-b, the EMR Serverless application and its group
    assert len(prod) == 20
    assert not dev & prod


def test_security_group_rules_planned_with_descriptions(plans):
    rules = {**by_type(plans["dev"], "aws_vpc_security_group_ingress_rule"),
             **by_type(plans["dev"], "aws_vpc_security_group_egress_rule")}
    assert {r.get("from_port") for r in rules.values()} >= {8998, 10000, 9443, 8443, 443}
    assert all(r["description"] for r in rules.values())
    assert not [r for a, r in by_type(plans["dev"], "aws_vpc_security_group_ingress_rule").items()
                if r.get("cidr_ipv4") == "0.0.0.0/0"]


def test_the_summary_reads_required_from_the_inputs_marker(plans):
    """In the plan, a required input's default is null like existing_vpc_id's: the summary shows it as
    required from the marker in modules/inputs.py, and never lists existing_vpc_id left at null."""
    from modules.inputs import INPUTS
    from scripts import plan_summary

    config = plans["dev"]["configuration"]["root_module"]["variables"]
    assert config["domain_name"]["default"] is None and config["existing_vpc_id"]["default"] is None
    listed = {v.name: v for v in plan_summary.summarize(plans["dev"], "dev").non_default_variables}
    assert {name for name, v in listed.items() if v.required} == {spec.name for spec in INPUTS if spec.required}
    assert "existing_vpc_id" not in listed
