"""scripts/moto_ext/s3: bucket-policy conditions evaluated as AWS documents them,
and lifecycle configurations answered with their own transition default.

Two servers of our moto (``python -m scripts.moto_ext``) for this module: one
over TLS with a certificate from scripts/moto_ext/tls.py (aws:SecureTransport
true) and one over plain HTTP (false); boto3 only. The policies are those of
modules/storage.py, written out with fixed ARNs.
"""
from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError

from scripts.emulator import HOST, free_loopback_port
from scripts.moto_ext import tls
from scripts.moto_ext.s3 import policy
from scripts.repo import REPO_ROOT

pytestmark = pytest.mark.emulator

ACCOUNT = "123456789012"  # moto's default account


# -- servers ------------------------------------------------------------------

def _spawn(port: int, log: Path, tls_files: tuple[Path, Path] | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    args = [sys.executable, "-m", "scripts.moto_ext", "-H", HOST, "-p", str(port)]
    if tls_files:
        args += ["--ssl", "-c", str(tls_files[0]), "-k", str(tls_files[1])]
    with open(log, "w") as fh:
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                env=env, cwd=str(log.parent))


def _wait(url: str, proc: subprocess.Popen, log: Path, context: ssl.SSLContext | None) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"moto server exited ({proc.returncode}):\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with opener.open(f"{url}/moto-api/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto server at {url} did not answer:\n{log.read_text()[-3000:]}", pytrace=False)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """{"https": (url, cert), "http": (url, None)}: both started at once, stopped at the end."""
    tmp = tmp_path_factory.mktemp("moto_ext_s3")
    cert, key = tls.ensure_certificate(tmp / "tls")
    https_port, http_port = free_loopback_port(), free_loopback_port()
    procs = {"https": _spawn(https_port, tmp / "https.log", (cert, key)),
             "http": _spawn(http_port, tmp / "http.log", None)}
    urls = {"https": f"https://{HOST}:{https_port}", "http": f"http://{HOST}:{http_port}"}
    try:
        _wait(urls["https"], procs["https"], tmp / "https.log", ssl.create_default_context(cafile=str(cert)))
        _wait(urls["http"], procs["http"], tmp / "http.log", None)
        yield {"https": (urls["https"], str(cert)), "http": (urls["http"], None)}
    finally:
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _client(service: str, url: str, verify):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", verify=verify,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def _code(call) -> str:
    with pytest.raises(ClientError) as exc:
        call()
    return exc.value.response["Error"]["Code"]


# -- the policies of modules/storage.py -------------------------------------

def _tls_and_encryption(bucket: str, encryption: str, key_arn: str | None = None) -> list[dict]:
    arn = f"arn:aws:s3:::{bucket}"
    statements = [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyOtherEncryption", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"{arn}/*", "Condition": {
             "StringNotEquals": {"s3:x-amz-server-side-encryption": encryption},
             "Null": {"s3:x-amz-server-side-encryption": "false"}}},
    ]
    if key_arn:
        statements.append(
            {"Sid": "DenyOtherKmsKeys", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"{arn}/*", "Condition": {
                 "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
                 "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"}}})
    return statements


def _logs_policy(logs: str, sources: list[str]) -> dict:
    delivery = {"Sid": "AllowServerAccessLogDelivery", "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{logs}/*",
                "Condition": {"ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::{s}" for s in sources]},
                              "StringEquals": {"aws:SourceAccount": ACCOUNT}}}
    return {"Version": "2012-10-17", "Statement": _tls_and_encryption(logs, "AES256") + [delivery]}


def _kms_bucket(s3, kms, name: str) -> str:
    """A bucket with SSE-KMS by default and the stack's policy; returns the key ARN."""
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
        "BucketKeyEnabled": True}]})
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": _tls_and_encryption(name, "aws:kms", key_arn)}))
    return key_arn


# -- over TLS ------------------------------------------------------------------

