"""Security scans of the platform: checkov and parliament, offline.

    .venv/bin/python -m scripts.security_scan --stack DIR [--plan-json FILE] [--templates-dir DIR]

prints checkov's passed / failed / skipped counts per target and every
failure, and parliament's findings above LOW; exit 1 when anything fails.
The tests (``tests/test_security_scan.py``) run the same functions on the
session's synthesized stack, the dev plan and the rendered EMR templates.

checkov targets:

* ``cdk.tf.json`` (framework ``terraform_json``). checkov 3.2's Terraform
  JSON parser stops at the top-level ``terraform`` settings block (it holds a
  plain string, ``required_version``) and at the ``import`` blocks (a list:
  the product versions Terraform adopts, modules/emr_catalog.py), so the scan
  reads a copy without them; they hold no resources.
* ``terraform show -json`` of a plan (framework ``terraform_plan``).
* the rendered product templates (framework ``cloudformation``), with the
  platform's own checks in ``scripts/checkov_checks/``: checkov ships no
  check for ``AWS::EMR::Cluster``.

Skips: checkov reads inline skip comments from HCL and CloudFormation only.
A check the platform deliberately does not meet is declared beside the
resource in the construct (``modules.tf.skip_checks``), which writes it into
the resource's ``//`` comment in ``cdk.tf.json``. :func:`apply_skips` turns a
failure of that check on that resource into a skip, in both the JSON and the
plan scan; a declared skip that matches no failure is reported as stale. In
templates, skips are ``Metadata: checkov: skip`` on the resource, which
checkov applies itself.

parliament lints every policy document the stack generates: role trust
policies, inline role policies, bucket policies, the KMS key policy and the
S3 endpoint policy. Documents are taken from the plan where Terraform knows
them and from ``cdk.tf.json`` otherwise, with each ``${...}`` replaced by a
plausible value (:func:`resolve_placeholders`). A trust policy has no
``Resource`` (its resource is the role), which parliament reports as
malformed, so the role's ARN is added as its resource before linting.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from scripts.errors import ScriptError, run_main
from scripts.repo import REPO_ROOT

CUSTOM_CHECKS_DIR = REPO_ROOT / "scripts" / "checkov_checks"
BLACKHOLE_PROXY = "http://127.0.0.1:9"  # nothing listens: any request that tries to leave fails
SEVERITIES = ("MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")


class ScanError(ScriptError):
    """A scanner could not run; ``str(err)`` says what and what to do."""


# -- checkov ----------------------------------------------------------------------
@dataclass
class CheckovResult:
    """checkov's verdicts for one target, after the declared skips."""

    target: str
    passed: List[Tuple[str, str]] = field(default_factory=list)
    """(check id, resource) pairs."""
    failed: List[Tuple[str, str, str]] = field(default_factory=list)
    """(check id, resource, check name)."""
    skipped: List[Tuple[str, str, str]] = field(default_factory=list)
    """(check id, resource, reason)."""
    resource_count: int = 0

    def counts(self) -> Dict[str, int]:
        return {"passed": len(self.passed), "failed": len(self.failed), "skipped": len(self.skipped)}


def checkov_command() -> List[str]:
    found = Path(sys.executable).with_name("checkov")
    if found.is_file():
        return [str(found)]
    which = shutil.which("checkov")
    if which:
        return [which]
    raise ScanError("checkov is not installed: run scripts/bootstrap.sh (it is pinned in Pipfile.lock)")


