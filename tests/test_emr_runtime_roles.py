"""Unit tests of modules/emr_runtime_roles.py and its wiring on the synthesized stack; the journey
(tests/test_journey.py, workspace prod) runs them against the emulator and the policy simulator."""
import json
import re

from synthesized import SynthesizedStack

from modules.input_limits import KNOWN_REGIONS
from modules.input_rules import EMR_RUNTIME_ROLE_NAME, PLATFORM_DATA_PREFIXES
from modules.storage import EMR_LOG_PREFIX, STUDIO_SHARING_PREFIX

PROD = json.loads(open("workspaces/prod.tfvars.json").read())
DEV = json.loads(open("workspaces/dev.tfvars.json").read())


def test_each_runtime_role_trusts_the_instance_role_and_emr_serverless_only_when_named(stack: SynthesizedStack):
    role = stack.resource("aws_iam_role", "emr_runtime_roles/role")
    assert role["for_each"] == "${local.emr_runtime_role_settings}"
    assert role["name"] == '${"${local.global_name_prefix}-rt-${each.key}"}'
    trust = role["assume_role_policy"]
    assert 'Principal = {AWS = one(aws_iam_role.' in trust and '"sts:AssumeRole", "sts:TagSession"' in trust
    assert 'Service = "emr-serverless.amazonaws.com"' in trust and '"aws:SourceAccount"' in trust
    assert "if contains([], each.key)" in trust  # serverless_role_names: none unless EMR Serverless names some
    assert role["permissions_boundary"] == "${var.permissions_boundary_arn}"


def test_runtime_role_names_are_1_to_20_characters():
    """tests/test_input_rules.py checks the role names with the longest (20) against IAM's 64."""
    assert re.match(EMR_RUNTIME_ROLE_NAME, "r" * 20) and not re.match(EMR_RUNTIME_ROLE_NAME, "r" * 21)
    assert len("d" * 24 + "-" + max(KNOWN_REGIONS, key=len) + "-rt-" + "r" * 20) <= 64


def test_instance_role_may_assume_exactly_the_runtime_roles(stack: SynthesizedStack):
    body = stack.resource("aws_iam_role_policy", "emr_runtime_roles/instance_assume")
    assert body["count"] == "${length(local.emr_runtime_role_settings) > 0 ? 1 : 0}"
    assert '"sts:AssumeRole", "sts:TagSession"' in body["policy"]
    assert "Resource = values({for name, r in aws_iam_role." in body["policy"]


def test_studio_role_gets_session_credentials_per_role_and_user(stack: SynthesizedStack):
    body = stack.resource("aws_iam_role_policy", "emr_runtime_roles/studio_credentials")
    policy = body["policy"]
    assert '"elasticmapreduce:GetClusterSessionCredentials"' in policy
    assert '"elasticmapreduce:ExecutionRoleArn" = {for name, r in aws_iam_role.' in policy
    assert '"aws:SourceIdentity" = names' in policy
    assert ":cluster/*" in policy
    users = stack.local("emr_runtime_role_users")
    assert "if u.execution_role_arn == null && contains(u.emr_runtime_roles, name)" in users


def test_data_policy_lists_only_the_roles_locations(stack: SynthesizedStack):
    body = stack.resource("aws_iam_role_policy", "emr_runtime_roles/data")
    policy = body["policy"]
    for action in ("s3:ListBucket", "s3:GetObject", "s3:PutObject", "glue:GetTable", "lakeformation:GetDataAccess"):
        assert f'"{action}"' in policy, action
    assert '"s3:prefix"' in policy
    assert "s3:*" not in policy and "glue:*" not in policy


def test_domain_and_profiles_offer_runtime_roles_and_name_users_by_source_identity(stack: SynthesizedStack):
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")
    assert domain["domain_settings"]["execution_role_identity_config"] == (
        '${length({for name, r in aws_iam_role.' + domain["domain_settings"]["execution_role_identity_config"]
        .split("aws_iam_role.", 1)[1])
    assert domain["domain_settings"]["execution_role_identity_config"].endswith(
        '> 0 ? "USER_PROFILE_NAME" : null}')
    emr = domain["default_user_settings"]["jupyter_lab_app_settings"]["dynamic"]["emr_settings"]
    assert emr["for_each"] == "${length(var.emr_default_runtime_roles) > 0 ? [1] : []}"
    user = stack.resource("aws_sagemaker_user_profile", "studio/user")
    lab = user["user_settings"]["dynamic"]["jupyter_lab_app_settings"]
    assert lab["for_each"] == "${length(each.value.emr_runtime_roles) > 0 ? [1] : []}"
    assert "each.value.emr_runtime_roles" in lab["content"]["emr_settings"]["execution_role_arns"]


def test_runtime_roles_are_key_users_and_outputs(stack: SynthesizedStack):
    assert "values({for name, r in aws_iam_role." in stack.local("encryption_key_users")
    assert "emr_runtime_role_arns" in stack.config["output"]
    assert "user_emr_runtime_roles" in stack.config["output"]


def test_platform_prefixes_of_the_data_bucket_are_refused_to_runtime_roles():
    for prefix in (EMR_LOG_PREFIX, STUDIO_SHARING_PREFIX):
        assert prefix.startswith(PLATFORM_DATA_PREFIXES), prefix


def test_prod_has_two_teams_and_dev_none():
    assert sorted(PROD["emr_runtime_roles"]) == ["team-a", "team-b"]
    assert {u: s.get("emr_runtime_roles") for u, s in PROD["user_profiles"].items()} == {
        "alice": ["team-a"], "bob": ["team-a"], "carol": ["team-b"]}
    assert "emr_runtime_roles" not in DEV and all(not s for s in DEV["user_profiles"].values())
