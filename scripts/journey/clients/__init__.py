"""AWS's own Studio client code, run offline against the emulator.

The journey's connect step: ``sagemaker-studio-analytics-extension``'s
``%sm_analytics emr connect`` (with ``sagemaker-studio-sparkmagic-lib`` and
sparkmagic) and ``sagemaker-jupyterlab-emr-extension``'s cluster view run
unchanged, as the assumed Studio execution role, with every AWS request
delivered to the emulator and nothing leaving loopback (``netguard``); the
result lists every AWS call they made and the Livy endpoint they would open.

    from scripts.journey.clients import run
    result = run(emulator_url, "eu-west-1", assumed["Credentials"], cluster_id,
                 ca_bundle=emulator.ca_bundle)
    result["connect_ok"], result["livy_url"], result["aws_calls"], result["errors"]

or ``python -m scripts.journey.clients run --help``. ``static_calls`` lists
the calls the packages can make, read from their code.

Modules: ``netguard`` (loopback only, records calls), ``connect`` (the magic
in an IPython shell), ``cluster_view`` (the extension's handlers),
``runner`` (one run in this process), ``static_calls`` (AST scan).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.repo import REPO_ROOT



def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


class ClientProcess:
    """A process of the client venv (``server``): each :func:`run` and :func:`static_actions`
    given it is a child forked from it, which spares each run the import of the libraries
    under AWS's packages. Started at its first request; ``with ClientProcess(python,
    emulator_url) as process: ...`` ends it, or :func:`shared`'s at exit."""

    def __init__(self, python: str, endpoint_url: str) -> None:
        self.python, self.endpoint_url = python, endpoint_url
        self._proc: subprocess.Popen | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="journey-clients-")
        self._log = Path(self._tmp.name, "server.log")
        # The TMPDIR of the process and of its runs: what they leave there goes with the process.
        self.tmpdir = Path(self._tmp.name, "tmp")
        self.tmpdir.mkdir()
        self.static_actions: list[str] | None = None
        """:func:`static_actions` of the packages, once read (they do not change under a running process)."""

    def __enter__(self) -> "ClientProcess":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc.stdout.close()
            self._proc = None
        self._tmp.cleanup()

    def _reply(self, timeout: float) -> dict:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            line = self._proc.stdout.readline() if selector.select(timeout) else None
        if not line:
            self._proc.kill()
            self._proc.wait()
            raise RuntimeError(f"the client process {'ended' if line == '' else f'gave no answer in {timeout}s'}: "
                               f"{self._log.read_text()[-3000:]}")
        return json.loads(line)

    def request(self, request: dict, log: Path, timeout: float) -> int:
        """Runs ``request`` in a forked child writing to ``log``; its exit code."""
        if self._proc is None or self._proc.poll() is not None:
            with open(self._log, "w") as err:
                self._proc = subprocess.Popen([self.python, "-m", "scripts.journey.clients", "_serve",
                                               self.endpoint_url], cwd=REPO_ROOT, text=True,
                                              env={**_env(), "TMPDIR": str(self.tmpdir)},
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
            self._reply(timeout)  # {"ready": true}: the preload is done
        self._proc.stdin.write(json.dumps({**request, "log": str(log)}) + "\n")
        self._proc.stdin.flush()
        return self._reply(timeout)["returncode"]


_SHARED: dict[tuple[str, str], ClientProcess] = {}


def shared(python: str, endpoint_url: str) -> ClientProcess:
    """This Python process's client process for ``python`` and the emulator at ``endpoint_url``, ended at
    exit or when another emulator's is asked for (one at a time: each holds ~200 MB): the journeys one
    process runs (the tests', ``loop``'s) share it. What it holds does not change from run to run (the
    guard and the libraries it imported); each run is a fresh child of it."""
    key = (python, endpoint_url)
    if key not in _SHARED:
        import atexit

        for other in list(_SHARED):
            _SHARED.pop(other).close()
        _SHARED[key] = ClientProcess(python, endpoint_url)
        atexit.register(_SHARED[key].close)
    return _SHARED[key]


def run(endpoint_url: str, region: str, credentials: dict, cluster_id: str, *, ca_bundle: str | None = None,
        python: str | None = None, timeout: float = 600, process: ClientProcess | None = None, **options) -> dict:
    """Runs the clients in a fresh process (their module state and the network
    guard are process-wide): a child of ``process`` when given (its ``python`` and
    emulator are used), else a new interpreter; returns ``runner.run_in_process``'s result.
    ``credentials``: AssumeRole's ``Credentials`` (AccessKeyId, SecretAccessKey,
    SessionToken); they travel in a 0600 file, never on a command line.
    ``options``: auth_type, language, assumable_role_arn,
    emr_execution_role_arn, livy_port_open, livy_tls, view, app_ui,
    resource_metadata."""
    if process is not None and process.endpoint_url != endpoint_url:
        raise ValueError(f"the client process serves {process.endpoint_url}, not {endpoint_url}")
    credentials = {k: credentials[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken") if k in credentials}
    spec = {"endpoint_url": endpoint_url, "region": region, "credentials": credentials,
            "cluster_id": cluster_id, "ca_bundle": str(ca_bundle) if ca_bundle else None, **options}
    with tempfile.TemporaryDirectory(prefix="journey-clients-") as tmp:
        spec_path, out_path, log = Path(tmp, "spec.json"), Path(tmp, "result.json"), Path(tmp, "stderr.log")
        spec_path.touch(mode=0o600)
        spec_path.write_text(json.dumps(spec))
        if process is not None:
            returncode = process.request({"run": str(spec_path), "out": str(out_path)}, log, timeout)
            stderr = log.read_text() if log.exists() else ""
        else:
            proc = subprocess.run([python or sys.executable, "-m", "scripts.journey.clients", "_child",
                                   str(spec_path), str(out_path)],
                                  cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=_env())
            returncode, stderr = proc.returncode, proc.stderr
        if out_path.exists():
            result = json.loads(out_path.read_text())
        else:
            result = {"connect_ok": False, "aws_calls": [], "livy_url": None,
                      "errors": [f"the client process exited with {returncode} before reporting"]}
        result["process"] = {"returncode": returncode, "stderr_tail": stderr[-3000:]}
        return result


def waits_note(result: dict) -> str:
    """What the connect's fixed waits were (recorded, not slept: ``connect``), for the step's line."""
    waits = (result.get("connect") or {}).get("waits") or []
    return "".join(f"; its wait of {w['seconds']}s at {w['where']} recorded, not slept" for w in waits)


def static_actions(python: str | None = None, timeout: float = 120, process: ClientProcess | None = None) -> list[str]:
    """The distinct IAM actions the client packages' code can make (``static_calls``,
    run with ``python``, the interpreter that has the packages, or in a child of ``process``:
    once for it)."""
    if process is not None:
        if process.static_actions is None:
            with tempfile.TemporaryDirectory(prefix="journey-clients-") as tmp:
                out, log = Path(tmp, "calls.json"), Path(tmp, "stderr.log")
                if process.request({"calls": str(out)}, log, timeout) != 0:
                    raise RuntimeError(f"static_calls failed: {log.read_text()[-2000:]}")
                process.static_actions = sorted({call["iam_action"] for call in json.loads(out.read_text())})
        return list(process.static_actions)
    proc = subprocess.run([python or sys.executable, "-m", "scripts.journey.clients", "calls", "--json"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=_env())
    if proc.returncode != 0:
        raise RuntimeError(f"static_calls failed: {proc.stderr[-2000:]}")
    return sorted({call["iam_action"] for call in json.loads(proc.stdout)})
