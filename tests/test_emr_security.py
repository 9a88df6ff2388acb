"""Unit tests of modules/emr_security.py on the synthesized stack."""
import json

from modules.emr_values import security_configuration
from synthesized import SynthesizedStack


def test_security_configuration_encrypts_s3_and_disks_with_the_domain_key_and_requires_imdsv2(stack: SynthesizedStack):
    body = stack.resource("aws_emr_security_configuration", "emr_security/configuration")
    assert body["count"] == "${var.enable_emr ? 1 : 0}"
    assert body["name"] == '${"${var.domain_name}-emr"}'
    # Two documents, chosen by whether EMR runtime roles exist (modules/emr_runtime_roles.py).
    with_roles, without = (json.dumps(security_configuration("local.encryption_key_arn", r)) for r in (True, False))
    assert body["configuration"] == f"${{length(local.emr_runtime_role_settings) > 0 ? {with_roles} : {without}}}"
    config = json.loads(security_configuration("local.encryption_key_arn"))
    assert "AuthorizationConfiguration" not in config
    assert json.loads(security_configuration("local.encryption_key_arn", True))["AuthorizationConfiguration"] == {
        "IAMConfiguration": {"EnableApplicationScopedIAMRole": True}}
    encryption = config["EncryptionConfiguration"]
    assert encryption["EnableAtRestEncryption"] is True
    at_rest = encryption["AtRestEncryptionConfiguration"]
    assert at_rest["S3EncryptionConfiguration"] == {"EncryptionMode": "SSE-KMS",
                                                    "AwsKmsKey": "${local.encryption_key_arn}"}
    assert at_rest["LocalDiskEncryptionConfiguration"] == {
        "EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": "${local.encryption_key_arn}",
        "EnableEbsEncryption": True}
    assert config["InstanceMetadataServiceConfiguration"] == {
        "MinimumInstanceMetadataServiceVersion": 2, "HttpPutResponseHopLimit": 1}
    # In-transit encryption needs a certificate provider the platform does not manage (see the module).
    assert encryption["EnableInTransitEncryption"] is False


def test_releases_before_imdsv2_support_are_refused(stack: SynthesizedStack):
    rules = [r["error_message"] for r in stack.variable("emr_release_labels")["validation"]]
    assert any("emr-6.2.0" in m and "IMDSv2" in m for m in rules)
