"""`%sm_analytics emr connect` run the way a Studio notebook runs it.

An IPython ``InteractiveShell`` runs the very cell the JupyterLab EMR
extension injects into the notebook when the user clicks Connect
(``%load_ext sagemaker_studio_analytics_extension.magics`` then
``%sm_analytics emr connect --verify-certificate False --cluster-id ...``):
the magic's argument parsing, validation, boto3 sessions, the
sagemaker-studio-sparkmagic-lib ``EMRCluster`` lookups and sparkmagic's
``%spark add`` all run unchanged. What stands in for Studio, and why:

- the kernel: the magic only reads ``type(Application.instance().kernel)
  .__name__`` to choose its code path; a class named ``IPythonKernel`` makes
  it take the IPython-kernel path (Studio's "Python 3" notebooks) without a
  ZMQ kernel;
- the Livy port probes: before building the endpoint the magic opens a TCP
  socket to the master's private DNS name on the Livy port, and reads its TLS
  certificate. No such host exists here (and nothing may leave loopback), so
  ``check_host_and_port`` and ``is_ssl_enabled`` are answered from
  ``livy_port_open`` (whether the master security group admits Studio on
  8998: the journey proves that from the applied rules) and ``livy_tls``
  (our security configuration leaves in-transit encryption off), and every
  probe is recorded;
- logs: the magic's service log goes to a scratch folder, not /var/log;
- the magic's fixed waits (``sleep(3)`` after GetClusterSessionCredentials,
  "for EMR token propagation" across AWS's fleet): recorded with where they
  were asked for, not slept. The emulator's session credentials are valid as
  soon as they are answered, and nothing the journey checks depends on the
  clock; the waits of its polls (EMR Serverless's GetApplication until
  STARTED) are untouched, they follow the emulator's states.

Run it in a process of its own (``python -m scripts.journey.clients``): the
packages keep module-level state (an STS call at import, singletons,
sparkmagic's configuration) and the network guard is process-wide.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile

ANALYTICS_MODULE = "sagemaker_studio_analytics_extension.magics.sagemaker_analytics"


def _cell(line: str, language: str, assumable_role_arn: str | None, emr_execution_role_arn: str | None) -> str:
    """``line`` with the options both connect commands add in this order, after loading the magics."""
    if language:
        line += f" --language {language}"
    if assumable_role_arn:
        line += f" --assumable-role-arn {assumable_role_arn}"
    if emr_execution_role_arn:
        line += f" --emr-execution-role-arn {emr_execution_role_arn}"
    return "%load_ext sagemaker_studio_analytics_extension.magics\n" + line


def connect_cell(cluster_id: str, auth_type: str = "None", language: str = "python",
                 assumable_role_arn: str | None = None, emr_execution_role_arn: str | None = None) -> str:
    """The cell the JupyterLab EMR extension injects (its `emrConnect` command,
    labextension static/603.*.js), with the same argument order."""
    return _cell(f"%sm_analytics emr connect --verify-certificate False --cluster-id {cluster_id} "
                 f"--auth-type {auth_type}", language, assumable_role_arn, emr_execution_role_arn)


def serverless_connect_cell(application_id: str, language: str = "python", assumable_role_arn: str | None = None,
                            emr_execution_role_arn: str | None = None) -> str:
    """The cell the JupyterLab EMR extension injects to connect to an EMR Serverless application (its
    serverless connect command, labextension static/603.*.js), with the same argument order."""
    return _cell(f"%sm_analytics emr-serverless connect --application-id {application_id}", language,
                 assumable_role_arn, emr_execution_role_arn)


def sparkmagic_config(scratch: str) -> str:
    """sparkmagic's user configuration (``$SPARKMAGIC_CONF_DIR/config.json``):
    its documented ``http_session_config`` mounts our Livy recorder as the
    requests transport; no retries, as nothing will ever answer."""
    config = {
        "http_session_config": {"adapters": [
            {"prefix": "http://", "adapter": "scripts.journey.clients.netguard.LivyRecorder"},
            {"prefix": "https://", "adapter": "scripts.journey.clients.netguard.LivyRecorder"}]},
        "configurable_retry_policy_max_retries": 0,
    }
    os.makedirs(scratch, exist_ok=True)
    with open(os.path.join(scratch, "config.json"), "w") as fh:
        json.dump(config, fh)
    return scratch


class IPythonKernel:
    """Stands in for ipykernel's kernel: the magic reads only this class's name."""


def _stand_in_probes(module, probes: list, livy_port_open: bool, livy_tls: bool) -> None:
    def check_host_and_port(host, port):
        probes.append({"probe": "tcp", "host": host, "port": int(port), "answer": livy_port_open})
        return livy_port_open

    def is_ssl_enabled(host, port):
        probes.append({"probe": "tls", "host": host, "port": int(port), "answer": livy_tls})
        return livy_tls

    module.check_host_and_port = check_host_and_port
    module.is_ssl_enabled = is_ssl_enabled


def _stand_in_waits(module, waits: list) -> None:
    """The magic module's own ``sleep`` (``from time import sleep``): each wait is recorded, not slept."""
    import sys

    def sleep(seconds):
        caller = sys._getframe(1)
        waits.append({"seconds": seconds, "where": f"{caller.f_code.co_filename.rsplit('site-packages/', 1)[-1]}:"
                                                   f"{caller.f_lineno} {caller.f_code.co_name}"})

    module.sleep = sleep


