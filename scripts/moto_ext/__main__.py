"""``python -m scripts.moto_ext -H HOST -p PORT [--ssl -c CERT -k KEY]``:
moto's server with our additions, one request at a time.

moto's models are not safe under concurrent requests (two rules authorized at
once on one security group answer InvalidPermission.Duplicate; AWS never
does), while Terraform sends ten at a time. So requests are accepted in
parallel (TLS handshakes, keep-alive) but handled one after the other; each
takes milliseconds.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from scripts.moto_ext import install


class SerializedApp:
    """A WSGI app that runs ``app`` for one request at a time."""

    def __init__(self, app) -> None:
        self.app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            # Materialized under the lock: moto builds its bodies from shared models.
            return list(self.app(environ, start_response))


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

    import os

    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    install()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, SerializedApp(app), threaded=True,
               ssl_context=(args.ssl_cert, args.ssl_key) if args.ssl else None)


if __name__ == "__main__":
    main()
