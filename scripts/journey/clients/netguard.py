"""Loopback only: AWS's client code runs here, its traffic goes to the emulator
or nowhere, and every attempt is recorded.

Three layers, each catching what the one above lets through:

1. botocore (and aiobotocore, which shares its event system): handlers added
   to ``botocore.handlers.BUILTIN_HANDLERS``, the list every new botocore
   session registers at creation (moto's own in-process mock hooks in the
   same way). ``before-send`` sees the request as signed for AWS (the client
   packages build explicit endpoints such as ``https://elasticmapreduce.
   <region>.amazonaws.com`` and regional STS, which ``AWS_ENDPOINT_URL``
   would not override) and delivers it to the emulator unchanged: same
   method, path, body, signature and ``Host`` header, only the TCP
   destination differs, as if DNS pointed AWS's names at 127.0.0.1. moto's
   server routes by that Host header like AWS does, which also gives moto's
   EMR its region (it reads the region from the host name only: on a bare
   127.0.0.1 every cluster would land in us-east-1). The URL the client
   aimed at is recorded with the call, anything else is refused.
   ``before-parameter-build`` / ``after-call`` / ``after-call-error`` record
   each call and its outcome.
2. sockets: ``socket.getaddrinfo`` refuses names that are not loopback (a DNS
   query is traffic too) and ``socket.connect``/``connect_ex`` refuse
   non-loopback addresses; aiohttp's resolver is set to the threaded one so
   that its lookups pass here too (its c-ares resolver opens sockets in C).
3. Livy: sparkmagic's own, documented ``http_session_config`` mounts
   :class:`LivyRecorder` as the requests transport, which records the request
   and fails it as a connection error (a Livy server is not part of this).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

CLIENT_PATH_MARKERS = ("sagemaker_studio_analytics_extension", "sagemaker_studio_sparkmagic_lib",
                       "sagemaker_jupyterlab_emr_extension", "sagemaker_jupyterlab_extension_common")
_SECRET_WORDS = ("password", "secret", "token", "credential")


class OffLoopbackError(OSError):
    """A connection or lookup that would leave this machine. An OSError, so the
    clients treat it like the network error it stands for."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Recorder:
    """What the clients did; one per run."""
    calls: list[dict] = field(default_factory=list)      # AWS API calls
    refused: list[dict] = field(default_factory=list)    # lookups/connections off loopback
    livy: list[dict] = field(default_factory=list)       # HTTP requests meant for Livy
    phase: str = "start"                                  # which part of the run is going on
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, item: dict) -> dict:
        with self.lock:
            getattr(self, kind).append(item)
        return item


_RECORDER: Recorder | None = None


