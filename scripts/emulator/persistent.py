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
    return True


def _read(root: Path) -> ServerRecord | None:
    path = persistent_dir(root) / SERVER_FILE
    try:
        return ServerRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def find(root: Path) -> Emulator | None:
    """The persistent emulator when it is up and answers, else None (a stale
    record, from a server that died or a machine that restarted, is ignored)."""
    record = _read(root)
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


def down(root: Path) -> ServerRecord | None:
    """Stops the persistent emulator (if a record names one) and removes its
    state; returns the record of what was stopped."""
    record = _read(root)
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
    shutil.rmtree(persistent_dir(root), ignore_errors=True)
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


__all__ = ["EmulatorError", "ServerRecord", "down", "find", "persistent_dir", "status", "up"]
