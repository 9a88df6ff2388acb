"""Summaries of Terraform plans for review: one Markdown comment per pull request.

Standard library only; importable (``scripts/platform pr-plan`` uses it) and a CLI::

    python -m scripts.plan_summary --out DIR WS=PLAN_JSON... [--failed WS=ERROR_TEXT_FILE...]
                                   [--base WS=PATH...] [--artifact-hint TEXT]

``PLAN_JSON`` is ``terraform show -json <planfile>`` of workspace ``WS``. The
CLI writes ``DIR/<ws>.summary.md`` for every workspace (failed ones too) and
``DIR/comment.md``, the single pull-request comment covering all of them. It
exits 1 when any workspace failed (given with ``--failed``, or a plan JSON
that cannot be read or says it errored), 2 on bad arguments, else 0.

What a summary holds (:func:`summarize`):

* counts by resource type of add / change / replace / destroy (a replacement
  counts once, as replace, where Terraform's own "Plan:" line counts it as one
  add and one destroy); reads and no-ops are ignored; imports, moves and
  forgets are listed when there are any;
* every replacement and destroy individually, with why (the attributes that
  force a replacement, from ``replace_paths``; Terraform's ``action_reason``);
  the ones that lose data (the SageMaker domain, user profiles, buckets, the
  VPC, KMS keys, EFS) carry an explanation of what is lost;
* variables: the values of this workspace that differ from the variable's
  default (required variables always count), so a reviewer sees what makes
  the workspace what it is; and, when a base is given (``--base WS=PATH``, a
  plan JSON of the base branch or a ``.tfvars.json``), the variables whose
  value changed versus that base. Sensitive variables show no value;
* outputs whose value changes.

:func:`render_workspace` turns a summary into Markdown with a GitHub alert
block (``> [!CAUTION]`` when data is lost, ``> [!WARNING]`` otherwise) at the
top whenever anything is replaced or destroyed; :func:`render_comment` joins
all workspaces into one comment that starts with :data:`MARKER` (so CI finds
and updates it), lists failures first, and fits GitHub's 65,536-character
limit by cutting per-workspace details, never the failures or the warning
blocks, pointing at the artifact that has everything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from modules.emr_account_inputs import EMR_ACCOUNT_SPECS
from modules.inputs import INPUT_SPECS
from scripts import plan_values
from scripts.errors import ScriptError, UsageError, run_main
from scripts.workspaces import workspace_name_problem
from scripts.plan_values import code

MARKER = "<!-- sagemaker-emr-platform-plan -->"
GITHUB_COMMENT_LIMIT = 65536
"""GitHub refuses issue comments longer than this many characters."""

ACTIONS = ("add", "change", "replace", "destroy")
DESTRUCTIVE = ("replace", "destroy")
PROG = "plan_summary"
ERROR_MAX_LINES = 80
ERROR_MAX_CHARS = 6000
ERROR_MIN_CHARS = 200  # per failed workspace, however many failed

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

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
        hazard = _hazard(summary.changes[-1], change, quotable)
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


# -- what a replacement or destroy loses --------------------------------------------
def _first(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, list):
            value = value[key] if isinstance(key, int) and len(value) > key else None
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def _index_name(address: str) -> str | None:
    m = re.search(r'\["([^"]*)"\]$', address)
    return m.group(1) if m else None


def _hazard(rc: ResourceChange, change: Mapping[str, Any], variables: Mapping[str, Any]) -> Hazard | None:
    if rc.action not in DESTRUCTIVE or rc.forget_only:
        return None
    # What the messages quote of the old object (names, ids) never shows a sensitive value.
    before = plan_values.hide_sensitive(change.get("before"), change.get("before_sensitive") or False)
    before = before if isinstance(before, dict) else {}
    verb, verbing = ("replaced", "Replacing") if rc.action == "replace" else ("destroyed", "Destroying")
    if rc.type == "aws_sagemaker_domain":
        retention = _first(before, "retention_policy", 0, "home_efs_file_system") \
            or variables.get("home_efs_retention")
        efs = before.get("home_efs_file_system_id")
        efs_text = f" ({code(efs)})" if efs else ""
        name = before.get("domain_name") or variables.get("domain_name")
        if retention == "Delete":
            kept = (f"With `home_efs_retention = \"Delete\"` the EFS{efs_text} and every file on it are deleted "
                    "for good.")
        elif retention == "Retain":
            kept = (f"With `home_efs_retention = \"Retain\"` the old EFS{efs_text} is kept, but no Studio user "
                    "can reach it any more: copy what is needed out of it first, and delete it afterwards.")
        else:
            kept = "Check `home_efs_retention`: with Delete the old EFS and every file on it are deleted."
        lead = "replacing" if rc.action == "replace" else "destroying"
        message = (f"{lead.capitalize()} the SageMaker domain destroys every user's home directory (its EFS): "
                   + ("the new domain starts with a new, empty EFS, and " if rc.action == "replace" else "")
                   + "every user profile, space and app of the old domain goes with it. " + kept)
        return Hazard(rc, f"The SageMaker domain{' ' + code(name) if name else ''} is {verb}", message)
    if rc.type == "aws_sagemaker_user_profile":
        user = before.get("user_profile_name") or _index_name(rc.address) or rc.address
        message = (f"{verbing} the Studio user profile {code(user)} deletes that user's space and apps "
                   "(SageMaker refuses while they still exist: delete them first) and "
                   + ("gives the user a new, empty home directory; "
                      if rc.action == "replace" else "a profile created again under that name gets a new, empty "
                      "home directory; ")
                   + "the old one stays orphaned on the domain's EFS.")
        return Hazard(rc, f"The Studio user profile {code(user)} is {verb}", message)
    if rc.type == "aws_servicecatalog_product":
        name = before.get("name") or rc.address
        launched = ("Clusters users launched from it keep running, but as provisioned products of a product that "
                    "no longer exists: they can be terminated, not updated. ")
        if rc.action == "replace":
            message = (f"The product gets a new id, and every version of the old one goes. {launched}"
                       "Studio offers the new product once the apply has made it.")
        else:
            message = f"Studio users can no longer launch it, and every version of it goes. {launched}"
        return Hazard(rc, f"The Service Catalog product {code(name)} is {verb}", message)
    if rc.type == "aws_servicecatalog_provisioning_artifact":
        name = before.get("name") or _index_name(rc.address) or rc.address
        message = ("Clusters launched from this version keep running and can be terminated, but can no longer be "
                   "updated (emr_product_versions_kept says how many versions stay).")
        if rc.action == "replace":
            message = "The version gets a new id. " + message
        return Hazard(rc, f"The product version {code(name)} is {verb}", message)
    if rc.type == "aws_s3_bucket":
        name = before.get("bucket") or rc.address
        hint = f"{name} {rc.address}".lower()
        if "state" in hint:
            kind, holds = "state bucket", ("every workspace's Terraform state: without it Terraform loses track "
                                           "of everything it manages")
        elif "data" in hint:
            kind, holds = "data bucket", "the EMR logs and Studio's shared notebooks"
        elif "artifact" in hint:
            kind, holds = "artifacts bucket", ("the EMR bootstrap script and product templates: launching EMR "
                                               "from Studio fails until they are uploaded again")
        else:
            kind, holds = "bucket", "objects that are lost with it"
        if before.get("force_destroy"):
            objects = "`force_destroy` is on: Terraform first deletes every object in it, every version included."
        else:
            objects = ("Terraform can only delete it when it is empty: the apply fails while it holds objects "
                       "(every version counts), after other changes may already have been made.")
        extra = " The new bucket starts empty: nothing is copied over." if rc.action == "replace" else ""
        return Hazard(rc, f"The {kind} {code(name)} is {verb}", f"It holds {holds}. {objects}{extra}")
    if rc.type == "aws_vpc":
        cidr = before.get("cidr_block")
        if rc.action == "replace":
            message = ("Replacing the VPC takes everything in it along: subnets, NAT gateways, endpoints, security "
                       "groups, and the SageMaker domain, which cannot move to another VPC (so every user's home "
                       "directory goes too). ")
        else:
            message = "Destroying the VPC needs everything in it gone first. "
        message += ("The domain's retained home EFS and the security groups SageMaker created itself are not "
                    "Terraform's: they block deleting the old VPC until they are removed by hand (README, "
                    "Destroying).")
        return Hazard(rc, f"The VPC{' ' + code(cidr) if cidr else ''} is {verb}", message)
    if rc.type == "aws_kms_key":
        message = (f"{verbing} a KMS key schedules its deletion: whatever it encrypts (home EFS, buckets, EMR "
                   "disks) becomes unreadable for good once the waiting period ends, unless the deletion is "
                   "cancelled in time.")
        return Hazard(rc, f"A KMS key is {verb}", message)
    if rc.type == "aws_efs_file_system":
        return Hazard(rc, f"An EFS file system is {verb}", f"{verbing} an EFS file system deletes every file on it.")
    return None


# -- Markdown helpers ------------------------------------------------------------
def _fence(text: str, info: str = "text") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def utf16_len(text: str) -> int:
    """Length as GitHub (JavaScript) counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def headline_counts(totals: Mapping[str, int]) -> str:
    if not any(totals.values()):
        return "no changes"
    return ", ".join(f"{totals[a]} to {a}" for a in ACTIONS)


