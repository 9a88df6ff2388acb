"""The emulator's server: a moto server (``python -m scripts.moto_ext``) on 127.0.0.1 over TLS,
started, attached to, waited for, stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.errors import ScriptError
from scripts.repo import CACHE_DIR, REPO_ROOT, TLS_DIR
from scripts.emulator.overrides import HOST, EmulatorClients

FAKE_ACCOUNT_ID = "123456789012"  # moto's default account
# The emulator's certificate and key (made once, kept: outside persistent/, which `down` removes).
TLS_CERT_FILE = "emulator-cert.pem"  # as scripts/moto_ext/tls.py names it
# A server's log (moto-PORT.log, a new port each time) is removed when a server starts in its folder after
# nothing wrote to it for this long: every test run leaves six or more, every scripts/plan one.
LOG_KEPT_FOR = 24 * 3600.0


class EmulatorError(ScriptError):
    """The emulator could not start; ``str(err)`` is a complete, user-facing message."""


def free_loopback_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (bind to port 0, read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def prune_logs(log_dir: Path) -> None:
    """Removes the servers' logs in ``log_dir`` that nothing wrote to for LOG_KEPT_FOR seconds.
    A server writes a line to its log for every request it answers, so a log that old is not a running
    server's (the persistent emulator keeps its log in its own folder, scripts/emulator/persistent.py)."""
    cutoff = time.time() - LOG_KEPT_FOR
    for log in log_dir.glob("moto-*.log"):
        try:
            if log.stat().st_mtime < cutoff:
                log.unlink()
        except OSError:  # removed meanwhile by another server's start
            continue


def _no_proxy_opener(ca_bundle: Path | str | None = None) -> urllib.request.OpenerDirector:
    # Never let an HTTP(S)_PROXY variable route our loopback polls elsewhere;
    # trust the emulator's own certificate (and nothing else) for its HTTPS.
    handlers: list = [urllib.request.ProxyHandler({})]
    if ca_bundle is not None:
        handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(ca_bundle))))
    return urllib.request.build_opener(*handlers)


def _try_again(error: EmulatorError) -> EmulatorError:
    error.try_again = True  # start() tries again, on another port
    return error


