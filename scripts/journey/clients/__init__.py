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



def run(endpoint_url: str, region: str, credentials: dict, cluster_id: str, *, ca_bundle: str | None = None,
        python: str | None = None, timeout: float = 600, **options) -> dict:
    """Runs the clients in a fresh process (their module state and the network
    guard are process-wide) and returns ``runner.run_in_process``'s result.
    ``credentials``: AssumeRole's ``Credentials`` (AccessKeyId, SecretAccessKey,
    SessionToken); they travel in a 0600 file, never on a command line.
    ``options``: auth_type, language, assumable_role_arn,
    emr_execution_role_arn, livy_port_open, livy_tls, view, app_ui,
    resource_metadata."""
    credentials = {k: credentials[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken") if k in credentials}
    spec = {"endpoint_url": endpoint_url, "region": region, "credentials": credentials,
            "cluster_id": cluster_id, "ca_bundle": str(ca_bundle) if ca_bundle else None, **options}
    with tempfile.TemporaryDirectory(prefix="journey-clients-") as tmp:
        spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "result.json")
        spec_path.touch(mode=0o600)
        spec_path.write_text(json.dumps(spec))
        proc = subprocess.run([python or sys.executable, "-m", "scripts.journey.clients", "_child",
                               str(spec_path), str(out_path)],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                              env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
        if out_path.exists():
            result = json.loads(out_path.read_text())
        else:
            result = {"connect_ok": False, "aws_calls": [], "livy_url": None,
                      "errors": [f"the client process exited with {proc.returncode} before reporting"]}
        result["process"] = {"returncode": proc.returncode, "stderr_tail": proc.stderr[-3000:]}
        return result


def static_actions(python: str | None = None, timeout: float = 120) -> list[str]:
    """The distinct IAM actions the client packages' code can make (``static_calls``,
    run with ``python``: the interpreter that has the packages)."""
    proc = subprocess.run([python or sys.executable, "-m", "scripts.journey.clients", "calls", "--json"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
                          env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
    if proc.returncode != 0:
        raise RuntimeError(f"static_calls failed: {proc.stderr[-2000:]}")
    return sorted({call["iam_action"] for call in json.loads(proc.stdout)})
