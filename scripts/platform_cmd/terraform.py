"""Terraform in one synthesized stack directory, with one environment (scripts/terraform_env/ runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from scripts import terraform_env
from scripts.errors import CommandError


@dataclass
class Terraform:
    """Terraform in one synthesized stack directory, with one environment."""

    dir: Path
    env: dict

    def run(self, args: Sequence[str], workspace: str | None = None, check: bool = True,
            stream: bool = False, timeout: float | None = 3600,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
        """``terraform ARGS`` in this directory, with this environment (or ``env``, one derived from it)."""
        env = dict(self.env if env is None else env)
        env.pop("TF_WORKSPACE", None)
        if workspace is not None:
            # Per process, so that plans of several workspaces can run side by side.
            env["TF_WORKSPACE"] = workspace
        if stream:
            # Shown as it comes (approval prompts included) and kept, for the caller to read.
            proc = subprocess.Popen([terraform_env.terraform_binary(env), *args], cwd=self.dir, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            chunks = []
            while chunk := os.read(proc.stdout.fileno(), 4096):
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
                chunks.append(chunk)
            proc.wait(timeout)
            result = subprocess.CompletedProcess(args, proc.returncode, b"".join(chunks).decode(errors="replace"), "")
            if check and result.returncode != 0:
                raise CommandError(f"`terraform {terraform_env.describe(args)}` failed (exit {result.returncode}).\n"
                                   "Next: read Terraform's error above, fix it and re-run.")
            return result
        return terraform_env.run_terraform(list(args), self.dir, env=env, check=check, timeout=timeout)

    def init(self) -> None:
        """``terraform init``, unless this directory's last init read the same configuration blocks,
        lock file and CLI configuration (terraform_env.init_fingerprint)."""
        # -reconfigure: the same directory is used with different backends.
        env = {k: v for k, v in self.env.items() if k != "TF_WORKSPACE"}
        terraform_env.init(self.dir, env=env, extra_args=["-reconfigure"], timeout=3600, reuse=True)

    def workspaces(self) -> list[str]:
        out = self.run(["workspace", "list"]).stdout
        return [line.strip(" *") for line in out.splitlines() if line.strip(" *")]

    def ensure_workspace(self, *workspaces: str) -> None:
        """Creates those of ``workspaces`` that do not exist yet (one listing for all)."""
        existing = set(self.workspaces())
        for workspace in workspaces:
            if workspace not in existing:
                self.run(["workspace", "new", workspace])

    def output(self, workspace: str, name: str | None = None):
        args = ["output", "-json"] + ([name] if name else [])
        return json.loads(self.run(args, workspace=workspace).stdout)

    def output_values(self, workspace: str, state: dict | None = None) -> dict:
        """Every output of ``workspace``: name => value (without type and sensitivity); read from
        ``state`` (:meth:`state`'s) when given."""
        outputs = state.get("outputs", {}) if state is not None else self.output(workspace)
        return {name: (o or {}).get("value") for name, o in outputs.items()}

    def state(self, workspace: str) -> dict:
        """``workspace``'s state (``terraform state pull``): its resources and outputs in one read, without
        starting a provider; {} when the workspace has none (or does not exist)."""
        proc = self.run(["state", "pull"], workspace=workspace, check=False)
        return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else {}


def managed_instances(state: dict) -> int:
    """How many resource instances ``state`` holds (what ``terraform state list`` lists, data sources aside)."""
    return sum(len(r.get("instances", [])) for r in state.get("resources", []) if r.get("mode") == "managed")


def plan_args(var_file: Path, plan_file: Path | None = None, targets: Sequence[str] = ()) -> list[str]:
    args = ["plan", "-input=false", "-lock-timeout=60s", f"-var-file={var_file}", *targets]
    return args + ([f"-out={plan_file}"] if plan_file else [])
