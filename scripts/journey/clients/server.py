"""One client process per journey: ``python -m scripts.journey.clients _serve EMULATOR_URL``.

Each run of AWS's client code still gets a fresh process (their module state
and the network guard are process-wide), but a forked one: this process
installs the network guard first (``netguard.install``: every later import and
connection is under it), then imports the generic libraries the client
packages are built on (``PRELOAD``: IPython, jsonschema, pandas ...; about
3 s of CPU, mostly jsonschema's optional rfc3987_syntax compiling its
grammars), and forks a child for each request. A child imports AWS's own
packages itself, so their import-time AWS calls (STS GetCallerIdentity,
SageMaker DescribeDomain) are made and recorded in each run as before; none
of them, nor sparkmagic (which reads its configuration from the run's
``SPARKMAGIC_CONF_DIR``), is imported here, and a preload that touches the
network fails here instead of being inherited.

Requests, one JSON line each on stdin, answered by one JSON line on stdout
(``{"returncode": N}``) when the child has ended:
``{"run": SPEC, "out": RESULT, "log": LOG}`` (what ``_child`` does) and
``{"calls": RESULT, "log": LOG}`` (``static_calls``, as JSON).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

from . import netguard

# Imported once here, each a generic library the client packages import (measured with -X importtime).
PRELOAD = ("boto3", "aiobotocore.session", "aiohttp", "jsonschema", "jupyter_events", "jupyter_server.base.handlers",
           "tornado.web", "traitlets", "IPython", "ipywidgets", "pandas", "requests", "requests_kerberos", "filelock")
# Never here: AWS's packages (their import calls AWS) and sparkmagic (reads its configuration at import).
NOT_PRELOADED = netguard.CLIENT_PATH_MARKERS + ("sparkmagic", "hdijupyterutils")


def preload(recorder: netguard.Recorder) -> None:
    """Imports ``PRELOAD`` under the network guard whose ``recorder`` is given."""
    for name in PRELOAD:
        importlib.import_module(name)
    early = sorted(m for m in sys.modules if m.split(".")[0] in NOT_PRELOADED)
    if early:
        raise RuntimeError(f"the preload imported modules each run must import itself: {early}")
    if recorder.calls or recorder.refused or recorder.livy:
        raise RuntimeError(f"the preload made network calls: {recorder}")


def _handle(request: dict) -> None:
    """In the forked child."""
    if "calls" in request:
        from .static_calls import static_calls

        with open(request["calls"], "w") as fh:
            json.dump([c.as_dict() for c in static_calls()], fh)
        return
    from .runner import run_in_process

    with open(request["run"]) as fh:
        spec = json.load(fh)
    os.unlink(request["run"])  # the credentials are in memory now
    result = run_in_process(**spec)
    with open(request["out"], "w") as fh:
        json.dump(result, fh, default=str)


def _fork(request: dict) -> int:
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            _handle(request)
            code = 0
        except BaseException:  # noqa: BLE001 - reported in the log, as a child process's traceback would be
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def serve(emulator_url: str) -> int:
    preload(netguard.install(emulator_url))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps({"returncode": _fork(json.loads(line))}), flush=True)
    os._exit(0)  # stdin closed: the journey is over; nothing to tear down (the children have ended)
