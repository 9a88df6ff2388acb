"""``python -m scripts.plan_summary``: the summaries of plan JSON files, and write_summaries
(``scripts/platform pr-plan`` uses it too)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from scripts.errors import UsageError, run_main
from scripts.workspaces import workspace_name_problem
from scripts.plan_summary.model import ERROR_MAX_CHARS, PROG, Failure, SummaryError, WorkspaceSummary, summarize
from scripts.plan_summary.render import headline_counts, render_comment, render_failure, render_workspace


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
            raise UsageError(f"{option}: expected WORKSPACE=PATH, got {item!r}",
                             "write it as dev=plan-out/dev.plan.json.")
        problem = workspace_name_problem(ws)
        if problem:
            raise UsageError(f"{option}: invalid workspace name {ws!r} in {item!r} ({problem})",
                             "use the name of the workspace's file, workspaces/<name>.tfvars.json.")
        if ws in seen:
            raise UsageError(f"{option}: workspace {ws!r} given twice", "give each workspace once.")
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
        raise UsageError(f"workspace(s) {', '.join(sorted(both))} given both as planned and as failed",
                         "give each workspace either its plan or, when its plan failed, --failed.")
    if not plans and not failed:
        raise UsageError("no workspace given", "pass WS=PLAN_JSON and/or --failed WS=ERROR_TEXT_FILE.")
    unknown_bases = set(bases) - {w for w, _ in plans} - {w for w, _ in failed}
    if unknown_bases:
        raise UsageError(f"--base for workspace(s) not planned: {', '.join(sorted(unknown_bases))}",
                         "give --base only for the workspaces you pass.")
    try:
        base_vars = {ws: base_variables_from(load_json(path, f"--base {ws}"), f"--base {ws}={path}")
                     for ws, path in bases.items()}
    except SummaryError as exc:  # a file the command was given
        raise UsageError(exc.message, exc.next_step or "pass a plan JSON or a .tfvars.json that can be read.") from None
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
