"""``scripts/platform journey W``: what a data scientist's Studio does, on the emulator.

After an apply of workspace W, as the Studio execution role:

1. find the EMR products Studio shows (``steps.find_products``);
2. launch one as Studio does and wait for its record (``steps.launch_cluster``);
3. connect a notebook: AWS's own Studio client packages run their EMR-on-EC2
   connect path against the emulator, up to the Livy endpoint they would open
   (``steps.connect_notebook``, ``clients``; no Livy server is part of this);
4. check the network path: the master group admits Studio on 8998 and 10000
   (``steps.check_network``);
5. check every AWS call made as the role on that path, and every call the
   client packages' code can make on it, against the role's policies with a
   policy simulator (``policy_check``);
6. with EMR Serverless applications in the workspace: connect to one through
   AWS's client code up to its Livy endpoint, check its network path and the
   role's permissions for it (``serverless``);
7. terminate the product; the cluster and its stack are gone (``steps.terminate_cluster``).

Each step prints what it did and how long it took; a failure names the step,
the call and what to change (:class:`~scripts.journey.steps.JourneyFailure`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.journey.steps import Journey, JourneyFailure

__all__ = ["Journey", "JourneyFailure", "JourneyResult", "cmd_journey", "run_journey"]


@dataclass
class JourneyResult:
    workspace: str
    steps: list[tuple[str, float]] = field(default_factory=list)
    """(step name, seconds) in order."""

    def summary_line(self) -> str:
        total = sum(seconds for _, seconds in self.steps)
        return f"journey {self.workspace}: all {len(self.steps)} steps passed in {total:.1f}s"


def _steps(outputs: dict):
    """The steps, with the EMR Serverless ones (scripts/journey/serverless.py) when the workspace has
    applications; terminating the cluster stays last (a failure before it still terminates)."""
    from scripts.journey import policy_check, serverless, steps

    with_serverless = [
        ("connect to EMR Serverless", serverless.connect_application),
        ("check the EMR Serverless network path", serverless.check_network),
        ("check the EMR Serverless permissions", serverless.check_permissions),
    ] if serverless.applications(outputs) else []
    return [("find the EMR products", steps.find_products), ("launch a cluster", steps.launch_cluster),
            ("connect a notebook", steps.connect_notebook), ("check the network path", steps.check_network),
            ("check the role's permissions", policy_check.check_permissions), *with_serverless,
            ("terminate the cluster", steps.terminate_cluster)]


def run_journey(target, tf, workspace: str, var_file: Path, progress, outputs: dict | None = None) -> JourneyResult:
    """Runs the steps against ``target``'s emulator with ``workspace`` applied (``outputs``: its outputs,
    read with ``tf`` when not given)."""
    from scripts.journey.studio_user import CallRecord, role_credentials, role_session
    from scripts.errors import CommandError
    from scripts.workspaces import read_region

    if target.emulator is None:
        raise CommandError("the journey runs on the emulator only (it launches a cluster and runs Studio's "
                           "client code against it).\nNext: leave out --target aws.")
    region = read_region(var_file)
    outputs = tf.output_values(workspace) if outputs is None else outputs
    if not outputs.get("domain_id"):
        raise CommandError(f"workspace {workspace} is not applied on this emulator (no domain_id output).\n"
                           f"Next: scripts/platform apply {workspace} (with the persistent emulator up), or "
                           f"scripts/platform journey {workspace} without it.")
    record = CallRecord()
    credentials = role_credentials(target.emulator, outputs["studio_execution_role_arn"], region)
    journey = Journey(target.emulator, region, outputs, role_session(credentials, region, record), credentials,
                      record)
    progress.say(f"as the Studio execution role {outputs['studio_execution_role_arn']} (assumed in the emulator)")
    from scripts.journey.steps import terminate_cluster

    return run_steps(_steps(outputs), journey, journey.found, workspace, progress, terminate_cluster)


def run_steps(steps, state, found: dict, workspace: str, progress, terminate) -> JourneyResult:
    """Runs ``steps`` ((name, function of ``state`` returning lines), the last one the
    termination) in order, printing each one's lines. A failure (or a bug) after the
    launch (``provisioned_product_id`` in ``found``) still terminates the cluster with
    ``terminate(state)`` (and says so) before it is raised."""
    result = JourneyResult(workspace)
    try:
        for number, (name, step) in enumerate(steps, start=1):
            start = time.monotonic()
            with progress.step(f"journey {number}/{len(steps)}: {name}"):
                lines = step(state)
            result.steps.append((name, time.monotonic() - start))
            for line in lines:
                print(f"  {number}. {line}")
    except Exception:
        if "provisioned_product_id" in found and len(result.steps) < len(steps) - 1:
            try:
                for line in terminate(state):
                    progress.say(f"after the failure: {line}")
            except Exception as exc:  # noqa: BLE001 - the first failure is the one to report
                progress.say(f"after the failure, terminating {found['provisioned_product_id']} failed too: {exc}")
        raise
    return result


def _ensure_applied(target, stack: str, workspace: str, var_file: Path, progress):
    """Terraform of ``stack`` and the outputs of ``workspace``, applied (now, unless it already is)."""
    from scripts import lifecycle
    from scripts.platform_cmd import emulator_scope, say_left_out
    from scripts.platform_cmd.terraform import managed_instances

    tf = target.terraform(stack)
    with progress.step(f"terraform init ({stack})"):
        tf.init()
    state = tf.state(workspace)  # one read: what is applied, and the outputs when it is
    applied = managed_instances(state)
    if not applied:
        targets, left_out = emulator_scope(tf.dir)
        say_left_out(left_out, progress)
        with progress.step(f"terraform apply ({workspace}, {stack})"):
            proc = tf.run(["apply", "-input=false", "-auto-approve", f"-var-file={var_file}", *targets],
                          workspace=workspace)
        print(lifecycle.closing_line(proc.stdout, "apply"))
        return tf, tf.output_values(workspace)
    progress.say(f"{workspace} ({stack}) is applied on the persistent emulator ({applied} resources): "
                 "the journey uses it as it is")
    return tf, tf.output_values(workspace, state)


def cmd_journey(args, progress) -> int:
    """The journey of workspace W: on the persistent emulator where W is applied,
    or on an emulator of its own after applying W there. ``--stack emr-account``:
    to a cluster of W's EMR account (both stacks applied; scripts/journey/cross_account.py)."""
    from scripts.errors import CommandError
    from scripts.platform_cmd import open_target
    from scripts.repo import EMR_ACCOUNT_STACK, PLATFORM_STACK
    from scripts.workspaces import check_workspace, read_region

    if args.target != "emulator":
        raise CommandError("the journey runs on the emulator only.\nNext: leave out --target aws.")
    root = Path(args.root).resolve()
    var_file = check_workspace(root, args.workspace)
    across = getattr(args, "stack", PLATFORM_STACK) == EMR_ACCOUNT_STACK
    emr_var_file = check_workspace(root, args.workspace, EMR_ACCOUNT_STACK) if across else None
    with open_target(args, progress, read_region(var_file)) as target:
        tf, outputs = _ensure_applied(target, PLATFORM_STACK, args.workspace, var_file, progress)
        if across:  # a JourneyFailure is a ScriptError: scripts/platform prints it as it is
            from scripts.journey.cross_account import run_cross_account_journey

            _, emr_outputs = _ensure_applied(target, EMR_ACCOUNT_STACK, args.workspace, emr_var_file, progress)
            result = run_cross_account_journey(target, outputs, emr_outputs, args.workspace, emr_var_file,
                                               read_region(var_file), progress)
        else:
            result = run_journey(target, tf, args.workspace, var_file, progress, outputs)
        print(result.summary_line())
    return 0
