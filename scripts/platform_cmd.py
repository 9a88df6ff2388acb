"""`scripts/platform COMMAND ...`: every command people (and CI) run on the platform.

    bootstrap-state   create the state bucket once per account/region, write backend.json
    workspaces        list the workspaces (variable files; with --target aws, the backend's too)
    new-workspace N   create workspaces/N.tfvars.json from an example
    plan W | diff W   terraform plan of workspace W (--stack emr-account: of W's EMR account)
    apply W           terraform apply of W (alias: deploy); users who leave lose their apps and spaces first
    prepare-apply W   only that first part of apply, before a cdktf deploy of W
    destroy W         terraform destroy of W
    output W          terraform output of W
    loop W            on the emulator: bootstrap state, plan, apply, plan again, destroy
    journey W         on the emulator: list, launch and connect to an EMR cluster as a Studio user
                      (--stack emr-account: to a cluster of W's EMR account, through the assumable role)
    emulator up|down|status   the persistent emulator (state kept across commands)
    pr-plan [W...]    plan every workspace in parallel; plans, summaries, one PR comment

``--target emulator`` (the default) runs against a local moto server on
127.0.0.1 that lives for one command, with state kept in a scratch copy (or,
for ``loop``, in an S3 backend inside the emulator); ``--target aws`` runs
against the account of your AWS credentials, with the state backend of
``backend.json`` (local state in .state/ without it). Selecting workspace W
always means ``workspaces/W.tfvars.json`` *and* Terraform workspace W.
Progress goes to stderr; failures end with a line saying what to do next.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

if __package__ in (None, ""):  # run as a file: make `scripts.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import emulator_persistent, terraform_env
from scripts.emulator import (
    BACKEND_OVERRIDE_FILE, UNSUPPORTED_TYPES, Emulator, previous_outputs_override)
from scripts.errors import CommandError, ScriptError, run_main
from scripts.repo import (
    DEFAULT_OUTDIR, DEFAULT_WORKSPACE, PLATFORM_STACK, REPO_ROOT, STATE_STACK, TLS_DIR, WORKSPACE_STACKS)
from scripts.workspaces import (
    available_workspaces, check_workspace, new_workspace, read_region)

TARGETS = ("emulator", "aws")
HEARTBEAT_SECONDS = 15


# -- progress --------------------------------------------------------------------
class Progress:
    """``[platform] step ...`` lines on stderr, with a heartbeat for long steps."""

    def __init__(self, stream=None, heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.stream = stream or sys.stderr
        self.heartbeat = heartbeat
        self.t0 = time.monotonic()

    def say(self, msg: str) -> None:
        self.stream.write(f"[platform] {msg}\n")  # one write: steps of two threads do not mix
        self.stream.flush()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        self.say(f"{name} ...")
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat):
                self.say(f"{name}: still running after {time.monotonic() - start:.0f}s")

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        status = "FAILED"
        try:
            yield
            status = "done"
        finally:
            done.set()
            self.say(f"{name} {status} in {time.monotonic() - start:.1f}s (total {time.monotonic() - self.t0:.1f}s)")


# -- credentials -----------------------------------------------------------------
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


_REFERENCE = re.compile(r"(?<![\w.])(aws_[a-z0-9_]+\.[A-Za-z0-9_-]+|local\.[A-Za-z0-9_-]+)")


def emulator_scope(stack: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """What of ``stack`` the emulator can create: ``-target`` arguments, and
    (address, why) for the rest. A resource is left out when its type is in
    UNSUPPORTED_TYPES or when it refers, directly or through locals, to one
    that is left out (``-target`` would otherwise pull that one in)."""
    config = json.loads((stack / "cdk.tf.json").read_text())
    bodies = {f"{type_}.{name}": body for type_, resources in config.get("resource", {}).items()
              for name, body in resources.items()}
    bodies.update({f"local.{name}": value for name, value in config.get("locals", {}).items()})
    refs = {address: set(_REFERENCE.findall(json.dumps(body))) & set(bodies) - {address}
            for address, body in bodies.items()}
    why = {address: UNSUPPORTED_TYPES[address.split(".")[0]]
           for address in bodies if address.split(".")[0] in UNSUPPORTED_TYPES}
    changed = True
    while changed:  # propagate until nothing new is left out
        changed = False
        for address, targets in refs.items():
            if address not in why:
                blocker = next((t for t in sorted(targets) if t in why), None)
                if blocker:
                    root = blocker if not why[blocker].startswith("refers to ") else why[blocker].split()[2]
                    why[address] = f"refers to {root}, which the emulator cannot create"
                    changed = True
    left_out = [(a, w) for a, w in sorted(why.items()) if not a.startswith("local.")]
    if not left_out:  # everything: no -target (and no "resource targeting is in effect" warning)
        return [], []
    targets = [f"-target={a}" for a in sorted(bodies) if not a.startswith("local.") and a not in why]
    return targets, left_out


def say_left_out(left_out: Sequence[tuple[str, str]], progress: Progress) -> None:
    """One line before an apply on the emulator, when it leaves anything out (``emulator_scope``);
    a plan plans everything and needs no such line."""
    if left_out:
        types = sorted({address.split(".")[0] for address, _ in left_out})
        progress.say(f"the emulator applies all but {len(left_out)} planned resource(s) ({', '.join(types)}): "
                     "UNSUPPORTED_TYPES in scripts/emulator.py says why")


# -- terraform -------------------------------------------------------------------
@dataclass
class Terraform:
    """Terraform in one synthesized stack directory, with one environment."""

    dir: Path
    env: dict

    def run(self, args: Sequence[str], workspace: str | None = None, check: bool = True,
            stream: bool = False, timeout: float | None = 3600) -> subprocess.CompletedProcess:
        env = dict(self.env)
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
        # -reconfigure: the same directory is used with different backends.
        env = {k: v for k, v in self.env.items() if k != "TF_WORKSPACE"}
        terraform_env.init(self.dir, env=env, extra_args=["-reconfigure"], timeout=3600)

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

    def output_values(self, workspace: str) -> dict:
        """Every output of ``workspace``: name => value (without type and sensitivity)."""
        return {name: (o or {}).get("value") for name, o in self.output(workspace).items()}


# -- targets ---------------------------------------------------------------------
@dataclass
class Target:
    """Where one command runs: stack directories and the environment for terraform."""

    name: str
    stacks: dict
    env: dict
    emulator: Emulator | None = None
    initialized: frozenset = frozenset()
    """Stacks already initialized (scripts/emulator_run.py): no ``terraform init`` again."""

    def terraform(self, stack: str) -> Terraform:
        return Terraform(self.stacks[stack], self.env)


def write_local_backend_override(stack: Path, state_dir: Path) -> None:
    """Keeps a stack's local state in ``state_dir``, whatever its backend says."""
    local = {"path": str(state_dir / f"{stack.name}.tfstate"),
             "workspace_dir": str(state_dir / f"{stack.name}-workspaces")}
    doc = {"//": "Written by scripts/platform_cmd.py for an emulator run; never commit.",
           "terraform": {"backend": {"local": local}}, **previous_outputs_override(stack, "local", local)}
    (stack / BACKEND_OVERRIDE_FILE).write_text(json.dumps(doc, indent=2) + "\n")


