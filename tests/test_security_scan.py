"""The scanners' verdicts on the platform, and the guardrails asserted on the plans.

checkov runs once per target per session, the targets in parallel: the
synthesized ``cdk.tf.json``, the ``dev`` plan (``terraform show -json``), the
rendered product templates, and deliberately broken copies of them (proof that
the platform's own template checks can fail). parliament lints every policy
document. See ``scripts/security_scan/`` for how skips and placeholders work.
"""
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts import security_scan as scan
from terraform_runs import by_type
from test_emr_templates import SAMPLE_VARS, TEMPLATES, render

BOUNDARY = "arn:aws:iam::123456789012:policy/platform-boundary"


@pytest.fixture(scope="module")
def rendered_templates(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    for template in TEMPLATES:
        (out / template.name).write_text(render(template.read_text(encoding="utf-8"), SAMPLE_VARS))
    return out


@pytest.fixture(scope="module")
def broken_templates(tmp_path_factory) -> Path:
    """Copies of the product template without the security configuration, and
    without auto-termination: the platform's checks must fail them."""
    out = tmp_path_factory.mktemp("broken")
    source = render((TEMPLATES[0]).read_text(encoding="utf-8"), SAMPLE_VARS)
    cuts = {"no-security-configuration": r"^\s*SecurityConfiguration:.*\n",
            "no-auto-termination": r"^\s*AutoTerminationPolicy:\n\s*IdleTimeout:.*\n"}
    for name, pattern in cuts.items():
        broken, count = re.subn(pattern, "", source, flags=re.MULTILINE)
        assert count == 1, f"{pattern!r} matched {count} times; fix the negative test"
        (out / f"{name}.yaml").write_text(broken)
    return out


@pytest.fixture(scope="module")
def checkov(stack, plans, rendered_templates, broken_templates, tmp_path_factory):
    """checkov's results per target, all targets at once."""
    work = tmp_path_factory.mktemp("checkov")
    jobs = {
        "cdk.tf.json": lambda: scan.scan_stack(stack.config, work),
        "plan": lambda: scan.scan_plan(plans["dev"], stack.config, work, "dev"),
        "emr_templates": lambda: scan.scan_templates(rendered_templates),
        "broken_templates": lambda: scan.scan_templates(broken_templates),
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


# -- checkov ----------------------------------------------------------------------
@pytest.mark.parametrize("target, at_least", [("cdk.tf.json", 150), ("plan", 150), ("emr_templates", 2)])
def test_checkov_finds_no_failed_check(checkov, target, at_least):
    result = checkov[target]
    assert result.failed == [], "\n".join(f"{c} {r}: {n}" for c, r, n in result.failed)
    # Not vacuous: checkov parsed the target and ran its checks.
    assert len(result.passed) >= at_least, result.counts()


def test_every_declared_skip_is_still_needed(checkov, stack):
    targets = [checkov[t] for t in ("cdk.tf.json", "plan", "emr_templates")]
    stale = scan.stale_skips(targets, scan.declared_skips(stack.config), scan._addresses(stack.config))
    assert stale == [], f"skips that no scan needs any more (remove them): {stale}"


def test_skips_are_only_those_with_reasons_beside_the_resource(checkov, stack):
    declared = scan.declared_skips(stack.config)
    for target in ("cdk.tf.json", "plan"):
        for check, resource, reason in checkov[target].skipped:
            address = scan._address(resource, scan._addresses(stack.config))
            assert declared[address][check].reason == reason
            assert len(reason) > 40, (check, resource)


def test_platform_template_checks_catch_a_cluster_without_the_guardrails(checkov):
    failed = {(check, Path(resource).name if "/" in resource else resource)
              for check, resource, _ in checkov["broken_templates"].failed}
    assert {c for c, _ in failed} == {"CKV_SMEMR_1", "CKV_SMEMR_2"}, failed
    assert len(checkov["broken_templates"].failed) == 2  # each copy misses exactly one guardrail


def test_apply_skips_moves_only_declared_failures_of_the_matching_scan():
    skips = {"aws_s3_bucket.b": {
        "CKV_1": scan.Skip("aws_s3_bucket.b", "CKV_1", "a reason long enough to count"),
        "CKV_2": scan.Skip("aws_s3_bucket.b", "CKV_2", "only the plan cannot see it", only="plan")}}
    report = {"results": {"passed_checks": [], "failed_checks": [
        {"check_id": "CKV_1", "resource": "aws_s3_bucket.b[0]", "check_name": "one"},
        {"check_id": "CKV_2", "resource": "aws_s3_bucket.b", "check_name": "two"},
        {"check_id": "CKV_1", "resource": "aws_s3_bucket.other", "check_name": "one"},
    ]}, "summary": {"resource_count": 2}}
    plan = scan.apply_skips("plan", [report], skips, ["aws_s3_bucket.b", "aws_s3_bucket.other"])
    assert [c for c, _, _ in plan.skipped] == ["CKV_1", "CKV_2"]
    assert plan.failed == [("CKV_1", "aws_s3_bucket.other", "one")]
    stack = scan.apply_skips("cdk.tf.json", [report], skips, ["aws_s3_bucket.b", "aws_s3_bucket.other"])
    assert [c for c, _, _ in stack.failed] == ["CKV_2", "CKV_1"]
    assert scan.stale_skips([stack], skips, ["aws_s3_bucket.b"]) == []
    assert scan.stale_skips([scan.CheckovResult("cdk.tf.json")], skips, []) == [("aws_s3_bucket.b", "CKV_1")]


def test_scanner_runs_offline():
    env = scan.offline_env({"PATH": "/usr/bin", "BC_API_KEY": "secret"})
    assert env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == "http://127.0.0.1:9"
    assert "BC_API_KEY" not in env


# -- parliament -------------------------------------------------------------------
@pytest.fixture(scope="module")
def policy_documents(stack, plans):
    return scan.policy_documents(stack.config, plans["dev"])


def test_every_policy_document_of_the_stack_is_linted(policy_documents, stack):
    expected = {f"{t}.{n}" for t, argument in scan.POLICY_ARGUMENTS.items()
                for n, body in stack.config["resource"].get(t, {}).items() if isinstance(body.get(argument), str)}
    linted = {d.label.split(" ", 1)[0] for d in policy_documents}
    assert linted == expected
    kinds = {address.split(".", 1)[0] for address in linted}
    assert kinds == {"aws_iam_role", "aws_iam_role_policy", "aws_iam_policy", "aws_s3_bucket_policy",
                     "aws_kms_key_policy", "aws_vpc_endpoint"}
    assert any(d.label.endswith("(plan)") for d in policy_documents)  # trust policies are known at plan time
    for document in policy_documents:
        assert "${" not in document.text, document.label
        json.loads(document.text)


def test_parliament_finds_nothing_above_low(policy_documents):
    findings = [f for d in policy_documents for f in scan.lint_policy(d)]
    assert findings == [], "\n".join(f"{f.severity} {f.issue} in {f.document}: {f.detail}" for f in findings)


def test_parliament_catches_what_it_should():
    bad = scan.PolicyDocument("bad", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "x"}}}]}))
    assert [f.issue for f in scan.lint_policy(bad)] == ["UNKNOWN_CONDITION_FOR_ACTION"]
    trust = scan.PolicyDocument("trust", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        role_arn="arn:aws:iam::123456789012:role/r")
    assert scan.lint_policy(trust) == []


