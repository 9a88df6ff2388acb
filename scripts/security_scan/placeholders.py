"""Policy documents of cdk.tf.json as JSON: each ``${...}`` replaced by a plausible value
(:func:`resolve_placeholders`), so that parliament can lint what Terraform only knows at apply."""

from __future__ import annotations

import json
import re
from typing import List, Optional, Tuple


PLAUSIBLE_ACCOUNT = "123456789012"
PLAUSIBLE_REGION = "eu-west-1"

# (resource type, attribute) => a plausible value; {n} is the resource's name.
PLAUSIBLE_ATTRIBUTES = {
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
    template = PLAUSIBLE_ATTRIBUTES.get((m.group("type"), m.group("attr")))
    if template is None:
        raise ValueError(f"no plausible value for {m.group(0)}: add one to PLAUSIBLE_ATTRIBUTES in "
                         "scripts/security_scan/placeholders.py")
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
