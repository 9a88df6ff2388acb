"""Bucket-policy evaluation with conditions, the way AWS documents it.

Why: moto's evaluation (moto/iam/access_control.py ``IAMPolicyStatement``)
gets no request context from S3 and its condition check
(moto/iam/policy_conditions.py) knows only StringEquals and treats every
other operator as met, so each conditional Deny (TLS only, SSE-KMS only)
denies every object request. This module decides one request against one
policy document; ``responses.py`` builds the request's context keys.

Sources (IAM User Guide):
* Condition operators, and what a missing key means:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
  "If the key that you specify in a policy condition is not present in the
  request context, the values do not match and the condition is false. If the
  policy condition requires that the key is not matched, such as StringNotLike
  or ArnNotLike, and the right key is not present, the condition is true. This
  logic applies to all condition operators except ...IfExists and Null check."
* Several operators, keys or values: operators and keys AND, values of one
  key OR (negated operators: the value must match none):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
* ForAnyValue / ForAllValues (ForAllValues is true when the key is absent):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
* Deny beats Allow: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

Unknown operators are refused when the policy is stored (:func:`validate`,
PutBucketPolicy answers MalformedPolicy) as AWS validates a policy against
its grammar
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html)
before storing it; so evaluation never has to guess what one means.
Not modelled: policy variables (``${aws:username}``) are compared literally.
"""
from __future__ import annotations

import datetime
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from moto.iam.access_control import PermissionResult

# -- operators -------------------------------------------------------------


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """AWS wildcards: * any run of characters, ? exactly one (nothing else is special)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _arn_like(pattern: str, value: str) -> bool:
    # "Each of the six colon-delimited components of the ARN is checked
    # separately and each can include multi-character match wildcards (*) or
    # single-character match wildcards (?)" (ArnEquals and ArnLike alike).
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    return len(p_parts) == len(v_parts) == 6 and all(_glob(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime.datetime | None:
    # Dates are ISO 8601 or epoch seconds ("Date condition operators").
    number = _number(text)
    if number is not None:
        return datetime.datetime.fromtimestamp(number, datetime.timezone.utc)
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _compare(parse: Callable, test: Callable[[object, object], bool]) -> Callable[[str, str], bool]:
    def match(policy_value: str, context_value: str) -> bool:
        p, c = parse(policy_value), parse(context_value)
        return p is not None and c is not None and test(c, p)
    return match


def _in_network(cidr: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


_EQ, _LT, _LE = (lambda c, p: c == p), (lambda c, p: c < p), (lambda c, p: c <= p)
_GT, _GE = (lambda c, p: c > p), (lambda c, p: c >= p)

# Base operator -> (does one policy value match one context value, negated?).
# A negated operator's per-value test is "matches none of the policy values".
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda p, c: p == c, False),
    "StringNotEquals": (lambda p, c: p == c, True),
    "StringEqualsIgnoreCase": (lambda p, c: p.lower() == c.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, c: p.lower() == c.lower(), True),
    "StringLike": (_glob, False),
    "StringNotLike": (_glob, True),
    "NumericEquals": (_compare(_number, _EQ), False),
    "NumericNotEquals": (_compare(_number, _EQ), True),
    "NumericLessThan": (_compare(_number, _LT), False),
    "NumericLessThanEquals": (_compare(_number, _LE), False),
    "NumericGreaterThan": (_compare(_number, _GT), False),
    "NumericGreaterThanEquals": (_compare(_number, _GE), False),
    "DateEquals": (_compare(_date, _EQ), False),
    "DateNotEquals": (_compare(_date, _EQ), True),
    "DateLessThan": (_compare(_date, _LT), False),
    "DateLessThanEquals": (_compare(_date, _LE), False),
    "DateGreaterThan": (_compare(_date, _GT), False),
    "DateGreaterThanEquals": (_compare(_date, _GE), False),
    "Bool": (lambda p, c: p.lower() == c.lower(), False),
    "BinaryEquals": (lambda p, c: p == c, False),
    "IpAddress": (_in_network, False),
    "NotIpAddress": (_in_network, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
}
NULL = "Null"  # "Null check": key absent ("true") or present ("false"); no IfExists form
QUALIFIERS = ("ForAnyValue", "ForAllValues")


def parse_operator(operator: str) -> tuple[str | None, str, bool]:
    """(set qualifier or None, base operator, IfExists?); ValueError if AWS has no such operator."""
    qualifier, _, base = operator.rpartition(":")
    if qualifier and qualifier not in QUALIFIERS:
        raise ValueError(f"invalid condition operator {operator!r}")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in OPERATORS and not (base == NULL and not if_exists and not qualifier):
        raise ValueError(f"invalid condition operator {operator!r}")
    return qualifier or None, base, if_exists


def _strings(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    # JSON true/false/numbers are written as strings by AWS; compare them so.
    return [json.dumps(v) if isinstance(v, bool) else str(v) for v in values]


def condition_holds(operator: str, policy_values, context_values: Sequence[str] | None) -> bool:
    """One key under one operator, per the operators page (see module doc)."""
    qualifier, base, if_exists = parse_operator(operator)
    wanted = _strings(policy_values)
    absent = not context_values
    if base == NULL:
        return any((w.lower() == "true") == absent for w in wanted)
    if absent:
        if if_exists or qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return OPERATORS[base][1]  # false, except a negated operator: true
    match, negated = OPERATORS[base]

    def per_value(context_value: str) -> bool:
        hit = any(match(w, context_value) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(per_value(c) for c in context_values)
    return any(per_value(c) for c in context_values)


# -- statements ------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who sends the request: an account's principal, a service principal, or nobody (anonymous)."""

    account_id: str | None = None
    arn: str | None = None
    service: str | None = None


