"""Unit tests of modules/emr_runtime_roles.py and its wiring on the synthesized stack; the journey
(tests/test_journey.py, workspace prod) runs them against the emulator and the policy simulator."""
import json
import re

from synthesized import SynthesizedStack, policy

from modules.aws_limits import LONGEST_REGION
from modules.emr_runtime_role_rules import EMR_RUNTIME_ROLE_NAME, PLATFORM_DATA_PREFIXES
from modules.emr_values import EMR_LOG_PREFIX, GLUE_ACTIONS, STUDIO_SHARING_PREFIX, runtime_role_names

PROD = json.loads(open("workspaces/prod.tfvars.json").read())
DEV = json.loads(open("workspaces/dev.tfvars.json").read())


def _trust(stack, name):
    return json.loads(stack.resource("aws_iam_role", f"emr_runtime_roles/{name}")["assume_role_policy"])


def test_each_runtime_role_trusts_the_instance_role_and_emr_serverless_only_when_named(stack: SynthesizedStack):
    names = runtime_role_names("var.emr_serverless_applications")  # the roles applications run as (main.py)
    for name, serverless in (("role", f"!contains({names}, name)"), ("serverless_role", f"contains({names}, name)")):
        role = stack.resource("aws_iam_role", f"emr_runtime_roles/{name}")
        assert role["for_each"] == (
            f"${{{{for name, r in local.emr_runtime_role_settings : name => r if {serverless}}}}}")
        assert role["name"] == '${"${local.global_name_prefix}-rt-${each.key}"}'
        assert role["permissions_boundary"] == "${var.permissions_boundary_arn}"
    instance = {"Sid": "EmrInstanceRole", "Effect": "Allow",
                "Principal": {"AWS": "${one(aws_iam_role.iam_emr_instance_B0FF5030[*].arn)}"},
                "Action": ["sts:AssumeRole", "sts:TagSession"]}
    assert _trust(stack, "role")["Statement"] == [instance]
    assert _trust(stack, "serverless_role")["Statement"] == [instance, {
        "Sid": "EmrServerless", "Effect": "Allow", "Principal": {"Service": "emr-serverless.amazonaws.com"},
        "Action": ["sts:AssumeRole"], "Condition": {"StringEquals": {
            "aws:SourceAccount": "${data.aws_caller_identity.account_caller_1C5BE04F.account_id}"}}}]


def test_runtime_role_names_are_1_to_20_characters():
    """tests/test_input_rules.py checks the role names with the longest (20) against IAM's 64."""
    assert re.match(EMR_RUNTIME_ROLE_NAME, "r" * 20) and not re.match(EMR_RUNTIME_ROLE_NAME, "r" * 21)
    assert len("d" * 24 + "-" + LONGEST_REGION + "-rt-" + "r" * 20) <= 64


def _policy(stack, name):
    body = stack.resource("aws_iam_role_policy", f"emr_runtime_roles/{name}")
    return body, policy(body)


