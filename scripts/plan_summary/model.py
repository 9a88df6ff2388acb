"""What a summary holds, read from ``terraform show -json`` (:func:`summarize`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from modules.emr_account_inputs import EMR_ACCOUNT_SPECS
from modules.inputs import INPUT_SPECS
from scripts.errors import ScriptError
from scripts.plan_summary import values as plan_values
from scripts.plan_summary.values import code

MARKER = "<!-- sagemaker-emr-platform-plan -->"
GITHUB_COMMENT_LIMIT = 65536
"""GitHub refuses issue comments longer than this many characters."""

ACTIONS = ("add", "change", "replace", "destroy")
DESTRUCTIVE = ("replace", "destroy")
PROG = "plan_summary"
ERROR_MAX_LINES = 80
ERROR_MAX_CHARS = 6000
ERROR_MIN_CHARS = 200  # per failed workspace, however many failed

ACTION_REASONS = {
    "replace_because_tainted": "tainted",
    "replace_by_request": "requested with -replace",
    "replace_by_triggers": "replace_triggered_by",
    "replace_because_cannot_update": "cannot be updated in place",
    "delete_because_no_resource_config": "removed from the configuration",
    "delete_because_no_module": "its module was removed",
    "delete_because_wrong_repetition": "switched between count and for_each",
    "delete_because_count_index": "its count index is no longer in range",
    "delete_because_each_key": "its key is no longer in for_each",
    "delete_because_no_move_target": "the target of its moved block does not exist",
}


class SummaryError(ScriptError):
    """The input is not a plan we can read; ``str(err)`` says what and where."""


# -- data ----------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceChange:
    address: str
    type: str
    action: str
    """add, change, replace or destroy."""
    forced_by: tuple[str, ...] = ()
    """Attribute paths that force a replacement (``replace_paths``), rendered."""
    reason: str | None = None
    """Terraform's ``action_reason`` in words, e.g. 'tainted'."""
    deposed: str | None = None
    attributes: tuple[str, ...] = ()
    """Top-level attributes whose value changes (change and replace)."""
    forget_only: bool = False
    """A replacement whose old object is forgotten, not destroyed (lifecycle destroy = false)."""

    @property
    def why(self) -> str:
        if self.forced_by:
            return "forced by " + ", ".join(code(p) for p in self.forced_by)
        return self.reason or ""


@dataclass(frozen=True)
class Hazard:
    """A replacement or destroy that loses data or users' work, with what is lost."""

    change: ResourceChange
    title: str
    message: str


@dataclass(frozen=True)
class VariableValue:
    name: str
    value: Any
    default: Any
    required: bool
    sensitive: bool


@dataclass(frozen=True)
class VariableChange:
    name: str
    before: Any
    after: Any
    sensitive: bool
    added: bool = False
    removed: bool = False


@dataclass(frozen=True)
class OutputChange:
    name: str
    action: str
    before: Any
    after: Any
    after_unknown: Any
    """Which parts of ``after`` are unknown: True (all), a mirror of it, or False (none)."""
    sensitive: Any
    """Which parts are sensitive before or after the change (a mirror, or a bool): hidden on both sides."""


@dataclass
class WorkspaceSummary:
    workspace: str
    terraform_version: str | None = None
    changes: list[ResourceChange] = field(default_factory=list)
    """Every change that is not a no-op or read, in plan order."""
    hazards: list[Hazard] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)
    forgets: list[str] = field(default_factory=list)
    non_default_variables: list[VariableValue] = field(default_factory=list)
    variable_changes: list[VariableChange] | None = None
    """None: no base was given to compare with."""
    base_label: str | None = None
    output_changes: list[OutputChange] = field(default_factory=list)
    domain_guard: Any = None
    """The domain's replacement, destroy or move the domain guard looks at
    (``scripts.domain_guard.DomainReplacement``), or None."""

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """resource type -> action -> number of resources."""
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            out.setdefault(c.type, {a: 0 for a in ACTIONS})[c.action] += 1
        return dict(sorted(out.items()))

    @property
    def totals(self) -> dict[str, int]:
        totals = {a: 0 for a in ACTIONS}
        for c in self.changes:
            totals[c.action] += 1
        return totals

    @property
    def destructive(self) -> list[ResourceChange]:
        """Replacements and destroys, in plan order."""
        return [c for c in self.changes if c.action in DESTRUCTIVE]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.imports or self.moves or self.forgets or
                    any(o.action != "no-op" for o in self.output_changes))


@dataclass(frozen=True)
class Failure:
    workspace: str
    error: str


# -- reading a plan -------------------------------------------------------------
def _path_text(path: Sequence[Any]) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str) and re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", step):
            out += ("." if out else "") + step
        else:
            out += f"[{json.dumps(step)}]"
    return out or "(whole object)"


def _changed_attributes(change: Mapping[str, Any], action: str, forced_by: Sequence[Sequence[Any]]) -> tuple[str, ...]:
    """Top-level attributes whose value changes. Values that become unknown, wholly or in
    part, count for in-place updates; for replacements (where every computed value becomes
    unknown) only known differences and the attributes forcing the replacement count."""
    before = change.get("before") if isinstance(change.get("before"), dict) else {}
    after = change.get("after") if isinstance(change.get("after"), dict) else {}
    unknown = change.get("after_unknown") if isinstance(change.get("after_unknown"), dict) else {}
    names = {str(p[0]) for p in forced_by if p}
    # An unknown attribute is left out of `after` (plan_values): the mirror's keys count too.
    for key in set(before) | set(after) | set(unknown):
        mirror = unknown.get(key, False)
        if action == "change" and key != "id" and plan_values.marks_any(mirror):
            names.add(key)
        elif plan_values.known_parts_differ(before.get(key), after.get(key), mirror):
            names.add(key)
    return tuple(sorted(names))


