"""The domain's customer-managed KMS key, its alias and its key policy.

One key per domain encrypts everything of the domain that rests: the home
EFS and the Studio space volumes (``kms_key_id`` of the domain), the
platform buckets (SSE-KMS with bucket keys), EMR's local disks and its S3
output (the EMR security configuration), and the VPC flow log group.
Rotation is on; the alias is named after the domain.

The key policy names who may use the key (no ``Principal: *``):

- the account root for administration only (no encrypt or decrypt), so IAM
  administrators can manage the key and cannot lock it out;
- the platform's roles (Studio execution roles, EMR service and instance
  roles): use, and grants for AWS resources (EBS and EFS volumes);
- principals of this account through S3 only, for this domain's buckets
  (how Terraform uploads the bootstrap script and Service Catalog reads the
  product templates as the deployer; IAM must allow them too);
- principals of this account through SageMaker, EFS and EC2 only (the
  deployer creating the domain: SageMaker encrypts the home EFS and the
  space volumes with the caller's permissions);
- CloudWatch Logs, only for this domain's flow log group (encryption context).

The key policy is a separate resource (``aws_kms_key_policy``) so that the key
exists before the roles that the policy names, and ``key_arn`` is read
through that policy resource: everything encrypted with the key waits until
the key policy is in place (CloudWatch Logs, for one, checks it on create).
"""
from dataclasses import dataclass

import jsii
from constructs import Construct, IValidation
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.kms_key_policy import KmsKeyPolicy

from modules.account import StackContext
from modules.policy import Statement, document
from modules.tf import address, expr, local, quoted, string, string_list, template, Expression

# KMS waits this long before it deletes a key scheduled for deletion (the
# maximum): time to cancel when a retained EFS or bucket still needs it.
DELETION_WINDOW_DAYS = 30
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion", "kms:Create*", "kms:Delete*", "kms:Describe*", "kms:Disable*", "kms:Enable*",
    "kms:Get*", "kms:List*", "kms:Put*", "kms:Revoke*", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion",
    "kms:TagResource", "kms:UntagResource", "kms:Update*")
# Symmetric data keys only (GenerateDataKeyWithoutPlaintext: EBS and EFS); no key pairs.
CRYPTO_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
                  "kms:ReEncrypt*")
# DescribeKey carries no encryption context: it is left out where one is required.
KEY_USE_ACTIONS = CRYPTO_ACTIONS + ("kms:DescribeKey",)
GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
# Services that encrypt the domain's volumes with the key on the deployer's behalf.
STORAGE_SERVICES = ("sagemaker", "elasticfilesystem", "ec2")


@dataclass(frozen=True)
class PlatformKeyProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    """The domain name: the alias and the description."""


@dataclass(frozen=True)
class PlatformKeyPolicyProps:
    """Every field is an ``Expression`` (see ``modules.tf``)."""

    key_user_role_arns: Expression
    """List of the roles that use the key directly; nulls (roles not created) are dropped."""
    bucket_arn_pattern: str
    """ARN pattern (``arn:...:s3:::prefix-*``) of this domain's buckets: the S3 encryption context."""
    log_group_arns: Expression
    """List of the log groups whose events CloudWatch Logs encrypts with the key."""


def _statement(sid: str, principal: dict, actions, condition: dict = None) -> Statement:
    """A statement of the key policy: its resource is the key itself ("*" in a key policy)."""
    return Statement(sid, actions, "*", condition, principal=principal)


def key_policy_document(context, p: PlatformKeyPolicyProps, key_users: str) -> str:
    """The key policy (a JSON template Terraform fills in); ``context``: the stack's
    (``StackContext``: partition, account_id, region); ``key_users`` is the list
    expression of the roles that use the key (no nulls)."""
    root = {"AWS": f"arn:{context.partition}:iam::{context.account_id}:root"}
    users = {"AWS": string_list(key_users)}
    caller = {"kms:CallerAccount": context.account_id}
    return document(
        _statement("KeyAdministration", root, KEY_ADMIN_ACTIONS),
        _statement("PlatformRolesUseKey", users, KEY_USE_ACTIONS),
        _statement("PlatformRolesGrantToAwsResources", users, GRANT_ACTIONS,
                   {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
        _statement("AccountThroughS3ForDomainBuckets", root, CRYPTO_ACTIONS, {
            "StringEquals": {**caller, "kms:ViaService": f"s3.{context.region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": string(p.bucket_arn_pattern)}}),
        _statement("AccountThroughSageMakerStorage", root, KEY_USE_ACTIONS + ("kms:CreateGrant",), {
            "StringEquals": {**caller, "kms:ViaService": [f"{s}.{context.region}.amazonaws.com"
                                                          for s in STORAGE_SERVICES]}}),
        _statement("CloudWatchLogsForDomainLogGroups", {"Service": f"logs.{context.region}.amazonaws.com"},
                   CRYPTO_ACTIONS, {
                       "StringEquals": {"kms:EncryptionContext:aws:logs:arn": string_list(p.log_group_arns)}}))


class PlatformKey(Construct):
    """Exposes ``key_arn`` (available once the key policy is in place) and
    ``alias_name`` as expressions. Call :meth:`attach_policy` once the roles
    it names exist (synthesis fails otherwise)."""

    def __init__(self, scope: Construct, id: str, props: PlatformKeyProps) -> None:
        super().__init__(scope, id)
        description = quoted("SageMaker Studio domain {name}: EFS, volumes, buckets, EMR, logs", name=props.name)
        self._key = KmsKey(
            self, "key", description=description,
            enable_key_rotation=True, deletion_window_in_days=DELETION_WINDOW_DAYS,
            tags={"Name": expr(props.name)})
        alias = KmsAlias(self, "alias", name=quoted("alias/sagemaker-studio/{name}", name=props.name),
                         target_key_id=self._key.key_id)
        self.alias_name = alias.name
        self.key_arn = "local.encryption_key_arn"
        self._policy = None
        self.node.add_validation(_PolicyAttached(self))

    def attach_policy(self, props: PlatformKeyPolicyProps) -> None:
        if self._policy is not None:
            raise RuntimeError("the key policy is attached once")
        key_users = local(self, "encryption_key_users", template("compact({users})", users=props.key_user_role_arns))
        text = key_policy_document(StackContext.of(self), props, key_users)
        # The key id, not its ARN: the provider reads the id back (an ARN here is a perpetual diff).
        self._policy = KmsKeyPolicy(self, "policy", key_id=self._key.key_id, policy=text)
        # The key's ARN, read only once the key policy is in place: naming the
        # policy resource makes every consumer wait for it (its own key_id
        # attribute holds the key id, not the ARN, after apply).
        local(self, "encryption_key_arn",
              f"{address(self._policy)}.key_id != null ? {address(self._key)}.arn : null")


@jsii.implements(IValidation)
class _PolicyAttached:
    """Fails synthesis when the key policy was never attached."""

    def __init__(self, key: PlatformKey) -> None:
        self._key = key

    def validate(self):
        if self._key._policy is None:
            return [f"{self._key.node.path}: attach_policy() was never called: the key has no key policy "
                    "and local.encryption_key_arn is undefined"]
        return []

