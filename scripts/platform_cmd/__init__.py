"""``scripts/platform``: the CLI and its commands (``python -m scripts.platform_cmd``).

    cli.py        the command line: parse_args, main, COMMANDS (one error line per failure)
    commands.py   bootstrap-state, workspaces, new-workspace, plan, apply, destroy, output, pr-plan
    targets.py    where a command runs (emulator or AWS), the synthesis, credentials, the state backend
    terraform.py  Terraform in one synthesized stack directory
    scope.py      what of a stack the emulator can create
    progress.py   ``[platform] step ...`` lines on stderr

The other commands live with their concern: loop and emulator (scripts/lifecycle.py),
journey (scripts/journey/), prepare-apply (scripts/studio_leftovers.py). Workspaces and
their variable files: scripts/workspaces.py; errors: scripts/errors.py.

This module is the package's interface: what callers (the command modules, the tests)
use, imported from where it is defined.
"""

from scripts.errors import CommandError
from scripts.platform_cmd.cli import COMMANDS, main, parse_args
from scripts.platform_cmd.commands import refuse_emulator, workspace_stack
from scripts.platform_cmd.progress import Progress
from scripts.platform_cmd.scope import emulator_scope, say_left_out
from scripts.platform_cmd.targets import (
    Target, aws_target, bootstrap_state, emulator_copies, emulator_target, find_aws_credentials, open_target,
    release_jsii, require_aws_credentials, synthesize, use_emulator_state_backend, write_local_backend_override)
from scripts.platform_cmd.terraform import Terraform, plan_args
from scripts.repo import PLATFORM_STACK
from scripts.workspaces import available_workspaces, check_workspace, new_workspace

__all__ = [
    "COMMANDS", "PLATFORM_STACK", "CommandError", "Progress", "Target", "Terraform", "available_workspaces",
    "aws_target", "bootstrap_state", "check_workspace", "emulator_copies", "emulator_scope", "emulator_target",
    "find_aws_credentials", "main", "new_workspace", "open_target", "parse_args", "plan_args", "refuse_emulator",
    "release_jsii", "require_aws_credentials", "say_left_out", "synthesize", "use_emulator_state_backend",
    "workspace_stack", "write_local_backend_override",
]