# -- rendering one workspace ----------------------------------------------------
def _headline(summary: WorkspaceSummary, level: int) -> str:
    extra = []
    if summary.imports:
        extra.append(f"{len(summary.imports)} to import")
    if summary.forgets:
        extra.append(f"{len(summary.forgets)} to forget")
    if summary.moves:
        extra.append(f"{len(summary.moves)} moved")
    counts = headline_counts(summary.totals)
    if extra:
        counts = (counts + ", " if any(summary.totals.values()) else "") + ", ".join(extra)
    return f"{'#' * level} Workspace {code(summary.workspace)}: {counts}"


def _change_line(c: ResourceChange) -> str:
    why = f" ({c.why})" if c.why else ""
    verb = "replace" if c.action == "replace" else "destroy"
    if c.forget_only:
        verb, why = "replace", f"{why} (the old object is only forgotten: lifecycle destroy = false)"
    return f"{verb} {code(c.address)}{why}"


def warning_block(summary: WorkspaceSummary, compact: bool = False) -> str:
    """The alert block listing every replacement and destroy ('' when there are none).

    ``compact`` groups the entries without a data-loss explanation by type and
    action, and repeated explanations of one type (many user profiles), to fit
    a comment; data-loss entries stay itemized up to 10 per type.
    """
    destructive = summary.destructive
    if not destructive and summary.domain_guard is None:
        return ""
    t = summary.totals
    kind = "CAUTION" if summary.hazards or summary.domain_guard else "WARNING"
    parts = []
    if t["replace"]:
        parts.append(f"replaces {t['replace']}")
    if t["destroy"]:
        parts.append(f"destroys {t['destroy']}")
    lines = [f"> [!{kind}]",
             f"> **This plan {' and '.join(parts)} resource{'s' if len(destructive) > 1 else ''}"
             f" in workspace {code(summary.workspace)}.**"
             + (" Some of them hold data or users' work:" if summary.hazards else " Review each before merging:")
             if destructive else f"> **This plan moves the SageMaker domain of workspace {code(summary.workspace)}.**"]
    if summary.domain_guard is not None:
        from scripts import domain_guard

        lines.append(domain_guard.markdown(summary.domain_guard, summary.workspace))
    hazard_addresses = {h.change.address for h in summary.hazards}
    by_type: dict[tuple[str, str], list[Hazard]] = {}
    for h in summary.hazards:
        by_type.setdefault((h.change.type, h.change.action), []).append(h)
    for (type_, action), hazards in by_type.items():
        shown = hazards if not compact else hazards[:10]
        for h in shown:
            lines.append(f"> - **{h.title}**: {_change_line(h.change)}. {h.message}")
        if len(hazards) > len(shown):
            rest = hazards[len(shown):]
            names = ", ".join(code(_index_name(h.change.address) or h.change.address) for h in rest[:30])
            more = f" and {len(rest) - 30} more" if len(rest) > 30 else ""
            lines.append(f"> - **{len(rest)} more {code(type_)} to {action}**, with the same consequences: "
                         f"{names}{more}.")
    others = [c for c in destructive if c.address not in hazard_addresses]
    if others and compact and len(others) > 20:
        groups: dict[tuple[str, str], int] = {}
        for c in others:
            groups[(c.action, c.type)] = groups.get((c.action, c.type), 0) + 1
        for (action, type_), n in sorted(groups.items()):
            lines.append(f"> - {action} {n} × {code(type_)}")
        lines.append(f"> - *(grouped by type to fit the comment: `{summary.workspace}.summary.md` lists each)*")
    else:
        for c in others:
            lines.append(f"> - {_change_line(c)}")
    return "\n".join(lines)


