"""moto's S3Response, telling the bucket policy who asks, for what, and how.

For each object request (and DeleteObjects) it publishes a
:class:`policy.Request` in ``models.current_request`` for moto's own
``bucket.get_permission`` call, and turns a denial into S3's AccessDenied
error (moto itself answers a bare 403 with no body). Lifecycle
configurations also keep their transition default: PutBucketLifecycleConfiguration
stores the ``x-amz-transition-default-minimum-object-size`` request header and
answers with it, GetBucketLifecycleConfiguration returns the stored one (moto
drops the header and always reports ``all_storage_classes_128K``). Everything
else is moto's.

Context keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html;
S3's: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
* ``aws:SecureTransport``: "true" only if this request came over TLS (the
  WSGI scheme, which werkzeug sets from the socket, never from a header);
* ``aws:SourceIp``, ``aws:CurrentTime``, ``aws:EpochTime``, ``aws:UserAgent``,
  ``aws:Referer``; for a signed request ``aws:PrincipalAccount`` /
  ``aws:PrincipalArn`` (moto's caller: the account's root);
* for uploads (s3:PutObject: PutObject, CopyObject, CreateMultipartUpload,
  UploadPart) the ``s3:x-amz-*`` keys from the request's own headers, e.g.
  ``s3:x-amz-server-side-encryption``. A header not sent is a key not present
  (so ``Null`` is true): S3 evaluates the request, not the bucket's default
  encryption that it applies afterwards.
* ``aws:SourceArn`` / ``aws:SourceAccount`` are never present: AWS sets them
  only when a service calls on behalf of a resource, not for an account's callers.
"""
from __future__ import annotations

import datetime
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from moto.iam.access_control import PermissionResult
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.responses import S3Response
from moto.utilities.utils import get_partition

from scripts.moto_ext.s3 import policy
from scripts.moto_ext.s3.models import current_request

# Request headers that S3 exposes as condition keys of s3:PutObject
# (service authorization reference above; key = "s3:" + header name).
UPLOAD_HEADER_KEYS = (
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-acl",
    "x-amz-grant-full-control",
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-storage-class",
    "x-amz-website-redirect-location",
    "x-amz-content-sha256",
)

# Request and response header of Put/GetBucketLifecycleConfiguration
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html,
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html).
TRANSITION_DEFAULT_HEADER = "x-amz-transition-default-minimum-object-size"

# (method, sub-resource in the query) -> IAM action of an object request, per
# "Required permissions for Amazon S3 API operations"
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations.html, each
# operation's Permissions section). First match wins; "" matches any query.
_OBJECT_ACTIONS = (
    ("GET", "uploadId", "s3:ListMultipartUploadParts"),
    ("GET", "acl", "s3:GetObjectAcl"),
    ("GET", "tagging", "s3:GetObjectTagging"),
    ("GET", "retention", "s3:GetObjectRetention"),
    ("GET", "legal-hold", "s3:GetObjectLegalHold"),
    ("GET", "versionId", "s3:GetObjectVersion"),
    ("GET", "", "s3:GetObject"),
    ("PUT", "acl", "s3:PutObjectAcl"),
    ("PUT", "tagging", "s3:PutObjectTagging"),
    ("PUT", "retention", "s3:PutObjectRetention"),
    ("PUT", "legal-hold", "s3:PutObjectLegalHold"),
    ("PUT", "", "s3:PutObject"),  # PutObject, CopyObject, UploadPart(Copy)
    ("POST", "restore", "s3:RestoreObject"),
    ("POST", "select", "s3:GetObject"),
    ("POST", "", "s3:PutObject"),  # Create/CompleteMultipartUpload
    ("DELETE", "uploadId", "s3:AbortMultipartUpload"),
    ("DELETE", "tagging", "s3:DeleteObjectTagging"),
    ("DELETE", "versionId", "s3:DeleteObjectVersion"),
    ("DELETE", "", "s3:DeleteObject"),
)


# The bucket requests whose policy check moto skips entirely and we add: the
# common reads and the delete, so that e.g. a TLS-only Deny on the bucket ARN
# refuses a plain-HTTP ListObjects as S3 does. Other bucket sub-resources stay
# unchecked, as in moto. (HeadBucket needs s3:ListBucket.)
_BUCKET_ACTIONS = {
    ("GET", ""): "s3:ListBucket",
    ("HEAD", ""): "s3:ListBucket",
    ("GET", "list-type"): "s3:ListBucket",
    ("GET", "versions"): "s3:ListBucketVersions",
    ("GET", "uploads"): "s3:ListBucketMultipartUploads",
    ("DELETE", ""): "s3:DeleteBucket",
}

# Query parameters of ListObjects(V2) that are not sub-resources.
_LIST_PARAMETERS = {"prefix", "delimiter", "marker", "max-keys", "encoding-type", "continuation-token",
                    "fetch-owner", "start-after", "x-id"}


def bucket_action(method: str, query: dict) -> str | None:
    """The IAM action of a bucket request we check, or None (left to moto)."""
    subresources = [k for k in query if k not in _LIST_PARAMETERS]
    if len(subresources) > 1:
        return None
    return _BUCKET_ACTIONS.get((method, subresources[0] if subresources else ""))


