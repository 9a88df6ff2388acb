"""A local AWS emulator (moto server) on loopback, for plans and tests.

Standard library here; the server itself runs ``python -m scripts.moto_ext``
(moto's server with the project's additions, see ``scripts/moto_ext``) with the
interpreter of the pipenv environment (``sys.executable`` by default)::

    from scripts.emulator import Emulator
    with Emulator(region="eu-west-1") as emu:
        override = emu.write_provider_override(stack_dir, "eu-west-1")
        env = emu.env(terraform_env.build_env())
        ...

Safety: the server binds 127.0.0.1 only; every URL handed out is
``https://127.0.0.1:<port>``; :meth:`Emulator.env` strips profiles, tokens and
shared config so that a real AWS account is never used.

TLS: the server serves HTTPS with a self-signed certificate for 127.0.0.1
(``scripts/moto_ext/tls.py``, made once under ``.cache/emulator/tls``), so that
bucket policies see ``aws:SecureTransport`` true as on AWS; every client gets
that certificate as its CA bundle (``ca_bundle``: the provider's and the S3
backend's ``custom_ca_bundle``, ``AWS_CA_BUNDLE``, boto3's ``verify``).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping

from scripts.errors import ScriptError
from scripts.repo import CACHE_DIR, REPO_ROOT, TLS_DIR

HOST = "127.0.0.1"  # loopback only, never anything else
FAKE_ACCOUNT_ID = "123456789012"  # moto's default account
OVERRIDE_FILE = "emulator_override.tf.json"
BACKEND_OVERRIDE_FILE = "emulator_backend_override.tf.json"

# Endpoint argument names of hashicorp/aws 5.100.0's `endpoints` block, checked
# against `terraform providers schema -json` of that exact provider. Canonical
# names only: aliases (cloudwatchlogs for logs, ...) must not be set twice.
ENDPOINT_SERVICES = (
    "cloudformation",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "efs",
    "emr",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "s3control",
    "sagemaker",
    "secretsmanager",
    "servicecatalog",
    "sns",
    "sqs",
    "ssm",
    "sts",
)

# Resource types the emulator cannot create, and why: these are planned, never
# applied, on the emulator (`-target` leaves them out). Empty: scripts/moto_ext
# adds what moto lacks; a type goes here only when AWS itself cannot offer it
# offline, with the reason.
UNSUPPORTED_TYPES: dict[str, str] = {}

# Arguments the emulator does not echo back, so that a plan after an apply on
# the emulator would show a change that AWS itself would not: ignored on the
# emulator only (an override file in the scratch copy), never in the stack.
EMULATOR_DRIFT = {
    "aws_vpc_security_group_ingress_rule": (
        ["description"], "moto drops the description of a rule that references a group or prefix list"),
    "aws_vpc_security_group_egress_rule": (
        ["description"], "moto drops the description of a rule that references a group or prefix list"),
}
DRIFT_OVERRIDE_FILE = "emulator_drift_override.tf.json"
# The emulator's certificate and key (made once, kept: outside persistent/, which `down` removes).
TLS_CERT_FILE = "emulator-cert.pem"  # as scripts/moto_ext/tls.py names it

# Variables that could make a client reach a real account or another endpoint.
_AWS_VARS_TO_DROP = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_SDK_LOAD_CONFIG",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_CA_BUNDLE",  # another bundle would not trust the emulator's certificate; env() sets ours
)


def previous_outputs_override(stack_dir: Path | str, backend_type: str, config: Mapping[str, object]) -> dict:
    """The override fragment that points a stack's ``previous_outputs`` data
    source (modules/previous_state.py) at the same state as its backend
    override; empty for a stack without that data source."""
    from modules.previous_state import PREVIOUS_OUTPUTS, override_document

    data = json.loads((Path(stack_dir) / "cdk.tf.json").read_text()).get("data", {})
    if PREVIOUS_OUTPUTS not in data.get("terraform_remote_state", {}):
        return {}
    return override_document(backend_type, dict(config))


class EmulatorError(ScriptError):
    """The emulator could not start; ``str(err)`` is a complete, user-facing message."""


def free_loopback_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (bind to port 0, read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _no_proxy_opener(ca_bundle: Path | str | None = None) -> urllib.request.OpenerDirector:
    # Never let an HTTP(S)_PROXY variable route our loopback polls elsewhere;
    # trust the emulator's own certificate (and nothing else) for its HTTPS.
    handlers: list = [urllib.request.ProxyHandler({})]
    if ca_bundle is not None:
        handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(ca_bundle))))
    return urllib.request.build_opener(*handlers)


class Emulator:
    """``with Emulator() as emu:`` runs a moto server on 127.0.0.1:<free port>."""

    def __init__(
        self,
        region: str = "us-east-1",
        python: str | None = None,
        log_dir: Path | str | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.region = region
        self.python = python or sys.executable
        self.log_dir = Path(log_dir) if log_dir else CACHE_DIR / "emulator"
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
        one, ``scripts/emulator_persistent.py``): this object never stops it.
        ``ca_bundle``: its certificate (default: the cached one it was started with)."""
        emu = cls(region=region)
        emu.port, emu._attached = port, True
        emu.ca_bundle = Path(ca_bundle) if ca_bundle else TLS_DIR / TLS_CERT_FILE
        emu.log_path = Path(log_path) if log_path else None
        return emu

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
        this process (stop it by its pid, see ``scripts/emulator_persistent.py``)."""
        if self.running:
            return self
        self._detached = detached
        self.log_dir.mkdir(parents=True, exist_ok=True)
        last_error: EmulatorError | None = None
        # The port may be taken between our probe and moto's bind: retry a few times.
        for _ in range(3):
            try:
                self._spawn()
                self._wait_ready()
                return self
            except EmulatorError as exc:
                last_error = exc
                self.stop()
                if "Address already in use" not in self._log_text():
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
            except (urllib.error.URLError, ConnectionError, OSError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"the emulator did not answer {probe} within {self.start_timeout:.0f}s.\n"
                    f"Log {self.log_path}:\n{self._log_tail()}\n"
                    f"Next: read the log at {self.log_path}."
                )
            time.sleep(0.1)

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

    # -- client configuration ------------------------------------------------
    def env(self, base: Mapping[str, str] | None = None, region: str | None = None) -> dict[str, str]:
        """``base`` (default os.environ) with AWS settings for the emulator only.

        Fake credentials ``testing``, region, metadata service disabled, profiles,
        tokens and shared config files removed; ``AWS_ENDPOINT_URL`` points SDKs
        (boto3, the AWS CLI) at the emulator; loopback is exempt from proxies.
        """
        env = dict(os.environ if base is None else base)
        for key in list(env):
            if key in _AWS_VARS_TO_DROP or key.startswith("AWS_ENDPOINT_URL"):
                del env[key]
        region = region or self.region
        env.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "AWS_EC2_METADATA_DISABLED": "true",
                # No ~/.aws files: nothing there can redirect a client to a real account.
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            }
        )
        if self.port is not None:
            env["AWS_ENDPOINT_URL"] = self.url
            env["AWS_CA_BUNDLE"] = str(self.ca_bundle)  # boto3, the AWS CLI, the provider, the S3 backend
        no_proxy = [p for p in env.get("NO_PROXY", env.get("no_proxy", "")).split(",") if p]
        for host in (HOST, "localhost"):
            if host not in no_proxy:
                no_proxy.append(host)
        env["NO_PROXY"] = env["no_proxy"] = ",".join(no_proxy)
        return env

    def provider_config(self, region: str | None = None, alias: str | None = None) -> dict:
        """The aws provider arguments that point it at the emulator."""
        cfg: dict = {}
        if alias:
            cfg["alias"] = alias
        if region:
            cfg["region"] = region
        cfg.update(
            {
                "access_key": "testing",
                "secret_key": "testing",
                "skip_credentials_validation": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
                "s3_use_path_style": True,
                "custom_ca_bundle": str(self.ca_bundle),
                "endpoints": [{svc: self.url for svc in ENDPOINT_SERVICES}],
            }
        )
        return cfg

    def write_provider_override(self, stack_dir: Path | str, region: str | None = None) -> Path:
        """Write ``emulator_override.tf.json`` into ``stack_dir``; return its path.

        A Terraform override file: its ``provider "aws"`` blocks merge into the
        stack's. Every aws provider configuration found in the stack's
        ``cdk.tf.json`` (the default one and each alias) is pointed at the
        emulator; ``region`` (if given) is set on the default configuration
        only, aliases keep theirs. Remove the file when done
        (:meth:`remove_provider_override`).
        """
        stack_dir = Path(stack_dir)
        aliases: list[str | None] = [None]
        main = stack_dir / "cdk.tf.json"
        if main.is_file():
            try:
                providers = json.loads(main.read_text()).get("provider", {}).get("aws", [])
            except (ValueError, AttributeError):
                providers = []
            if isinstance(providers, dict):
                providers = [providers]
            for p in providers:
                alias = p.get("alias") if isinstance(p, dict) else None
                if alias and alias not in aliases:
                    aliases.append(alias)
        blocks = [
            self.provider_config(region=region if alias is None else None, alias=alias) for alias in aliases
        ]
        doc = {
            "//": "Written by scripts/emulator.py for a plan against the local emulator; never commit.",
            "provider": {"aws": blocks},
        }
        path = stack_dir / OVERRIDE_FILE
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

    def client(self, service: str, region: str | None = None):
        """A boto3 client for the emulator (boto3 comes with the dev packages)."""
        import boto3
        from botocore.config import Config

        return boto3.client(service, endpoint_url=self.url, region_name=region or self.region,
                            verify=str(self.ca_bundle),
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))

    @staticmethod
    def write_drift_override(stack_dir: Path | str) -> Path | None:
        """Ignore, on the emulator only, the arguments in EMULATOR_DRIFT (no file
        when the stack has none of those resources)."""
        stack_dir = Path(stack_dir)
        resources = json.loads((stack_dir / "cdk.tf.json").read_text()).get("resource", {})
        ignored = {type_: {name: {"lifecycle": {"ignore_changes": EMULATOR_DRIFT[type_][0]}}
                           for name in resources[type_]}
                   for type_ in sorted(EMULATOR_DRIFT) if type_ in resources}
        if not ignored:
            return None
        doc = {"//": "Written by scripts/emulator.py: emulator gaps (EMULATOR_DRIFT); never commit.",
               "resource": ignored}
        path = stack_dir / DRIFT_OVERRIDE_FILE
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

    def write_backend_override(self, stack_dir: Path | str, settings: Mapping[str, object]) -> Path:
        """Write ``emulator_backend_override.tf.json``: the stack's state goes to
        an S3 backend in the emulator (``settings``: bucket, key, region,
        workspace_key_prefix, ...), whatever backend the stack declares."""
        backend = dict(settings)
        backend.update({
            "access_key": "testing",
            "secret_key": "testing",
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "skip_requesting_account_id": True,
            "use_path_style": True,
            "custom_ca_bundle": str(self.ca_bundle),
            "endpoints": {"s3": self.url, "sts": self.url, "iam": self.url, "dynamodb": self.url},
        })
        doc = {
            "//": "Written by scripts/emulator.py: state in the local emulator; never commit.",
            "terraform": {"backend": {"s3": backend}},
            **previous_outputs_override(stack_dir, "s3", backend),
        }
        path = Path(stack_dir) / BACKEND_OVERRIDE_FILE
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

    @staticmethod
    def remove_provider_override(stack_dir: Path | str) -> None:
        """Removes both override files this class writes."""
        for name in (OVERRIDE_FILE, BACKEND_OVERRIDE_FILE):
            (Path(stack_dir) / name).unlink(missing_ok=True)
