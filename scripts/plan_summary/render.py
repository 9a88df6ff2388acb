"""Markdown of a summary, of a failure, and the one pull-request comment."""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

from scripts.plan_summary import values as plan_values
from scripts.plan_summary.values import code
from scripts.plan_summary.model import (
    ACTIONS, ERROR_MAX_CHARS, ERROR_MAX_LINES, ERROR_MIN_CHARS, GITHUB_COMMENT_LIMIT, MARKER, Failure,
    Hazard, ResourceChange, WorkspaceSummary)
from scripts.plan_summary.hazards import index_name

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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
            names = ", ".join(code(index_name(h.change.address) or h.change.address) for h in rest[:30])
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