def offline_env(base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Environment for the scanners: no update check, and nothing reaches the network."""
    env = dict(os.environ if base is None else base)
    env.update({
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "BC_SKIP_MAPPING": "TRUE",
        "HTTP_PROXY": BLACKHOLE_PROXY, "HTTPS_PROXY": BLACKHOLE_PROXY,
        "http_proxy": BLACKHOLE_PROXY, "https_proxy": BLACKHOLE_PROXY,
        "NO_PROXY": "", "no_proxy": "",
    })
    env.pop("BC_API_KEY", None)
    return env


def run_checkov(target: Path, framework: str, external_checks_dir: Optional[Path] = None,
                timeout: int = 600) -> List[dict]:
    """checkov's JSON reports (one per framework) for a file or a directory."""
    args = checkov_command() + ["--framework", framework, "-o", "json", "--skip-download", "--compact"]
    args += ["-d", str(target)] if target.is_dir() else ["-f", str(target)]
    if external_checks_dir is not None:
        args += ["--external-checks-dir", str(external_checks_dir)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=offline_env(),
                          cwd=str(target if target.is_dir() else target.parent))
    # checkov exits 1 when a check fails; anything else that is not JSON is a crash.
    try:
        reports = json.loads(proc.stdout)
    except ValueError:
        raise ScanError(f"checkov --framework {framework} on {target} failed (exit {proc.returncode}):\n"
                        f"{proc.stderr[-3000:]}") from None
    return reports if isinstance(reports, list) else [reports]


# Top-level blocks checkov 3.2's Terraform JSON parser cannot read; none holds a resource.
NOT_FOR_CHECKOV = ("terraform", "import")


def terraform_json_for_checkov(config: dict) -> dict:
    """``cdk.tf.json`` without the blocks checkov 3.2 cannot parse (:data:`NOT_FOR_CHECKOV`)."""
    return {k: v for k, v in config.items() if k not in NOT_FOR_CHECKOV}


@dataclass(frozen=True)
class Skip:
    """A check a resource deliberately does not meet (``modules.tf.skip_checks``)."""

    address: str
    check: str
    reason: str
    only: Optional[str] = None
    """None: every scan; else ``plan`` or ``cdk.tf.json``."""
    path: str = ""
    """The resource's construct path, e.g. ``storage/logs``."""

    def applies_to(self, scan: str) -> bool:
        return self.only is None or self.only == scan


def declared_skips(config: dict) -> Dict[str, Dict[str, Skip]]:
    """Skips declared on resources: address => {check id: Skip}."""
    found: Dict[str, Dict[str, Skip]] = {}
    for type_, resources in config.get("resource", {}).items():
        for name, body in resources.items():
            comment = body.get("//", {})
            path = comment.get("metadata", {}).get("path", "").split("/", 1)[-1]
            for s in comment.get("checkov", {}).get("skip", []):
                found.setdefault(f"{type_}.{name}", {})[s["id"]] = Skip(
                    f"{type_}.{name}", s["id"], s["comment"], s.get("only"), path)
    return found


def _address(resource: str, known: Iterable[str]) -> str:
    """A resource as checkov names it, as the ``type.name`` address of ``cdk.tf.json``."""
    base = re.sub(r"(\[[^\]]*\])+$", "", resource)            # count / for_each index
    base = re.sub(r"^module\.[^.]+\.", "", base)
    if base.startswith("resource."):                          # a checkov quirk: "resource.<name>"
        name = base.split(".", 1)[1]
        matches = [a for a in known if a.split(".", 1)[1] == name]
        if len(matches) == 1:
            return matches[0]
    return base


def apply_skips(target: str, reports: List[dict], skips: Mapping[str, Mapping[str, Skip]],
                known_addresses: Iterable[str] = ()) -> CheckovResult:
    """checkov's reports with the failures that a declared skip for ``target``
    (``plan`` or ``cdk.tf.json``) covers moved to ``skipped``."""
    known = list(known_addresses) or list(skips)
    result = CheckovResult(target)
    for report in reports:
        results = report.get("results", {})
        result.resource_count += report.get("summary", {}).get("resource_count", 0)
        for check in results.get("passed_checks", []):
            result.passed.append((check["check_id"], check["resource"]))
        for check in results.get("skipped_checks", []):  # CloudFormation Metadata skips
            reason = (check.get("check_result") or {}).get("suppress_comment", "")
            result.skipped.append((check["check_id"], check["resource"], reason))
        for check in results.get("failed_checks", []):
            address = _address(check["resource"], known)
            skip = skips.get(address, {}).get(check["check_id"])
            if skip is not None and skip.applies_to(target):
                result.skipped.append((check["check_id"], check["resource"], skip.reason))
            else:
                result.failed.append((check["check_id"], check["resource"], check["check_name"]))
    return result


def stale_skips(results: Iterable[CheckovResult], skips: Mapping[str, Mapping[str, Skip]],
                known_addresses: Iterable[str]) -> List[Tuple[str, str]]:
    """Declared skips that none of the scans they apply to needed: (address, check id).

    A skip is judged only by scans that ran and that it applies to."""
    results = list(results)
    known = list(known_addresses)
    ran = {r.target for r in results}
    used = {(_address(resource, known), check) for r in results for check, resource, _ in r.skipped}
    return sorted((a, c) for a, checks in skips.items() for c, skip in checks.items()
                  if any(skip.applies_to(t) for t in ran) and (a, c) not in used)


def scan_stack(config: dict, workdir: Path) -> CheckovResult:
    """checkov on a synthesized ``cdk.tf.json`` (as a dict)."""
    path = Path(workdir) / "cdk.tf.json"
    path.write_text(json.dumps(terraform_json_for_checkov(config), indent=2))
    return apply_skips("cdk.tf.json", run_checkov(path, "terraform_json"), declared_skips(config),
                       _addresses(config))


def scan_plan(shown_plan: dict, config: dict, workdir: Path, name: str = "plan") -> CheckovResult:
    """checkov on ``terraform show -json`` of a plan of that stack."""
    path = Path(workdir) / f"{name}.json"
    path.write_text(json.dumps(shown_plan))
    return apply_skips("plan", run_checkov(path, "terraform_plan"), declared_skips(config),
                       _addresses(config))


def scan_templates(rendered_dir: Path) -> CheckovResult:
    """checkov (with the platform's checks) on a directory of rendered product templates."""
    return apply_skips("emr_templates", run_checkov(Path(rendered_dir), "cloudformation", CUSTOM_CHECKS_DIR), {})


def _addresses(config: dict) -> List[str]:
    return [f"{t}.{n}" for t, resources in config.get("resource", {}).items() for n in resources]


# -- parliament -------------------------------------------------------------------
POLICY_ARGUMENTS = {
    "aws_iam_role": "assume_role_policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_kms_key_policy": "policy",
    "aws_kms_key": "policy",
    "aws_vpc_endpoint": "policy",
}
PLAUSIBLE_ACCOUNT = "123456789012"
PLAUSIBLE_REGION = "eu-west-1"

# (resource type, attribute) => a plausible value; {n} is the resource's name.
_PLAUSIBLE_ATTRIBUTES = {
    ("aws_iam_role", "arn"): "arn:aws:iam::{a}:role/{n}",
    ("aws_iam_role", "name"): "{n}",
    ("aws_s3_bucket", "arn"): "arn:aws:s3:::{n}",
    ("aws_s3_bucket", "bucket"): "{n}",
    ("aws_s3_bucket", "id"): "{n}",
    ("aws_kms_key", "arn"): "arn:aws:kms:{r}:{a}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ("aws_kms_key_policy", "key_id"): "arn:aws:kms:{r}:{a}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ("aws_cloudwatch_log_group", "arn"): "arn:aws:logs:{r}:{a}:log-group:/vpc-flow-logs/{n}",
    ("aws_servicecatalog_product", "arn"): "arn:aws:catalog:{r}:{a}:product/prod-{n}",
    ("aws_emr_security_configuration", "name"): "{n}",
    ("aws_emrserverless_application", "arn"): "arn:aws:emr-serverless:{r}:{a}:/applications/00f{n}",
    ("aws_sagemaker_domain", "arn"): "arn:aws:sagemaker:{r}:{a}:domain/d-0123456789ab",
    ("aws_ssm_parameter", "arn"): "arn:aws:ssm:{r}:{a}:parameter/sagemaker-emr-platform/ml-dev/emr-templates/{n}",
}
_PLAUSIBLE_NAMES = {
    "data.aws_partition": {"partition": "aws"},
    "data.aws_caller_identity": {"account_id": PLAUSIBLE_ACCOUNT},
}
_PLAUSIBLE_VARIABLES = {"region": PLAUSIBLE_REGION, "domain_name": "ml-dev"}
# The key of a for_each resource (modules/emr_runtime_roles.py: a runtime role's name).
_PLAUSIBLE_EACH_KEY = "team-a"
# Lists a policy computes from inputs, whose members an iterator builds (modules/emr_runtime_roles.py: a
# runtime role's users, buckets, prefixes, objects and Glue ARNs): expression => plausible members.
_PLAUSIBLE_DATA = f"arn:aws:s3:::ml-dev-{PLAUSIBLE_ACCOUNT}-{PLAUSIBLE_REGION}-data"
_PLAUSIBLE_GLUE = f"arn:aws:glue:{PLAUSIBLE_REGION}:{PLAUSIBLE_ACCOUNT}"
_PLAUSIBLE_LISTS = {
    "local.emr_runtime_role_users[each.key]": ["alice", "bob"],
    "local.emr_runtime_role_grants[each.key].buckets": [_PLAUSIBLE_DATA, "arn:aws:s3:::my-datasets"],
    "local.emr_runtime_role_grants[each.key].prefixes": ["team-a/", "team-a/*", "*"],
    "local.emr_runtime_role_grants[each.key].read_objects": [
        f"{_PLAUSIBLE_DATA}/team-a/*", "arn:aws:s3:::my-datasets/*"],
    "local.emr_runtime_role_grants[each.key].write_objects": [f"{_PLAUSIBLE_DATA}/team-a/*"],
    "local.emr_runtime_role_grants[each.key].glue": [
        f"{_PLAUSIBLE_GLUE}:catalog", f"{_PLAUSIBLE_GLUE}:database/team_a", f"{_PLAUSIBLE_GLUE}:table/team_a/*"],
}
# List inputs of role ARNs that policies name whole: the emr-account stack's (another account's) roles.
_PLAUSIBLE_LIST_VARIABLES = {
    "emr_assumable_role_arns": ["arn:aws:iam::111122223333:role/ml-dev-emr-eu-west-1-studio-assumable"],
    "studio_execution_role_arns": [f"arn:aws:iam::{PLAUSIBLE_ACCOUNT}:role/ml-dev-eu-west-1-studio-execution"],
}
_REFERENCE = re.compile(
    r"(?P<data>data\.)?(?P<type>aws_[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.(?P<attr>[a-z_]+)")


def _interpolations(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, expression) of each top-level ``${...}`` of a Terraform template."""
    found, i = [], 0
    while True:
        start = text.find("${", i)
        if start < 0:
            return found
        end = _interpolation_end(text, start)
        found.append((start, end, text[start + 2:end - 1]))
        i = end


def _interpolation_end(text: str, start: int) -> int:
    """Index after the ``}`` closing the interpolation that opens at ``start``."""
    depth, j = 0, start + 2
    while j < len(text):
        c = text[j]
        if c == '"':
            j = _literal_end(text, j)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return j + 1
            depth -= 1
        j += 1
    raise ValueError(f"unterminated interpolation in {text[start:start + 80]!r}")


def _literal_end(text: str, start: int) -> int:
    """Index after the ``"`` closing the HCL string literal that opens at ``start``."""
    j = start + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
        elif text.startswith("${", j):
            j = _interpolation_end(text, j)
        elif text[j] == '"':
            return j + 1
        else:
            j += 1
    raise ValueError(f"unterminated string in {text[start:start + 80]!r}")


