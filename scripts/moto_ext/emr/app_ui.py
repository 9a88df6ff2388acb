"""Application UIs and runtime-role credentials: the EMR operations Studio's
JupyterLab EMR extension and ``%sm_analytics emr connect`` call that moto
lacks. The backend methods that use these are in ``models.py``.

Presigned URLs: the API reference documents only that a URL comes back
(``PresignedURL``, ``PresignedURLReady``), not its host. Ours name the
cluster's master node and the UI's documented port
(https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-web-interfaces.html)
with a one-off token: plausible, and no client that opened one could leave
loopback for AWS (the names are internal DNS names of no real host). Nothing
in the emulator ever fetches them.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.emr.exceptions import InvalidRequestException
from moto.moto_api._internal import mock_random

from .instances import TERMINAL_STATES

# OnClusterAppUIType -> (port, path) on the master node (the on-cluster UIs of
# emr-web-interfaces.html; ApplicationMaster goes through YARN's web proxy).
ON_CLUSTER_UIS = {
    "ResourceManager": (8088, "/cluster"),
    "ApplicationMaster": (20888, "/proxy/{application}/"),
    "SparkHistoryServer": (18080, "/history/{application}/"),
    "YarnTimelineService": (8188, "/applicationhistory/app/{application}"),
    "JobHistoryServer": (19888, "/jobhistory/"),
    "TezUI": (8080, "/tez-ui/"),
}
# PersistentAppUIType -> the same servers' paths, for the off-cluster copies.
PERSISTENT_UIS = {"SHS": (18080, "/history/{application}/"), "TEZ": (8080, "/tez-ui/"),
                  "YTS": (8188, "/applicationhistory/app/{application}")}


def runtime_roles_enabled(security_configuration: str | None) -> bool:
    """A cluster takes runtime roles when its security configuration sets
    AuthorizationConfiguration.IAMConfiguration.EnableApplicationScopedIAMRole
    (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-steps-runtime-roles.html)."""
    try:
        document = json.loads(security_configuration or "{}")
    except ValueError:
        return False
    iam = ((document.get("AuthorizationConfiguration") or {}).get("IAMConfiguration") or {})
    return iam.get("EnableApplicationScopedIAMRole") is True


def presigned_url(host: str, port: int, path: str, application_id: str | None) -> str:
    path = path.format(application=application_id or "") if "{application}" in path else path
    path = path.replace("//", "/")
    return f"http://{host}:{port}{path}?authToken={uuid.uuid4().hex}"


def require_active(cluster: Any, operation: str) -> None:
    """On-cluster servers answer only while the cluster runs."""
    if cluster.state in TERMINAL_STATES:
        raise InvalidRequestException(f"{operation} is not available for cluster {cluster.id} in state "
                                      f"{cluster.state}.")


def ui_types(cluster: Any) -> list[str]:
    """The persistent UIs a cluster offers (API_PersistentAppUI.html: "SHS, YTS,
    or TEZ"): the Spark history server for Spark, the Tez UI for Tez, YARN's
    timeline server always."""
    names = {(a.name or "").lower() for a in cluster.applications}
    return [t for t, app in (("SHS", "spark"), ("TEZ", "tez")) if app in names] + ["YTS"]


class PersistentAppUI:
    """https://docs.aws.amazon.com/emr/latest/APIReference/API_PersistentAppUI.html"""

    def __init__(self, cluster: Any, tags: list[dict[str, str]] | None, profiler_type: str | None) -> None:
        self.id = f"p-{mock_random.get_random_string(length=13, lower_case=True)}"
        self.cluster = cluster
        self.target_arn = cluster.arn
        self.types = ui_types(cluster)
        self.profiler_type = profiler_type
        self.tags = list(tags or [])
        self.creation_time: datetime = utcnow()
        self.last_modified_time: datetime = self.creation_time

    def describe(self) -> dict[str, Any]:
        return {"PersistentAppUIId": self.id, "PersistentAppUITypeList": self.types,
                # Attached to its cluster for as long as it exists: persistent UIs
                # are hosted off the cluster, which is why they outlive it (EMR
                # Management Guide, "persistent application user interfaces").
                "PersistentAppUIStatus": "ATTACHED",
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
                "Tags": self.tags}

    def url(self, ui_type: str | None, application_id: str | None) -> str:
        ui_type = ui_type or self.types[0]
        if ui_type not in self.types:
            raise InvalidRequestException(f"Persistent application UI {self.id} has no {ui_type} interface; "
                                          f"it offers {', '.join(self.types)}.")
        port, path = PERSISTENT_UIS[ui_type]
        return presigned_url(self.cluster.master_public_dns_name or self.cluster.id, port, path, application_id)


def session_credentials(backend: Any, cluster: Any, execution_role_arn: str | None) -> dict[str, Any]:
    """https://docs.aws.amazon.com/emr/latest/APIReference/API_GetClusterSessionCredentials.html

    "Provides temporary, HTTP basic credentials that are associated with a
    given runtime IAM role and used by a cluster with fine-grained access
    control activated." The page lists InvalidRequestException for wrong
    input; AWS's messages are not documented, ours say what is wrong. Refused:
    a cluster that has ended, one whose security configuration does not enable
    runtime roles, no ExecutionRoleArn (we do not emulate Identity Center
    clusters, the only ones that go without), a role that does not exist.
    """
    require_active(cluster, "GetClusterSessionCredentials")
    configuration = backend.security_configurations.get(cluster.security_configuration or "")
    if configuration is None or not runtime_roles_enabled(configuration.security_configuration):
        raise InvalidRequestException(
            f"Cluster {cluster.id} does not have runtime roles enabled: its security configuration must set "
            "AuthorizationConfiguration.IAMConfiguration.EnableApplicationScopedIAMRole.")
    if not execution_role_arn:
        raise InvalidRequestException("ExecutionRoleArn is required for a cluster with runtime roles.")
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    partition = get_partition(backend.region_name)
    role_account = execution_role_arn.split(":")[4] if execution_role_arn.count(":") >= 5 else ""
    try:
        iam_backends[role_account][partition].get_role_by_arn(execution_role_arn)
    except Exception:  # noqa: BLE001 - moto's IAMNotFoundException, or an ARN of no account: the role is not there
        raise InvalidRequestException(
            f"Runtime role {execution_role_arn} cannot be assumed: it does not exist.") from None
    # EMR assumes the runtime role for the session; moto's STS records the
    # session, so its key acts as the role wherever moto checks who calls.
    # The lifetime is not documented: STS's default hour.
    assumed = sts_backends[backend.account_id][partition].assume_role(
        region_name=backend.region_name, role_session_name=cluster.id, role_arn=execution_role_arn,
        policy=None, duration=3600, external_id=None)
    return {"Credentials": {"UsernamePassword": {"Username": assumed.access_key_id,
                                                 "Password": assumed.secret_access_key}},
            "ExpiresAt": assumed.expiration}
