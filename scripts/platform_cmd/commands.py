"""The commands of ``scripts/platform`` implemented here (the others: scripts/lifecycle.py,
scripts/journey/, scripts/studio_leftovers.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from scripts.emulator import persistent as emulator_persistent
from scripts.errors import CommandError, ScriptError
from scripts.repo import (
    DEFAULT_WORKSPACE, PLATFORM_STACK)
from scripts.workspaces import available_workspaces, check_workspace, new_workspace, read_region
from scripts.platform_cmd.progress import Progress
from scripts.platform_cmd.terraform import Terraform, plan_args
from scripts.platform_cmd.scope import emulator_scope, say_left_out
from scripts.platform_cmd.targets import Target, open_target, bootstrap_state


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

def cmd_plan(args, progress: Progress) -> int:
    from scripts import domain_guard

    with workspace_stack(args, progress) as (target, tf, var_file):
        domain_guard.use_flag(tf, args.allow_domain_replacement)
        plan_file = tf.dir / f"{args.workspace}.tfplan"
        with progress.step(f"terraform plan ({args.workspace}, {target.name})"):
            proc, shown = domain_guard.run_plan(tf, args.workspace, plan_args(var_file, plan_file), plan_file)
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


def refuse_emulator(command: str, workspace: str, root: Path) -> None:
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
        refuse_emulator("apply", args.workspace, Path(args.root).resolve())
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
        refuse_emulator("destroy", args.workspace, Path(args.root).resolve())
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
        refuse_emulator("output", args.workspace, Path(args.root).resolve())
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
                    proc, shown = domain_guard.run_plan(tf, ws, plan_args(var_files[ws], plan_file), plan_file,
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
