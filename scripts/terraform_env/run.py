"""Running terraform: the binary, one command with its output kept, the error when it fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from scripts.errors import ScriptError

STDERR_TAIL_LINES = 40

# Subcommands that accept -no-color right after their name (not e.g. `providers schema`).
_NO_COLOR_COMMANDS = frozenset(
    {"init", "validate", "plan", "apply", "destroy", "show", "refresh", "import", "output", "get", "test",
     "taint", "untaint"}
)


class TerraformError(ScriptError):
    """A Terraform step failed; ``str(err)`` is a complete, user-facing message."""


def terraform_binary(env: Mapping[str, str] | None = None) -> str:
    path = (env or os.environ).get("PATH")
    exe = shutil.which("terraform", path=path)
    if not exe:
        raise TerraformError(
            "terraform not found on PATH.\n"
            "Next: install Terraform >= 1.10 and make sure `terraform` is on PATH, then re-run."
        )
    return exe


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    parts = [ln for ln in (text or "").rstrip().splitlines()]
    if len(parts) > lines:
        parts = ["  [...]"] + parts[-lines:]
    return "\n".join(parts)


def describe(args: Sequence[str]) -> str:
    """A command line for messages: long runs of ``-target=`` shown as a count."""
    targets = [a for a in args if a.startswith("-target=")]
    shown = [a for a in args if not a.startswith("-target=")]
    if len(targets) > 3:
        shown.append(f"-target=... ({len(targets)} targets)")
    else:
        shown += targets
    return " ".join(shown)


def run_terraform(
    args: Sequence[str],
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
    color: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``terraform <args>`` in ``cwd``, capturing output (text).

    ``env`` defaults to :func:`build_env`. Unless ``color`` is true, ``-no-color``
    is added right after the subcommand (for those that take it). On a non-zero exit with ``check`` true,
    raises :class:`TerraformError` carrying the tail of stderr (or stdout).
    """
    if env is None:
        from scripts.terraform_env.env import build_env  # it runs terraform itself (the first install)

        env = build_env()
    env = dict(env)
    args = [str(a) for a in args]
    if not color and args and args[0] in _NO_COLOR_COMMANDS and "-no-color" not in args:
        args = [args[0], "-no-color", *args[1:]]
    cmd = [terraform_binary(env), *args]
    try:
        proc = subprocess.run(
            cmd,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise TerraformError(
            f"`terraform {describe(args)}` in {cwd} did not finish within {timeout:.0f}s.\n"
            f"{_tail(stderr)}\n"
            "Next: look for a hung provider call (is the emulator up?) and re-run."
        ) from None
    except FileNotFoundError as exc:
        raise TerraformError(f"cannot run terraform in {cwd}: {exc}\nNext: check the directory exists.") from None
    if check and proc.returncode != 0:
        detail = _tail(proc.stderr) or _tail(proc.stdout) or "(no output)"
        raise TerraformError(
            f"`terraform {describe(args)}` failed in {cwd} (exit {proc.returncode}):\n"
            f"{detail}\n"
            "Next: fix the error above and re-run."
        )
    return proc