@dataclass
class Request:
    action: str  # e.g. s3:PutObject
    resource: str  # e.g. arn:aws:s3:::bucket/key
    caller: Caller = field(default_factory=Caller)
    keys: Mapping[str, Sequence[str]] = field(default_factory=dict)  # lower-case key -> values

    def values(self, key: str) -> Sequence[str] | None:
        return self.keys.get(key.lower())  # "Condition key names are not case-sensitive"


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal, caller: Caller) -> bool:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    # "*" is everyone (anonymous included); an account (id or :root ARN) stands
    # for every principal of that account; a service principal only for the service.
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for kind, values in principal.items():
        for value in _listed(values):
            if kind == "AWS" and (value == "*" or (caller.account_id and (
                    value == caller.account_id or re.fullmatch(rf"arn:[^:]+:iam::{caller.account_id}:root", value)))
                    or (caller.arn and value == caller.arn)):
                return True
            if kind == "Service" and caller.service and value == caller.service:
                return True
    return False


def _element_matches(stmt: dict, name: str, value: str, ignore_case: bool) -> bool | None:
    """Action/NotAction or Resource/NotResource against ``value`` (None: neither present)."""
    for element, negated in ((name, False), (f"Not{name}", True)):
        if element in stmt:
            hit = any(_glob(p, value, ignore_case) for p in _listed(stmt[element]))
            return not hit if negated else hit
    return None


def statement_applies(stmt: dict, request: Request) -> bool:
    """Action, Resource, Principal and every condition match (conditions AND)."""
    # Action names are not case-sensitive; resource ARNs are.
    if not _element_matches(stmt, "Action", request.action, ignore_case=True):
        return False
    if _element_matches(stmt, "Resource", request.resource, ignore_case=False) is False:
        return False
    if "NotPrincipal" in stmt:
        if _principal_matches(stmt["NotPrincipal"], request.caller):
            return False
    elif not _principal_matches(stmt.get("Principal"), request.caller):
        return False
    for operator, keys in (stmt.get("Condition") or {}).items():
        for key, policy_values in keys.items():
            if not condition_holds(operator, policy_values, request.values(key)):
                return False
    return True


def _statements(document: str | bytes | dict) -> list[dict]:
    doc = json.loads(document) if isinstance(document, (str, bytes)) else document
    return _listed(doc.get("Statement", []))


def evaluate(document: str | bytes | dict, request: Request) -> PermissionResult:
    """moto's PermissionResult for ``request``: DENIED if any Deny applies, else
    PERMITTED if any Allow applies, else NEUTRAL (the policy says nothing)."""
    allowed = False
    for stmt in _statements(document):
        if statement_applies(stmt, request):
            if stmt.get("Effect") == "Deny":
                return PermissionResult.DENIED
            allowed = allowed or stmt.get("Effect") == "Allow"
    return PermissionResult.PERMITTED if allowed else PermissionResult.NEUTRAL


def validate(document: str | bytes) -> None:
    """ValueError (with AWS-like wording) if the document is no policy we can evaluate faithfully."""
    try:
        statements = _statements(document)
    except (ValueError, AttributeError):
        raise ValueError("Policies must be valid JSON and the first byte must be '{'") from None
    for stmt in statements:
        if not isinstance(stmt, dict) or stmt.get("Effect") not in ("Allow", "Deny"):
            raise ValueError(f"Invalid effect: {stmt.get('Effect') if isinstance(stmt, dict) else stmt}")
        if "Principal" not in stmt and "NotPrincipal" not in stmt:
            raise ValueError("Missing required field Principal")  # a bucket policy names whom it concerns
        condition = stmt.get("Condition") or {}
        if not isinstance(condition, dict):
            raise ValueError("Invalid Condition block")
        for operator, keys in condition.items():
            try:
                parse_operator(operator)
            except ValueError:
                raise ValueError(f"Invalid Condition type : {operator}") from None
            if not isinstance(keys, dict):
                raise ValueError(f"Invalid Condition block for {operator}")