def emulator_copies(stacks_dir: Path, scratch: Path, emu: Emulator) -> dict:
    """Copies every synthesized stack under ``scratch``, pointed at ``emu``
    (provider override) with local state in ``scratch/state``; {name: dir}.
    Earlier copies are replaced; the state stays."""
    stacks = {}
    shutil.rmtree(scratch / "stacks", ignore_errors=True)
    for source in sorted(Path(stacks_dir).iterdir()):
        copy = scratch / "stacks" / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfplan", "*override.tf.json"))
        emu.write_provider_override(copy)
        emu.write_drift_override(copy)
        write_local_backend_override(copy, scratch / "state")
        stacks[source.name] = copy
    return stacks


@contextmanager
def emulator_target(root: Path, outdir: Path, region: str, progress: Progress,
                    prepare=lambda: None) -> Iterator[Target]:
    """An emulator on loopback and scratch copies of the stacks pointed at it.
    The persistent emulator when it is up (its state stays for the next
    command); else one of this command's own, stopped and removed on exit:
    nothing of an emulator run lingers in cdktf.out or .state. ``prepare``
    (the synthesis) runs while this command's own emulator gets ready
    (scripts/emulator_run.py)."""
    persistent = emulator_persistent.find(root)
    if persistent is not None:
        prepare()
        progress.say(f"using the persistent emulator at {persistent.url} (scripts/platform emulator status)")
        stacks = emulator_copies(Path(outdir) / "stacks", emulator_persistent.persistent_dir(root), persistent)
        yield Target("emulator", stacks, persistent.env(terraform_env.build_env(root), region=region), persistent)
        return
    from scripts.emulator_run import own_emulator

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


