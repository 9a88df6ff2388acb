"""IAM policy documents as data: statements are structures, rendered to JSON in one place.

A value anywhere in a statement (a resource, a principal, a condition value)
is a Python string (which may hold string tokens: ``f"arn:{partition}:s3:::x"``),
a list of them, or a list token that Terraform computes
(``tf.string_list(...)``, ``Fn.*``): :func:`document` writes the latter as
``${jsonencode(...)}`` in place of the JSON list, so a document never carries
placeholders replaced afterwards. The JSON is laid out as ``json.dumps(...,
indent=2)`` lays it out, which keeps the generated Terraform stable.
"""

import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Union

from modules.tf import is_token, template

VERSION = "2012-10-17"


@dataclass(frozen=True)
class Statement:
    """One statement. ``actions``: one action, or several (written sorted)."""

    sid: Optional[str]
    """Default None: no ``Sid`` (trust policies)."""
    actions: Union[str, Sequence[str]]
    resources: Any = None
    """A string, a list of strings or a list token. Default None: no ``Resource`` (trust policies)."""
    condition: Optional[dict] = None
    """Operator => {key => value(s)}. Default None: no ``Condition``."""
    principal: Any = None
    """``"*"`` or {"AWS" | "Service" => value(s)}. Default None: no ``Principal`` (identity policies)."""
    effect: str = "Allow"
    """Default ``Allow``."""

    def as_dict(self) -> dict:
        """The statement as IAM's JSON object (keys in IAM's documentation order)."""
        fields = {
            "Sid": self.sid,
            "Effect": self.effect,
            "Principal": self.principal,
            "Action": self.actions if isinstance(self.actions, str) else sorted(self.actions),
            "Resource": self.resources,
            "Condition": self.condition,
        }
        return {key: value for key, value in fields.items() if value is not None}


def document(*statements: Statement) -> str:
    """The policy document of ``statements`` (a string that may hold tokens)."""
    return _json({"Version": VERSION, "Statement": [s.as_dict() for s in statements]}, 0)


def _json(value, depth: int) -> str:
    """``json.dumps(value, indent=2)`` at nesting ``depth``, a list token as its ``jsonencode``."""
    if _is_list_token(value):
        return template("jsonencode({list})", list=value)
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_json(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)) and value:
        return "[\n" + ",\n".join(inner + _json(v, depth + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value)


def _is_list_token(value) -> bool:
    """Whether ``value`` is a list token (not a Python list of strings that may hold string tokens)."""
    return isinstance(value, list) and is_token(value)
