"""What `scripts/benchmark` reports: the rows, the targets, the newcomer's
breakdown and the Markdown of ``docs/benchmarks.md``. No measuring here (that
is ``measure.py`` and ``rows.py`` beside it), so that the report is tested on made-up figures.

A *row* is one command's figure: ``{"median", "min", "max", "runs",
"peak_mib"}`` in seconds and MiB, with an optional ``"note"`` (a test run
that failed says so), or ``{"skipped": why}`` when it was not measured.
A *revision* is what was measured in one fresh clone: :class:`Revision`.
"""
from __future__ import annotations

import os
import platform
import statistics
import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone

from scripts.benchmarks import terraform_accounting

# Every row, in the order of the tables. Rows marked "this tree only" are
# same-run baselines of decisions already taken (the README quotes them).
LABELS = {
    "newcomer": "a newcomer's first `scripts/plan` (fresh clone, package caches warm)",
    "plan_cmd": "warm `scripts/plan dev` (second and later runs)",
    "floor": "floor: import the AWS bindings used (one module each) + synth an empty stack",
    "floor_root": "baseline: the same, importing through the bindings' package root (all modules)",
    "synth": "synth of the platform stack (`python main.py`)",
    "plan": "`terraform plan` of dev (stack initialized, emulator up)",
    "plan_200": "`terraform plan` of dev with 200 users",
    "plan_gogc100": "baseline: `terraform plan` of dev with Go's default GC (GOGC=100)",
    "pr_1": "`scripts/platform pr-plan` 1 workspace (synth included)",
    "pr_4": "`scripts/platform pr-plan` 4 workspaces (one synth)",
    "test_setup": "`scripts/bootstrap.sh --studio-clients` after that first plan (what `scripts/test` adds)",
    "loop": "`scripts/platform loop dev` (its own emulator)",
    "apply": "`scripts/platform apply dev --auto-approve` (persistent emulator)",
    "journey": "`scripts/platform journey dev` (dev applied on the persistent emulator)",
    "unit": "unit part of the suite (`scripts/test -q -m \"not emulator\"`)",
    "suite": "full test suite (`scripts/test -q`)",
}
THIS_TREE_ONLY = ("floor_root", "plan_gogc100")
SUITE_ROWS = ("unit", "suite")

# (label, rows summed above the line, rows summed below it (none: seconds), target or None)
TARGETS = (
    ("full test suite, seconds (`scripts/test`, fresh clone)", ("suite",), (), 300.0),
    ("warm `scripts/plan dev` / (synth + one `terraform plan`)", ("plan_cmd",), ("synth", "plan"), 1.25),
    ("a newcomer's first `scripts/plan`, seconds", ("newcomer",), (), 90.0),
    ("pr-plan 4 workspaces / 1", ("pr_4",), ("pr_1",), 1.6),
    ("`scripts/platform loop dev`, seconds", ("loop",), (), None),
    ("`scripts/platform journey dev`, seconds", ("journey",), (), None),
    ("unit part of the suite, seconds", ("unit",), (), 60.0),
    ("synth / floor", ("synth",), ("floor",), 1.25),
    ("plan 200 users / 1 user", ("plan_200",), ("plan",), 2.0),
    ("synth / floor through the package root", ("synth",), ("floor_root",), None),
    ("plan, GOGC=400 / GOGC=100", ("plan",), ("plan_gogc100",), None),
)


@dataclass
class Revision:
    """One measured revision: ``label`` names it in the tables (`` `ref` `` or
    "this tree"), ``sha`` is the commit its clone had checked out."""

    label: str
    sha: str
    rows: dict = field(default_factory=dict)
    breakdown: list = field(default_factory=list)
    """(step, seconds) of the newcomer's first scripts/plan."""
    notes: list = field(default_factory=list)
    terraform: dict = field(default_factory=dict)
    """The suite's ``terraform`` runs by subcommand (terraform_accounting.summary)."""


