"""`scripts/plan [WORKSPACE] [--target emulator|aws]`: synthesize once, then terraform plan.

Run through ``scripts/plan`` (which bootstraps first) or directly with
``.venv/bin/python -m scripts.plan_cmd``. Progress goes to stderr with the
step's elapsed seconds; the plan text goes to stdout.

* ``--target emulator`` (default): a moto server on 127.0.0.1, a provider
  override pointing every endpoint at it, fake credentials. No AWS account
  is touched.
* ``--target aws``: the real account of the AWS credentials found in the
  environment or ~/.aws (checked locally before anything runs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping, Sequence

if __package__ in (None, ""):  # run as a file: make `scripts.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import terraform_env  # noqa: E402
from scripts.emulator import Emulator, EmulatorError  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_NAME = "platform"
DEFAULT_WORKSPACE = "dev"
DEFAULT_OUTDIR = "cdktf.out"
TARGETS = ("emulator", "aws")


class PlanError(RuntimeError):
    """A user-facing failure: printed as-is, exit 1."""


# -- small helpers ---------------------------------------------------------------
class Progress:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.t0 = time.monotonic()

    def step(self, name: str):
        return _Step(self, name)

    def say(self, msg: str) -> None:
        print(f"[plan] {msg}", file=self.stream, flush=True)


class _Step:
    def __init__(self, progress: Progress, name: str) -> None:
        self.p, self.name = progress, name

    def __enter__(self):
        self.start = time.monotonic()
        self.p.say(f"{self.name} ...")
        return self

    def __exit__(self, exc_type, *_):
        took = time.monotonic() - self.start
        total = time.monotonic() - self.p.t0
        status = "done" if exc_type is None else "FAILED"
        self.p.say(f"{self.name} {status} in {took:.1f}s (total {total:.1f}s)")
        return False


def workspaces_dir(root: Path) -> Path:
    return Path(root) / "workspaces"


def available_workspaces(root: Path) -> list[str]:
    d = workspaces_dir(root)
    if not d.is_dir():
        return []
    return sorted(p.name[: -len(".tfvars.json")] for p in d.glob("*.tfvars.json"))


def check_workspace(root: Path | str, workspace: str) -> Path:
    """Return the absolute path of ``workspaces/<workspace>.tfvars.json`` or raise PlanError."""
    root = Path(root)
    if not workspace or "/" in workspace or "\\" in workspace or workspace.startswith("."):
        raise PlanError(f"invalid workspace name {workspace!r}: use a plain name such as 'dev'.")
    path = workspaces_dir(root) / f"{workspace}.tfvars.json"
    if path.is_file():
        return path.resolve()
    names = available_workspaces(root)
    listing = ", ".join(names) if names else f"none (no *.tfvars.json in {workspaces_dir(root)})"
    raise PlanError(
        f"unknown workspace {workspace!r}: {path} does not exist.\n"
        f"Available workspaces: {listing}\n"
        f"Next: run scripts/plan with one of those, or add workspaces/{workspace}.tfvars.json."
    )


def read_region(var_file: Path, default: str = "us-east-1") -> str:
    try:
        data = json.loads(Path(var_file).read_text())
    except ValueError as exc:
        raise PlanError(f"{var_file} is not valid JSON: {exc}\nNext: fix the file and re-run.") from None
    region = data.get("region") if isinstance(data, dict) else None
    return region if isinstance(region, str) and region else default


def find_aws_credentials(environ: Mapping[str, str]) -> str | None:
    """Describe where AWS credentials would come from, or None. Local checks only, no network."""
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        return "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    if environ.get("AWS_PROFILE"):
        return f"AWS_PROFILE={environ['AWS_PROFILE']}"
    if environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") and environ.get("AWS_ROLE_ARN"):
        return "AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN"
    if environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return "AWS_CONTAINER_CREDENTIALS_*"
    home = environ.get("HOME")
    files = [
        environ.get("AWS_SHARED_CREDENTIALS_FILE") or (home and os.path.join(home, ".aws", "credentials")),
        environ.get("AWS_CONFIG_FILE") or (home and os.path.join(home, ".aws", "config")),
    ]
    for f in files:
        if f and f != os.devnull and os.path.isfile(f) and os.path.getsize(f) > 0:
            return f
    return None


def _aws_env(environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    # Make sure no leftover emulator settings leak into a real plan.
    for key in [k for k in env if k.startswith("AWS_ENDPOINT_URL")]:
        del env[key]
    return env


# -- steps -----------------------------------------------------------------------
def synthesize(root: Path, outdir: Path, env: Mapping[str, str], in_process: bool = True) -> Path:
    """Synthesize main.py into ``outdir``; return the platform stack dir."""
    main_py = root / "main.py"
    if not main_py.is_file():
        raise PlanError(f"{main_py} does not exist yet.\nNext: write main.py (it builds the App), then re-run.")
    if in_process:
        # Importing main avoids a second jsii start-up; the jsii kernel inherits
        # os.environ when cdktf is first imported, so set it up before importing.
        for key, value in env.items():
            if key in ("CDKTF_OUTDIR", "TF_CLI_CONFIG_FILE", "CHECKPOINT_DISABLE") or key.startswith("JSII_"):
                os.environ[key] = value
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        import importlib

        try:
            main = importlib.import_module("main")
            build_app = getattr(main, "build_app", None)
            if build_app is None:
                in_process = False  # main.py has no build_app(): fall back to running it
            else:
                build_app(str(outdir)).synth()
        except Exception as exc:  # jsii/construct errors: show where, not a bare traceback dump
            import traceback

            tail = "\n".join(traceback.format_exc().rstrip().splitlines()[-20:])
            raise PlanError(
                f"synthesis of main.py failed: {type(exc).__name__}: {exc}\n{tail}\nNext: fix main.py and re-run."
            ) from None
    if not in_process:
        proc = subprocess.run(
            [sys.executable, str(main_py)],
            cwd=str(root),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if proc.returncode != 0:
            tail = "\n".join(proc.stdout.rstrip().splitlines()[-30:])
            raise PlanError(f"`python main.py` failed (exit {proc.returncode}):\n{tail}\nNext: fix main.py and re-run.")
    stack_dir = outdir / "stacks" / STACK_NAME
    if not (stack_dir / "cdk.tf.json").is_file():
        raise PlanError(
            f"synthesis did not produce {stack_dir / 'cdk.tf.json'}.\n"
            f"Next: check that main.py creates a stack named '{STACK_NAME}' and honours CDKTF_OUTDIR."
        )
    return stack_dir


def terraform_plan(stack_dir: Path, var_file: Path, plan_file: Path, env: Mapping[str, str]) -> str:
    proc = terraform_env.run_terraform(
        ["plan", "-input=false", "-lock-timeout=60s", f"-var-file={var_file}", f"-out={plan_file}"],
        stack_dir,
        env=env,
        timeout=1800,
    )
    return proc.stdout


def run(
    workspace: str = DEFAULT_WORKSPACE,
    target: str = "emulator",
    root: Path | str = REPO_ROOT,
    outdir: Path | str | None = None,
    progress: Progress | None = None,
    out=None,
) -> int:
    root = Path(root).resolve()
    out = out or sys.stdout
    progress = progress or Progress()
    if target not in TARGETS:
        raise PlanError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}.")

    # Cheap checks first: fail in milliseconds, not after a synthesis.
    var_file = check_workspace(root, workspace)
    if target == "aws":
        source = find_aws_credentials(os.environ)
        if source is None:
            raise PlanError(
                "no AWS credentials found for --target aws (checked AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*, ~/.aws/credentials, "
                "~/.aws/config).\n"
                "Next: export AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the target account, "
                "or plan against the local emulator with --target emulator."
            )
        progress.say(f"AWS credentials from {source}")

    outdir = Path(outdir or os.environ.get("CDKTF_OUTDIR") or root / DEFAULT_OUTDIR)
    if not outdir.is_absolute():
        outdir = root / outdir
    env = terraform_env.build_env(root)
    env["CDKTF_OUTDIR"] = str(outdir)

    with progress.step("synth"):
        stack_dir = synthesize(root, outdir, env)
    # A stale override from an interrupted run must not leak into this one.
    Emulator.remove_provider_override(stack_dir)
    with progress.step("terraform init"):
        terraform_env.init(stack_dir, env=env)

    plan_file = stack_dir / f"{workspace}-{target}.tfplan"
    if target == "emulator":
        region = read_region(var_file)
        with progress.step("start emulator"):
            emu = Emulator(region=region, log_dir=root / ".cache" / "emulator").start()
        try:
            progress.say(f"emulator at {emu.url} (log {emu.log_path})")
            emu.write_provider_override(stack_dir, region)
            with progress.step(f"terraform plan ({workspace}, emulator)"):
                text = terraform_plan(stack_dir, var_file, plan_file, emu.env(env, region=region))
        finally:
            Emulator.remove_provider_override(stack_dir)
            emu.stop()
    else:
        with progress.step(f"terraform plan ({workspace}, aws)"):
            text = terraform_plan(stack_dir, var_file, plan_file, _aws_env(env))

    out.write(text)
    out.flush()
    progress.say(f"plan saved to {plan_file}")
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/plan",
        description="Synthesize the CDKTF app and run terraform plan for one workspace.",
    )
    p.add_argument("workspace", nargs="?", default=DEFAULT_WORKSPACE,
                   help="workspace name: workspaces/<name>.tfvars.json (default: %(default)s)")
    p.add_argument("--target", choices=TARGETS, default="emulator",
                   help="emulator: local moto server on 127.0.0.1 (default); aws: the real account")
    p.add_argument("--root", default=str(REPO_ROOT), help=argparse.SUPPRESS)
    p.add_argument("--outdir", default=None, help="synthesis output dir (default: $CDKTF_OUTDIR or cdktf.out)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args.workspace, args.target, root=args.root, outdir=args.outdir)
    except (PlanError, terraform_env.TerraformError, EmulatorError) as exc:
        print(f"scripts/plan: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("scripts/plan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
