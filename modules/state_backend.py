"""Remote state: the bucket that holds every workspace's state, and the
backend settings the platform stack is synthesized with.

The bucket lives in its own small stack (``state-backend``) with local state,
created once per account and region by ``scripts/platform bootstrap-state``,
which writes the settings file (``backend.json``) that ``main.py`` reads.
Locking uses S3's own lock file (``use_lockfile``, Terraform >= 1.10); a
DynamoDB table is an option for teams whose Terraform is older.
"""
import json
import os
import re
from dataclasses import asdict, dataclass, fields
from typing import Optional

from constructs import Construct
from cdktf import LocalBackend, S3Backend, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration, S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleFilter, S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA, S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA, S3BucketVersioningVersioningConfiguration)

from modules.inputs import InputSpec
from modules.account import StackContext
from modules.hcl import text
from modules.tf import address, count_when, expr, expr_bool, expr_number, quoted, string, template

STATE_KEY = "platform.tfstate"
WORKSPACE_KEY_PREFIX = "sagemaker-emr-platform"

STATE_INPUTS = (
    InputSpec("region", "string", "AWS region of the state bucket.", required=True,
              rules=[('can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$", var.region))',
                      text('region = "{region}" is not an AWS region name such as eu-west-1.', region="var.region"))]),
    InputSpec("name", "string",
              "Prefix of the state bucket's name; the account id and region follow it.",
              default="tfstate-sagemaker-emr",
              rules=[('can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))',
                      text('name = "{name}" is invalid: use 3 to 31 lowercase letters, digits and '
                           "hyphens, starting with a letter (the bucket name adds the account id and region).",
                           name="var.name"))]),
    InputSpec("kms_key_arn", "string",
              "KMS key for SSE-KMS of the state; null: SSE-S3 (AES256).", default=None,
              rules=[('var.kms_key_arn == null || '
                      'can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.kms_key_arn))',
                      text('kms_key_arn = "{arn}" is not a KMS key or alias ARN.',
                           arn='coalesce(var.kms_key_arn, "null")'))]),
    InputSpec("create_lock_table", "bool",
              "Also create a DynamoDB lock table, for Terraform older than 1.10 (newer ones lock with "
              "S3's lock file).", default=False),
    InputSpec("noncurrent_version_days", "number",
              "Days an overwritten state version is kept before it expires (1 to 3650).", default=90,
              rules=[("var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650 && "
                      "floor(var.noncurrent_version_days) == var.noncurrent_version_days",
                      text("noncurrent_version_days = {days} is invalid: use a whole number of days from 1 to 3650.",
                           days="var.noncurrent_version_days"))]),
)


