"""One run of AWS's Studio client code against the emulator, in this process.

Order matters: the environment is set (credentials of the assumed Studio
role, region, the emulator's CA, scratch folders instead of $HOME and /var)
and the network guard installed *before* any client package is imported,
because importing them already calls AWS (STS GetCallerIdentity for the
analytics extension's metrics; SageMaker DescribeDomain for dual-stack
detection when Studio's metadata file is present). Use
``scripts.journey.clients.run`` to get a fresh process per run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import traceback

from . import netguard

# Variables that could route a client elsewhere or pick other credentials.
_CLEARED_PREFIXES = ("AWS_",)
_CLEARED = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _prepare_env(region: str, credentials: dict, ca_bundle: str | None, scratch: str,
                 resource_metadata: dict | None) -> None:
    for key in list(os.environ):
        if key.startswith(_CLEARED_PREFIXES) or key in _CLEARED:
            del os.environ[key]
    metadata_path = os.path.join(scratch, "resource-metadata.json")
    with open(metadata_path, "w") as fh:
        json.dump(resource_metadata or {}, fh)
    os.environ.update({
        # Studio hands the kernel its execution role's credentials; env vars are
        # the same credential chain step for boto3, botocore and aiobotocore.
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "*",
        # Studio's metadata file (DomainId, SpaceName, ...) as the common package reads it.
        "RESOURCE_METADATA_FILE": metadata_path,
        "IPYTHONDIR": os.path.join(scratch, "ipython"),
        "JUPYTER_CONFIG_DIR": os.path.join(scratch, "jupyter"),
        "JUPYTER_DATA_DIR": os.path.join(scratch, "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": os.path.join(scratch, "jupyter-runtime"),
    })
    if credentials.get("SessionToken"):
        os.environ["AWS_SESSION_TOKEN"] = credentials["SessionToken"]
    if ca_bundle:
        os.environ["AWS_CA_BUNDLE"] = ca_bundle  # the emulator's certificate, nothing else


def run_in_process(endpoint_url: str, region: str, credentials: dict, cluster_id: str,
                   ca_bundle: str | None = None, auth_type: str = "None", language: str = "python",
                   assumable_role_arn: str | None = None, emr_execution_role_arn: str | None = None,
                   livy_port_open: bool = True, livy_tls: bool = False, view: bool = True,
                   app_ui: bool = True, resource_metadata: dict | None = None,
                   application_id: str | None = None) -> dict:
    """``application_id``: connect to that EMR Serverless application (``%sm_analytics emr-serverless
    connect``) and run the extension's serverless view, instead of the cluster ``cluster_id``'s."""
    started = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="journey-clients-")
    try:
        _prepare_env(region, credentials, ca_bundle, scratch, resource_metadata)
        recorder = netguard.install(endpoint_url)
        timings: dict[str, float] = {}
        errors: list[str] = []

        from . import connect

        recorder.phase = "connect"
        t0 = time.monotonic()
        try:
            cell = connect.serverless_connect_cell(application_id, language, assumable_role_arn,
                                                   emr_execution_role_arn) if application_id else None
            connected = connect.run_connect(recorder, cluster_id, auth_type, language, assumable_role_arn,
                                            emr_execution_role_arn, livy_port_open, livy_tls, scratch, cell=cell)
            if connected["error"]:
                errors.append(f"connect: {connected['error']}")
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on to the view
            connected = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
            errors.append(f"connect: {connected['error']}")
        timings["connect_s"] = round(time.monotonic() - t0, 2)

        viewed = None
        if view:
            from . import cluster_view

            recorder.phase = "cluster_view"
            t0 = time.monotonic()
            try:
                # Another account's cluster: the frontend sends the assumable role as
                # RoleArn, and the extension assumes it (sts:AssumeRole) per request.
                viewed = cluster_view.run_serverless_view(
                    application_id, with_roles=bool(resource_metadata), role_arn=assumable_role_arn
                ) if application_id else cluster_view.run_cluster_view(
                    cluster_id, with_roles=bool(resource_metadata), with_app_ui=app_ui, role_arn=assumable_role_arn)
                errors.extend(f"cluster view: {s['route']} answered {s['status']}: {str(s['reply'])[:300]}"
                              for s in viewed["steps"] if s["status"] != 200)
            except Exception as exc:  # noqa: BLE001
                viewed = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
                errors.append(f"cluster view: {viewed['error']}")
            timings["cluster_view_s"] = round(time.monotonic() - t0, 2)

        connect_calls = [c for c in recorder.calls if c["phase"] in ("start", "connect")]
        timings["total_s"] = round(time.monotonic() - started, 2)
        return {
            # The connect path reached the point of opening Livy with every AWS call answered.
            "connect_ok": bool(recorder.livy) and all(c["outcome"] == "ok" for c in connect_calls),
            "livy_url": connected.get("livy_url"),
            "livy_note": "no Livy server here: the request sparkmagic would send is recorded, not sent",
            "aws_calls": recorder.calls,
            "refused": recorder.refused,
            "connect": connected,
            "cluster_view": viewed,
            "errors": errors,
            "timings": timings,
        }
    finally:
        # Its folders (sparkmagic's configuration and logs, IPython's, the metadata file) were read above.
        shutil.rmtree(scratch, ignore_errors=True)
