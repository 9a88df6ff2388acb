"""Unit tests of modules/storage.py on the synthesized stack."""
import json

import pytest

from synthesized import SynthesizedStack


@pytest.mark.parametrize("purpose", ["artifacts", "data"])
def test_bucket_is_private_encrypted_versioned_and_tls_only(stack: SynthesizedStack, purpose):
    bucket = stack.resource("aws_s3_bucket", f"storage/{purpose}")
    assert bucket["bucket"] == ('${"${var.domain_name}-${data.aws_caller_identity.account_caller_1C5BE04F.account_id}'
                                f'-${{var.region}}-{purpose}"}}')
    block = stack.resource("aws_s3_bucket_public_access_block", f"storage/{purpose}_public_access")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                           "restrict_public_buckets"))
    rule = stack.resource("aws_s3_bucket_server_side_encryption_configuration", f"storage/{purpose}_encryption")
    assert rule["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"]
    versioning = stack.resource("aws_s3_bucket_versioning", f"storage/{purpose}_versioning")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    ownership = stack.resource("aws_s3_bucket_ownership_controls", f"storage/{purpose}_ownership")
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"
    tls = stack.resource("aws_s3_bucket_policy", f"storage/{purpose}_tls_only")["policy"]
    assert '"aws:SecureTransport" = "false"' in tls and 'Effect = "Deny"' in tls


def test_bootstrap_script_is_uploaded_from_emr_templates(stack: SynthesizedStack, repo_root):
    script = stack.resource("aws_s3_object", "storage/bootstrap_script")
    assert script["key"] == "emr/bootstrap/install-python-libs.sh"
    uploaded = stack.dir / script["source"]
    assert uploaded.read_bytes() == (repo_root / "emr_templates" / "install-python-libs.sh").read_bytes()
    assert script["source_hash"] == f'${{filemd5("{script["source"]}")}}'
