"""One place for the repository's paths and the names scripts/ shares.

Standard library only: the CLI, the workflows' scripts and the tests import it
without loading cdktf. The stack names are main.py's (PLATFORM_STACK,
STATE_STACK) and modules/emr_account_inputs.py's (EMR_ACCOUNT_STACK), repeated
here because importing those loads the AWS bindings; tests/test_tooling.py
checks they agree.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
CACHE_DIR = REPO_ROOT / ".cache"
"""Generated files kept between runs (the emulator's TLS certificate, the Terraform CLI config)."""
TLS_DIR = CACHE_DIR / "emulator" / "tls"
WORKSPACES_DIR_NAME = "workspaces"
"""``workspaces/<name>.tfvars.json``: the platform stack's variable files; ``workspaces/<stack>/``: another stack's."""
TERRAFORM_LOCK_FILE_NAME = ".terraform.lock.hcl"
DEFAULT_OUTDIR = "cdktf.out"
"""Where the app is synthesized (``$CDKTF_OUTDIR`` or ``--outdir`` overrides it)."""

PLATFORM_STACK = "platform"
STATE_STACK = "state-backend"
EMR_ACCOUNT_STACK = "emr-account"
"""EMR in another account (modules/emr_account.py): variables in workspaces/emr-account/W.tfvars.json."""
WORKSPACE_STACKS = (PLATFORM_STACK, EMR_ACCOUNT_STACK)
"""The stacks planned per workspace (the state backend is one per account and region)."""
DEFAULT_WORKSPACE = "dev"
