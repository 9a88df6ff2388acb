"""``[platform] step ...`` progress lines on stderr."""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator


HEARTBEAT_SECONDS = 15


class Progress:
    """``[platform] step ...`` lines on stderr, with a heartbeat for long steps."""

    def __init__(self, stream=None, heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.stream = stream or sys.stderr
        self.heartbeat = heartbeat
        self.t0 = time.monotonic()

    def say(self, msg: str) -> None:
        self.stream.write(f"[platform] {msg}\n")  # one write: steps of two threads do not mix
        self.stream.flush()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        self.say(f"{name} ...")
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat):
                self.say(f"{name}: still running after {time.monotonic() - start:.0f}s")

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        status = "FAILED"
        try:
            yield
            status = "done"
        finally:
            done.set()
            self.say(f"{name} {status} in {time.monotonic() - start:.1f}s (total {time.monotonic() - self.t0:.1f}s)")
