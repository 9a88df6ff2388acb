"""The persistent emulator: one moto server kept running across commands, like a local cloud.

``scripts/platform emulator up`` starts it detached (its own session, so it
outlives the command) and records it in ``.cache/emulator/persistent/server.json``;
while it is up, every ``--target emulator`` command uses it, and keeps the
stacks' Terraform state beside it (``.cache/emulator/persistent/state``), so
``apply``, ``output``, ``journey`` and ``destroy`` work on the emulator as on
an account. ``down`` stops it and forgets its state; ``status`` says what runs.
Without it, each command starts and stops an emulator of its own.

Loopback only, as every emulator here (``scripts/emulator/``).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from scripts.emulator import Emulator, EmulatorError

SERVER_FILE = "server.json"


HOME_VARIABLE = "PLATFORM_EMULATOR_HOME"


def persistent_dir(root: Path) -> Path:
    """Where the persistent emulator keeps its record, log, stack copies and
    state: ``$PLATFORM_EMULATOR_HOME`` when set (the tests use their own, so
    that they never touch a developer's), else ``.cache/emulator/persistent``."""
    home = os.environ.get(HOME_VARIABLE)
    return Path(home) if home else Path(root) / ".cache" / "emulator" / "persistent"


@dataclass(frozen=True)
class ServerRecord:
    pid: int
    port: int
    region: str
    started: float
    log: str


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (a copy whose parent is gone, not yet reaped) is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _read(root: Path) -> ServerRecord | None:
    return _read_home(persistent_dir(root))


def _read_home(home: Path) -> ServerRecord | None:
    path = home / SERVER_FILE
    try:
        return ServerRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def find(root: Path) -> Emulator | None:
    """The persistent emulator when it is up and answers, else None (a stale
    record, from a server that died or a machine that restarted, is ignored)."""
    return find_home(persistent_dir(root))


def find_home(home: Path) -> Emulator | None:
    """:func:`find` of the persistent emulator whose home is ``home``."""
    record = _read_home(home)
    if record is None or not _alive(record.pid):
        return None
    emu = Emulator.attach(record.port, region=record.region, log_path=record.log)
    return emu if emu.answers() else None


def up(root: Path, region: str) -> tuple[Emulator, bool]:
    """Starts the persistent emulator unless it is up; (emulator, started now)."""
    running = find(root)
    if running is not None:
        return running, False
    down(root)  # a stale record and its state go: the server that held them is gone
    home = persistent_dir(root)
    home.mkdir(parents=True, exist_ok=True)
    emu = Emulator(region=region, log_dir=home).start(detached=True)
    record = ServerRecord(pid=emu.pid, port=emu.port, region=region, started=time.time(), log=str(emu.log_path))
    (home / SERVER_FILE).write_text(json.dumps(asdict(record), indent=2) + "\n")
    emu.release()
    return Emulator.attach(record.port, region=region, log_path=record.log), True


def copy(source_home: Path, root: Path) -> Emulator:
    """Makes the persistent emulator of ``root`` a copy of the one whose home is ``source_home``:
    the same resources (a copy of its server, ``Emulator.copy``), the same Terraform state and
    the same initialized stacks.
    The tests apply a workspace once per run and give each test file such a copy."""
    record = _read_home(source_home)
    source = find_home(source_home)
    if record is None or source is None:
        raise EmulatorError(f"no persistent emulator runs from {source_home} to copy.\n"
                            "Next: start it (scripts/platform emulator up) with PLATFORM_EMULATOR_HOME at that folder.")
    down(root)
    home = persistent_dir(root)
    home.mkdir(parents=True)
    if (source_home / "state").is_dir():
        shutil.copytree(source_home / "state", home / "state")
    # What each stack's init installed (links into the plugin cache, the backend it configured):
    # the copy's next command finds its init done (platform_cmd/targets.py, emulator_copies).
    for initialized in sorted((source_home / "stacks").glob("*/.terraform")):
        shutil.copytree(initialized, home / "stacks" / initialized.parent.name / ".terraform", symlinks=True)
    pid, emu = source.copy(home / "moto-copy.log")
    copied = ServerRecord(pid=pid, port=emu.port, region=record.region, started=time.time(), log=str(emu.log_path))
    (home / SERVER_FILE).write_text(json.dumps(asdict(copied), indent=2) + "\n")
    return emu


def down(root: Path) -> ServerRecord | None:
    """Stops the persistent emulator (if a record names one) and removes its
    state; returns the record of what was stopped."""
    return down_home(persistent_dir(root))


def down_home(home: Path) -> ServerRecord | None:
    """:func:`down` of the persistent emulator whose home is ``home``."""
    record = _read_home(home)
    if record is not None and _alive(record.pid):
        os.kill(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(record.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
            try:  # reap it when it is our child (the tests start and stop it in one process)
                os.waitpid(record.pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if _alive(record.pid):
            os.kill(record.pid, signal.SIGKILL)
    shutil.rmtree(home, ignore_errors=True)
    return record


def status(root: Path) -> str:
    """One paragraph: whether it is up, where, since when, and its state folder."""
    record, emu = _read(root), find(root)
    if emu is None or record is None:
        return "the persistent emulator is down (commands start their own). Start it: scripts/platform emulator up"
    states = sorted(p.name for p in (persistent_dir(root) / "state").glob("*") if p.is_dir() or p.suffix == ".tfstate")
    return (f"the persistent emulator is up at {emu.url} (pid {record.pid}, up {time.time() - record.started:.0f}s, "
            f"log {record.log}); state in {persistent_dir(root) / 'state'}"
            + (f" ({', '.join(states)})" if states else " (empty)"))


__all__ = ["EmulatorError", "ServerRecord", "copy", "down", "down_home", "find", "find_home", "persistent_dir",
           "status", "up"]