def test_placeholders_resolve_to_plausible_values(stack):
    text = stack.resource("aws_kms_key_policy", "encryption/policy")["policy"]
    resolved = json.loads(scan.resolve_placeholders(text, stack.config))
    statements = {s["Sid"]: s for s in resolved["Statement"]}
    users = statements["PlatformRolesUseKey"]["Principal"]["AWS"]
    # The platform's three roles and the EMR runtime roles (two for_each resources: one plausible ARN each).
    assert len(users) == 5 and all(re.fullmatch(r"arn:aws:iam::123456789012:role/[a-z0-9-]+", u) for u in users)
    assert statements["AccountThroughS3ForDomainBuckets"]["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::ml-dev-123456789012-eu-west-1-*"}
    assert statements["CloudWatchLogsForDomainLogGroups"]["Condition"]["StringEquals"] == {
        "kms:EncryptionContext:aws:logs:arn": [
            "arn:aws:logs:eu-west-1:123456789012:log-group:/vpc-flow-logs/ml-dev"]}
    with pytest.raises(ValueError, match="aws_sns_topic.t.arn"):
        scan.resolve_placeholders('{"Resource": "${aws_sns_topic.t.arn}"}', stack.config)


def test_a_for_over_a_resource_resolves_through_its_iterator(stack):
    """Policies name the runtime roles through ``for`` expressions over for_each resources (each iterator's
    attribute stands for the resource's), and the EMR Serverless applications and their job runs through
    templates of an indexed resource: each resolves to a plausible ARN of its own type."""
    def statements(path: str, kind: str = "aws_iam_role_policy") -> dict:
        text = stack.resource(kind, path)["policy"]
        return {s["Sid"]: s for s in json.loads(scan.resolve_placeholders(text, stack.config))["Statement"]}

    roles = statements("emr_runtime_roles/instance_assume")["AssumeRuntimeRoles"]["Resource"]
    assert roles and all(re.fullmatch(r"arn:aws:iam::123456789012:role/[a-z0-9-]+", r) for r in roles), roles
    grant = statements("emr_runtime_roles/studio_serverless_user_role", "aws_iam_policy")
    application = r"arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00f[a-z0-9-]+"
    # The applications and their job runs, in one statement (each action applies to its own resource type).
    (app,) = [r for r in grant["UseApplications"]["Resource"] if not r.endswith("/jobruns/*")]
    (job_runs,) = [r for r in grant["UseApplications"]["Resource"] if r.endswith("/jobruns/*")]
    assert re.fullmatch(application, app)
    assert re.fullmatch(application + r"/jobruns/\*", job_runs)


