"""A copy of the running emulator, with everything it holds: ``POST /platform-emulator/copy``.

Not an AWS API: a management request of this project's server, beside moto's
own ``/moto-api/`` (reset, seed). moto keeps its models in the server's memory
and has no snapshot, so the copy is a fork of the server: a new process on a
new port of 127.0.0.1 that starts with the same accounts, resources, ids and
states and then lives its own life. The tests apply a workspace once per run
and give each test file a copy of the applied emulator to change as it likes,
where each file used to apply its own (a minute or more each).

The server handles one request at a time (``SerializedApp`` in ``__main__``),
so the fork happens while no other request is inside moto's models. The copy
is forked twice (its first parent exits at once), so that the server never
keeps a child to reap; it gets a session of its own, so that a signal to the
server's group does not reach it, and writes its log to the file the request
names. Body (JSON): ``{"log": "/path/of/the/copy's/log"}``; answer (JSON):
``{"pid": ..., "port": ...}``.
"""
from __future__ import annotations

import json
import os
import socket
import sys
from typing import Callable

PATH = "/platform-emulator/copy"


def is_copy_request(environ) -> bool:
    return environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "POST"


def answer(environ, start_response, host: str, listening: socket.socket, serve: Callable[[socket.socket], None]):
    """Forks the copy and answers its pid and port. ``listening`` is this server's socket
    (on ``host``); ``serve(sock)`` runs the copy's server on ``sock`` and never returns."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        log = json.loads(environ["wsgi.input"].read(length) or b"{}")["log"]
    except (ValueError, KeyError, TypeError):
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [json.dumps({"error": 'the body must be JSON {"log": PATH}'}).encode()]
    read_end, write_end = os.pipe()
    first = os.fork()
    if first == 0:  # the first child: forks the copy and exits
        os.close(read_end)
        try:
            if os.fork() == 0:
                _become_copy(log, write_end, host, listening, environ.get("werkzeug.socket"), serve)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        told = pipe.read()
    os.waitpid(first, 0)
    try:
        pid, port = (int(part) for part in told.split())
    except ValueError:
        start_response("500 Internal Server Error", [("Content-Type", "application/json")])
        return [json.dumps({"error": f"the copy did not start (see {log})"}).encode()]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"pid": pid, "port": port}).encode()]


def _become_copy(log: str, tell: int, host: str, listening: socket.socket, connection, serve) -> None:
    """In the copy: its own session, log and socket; tells its pid and port, then serves."""
    os.setsid()
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        # Not the server's sockets: closing our copies of them leaves the server's open.
        listening.close()
        if connection is not None:
            connection.close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((host, 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        os.environ["MOTO_PORT"] = str(port)  # moto builds some URLs from it
        print(f"a copy of the emulator, pid {os.getpid()}, on port {port}", flush=True)
    except BaseException as exc:  # noqa: BLE001 - said in the log; the server answers that the copy did not start
        print(f"the copy did not start: {exc!r}", file=sys.stderr, flush=True)
        os._exit(1)
    os.write(tell, f"{os.getpid()} {port}".encode())
    os.close(tell)
    try:
        serve(sock)
    finally:
        os._exit(0)