# -- commands --------------------------------------------------------------------
def cmd_bootstrap_state(args, progress: Progress) -> int:
    root = Path(args.root).resolve()
    region = args.region or (read_region(check_workspace(root, DEFAULT_WORKSPACE)) if args.target == "emulator"
                             else None)
    if not region:
        raise CommandError("--region is required with --target aws.\nNext: add --region <aws region>.")
    extra = [f"-var=name={args.name}"] if args.name else []
    extra += [f"-var=kms_key_arn={args.kms_key_arn}"] if args.kms_key_arn else []
    extra += ["-var=create_lock_table=true"] if args.lock_table else []
    with open_target(args, progress, region) as target:
        settings = bootstrap_state(target, region, progress, extra)
        from dataclasses import asdict

        print(json.dumps({k: v for k, v in asdict(settings).items() if v is not None}, indent=2))
        if target.name == "aws":
            path = Path(os.environ.get("PLATFORM_BACKEND_CONFIG") or root / "backend.json")
            settings.write(str(path))
            progress.say(f"backend settings written to {path}: the next synthesis uses this S3 backend")
            progress.say("Next: scripts/platform plan <workspace> --target aws")
        else:
            progress.say("emulator run: the bucket goes away with the emulator; backend.json is not written")
    return 0


def cmd_workspaces(args, progress: Progress) -> int:
    root = Path(args.root).resolve()
    files = available_workspaces(root)
    for name in files:
        print(name)
    if args.target == "aws":
        with open_target(args, progress, "us-east-1") as target:
            tf = target.terraform(PLATFORM_STACK)
            tf.init()
            known = [w for w in tf.workspaces() if w != "default"]
        for name in sorted(set(known) - set(files)):
            print(f"{name}  (state only: no workspaces/{name}.tfvars.json)")
    return 0


def cmd_new_workspace(args, progress: Progress) -> int:
    path = new_workspace(Path(args.root).resolve(), args.name, args.source, args.domain_name, args.region)
    progress.say(f"created {path}")
    progress.say(f"Next: review it (domain_name, CIDRs, users), then scripts/platform plan {args.name}")
    return 0


def _plan_args(var_file: Path, plan_file: Path | None = None, targets: Sequence[str] = ()) -> list[str]:
    args = ["plan", "-input=false", "-lock-timeout=60s", f"-var-file={var_file}", *targets]
    return args + ([f"-out={plan_file}"] if plan_file else [])


def cmd_plan(args, progress: Progress) -> int:
    from scripts import domain_guard

    with workspace_stack(args, progress) as (target, tf, var_file):
        domain_guard.use_flag(tf, args.allow_domain_replacement)
        plan_file = tf.dir / f"{args.workspace}.tfplan"
        with progress.step(f"terraform plan ({args.workspace}, {target.name})"):
            proc, shown = domain_guard.run_plan(tf, args.workspace, _plan_args(var_file, plan_file), plan_file)
        sys.stdout.write(proc.stdout)
        from scripts import plan_summary

        sys.stdout.write("\n" + plan_summary.render_workspace(plan_summary.summarize(shown, args.workspace)) + "\n")
        sys.stdout.flush()
        domain_guard.refuse(shown, args.workspace, "plan")
    return 0


