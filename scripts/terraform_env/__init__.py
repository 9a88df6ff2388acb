"""Environment for running Terraform: providers from the registry or a mirror, pinned by the lock file.

Standard library only, importable from scripts and tests::

    from scripts import terraform_env
    env = terraform_env.build_env()
    terraform_env.init(stack_dir, env=env)
    result = terraform_env.run_terraform(["plan", "-input=false"], stack_dir, env=env)

What it does:

* picks how hashicorp/aws (``AWS_PROVIDER_VERSION``) is installed: from the filesystem
  mirror ``$TF_PROVIDER_MIRROR`` names, or one found in a few known places (mirror mode);
  else, or with ``TF_PROVIDER_MIRROR=none``, from the registry (registry mode). Both verify
  the package against the committed ``.terraform.lock.hcl`` (``LOCK_FILE``) or this
  machine's extension of it (provider_lock.py), which :func:`init` copies into the
  stack and uses read-only;
* writes a Terraform CLI config ``.cache/terraform/cli-<hash>.tfrc``: the user's own merged with
  ours (cli_config.py), with a plugin cache (``.cache/terraform/plugin-cache``
  unless the user has one) that the first install fills once;
* returns an environment with ``TF_CLI_CONFIG_FILE`` pointing at it, Terraform's and jsii's
  quiet settings, and ``GOGC=400`` unless ``GOGC`` is already set (:data:`GO_GC_PERCENT`).

Failures raise :class:`TerraformError` whose message is meant to be printed
as-is (no traceback needed): what failed, the tail of stderr, what to do next.
"""

# The package: run.py (terraform, one command), providers.py (mirror or registry, the lock
# file, what a failed init means), env.py (the CLI configuration, the plugin cache, init),
# cli_config.py (the user's configuration merged with ours), provider_lock.py (this machine's
# lock). The names below are its interface, imported from where they are defined.
from scripts.terraform_env.env import (
    GO_GC_PERCENT, INIT_STAMP, build_env, cache_dir, init, init_fingerprint, plugin_cache, write_cli_config)
from scripts.terraform_env.providers import (
    AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION, KNOWN_MIRRORS, LOCK_FILE, explain_init_failure, find_provider_mirror,
    mirror_candidates, platform_id, provider_mirror)
from scripts.terraform_env.run import TerraformError, describe, run_terraform, terraform_binary

__all__ = [
    "AWS_PROVIDER_SOURCE", "AWS_PROVIDER_VERSION", "GO_GC_PERCENT", "INIT_STAMP", "KNOWN_MIRRORS", "LOCK_FILE",
    "TerraformError",
    "build_env", "cache_dir", "describe", "explain_init_failure", "find_provider_mirror", "init", "init_fingerprint",
    "mirror_candidates", "platform_id", "plugin_cache", "provider_mirror", "run_terraform", "terraform_binary",
    "write_cli_config",
]
