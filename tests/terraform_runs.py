"""Runs of terraform on the synthesized stack against the emulator, for the tests.

Plans here never write state (``-lock=false``, no apply), so several run at
once on the one initialized stack directory.
"""
import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Mapping, Optional, Sequence

from scripts import platform_cmd, terraform_env
from scripts.emulator import persistent as emulator_persistent

PARALLEL_PLANS = 3


@dataclass(frozen=True)
class PlanRun:
    exit_code: int
    output: str
    """stdout and stderr together."""
    plan: Optional[dict]
    """``terraform show -json`` of the saved plan, when the plan succeeded."""


def workspace_of(var_file: Path) -> str:
    """The Terraform workspace a variable file names (its ``workspace`` value)."""
    return json.loads(Path(var_file).read_text())["workspace"]


def plan(stack_dir: Path, var_file: Path, env: Mapping[str, str], plan_file: Optional[Path] = None,
         workspace: Optional[str] = None) -> PlanRun:
    """Plans ``var_file`` in ``workspace`` (default: the one the file names), which must exist."""
    args = ["plan", "-input=false", "-lock=false", f"-var-file={var_file}"]
    if plan_file is not None:
        args.append(f"-out={plan_file}")
    env = {**env, "TF_WORKSPACE": workspace or workspace_of(var_file)}
    proc = terraform_env.run_terraform(args, stack_dir, env=env, check=False, timeout=600)
    shown = None
    if proc.returncode == 0 and plan_file is not None:
        show = terraform_env.run_terraform(["show", "-json", str(plan_file)], stack_dir, env=env, timeout=300)
        shown = json.loads(show.stdout)
    return PlanRun(proc.returncode, proc.stdout + proc.stderr, shown)


def plan_many(stack_dir: Path, var_files: Mapping[str, Path], env: Mapping[str, str],
              out_dir: Optional[Path] = None, workspace: Optional[str] = None) -> Dict[str, PlanRun]:
    """Plans each named variable file, a few at a time; saves and shows them with ``out_dir``."""
    def one(item):
        name, var_file = item
        plan_file = out_dir / f"{name}.tfplan" if out_dir is not None else None
        return name, plan(stack_dir, var_file, env, plan_file, workspace)

    with ThreadPoolExecutor(max_workers=PARALLEL_PLANS) as pool:
        return dict(pool.map(one, var_files.items()))


def planned_resources(shown: dict) -> Dict[str, dict]:
    """Resource changes of a shown plan by address, creates only."""
    return {c["address"]: c for c in shown["resource_changes"] if c["change"]["actions"] == ["create"]}


def by_type(shown: dict, type_: str) -> Dict[str, dict]:
    """The planned ``after`` values of every resource of ``type_``, by address."""
    return {a: c["change"]["after"] for a, c in planned_resources(shown).items() if c["type"] == type_}


def cli_stack(root: Path, emu, stack: str, region: str) -> platform_cmd.Terraform:
    """Terraform in the copy of ``stack`` that `scripts/platform` keeps beside the persistent emulator
    of ``root`` (initialized, with its state), pointed at ``emu`` in ``region``."""
    return platform_cmd.Terraform(emulator_persistent.persistent_dir(root) / "stacks" / stack,
                                  emu.env(terraform_env.build_env(root), region=region))


@contextmanager
def applied_on_emulator(root: Path, args: Sequence[str], workspaces: Sequence[str], region: str) -> Iterator:
    """``workspaces`` applied with ``scripts/platform apply`` (``args``: --root, --outdir, ...)
    on the tests' persistent emulator of ``root``; yields the emulator, stopped on exit."""
    emu, _ = emulator_persistent.up(root, region)
    try:
        for workspace in workspaces:
            assert platform_cmd.main(["apply", workspace, "--auto-approve", *args]) == 0, workspace
        yield emu
    finally:
        emulator_persistent.down(root)
