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
from typing import Sequence

from scripts.errors import run_main
from scripts.repo import (
    DEFAULT_WORKSPACE, PLATFORM_STACK, REPO_ROOT, WORKSPACE_STACKS)
from scripts.platform_cmd.commands import (
    cmd_apply, cmd_bootstrap_state, cmd_destroy, cmd_new_workspace, cmd_output, cmd_plan, cmd_pr_plan,
    cmd_workspaces)
from scripts.platform_cmd.progress import Progress

TARGETS = ("emulator", "aws")


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
