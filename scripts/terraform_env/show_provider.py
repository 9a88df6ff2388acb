"""hashicorp/aws started while a plan runs, for the ``terraform show -json`` after it.

``terraform show -json PLAN`` only reads the provider's schema, but starting the
provider costs it about 0.7 s of its 1.9 s (the binary is 700 MB; measured with
Terraform 1.11.4 and hashicorp/aws 5.100.0 on these machines). So the plan's
caller starts the same provider binary, the one ``terraform init`` installed and
checked against the lock file, in go-plugin's debug mode (``-debug``) while the
plan runs, and the show attaches to it through ``TF_REATTACH_PROVIDERS``
(HashiCorp's "Debugging Providers" page). The show then only asks it for the
schema: no provider configuration, no credentials, no request to AWS.

What makes it safe to leave on:

* it starts only after the plan has run ``START_AFTER`` seconds, so that a plan
  refused at once (bad input) costs no provider start at all;
* a show that finds no attached provider ready, or that fails attached, runs as
  before, with a provider of its own (:meth:`ShowProvider.env` answers None, the caller
  runs it again);
* a ``TF_REATTACH_PROVIDERS`` of the user's own is left alone: nothing is started;
* the provider is stopped when the ``with`` block ends, whatever happened, and the
  folder of its socket removed (its own, mode 0700: no other user of the machine
  reaches it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Mapping

from scripts.terraform_env.providers import AWS_PROVIDER_SOURCE, AWS_PROVIDER_VERSION, platform_id

REATTACH = "TF_REATTACH_PROVIDERS"
START_AFTER = 2.0  # seconds into the plan: past the variable checks, well before a plan of the stack ends
READY_WAIT = 10.0  # seconds the show waits for a started provider to say where it listens
PROVIDER_ENV = ("PATH", "HOME", "GOGC", "LANG")
_ANNOUNCED = re.compile(r"TF_REATTACH_PROVIDERS='([^']+)'")


def installed_binary(stack_dir: Path, env: Mapping[str, str]) -> Path | None:
    """The hashicorp/aws binary that ``terraform init`` installed for ``stack_dir`` (None if none)."""
    data_dir = Path(env.get("TF_DATA_DIR") or ".terraform")
    package = (stack_dir / data_dir if not data_dir.is_absolute() else data_dir) / "providers" / \
        AWS_PROVIDER_SOURCE / AWS_PROVIDER_VERSION / platform_id()
    found = sorted(package.glob("terraform-provider-aws_*"))
    return found[0] if found and os.access(found[0], os.X_OK) else None


class ShowProvider:
    """``with ShowProvider(stack_dir, env):`` around a plan; then ``env(show_env)`` for its show."""

    def __init__(self, stack_dir: Path, env: Mapping[str, str], start_after: float = START_AFTER) -> None:
        self._binary = None if env.get(REATTACH) else installed_binary(Path(stack_dir), env)
        self._start_after = start_after
        # Only what a process needs to start: never the credentials of the plan's environment.
        self._env = {k: env[k] for k in PROVIDER_ENV if k in env}
        self._proc: subprocess.Popen | None = None
        self._out = None
        self._dir: str | None = None
        self._lock = threading.Lock()  # _start (the timer's thread) against __exit__
        self._closed = False
        self._timer = threading.Timer(start_after, self._start)
        self._timer.daemon = True

    def __enter__(self) -> "ShowProvider":
        if self._binary is not None and self._start_after <= 0:
            self._start()  # now, not on the timer's thread
        elif self._binary is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
        if self._out is not None:
            self._out.close()
        if self._dir is not None:  # with the socket it listened on (a killed provider leaves it)
            shutil.rmtree(self._dir, ignore_errors=True)

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._out = tempfile.TemporaryFile(mode="w+")
            # Its socket goes into a folder of its own (mode 0700: no other user reaches it), removed at the end.
            self._dir = tempfile.mkdtemp(prefix="show-provider-")
            try:
                self._proc = subprocess.Popen([str(self._binary), "-debug"], stdin=subprocess.DEVNULL,
                                              stdout=self._out, stderr=subprocess.STDOUT,
                                              env={**self._env, "TMPDIR": self._dir})
            except OSError:
                self._proc = None

    def show(self, run: Callable[[Mapping[str, str], bool], subprocess.CompletedProcess],
             env: Mapping[str, str]) -> subprocess.CompletedProcess:
        """The show, ``run(environment, check)``: attached to the provider started here when it is
        ready (``check`` False); else, or when it failed attached, once more with ``env`` and a
        provider of its own (``check`` True: its errors are the caller's to see)."""
        attached = self.env(env)
        shown = run(attached, False) if attached is not None else None
        if shown is None or shown.returncode != 0:
            shown = run(env, True)
        return shown

    def env(self, env: Mapping[str, str]) -> dict | None:
        """``env`` for ``terraform show``, attached to the provider started here once it says where it
        listens; None when none was started (a plan shorter than START_AFTER) or it did not come up."""
        if self._binary is None:
            return None
        self._timer.cancel()  # not fired yet: nothing is started, the show starts its own provider
        if self._timer.is_alive():
            self._timer.join()
        deadline = time.monotonic() + READY_WAIT
        while self._proc is not None and self._proc.poll() is None and time.monotonic() < deadline:
            self._out.seek(0)
            found = _ANNOUNCED.search(self._out.read())
            if found:
                try:
                    attached = AWS_PROVIDER_SOURCE in json.loads(found.group(1))
                except ValueError:
                    attached = False
                return {**env, REATTACH: found.group(1)} if attached else None
            time.sleep(0.05)
        return None
