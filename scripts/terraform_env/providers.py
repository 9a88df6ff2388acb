"""Where hashicorp/aws comes from (a filesystem mirror, or the registry), pinned by the lock
file; what a failed ``terraform init`` means."""

from __future__ import annotations

import glob
import os
import platform
import re
from pathlib import Path
from typing import Mapping, Sequence

from scripts.repo import REPO_ROOT, TERRAFORM_LOCK_FILE_NAME
from scripts.terraform_env.run import TerraformError, _tail, describe

# The dependency lock file: hashicorp/aws's hashes for every platform the registry
# publishes (zh:) and the unpacked package for linux_amd64 (h1:). README "Needs" says
# where they come from and how to add a platform.
LOCK_FILE = REPO_ROOT / TERRAFORM_LOCK_FILE_NAME

AWS_PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"
AWS_PROVIDER_VERSION = "5.100.0"

# Searched in this order when $TF_PROVIDER_MIRROR is not set.
KNOWN_MIRRORS = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
)


def platform_id() -> str:
    """Terraform's ``<os>_<arch>`` for this machine, e.g. ``linux_amd64``."""
    system = platform.system().lower()
    machine = platform.machine().lower()
    arch = {
        "x86_64": "amd64",
        "amd64": "amd64",
        "aarch64": "arm64",
        "arm64": "arm64",
        "i386": "386",
        "i686": "386",
        "armv7l": "arm",
    }.get(machine, machine)
    return f"{system}_{arch}"


def _mirror_has_provider(mirror: Path, version: str, plat: str) -> bool:
    base = mirror / AWS_PROVIDER_SOURCE
    # Unpacked layout: HOSTNAME/NAMESPACE/TYPE/VERSION/TARGET/terraform-provider-TYPE_vVERSION*
    unpacked = base / version / plat
    if glob.glob(str(unpacked / f"terraform-provider-aws_v{version}*")):
        return True
    # Packed layout: HOSTNAME/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_TARGET.zip
    return (base / f"terraform-provider-aws_{version}_{plat}.zip").is_file()


def mirror_candidates(environ: Mapping[str, str] | None = None) -> list[Path]:
    environ = os.environ if environ is None else environ
    explicit = environ.get("TF_PROVIDER_MIRROR")
    if explicit:
        return [Path(explicit).expanduser()]
    home = environ.get("HOME")
    out = []
    for place in KNOWN_MIRRORS:
        if place.startswith("~"):
            if not home:
                continue
            place = home + place[1:]
        out.append(Path(place))
    return out


def find_provider_mirror(
    environ: Mapping[str, str] | None = None,
    version: str = AWS_PROVIDER_VERSION,
) -> Path:
    """Return the mirror directory that holds hashicorp/aws ``version`` for this platform."""
    plat = platform_id()
    candidates = mirror_candidates(environ)
    for mirror in candidates:
        if _mirror_has_provider(mirror, version, plat):
            return mirror.resolve()
    searched = "\n".join(f"  - {c}" for c in candidates)
    where = (
        "$TF_PROVIDER_MIRROR"
        if (environ if environ is not None else os.environ).get("TF_PROVIDER_MIRROR")
        else "the known places"
    )
    raise TerraformError(
        f"No Terraform provider mirror with hashicorp/aws {version} for {plat} found in {where}:\n"
        f"{searched}\n"
        f"(looked for {AWS_PROVIDER_SOURCE}/{version}/{plat}/terraform-provider-aws_v{version}*"
        f" or {AWS_PROVIDER_SOURCE}/terraform-provider-aws_{version}_{plat}.zip)\n"
        f"Next: set TF_PROVIDER_MIRROR to a directory containing {AWS_PROVIDER_SOURCE}/{version}/{plat}/."
    )


def provider_mirror(environ: Mapping[str, str] | None = None) -> Path | None:
    """The mirror of mirror mode, or None for registry mode: ``TF_PROVIDER_MIRROR=none``,
    or no ``TF_PROVIDER_MIRROR`` and no known place holding the provider."""
    environ = os.environ if environ is None else environ
    if environ.get("TF_PROVIDER_MIRROR") == "none":
        return None
    try:
        return find_provider_mirror(environ)
    except TerraformError:
        if environ.get("TF_PROVIDER_MIRROR"):
            raise  # asked for, so its absence is an error
        return None


_NETWORK_SIGNS = ("could not connect to", "dial tcp", "no such host", "connection refused", "i/o timeout",
                  "network is unreachable", "TLS handshake timeout", "proxyconnect")


def explain_init_failure(output: str, cwd: Path | str, args: Sequence[str], env: Mapping[str, str]) -> str:
    """The message for a failed init: Terraform's own words, and what they mean here."""
    flat = " ".join((output or "").split())
    plat = platform_id()
    add_platform = (f"add it to {LOCK_FILE} from a synthesized stack on a machine that reaches the registry: "
                    f"`cd cdktf.out/stacks/platform && terraform providers lock -platform={plat} "
                    "-platform=linux_amd64` (keep the platforms already listed), then copy its "
                    f"{TERRAFORM_LOCK_FILE_NAME} over the repository's and commit it (README, \"Needs\")")
    if re.search(r"(doesn't|does not) match any of the checksums", flat):
        meaning = (f"hashicorp/aws {AWS_PROVIDER_VERSION} for {plat} matches none of the hashes in the lock file "
                   f"{LOCK_FILE}.\nEither {plat} is not among the platforms the lock file covers, or the package "
                   "(in the mirror or the plugin cache) is not the one HashiCorp published.\n"
                   f"Next: if {plat} is missing, {add_platform}; if it is listed, replace the package in the mirror "
                   "(or empty the plugin cache) with HashiCorp's release.")
    elif "Provider dependency changes detected" in flat:
        meaning = (f"the stack requires a provider or version that the lock file {LOCK_FILE} does not list.\n"
                   "Next: refresh the lock file (README, \"Needs\": `terraform providers lock` with every platform "
                   "listed there), review the new hashes and commit it.")
    elif any(sign in flat for sign in _NETWORK_SIGNS):
        proxy = env.get("HTTPS_PROXY") or env.get("https_proxy")
        meaning = ("Terraform could not reach the provider registry to install hashicorp/aws "
                   f"{AWS_PROVIDER_VERSION}: this machine has no network access to it"
                   + (f" (through the proxy {proxy})" if proxy else "") + ".\n"
                   "Next: connect to the network (or set HTTPS_PROXY), or use a filesystem mirror: on a machine "
                   "with access run `terraform providers mirror -platform="
                   f"{plat} DIR` in a synthesized stack, copy DIR here and set TF_PROVIDER_MIRROR=DIR.")
    else:
        meaning = "Next: fix the error above and re-run."
    return (f"`terraform {describe(args)}` failed in {cwd}:\n{_tail(output) or '(no output)'}\n{meaning}")
