"""`scripts/benchmark`: the speed targets of issue 15, before and after, in one run.

Each revision (this tree's commit, and each ``--baseline REF``) is measured in
a fresh clone of this repository, made outside it: the commands people run, as
they run them, set up by that revision's own ``scripts/bootstrap.sh`` from its
own locks, with the same Terraform, provider mirror, Python and package caches.
In each clone, in this order:

1. a newcomer's first ``scripts/plan`` (dev), with where its time goes
   (bootstrap's ``.cache/bootstrap-timings.tsv``, scripts/platform's steps);
2. warm ``scripts/plan dev`` (the runs after that first one);
3. the floor of synthesis (import the AWS bindings used and synthesize an
   empty stack) and synthesis itself (``python main.py``);
4. ``terraform plan`` of dev in an initialized copy of the stack against a
   running emulator (1 and 200 users): with synth, the floor of warm
   ``scripts/plan dev``;
5. ``scripts/platform pr-plan`` of 1 and of 4 workspaces;
6. ``scripts/bootstrap.sh --studio-clients`` (what ``scripts/test`` and the
   journey add), ``scripts/platform loop dev``, and ``scripts/platform journey
   dev`` after ``apply dev`` on a persistent emulator of the run's own;
7. the unit part and the whole suite (``scripts/test``; ``--no-suite`` leaves
   them out).

Every figure but 1, 6 and 7 is run ``--repeat`` times (median, spread, peak
memory). Ratios are per revision, of rows of the same run. ``--rounds N``
measures every revision N times, in the other order each round (A B, B A):
revisions measured one after the other see a machine that drifts (one run of
this session's: the same synthesis floor 8 % and the same ``terraform plan``
15 % slower for the second revision); the rounds' runs count together. A row whose command
a revision lacks, or whose command fails, is left empty with why; nothing here
fails on a slow machine (report.py: the report).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.benchmarks.report import (
    LABELS, merge_rounds, render, run_header)
from scripts.errors import run_main
from scripts.repo import REPO_ROOT
from scripts.benchmarks.measure import RESULT, git
from scripts.benchmarks.rows import measure_revision


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3; at least 1)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every revision this many times, in the other order each round (default 1)")
    parser.add_argument("--no-suite", action="store_true", help="leave out the unit part and the full test suite")
    parser.add_argument("--baseline", metavar="REF", action="append", default=[],
                        help="also measure git revision REF, for a before/after table (repeatable)")
    parser.add_argument("--only", metavar="ROWS", type=lambda text: [k for k in text.split(",") if k],
                        help="measure only these rows (comma-separated; a revision's first scripts/plan always "
                             f"runs): {', '.join(LABELS)}")
    parser.add_argument("--out", default=str(RESULT), help="Markdown result (default docs/benchmarks.md)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    unknown = [key for key in args.only or [] if key not in LABELS]
    if unknown:
        parser.error(f"--only: unknown row(s) {', '.join(unknown)}; rows: {', '.join(LABELS)}")
    for ref in args.baseline:
        if subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=REPO_ROOT,
                          capture_output=True).returncode != 0:
            parser.error(f"--baseline {ref}: not a git revision of this repository (try a commit hash or tag)")
    return args


def round_order(items: list, round_: int) -> list:
    """The revisions in the order of round ``round_`` (from 0): as given, then reversed, in turn."""
    return items if round_ % 2 == 0 else items[::-1]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    return run_main("scripts/benchmark", lambda: _run(args, argv))


def _run(args: argparse.Namespace, argv: list) -> int:
    head = git("rev-parse", "HEAD")
    dirty = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line.strip()]
    plan = [(ref, git("rev-parse", f"{ref}^{{commit}}"), False) for ref in args.baseline] + [("this tree", head, True)]
    work = Path(tempfile.mkdtemp(prefix="benchmark-"))
    rounds: dict[str, list] = {label: [] for label, _, _ in plan}
    try:
        for round_ in range(args.rounds):
            for number, (label, sha, this_tree) in round_order(list(enumerate(plan)), round_):
                print(f"[benchmark] {label}: a fresh clone at {sha[:7]} (round {round_ + 1} of {args.rounds})",
                      file=sys.stderr, flush=True)
                rounds[label].append(measure_revision(label, sha, work / f"rev-{number}-{round_}", args, this_tree))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    revisions = [merge_rounds(rounds[label]) for label, _, _ in plan]
    if dirty:
        revisions[-1].notes.append(f"HEAD only: {len(dirty)} file(s) with uncommitted changes in the checkout "
                                   "were not measured")
    header = run_header(" ".join(["scripts/benchmark", *argv]), args.repeat, args.rounds)
    text = render(revisions, header)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"[benchmark] wrote {args.out}", file=sys.stderr)
    return 0