def _responses(printed: str) -> list[dict]:
    """The JSON replies the magic echoes to the notebook (`_build_response`)."""
    found = []
    for line in printed.splitlines():
        line = line.strip()
        if line.startswith("{") and '"namespace"' in line:
            try:
                found.append(json.loads(line))
            except ValueError:
                pass
    return found


def run_connect(recorder, cluster_id: str, auth_type: str = "None", language: str = "python",
                assumable_role_arn: str | None = None, emr_execution_role_arn: str | None = None,
                livy_port_open: bool = True, livy_tls: bool = False, scratch: str | None = None,
                cell: str | None = None) -> dict:
    """Runs the connect cell in an InteractiveShell; ``recorder`` is netguard's
    (installed before this is called, so that import-time calls are seen).
    ``cell``: another cell to run (``serverless_connect_cell``) instead of the cluster's."""
    scratch = scratch or tempfile.mkdtemp(prefix="journey-clients-")
    os.environ["SPARKMAGIC_CONF_DIR"] = sparkmagic_config(os.path.join(scratch, "sparkmagic"))
    os.environ["IPYTHONDIR"] = os.path.join(scratch, "ipython")

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Application, Config

    config = Config()
    config.HistoryManager.enabled = False  # no sqlite history in $HOME
    config.InteractiveShell.colors = "NoColor"  # tracebacks land in the report as plain text
    shell = InteractiveShell.instance(config=config)
    Application.instance().kernel = IPythonKernel()

    probes: list[dict] = []
    waits: list[dict] = []
    printed = io.StringIO()
    cell = cell or connect_cell(cluster_id, auth_type, language, assumable_role_arn, emr_execution_role_arn)
    error = None
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        import importlib

        # Importing the magic module makes its first AWS call (STS
        # GetCallerIdentity, for its service metrics): inside the guard.
        module = importlib.import_module(ANALYTICS_MODULE)
        _stand_in_probes(module, probes, livy_port_open, livy_tls)
        _stand_in_waits(module, waits)
        module.SAGEMAKER_ANALYTICS_LOG_BASE_DIRECTORY = os.path.join(scratch, "sagemaker_analytics_logs")
        result = shell.run_cell(cell, store_history=False)
        if result.error_before_exec or result.error_in_exec:
            exc = result.error_before_exec or result.error_in_exec
            error = f"{type(exc).__name__}: {exc}"

    replies = _responses(printed.getvalue())
    livy_url = None
    if recorder.livy:
        from urllib.parse import urlsplit

        first = urlsplit(recorder.livy[0]["url"])
        livy_url = f"{first.scheme}://{first.netloc}"
    elif probes and livy_port_open:
        tcp = next(p for p in probes if p["probe"] == "tcp")
        livy_url = f"{'https' if livy_tls else 'http'}://{tcp['host']}:{tcp['port']}"
    return {
        "cell": cell,
        "error": error,
        "replies": replies,
        "livy_probes": probes,
        "waits": waits,
        "livy_requests": list(recorder.livy),
        "livy_url": livy_url,
        "printed": printed.getvalue()[-6000:],
    }
