"""Workspaces: the one rule for their names, and their variable files.

Workspace W is ``workspaces/W.tfvars.json`` *and* Terraform workspace W (the
emr-account stack's variables: ``workspaces/emr-account/W.tfvars.json``). The
name rule is shared by the CLI (scripts/platform), the deploy workflow's change
detection (scripts/changed_workspaces.py) and the plan summary
(scripts/plan_summary/): a name one of them accepts, all of them accept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from scripts.errors import CommandError
from scripts.repo import PLATFORM_STACK, WORKSPACES_DIR_NAME

VAR_FILE_SUFFIX = ".tfvars.json"
WORKSPACE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
WORKSPACE_NAME_RULE = "1 to 40 lowercase letters, digits, '-' or '_', starting with a letter or digit"
DEFAULT_TERRAFORM_WORKSPACE = "default"


def workspace_name_problem(name: str | None) -> str | None:
    """Why ``name`` cannot be a workspace's, or None when it can."""
    if name == DEFAULT_TERRAFORM_WORKSPACE:
        return ("the Terraform workspace 'default' is not used by this project: every environment has a named "
                "workspace and its own variable file")
    if not WORKSPACE_NAME.fullmatch(name or ""):
        return f"use {WORKSPACE_NAME_RULE}"
    return None


def check_workspace_name(workspace: str) -> None:
    """A CommandError when ``workspace`` cannot be a workspace's name."""
    problem = workspace_name_problem(workspace)
    if problem is None:
        return
    if workspace == DEFAULT_TERRAFORM_WORKSPACE:
        raise CommandError(f"{problem}.", "name the workspace, e.g. scripts/platform plan dev.")
    raise CommandError(f"invalid workspace name {workspace!r}: {problem}.", "pick a plain name such as 'dev'.")


def workspaces_dir(root: Path | str) -> Path:
    return Path(root) / WORKSPACES_DIR_NAME


def stack_workspaces_dir(root: Path | str, stack: str) -> Path:
    """Where ``stack``'s variable files are: workspaces/ (platform), workspaces/<stack>/ (others)."""
    return workspaces_dir(root) if stack == PLATFORM_STACK else workspaces_dir(root) / stack


def var_files_in(folder: Path) -> list[str]:
    """The workspaces that have a variable file in ``folder``, sorted."""
    return sorted(p.name[: -len(VAR_FILE_SUFFIX)] for p in folder.glob(f"*{VAR_FILE_SUFFIX}")) \
        if folder.is_dir() else []


def available_workspaces(root: Path | str) -> list[str]:
    return var_files_in(workspaces_dir(root))


def check_workspace(root: Path | str, workspace: str, stack: str = PLATFORM_STACK) -> Path:
    """The absolute path of ``stack``'s ``<workspace>.tfvars.json``, or a CommandError."""
    check_workspace_name(workspace)
    folder = stack_workspaces_dir(root, stack)
    path = folder / f"{workspace}{VAR_FILE_SUFFIX}"
    if path.is_file():
        return path.resolve()
    names = var_files_in(folder)
    listing = ", ".join(names) if names else f"none (no *{VAR_FILE_SUFFIX} in {folder})"
    raise CommandError(
        f"unknown workspace {workspace!r}: {path} does not exist.\n"
        f"Available workspaces: {listing}\n"
        f"Next: use one of those, or create it with scripts/platform new-workspace {workspace}.")


def read_var_file(var_file: Path) -> dict:
    try:
        data = json.loads(Path(var_file).read_text())
    except ValueError as exc:
        raise CommandError(f"{var_file} is not valid JSON: {exc}\nNext: fix the file and re-run.") from None
    if not isinstance(data, dict):
        raise CommandError(f"{var_file} must hold a JSON object of variable values.\nNext: fix the file.")
    return data


def read_region(var_file: Path) -> str:
    region = read_var_file(var_file).get("region")
    if not isinstance(region, str) or not region:
        raise CommandError(f'{var_file} has no "region".\nNext: add "region": "<aws region>" to it.')
    return region


def new_workspace(root: Path, name: str, source: str, domain_name: str | None, region: str | None) -> Path:
    """Creates ``workspaces/<name>.tfvars.json`` from ``workspaces/<source>.tfvars.json``."""
    check_workspace_name(name)
    target = workspaces_dir(root) / f"{name}{VAR_FILE_SUFFIX}"
    if target.exists():
        raise CommandError(f"{target} already exists.\nNext: edit it, or pick another name.")
    values = read_var_file(check_workspace(root, source))
    values["workspace"] = name
    values["domain_name"] = domain_name or f"ml-{name}"
    if region:
        values["region"] = region
    target.write_text(json.dumps(values, indent=2) + "\n")
    return target
