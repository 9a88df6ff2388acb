"""Where a command runs: the emulator (its own, or the persistent one) or an AWS account;
the synthesis, the credentials check and the state backend's bootstrap."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from scripts import terraform_env
from scripts.emulator import persistent as emulator_persistent
from scripts.emulator import BACKEND_OVERRIDE_FILE, Emulator, previous_outputs_override
from scripts.errors import CommandError
from scripts.repo import (
    DEFAULT_OUTDIR, PLATFORM_STACK, STATE_STACK, TLS_DIR)
from scripts.platform_cmd.progress import Progress
from scripts.platform_cmd.terraform import Terraform
from scripts.platform_cmd.scope import emulator_scope


def find_aws_credentials(environ: Mapping[str, str]) -> str | None:
    """Where AWS credentials would come from, or None. Local checks only, no network."""
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


def require_aws_credentials(progress: Progress) -> None:
    source = find_aws_credentials(os.environ)
    if source is None:
        raise CommandError(
            "no AWS credentials found for --target aws (checked AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*, ~/.aws/credentials, "
            "~/.aws/config).\n"
            "Next: export AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the target account, "
            "or leave out --target aws to use the local emulator.")
    progress.say(f"AWS credentials from {source}")


# -- synthesis -------------------------------------------------------------------
def synthesize(root: Path, outdir: Path, env: Mapping[str, str]) -> Path:
    """Synthesizes the app into ``outdir`` in this process (one jsii start-up); returns ``outdir``."""
    # The jsii kernel inherits os.environ when cdktf is first imported.
    for key, value in env.items():
        if key in ("TF_CLI_CONFIG_FILE", "CHECKPOINT_DISABLE") or key.startswith("JSII_"):
            os.environ[key] = value
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import importlib

    main = importlib.import_module("main")
    try:
        main.build_app(str(outdir)).synth()
    except main.BackendSettingsError as exc:
        raise CommandError(f"backend settings: {exc}\nNext: fix or remove the settings file "
                           "(scripts/platform bootstrap-state writes it).") from None
    return outdir


def release_jsii() -> None:
    """Stops the jsii kernel (a node process holding the AWS bindings) beside what
    follows the synthesis instead of at the process's exit, where it took 0.2-0.45 s.
    Only for a process that is the CLI alone: no jsii call follows its synthesis."""
    if "jsii._runtime" not in sys.modules:
        return  # no jsii in this synthesis
    try:
        from jsii._runtime import kernel

        stop = kernel.provider._process.stop  # jsii's own, private: hence the guard
    except Exception:  # noqa: BLE001 - another jsii: the kernel stops at exit, as before
        return
    threading.Thread(target=stop, name="jsii-stop").start()


@dataclass
class Target:
    """Where one command runs: stack directories and the environment for terraform."""

    name: str
    stacks: dict
    env: dict
    emulator: Emulator | None = None
    initialized: frozenset = frozenset()
    """Stacks already initialized (scripts/emulator/run.py): no ``terraform init`` again."""

    def terraform(self, stack: str) -> Terraform:
        return Terraform(self.stacks[stack], self.env)


def write_local_backend_override(stack: Path, state_dir: Path) -> None:
    """Keeps a stack's local state in ``state_dir``, whatever its backend says. The paths are
    relative to the stack (Terraform's working directory), so that a copy of an emulator's home
    with its stacks' ``.terraform`` (persistent.copy) configures the same backend as the home
    it came from, and ``terraform init`` is not needed again (terraform_env.init_fingerprint)."""
    state = Path(os.path.relpath(Path(state_dir).resolve(), Path(stack).resolve()))
    local = {"path": (state / f"{stack.name}.tfstate").as_posix(),
             "workspace_dir": (state / f"{stack.name}-workspaces").as_posix()}
    doc = {"//": "Written by scripts/platform_cmd/targets.py for an emulator run; never commit.",
           "terraform": {"backend": {"local": local}}, **previous_outputs_override(stack, "local", local)}
    (stack / BACKEND_OVERRIDE_FILE).write_text(json.dumps(doc, indent=2) + "\n")


def emulator_copies(stacks_dir: Path, scratch: Path, emu: Emulator) -> dict:
    """Copies every synthesized stack under ``scratch``, pointed at ``emu``
    (provider override) with local state in ``scratch/state``; {name: dir}.
    Earlier copies are replaced; the state stays, and so does each copy's
    ``.terraform`` (what its init installed): Terraform.init runs init again
    only when what init reads changed (terraform_env.init_fingerprint)."""
    stacks = {}
    kept = scratch / "initialized"
    shutil.rmtree(kept, ignore_errors=True)
    for earlier in sorted((scratch / "stacks").glob("*/.terraform")):
        kept.mkdir(parents=True, exist_ok=True)
        earlier.rename(kept / earlier.parent.name)
    shutil.rmtree(scratch / "stacks", ignore_errors=True)
    for source in sorted(Path(stacks_dir).iterdir()):
        copy = scratch / "stacks" / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfplan", "*override.tf.json"))
        if (kept / source.name).is_dir():
            (kept / source.name).rename(copy / ".terraform")
        emu.write_provider_override(copy)
        emu.write_drift_override(copy)
        write_local_backend_override(copy, scratch / "state")
        stacks[source.name] = copy
    shutil.rmtree(kept, ignore_errors=True)  # a stack no longer synthesized: its init goes
    return stacks


@contextmanager
def emulator_target(root: Path, outdir: Path, region: str, progress: Progress,
                    prepare=lambda: None) -> Iterator[Target]:
    """An emulator on loopback and scratch copies of the stacks pointed at it.
    The persistent emulator when it is up (its state stays for the next
    command); else one of this command's own, stopped and removed on exit:
    nothing of an emulator run lingers in cdktf.out or .state. ``prepare``
    (the synthesis) runs while this command's own emulator gets ready
    (scripts/emulator/run.py)."""
    persistent = emulator_persistent.find(root)
    if persistent is not None:
        prepare()
        progress.say(f"using the persistent emulator at {persistent.url} (scripts/platform emulator status)")
        stacks = emulator_copies(Path(outdir) / "stacks", emulator_persistent.persistent_dir(root), persistent)
        yield Target("emulator", stacks, persistent.env(terraform_env.build_env(root), region=region), persistent)
        return
    from scripts.emulator.run import own_emulator

    with own_emulator(root, outdir, region, progress, prepare) as target:
        yield target


def aws_target(outdir: Path, root: Path) -> Target:
    stacks = {p.name: p for p in sorted((Path(outdir) / "stacks").iterdir())}
    env = terraform_env.build_env(root)
    for key in [k for k in env if k.startswith("AWS_ENDPOINT_URL")]:
        del env[key]  # no emulator settings leak into a real run
    if env.get("AWS_CA_BUNDLE", "").startswith(str(TLS_DIR)):
        del env["AWS_CA_BUNDLE"]  # the emulator's certificate; a bundle of the user's own stays
    return Target("aws", stacks, env)


@contextmanager
def open_target(args, progress: Progress, region: str) -> Iterator[Target]:
    root = Path(args.root).resolve()
    if args.target == "aws":
        require_aws_credentials(progress)
    outdir = Path(args.outdir or os.environ.get("CDKTF_OUTDIR") or root / DEFAULT_OUTDIR)
    outdir = outdir if outdir.is_absolute() else root / outdir
    if args.no_synth and not (outdir / "stacks" / PLATFORM_STACK / "cdk.tf.json").is_file():
        raise CommandError(f"--no-synth, but {outdir} holds no synthesized stack.\n"
                           "Next: drop --no-synth, or point --outdir at a synthesized app.")

    def synth() -> None:
        if not args.no_synth:
            with progress.step("synth"):
                synthesize(root, outdir, terraform_env.build_env(root))
            if getattr(args, "cli_process", False):
                release_jsii()
    if args.target == "aws":
        synth()
        yield aws_target(outdir, root)
    else:
        with emulator_target(root, outdir, region, progress, prepare=synth) as target:
            yield target


# -- state backend -----------------------------------------------------------------
def bootstrap_state(target: Target, region: str, progress: Progress, extra_vars: Sequence[str] = ()):
    """Applies the state-backend stack; returns the platform stack's backend settings."""
    from modules.state_backend import BackendSettings

    tf = target.terraform(STATE_STACK)
    with progress.step("terraform init (state-backend)"):
        tf.init()
    targets = emulator_scope(tf.dir)[0] if target.name == "emulator" else []
    with progress.step(f"create the state bucket ({target.name}, {region})"):
        tf.run(["apply", "-input=false", "-auto-approve", f"-var=region={region}", *extra_vars, *targets])
    values = tf.output(workspace=None, name="backend_settings")
    return BackendSettings(**{k: v for k, v in values.items() if v is not None})


def use_emulator_state_backend(target: Target, settings) -> None:
    """Points the platform stack's state at the S3 backend inside the emulator."""
    from dataclasses import asdict

    backend = {k: v for k, v in asdict(settings).items() if v is not None}
    target.emulator.write_backend_override(target.stacks[PLATFORM_STACK], backend)
