"""``python -m scripts.moto_ext -H HOST -p PORT [--ssl -c CERT -k KEY]``:
moto's server with our additions, one request at a time.

moto's models are not safe under concurrent requests (two rules authorized at
once on one security group answer InvalidPermission.Duplicate; AWS never
does), while Terraform sends ten at a time. So requests are accepted in
parallel (a thread per connection; werkzeug answers every request with
``Connection: close``, so one request per connection) but handled one after
the other; each takes milliseconds. Waiting for the lock costs a client
nothing: hashicorp/aws 5.100.0 (aws-sdk-go-base v2.0.0-beta.65) sets no
response timeout, only dial (30 s) and TLS handshake (10 s) ones.

Each response leaves in one write: status line, headers and body together
(``OneWriteHandler``). werkzeug's handler writes the headers, then the body,
each straight to the socket, so over TLS a client first sees a record with
only the headers and, a moment later, one with the body. Traced here
(strace of the server and of hashicorp/aws 5.100.0 during repeated
applies and destroys): about one request in 600 the provider read the
headers record, closed the connection before the body record arrived and
sent the same request again (``amz-sdk-request: attempt=2``, same
``amz-sdk-invocation-id``), although the server had handled the first one.
For a read that is harmless; for DeleteRolePolicy the second attempt answered
NoSuchEntity, and for CreateRole or AuthorizeSecurityGroupEgress it gives
the EntityAlreadyExists or InvalidPermission.Duplicate that AWS answers to a
request applied twice. This fits a known client-side race (aws-sdk-go-v2
issue #2737: Go's transport closes a connection whose response body is still
to be read, "use of closed network connection" after a 200), which the SDK
retries since it made net.ErrClosed retryable (aws-sdk-go-v2 #2949; the
provider has v1.36.3). One write per response leaves no moment in which a
client holds a response without its body: the body is in the client's buffer
with the headers. Measured with repeated applies and destroys of the platform
(TF_LOG=DEBUG, "retrying request"): 9 retries in 5,564 requests before, none
in 6,012 after.
"""
from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
import threading
import traceback

from scripts.moto_ext import copies, install

# Seconds a connection may take over each step of its TLS handshake: ample for any client that speaks
# (Go's HTTP clients give up a handshake after 10 s), and the bound of a silent one's thread.
HANDSHAKE_SECONDS = 30


class SerializedApp:
    """A WSGI app that runs ``app`` for one request at a time; ``copy`` answers
    the request for a copy of the server (``copies.py``), under the same lock."""

    def __init__(self, app, copy=None) -> None:
        self.app = app
        self.copy = copy
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            if self.copy is not None and copies.is_copy_request(environ):
                return self.copy(environ, start_response)
            # Materialized under the lock: moto builds its bodies from shared models.
            # One chunk, so that the server writes the body with the headers
            # in a single flush (OneWriteHandler).
            return [b"".join(self.app(environ, start_response))]


def one_write_handler():
    """werkzeug's request handler with a buffered socket writer: what werkzeug
    writes for a response (the headers at ``end_headers``, then the body, then
    a flush) leaves in one ``send``, so a TLS client receives the headers and
    the body together. Imported lazily: werkzeug comes with moto."""
    from werkzeug.serving import WSGIRequestHandler

    class OneWriteHandler(WSGIRequestHandler):
        # socketserver.StreamRequestHandler: wbufsize 0 (werkzeug's) writes
        # every call through; a buffer holds the headers until werkzeug
        # flushes after the body. Bodies larger than the buffer still go
        # out, in more than one write.
        wbufsize = 1 << 18  # 256 KiB: moto's answers here stay under 20 KiB

        # "Expect: 100-continue": the client sends its body only after an
        # interim "100 Continue", which must leave at once (not wait in the
        # buffer) and once: http.server answers it while parsing the request
        # and werkzeug's run_wsgi answered it a second time.
        def handle_expect_100(self) -> bool:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            self._continued = True
            return True

        def handle(self) -> None:
            # The listening socket accepts without a handshake (handshake_per_connection).
            if isinstance(self.connection, ssl.SSLSocket):
                try:
                    self.connection.settimeout(HANDSHAKE_SECONDS)
                    self.connection.do_handshake()
                    self.connection.settimeout(None)
                except OSError as exc:  # ssl.SSLError, a timeout, a reset
                    self.log_error("TLS handshake not completed: %s", exc)
                    return
            super().handle()

        def run_wsgi(self) -> None:
            if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
                if not getattr(self, "_continued", False):
                    self.handle_expect_100()
                del self.headers["Expect"]  # answered: werkzeug must not write it again
            self._continued = False
            super().run_wsgi()

    return OneWriteHandler


