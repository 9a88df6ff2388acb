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

# The package: server.py (start, attach, stop), overrides.py (environments, provider
# endpoints, override files), persistent.py (``scripts/platform emulator up|down|status``),
# run.py (a command's own emulator, started beside the synthesis). The AWS APIs it serves:
# scripts/moto_ext/. The names below are its interface, imported from where they are defined.
from scripts.emulator.overrides import (
    BACKEND_OVERRIDE_FILE, DRIFT_OVERRIDE_FILE, EMULATOR_DRIFT, ENDPOINT_SERVICES, HOST, OVERRIDE_FILE,
    UNSUPPORTED_TYPES, previous_outputs_override)
from scripts.emulator.server import FAKE_ACCOUNT_ID, TLS_CERT_FILE, Emulator, EmulatorError, free_loopback_port

__all__ = [
    "BACKEND_OVERRIDE_FILE", "DRIFT_OVERRIDE_FILE", "EMULATOR_DRIFT", "ENDPOINT_SERVICES", "FAKE_ACCOUNT_ID", "HOST",
    "OVERRIDE_FILE", "TLS_CERT_FILE", "UNSUPPORTED_TYPES", "Emulator", "EmulatorError", "free_loopback_port",
    "previous_outputs_override",
]