# -- guardrails on the plans ----------------------------------------------------------
def test_no_security_group_rule_admits_the_internet(plans):
    for name in ("dev", "prod"):
        for address, rule in by_type(plans[name], "aws_vpc_security_group_ingress_rule").items():
            assert rule.get("cidr_ipv4") is None and rule.get("cidr_ipv6") is None, address


def test_every_planned_bucket_is_encrypted_and_has_a_policy(plans):
    shown = plans["dev"]
    buckets = by_type(shown, "aws_s3_bucket")
    encryption = list(by_type(shown, "aws_s3_bucket_server_side_encryption_configuration").values())
    policies = by_type(shown, "aws_s3_bucket_policy")
    blocks = by_type(shown, "aws_s3_bucket_public_access_block")
    versioning = by_type(shown, "aws_s3_bucket_versioning")
    assert len(buckets) == len(encryption) == len(policies) == len(blocks) == len(versioning) == 3
    algorithms = sorted(e["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"]
                        for e in encryption)
    assert algorithms == ["AES256", "aws:kms", "aws:kms"]  # the logs bucket: SSE-S3, see storage.py
    assert all(e["rule"][0]["bucket_key_enabled"] for e in encryption
               if e["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms")


def test_every_role_gets_the_boundary_when_one_is_set(plans):
    with_boundary = by_type(plans["dev-boundary"], "aws_iam_role")
    assert len(with_boundary) == 5
    assert {r["permissions_boundary"] for r in with_boundary.values()} == {BOUNDARY}
    assert {r.get("permissions_boundary") for r in by_type(plans["dev"], "aws_iam_role").values()} == {None}


def test_key_rotates_and_flow_logs_are_on_in_the_plan(plans):
    for name in ("dev", "prod"):
        (key,) = by_type(plans[name], "aws_kms_key").values()
        assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
        (flow,) = by_type(plans[name], "aws_flow_log").values()
        assert flow["traffic_type"] == "ALL"
        (group,) = by_type(plans[name], "aws_cloudwatch_log_group").values()
        assert group["retention_in_days"] == 365


def test_studio_is_vpc_only_idles_out_and_has_no_docker_in_the_plan(plans):
    (domain,) = by_type(plans["dev"], "aws_sagemaker_domain").values()
    assert domain["app_network_access_type"] == "VpcOnly"
    settings = domain["default_user_settings"][0]
    idle = settings["jupyter_lab_app_settings"][0]["app_lifecycle_management"][0]["idle_settings"][0]
    assert idle["lifecycle_management"] == "ENABLED" and idle["idle_timeout_in_minutes"] == 60
    assert domain["domain_settings"][0]["docker_settings"][0]["enable_docker_access"] == "DISABLED"


def test_emr_security_configuration_is_planned_with_imdsv2(plans):
    (configuration,) = by_type(plans["dev"], "aws_emr_security_configuration").values()
    assert configuration["name"] == "ml-dev-emr"
