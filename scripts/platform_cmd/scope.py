"""What of a synthesized stack the emulator can create (``-target`` arguments), and what it leaves out."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

from scripts.emulator import UNSUPPORTED_TYPES
from scripts.platform_cmd.progress import Progress

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
                     "UNSUPPORTED_TYPES in scripts/emulator/overrides.py says why")