class Emulator(EmulatorClients):
    """``with Emulator() as emu:`` runs a moto server on 127.0.0.1:<free port>."""

    def __init__(
        self,
        region: str = "us-east-1",
        python: str | None = None,
        log_dir: Path | str | None = None,
        start_timeout: float = 120.0,
    ) -> None:
        self.region = region
        self.python = python or sys.executable
        self.log_dir = Path(log_dir) if log_dir else CACHE_DIR / "emulator"
        # Seconds for a started server to answer before it is stopped and another started (start()).
        # A server that dies is seen at once (its exit), one with another certificate at its first
        # answer; a live one needs about 4 CPU-s to import and answer, on two cores shared with the
        # tests' six workers at a run's start.
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.log_path: Path | None = None
        self._proc: subprocess.Popen | None = None
        self._log_fh = None
        self._attached = False
        self._detached = False
        self.ca_bundle: Path | None = None
        """The certificate the server presents, once started or attached: the CA bundle for every client."""

    @classmethod
    def attach(cls, port: int, region: str = "us-east-1", log_path: Path | str | None = None,
               ca_bundle: Path | str | None = None) -> "Emulator":
        """An Emulator for a server that another command started (the persistent
        one, ``scripts/emulator/persistent.py``): this object never stops it.
        ``ca_bundle``: its certificate (default: the cached one it was started with)."""
        emu = cls(region=region)
        emu.port, emu._attached = port, True
        emu.ca_bundle = Path(ca_bundle) if ca_bundle else TLS_DIR / TLS_CERT_FILE
        emu.log_path = Path(log_path) if log_path else None
        return emu

    def copy(self, log_path: Path | str) -> tuple[int, "Emulator"]:
        """(pid, emulator) of a copy of this server: a new server on another port of
        127.0.0.1 holding everything this one holds now, which then lives its own life
        (``scripts/moto_ext/copies.py``). Nobody owns it: stop it by its pid."""
        req = urllib.request.Request(f"{self.url}/platform-emulator/copy", method="POST",
                                     data=json.dumps({"log": str(log_path)}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with _no_proxy_opener(self.ca_bundle).open(req, timeout=60) as resp:
                told = json.loads(resp.read())
        except (urllib.error.URLError, ConnectionError, OSError, TimeoutError, ValueError) as exc:
            raise EmulatorError(f"the emulator at {self.url} could not make a copy of itself: {exc}\n"
                                f"Next: read its log {self.log_path} and the copy's {log_path}.") from None
        copy = Emulator.attach(told["port"], region=self.region, log_path=log_path, ca_bundle=self.ca_bundle)
        return told["pid"], copy

    # -- lifecycle ---------------------------------------------------------
    @property
    def url(self) -> str:
        if self.port is None:
            raise EmulatorError("the emulator is not started")
        return f"https://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        if self._attached:
            return self.answers()
        return self._proc is not None and self._proc.poll() is None

    def answers(self, timeout: float = 2.0) -> bool:
        """True when the server answers its management API now."""
        if self.port is None:
            return False
        try:
            with _no_proxy_opener(self.ca_bundle).open(f"{self.url}/moto-api/", timeout=timeout) as resp:
                return resp.status == 200
        except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
            return False

    def start(self, detached: bool = False) -> "Emulator":
        """Starts the server; ``detached``: in its own session, so that it outlives
        this process (stop it by its pid, see ``scripts/emulator/persistent.py``)."""
        if self.running:
            return self
        self._detached = detached
        self.log_dir.mkdir(parents=True, exist_ok=True)
        prune_logs(self.log_dir)
        last_error: EmulatorError | None = None
        # Tried again, each time on a new port: a port taken between our probe and moto's bind; a server
        # whose certificate is not the one on disk (servers started at once each made a certificate
        # before scripts/moto_ext/tls.py took a lock: every client refused the first one's); one that
        # does not answer within start_timeout.
        for _ in range(3):
            try:
                self._spawn()
                self._wait_ready()
                return self
            except EmulatorError as exc:
                last_error = exc
                self.stop()
                if not (getattr(exc, "try_again", False) or "Address already in use" in self._log_text()):
                    break
        assert last_error is not None
        raise last_error

    def _certificate(self) -> tuple[str, str]:
        """(cert, key) under TLS_DIR, made by the server's interpreter (which has
        ``cryptography``, a moto dependency) so that this module stays standard library."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        try:
            proc = subprocess.run([self.python, "-m", "scripts.moto_ext.tls", str(TLS_DIR)], env=env,
                                  cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            proc = None
            detail = str(exc)
        else:
            detail = proc.stderr.strip()[-2000:]
        if proc is None or proc.returncode != 0:
            raise EmulatorError(f"cannot make the emulator's TLS certificate with {self.python}: {detail}\n"
                                "Next: run scripts/bootstrap.sh so that .venv has moto[server] (and cryptography).")
        cert, key = proc.stdout.split()
        return cert, key

    def _spawn(self) -> None:
        cert, key = self._certificate()
        self.ca_bundle = Path(cert)
        self.port = free_loopback_port()
        self.log_path = self.log_dir / f"moto-{self.port}.log"
        self._log_fh = open(self.log_path, "w")
        env = self.env()
        env.pop("AWS_ENDPOINT_URL", None)
        # Without AWS's managed policies, attaching AmazonSageMakerFullAccess and
        # the EMR v2 policies fails and the provider retries for minutes.
        env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        # moto plus the project's additions (scripts/moto_ext), importable from the repo root.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            self._proc = subprocess.Popen(
                [self.python, "-m", "scripts.moto_ext", "-H", HOST, "-p", str(self.port),
                 "--ssl", "-c", cert, "-k", key],
                stdin=subprocess.DEVNULL,
                stdout=self._log_fh,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(self.log_dir),
                start_new_session=self._detached,
            )
        except OSError as exc:
            raise EmulatorError(
                f"cannot start the emulator with {self.python}: {exc}\n"
                "Next: run scripts/bootstrap.sh so that .venv has moto[server]."
            ) from None

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""

    def _log_tail(self, lines: int = 15) -> str:
        return "\n".join(self._log_text().rstrip().splitlines()[-lines:])

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        opener = _no_proxy_opener(self.ca_bundle)
        probe = f"{self.url}/moto-api/"
        while True:
            assert self._proc is not None
            code = self._proc.poll()
            if code is not None:
                raise EmulatorError(
                    f"the emulator (moto server) exited with code {code} before it was ready.\n"
                    f"Log {self.log_path}:\n{self._log_tail()}\n"
                    "Next: read the log above; `python -m moto.server` needs moto[server] (run scripts/bootstrap.sh)."
                )
            try:
                with opener.open(probe, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, ssl.SSLCertVerificationError):  # it answers: with another certificate
                    raise _try_again(EmulatorError(
                        f"the emulator at {self.url} presents a certificate that {self.ca_bundle} does not hold "
                        f"({exc.reason.verify_message}): the file changed after the server read it, or the server is "
                        "not this project's.\n"
                        f"Next: run the command again; if it repeats, delete {self.ca_bundle.parent} "
                        "(it is made again).")) from None
            except (ConnectionError, OSError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.dump_threads()
                raise _try_again(EmulatorError(
                    f"the emulator did not answer {probe} within {self.start_timeout:.0f}s.\n"
                    f"Log {self.log_path} (the server's threads last):\n{self._log_tail(60)}\n"
                    f"Next: read the log at {self.log_path}."
                ))
            time.sleep(0.1)

    def dump_threads(self) -> None:
        """Has the server write every thread's stack into its log (SIGUSR1: scripts/moto_ext/__main__.py)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        size = self.log_path.stat().st_size if self.log_path and self.log_path.exists() else 0
        self._proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while (time.monotonic() < deadline and self._proc.poll() is None and self.log_path
               and self.log_path.stat().st_size == size):
            time.sleep(0.1)
        time.sleep(0.2)  # the rest of the dump

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def release(self) -> None:
        """Lets a detached server run on after this object is gone."""
        self._proc = None
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every resource the emulator holds (moto's reset API)."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with _no_proxy_opener(self.ca_bundle).open(req, timeout=10) as resp:
            resp.read()

    def warm_up(self, region: str | None = None) -> None:
        """Has the server load now what every plan asks for first, so that a plan
        started later does not wait for it: IAM with AWS's managed policies (about
        0.7 s on its first request), STS, EC2 of ``region`` (about 0.4 s) and its
        instance type offerings by zone (about 0.6 s; the plan's check of the EMR
        instance types reads them). Reads only; best effort (a plan warms them anyway)."""
        region = region or self.region
        calls = (("iam", "us-east-1", "GetUser&Version=2010-05-08"),
                 ("sts", region, "GetCallerIdentity&Version=2011-06-15"),
                 ("ec2", region, "DescribeAvailabilityZones&Version=2016-11-15"),
                 ("ec2", region, "DescribeInstanceTypeOfferings&Version=2016-11-15&LocationType=availability-zone"))
        opener = _no_proxy_opener(self.ca_bundle)
        for service, scope, action in calls:
            # moto routes a request by its SigV4 credential scope and checks no signature.
            auth = (f"AWS4-HMAC-SHA256 Credential=testing/20260101/{scope}/{service}/aws4_request, "
                    "SignedHeaders=host, Signature=0")
            req = urllib.request.Request(f"{self.url}/", data=f"Action={action}".encode(), method="POST", headers={
                "Content-Type": "application/x-www-form-urlencoded", "Authorization": auth})
            try:
                with opener.open(req, timeout=30) as resp:
                    resp.read()
            except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
                return