def _variables_section(summary: WorkspaceSummary) -> list[str]:
    out = []
    if summary.variable_changes is not None:
        label = f" ({summary.base_label})" if summary.base_label else ""
        if summary.variable_changes:
            out += [f"**Variables changed versus the base{label}:**", "",
                    "| variable | base | this plan |", "| --- | --- | --- |"]
            for v in summary.variable_changes:
                before = "*(not set)*" if v.added else plan_values.cell(v.before, sensitive=v.sensitive)
                after = "*(removed)*" if v.removed else plan_values.cell(v.after, sensitive=v.sensitive)
                out.append(f"| {code(v.name)} | {before} | {after} |")
        else:
            out.append(f"**Variables changed versus the base{label}:** none.")
        out.append("")
    if summary.non_default_variables:
        out += ["**Variables that differ from their defaults** (this workspace's values):", "",
                "| variable | value | default |", "| --- | --- | --- |"]
        for v in summary.non_default_variables:
            default = "*(required)*" if v.required else plan_values.cell(v.default, sensitive=v.sensitive)
            out.append(f"| {code(v.name)} | {plan_values.cell(v.value, sensitive=v.sensitive)} | {default} |")
        out.append("")
    return out


def render_details(summary: WorkspaceSummary) -> str:
    """Everything but the headline and the warning block: table by type, variables, outputs."""
    out: list[str] = []
    counts = summary.counts
    if counts:
        out += ["| resource type | add | change | replace | destroy | attributes changing |",
                "| --- | ---: | ---: | ---: | ---: | --- |"]
        attrs_by_type: dict[str, set[str]] = {}
        for c in summary.changes:
            attrs_by_type.setdefault(c.type, set()).update(c.attributes)
        for type_, n in counts.items():
            attrs = sorted(attrs_by_type.get(type_, ()))
            shown = ", ".join(code(a) for a in attrs[:8]) + (f" and {len(attrs) - 8} more" if len(attrs) > 8 else "")
            cells = " | ".join(str(n[a]) if n[a] else "" for a in ACTIONS)
            out.append(f"| {code(type_)} | {cells} | {shown} |")
        t = summary.totals
        out.append(f"| **total** | {' | '.join(f'**{t[a]}**' for a in ACTIONS)} | |")
        out.append("")
    else:
        out += ["No resource changes.", ""]
    if summary.imports:
        out += ["**Imported:** " + ", ".join(code(a) for a in summary.imports), ""]
    if summary.moves:
        out += ["**Moved:** " + ", ".join(f"{code(a)} → {code(b)}" for a, b in summary.moves), ""]
    if summary.forgets:
        out += ["**Removed from state, not destroyed:** " + ", ".join(code(a) for a in summary.forgets), ""]
    out += _variables_section(summary)
    if summary.output_changes:
        out += ["**Outputs changing:**", "", "| output | action | before | after |", "| --- | --- | --- | --- |"]
        for o in summary.output_changes:
            before = "" if o.action == "add" else plan_values.cell(o.before, sensitive=o.sensitive)
            after = "" if o.action == "destroy" else plan_values.cell(o.after, o.after_unknown, o.sensitive)
            out.append(f"| {code(o.name)} | {o.action} | {before} | {after} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_workspace(summary: WorkspaceSummary, level: int = 3) -> str:
    """Markdown for one workspace: headline, warning block (if any), details."""
    parts = [_headline(summary, level)]
    block = warning_block(summary)
    if block:
        parts.append(block)
    parts.append(render_details(summary).rstrip())
    return "\n\n".join(parts) + "\n"


def render_failure(failure: Failure, level: int = 3, max_chars: int = ERROR_MAX_CHARS,
                   pointer: str = "") -> str:
    return (f"{'#' * level} Workspace {code(failure.workspace)}: planning failed\n\n"
            f"{_fence(trim_error(failure.error, max_chars=max_chars, pointer=pointer))}\n")


def trim_error(text: str, max_lines: int = ERROR_MAX_LINES, max_chars: int = ERROR_MAX_CHARS,
               pointer: str = "") -> str:
    """The part of an error output a reviewer needs: ANSI codes removed, from
    Terraform's first ``Error:`` on (else the last lines), cut to size with a
    note saying how much was left out and where the rest is."""
    text = _ANSI.sub("", text or "").replace("\r\n", "\n").rstrip()
    if not text.strip():
        return "(the command failed without any error output)"
    lines = text.splitlines()
    first_error = next((i for i, ln in enumerate(lines) if re.search(r"(^|[\s│|])Error:", ln)), None)
    skipped_head = 0
    if first_error is not None:
        skipped_head, lines = first_error, lines[first_error:]
    elif len(lines) > max_lines:
        skipped_head, lines = len(lines) - max_lines, lines[-max_lines:]
    kept: list[str] = []
    size = 0
    budget = max(max_chars, 120) - 120  # room for the notes
    for ln in lines[:max_lines]:
        if size + len(ln) + 1 > budget:
            if not kept:
                kept.append(ln[: max(budget, 40)] + "…")
            break
        kept.append(ln)
        size += len(ln) + 1
    skipped_tail = len(lines) - len(kept)
    where = f" ({pointer})" if pointer else ""
    if skipped_head:
        kept.insert(0, f"[… {skipped_head} line{'s' if skipped_head > 1 else ''} before the first error "
                       f"left out{where}]")
    if skipped_tail:
        kept.append(f"[… {skipped_tail} more line{'s' if skipped_tail > 1 else ''} left out{where}]")
    return "\n".join(kept)


# -- the pull-request comment ---------------------------------------------------------
def _cut(text: str, budget: int, note: str) -> str:
    """``text`` cut at a line boundary so that it plus ``note`` fits ``budget`` characters."""
    if utf16_len(text) <= budget:
        return text
    room = budget - utf16_len(note) - 2
    kept, size = [], 0
    for line in text.splitlines():
        n = utf16_len(line) + 1
        if size + n > room:
            break
        kept.append(line)
        size += n
    # A table cut in the middle still renders; a dangling fence or tag would not (we cut none).
    return ("\n".join(kept).rstrip() + "\n\n" + note).strip() + "\n"


def render_comment(summaries: Sequence[WorkspaceSummary],
                   failures: Sequence[Failure] | Sequence[tuple[str, str]] | Mapping[str, str], artifact_hint: str,
                   limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """One Markdown comment for all workspaces, at most ``limit`` UTF-16 units (GitHub's limit).

    Order: :data:`MARKER`, a status line with the pointer to the full plans
    (``artifact_hint``, e.g. "the `plan-out` artifact of this run"), every
    failure (error text trimmed, never left out), an overview table, then per
    workspace its headline and warning block (always kept) and its details
    (cut first, with a pointer, when the comment would be too long).
    """
    if isinstance(failures, Mapping):  # {workspace: error text} works too
        failures = [Failure(ws, text) for ws, text in failures.items()]
    failures = [f if isinstance(f, Failure) else Failure(*f) for f in failures]
    summaries = list(summaries)
    planned, failed = len(summaries), len(failures)
    status = (f"**{failed} of {planned + failed} workspace{'s' if planned + failed != 1 else ''} failed to plan.**"
              if failed else f"**{planned} workspace{'s' if planned != 1 else ''} planned.**")
    if not failed and not planned:
        status = "**No workspace was planned.**"
    destructive = [s.workspace for s in summaries if s.destructive or s.domain_guard]
    if destructive:
        status += (" Replacements or destroys in " + ", ".join(code(w) for w in destructive)
                   + ": see the warnings below.")
    head = "\n".join([MARKER, "## Terraform plan", "", status,
                      f"Full plans and summaries: {artifact_hint}.", ""])
    pointer = f"the full output is in {artifact_hint}"

    def failures_section(max_chars: int) -> str:
        if not failures:
            return ""
        names = ", ".join(code(f.workspace) for f in failures)
        block = (f"> [!CAUTION]\n> **Planning failed for {names}.** No plan exists for "
                 f"{'it' if failed == 1 else 'them'}: fix the error and push again.\n")
        return block + "\n" + "\n".join(render_failure(f, 3, max_chars, pointer) for f in failures)

    def overview() -> str:
        if planned + failed < 2:
            return ""
        rows = ["| workspace | add | change | replace | destroy | |", "| --- | ---: | ---: | ---: | ---: | --- |"]
        for f in failures:
            rows.append(f"| {code(f.workspace)} | | | | | **planning failed** |")
        quiet = [s.workspace for s in summaries if not s.has_changes]
        for s in summaries:
            if s.has_changes:
                t = s.totals
                flag = "**data loss**" if s.hazards else ("replacements/destroys" if s.destructive else "")
                rows.append(f"| {code(s.workspace)} | {' | '.join(str(t[a]) for a in ACTIONS)} | {flag} |")
        if len(rows) == 2:
            rows = []
        if quiet:
            rows += ["", "No changes: " + ", ".join(code(w) for w in quiet) + "."]
        return "\n".join(rows).strip() + "\n"

    def essentials(compact: bool) -> list[str]:
        out = []
        for s in summaries:
            block = warning_block(s, compact=compact)
            out.append(_headline(s, 3) + "\n\n" + (block + "\n\n" if block else ""))
        return out

    def join(parts: Iterable[str]) -> str:
        return "\n".join(p.rstrip("\n") + "\n" for p in parts if p)

    # Failures: as much of each error as fits, never less than ERROR_MIN_CHARS each.
    fail_chars = ERROR_MAX_CHARS
    fixed_rest = utf16_len(head) + utf16_len(overview())
    while failures and fail_chars > ERROR_MIN_CHARS and \
            fixed_rest + utf16_len(failures_section(fail_chars)) > limit // 2:
        fail_chars = max(ERROR_MIN_CHARS, fail_chars * 3 // 4)
    fails = failures_section(fail_chars)

    ess = essentials(compact=False)
    fixed = join([head, fails, overview(), *ess])
    if utf16_len(fixed) > limit:
        ess = essentials(compact=True)
        fixed = join([head, fails, overview(), *ess])

    details = [render_details(s) for s in summaries]
    note_for = {s.workspace: (f"*Details cut to fit GitHub's {GITHUB_COMMENT_LIMIT:,}-character comment limit: "
                              f"the whole summary is `{s.workspace}.summary.md` in {artifact_hint}.*")
                for s in summaries}
    wrap_cost = utf16_len("<details><summary>Resource types, variables and outputs</summary>\n\n\n</details>\n\n")
    remaining = limit - utf16_len(fixed) - 200
    budgets = [0] * len(details)
    order = sorted(range(len(details)), key=lambda i: utf16_len(details[i]))
    left = remaining
    for pos, i in enumerate(order):
        share = left // (len(order) - pos) if left > 0 else 0
        need = utf16_len(details[i]) + wrap_cost
        budgets[i] = min(need, share)
        left -= budgets[i]

    parts = [head, fails, overview()]
    for i, s in enumerate(summaries):
        parts.append(ess[i])
        full = utf16_len(details[i]) + wrap_cost
        if budgets[i] >= full:
            body = details[i]
        elif budgets[i] - wrap_cost >= 300:
            body = _cut(details[i], budgets[i] - wrap_cost, note_for[s.workspace])
        else:
            parts.append(note_for[s.workspace] + "\n")
            continue
        parts.append(f"<details><summary>Resource types, variables and outputs</summary>\n\n{body.rstrip()}"
                     f"\n\n</details>\n")
    text = join(parts)
    if utf16_len(text) > limit:  # only with absurd numbers of workspaces: keep the start, say where the rest is
        text = _cut(text, limit - 10, f"*Comment cut to fit GitHub's limit: everything is in {artifact_hint}.*")
    return text


# -- loading inputs -------------------------------------------------------------------
def load_json(path: Path | str, what: str) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SummaryError(f"{what}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SummaryError(f"{what}: cannot read {path}: {exc}") from None
    except ValueError as exc:
        raise SummaryError(f"{what}: {path} is not valid JSON: {exc}") from None


def base_variables_from(data: Any, source: str = "base") -> dict[str, Any]:
    """Variables of a base: a plan JSON (its ``variables``) or a ``.tfvars.json`` mapping."""
    if isinstance(data, dict) and "format_version" in data and isinstance(data.get("variables"), dict):
        return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in data["variables"].items()}
    if isinstance(data, dict):
        return dict(data)
    raise SummaryError(f"{source}: expected a plan JSON or a .tfvars.json object, got {type(data).__name__}")


def default_artifact_hint(out_dir: Path | str, environ: Mapping[str, str] | None = None,
                          artifact_name: str = "plan-out") -> str:
    env = os.environ if environ is None else environ
    server, repo, run_id = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if server and repo and run_id:
        return f"the `{artifact_name}` artifact of [workflow run {run_id}]({server}/{repo}/actions/runs/{run_id})"
    return f"the files in `{out_dir}`"


def _pairs(items: Sequence[str], option: str) -> list[tuple[str, str]]:
    out, seen = [], set()
    for item in items:
        ws, sep, path = item.partition("=")
        if not sep or not path:
            raise UsageError(f"{option}: expected WORKSPACE=PATH, got {item!r}")
        problem = workspace_name_problem(ws)
        if problem:
            raise UsageError(f"{option}: invalid workspace name {ws!r} in {item!r} ({problem})")
        if ws in seen:
            raise UsageError(f"{option}: workspace {ws!r} given twice")
        seen.add(ws)
        out.append((ws, path))
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m scripts.plan_summary",
        description="Summarize `terraform show -json` plans of several workspaces as Markdown: "
                    "DIR/<ws>.summary.md per workspace and DIR/comment.md for the pull request. "
                    "Exits 1 when any workspace failed.")
    p.add_argument("plans", nargs="*", metavar="WS=PLAN_JSON", help="a workspace and its plan JSON")
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write the Markdown into")
    p.add_argument("--failed", action="append", default=[], metavar="WS=ERROR_TEXT_FILE",
                   help="a workspace whose plan failed, and the file with its error output")
    p.add_argument("--base", action="append", default=[], metavar="WS=PATH",
                   help="the base to compare a workspace's variables with: a plan JSON or a .tfvars.json")
    p.add_argument("--artifact-hint", default=None,
                   help="where the full plans are, in words (default: the GitHub run's artifact or DIR)")
    p.add_argument("--artifact-name", default="plan-out", help="artifact name for the default hint")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(PROG, lambda: _run(args))


def _inputs(args: argparse.Namespace):
    """(plans, failed, bases, base variables) of the command line; a UsageError when they do not fit."""
    plans = _pairs(args.plans, "WS=PLAN_JSON")
    failed = _pairs(args.failed, "--failed")
    bases = dict(_pairs(args.base, "--base"))
    both = {w for w, _ in plans} & {w for w, _ in failed}
    if both:
        raise UsageError(f"workspace(s) {', '.join(sorted(both))} given both as planned and as failed")
    if not plans and not failed:
        raise UsageError("no workspace given: pass WS=PLAN_JSON and/or --failed WS=ERROR_TEXT_FILE")
    unknown_bases = set(bases) - {w for w, _ in plans} - {w for w, _ in failed}
    if unknown_bases:
        raise UsageError(f"--base for workspace(s) not planned: {', '.join(sorted(unknown_bases))}")
    try:
        base_vars = {ws: base_variables_from(load_json(path, f"--base {ws}"), f"--base {ws}={path}")
                     for ws, path in bases.items()}
    except SummaryError as exc:  # a file the command was given
        raise UsageError(exc.message, exc.next_step) from None
    return plans, failed, bases, base_vars


def _run(args: argparse.Namespace) -> int:
    plans, failed, bases, base_vars = _inputs(args)
    out = Path(args.out)
    hint = args.artifact_hint or default_artifact_hint(out, artifact_name=args.artifact_name)
    plan_docs: dict[str, Any] = {}
    for ws, path in plans:
        try:
            plan_docs[ws] = load_json(path, f"plan of {ws}")
        except SummaryError as exc:
            plan_docs[ws] = exc
    errors: dict[str, str] = {}
    for ws, path in failed:
        try:
            errors[ws] = Path(path).read_text(errors="replace")
        except OSError as exc:
            errors[ws] = f"(the error output {path} could not be read: {exc})"
    labels = {ws: f"`{path}`" for ws, path in bases.items()}
    summaries, failures = write_summaries(out, plan_docs, errors, hint, base_vars, labels)
    for s in summaries:
        print(f"{PROG}: {s.workspace}: {headline_counts(s.totals)}"
              + (f"; {len(s.hazards)} data-loss warning(s)" if s.hazards else ""), file=sys.stderr)
    for f in failures:
        print(f"{PROG}: {f.workspace}: FAILED", file=sys.stderr)
    print(f"{PROG}: wrote {out / 'comment.md'}", file=sys.stderr)
    return 1 if failures else 0


def write_summaries(out_dir: Path | str, plans: Mapping[str, Any], errors: Mapping[str, str], artifact_hint: str,
                    base_variables: Mapping[str, Mapping[str, Any]] | None = None,
                    base_labels: Mapping[str, str] | None = None,
                    ) -> tuple[list[WorkspaceSummary], list[Failure]]:
    """Write ``<ws>.summary.md`` for every workspace and ``comment.md`` into ``out_dir``.

    ``plans``: workspace -> parsed ``terraform show -json`` (a plan that cannot be
    summarized, or an exception in its place, becomes a failure); ``errors``:
    workspace -> error output of a workspace whose plan failed. Returns the
    summaries and the failures (failures non-empty: the caller exits non-zero).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base_variables, base_labels = base_variables or {}, base_labels or {}
    failures = [Failure(ws, text) for ws, text in errors.items()]
    summaries: list[WorkspaceSummary] = []
    for ws, plan in plans.items():
        try:
            if isinstance(plan, Exception):
                raise plan
            summaries.append(summarize(plan, ws, base_variables.get(ws), base_labels.get(ws)))
        except SummaryError as exc:
            failures.append(Failure(ws, f"Error: the plan JSON could not be summarized: {exc}"))
    for s in summaries:
        (out / f"{s.workspace}.summary.md").write_text(render_workspace(s))
    for f in failures:
        (out / f"{f.workspace}.summary.md").write_text(render_failure(f, max_chars=10 * ERROR_MAX_CHARS))
    (out / "comment.md").write_text(render_comment(summaries, failures, artifact_hint))
    return summaries, failures


if __name__ == "__main__":
    sys.exit(main())
