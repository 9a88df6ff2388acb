"""moto's EMR responses on our backend, with the Region taken as AWS clients
send it, ListInstances' state filter, and the operations Studio's EMR
extension calls that moto lacks. Each handler's AWS page is cited at the
backend method it calls (``models.py``).

Request parameters come parsed by moto from the botocore model
(``automated_parameter_parsing``); replies are serialized from the
operation's output shape, so each method returns members by their AWS names.
"""
from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, BaseResponse, PaginatedResult
from moto.emr.responses import ElasticMapReduceResponse

from .models import EmrStudioBackend, emr_backends


class EmrStudioResponse(ElasticMapReduceResponse):
    def get_region_from_url(self, request: Any, full_url: str) -> str:
        """moto reads EMR's Region only from an ``elasticmapreduce`` hostname,
        so every call to the emulator's https://127.0.0.1:PORT landed in
        us-east-1 whatever the client's Region. Clients sign with SigV4, whose
        credential scope names the Region
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
        failing the hostname, read it there, as moto's BaseResponse does for
        the other services."""
        for regex in self.emr_region_regex:
            match = regex.search(self.parsed_url.netloc)
            if match:
                return match.group(1)
        return BaseResponse.get_region_from_url(self, request, full_url)

    @property
    def backend(self) -> EmrStudioBackend:
        return emr_backends[self.current_account][self.region]  # type: ignore[return-value]

    def list_instances(self) -> ActionResult:
        instances = self.backend.list_instances(
            self._get_param("ClusterId"), instance_group_id=self._get_param("InstanceGroupId"),
            instance_group_types=self._get_param("InstanceGroupTypes"),
            instance_states=self._get_param("InstanceStates"))
        return PaginatedResult({"Instances": instances})

    # -- application UIs ----------------------------------------------------------
    def get_on_cluster_app_ui_presigned_url(self) -> ActionResult:
        return ActionResult(self.backend.get_on_cluster_app_ui_presigned_url(
            self._get_param("ClusterId"), self._get_param("OnClusterAppUIType"),
            self._get_param("ApplicationId"), bool(self._get_param("DryRun"))))

    def create_persistent_app_ui(self) -> ActionResult:
        ui, runtime_roles = self.backend.create_persistent_app_ui(
            self._get_param("TargetResourceArn"), self._get_param("Tags"), self._get_param("ProfilerType"))
        return ActionResult({"PersistentAppUIId": ui.id, "RuntimeRoleEnabledCluster": runtime_roles})

    def describe_persistent_app_ui(self) -> ActionResult:
        ui = self.backend.describe_persistent_app_ui(self._get_param("PersistentAppUIId"))
        return ActionResult({"PersistentAppUI": ui.describe()})

    def get_persistent_app_ui_presigned_url(self) -> ActionResult:
        return ActionResult(self.backend.get_persistent_app_ui_presigned_url(
            self._get_param("PersistentAppUIId"), self._get_param("PersistentAppUIType"),
            self._get_param("ApplicationId")))

    # -- runtime roles -----------------------------------------------------------------
    def get_cluster_session_credentials(self) -> ActionResult:
        return ActionResult(self.backend.get_cluster_session_credentials(
            self._get_param("ClusterId"), self._get_param("ExecutionRoleArn")))
