"""A self-signed certificate for the emulator, so that it can serve HTTPS.

Why: a bucket policy's ``aws:SecureTransport`` is true only for requests that
really came over TLS (see ``scripts/moto_ext/s3/conditions.py``), and our
buckets deny everything else. The server (``scripts/moto_ext/__main__.py``)
serves TLS with ``--ssl -c CERT -k KEY``; clients trust the certificate by
file: the aws provider's and the S3 backend's ``custom_ca_bundle``, boto3's
``verify=`` or ``AWS_CA_BUNDLE``.

The certificate is its own CA (basicConstraints CA:TRUE, so that Go's and
OpenSSL's verifiers accept it as a trust anchor) and names 127.0.0.1 (an IP
SAN: Go never matches an IP address against a DNS name) and localhost.
Standard library plus ``cryptography`` (a moto dependency, so in every venv
that runs the emulator).
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from scripts.made_once import made_once

CERT_FILE = "emulator-cert.pem"
KEY_FILE = "emulator-key.pem"
LOCK_FILE = "emulator-cert.lock"
# Long enough never to expire under a cached copy; loopback-only, so no rotation.
VALID_DAYS = 3650


def ensure_certificate(directory: Path | str) -> tuple[Path, Path]:
    """(cert_path, key_path) of a certificate for 127.0.0.1 and localhost,
    created in ``directory`` on the first call and reused afterwards.

    Made once (``made_once``, under an exclusive lock on ``LOCK_FILE``):
    servers started at the same moment (the tests' workers, in a fresh
    clone) must all get the one pair that stays on disk, because
    every client trusts the certificate by that file. Without the lock each
    made a pair of its own; a server that loaded the first pair served a
    certificate that the next had already replaced on disk, and every client
    refused it (TLSV1_ALERT_UNKNOWN_CA) until its start timed out."""
    directory = Path(directory)
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE

    def make() -> None:
        cert_pem, key_pem = _self_signed()
        # Temporary names, then rename (atomic on one filesystem): a reader without the
        # lock (made_once's first look) never sees a half-written file.
        suffix = f".{os.getpid()}.tmp"
        tmp_key, tmp_cert = key_path.with_name(key_path.name + suffix), cert_path.with_name(cert_path.name + suffix)
        fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem)
        tmp_cert.write_bytes(cert_pem)
        os.replace(tmp_key, key_path)
        os.replace(tmp_cert, cert_path)

    directory.mkdir(parents=True, exist_ok=True)
    made_once(directory / LOCK_FILE, lambda: _usable(cert_path, key_path), make)
    return cert_path, key_path


def _usable(cert_path: Path, key_path: Path) -> bool:
    return cert_path.is_file() and key_path.is_file() and _still_valid(cert_path)


def _still_valid(cert_path: Path) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        return False
    return cert.not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)


def _self_signed() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())  # fast to make, accepted by Go and OpenSSL
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local AWS emulator (127.0.0.1)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.DNSName("localhost"),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


if __name__ == "__main__":
    # ``python -m scripts.moto_ext.tls DIR``: prints the certificate's and the
    # key's paths, one a line; for callers that keep to the standard library
    # (scripts/emulator/server.py) and so make the pair with the server's interpreter.
    import sys

    for path in ensure_certificate(sys.argv[1]):
        print(path)