def _caller() -> str:
    """The innermost frame of AWS's client packages: where in their code the
    call comes from (coroutine frames are on the stack while they run)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        for marker in CLIENT_PATH_MARKERS:
            if marker in frame.filename:
                rel = frame.filename[frame.filename.index(marker):]
                return f"{rel}:{frame.lineno} {frame.name}"
    return "?"


def _summary(value: Any, key: str = "") -> Any:
    if any(w in key.lower() for w in _SECRET_WORDS):
        return "<redacted>"
    if isinstance(value, dict):
        return {k: _summary(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_summary(v, key) for v in value[:10]] + (["..."] if len(value) > 10 else [])
    if isinstance(value, str) and len(value) > 120:
        return value[:117] + "..."
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


# -- layer 1: botocore events ------------------------------------------------
def _record_params(params, model, context, **_):
    service = model.service_model
    context["journey_call"] = _RECORDER.add("calls", {
        "phase": _RECORDER.phase,
        "service": service.service_name,
        "operation": model.name,
        "iam_action": f"{service.signing_name or service.endpoint_prefix}:{model.name}",
        "params": _summary(dict(params)),
        "caller": _caller(),
        "aimed_at": None, "sent_to": None, "outcome": None, "http_status": None,
        "started": time.monotonic(),
    })


def _deliver_to_emulator(request, **_):
    original = urlsplit(request.url)
    call = (getattr(request, "context", None) or {}).get("journey_call")
    if call is not None:
        call["aimed_at"] = f"{original.scheme}://{original.netloc}"
        # Who signed it (the Studio role's key, or a role the client assumed): for the IAM check.
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else auth
        if "Credential=" in auth:
            call["access_key_id"] = auth.split("Credential=", 1)[1].split("/", 1)[0]
    if not original.hostname.endswith(_AWS_SUFFIXES) and not is_loopback(original.hostname):
        _RECORDER.add("refused", {"what": "botocore request", "target": request.url, "caller": _caller()})
        raise OffLoopbackError(f"refused: botocore request to {original.hostname} (not an AWS endpoint)")
    emulator = urlsplit(_EMULATOR_URL)
    request.headers["Host"] = original.netloc  # what the signature covers, and moto routes by
    request.url = urlunsplit((emulator.scheme, emulator.netloc, original.path, original.query, original.fragment))
    if call is not None:
        call["sent_to"] = emulator.netloc


def _finish(call: dict | None, outcome: str, status: int | None = None) -> None:
    if call is not None and call["outcome"] is None:
        call["outcome"], call["http_status"] = outcome, status
        call["ms"] = round((time.monotonic() - call.pop("started")) * 1000, 1)


def _after_call(http_response, parsed, context, **_):
    error = (parsed or {}).get("Error", {}) if http_response.status_code >= 300 else {}
    _finish(context.get("journey_call"), error.get("Code") or ("ok" if not error else "error"),
            http_response.status_code)


def _after_call_error(exception, context, **_):
    _finish(context.get("journey_call"), f"{type(exception).__name__}: {exception}")


_EMULATOR_URL = ""
# Hosts a botocore request may aim at (then delivered to the emulator).
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


def _install_botocore(emulator_url: str) -> None:
    global _EMULATOR_URL
    import boto3
    from botocore import handlers

    _EMULATOR_URL = emulator_url
    ours = [("before-parameter-build", _record_params), ("before-send", _deliver_to_emulator),
            ("after-call", _after_call),
            ("after-call-error", _after_call_error)]
    handlers.BUILTIN_HANDLERS.extend(h for h in ours if h not in handlers.BUILTIN_HANDLERS)
    boto3.DEFAULT_SESSION = None  # made before the handlers: forget it


# -- layer 2: sockets ----------------------------------------------------------
def _install_sockets() -> None:
    real_getaddrinfo = socket.getaddrinfo
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_loopback(name):
            _RECORDER.add("refused", {"what": "name lookup", "target": name, "caller": _caller()})
            raise socket.gaierror(socket.EAI_NONAME, f"refused: lookup of {name} (only loopback is allowed)")
        return real_getaddrinfo(host, *args, **kwargs)

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(str(address[0])):
            _RECORDER.add("refused", {"what": "connect", "target": f"{address[0]}:{address[1]}",
                                      "caller": _caller()})
            raise OffLoopbackError(f"refused: connection to {address[0]}:{address[1]} (only loopback is allowed)")

    def connect(self, address):
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    try:
        import aiohttp.connector
        import aiohttp.resolver

        aiohttp.connector.DefaultResolver = aiohttp.resolver.ThreadedResolver
    except ImportError:
        pass


# -- layer 3: Livy (sparkmagic's requests transport) ---------------------------
try:
    from requests.adapters import BaseAdapter
except ImportError:  # requests comes with sparkmagic; keep this module importable without it
    BaseAdapter = object


class LivyRecorder(BaseAdapter):
    """requests transport adapter, mounted by sparkmagic (``http_session_config``):
    records the Livy request and fails it the way an unreachable server would."""

    def send(self, request, **kwargs):
        import requests

        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        try:
            body = _summary(json.loads(body)) if body else None
        except ValueError:
            pass
        # Who the request is signed for (EMR Serverless's Livy endpoint takes SigV4: region/service of
        # the credential scope), never the key or signature.
        scope = re.search(r"Credential=[^/]+/[0-9]+/([^/]+/[^/]+)/aws4_request",
                          request.headers.get("Authorization") or "")
        _RECORDER.add("livy", {"method": request.method, "url": request.url, "body": body,
                               "signed_for": scope.group(1) if scope else None})
        raise requests.exceptions.ConnectionError(
            f"no Livy here: {request.method} {request.url} recorded, not sent (a Livy server is out of scope)")

    def close(self):
        pass


def install(emulator_url: str) -> Recorder:
    """Installs all three layers for this process; returns the recorder."""
    global _RECORDER
    if not is_loopback(urlsplit(emulator_url).hostname):
        raise ValueError(f"the emulator must be on loopback, not {emulator_url}")
    if _RECORDER is not None:
        return _RECORDER
    _RECORDER = Recorder()
    _install_botocore(emulator_url)
    _install_sockets()
    return _RECORDER
