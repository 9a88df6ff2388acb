"""The JupyterLab EMR extension's cluster view, run through its own handlers.

The frontend (labextension ``static/603.*.js``) POSTs JSON to the server
extension's routes in this order when a user opens the EMR cluster list and
picks a cluster: ``fetch-emr-roles`` (assumable / execution roles of the user
profile, space or domain), ``list-clusters`` with ``ClusterStates
[RUNNING, WAITING]`` (following ``Marker``), ``describe-cluster``,
``describe-security-configuration`` (when the cluster names one) and
``list-instance-groups``; the Spark UI buttons add
``get-on-cluster-app-ui-presigned-url`` (``OnClusterAppUIType
ApplicationMaster``) or ``create-persistent-app-ui`` /
``describe-persistent-app-ui`` / ``get-persistent-app-ui-presigned-url``.

Each step here runs the handler class's own ``post`` (its JSON-schema check,
``RoleArn`` handling, aiobotocore client, converter and error mapping to an
HTTP status) on a stand-in for the tornado request: ``get_json_body`` returns
the frontend's body, ``finish``/``set_status`` capture the reply, and
``current_user`` is set, which is all ``@web.authenticated`` checks. A real
jupyter_server would add routing and XSRF/token checks, nothing on the AWS
side.
"""

from __future__ import annotations

import asyncio
import json
import logging

_LOG = logging.getLogger("journey.clients.emr_extension")

LIST_STATES = ["RUNNING", "WAITING"]  # what the frontend asks for


def _harness(handler_cls, body: dict | None):
    class Harness(handler_cls):
        current_user = "studio-user"  # @web.authenticated only checks that there is one
        log = _LOG  # the extension's own logger writes Studio's log files

        def __init__(self):  # no tornado Application/HTTPServerRequest
            self.reply_status, self.reply = 200, None

        def get_json_body(self):
            return json.loads(json.dumps(body)) if body is not None else None

        def set_header(self, *_):
            pass

        def set_status(self, code, reason=None):
            self.reply_status = code

        def finish(self, chunk=None):
            self.reply = chunk

    return Harness()


async def _post(route: str, body: dict | None) -> dict:
    from sagemaker_jupyterlab_emr_extension import handlers

    handler_cls = {
        "describe-cluster": handlers.DescribeClusterHandler,
        "describe-security-configuration": handlers.DescribeSecurityConfigurationHandler,
        "list-clusters": handlers.ListClustersHandler,
        "list-instance-groups": handlers.ListInstanceGroupsHandler,
        "create-persistent-app-ui": handlers.CreatePersistentAppUiHandler,
        "describe-persistent-app-ui": handlers.DescribePersistentAppUiHandler,
        "get-persistent-app-ui-presigned-url": handlers.GetPersistentAppUiPresignedUrlHandler,
        "get-on-cluster-app-ui-presigned-url": handlers.GetOnClustersAppUiPresignedUrlHandler,
        "fetch-emr-roles": handlers.FetchEMRRolesHandler,
        "emr-serverless/list-applications": handlers.ListServerlessApplicationsHandler,
        "emr-serverless/get-application": handlers.GetServerlessApplicationHandler,
    }[route]
    handler = _harness(handler_cls, body)
    await handler.post()
    try:
        reply = json.loads(handler.reply) if handler.reply else None
    except ValueError:
        reply = handler.reply
    return {"route": route, "request": body, "status": handler.reply_status, "reply": reply}


async def _view(cluster_id: str, with_roles: bool, with_app_ui: bool, role_arn: str | None) -> list[dict]:
    steps: list[dict] = []
    extra = {"RoleArn": role_arn} if role_arn else {}
    if with_roles:
        steps.append(await _post("fetch-emr-roles", {}))
    marker = None
    while True:  # the frontend follows Marker until it is empty
        body = {"ClusterStates": LIST_STATES, **({"Marker": marker} if marker else {}), **extra}
        steps.append(await _post("list-clusters", body))
        marker = (steps[-1]["reply"] or {}).get("Marker") if steps[-1]["status"] == 200 else None
        if not marker:
            break
    steps.append(await _post("describe-cluster", {"ClusterId": cluster_id, **extra}))
    cluster = (steps[-1]["reply"] or {}).get("cluster") or {}
    sec_conf = cluster.get("securityConfiguration")
    if sec_conf:
        steps.append(await _post("describe-security-configuration",
                                 {"ClusterId": cluster_id, "SecurityConfigurationName": sec_conf, **extra}))
    steps.append(await _post("list-instance-groups", {"ClusterId": cluster_id, **extra}))
    if with_app_ui:
        # ApplicationId: a YARN application id; the on-cluster UI call is what
        # the "Spark UI" link of a running application sends.
        steps.append(await _post("get-on-cluster-app-ui-presigned-url", {
            "ClusterId": cluster_id, "OnClusterAppUIType": "ApplicationMaster",
            "ApplicationId": "application_0000000000000_0001", **extra}))
        if cluster.get("clusterArn"):
            steps.append(await _post("create-persistent-app-ui", {"TargetResourceArn": cluster["clusterArn"], **extra}))
            ui_id = (steps[-1]["reply"] or {}).get("persistentAppUIId") or "p-unknown"
            steps.append(await _post("describe-persistent-app-ui", {"PersistentAppUIId": ui_id, **extra}))
            steps.append(await _post("get-persistent-app-ui-presigned-url",
                                     {"PersistentAppUIId": ui_id, "PersistentAppUIType": "SHS", **extra}))
    return steps


def run_cluster_view(cluster_id: str, with_roles: bool = False, with_app_ui: bool = True,
                     role_arn: str | None = None) -> dict:
    """Runs the view. ``with_roles`` adds ``fetch-emr-roles``, which reads
    DomainId/SpaceName from Studio's resource metadata file: the runner points
    ``RESOURCE_METADATA_FILE`` at one before anything is imported."""
    steps = asyncio.run(_view(cluster_id, with_roles, with_app_ui, role_arn))
    return {"steps": steps, "ok": all(s["status"] == 200 for s in steps)}


# What the frontend asks for when it lists EMR Serverless applications (static/603.*.js).
SERVERLESS_LIST_STATES = ["STARTED", "CREATED", "STOPPED"]


async def _serverless_view(application_id: str, with_roles: bool, role_arn: str | None) -> list[dict]:
    """The EMR Serverless tab: ``fetch-emr-roles``, ``list-applications`` (following ``nextToken``, with
    ``roleArn`` for another account's), then ``get-application`` of the one picked (``RoleArn``)."""
    steps: list[dict] = []
    if with_roles:
        steps.append(await _post("fetch-emr-roles", {}))
    token = None
    while True:
        body = {"states": SERVERLESS_LIST_STATES, **({"nextToken": token} if token else {}),
                **({"roleArn": role_arn} if role_arn else {})}
        steps.append(await _post("emr-serverless/list-applications", body))
        token = (steps[-1]["reply"] or {}).get("nextToken") if steps[-1]["status"] == 200 else None
        if not token:
            break
    steps.append(await _post("emr-serverless/get-application",
                             {"applicationId": application_id, **({"RoleArn": role_arn} if role_arn else {})}))
    return steps


def run_serverless_view(application_id: str, with_roles: bool = False, role_arn: str | None = None) -> dict:
    """Runs the EMR Serverless view (see ``run_cluster_view`` for ``with_roles``)."""
    steps = asyncio.run(_serverless_view(application_id, with_roles, role_arn))
    return {"steps": steps, "ok": all(s["status"] == 200 for s in steps)}