def _follow_locals(expression: str, config: dict, depth: int = 0) -> str:
    """``expression`` with each ``local.x`` replaced by the local's own expression."""
    if depth > 10:
        raise ValueError(f"locals nest too deep in {expression!r}")

    def inner(m):
        value = config.get("locals", {}).get(m.group(1))
        if not isinstance(value, str):
            raise ValueError(f"local.{m.group(1)} is not a string expression in cdk.tf.json")
        if value.startswith("${") and _interpolation_end(value, 0) == len(value):
            value = value[2:-1]
        else:  # a template: keep it a string literal
            value = json.dumps(value)
        return "(" + _follow_locals(value, config, depth + 1) + ")"
    return re.sub(r"\blocal\.([a-z0-9_]+)", inner, expression)


def _reference_value(m: "re.Match") -> Optional[str]:
    if m.group("data"):
        return _PLAUSIBLE_NAMES.get(f"data.{m.group('type')}", {}).get(m.group("attr"))
    template = _PLAUSIBLE_ATTRIBUTES.get((m.group("type"), m.group("attr")))
    if template is None:
        raise ValueError(f"no plausible value for {m.group(0)}: add one to _PLAUSIBLE_ATTRIBUTES in "
                         "scripts/security_scan.py")
    name = m.group("name").lower().replace("_", "-")[:40]
    return template.format(n=name, a=PLAUSIBLE_ACCOUNT, r=PLAUSIBLE_REGION)