def test_uploads_over_tls_follow_the_sse_kms_policy(servers):
    url, cert = servers["https"]
    s3, kms = _client("s3", url, cert), _client("kms", url, cert)
    key_arn = _kms_bucket(s3, kms, "tls-data")
    # No SSE header: the keys are absent, Null "false" is unmet, no Deny applies;
    # S3 then encrypts with the bucket default (AWS evaluates the request).
    s3.put_object(Bucket="tls-data", Key="default", Body=b"x")
    s3.put_object(Bucket="tls-data", Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert s3.get_object(Bucket="tls-data", Key="default")["Body"].read() == b"x"
    assert s3.head_object(Bucket="tls-data", Key="kms")["ServerSideEncryption"] == "aws:kms"
    assert s3.list_objects_v2(Bucket="tls-data")["KeyCount"] == 2

    other_key = kms.create_key()["KeyMetadata"]["Arn"]
    assert _code(lambda: s3.put_object(Bucket="tls-data", Key="aes", Body=b"x",
                                       ServerSideEncryption="AES256")) == "AccessDenied"
    assert _code(lambda: s3.put_object(Bucket="tls-data", Key="other", Body=b"x", ServerSideEncryption="aws:kms",
                                       SSEKMSKeyId=other_key)) == "AccessDenied"
    # CopyObject and CreateMultipartUpload are s3:PutObject with the same headers.
    assert _code(lambda: s3.copy_object(Bucket="tls-data", Key="copy", CopySource="tls-data/default",
                                        ServerSideEncryption="AES256")) == "AccessDenied"
    assert _code(lambda: s3.create_multipart_upload(Bucket="tls-data", Key="mpu",
                                                    ServerSideEncryption="AES256")) == "AccessDenied"
    s3.copy_object(Bucket="tls-data", Key="copy", CopySource="tls-data/default")
    s3.create_multipart_upload(Bucket="tls-data", Key="mpu", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)


def test_a_negated_operator_without_null_denies_uploads_that_send_no_header(servers):
    # "If the policy condition requires that the key is not matched, such as
    # StringNotLike or ArnNotLike, and the right key is not present, the
    # condition is true": why storage.py pairs StringNotEquals with Null.
    url, cert = servers["https"]
    s3 = _client("s3", url, cert)
    s3.create_bucket(Bucket="tls-strict")
    s3.put_bucket_policy(Bucket="tls-strict", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::tls-strict/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}))
    assert _code(lambda: s3.put_object(Bucket="tls-strict", Key="k", Body=b"x")) == "AccessDenied"
    s3.put_object(Bucket="tls-strict", Key="k", Body=b"x", ServerSideEncryption="AES256")


def test_logging_is_accepted_when_the_target_policy_admits_the_logging_service(servers):
    url, cert = servers["https"]
    s3 = _client("s3", url, cert)
    for name in ("log-src-a", "log-src-b", "log-other", "log-target"):
        s3.create_bucket(Bucket=name)
    # As the stack renders it: a "Principal": "*" Deny first (moto's own check fails on it).
    s3.put_bucket_policy(Bucket="log-target", Policy=json.dumps(_logs_policy("log-target", ["log-src-a", "log-src-b"])))
    s3.put_bucket_logging(Bucket="log-src-a", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "log-target", "TargetPrefix": "a/"}})
    assert s3.get_bucket_logging(Bucket="log-src-a")["LoggingEnabled"]["TargetPrefix"] == "a/"
    # aws:SourceArn of another bucket does not match the ArnLike list.
    assert _code(lambda: s3.put_bucket_logging(Bucket="log-other", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "log-target", "TargetPrefix": "o/"}})) == "InvalidTargetBucketForLogging"


def test_a_policy_with_an_operator_aws_does_not_have_is_refused(servers):
    url, cert = servers["https"]
    s3 = _client("s3", url, cert)
    s3.create_bucket(Bucket="tls-malformed")
    bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
           "Resource": "arn:aws:s3:::tls-malformed/*", "Condition": {"StringEqualz": {"aws:SecureTransport": "x"}}}]}
    assert _code(lambda: s3.put_bucket_policy(Bucket="tls-malformed", Policy=json.dumps(bad))) == "MalformedPolicy"
    assert _code(lambda: s3.get_bucket_policy(Bucket="tls-malformed")) == "NoSuchBucketPolicy"


def test_the_certificate_is_really_checked(servers):
    url, _ = servers["https"]
    with pytest.raises(SSLError):
        _client("s3", url, True).list_buckets()


# -- lifecycle configurations ---------------------------------------------------

# The rules of modules/storage.py as hashicorp/aws 5.100.0 sends them (an empty
# `filter {}` goes as a Filter with an empty Prefix).
_LIFECYCLE_RULES = [
    {"ID": "old-versions-and-incomplete-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
    {"ID": "expire-logs-emr-logs", "Status": "Enabled", "Filter": {"Prefix": "emr/logs/"},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}, "Expiration": {"Days": 30}},
]


