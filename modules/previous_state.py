"""What this workspace's last apply recorded: its own outputs, read at plan time.

Terraform forgets what is no longer in the configuration, and some things the
platform manages need a memory of earlier applies: the product versions
(provisioning artifacts) that exist, so that a changed template adds one
instead of replacing the product. The memory is the workspace's own state: a
``terraform_remote_state`` data source with the same backend and workspace
as the stack reads the outputs of the previous apply. The first plan of a
workspace reads an empty state, and every :func:`previous_output` falls back
to its default.

The data source is read during plan with the backend's credentials and never
locks the state. A workspace that has no state yet makes it fail ("Unable to
find remote state", whatever its ``defaults``): the S3 backend writes a new
workspace's empty state when the plan opens it, before data sources are
read, but the local backend writes nothing until an apply, so with local
state the data source is counted only once the state file has content. Emulator
runs point it wherever they point the backend (:func:`override_document`).
"""
from typing import TYPE_CHECKING, Optional

from modules.hcl import text

if TYPE_CHECKING:  # scripts/emulator.py imports this module for the names only, without starting cdktf
    from constructs import Construct

    from modules.state_backend import BackendSettings

# The data source's name in the synthesized Terraform, for override files.
PREVIOUS_OUTPUTS = "previous_outputs"
# Where the local backend keeps a workspace's state, under its workspace_dir.
LOCAL_STATE_FILE = "terraform.tfstate"


def declare_previous_outputs(scope: "Construct", backend: Optional["BackendSettings"],
                             local_state_dir: str) -> None:
    """Declares the data source reading this workspace's state from ``backend``
    (local state in ``local_state_dir``, relative to the stack, when None)."""
    from cdktf import DataTerraformRemoteStateLocal, DataTerraformRemoteStateS3, TerraformStack

    stack = TerraformStack.of(scope)
    if backend is None:
        workspace_dir = f"{local_state_dir}/{stack.node.id}-workspaces"
        source = DataTerraformRemoteStateLocal(
            scope, PREVIOUS_OUTPUTS, workspace=text("{w}", w="terraform.workspace"),
            path=f"{local_state_dir}/{stack.node.id}.tfstate", workspace_dir=workspace_dir)
        source.add_override("count", local_state_count(workspace_dir))
    else:
        source = DataTerraformRemoteStateS3(
            scope, PREVIOUS_OUTPUTS, workspace=text("{w}", w="terraform.workspace"), bucket=backend.bucket,
            key=backend.key,
            region=backend.region, workspace_key_prefix=backend.workspace_key_prefix)
        source.add_override("count", 1)
    source.override_logical_id(PREVIOUS_OUTPUTS)


def local_state_count(workspace_dir: str) -> str:
    """1 once the local backend has written this workspace's state, else 0.
    Not ``fileexists``: the plan's lock creates the file empty, and an empty
    state is "no stored state" too."""
    state = text(f"{workspace_dir}/{{workspace}}/{LOCAL_STATE_FILE}", workspace="terraform.workspace")
    return text("{count}", count=f'try(length(file("{state}")) > 0, false) ? 1 : 0')


def previous_output(name: str, default: str = "null") -> str:
    """Output ``name`` of this workspace's previous apply, as an expression;
    ``default`` (an expression) when there was none."""
    return f"try(data.terraform_remote_state.{PREVIOUS_OUTPUTS}[0].outputs.{name}, {default})"


def override_document(backend_type: str, config: dict) -> dict:
    """The override-file fragment that points the data source at ``backend_type``
    with ``config``: the same settings as the backend override beside it."""
    source = {"backend": backend_type, "config": config}
    if backend_type == "local":
        source["count"] = local_state_count(config["workspace_dir"])
    return {"data": {"terraform_remote_state": {PREVIOUS_OUTPUTS: source}}}
