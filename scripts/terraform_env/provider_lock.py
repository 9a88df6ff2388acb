"""The dependency lock files hashicorp/aws is verified against: the committed one, and this
machine's own, derived from it.

Why a machine-local lock: Terraform reuses a package from the plugin cache only when the
lock file confirms its ``h1:`` hash (the hash of the unpacked package; Terraform's CLI
configuration docs, "Allowing the Provider Plugin Cache to break the dependency lock
file"), and every ``init`` the scripts run uses ``-lockfile=readonly``, which records no
new hash. The committed lock has ``zh:`` hashes (the release zips) for every platform but
the ``h1:`` of linux_amd64 only, so on any other platform each ``init`` would download the
provider again. So the first install on a machine (scripts/terraform_env/env.py) runs once
without ``-lockfile=readonly``: Terraform verifies the package against the committed
hashes and records the ``h1:`` of what it installed; :func:`derive` keeps that as the
local lock, and later inits use it while it :func:`extends` the committed one (same
providers, same versions and constraints, every committed hash kept, hashes only added).
The committed file is only ever read here.

Lock files are HCL that Terraform writes in one fixed shape; the few regular expressions
below read just that shape (provider blocks, their version, constraints and hashes).
"""

from __future__ import annotations

import re
from pathlib import Path

from scripts.errors import ScriptError

# Under .cache/terraform/, beside the CLI configuration the scripts write.
LOCAL_LOCK_NAME = "machine.lock.hcl"

_PROVIDER = re.compile(r'^provider\s+"([^"]+)"\s*\{\n(.*?)^\}', re.M | re.S)
_VERSION = re.compile(r'^\s*version\s*=\s*"([^"]*)"', re.M)
_CONSTRAINTS = re.compile(r'^\s*constraints\s*=\s*"([^"]*)"', re.M)
_HASH_LIST = re.compile(r'^([ \t]*)hashes\s*=\s*\[(.*?)\]', re.M | re.S)
_HASH = re.compile(r'"([a-z0-9]+:[^"]+)"')


class LockError(ScriptError):
    """A lock file Terraform wrote does not belong to the committed one; the message says how."""


def providers(text: str) -> dict[str, tuple[str | None, str | None, frozenset[str]]]:
    """Each provider block of a lock file: address => (version, constraints, hashes)."""
    found = {}
    for address, body in _PROVIDER.findall(text):
        version, constraints, hashes = (_VERSION.search(body), _CONSTRAINTS.search(body), _HASH_LIST.search(body))
        found[address] = (version and version.group(1), constraints and constraints.group(1),
                          frozenset(_HASH.findall(hashes.group(2))) if hashes else frozenset())
    return found


def extends(local_text: str, committed_text: str) -> bool:
    """Whether ``local_text`` is the committed lock with hashes added, and nothing else changed."""
    local, committed = providers(local_text), providers(committed_text)
    return bool(committed) and local.keys() == committed.keys() and all(
        local[a][:2] == committed[a][:2] and local[a][2] >= committed[a][2] for a in committed)


def derive(committed_text: str, recorded_text: str) -> str:
    """The local lock: the committed text with each provider's hashes extended by those Terraform
    recorded (``recorded_text``, its lock file after an install that started from the committed one)."""
    committed, recorded = providers(committed_text), providers(recorded_text)
    if recorded.keys() != committed.keys() or any(recorded[a][0] != committed[a][0] for a in committed):
        raise LockError(f"the lock file Terraform wrote lists {_describe(recorded)}, the committed one "
                        f"{_describe(committed)}: the first install changed the selection, not just the hashes")

    def extended(block: re.Match) -> str:
        address = block.group(1)
        hashes = sorted(committed[address][2] | recorded[address][2])

        def hash_list(found: re.Match) -> str:
            indent = found.group(1)
            return f"{indent}hashes = [\n" + "".join(f'{indent}  "{h}",\n' for h in hashes) + f"{indent}]"
        return _HASH_LIST.sub(hash_list, block.group(0), count=1)

    return _PROVIDER.sub(extended, committed_text)


def lock_to_use(committed: Path, local: Path | None) -> Path:
    """The local lock while it extends the committed one; else (none yet, or the committed
    lock changed since) the committed lock."""
    if local is not None and local.is_file() and extends(local.read_text(), committed.read_text()):
        return local
    return committed


def _describe(found: dict) -> str:
    return ", ".join(f"{address} {version}" for address, (version, _, _) in sorted(found.items())) or "no provider"