def test_lifecycle_keeps_its_transition_default_and_answers_with_it(servers):
    # API_PutBucketLifecycleConfiguration.html / API_GetBucketLifecycleConfiguration.html:
    # x-amz-transition-default-minimum-object-size is a request header of the PUT and a
    # response header of both; without it S3 applies all_storage_classes_128K. The
    # provider waits until GET returns the rules and the value it put, so a GET
    # that reports another value makes it time out (3 min) instead of finishing.
    url, cert = servers["https"]
    s3 = _client("s3", url, cert)
    s3.create_bucket(Bucket="tls-lifecycle")
    put = s3.put_bucket_lifecycle_configuration(
        Bucket="tls-lifecycle", LifecycleConfiguration={"Rules": _LIFECYCLE_RULES},
        TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    assert put["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    got = s3.get_bucket_lifecycle_configuration(Bucket="tls-lifecycle")
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    assert sorted(got["Rules"], key=lambda r: r["ID"]) == sorted(_LIFECYCLE_RULES, key=lambda r: r["ID"])

    # A PUT replaces the whole configuration: no header, the default again.
    put = s3.put_bucket_lifecycle_configuration(
        Bucket="tls-lifecycle", LifecycleConfiguration={"Rules": _LIFECYCLE_RULES[:1]})
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket="tls-lifecycle")
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    assert got["Rules"] == _LIFECYCLE_RULES[:1]

    s3.delete_bucket_lifecycle(Bucket="tls-lifecycle")
    assert _code(lambda: s3.get_bucket_lifecycle_configuration(Bucket="tls-lifecycle")) == \
        "NoSuchLifecycleConfiguration"


# -- over plain HTTP -------------------------------------------------------------

def test_plain_http_is_denied_by_the_tls_only_statement(servers):
    url, _ = servers["http"]
    s3, kms = _client("s3", url, None), _client("kms", url, None)
    key_arn = _kms_bucket(s3, kms, "http-data")
    assert _code(lambda: s3.put_object(Bucket="http-data", Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                                       SSEKMSKeyId=key_arn)) == "AccessDenied"
    assert _code(lambda: s3.get_object(Bucket="http-data", Key="k")) == "AccessDenied"
    assert _code(lambda: s3.list_objects_v2(Bucket="http-data")) == "AccessDenied"
    errors = s3.delete_objects(Bucket="http-data", Delete={"Objects": [{"Key": "k"}]}).get("Errors", [])
    assert [e["Code"] for e in errors] == ["AccessDenied"]


# -- the evaluator, per the condition-operators page ---------------------------

@pytest.mark.parametrize("operator, wanted, present, expected", [
    ("StringEquals", "a", None, False),  # a missing key: false ...
    ("StringNotEquals", "a", None, True),  # ... except for a negated operator
    ("ArnNotLike", "arn:aws:s3:::b", None, True),
    ("StringNotEqualsIfExists", "a", None, True),
    ("StringEqualsIfExists", "a", ["b"], False),
    ("Null", "true", None, True),
    ("Null", "false", None, False),
    ("Null", "false", ["x"], True),
    ("Bool", "false", ["false"], True),
    ("Bool", False, ["true"], False),
    ("StringLike", "ab*c?", ["abXXcd"], True),
    ("StringNotEquals", ["a", "b"], ["b"], False),  # negated: must match none of the values
    ("ArnLike", "arn:aws:s3:::bucket-*", ["arn:aws:s3:::bucket-data"], True),
    ("ArnLike", "arn:aws:s3:::bucket-*", ["arn:aws:s3:::other"], False),
    ("NumericLessThan", "10", ["9"], True),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", ["2026-11-29T00:00:00Z"], True),
    ("IpAddress", "127.0.0.0/8", ["127.0.0.1"], True),
    ("NotIpAddress", "10.0.0.0/8", ["127.0.0.1"], True),
    ("ForAllValues:StringEquals", "a", None, True),
    ("ForAnyValue:StringEquals", "a", None, False),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAnyValue:StringEquals", ["a", "b"], ["a", "c"], True),
])
def test_condition_operators(operator, wanted, present, expected):
    assert policy.condition_holds(operator, wanted, present) is expected


@pytest.mark.parametrize("operator", ["StringEqualz", "NullIfExists", "Foo:StringEquals", "IfExists"])
def test_unknown_operators_are_invalid(operator):
    with pytest.raises(ValueError):
        policy.parse_operator(operator)


def test_certificate_is_made_once_and_reused(tmp_path):
    first = tls.ensure_certificate(tmp_path)
    mtimes = [p.stat().st_mtime_ns for p in first]
    assert tls.ensure_certificate(tmp_path) == first
    assert [p.stat().st_mtime_ns for p in first] == mtimes
    assert oct(first[1].stat().st_mode & 0o777) == "0o600"


def _first_pair(directory, start, out) -> None:
    """In a child: waits for ``start``, makes (or finds) the certificate and records the pair it got,
    as its server would load it."""
    start.wait()
    cert, key = tls.ensure_certificate(directory)
    out.put((cert.read_bytes(), key.read_bytes()))


def test_servers_started_at_once_all_get_the_certificate_their_clients_trust(tmp_path):
    """Workers that start emulators at the same moment in a fresh clone each ask for the certificate.
    Each must get the pair that stays on disk (the one every client trusts): two of them once made a
    pair each, and the server of the first served a certificate that the second had replaced on disk,
    so that every client refused it (TLSV1_ALERT_UNKNOWN_CA) until its start timed out."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    children = [context.Process(target=_first_pair, args=(tmp_path, start, out)) for _ in range(8)]
    for child in children:
        child.start()
    start.set()
    pairs = [out.get(timeout=60) for _ in children]
    for child in children:
        child.join(10)
    on_disk = ((tmp_path / tls.CERT_FILE).read_bytes(), (tmp_path / tls.KEY_FILE).read_bytes())
    assert all(pair == on_disk for pair in pairs), f"{sum(pair != on_disk for pair in pairs)} of 8 got another pair"
