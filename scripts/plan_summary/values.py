"""How the PR summary shows a planned value: unknown and sensitive parts, and the width of a cell.

Standard library only (``scripts/plan_summary/`` imports it).

Terraform's JSON plan (https://developer.hashicorp.com/terraform/internals/json-format,
"Change Representation") gives a value's unknown and sensitive parts as *mirror*
structures beside it: ``after_unknown`` is ``true`` for a value that is unknown as a
whole, or lists and objects shaped like the value with ``true`` at the unknown
leaves (a list has one entry per element, ``false`` where the element is known; an
object names only the keys holding unknowns). ``after`` then holds ``null`` at an
unknown list element and omits an unknown object key, which is why a list of two
subnet ids yet to be created reads ``[null, null]`` and a map of product ids
``{}``. ``before_sensitive`` and ``after_sensitive`` mark sensitive parts the same
way, while ``before`` and ``after`` carry the sensitive values in clear.

:func:`cell` renders a value for a Markdown table cell in the summary's compact
notation (JSON, keys sorted) with every unknown leaf as ``(known after apply)``,
the words ``terraform plan`` uses, and every sensitive leaf as ``(sensitive)``;
both bare, so a string holding those words (always quoted) cannot pass for them.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

VALUE_WIDTH = 80  # characters of a variable/output value shown in a table cell
KNOWN_AFTER_APPLY = "(known after apply)"
SENSITIVE = "(sensitive)"


def code(text: Any) -> str:
    """``text`` as a Markdown code span, safe in a table cell (one line, pipes escaped)."""
    s = str(text).replace("\r", " ").replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or not s.strip() else ""
    return f"{fence}{pad}{s}{pad}{fence}".replace("|", "\\|")


def marks_any(mirror: Any) -> bool:
    """Whether a mirror (``after_unknown``, ``after_sensitive``...) marks any part of its value."""
    if mirror is True:
        return True
    if isinstance(mirror, dict):
        return any(marks_any(m) for m in mirror.values())
    if isinstance(mirror, list):
        return any(marks_any(m) for m in mirror)
    return False


def _entry(mirror: Any, key: Any) -> Any:
    """The mirror of one element or attribute (False when the mirror does not mark it)."""
    if isinstance(mirror, dict) and isinstance(key, str):
        return mirror.get(key, False)
    if isinstance(mirror, list) and isinstance(key, int) and key < len(mirror):
        return mirror[key]
    return False


def either(first: Any, second: Any) -> Any:
    """One mirror marking every part that ``first`` or ``second`` marks: the sensitive parts of
    a value before and after a change, hidden on both sides so neither side gives the other away."""
    if first is True or second is True:
        return True
    if isinstance(first, dict) or isinstance(second, dict):
        keys = set(first if isinstance(first, dict) else ()) | set(second if isinstance(second, dict) else ())
        return {k: either(_entry(first, k), _entry(second, k)) for k in keys}
    if isinstance(first, list) or isinstance(second, list):
        size = max(len(m) if isinstance(m, list) else 0 for m in (first, second))
        return [either(_entry(first, i), _entry(second, i)) for i in range(size)]
    return False


def text(value: Any, unknown: Any = False, sensitive: Any = False) -> str:
    """``value`` in compact JSON with its unknown and sensitive parts (mirrors) shown as words.
    Sensitive comes first: an unknown part of a sensitive value shows as sensitive, as in
    ``terraform plan``."""
    if sensitive is True:
        return SENSITIVE
    if unknown is True:
        return KNOWN_AFTER_APPLY
    marked = marks_any(unknown) or marks_any(sensitive)
    if isinstance(value, dict) or (value is None and marked and isinstance(unknown, dict)):
        value = value or {}
        keys = sorted(set(value) | {k for k, m in (unknown if isinstance(unknown, dict) else {}).items()
                                    if marks_any(m)})
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: "
                               f"{text(value.get(k), _entry(unknown, k), _entry(sensitive, k))}"
                               for k in keys) + "}"
    if isinstance(value, list) or (value is None and marked and isinstance(unknown, list)):
        value = value or []
        size = max(len(value), len(unknown) if isinstance(unknown, list) else 0)
        return "[" + ", ".join(text(value[i] if i < len(value) else None, _entry(unknown, i), _entry(sensitive, i))
                               for i in range(size)) + "]"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def cell(value: Any, unknown: Any = False, sensitive: Any = False, width: int = VALUE_WIDTH) -> str:
    """Markdown for a table cell: ``*(sensitive)*`` or ``*(known after apply)*`` for a value
    that is so as a whole, else :func:`text` as a code span cut to ``width`` characters."""
    if sensitive is True:
        return f"*{SENSITIVE}*"
    if unknown is True:
        return f"*{KNOWN_AFTER_APPLY}*"
    shown = text(value, unknown, sensitive)
    if len(shown) > width:
        shown = shown[: width - 1] + "…"
    return code(shown)


def hide_sensitive(value: Any, sensitive: Any) -> Any:
    """``value`` with every part ``sensitive`` (a mirror) marks replaced by ``"(sensitive)"``:
    for code that reads single attributes (names, ids) out of a resource's ``before``."""
    if sensitive is True:
        return SENSITIVE
    if isinstance(value, Mapping) and isinstance(sensitive, dict):
        return {k: hide_sensitive(v, _entry(sensitive, k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(sensitive, list):
        return [hide_sensitive(v, _entry(sensitive, i)) for i, v in enumerate(value)]
    return value


def known_parts_differ(before: Any, after: Any, unknown: Any) -> bool:
    """Whether ``before`` and ``after`` differ in a part of ``after`` that is known
    (``unknown``: its mirror). A list whose length changes differs."""
    if unknown is True:
        return False
    if not marks_any(unknown):
        return before != after
    if isinstance(unknown, dict):
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        if not isinstance(before, dict) and before is not None:
            return True
        keys = set(b) | set(a)
        return any(known_parts_differ(b.get(k), a.get(k), _entry(unknown, k)) for k in keys)
    if isinstance(unknown, list):
        a = after if isinstance(after, list) else []
        if not isinstance(before, list) or len(before) != max(len(a), len(unknown)):
            return True
        return any(known_parts_differ(before[i], a[i] if i < len(a) else None, _entry(unknown, i))
                   for i in range(len(before)))
    return before != after