def object_action(method: str, query: dict) -> str | None:
    """The IAM action of an object request; None where we have no mapping (moto's guess stays)."""
    method = "GET" if method == "HEAD" else method  # HeadObject needs s3:GetObject
    for m, sub, action in _OBJECT_ACTIONS:
        if m == method and (not sub or sub in query):
            return action
    return None


class PolicyS3Response(S3Response):
    # -- the request's context -------------------------------------------
    def _is_signed(self, request: Any, query: dict) -> bool:
        return "Authorization" in request.headers or "X-Amz-Credential" in query or "Signature" in query

    def _policy_request(self, request: Any, full_url: str, action: str | None) -> policy.Request:
        query = parse_qs(urlsplit(full_url).query, keep_blank_values=True)
        scheme = getattr(request, "scheme", None) or urlsplit(full_url).scheme
        now = datetime.datetime.now(datetime.timezone.utc)
        keys: dict[str, list[str]] = {
            "aws:securetransport": ["true" if scheme == "https" else "false"],
            "aws:currenttime": [now.strftime("%Y-%m-%dT%H:%M:%SZ")],
            "aws:epochtime": [str(int(time.time()))],
        }
        remote = getattr(request, "remote_addr", None)
        if remote:
            keys["aws:sourceip"] = [remote]
        for header, key in (("User-Agent", "aws:useragent"), ("Referer", "aws:referer")):
            if request.headers.get(header):
                keys[key] = [request.headers[header]]
        caller = policy.Caller()
        if self._is_signed(request, query):
            partition = get_partition(self.region)
            arn = f"arn:{partition}:iam::{self.current_account}:root"
            caller = policy.Caller(account_id=self.current_account, arn=arn)
            keys["aws:principalaccount"], keys["aws:principalarn"] = [self.current_account], [arn]
        if action == "s3:PutObject":
            for header in UPLOAD_HEADER_KEYS:
                value = request.headers.get(header)
                if value is not None:
                    keys[f"s3:{header}"] = [value]
        return policy.Request(action=action or "", resource="", caller=caller, keys=keys)

    # -- where moto consults the bucket policy ----------------------------
    def _key_response(self, request: Any, full_url: str) -> Any:
        query = parse_qs(urlsplit(full_url).query, keep_blank_values=True)
        action = object_action(request.method, query)
        token = current_request.set(self._policy_request(request, full_url, action))
        try:
            self._deny_as_s3_does(request, full_url, key_name=self.parse_key_name())
            return super()._key_response(request, full_url)
        finally:
            current_request.reset(token)

    def _bucket_response(self, request: Any, full_url: str) -> Any:
        # DeleteObjects reaches moto's get_permission from here (per key, as
        # "s3:DeleteObject", action None below); the few bucket actions we
        # check are in _BUCKET_ACTIONS.
        query = parse_qs(urlsplit(full_url).query, keep_blank_values=True)
        action = bucket_action(request.method, query)
        token = current_request.set(self._policy_request(request, full_url, action))
        try:
            if action:
                self._deny_as_s3_does(request, full_url, key_name=None)
            return super()._bucket_response(request, full_url)
        finally:
            current_request.reset(token)

    def _deny_as_s3_does(self, request: Any, full_url: str, key_name: str | None) -> None:
        """moto answers a policy denial with a bare 403; S3 sends an AccessDenied
        error document (HEAD: status only), which SDKs and Terraform report by code."""
        bucket_name = self.parse_bucket_name_from_url(request, full_url)
        bucket = self.backend.buckets.get(bucket_name) if bucket_name else None
        if bucket is None or bucket.policy is None:
            return
        resource = f"arn:{bucket.partition}:s3:::{bucket_name}" + (f"/{key_name}" if key_name is not None else "")
        if bucket.get_permission(f"s3:{request.method.title()}Object", resource) == PermissionResult.DENIED:
            raise S3AccessDeniedError()

    # -- lifecycle: the transition default travels with the rules ------------
    def _bucket_response_put(self, request: Any, bucket_name: str, querystring: dict) -> Any:
        # moto parses and stores the rules (or refuses them) and answers a bare
        # 200; S3's response carries the transition default the configuration now
        # has (API_PutBucketLifecycleConfiguration.html, Response Syntax).
        response = super()._bucket_response_put(request, bucket_name, querystring)
        if "lifecycle" not in querystring or response != "":
            return response
        value = self.backend.put_bucket_lifecycle_transition_default(
            bucket_name, request.headers.get(TRANSITION_DEFAULT_HEADER))
        return 200, {TRANSITION_DEFAULT_HEADER: value}, ""

    def get_bucket_lifecycle(self) -> Any:
        # moto writes all_storage_classes_128K whatever was put; S3 returns the
        # configuration's own (API_GetBucketLifecycleConfiguration.html, Response Syntax).
        status, headers, body = super().get_bucket_lifecycle()
        headers = {k: v for k, v in headers.items() if k.lower() != TRANSITION_DEFAULT_HEADER}
        headers[TRANSITION_DEFAULT_HEADER] = self.backend.get_bucket_lifecycle_transition_default(self.bucket_name)
        return status, headers, body