@contextmanager
def workspace_stack(args, progress: Progress) -> Iterator[tuple[Target, Terraform, Path]]:
    """(target, terraform of the platform stack, or of ``args.stack``, variable file) for
    ``args.workspace``: the file checked, synthesized, initialized.

    No `terraform workspace new` (0.5 s each): with TF_WORKSPACE naming a
    missing workspace, the local and the S3 backend create its empty state
    when a plan or apply opens it."""
    stack = getattr(args, "stack", PLATFORM_STACK)
    var_file = check_workspace(Path(args.root).resolve(), args.workspace, stack)
    with open_target(args, progress, read_region(var_file)) as target:
        tf = target.terraform(stack)
        if stack not in target.initialized:
            with progress.step("terraform init"):
                tf.init()
        yield target, tf, var_file


def _refuse_emulator(command: str, workspace: str, root: Path) -> None:
    """Refuses ``command`` on an emulator that lives for one command only."""
    if emulator_persistent.find(root) is not None:
        return
    raise CommandError(f"`{command}` needs state that outlives one command, and without the persistent emulator "
                       "an emulator lives for one command only.\n"
                       f"Next: scripts/platform emulator up (then {command} again), scripts/platform loop "
                       f"{workspace} (apply, re-plan and destroy in one command), or scripts/platform {command} "
                       f"{workspace} --target aws.")


def cmd_apply(args, progress: Progress) -> int:
    if args.target == "emulator":
        _refuse_emulator("apply", args.workspace, Path(args.root).resolve())
    with workspace_stack(args, progress) as (target, tf, var_file):
        scope, left_out = emulator_scope(tf.dir) if target.name == "emulator" else ([], [])
        say_left_out(left_out, progress)
        from scripts import studio_leftovers

        # One plan: the domain guard reads it, the users who leave are cleared for it, and it is applied.
        plan_file = tf.dir / f"{args.workspace}.tfplan"
        try:
            studio_leftovers.before_apply(args, target, tf, var_file, progress, scope, plan_file)
            with progress.step(f"terraform apply ({args.workspace})"):
                tf.run(["apply", "-input=false", str(plan_file)], workspace=args.workspace, stream=True)
        finally:
            plan_file.unlink(missing_ok=True)
    return 0


def cmd_destroy(args, progress: Progress) -> int:
    if args.target == "emulator":
        _refuse_emulator("destroy", args.workspace, Path(args.root).resolve())
    with workspace_stack(args, progress) as (target, tf, var_file):
        if args.workspace not in tf.workspaces():
            raise CommandError(f"workspace {args.workspace!r} has no state in this backend: nothing to destroy.\n"
                               "Next: check backend.json points at the right account.")
        from scripts import lifecycle

        lifecycle.destroy_workspace(target, tf, args.workspace, var_file, progress, auto_approve=args.auto_approve,
                                    targets=emulator_scope(tf.dir)[0] if target.name == "emulator" else (),
                                    stream=target.name == "aws",
                                    allow_domain_replacement=args.allow_domain_replacement)
    return 0


def cmd_output(args, progress: Progress) -> int:
    if args.target == "emulator":
        _refuse_emulator("output", args.workspace, Path(args.root).resolve())
    with workspace_stack(args, progress) as (target, tf, var_file):
        print(json.dumps(tf.output(args.workspace), indent=2))
    return 0


