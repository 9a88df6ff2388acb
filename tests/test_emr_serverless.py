"""Unit tests of modules/emr_serverless.py (issue 12 part 2) and its wiring, on the synthesized stack."""
import json

from modules.emr_values import DOMAIN_TAG
from synthesized import SynthesizedStack


def _app(stack: SynthesizedStack) -> dict:
    return stack.resource("aws_emrserverless_application", "emr_serverless/application")


def test_one_spark_application_per_entry_with_the_livy_endpoint_not_emr_studio(stack: SynthesizedStack):
    app = _app(stack)
    assert app["for_each"] == "${local.emr_serverless_settings}"
    assert app["type"] == "spark" and app["name"] == '${"${var.domain_name}-${each.key}"}'
    assert app["interactive_configuration"] == {"livy_endpoint_enabled": True, "studio_enabled": False}
    # Every setting has a value: given, or its default.
    settings = stack.local("emr_serverless_settings")
    for default in ('max_vcpu = try(a.max_vcpu, null) == null ? "16"',
                    'idle_timeout_minutes = try(a.idle_timeout_minutes, null) == null ? "15"',
                    'auto_start = try(a.auto_start, null) == null ? "true"'):
        assert default in settings


def test_capacity_auto_start_and_auto_stop_come_from_the_settings(stack: SynthesizedStack):
    app = _app(stack)
    assert app["maximum_capacity"] == {"cpu": '${"${each.value.max_vcpu} vCPU"}',
                                       "memory": '${"${each.value.max_memory_gb} GB"}',
                                       "disk": '${"${each.value.max_disk_gb} GB"}'}
    assert app["auto_start_configuration"] == {"enabled": "${tobool(each.value.auto_start)}"}
    assert app["auto_stop_configuration"] == {"enabled": True,
                                              "idle_timeout_minutes": "${tonumber(each.value.idle_timeout_minutes)}"}


def test_the_application_runs_in_the_private_subnets_behind_its_own_group(stack: SynthesizedStack):
    network = _app(stack)["network_configuration"]
    assert network["subnet_ids"] == "${local.network_private_subnet_ids}"
    group = stack.address("aws_security_group", "security_groups/emr-serverless")
    assert network["security_group_ids"] == [f"${{one({group}[*].id)}}"]


def test_the_application_carries_the_domain_arn_studio_permissions_are_scoped_by(stack: SynthesizedStack):
    domain = stack.address("aws_sagemaker_domain", "studio/domain")
    assert _app(stack)["tags"][DOMAIN_TAG] == f"${{{domain}.arn}}"
    assert _app(stack)["tags"]["runtime-role"] == "${each.value.runtime_role}"


def test_every_studio_user_lists_and_describes_only_this_domains_applications(stack: SynthesizedStack):
    """The shared part of the Studio role's grant; the rest is per runtime role and user
    (tests/test_emr_runtime_roles.py)."""
    body = stack.resource("aws_iam_role_policy", "iam/studio_execution_emr_serverless")
    assert body["count"] == "${length(var.emr_serverless_applications) > 0 ? 1 : 0}"
    domain = stack.address("aws_sagemaker_domain", "studio/domain")
    found = {s["Sid"]: s for s in json.loads(body["policy"])["Statement"]}
    assert found["ListApplications"]["Action"] == ["emr-serverless:ListApplications"]
    assert found["ListApplications"]["Resource"] == "*"
    describe = found["DescribeDomainApplications"]
    assert describe["Action"] == ["emr-serverless:GetApplication"] and describe["Resource"].endswith(
        ":/applications/*")
    assert describe["Condition"] == {"StringEquals": {"aws:ResourceTag/sagemaker:domain-arn": f"${{{domain}.arn}}"}}
    for absent in ("CreateApplication", "DeleteApplication", "UpdateApplication", "TagResource", "StartJobRun",
                   "StartApplication", "AccessLivyEndpoints", "iam:PassRole"):
        assert absent not in body["policy"]


def test_outputs_name_each_application_and_its_runtime_role(stack: SynthesizedStack):
    assert "aws_emrserverless_application" in stack.output("emr_serverless_application_ids")["value"]
    assert "var.emr_serverless_applications" in stack.output("emr_serverless_runtime_role_arns")["value"]