def handshake_per_connection(server, context: ssl.SSLContext) -> None:
    """Serves TLS on ``server`` (werkzeug's, made without ``ssl_context``) with each
    connection's handshake left to its own thread (``OneWriteHandler.handle``):
    werkzeug's own TLS wraps the listening socket so that ``accept`` does the
    handshake, with no time limit, before the next connection is accepted."""
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.ssl_context = context  # werkzeug: https in wsgi.url_scheme and the start line


def _write_threads(*_) -> None:
    """Every thread's stack into the log, in one write (SIGUSR1).

    A Python handler, run by the main thread (its accept loop waits in
    ``select``, which a signal interrupts at once; in a copy, the thread that
    forked it is the main one), reading the stacks through
    ``sys._current_frames``, which holds the interpreter's thread list while it
    reads. Not ``faulthandler.register``: its C handler walks that list
    without a lock while the server's connection threads come and go, and
    killed the server with SIGSEGV (after 2 to 209 dumps in six tries with
    four to eight clients opening and closing connections; once in a test
    run, failing every later test of that worker). What this handler cannot
    show: a main thread held inside one C call that never returns (then the
    log stays as it was, and the start's error says the rest)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = [f"Thread {ident:#x} {names.get(ident, '(not started by threading)')} (most recent call last):\n"
             + "".join(traceback.format_stack(frame)) for ident, frame in sys._current_frames().items()]
    # Straight to the log's file descriptor, not through sys.stdout: the signal may come while the
    # main thread is inside sys.stdout's own write (a start's or a copy's first line), and buffered
    # objects refuse a reentrant call from a signal handler with RuntimeError (Python's io docs,
    # "Reentrancy"), which would end the server.
    data = ("\n".join(parts) + "\n").encode(errors="replace")
    while data:
        data = data[os.write(sys.stdout.fileno(), data):]


def _exit_now(*_) -> None:
    sys.stdout.flush()  # the log
    sys.stderr.flush()
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.moto_ext")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("-s", "--ssl", action="store_true", help="serve HTTPS (with -c and -k)")
    parser.add_argument("-c", "--ssl-cert")
    parser.add_argument("-k", "--ssl-key")
    args = parser.parse_args(argv)
    if args.ssl and not (args.ssl_cert and args.ssl_key):
        parser.error("--ssl needs -c CERT and -k KEY")

    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    install()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import load_ssl_context, make_server

    # Stopped: out at once. Unwinding the interpreter (moto's thousands of modules and
    # models) took 0.5-0.8 s of every stop; the state dies with the process anyway.
    signal.signal(signal.SIGTERM, _exit_now)
    # Every thread's stack into the log on SIGUSR1: what a server that stopped answering is doing
    # (scripts/emulator/server.py asks for it before it gives up on a start).
    signal.signal(signal.SIGUSR1, _write_threads)
    app = DomainDispatcherApplication(create_backend_app)
    tls = load_ssl_context(args.ssl_cert, args.ssl_key) if args.ssl else None

    def serve(sock=None) -> None:
        """This server, or a copy of it on ``sock`` (copies.py); never returns."""
        def copy(environ, start_response):
            return copies.answer(environ, start_response, args.host, server.socket, serve)

        server = make_server(args.host, args.port if sock is None else sock.getsockname()[1],
                             SerializedApp(app, copy), threaded=True, request_handler=one_write_handler(),
                             fd=None if sock is None else sock.fileno())
        if tls is not None:
            handshake_per_connection(server, tls)
        print(f" * Running on {'https' if args.ssl else 'http'}://{args.host}:{server.server_address[1]}", flush=True)
        server.serve_forever()

    serve()


if __name__ == "__main__":
    main()
