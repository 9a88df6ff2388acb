"""Unit tests of modules/encryption.py on the synthesized stack."""
import pytest

from synthesized import SynthesizedStack, as_list, policy, statements

ROOT = ("arn:${data.aws_partition.account_partition_32ACE770.partition}:iam::"
        "${data.aws_caller_identity.account_caller_1C5BE04F.account_id}:root")


def _policy(stack):
    return statements(policy(stack.resource("aws_kms_key_policy", "encryption/policy")))


def test_key_rotates_is_kept_30_days_after_destroy_and_has_an_alias_after_the_domain(stack: SynthesizedStack):
    key = stack.resource("aws_kms_key", "encryption/key")
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    assert "policy" not in key  # the policy is its own resource, applied once the roles exist
    alias = stack.resource("aws_kms_alias", "encryption/alias")
    assert alias["name"] == '${"alias/sagemaker-studio/${var.domain_name}"}'
    assert stack.address("aws_kms_key", "encryption/key") in alias["target_key_id"]


def test_everything_encrypted_waits_for_the_key_policy(stack: SynthesizedStack):
    key_policy = stack.address("aws_kms_key_policy", "encryption/policy")
    key = stack.address("aws_kms_key", "encryption/key")
    # The ARN (IAM policies and CloudWatch Logs need the ARN, not the id), through the policy.
    assert stack.local("encryption_key_arn") == f"${{{key_policy}.key_id != null ? {key}.arn : null}}"
    assert stack.resource("aws_kms_key_policy", "encryption/policy")["key_id"] == f"${{{key}.key_id}}"


def test_root_administers_but_cannot_use_the_key_directly(stack: SynthesizedStack):
    admin = _policy(stack)["KeyAdministration"]
    assert admin["Principal"] == {"AWS": ROOT}
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKey*", "kms:ReEncrypt*",
                "kms:*"} & set(admin["Action"])
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"} - set(admin["Action"]) == {"kms:PutKeyPolicy"}
    assert "kms:Put*" in admin["Action"]  # PutKeyPolicy: administrators can always repair the policy


def test_platform_roles_are_named_as_key_users(stack: SynthesizedStack):
    found = _policy(stack)
    users = stack.local("encryption_key_users")
    for role in ("studio_execution", "emr_service", "emr_instance"):
        assert f"one({stack.address('aws_iam_role', f'iam/{role}')}[*].arn)" in users
    assert "iam_launch" not in users and "flow_logs" not in users
    assert users.startswith("${compact(")  # EMR roles drop out without EMR
    for sid in ("PlatformRolesUseKey", "PlatformRolesGrantToAwsResources"):
        assert found[sid]["Principal"] == {"AWS": "${jsonencode(local.encryption_key_users)}"}
    assert found["PlatformRolesGrantToAwsResources"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.parametrize("sid, services", [
    ("AccountThroughS3ForDomainBuckets", ["s3.${var.region}.amazonaws.com"]),
    ("AccountThroughSageMakerStorage", ["sagemaker.${var.region}.amazonaws.com",
                                        "elasticfilesystem.${var.region}.amazonaws.com",
                                        "ec2.${var.region}.amazonaws.com"]),
])
def test_account_principals_only_through_the_services_that_encrypt_for_them(stack: SynthesizedStack, sid, services):
    statement = _policy(stack)[sid]
    assert statement["Principal"] == {"AWS": ROOT}
    equals = statement["Condition"]["StringEquals"]
    assert list(as_list(equals["kms:ViaService"])) == services
    assert equals["kms:CallerAccount"] == "${data.aws_caller_identity.account_caller_1C5BE04F.account_id}"
    if sid == "AccountThroughS3ForDomainBuckets":
        assert statement["Condition"]["StringLike"] == {
            "kms:EncryptionContext:aws:s3:arn": "${local.storage_bucket_arn_pattern}"}


def test_cloudwatch_logs_only_for_the_domains_log_group(stack: SynthesizedStack):
    statement = _policy(stack)["CloudWatchLogsForDomainLogGroups"]
    assert statement["Principal"] == {"Service": "logs.${var.region}.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {
        "kms:EncryptionContext:aws:logs:arn": "${jsonencode([local.flow_logs_log_group_arn])}"}}
    assert "kms:DescribeKey" not in statement["Action"]  # carries no encryption context


def test_no_statement_names_everyone(stack: SynthesizedStack):
    for sid, statement in _policy(stack).items():
        assert statement["Effect"] == "Allow" and statement["Principal"] != "*", sid
        assert "*" not in str(statement["Principal"]), sid


def test_synthesis_fails_when_the_key_policy_is_never_attached(tmp_path):
    from cdktf import App, TerraformStack
    from modules.encryption import PlatformKey, PlatformKeyProps
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "s")
    PlatformKey(stack, "key", PlatformKeyProps(name="var.domain_name"))
    with pytest.raises(Exception, match="attach_policy"):
        app.synth()


def test_users_get_symmetric_data_keys_only(stack: SynthesizedStack):
    for sid, statement in _policy(stack).items():
        for action in as_list(statement["Action"]):
            assert "Pair" not in action and action != "kms:GenerateDataKey*", (sid, action)