def _then_branch(expression: str) -> Optional[str]:
    """``b`` of a top-level conditional ``a ? b : c`` (the value when it holds), else None."""
    depth, i, question = 0, 0, None
    while i < len(expression):
        c = expression[i]
        if c == '"':
            i = _literal_end(expression, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c == "?" and question is None:
            question = i
        elif depth == 0 and c == ":" and question is not None:
            return expression[question + 1:i].strip()
        i += 1
    return None


def _scalar(expression: str, config: dict) -> str:
    """The one plausible string an expression inside a JSON string stands for."""
    expression = _follow_locals(expression.strip(), config).strip()
    while expression.startswith("(") and _matching_paren(expression) == len(expression) - 1:
        expression = expression[1:-1].strip()
    branch = _then_branch(expression)
    if branch is not None:
        return _scalar(branch, config)
    if expression.startswith('"') and _literal_end(expression, 0) == len(expression):
        return _resolve_template(expression[1:-1], config)
    if expression == "each.key":
        return _PLAUSIBLE_EACH_KEY
    m = re.fullmatch(r"var\.([a-z0-9_]+)", expression)
    if m and m.group(1) in _PLAUSIBLE_VARIABLES:
        return _PLAUSIBLE_VARIABLES[m.group(1)]
    refs = list(_REFERENCE.finditer(expression))
    values = [v for v in (_reference_value(r) for r in refs) if v is not None]
    if len(refs) != 1 or len(values) != 1:
        raise ValueError(f"no single plausible value for ${{{expression}}}")
    return values[0]


def _matching_paren(expression: str) -> int:
    """Index of the ``)`` closing the ``(`` at index 0."""
    depth, i = 0, 0
    while i < len(expression):
        c = expression[i]
        if c == '"':
            i = _literal_end(expression, i)
            continue
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0:
            return i
        i += 1
    return -1


def _resolve_template(template: str, config: dict) -> str:
    out, last = [], 0
    for start, end, expression in _interpolations(template):
        out.append(template[last:start])
        out.append(_scalar(expression, config))
        last = end
    out.append(template[last:])
    return "".join(out)


_FOR_RESOURCE = re.compile(r"\bfor\s+(?:\w+\s*,\s*)?(\w+)\s+in\s+(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)\s*:")


def _iterated_resources(expression: str) -> str:
    """``expression`` with each ``v.attr`` of a ``for [k,] v in <resource>`` written as
    ``<resource>.attr`` (a resource with for_each iterated), so it resolves as a reference."""
    for m in _FOR_RESOURCE.finditer(expression):
        expression = re.sub(rf"(?<![\w.]){m.group(1)}\.([a-z_]+)", rf"{m.group(2)}.\1", expression)
    return expression


def _plausible_list(expression: str, config: dict) -> List[str]:
    """Plausible members of a list expression (``jsonencode(...)`` as a JSON value):
    every ARN literal that resolves, and every resource it refers to (also through
    the iterator of a ``for`` over a resource)."""
    expression = _iterated_resources(_follow_locals(expression, config))
    items, rest, i = [], [], 0
    while i < len(expression):
        if expression[i] == '"':
            end = _literal_end(expression, i)
            try:
                value = _resolve_template(expression[i + 1:end - 1], config)
            except ValueError:
                value = None  # refers to an iterator or an input without a plausible value
            if value is not None and value.startswith("arn:"):
                items.append(value)
            rest.append(" ")
            i = end
        else:
            rest.append(expression[i])
            i += 1
    for m in _REFERENCE.finditer("".join(rest)):
        if not m.group("data"):
            items.append(_reference_value(m))
    for name in re.findall(r"\bvar\.([a-z0-9_]+)", "".join(rest)):
        items.extend(_PLAUSIBLE_LIST_VARIABLES.get(name, []))
    return items


def _substitute(text: str, replace) -> str:
    """``text`` with each ``${...}`` replaced by ``replace(interpolation, expression,
    inside_json_string)``: the one place that tracks JSON string state."""
    out, last, inside, i = [], 0, False, 0
    for start, end, expression in _interpolations(text):
        while i < start:
            if text[i] == "\\" and inside:
                i += 2
                continue
            if text[i] == '"':
                inside = not inside
            i += 1
        out.append(text[last:start])
        out.append(replace(text[start:end], expression, inside))
        last = i = end
    out.append(text[last:])
    return "".join(out)


def template_as_json(text: str):
    """A JSON policy template parsed, each ``${...}`` standing as a whole JSON value
    (``"AWS": ${jsonencode(...)}``) kept as the string ``"${...}"``."""
    return json.loads(_substitute(text, lambda whole, _, inside: whole if inside else json.dumps(whole)))


def resolve_placeholders(text: str, config: dict) -> str:
    """A policy template of ``cdk.tf.json`` with each ``${...}`` replaced by a plausible value.

    Inside a JSON string an interpolation becomes the one value it stands for
    (``"arn:${...}:s3:::x"`` is resolved piece by piece, locals followed); as
    a whole JSON value (``${jsonencode(...)}``) it becomes the JSON list of
    the ARNs it would hold. An expression without a plausible value raises
    ``ValueError`` naming it, so a new kind of reference is added here on
    purpose rather than linted as nonsense.
    """
    def replace(_whole: str, expression: str, inside: bool) -> str:
        if inside:
            return _scalar(expression, config)
        listed = re.fullmatch(r"jsonencode\((.*)\)", expression)
        if listed and listed.group(1) in _PLAUSIBLE_LISTS:
            return json.dumps(_PLAUSIBLE_LISTS[listed.group(1)])
        values = _plausible_list(expression, config)
        if not values:
            raise ValueError(f"no plausible value for ${{{expression}}}")
        return json.dumps(values)

    return _substitute(text, replace)


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
            role = (_PLAUSIBLE_ATTRIBUTES[("aws_iam_role", "arn")].format(
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


# -- command line -----------------------------------------------------------------
def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts.security_scan", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", type=Path, required=True, help="synthesized stack directory (cdk.tf.json)")
    parser.add_argument("--plan-json", type=Path, help="terraform show -json of a plan of that stack")
    parser.add_argument("--templates-dir", type=Path, help="directory of rendered product templates")
    args = parser.parse_args(argv)
    return run_main("scripts.security_scan", lambda: _scan(args))


def _scan(args: argparse.Namespace) -> int:
    config = json.loads((args.stack / "cdk.tf.json").read_text())
    plan = json.loads(args.plan_json.read_text()) if args.plan_json else None
    with tempfile.TemporaryDirectory() as work:
        jobs = {"cdk.tf.json": lambda: scan_stack(config, Path(work))}
        if plan is not None:
            jobs["plan"] = lambda: scan_plan(plan, config, Path(work))
        if args.templates_dir:
            jobs["emr_templates"] = lambda: scan_templates(args.templates_dir)
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = dict(zip(jobs, pool.map(lambda job: job(), jobs.values()), strict=True))
    bad = 0
    for name, result in results.items():
        print(f"checkov {name}: {result.counts()}")
        for check, resource, title in result.failed:
            print(f"  FAILED {check} {resource}: {title}")
            bad += 1
    for address, check in stale_skips(results.values(), declared_skips(config), _addresses(config)):
        print(f"  STALE SKIP {check} on {address}: no scan failed it; remove the skip")
        bad += 1
    documents = policy_documents(config, plan)
    findings = [f for d in documents for f in lint_policy(d)]
    print(f"parliament: {len(documents)} policy documents, {len(findings)} findings above LOW")
    for f in findings:
        print(f"  {f.severity} {f.issue} in {f.document}: {f.detail}")
    return 1 if bad or findings else 0


if __name__ == "__main__":
    sys.exit(main())
