"""Unit tests of modules/storage.py on the synthesized stack."""
import pytest

from synthesized import SynthesizedStack, as_list, policy, statements

KMS_BUCKETS = ("artifacts", "data")
BUCKETS = KMS_BUCKETS + ("logs",)
KEY_ARN = "${local.encryption_key_arn}"


def _bucket_arn(stack, purpose):
    return f"${{{stack.address('aws_s3_bucket', f'storage/{purpose}')}.arn}}"


@pytest.mark.parametrize("purpose", BUCKETS)
def test_bucket_is_private_versioned_owner_enforced_and_named_per_domain(stack: SynthesizedStack, purpose):
    bucket = stack.resource("aws_s3_bucket", f"storage/{purpose}")
    assert bucket["bucket"] == ('${"${var.domain_name}-${data.aws_caller_identity.account_caller_1C5BE04F.account_id}'
                                f'-${{var.region}}-{purpose}"}}')
    block = stack.resource("aws_s3_bucket_public_access_block", f"storage/{purpose}_public_access")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                           "restrict_public_buckets"))
    versioning = stack.resource("aws_s3_bucket_versioning", f"storage/{purpose}_versioning")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    ownership = stack.resource("aws_s3_bucket_ownership_controls", f"storage/{purpose}_ownership")
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"


@pytest.mark.parametrize("purpose", KMS_BUCKETS)
def test_platform_buckets_use_sse_kms_with_the_domain_key_and_bucket_keys(stack: SynthesizedStack, purpose):
    (rule,) = stack.resource("aws_s3_bucket_server_side_encryption_configuration",
                             f"storage/{purpose}_encryption")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms",
                                                               "kms_master_key_id": KEY_ARN}
    assert rule["bucket_key_enabled"] is True


def test_logs_bucket_uses_sse_s3_the_only_encryption_s3_logging_accepts(stack: SynthesizedStack):
    (rule,) = stack.resource("aws_s3_bucket_server_side_encryption_configuration", "storage/logs_encryption")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    skip = {s["id"]: s for s in stack.resource("aws_s3_bucket", "storage/logs")["//"]["checkov"]["skip"]}
    assert "SSE-S3" in skip["CKV_AWS_145"]["comment"]