def merge_rounds(rounds: list[Revision]) -> Revision:
    """One revision's rounds as one: each row's runs of every round together (median, spread,
    count); the newcomer's breakdown and the suite's Terraform figures of the first round that has
    them; every round's notes once. A row measured in no round keeps the first round's reason."""
    merged = Revision(rounds[0].label, rounds[0].sha)
    for round_ in rounds:
        for key, row in round_.rows.items():
            have = merged.rows.get(key)
            if have is None or ("seconds" in row and "seconds" not in have):  # the first figure, or reason
                merged.rows[key] = dict(row)
                continue
            if "seconds" not in row:  # not measured this round: the other rounds' runs stand
                continue
            seconds = have["seconds"] + row["seconds"]
            merged.rows[key] = {**have, "seconds": seconds, "median": statistics.median(seconds),
                                "min": min(seconds), "max": max(seconds), "runs": len(seconds),
                                "peak_mib": max(have["peak_mib"], row["peak_mib"])}
        merged.breakdown = merged.breakdown or round_.breakdown
        merged.terraform = merged.terraform or round_.terraform
        merged.notes += [note for note in round_.notes if note not in merged.notes]
    return merged


def median(rows: dict, key: str) -> float | None:
    row = rows.get(key)
    return None if not row or "median" not in row else row["median"]


def target_value(rows: dict, above: tuple, below: tuple) -> tuple[float | None, list[str]]:
    """The target's figure from one revision's rows, or (None, the rows missing):
    the sum of the ``above`` medians, divided by the sum of the ``below`` ones."""
    missing = [key for key in (*above, *below) if median(rows, key) is None]
    if missing:
        return None, missing
    value = sum(median(rows, key) for key in above)
    return (value / sum(median(rows, key) for key in below) if below else value), []


def verdict(value: float, target: float | None) -> str:
    return "" if target is None else (" met" if value <= target else " NOT met")


def _figure(value: float, ratio: bool) -> str:
    return f"{value:.2f}" if ratio else f"{value:.1f}"


_PLATFORM_STEP = re.compile(r"^\[platform\] (?P<name>.+?) done in (?P<seconds>[\d.]+)s(?P<note>[^(\n]*)"
                            r"\(total (?P<total>[\d.]+)s\)", re.MULTILINE)


def newcomer_breakdown(wall: float, clone_seconds: float | None, timings_tsv: str | None,
                       platform_stderr: str) -> list[tuple[str, float]]:
    """Where a newcomer's first ``scripts/plan`` spends its ``wall`` seconds:
    bootstrap's steps (its ``.cache/bootstrap-timings.tsv``), scripts/platform's
    steps (its ``[platform] ... done in`` lines; the emulator's start and the
    early init run beside the synthesis, so these may overlap), and the rest."""
    steps = [] if clone_seconds is None else [("git clone (from the local repository; not in the total)",
                                               clone_seconds)]
    bootstrap_total = 0.0
    for line in (timings_tsv or "").splitlines()[1:]:
        name, _, seconds = line.partition("\t")
        try:
            value = float(seconds)
        except ValueError:
            continue
        if name == "total":
            bootstrap_total = value
        else:
            steps.append((f"bootstrap: {name}", value))
    if timings_tsv is None:
        steps.append(("bootstrap: no per-step times (this revision writes no .cache/bootstrap-timings.tsv)", 0.0))
    platform_total = 0.0
    for match in _PLATFORM_STEP.finditer(platform_stderr):
        note = match["note"].strip(" ,")
        steps.append((f"scripts/platform: {match['name']}" + (f" ({note})" if note else ""), float(match["seconds"])))
        platform_total = max(platform_total, float(match["total"]))
    if timings_tsv is not None:
        steps.append(("bootstrap, total", bootstrap_total))
    steps.append(("scripts/platform plan, total (its start to its last step)", platform_total))
    steps.append(("the rest (Python and imports before the first step, the emulator's stop, exit; "
                  "without per-step times: bootstrap too)", max(0.0, wall - bootstrap_total - platform_total)))
    return steps


def versions() -> str:
    terraform = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout.splitlines()[0]
    from importlib.metadata import version

    return (f"{terraform}; Python {platform.python_version()}; cdktf {version('cdktf')}; "
            f"cdktf-cdktf-provider-aws {version('cdktf-cdktf-provider-aws')}; moto {version('moto')} "
            "(this checkout's; each clone installs its own lock)")


