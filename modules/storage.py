"""The platform's S3 buckets and the files Terraform uploads to them.

``artifacts``: what Terraform writes and EMR reads (bootstrap scripts, the
Service Catalog product templates). ``data``: what Studio and EMR write (EMR
logs, Studio's shared notebooks). Two buckets so that write access is granted
only where it is needed. Both: encrypted, versioned, public access blocked,
owner-enforced, TLS only; names derive from the domain, account and region,
so they are unique without randomness.
"""
import os
from dataclasses import dataclass

from constructs import Construct
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls, S3BucketOwnershipControlsRule)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA, S3BucketVersioningVersioningConfiguration)
from cdktf_cdktf_provider_aws.s3_object import S3Object

from modules.tf import address, expr

BOOTSTRAP_SCRIPT = "install-python-libs.sh"
EMR_LOG_PREFIX = "emr/logs/"
STUDIO_SHARING_PREFIX = "studio/sharing/"


@dataclass(frozen=True)
class StorageProps:
    """Expressions (see ``modules.tf``) except ``templates_dir``."""

    name: str
    """The domain name."""
    account_id: str
    region: str
    templates_dir: str
    """Path, relative to the synthesized stack, of the ``emr_templates/`` asset."""


class Storage(Construct):
    """Exposes bucket names and ARNs, and the S3 locations other constructs use
    (all expressions): ``artifacts_bucket``, ``artifacts_bucket_arn``,
    ``artifacts_bucket_domain``, ``data_bucket``, ``data_bucket_arn``,
    ``bootstrap_script_uri``, ``emr_log_uri``, ``studio_sharing_uri``."""

    def __init__(self, scope: Construct, id: str, props: StorageProps) -> None:
        super().__init__(scope, id)
        self._props = props
        artifacts = self._bucket("artifacts")
        data = self._bucket("data")
        self.artifacts_bucket, self.artifacts_bucket_arn = f"{address(artifacts)}.bucket", f"{address(artifacts)}.arn"
        self.artifacts_bucket_domain = f"{address(artifacts)}.bucket_regional_domain_name"
        self.data_bucket, self.data_bucket_arn = f"{address(data)}.bucket", f"{address(data)}.arn"

        script = os.path.join(props.templates_dir, BOOTSTRAP_SCRIPT)
        bootstrap = S3Object(
            self, "bootstrap_script", bucket=expr(self.artifacts_bucket), key=f"emr/bootstrap/{BOOTSTRAP_SCRIPT}",
            source=script, source_hash=expr(f'filemd5("{script}")'), content_type="text/x-shellscript")
        self.bootstrap_script_uri = f'"s3://${{{self.artifacts_bucket}}}/${{{address(bootstrap)}.key}}"'
        self.emr_log_uri = f'"s3://${{{self.data_bucket}}}/{EMR_LOG_PREFIX}"'
        self.studio_sharing_uri = f'"s3://${{{self.data_bucket}}}/{STUDIO_SHARING_PREFIX}"'

    def _bucket(self, purpose: str) -> S3Bucket:
        p = self._props
        bucket = S3Bucket(
            self, purpose, bucket=expr(f'"${{{p.name}}}-${{{p.account_id}}}-${{{p.region}}}-{purpose}"'),
            tags={"purpose": purpose})
        name = expr(f"{address(bucket)}.id")
        S3BucketPublicAccessBlock(
            self, f"{purpose}_public_access", bucket=name, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True)
        S3BucketOwnershipControls(
            self, f"{purpose}_ownership", bucket=name,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        S3BucketVersioningA(
            self, f"{purpose}_versioning", bucket=name,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"))
        S3BucketServerSideEncryptionConfigurationA(
            self, f"{purpose}_encryption", bucket=name,
            rule=[S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256")))])
        S3BucketPolicy(self, f"{purpose}_tls_only", bucket=name, policy=expr(
            "jsonencode({Version = \"2012-10-17\", Statement = [{"
            "Sid = \"DenyInsecureTransport\", Effect = \"Deny\", Principal = \"*\", Action = \"s3:*\", "
            f"Resource = [{address(bucket)}.arn, \"${{{address(bucket)}.arn}}/*\"], "
            "Condition = {Bool = {\"aws:SecureTransport\" = \"false\"}}}]})"))
        return bucket