def _base_variables(root: Path, ref: str, workspace: str) -> dict | None:
    """The workspace's variable file at git ``ref`` (None when it did not exist there)."""
    proc = subprocess.run(["git", "show", f"{ref}:workspaces/{workspace}.tfvars.json"], cwd=root,
                          capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def cmd_pr_plan(args, progress: Progress) -> int:
    """Synthesizes once, plans every (or every named) workspace in parallel and
    writes, per workspace, the plan text, its JSON and a Markdown summary, and
    one comment for the pull request; exits 1 when any workspace failed."""
    from scripts import plan_summary

    root = Path(args.root).resolve()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    names = args.workspaces or available_workspaces(root)
    if not names:
        raise CommandError("no workspaces to plan.\nNext: add workspaces/<name>.tfvars.json.")
    errors, var_files = {}, {}
    for ws in names:
        try:
            var_files[ws] = check_workspace(root, ws)
        except CommandError as exc:
            errors[ws] = str(exc)
    region = read_region(next(iter(var_files.values()))) if var_files else "us-east-1"
    plans = {}
    with open_target(args, progress, region) as target:
        tf = target.terraform(PLATFORM_STACK)
        from scripts import domain_guard

        domain_guard.use_flag(tf, args.allow_domain_replacement)
        if PLATFORM_STACK not in target.initialized:
            with progress.step("terraform init"):
                tf.init()
        # Missing workspaces are created by their plans (see workspace_stack), in parallel.

        def plan_one(ws: str):
            plan_file = out / f"{ws}.tfplan"
            with progress.step(f"terraform plan ({ws}, {target.name})"):
                try:
                    proc, shown = domain_guard.run_plan(tf, ws, _plan_args(var_files[ws], plan_file), plan_file,
                                                        check=False)
                except ScriptError as exc:  # `terraform show` failed
                    return ws, None, str(exc)
            (out / f"{ws}.plan.txt").write_text(proc.stdout + proc.stderr)
            if shown is None:
                return ws, None, proc.stderr or proc.stdout
            (out / f"{ws}.plan.json").write_text(json.dumps(shown))
            return ws, shown, None

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(4, max(1, len(var_files)))) as pool:
            for ws, shown, error in pool.map(plan_one, var_files):
                if error is None:
                    plans[ws] = shown
                else:
                    errors[ws] = error
    base = {}
    if args.base_ref:
        base = {ws: v for ws in var_files if (v := _base_variables(root, args.base_ref, ws)) is not None}
    summaries, failures = plan_summary.write_summaries(
        out, plans, errors, plan_summary.default_artifact_hint(out), base_variables=base,
        base_labels={ws: args.base_ref for ws in base})
    for summary in summaries:
        progress.say(f"{summary.workspace}: {plan_summary.headline_counts(summary.totals)}")
    progress.say(f"wrote {out / 'comment.md'} and, per workspace, .plan.txt, .plan.json, .summary.md")
    if failures:
        raise CommandError(f"{len(failures)} workspace(s) failed to plan: "
                           f"{', '.join(f.workspace for f in failures)} (why: {out / 'comment.md'}).\n"
                           "Next: fix the errors listed there and re-run.")
    refused = [text for ws, shown in sorted(plans.items()) if (text := domain_guard.refusal_of(shown, ws, "apply"))]
    if refused:  # after the summaries: the comment shows them too
        raise CommandError("\n\n".join(refused))
    return 0


# -- CLI -------------------------------------------------------------------------
def _lazy(module: str, name: str):
    """A command implemented in another module (imported when it runs)."""
    def command(args, progress: Progress) -> int:
        import importlib

        return getattr(importlib.import_module(module), name)(args, progress)
    return command


COMMANDS = {
    "bootstrap-state": cmd_bootstrap_state, "workspaces": cmd_workspaces, "new-workspace": cmd_new_workspace,
    "plan": cmd_plan, "diff": cmd_plan, "apply": cmd_apply, "deploy": cmd_apply, "destroy": cmd_destroy,
    "output": cmd_output, "loop": _lazy("scripts.lifecycle", "cmd_loop"), "pr-plan": cmd_pr_plan,
    "emulator": _lazy("scripts.lifecycle", "cmd_emulator"), "journey": _lazy("scripts.journey", "cmd_journey"),
    "prepare-apply": _lazy("scripts.studio_leftovers", "cmd_prepare_apply"),
}