def _classify(actions: Sequence[str]) -> tuple[str | None, bool]:
    """(our action or None to ignore, forget_only)."""
    acts = list(actions)
    if acts == ["create"]:
        return "add", False
    if acts == ["update"]:
        return "change", False
    if acts in (["delete", "create"], ["create", "delete"]):
        return "replace", False
    if acts in (["create", "forget"], ["forget", "create"]):
        return "replace", True
    if acts == ["delete"]:
        return "destroy", False
    if acts == ["forget"]:
        return "forget", False
    if acts in (["no-op"], ["read"], []):
        return None, False
    # An action list this module does not know (a newer Terraform): never let it hide a deletion.
    if "delete" in acts:
        return ("replace" if "create" in acts else "destroy"), False
    return "change", False


def _load_variables(plan: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict]]:
    values = {}
    for name, entry in (plan.get("variables") or {}).items():
        values[name] = entry.get("value") if isinstance(entry, dict) else entry
    config = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    return values, {k: (v if isinstance(v, dict) else {}) for k, v in config.items()}


def _required(name: str, spec: Mapping[str, Any]) -> bool:
    """True for an input a workspace file must give: one of ours marked required (declared with a
    null default, so that its null rule reports a missing value), or one without a default (how
    Terraform marks it, and how plans of earlier commits show ours)."""
    ours = INPUT_SPECS.get(name) or EMR_ACCOUNT_SPECS.get(name)  # either stack's (same names, same marker)
    return (ours is not None and ours.required) or "default" not in spec


def summarize(plan: Mapping[str, Any], workspace: str,
              base_variables: Mapping[str, Any] | None = None, base_label: str | None = None) -> WorkspaceSummary:
    """Summary of ``plan`` (``terraform show -json`` of a saved plan) for ``workspace``.

    ``base_variables`` (name -> value, e.g. from :func:`base_variables_from`)
    adds the variables whose value differs from that base; a name missing
    from the base compares against the variable's default.
    """
    from scripts.plan_summary.hazards import hazard_of  # it reads this module's classes

    if not isinstance(plan, Mapping) or "format_version" not in plan:
        raise SummaryError(f"workspace {workspace!r}: not a `terraform show -json` plan (no format_version)")
    if plan.get("errored"):
        raise SummaryError(f"workspace {workspace!r}: the plan says it errored (\"errored\": true); "
                           "Terraform stopped before planning everything")
    summary = WorkspaceSummary(workspace=workspace, terraform_version=plan.get("terraform_version"))
    from scripts import domain_guard

    summary.domain_guard = domain_guard.find_replacement(plan)
    values, config = _load_variables(plan)
    # The hazards' messages quote inputs (domain_name, home_efs_retention): never a sensitive one.
    quotable = {k: plan_values.SENSITIVE if config.get(k, {}).get("sensitive") else v for k, v in values.items()}
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") != "managed":
            continue
        change = rc.get("change") or {}
        address = rc.get("address") or "?"
        if change.get("importing"):
            summary.imports.append(address)
        if rc.get("previous_address") and rc.get("previous_address") != address:
            summary.moves.append((rc["previous_address"], address))
        action, forget_only = _classify(change.get("actions") or [])
        if action is None:
            continue
        if action == "forget":
            summary.forgets.append(address)
            continue
        reason = rc.get("action_reason")
        replace_paths = [p for p in (change.get("replace_paths") or []) if isinstance(p, list)]
        summary.changes.append(ResourceChange(
            address=address if not rc.get("deposed") else f"{address} (deposed object {rc['deposed']})",
            type=rc.get("type") or address.split(".")[0],
            action=action,
            forced_by=tuple(_path_text(p) for p in replace_paths) if action == "replace" else (),
            reason=ACTION_REASONS.get(reason, reason) if reason else None,
            deposed=rc.get("deposed"),
            attributes=_changed_attributes(change, action, replace_paths) if action in ("change", "replace") else (),
            forget_only=forget_only,
        ))
        hazard = hazard_of(summary.changes[-1], change, quotable)
        if hazard is not None:
            summary.hazards.append(hazard)

    for name in sorted(values):
        spec = config.get(name, {})
        required = _required(name, spec)
        if required or values[name] != spec.get("default"):
            summary.non_default_variables.append(VariableValue(
                name, values[name], spec.get("default"), required, bool(spec.get("sensitive"))))
    if base_variables is not None:
        summary.base_label = base_label
        summary.variable_changes = []
        for name in sorted(set(values) | set(base_variables)):
            spec = config.get(name, {})
            sensitive = bool(spec.get("sensitive"))
            if name not in values:
                summary.variable_changes.append(VariableChange(name, base_variables[name], None, sensitive,
                                                               removed=True))
                continue
            before = base_variables.get(name, spec.get("default"))
            added = name not in base_variables and _required(name, spec)
            if added or before != values[name]:
                summary.variable_changes.append(VariableChange(name, None if added else before, values[name],
                                                               sensitive, added=added))

    for name, oc in sorted((plan.get("output_changes") or {}).items()):
        acts = list(oc.get("actions") or [])
        if acts in (["no-op"], []):
            continue
        act = {"create": "add", "update": "change", "delete": "destroy"}.get(acts[0], "/".join(acts)) \
            if len(acts) == 1 else "replace"
        summary.output_changes.append(OutputChange(
            name, act, oc.get("before"), oc.get("after"), oc.get("after_unknown") or False,
            plan_values.either(oc.get("before_sensitive") or False, oc.get("after_sensitive") or False)))
    return summary
