"""Which workspaces a push changes, for the deploy workflow.

    python -m scripts.changed_workspaces --base BASE_SHA --head HEAD_SHA [--root DIR]

Rules (``git diff --no-renames BASE HEAD``):

* a change to anything but ``workspaces/<name>.tfvars.json`` (code, templates,
  the lock files, this script...) can change every workspace: all workspaces
  that exist at HEAD are deployed;
* otherwise only the workspaces whose file was added or modified;
* a workspace file deleted by the push is reported under ``deleted`` and never
  deployed: tearing an environment down is a deliberate, manual step;
* no usable base (empty, all zeros as on the first push of a branch, or a
  commit this clone does not have, as after a force push): every workspace.

Prints one JSON object on stdout, e.g.
``{"all": false, "deleted": [], "reason": "...", "workspaces": ["dev"]}``.
In GitHub Actions it also writes ``workspaces``, ``deleted`` and ``all``
(JSON) to ``$GITHUB_OUTPUT`` and a short report to ``$GITHUB_STEP_SUMMARY``.
Exit 0, or 2 with a message when HEAD is not a commit, git fails, or a
workspace file has a name that cannot be a workspace's (the rule of
scripts/workspaces.py, which the CLI and the plan summary use too).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping, Sequence

from scripts.errors import ScriptError, run_main
from scripts.repo import REPO_ROOT, WORKSPACES_DIR_NAME
from scripts.workspaces import VAR_FILE_SUFFIX, workspace_name_problem

WORKSPACE_FILE = re.compile(rf"^{WORKSPACES_DIR_NAME}/([^/]+){re.escape(VAR_FILE_SUFFIX)}$")
NULL_SHA = re.compile(r"^0+$")


class ChangedError(ScriptError):
    """The change detection could not run (git, the commits given, a workspace file's name): exit 2,
    the deploy workflow's job fails before it deploys anything."""

    exit_code = 2


@dataclass(frozen=True)
class Changes:
    workspaces: list[str]
    """Workspaces to deploy, sorted."""
    deleted: list[str]
    """Workspace files deleted between base and head: reported, not deployed."""
    all: bool
    """True when something other than a workspace file changed (or no usable base)."""
    reason: str


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(["git", *args], cwd=str(root), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ChangedError("git is not on PATH.\nNext: install git.") from None
    if check and proc.returncode != 0:
        raise ChangedError(f"`git {' '.join(args)}` failed in {root} (exit {proc.returncode}):\n"
                           f"{proc.stderr.strip()}")
    return proc


def _is_commit(root: Path, rev: str) -> bool:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).returncode == 0


def _workspace_name(path: str) -> str | None:
    m = WORKSPACE_FILE.match(path)
    if not m:
        return None
    name = m.group(1)
    problem = workspace_name_problem(name)
    if problem:
        raise ChangedError(f"{path}: {name!r} cannot be a workspace name ({problem}).", "rename the file.")
    return name


def workspaces_at(root: Path, rev: str) -> list[str]:
    """Workspaces whose ``workspaces/<name>.tfvars.json`` exists at ``rev``."""
    out = _git(root, "ls-tree", "-z", "--name-only", rev, "--", "workspaces/").stdout
    return sorted(n for n in (_workspace_name(p) for p in out.split("\0") if p) if n)


def changed_workspaces(base: str | None, head: str, root: Path | str = REPO_ROOT) -> Changes:
    root = Path(root)
    if not head or not _is_commit(root, head):
        raise ChangedError(f"--head {head!r} is not a commit in {root}.\n"
                           "Next: pass the pushed commit (github.sha); check out with fetch-depth: 0.")
    at_head = workspaces_at(root, head)
    if not base or NULL_SHA.match(base):
        return Changes(at_head, [], True, "no base commit (first push of the branch): every workspace")
    if not _is_commit(root, base):
        return Changes(at_head, [], True,
                       f"base {base} is not in this clone (force push, or a shallow checkout): every workspace")
    out = _git(root, "diff", "--name-status", "--no-renames", "-z", base, head).stdout
    fields = [f for f in out.split("\0") if f]
    changed, deleted, other = set(), set(), []
    for status, path in zip(fields[0::2], fields[1::2], strict=True):
        name = _workspace_name(path)
        if name is None:
            other.append(path)
        elif status.startswith("D"):
            deleted.add(name)
        else:
            changed.add(name)
    deleted -= set(at_head)
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
        return Changes(at_head, sorted(deleted), True,
                       f"files other than workspaces/*.tfvars.json changed ({shown}): every workspace")
    if not changed and not deleted:
        return Changes([], [], False, "no file changed")
    return Changes(sorted(changed & set(at_head)), sorted(deleted), False,
                   "only workspace files changed: those workspaces")


def github_outputs(changes: Changes) -> str:
    return (f"workspaces={json.dumps(changes.workspaces)}\n"
            f"deleted={json.dumps(changes.deleted)}\n"
            f"all={json.dumps(changes.all)}\n")


def step_summary(changes: Changes) -> str:
    lines = ["### Workspaces to deploy", "", f"{changes.reason}.", ""]
    lines.append("Deploying: " + (", ".join(f"`{w}`" for w in changes.workspaces) or "none") + ".")
    if changes.deleted:
        lines += ["", "> [!WARNING]",
                  "> Workspace files deleted by this push: " + ", ".join(f"`{w}`" for w in changes.deleted)
                  + ". Their resources still exist and are **not** destroyed here: destroy them on purpose "
                    "(with the workspace's file from before this push), or restore the file."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    p = argparse.ArgumentParser(prog="python -m scripts.changed_workspaces",
                                description="List the workspaces a push between two commits changes.")
    p.add_argument("--base", default="", help="commit before the push (github.event.before); empty or "
                                              "all zeros: every workspace")
    p.add_argument("--head", required=True, help="the pushed commit (github.sha)")
    p.add_argument("--root", default=str(REPO_ROOT), help="the git work tree (default: this repository)")
    args = p.parse_args(argv)
    return run_main("changed_workspaces", lambda: _report(args, env))


def _report(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    changes = changed_workspaces(args.base, args.head, args.root)
    print(json.dumps(asdict(changes), sort_keys=True))
    if env.get("GITHUB_OUTPUT"):
        with open(env["GITHUB_OUTPUT"], "a") as fh:
            fh.write(github_outputs(changes))
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a") as fh:
            fh.write(step_summary(changes))
    for name in changes.deleted:
        message = (f"workspaces/{name}.tfvars.json was deleted; workspace {name} is not deployed "
                   "and its resources are not destroyed.")
        if env.get("GITHUB_ACTIONS") == "true":  # an annotation on the run page (workflow commands: stdout)
            print(f"::warning title=Workspace file deleted::{message}")
        else:
            print(f"changed_workspaces: warning: {message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