def _allow_domain_replacement_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-domain-replacement", action="store_true",
                        help="allow, for this command only, a plan that replaces or destroys the SageMaker domain "
                             "and its users (scripts/domain_guard.py)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--target", choices=TARGETS, default="emulator",
                        help="emulator: local moto server on 127.0.0.1 (default); aws: your AWS account")
    common.add_argument("--root", default=str(REPO_ROOT), help=argparse.SUPPRESS)
    common.add_argument("--outdir", default=None, help="synthesis output dir (default: $CDKTF_OUTDIR or cdktf.out)")
    common.add_argument("--no-synth", action="store_true", help="use the app already synthesized in --outdir")
    p = argparse.ArgumentParser(prog="scripts/platform", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("bootstrap-state", parents=[common], help="create the state bucket, write backend.json")
    s.add_argument("--region", help="region of the state bucket (emulator: the dev workspace's)")
    s.add_argument("--name", help="prefix of the bucket name (default tfstate-sagemaker-emr)")
    s.add_argument("--kms-key-arn", help="SSE-KMS key for the state (default SSE-S3)")
    s.add_argument("--lock-table", action="store_true", help="also a DynamoDB lock table (Terraform < 1.10)")
    sub.add_parser("workspaces", parents=[common], help="list the workspaces")
    s = sub.add_parser("new-workspace", parents=[common], help="create workspaces/NAME.tfvars.json")
    s.add_argument("name")
    s.add_argument("--from", dest="source", default=DEFAULT_WORKSPACE, help="example to copy (default dev)")
    s.add_argument("--domain-name", help="domain_name of the new workspace (default ml-NAME)")
    s.add_argument("--region", help="region of the new workspace (default: the example's)")
    defaulted = ("plan", "diff", "loop", "journey")
    for name, helptext in (("plan", "terraform plan"), ("diff", "alias of plan"), ("apply", "terraform apply"),
                           ("deploy", "alias of apply"), ("destroy", "terraform destroy"),
                           ("prepare-apply", "before a cdktf deploy: remove the apps and spaces of users who leave"),
                           ("output", "terraform output"), ("loop", "emulator: plan, apply, re-plan, destroy"),
                           ("journey", "emulator: what a Studio user does, run with AWS's Studio client code")):
        s = sub.add_parser(name, parents=[common], help=helptext)
        s.add_argument("workspace", nargs="?" if name in defaulted else None,
                       default=DEFAULT_WORKSPACE if name in defaulted else None)
        if name in ("apply", "deploy", "destroy", "prepare-apply"):
            s.add_argument("--auto-approve", action="store_true", help="do not ask before changing anything")
        if name in ("plan", "diff", "apply", "deploy", "destroy", "prepare-apply"):
            _allow_domain_replacement_flag(s)
        if name in ("plan", "diff", "output", "journey"):
            s.add_argument("--stack", choices=WORKSPACE_STACKS, default=PLATFORM_STACK,
                           help="platform (default), or emr-account: EMR in another account, variables in "
                                "workspaces/emr-account/W.tfvars.json (journey: to its cluster, both applied)")
        if name == "loop":
            s.add_argument("--journey", action="store_true", help="run the journey between apply and re-plan")
    s = sub.add_parser("emulator", parents=[common], help="the persistent emulator: up, down, status")
    s.add_argument("action", choices=("up", "down", "status"))
    s.add_argument("--region", help="default region of its clients (default: the dev workspace's)")
    s = sub.add_parser("pr-plan", parents=[common], help="plan every workspace for a pull request, with summaries")
    s.add_argument("workspaces", nargs="*", help="workspaces to plan (default: every workspaces/*.tfvars.json)")
    s.add_argument("--out", default="plan-out", help="where the plans and summaries go (default plan-out)")
    s.add_argument("--base-ref", help="git ref whose variable files the summaries compare against")
    _allow_domain_replacement_flag(s)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None, cli_process: bool = False) -> int:
    """``cli_process``: this process runs the command and nothing else (not a test's)."""
    args = parse_args(argv)
    args.cli_process = cli_process
    progress = Progress()
    return run_main(f"scripts/platform {args.command}", lambda: COMMANDS[args.command](args, progress))


if __name__ == "__main__":
    sys.exit(main(cli_process=True))