def run_header(command: str, repeat: int, rounds: int = 1) -> str:
    order = ("" if rounds == 1 else
             f" In {rounds} rounds, the revisions in turn and in the other order each round (A B, B A, ...),"
             " so that a machine that drifts during the run weighs on each revision alike; each figure"
             " counts the runs of every round.")
    return (f"Run of `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
            f"{os.cpu_count()} cores; {versions()}. Each revision is measured in a fresh clone (made outside "
            f"this checkout), set up by its own `scripts/bootstrap.sh`; {repeat} run(s) per figure, except "
            f"the first plan, the set-up, loop, apply, journey and the suite (one each)"
            f"{'' if rounds == 1 else ', per round'}.{order}")


def _row(label: str, r: dict) -> str:
    if "skipped" in r:
        return f"| {label} | - | - | - | - | not measured: {r['skipped']} |"
    return (f"| {label} | {r['median']:.1f} | {r['min']:.1f}-{r['max']:.1f} | {r['runs']} | {r['peak_mib']:.0f} "
            f"| {r.get('note', '')} |")


def render(revisions: list[Revision], header: str) -> str:
    """The Markdown report; the last revision is this tree, the others are the
    baselines in the order given (the first is the "before" of the ratios)."""
    this, before = revisions[-1], revisions[:-1]
    names = [f"`{r.label}`" if r is not this else f"this tree (`{r.sha[:7]}`)" for r in revisions]
    lines = ["# Benchmarks", "", header, "", "## Targets (issue 15)", "",
             "Each figure is of one revision, from rows measured in this run (medians).", "",
             "| target | " + " | ".join(names) + " | target |", "| --- |" + " ---: |" * len(revisions) + " --- |"]
    for label, above, below, target in TARGETS:
        cells = []
        for revision in revisions:
            value, missing = target_value(revision.rows, above, below)
            cells.append("-" if value is None else _figure(value, bool(below)) + verdict(value, target))
        if set(cells) != {"-"}:
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {'' if target is None else f'<= {target:g}'} |")
    lines += ["", f"## Figures of this tree (`{this.sha[:7]}`)", "",
              "| figure | median s | min-max s | runs | peak MiB (largest process) | note |",
              "| --- | ---: | ---: | ---: | ---: | --- |"]
    lines += [_row(label, this.rows[key]) for key, label in LABELS.items() if key in this.rows]
    if before:
        lines += ["", "## Before and after", "",
                  "Medians (s) of each revision, measured in this run, and this tree's time as a fraction of "
                  f"{names[0]}'s.", "",
                  "| figure | " + " | ".join(names) + f" | this / {names[0]} |",
                  "| --- |" + " ---: |" * (len(revisions) + 1)]
        for key, label in LABELS.items():
            if key in THIS_TREE_ONLY or all(median(r.rows, key) is None for r in revisions):
                continue
            values = [median(r.rows, key) for r in revisions]
            cells = " | ".join("-" if v is None else f"{v:.1f}" for v in values)
            ratio = f"{values[-1] / values[0]:.2f}" if values[0] and values[-1] is not None else "-"
            lines.append(f"| {label} | {cells} | {ratio} |")
    lines += ["", "## A newcomer's first `scripts/plan`: where the time goes", ""]
    named = list(zip(names, revisions, strict=True))
    for name, revision in named:
        wall = median(revision.rows, "newcomer")
        if not revision.breakdown or wall is None:
            continue
        lines += [f"{name}: {wall:.1f} s in all.", "", "| step | s |", "| --- | ---: |"]
        lines += [f"| {step} | {seconds:.1f} |" for step, seconds in revision.breakdown] + [""]
    for name, revision in named:
        if revision.terraform:
            lines += [f"## The suite's Terraform ({name})", "", *terraform_accounting.render(revision.terraform)]
    notes = [f"- {name}: {note}" for name, revision in named for note in revision.notes]
    notes += [f"- {name}: {LABELS[key]}: not measured: {row['skipped']}" for name, revision in named
              for key, row in revision.rows.items() if "skipped" in row and revision is not this]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    return "\n".join(lines).rstrip("\n") + "\n"
