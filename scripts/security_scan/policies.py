"""Every policy document of the stack, and parliament's findings on each."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional

from scripts.security_scan.placeholders import (
    PLAUSIBLE_ACCOUNT, PLAUSIBLE_ATTRIBUTES, PLAUSIBLE_REGION, resolve_placeholders)

SEVERITIES = ("MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
POLICY_ARGUMENTS = {
    "aws_iam_role": "assume_role_policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_kms_key_policy": "policy",
    "aws_kms_key": "policy",
    "aws_vpc_endpoint": "policy",
}


@dataclass(frozen=True)
class PolicyDocument:
    label: str
    """``<address> <argument>`` and where it came from (plan or cdk.tf.json)."""
    text: str
    role_arn: Optional[str] = None
    """For a trust policy: the role it protects (added as the resource)."""


def policy_documents(config: dict, shown_plan: Optional[dict] = None) -> List[PolicyDocument]:
    """Every policy document of the stack: from the plan where known, else from cdk.tf.json."""
    known: Dict[str, str] = {}
    if shown_plan is not None:
        for change in shown_plan.get("resource_changes", []):
            argument = POLICY_ARGUMENTS.get(change["type"])
            after = (change.get("change") or {}).get("after") or {}
            if argument and isinstance(after.get(argument), str):
                address = re.sub(r"(\[[^\]]*\])+$", "", change["address"])
                known.setdefault(address, after[argument])
    documents = []
    for type_, argument in POLICY_ARGUMENTS.items():
        for name, body in config.get("resource", {}).get(type_, {}).items():
            if not isinstance(body.get(argument), str):
                continue
            address = f"{type_}.{name}"
            role = (PLAUSIBLE_ATTRIBUTES[("aws_iam_role", "arn")].format(
                n=name.lower().replace("_", "-")[:40], a=PLAUSIBLE_ACCOUNT, r=PLAUSIBLE_REGION)
                if type_ == "aws_iam_role" else None)
            if address in known:
                documents.append(PolicyDocument(f"{address} {argument} (plan)", known[address], role))
            else:
                documents.append(PolicyDocument(f"{address} {argument} (cdk.tf.json)",
                                                resolve_placeholders(body[argument], config), role))
    return documents


@dataclass(frozen=True)
class Finding:
    document: str
    issue: str
    severity: str
    detail: str


def lint_policy(document: PolicyDocument, minimum: str = "MEDIUM") -> List[Finding]:
    """parliament's findings of at least ``minimum`` severity."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parliament imports pkg_resources
        import parliament
    policy = json.loads(document.text)
    if document.role_arn is not None:
        for statement in policy["Statement"]:
            statement.setdefault("Resource", document.role_arn)
    analyzed = parliament.analyze_policy_string(json.dumps(policy))
    findings = []
    for finding in analyzed.findings:
        finding = parliament.enhance_finding(finding)
        if SEVERITIES.index(finding.severity) >= SEVERITIES.index(minimum):
            findings.append(Finding(document.label, finding.issue, finding.severity, str(finding.detail)))
    return findings
