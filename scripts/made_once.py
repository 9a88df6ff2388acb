"""``made_once(lock_file, done, make)``: something that processes started at the same moment
must make once and then share (the emulator's certificate, the first provider install).

Standard library only: the emulator's server (scripts/moto_ext) and Terraform's set-up
(scripts/terraform_env) both import it.
"""
from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Callable


def made_once(lock_file: Path | str, done: Callable[[], bool], make: Callable[[], None]) -> None:
    """Calls ``make()`` unless ``done()``: under an exclusive lock on ``lock_file``, asking ``done()``
    again once the lock is held, so that a process that waited for another's ``make`` does not
    make it a second time. ``done`` is asked first without the lock: the common case costs no lock."""
    if done():
        return
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done():  # made by whoever held the lock before us
            make()