def test_instance_role_may_assume_exactly_the_runtime_roles(stack: SynthesizedStack):
    body, document = _policy(stack, "instance_assume")
    assert body["count"] == "${length(local.emr_runtime_role_settings) > 0 ? 1 : 0}"
    [statement] = document["Statement"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Resource"].startswith("${jsonencode(values(merge({for name, r in aws_iam_role.emr_runtime_roles")


def _studio_policy(stack, name):
    """The Studio role's managed policy of a runtime role (resource ``name``) and its attachment."""
    body = stack.resource("aws_iam_policy", f"emr_runtime_roles/{name}")
    attachment = stack.resource("aws_iam_role_policy_attachment", f"emr_runtime_roles/{name}_attachment")
    assert body["name"] == '${"${local.global_name_prefix}-studio-rt-${each.key}"}'
    assert attachment["for_each"] == body["for_each"]
    assert "aws_iam_role.iam_studio_execution" in attachment["role"]
    assert re.fullmatch(r"\$\{aws_iam_policy\.emr_runtime_roles_" + name + r"_[0-9A-F]{8}\[each\.key\]\.arn\}",
                        attachment["policy_arn"]), attachment["policy_arn"]
    return body, policy(body)


def test_studio_role_gets_session_credentials_per_role_and_only_for_the_users_given_it(stack: SynthesizedStack):
    arn = ("arn:${data.aws_partition.account_partition_32ACE770.partition}:iam::"
           "${data.aws_caller_identity.account_caller_1C5BE04F.account_id}:role/${local.global_name_prefix}-rt-"
           "${each.key}")
    serverless = runtime_role_names("var.emr_serverless_applications")
    for name, identity in (("studio_default_role", {}),
                           ("studio_user_role",
                            {"aws:SourceIdentity": "${jsonencode(local.emr_runtime_role_users[each.key])}"}),
                           ("studio_serverless_default_role", {}),
                           ("studio_serverless_user_role",
                            {"aws:SourceIdentity": "${jsonencode(local.emr_runtime_role_users[each.key])}"})):
        body, document = _studio_policy(stack, name)
        statement = document["Statement"][0]
        assert statement["Sid"] == "SessionCredentials"
        assert statement["Action"] == ["elasticmapreduce:GetClusterSessionCredentials"]
        assert statement["Resource"].endswith(":cluster/*")
        assert statement["Condition"] == {"StringEquals": {"elasticmapreduce:ExecutionRoleArn": arn, **identity}}
        # Each runtime role has one policy: those of EMR Serverless applications' roles hold both grants.
        assert (f"!contains({serverless}, name)" in body["for_each"]) == ("serverless" not in name), body["for_each"]
    users = stack.local("emr_runtime_role_users")
    assert "if u.execution_role_arn == null && contains(u.emr_runtime_roles, name)" in users
    assert "if !contains(var.emr_default_runtime_roles, name) && length(names) > 0" in (
        stack.resource("aws_iam_policy", "emr_runtime_roles/studio_user_role")["for_each"])
    # No grant of a runtime role is inline on the Studio role (IAM's 10,240 characters for all of them).
    assert not [a for a, p in stack.resources("aws_iam_role_policy").items()
                if a.startswith("emr_runtime_roles/") and "iam_studio_execution" in p["role"]]


def test_studio_uses_an_applications_runtime_role_only_in_the_sessions_of_its_users(stack: SynthesizedStack):
    """EMR Serverless (issue 12 part 2): starting an application, its Livy endpoint, its job runs' Spark UI and
    the pass of its runtime role, per runtime role and for the users given it, as GetClusterSessionCredentials."""
    role_arn = ("arn:${data.aws_partition.account_partition_32ACE770.partition}:iam::"
                "${data.aws_caller_identity.account_caller_1C5BE04F.account_id}:role/${local.global_name_prefix}-rt-"
                "${each.key}")
    serverless = runtime_role_names("var.emr_serverless_applications")
    for name, identity in (("studio_serverless_default_role", {}),
                           ("studio_serverless_user_role",
                            {"aws:SourceIdentity": "${jsonencode(local.emr_runtime_role_users[each.key])}"})):
        body, document = _studio_policy(stack, name)
        assert body["for_each"].endswith(f" && contains({serverless}, name)}}}}") or body["for_each"].endswith(
            f" if contains({serverless}, name)}}}}"), body["for_each"]
        found = {s["Sid"]: s for s in document["Statement"]}
        assert set(found) == {"SessionCredentials", "UseApplications", "PassRuntimeRole"}
        assert found["UseApplications"]["Action"] == ["emr-serverless:AccessLivyEndpoints",
                                                      "emr-serverless:GetDashboardForJobRun",
                                                      "emr-serverless:StartApplication"]
        assert found["UseApplications"]["Resource"] == (
            "${jsonencode(concat(local.emr_serverless_application_arns_by_role[each.key], "
            "local.emr_serverless_job_run_arns_by_role[each.key]))}")
        assert found["UseApplications"].get("Condition") == ({"StringEquals": identity} if identity else None)
        assert found["PassRuntimeRole"] == {
            "Sid": "PassRuntimeRole", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com", **identity}}}
    assert "if a.runtime_role == role" in stack.local("emr_serverless_application_arns_by_role")
    assert '/jobruns/*" if a.runtime_role == role' in stack.local("emr_serverless_job_run_arns_by_role")


def test_data_policies_grant_exactly_the_roles_settings(stack: SynthesizedStack):
    actions = {}
    for name in ("s3_read", "s3_write", "glue"):
        body, document = _policy(stack, name)
        for statement in document["Statement"]:
            actions[statement["Sid"]] = statement["Action"]
            if statement["Sid"] != "LakeFormationDataAccess":  # no resource type: "*" only
                assert statement["Resource"].startswith(
                    "${jsonencode(local.emr_runtime_role_grants[each.key]."), statement
    assert actions == {"LocateBuckets": ["s3:GetBucketLocation"], "ListLocations": ["s3:ListBucket"],
                       "ReadLocations": ["s3:GetObject", "s3:GetObjectVersion"],
                       "WriteLocations": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"],
                       "GlueDatabases": sorted(GLUE_ACTIONS),
                       "LakeFormationDataAccess": ["lakeformation:GetDataAccess"]}
    assert _policy(stack, "s3_read")[1]["Statement"][1]["Condition"] == {
        "StringLike": {"s3:prefix": "${jsonencode(local.emr_runtime_role_grants[each.key].prefixes)}"}}


def test_domain_and_profiles_offer_runtime_roles_and_name_users_by_source_identity(stack: SynthesizedStack):
    domain = stack.resource("aws_sagemaker_domain", "studio/domain")
    assert domain["domain_settings"]["execution_role_identity_config"].startswith(
        "${length(merge({for name, r in aws_iam_role.emr_runtime_roles_role_")
    assert domain["domain_settings"]["execution_role_identity_config"].endswith(
        '> 0 ? "USER_PROFILE_NAME" : null}')
    emr = domain["default_user_settings"]["jupyter_lab_app_settings"]["dynamic"]["emr_settings"]
    # One block for both lists (modules/studio.py emr_settings): runtime roles and other accounts' roles.
    assert emr["for_each"].startswith("${length([for name in var.emr_default_runtime_roles : ")
    assert emr["for_each"].endswith("+ length(var.emr_assumable_role_arns) > 0 ? [1] : []}")
    user = stack.resource("aws_sagemaker_user_profile", "studio/user")
    lab = user["user_settings"]["dynamic"]["jupyter_lab_app_settings"]
    assert lab["for_each"] == "${length(each.value.emr_runtime_roles) > 0 ? [1] : []}"
    assert "each.value.emr_runtime_roles" in lab["content"]["emr_settings"]["execution_role_arns"]
    # A profile's EmrSettings hide the domain's from its user: the profile repeats the assumable roles.
    assert lab["content"]["emr_settings"]["assumable_role_arns"] == "${var.emr_assumable_role_arns}"


def test_runtime_roles_are_key_users_and_outputs(stack: SynthesizedStack):
    assert "values(merge({for name, r in aws_iam_role.emr_runtime_roles" in stack.local("encryption_key_users")
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
