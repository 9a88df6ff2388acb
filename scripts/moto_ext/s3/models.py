"""moto's S3 backend with bucket policies evaluated as AWS does (see policy.py).

* :class:`PolicyBucket` answers moto's ``get_permission(action, resource)``
  with :func:`policy.evaluate` and the context keys of the request being
  answered, and checks a logging target's policy by evaluating it for the
  S3 logging service.
* :class:`PolicyS3Backend` makes its buckets PolicyBuckets and refuses, as
  MalformedPolicy, a policy with a condition operator AWS does not have. It
  also keeps a lifecycle configuration's transition default (the
  ``x-amz-transition-default-minimum-object-size`` header of
  PutBucketLifecycleConfiguration), which moto drops and always reports as
  ``all_storage_classes_128K``.
"""
from __future__ import annotations

import dataclasses
import importlib
from contextvars import ContextVar
from typing import Any

from moto.iam.access_control import PermissionResult
from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeBucket, S3Backend, s3_backends  # noqa: F401  (the one moto uses: see __init__)
from moto.s3.utils import LOGGING_SERVICE_PRINCIPAL

from scripts.moto_ext.s3 import policy

# The request being answered. moto calls ``bucket.get_permission(action,
# resource)`` deep inside its S3Response, with nothing about the request; our
# response (responses.py) puts the request's caller, context keys and IAM action
# here for its duration. A ContextVar, not an attribute: moto's server answers
# requests on several threads at once, and each thread sees only its own value.
current_request: ContextVar[policy.Request | None] = ContextVar("moto_ext_s3_request", default=None)

# What S3 applies when PutBucketLifecycleConfiguration sends no
# x-amz-transition-default-minimum-object-size header (the other value is
# varies_by_storage_class): see put_bucket_lifecycle_transition_default.
DEFAULT_TRANSITION_DEFAULT = "all_storage_classes_128K"

# A log object's key as S3 names it (TargetPrefix + date-time + unique string):
# the resource a logging target's policy must admit.
_SAMPLE_LOG_OBJECT = "2026-01-01-00-00-00-0123456789ABCDEF"


class MalformedPolicy(S3ClientError):
    """PutBucketPolicy's error for a policy that does not follow the grammar
    (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html: MalformedPolicy, 400)."""

    code = "MalformedPolicy"

    def __init__(self, message: str) -> None:
        super().__init__("MalformedPolicy", message)


class PolicyBucket(FakeBucket):
    """A FakeBucket whose policy conditions count. No state of its own, so that
    moto can make it as a FakeBucket and the backend re-class it (see create_bucket)."""

    def get_permission(self, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        # Outside an HTTP request (no context): an anonymous caller with no keys,
        # so only unconditional and negated/absent-key statements apply.
        template = current_request.get() or policy.Request(action="", resource="")
        # The response knows the precise IAM action (HEAD is s3:GetObject,
        # CreateMultipartUpload s3:PutObject, ...); moto's own guess
        # ("s3:HeadObject", "s3:PostObject") is kept only where it gave none.
        request = dataclasses.replace(template, action=template.action or action, resource=resource)
        return policy.evaluate(self.policy, request)

    def _log_permissions_enabled_policy(self, target_bucket: FakeBucket, target_prefix: str | None) -> bool:
        """Replaces moto's check (a staticmethod that reads statements by hand:
        it demands ``Principal`` be an object, so a TLS-only ``"Principal": "*"``
        Deny in the same policy makes it fail, and it ignores conditions and
        Deny). Here: would the target's policy let the logging service put this
        bucket's log objects, with the keys AWS's log delivery sends
        (aws:SourceArn/aws:SourceAccount of the source bucket, over TLS)? See
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
        """
        if not target_bucket.policy:
            return False
        request = policy.Request(
            action="s3:PutObject",
            resource=(f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/"
                      f"{target_prefix or ''}{_SAMPLE_LOG_OBJECT}"),
            caller=policy.Caller(service=LOGGING_SERVICE_PRINCIPAL),
            keys={"aws:sourcearn": [self.arn], "aws:sourceaccount": [self.account_id],
                  "aws:securetransport": ["true"]},
        )
        return policy.evaluate(target_bucket.policy, request) == PermissionResult.PERMITTED


class PolicyS3Backend(S3Backend):
    @property
    def _url_module(self) -> Any:
        # moto's S3Backend overrides BaseBackend's lookup with ``moto.s3.urls``
        # (reloaded, as its url_bases depend on the environment): ours instead.
        import scripts.moto_ext.s3.urls as urls

        return importlib.reload(urls)

    def create_bucket(self, bucket_name: str, region_name: str, bucket_namespace: str | None = None) -> FakeBucket:
        bucket = super().create_bucket(bucket_name, region_name, bucket_namespace)
        # moto's create_bucket builds a FakeBucket by name (and registers it,
        # sends its event); re-classing the new object to a state-free subclass
        # keeps all of that instead of copying it.
        if type(bucket) is FakeBucket:
            bucket.__class__ = PolicyBucket
        return bucket

    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html and the
    # MalformedPolicy code of https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html:
    # a policy that is not valid policy grammar (an unknown condition operator) is refused, not stored.
    def put_bucket_policy(self, bucket_name: str, policy_document: bytes) -> None:
        self.get_bucket(bucket_name)  # NoSuchBucket before MalformedPolicy
        try:
            policy.validate(policy_document)
        except ValueError as exc:
            raise MalformedPolicy(str(exc)) from None
        super().put_bucket_policy(bucket_name, policy_document)

    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html:
    # a PUT replaces the whole configuration, its transition default included (the
    # request header, or all_storage_classes_128K when it is not sent); the PUT's
    # response and GetBucketLifecycleConfiguration
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html)
    # return it in the same header. Kept on the bucket beside moto's rules.
    def put_bucket_lifecycle_transition_default(self, bucket_name: str, value: str | None) -> str:
        bucket = self.get_bucket(bucket_name)
        bucket.transition_default_minimum_object_size = value or DEFAULT_TRANSITION_DEFAULT
        return bucket.transition_default_minimum_object_size

    def get_bucket_lifecycle_transition_default(self, bucket_name: str) -> str:
        return getattr(self.get_bucket(bucket_name), "transition_default_minimum_object_size",
                       DEFAULT_TRANSITION_DEFAULT)