@pytest.mark.parametrize("purpose, encryption", [("artifacts", "aws:kms"), ("data", "aws:kms"), ("logs", "AES256")])
def test_bucket_policy_denies_plain_http_and_other_encryption(stack: SynthesizedStack, purpose, encryption):
    document = policy(stack.resource("aws_s3_bucket_policy", f"storage/{purpose}_policy"))
    found = statements(document)
    arn = _bucket_arn(stack, purpose)
    tls = found["DenyInsecureTransport"]
    assert (tls["Effect"], tls["Principal"], tls["Action"]) == ("Deny", "*", "s3:*")
    assert set(tls["Resource"]) == {arn, f"{arn}/*"}
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    other = found["DenyOtherEncryption"]
    assert (other["Effect"], other["Action"], other["Resource"]) == ("Deny", "s3:PutObject", f"{arn}/*")
    assert other["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption": encryption}
    assert other["Condition"]["Null"] == {"s3:x-amz-server-side-encryption": "false"}
    if encryption == "aws:kms":
        keys = found["DenyOtherKmsKeys"]
        assert keys["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN}
    assert not [s for s in document["Statement"] if s["Effect"] == "Allow" and s["Principal"] == "*"]


def test_only_s3_logging_of_our_buckets_may_write_to_the_logs_bucket(stack: SynthesizedStack):
    delivery = statements(policy(stack.resource("aws_s3_bucket_policy", "storage/logs_policy")))[
        "AllowServerAccessLogDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert set(delivery["Condition"]["ArnLike"]["aws:SourceArn"]) == {
        _bucket_arn(stack, p) for p in KMS_BUCKETS}
    assert "aws:SourceAccount" in delivery["Condition"]["StringEquals"]


@pytest.mark.parametrize("purpose", KMS_BUCKETS)
def test_platform_buckets_are_access_logged_to_the_logs_bucket(stack: SynthesizedStack, purpose):
    logging = stack.resource("aws_s3_bucket_logging", f"storage/{purpose}_access_logs")
    assert logging["target_bucket"] == f"${{{stack.address('aws_s3_bucket', 'storage/logs')}.id}}"
    assert logging["target_prefix"] == f"{purpose}/"


@pytest.mark.parametrize("purpose, logs", [("artifacts", []), ("data", ["emr/logs/"]), ("logs", [""])])
def test_lifecycle_expires_old_versions_uploads_and_logs(stack: SynthesizedStack, purpose, logs):
    rules = {r["id"]: r for r in stack.resource("aws_s3_bucket_lifecycle_configuration",
                                                 f"storage/{purpose}_lifecycle")["rule"]}
    base = rules.pop("old-versions-and-incomplete-uploads")
    assert base["filter"] == [{}]  # the whole bucket
    assert base["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert base["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert sorted(r["filter"][0].get("prefix", "") for r in rules.values()) == logs
    for rule in rules.values():
        assert rule["status"] == "Enabled"
        assert rule["expiration"] == [{"days": "${var.log_retention_days}"}]
        assert rule["abort_incomplete_multipart_upload"]


def test_emr_logs_prefix_is_the_one_the_lifecycle_expires(stack: SynthesizedStack):
    assert stack.local("storage_bucket_arn_pattern").endswith('-${var.region}-*"}')
    rules = stack.resource("aws_s3_bucket_lifecycle_configuration", "storage/data_lifecycle")["rule"]
    assert any(r["filter"][0].get("prefix") == "emr/logs/" for r in rules)


def test_bootstrap_script_is_uploaded_from_emr_templates(stack: SynthesizedStack, repo_root):
    script = stack.resource("aws_s3_object", "storage/bootstrap_script")
    assert script["key"] == "emr/bootstrap/install-python-libs.sh"
    uploaded = stack.dir / script["source"]
    assert uploaded.read_bytes() == (repo_root / "emr_templates" / "install-python-libs.sh").read_bytes()
    assert script["source_hash"] == f'${{filemd5("{script["source"]}")}}'
    # No encryption header: the bucket's default (the domain's key) applies, which the policy allows.
    assert "server_side_encryption" not in script and "kms_key_id" not in script


def test_every_bucket_has_the_skips_it_needs_and_no_others(stack: SynthesizedStack):
    for purpose in BUCKETS:
        skips = {s["id"] for s in stack.resource("aws_s3_bucket", f"storage/{purpose}")["//"]["checkov"]["skip"]}
        expected = {"CKV2_AWS_62", "CKV_AWS_144"} | ({"CKV_AWS_145"} if purpose == "logs" else set())
        assert skips == expected, purpose
    for body in stack.resources("aws_s3_bucket_policy").values():
        for statement in policy(body)["Statement"]:
            assert statement["Effect"] == "Deny" or "Service" in statement["Principal"], statement
            assert statement["Principal"] == "*" or as_list(statement["Principal"]["Service"])


def test_writers_get_the_bucket_names_once_default_encryption_is_set(stack: SynthesizedStack):
    encryption = stack.address("aws_s3_bucket_server_side_encryption_configuration", "storage/artifacts_encryption")
    assert stack.resource("aws_s3_object", "storage/bootstrap_script")["bucket"] == f"${{{encryption}.bucket}}"
    for upload in stack.resources("aws_s3_object").values():
        assert upload["bucket"] == f"${{{encryption}.bucket}}"
    data = stack.address("aws_s3_bucket_server_side_encryption_configuration", "storage/data_encryption")
    sharing = stack.resource("aws_sagemaker_domain", "studio/domain")["default_user_settings"]["sharing_settings"]
    assert f"{data}.bucket" in sharing["s3_output_path"]