class StateBucket(Construct):
    """The state bucket (and optional lock table). Exposes ``bucket``,
    ``region``, ``kms_key_arn`` and ``lock_table`` as expressions."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        context = StackContext.of(self)
        bucket = S3Bucket(
            self, "bucket", bucket=quoted("{name}-{account}-{region}", name=string("var.name"),
                                          account=context.account_id, region=context.region),
            # Losing this bucket loses every workspace's state.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            tags={"purpose": "terraform-state"})
        name = expr(f"{address(bucket)}.id")
        S3BucketPublicAccessBlock(self, "public_access", bucket=name, block_public_acls=True,
                                  block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
        S3BucketVersioningA(self, "versioning", bucket=name,
                            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"))
        S3BucketServerSideEncryptionConfigurationA(self, "encryption", bucket=name, rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                bucket_key_enabled=expr_bool("var.kms_key_arn != null"),
                apply_server_side_encryption_by_default=(
                    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm=expr('var.kms_key_arn != null ? "aws:kms" : "AES256"'),
                        kms_master_key_id=expr("var.kms_key_arn"))))])
        S3BucketLifecycleConfiguration(self, "old_versions", bucket=name, rule=[
            S3BucketLifecycleConfigurationRule(
                id="expire-old-state-versions", status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                noncurrent_version_expiration=[S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                    noncurrent_days=expr_number("var.noncurrent_version_days"))])],
)
        S3BucketPolicy(self, "tls_only", bucket=name, policy=template(
            'jsonencode({{Version = "2012-10-17", Statement = [{{'
            'Sid = "DenyInsecureTransport", Effect = "Deny", Principal = "*", Action = "s3:*", '
            "Resource = [{arn}, {objects}], "
            'Condition = {{Bool = {{"aws:SecureTransport" = "false"}}}}}}]}})',
            arn=f"{address(bucket)}.arn", objects=quoted("{arn}/*", arn=f"{address(bucket)}.arn")))
        table = DynamodbTable(
            self, "lock_table", count=count_when("var.create_lock_table"),
            name=quoted("{name}-locks", name="var.name"), billing_mode="PAY_PER_REQUEST", hash_key="LockID",
            attribute=[DynamodbTableAttribute(name="LockID", type="S")])

        self.bucket = f"{address(bucket)}.bucket"
        self.region = "var.region"
        self.kms_key_arn = "var.kms_key_arn"
        self.lock_table = f"one({address(table)}[*].name)"


class BackendSettingsError(ValueError):
    """A backend settings file that cannot be used: the message says which field and why."""


@dataclass(frozen=True)
class BackendSettings:
    """Where the platform stack keeps its state: the S3 backend's settings.

    Each workspace's state is stored at ``<workspace_key_prefix>/<workspace>/<key>``.
    """

    bucket: str
    region: str
    key: str = STATE_KEY
    """Default: ``platform.tfstate``."""
    workspace_key_prefix: str = WORKSPACE_KEY_PREFIX
    """Default: ``sagemaker-emr-platform``."""
    kms_key_id: Optional[str] = None
    """Default None: SSE-S3."""
    dynamodb_table: Optional[str] = None
    """Default None: no DynamoDB lock table (the S3 lock file locks)."""
    use_lockfile: bool = True
    """Default True: S3's lock file (Terraform 1.10 and later)."""

    @classmethod
    def load(cls, path: str) -> "BackendSettings":
        try:
            with open(path) as f:
                data = json.load(f)
        except ValueError as exc:
            raise BackendSettingsError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BackendSettingsError(f"{path} must hold a JSON object of backend settings")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BackendSettingsError(f"{path}: unknown field(s) {unknown}; known fields: {sorted(known)}")
        for required in ("bucket", "region"):
            if not isinstance(data.get(required), str) or not data[required]:
                raise BackendSettingsError(f"{path}: field {required!r} is required (a non-empty string), "
                                           f"got {data.get(required)!r}")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", data["bucket"]):
            raise BackendSettingsError(f"{path}: bucket = {data['bucket']!r} is not a valid S3 bucket name")
        if not data.get("use_lockfile", True) and not data.get("dynamodb_table"):
            raise BackendSettingsError(f"{path}: use_lockfile = false needs a dynamodb_table, "
                                       "or state would not be locked")
        return cls(**data)

    def write(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump({k: v for k, v in asdict(self).items() if v is not None}, f, indent=2)
            f.write("\n")


def configure_backend(stack: TerraformStack, settings: Optional[BackendSettings], local_state_dir: str) -> None:
    """An encrypted, locked S3 backend from ``settings``, or local state in
    ``local_state_dir`` (relative to the synthesized stack directory)."""
    if settings is None:
        LocalBackend(stack, path=f"{local_state_dir}/{stack.node.id}.tfstate",
                     workspace_dir=f"{local_state_dir}/{stack.node.id}-workspaces")
        return
    S3Backend(stack, bucket=settings.bucket, key=settings.key, region=settings.region,
              workspace_key_prefix=settings.workspace_key_prefix, encrypt=True,
              kms_key_id=settings.kms_key_id, dynamodb_table=settings.dynamodb_table)
    if settings.use_lockfile:
        # cdktf 0.21's S3Backend predates use_lockfile.
        stack.add_override("terraform.backend.s3.use_lockfile", True)


def backend_settings_path(repo_root: str) -> str:
    """``$PLATFORM_BACKEND_CONFIG``, or ``backend.json`` at the repository root."""
    return os.environ.get("PLATFORM_BACKEND_CONFIG") or os.path.join(repo_root, "backend.json")
