"""moto's EMR Serverless responses on our backend, with the members moto drops (architecture,
interactiveConfiguration, releaseLabel on update) and the tagging operations. Each operation's AWS page
is cited at the backend method it calls (``models.py``).

Request parameters come parsed by moto from the botocore model (``automated_parameter_parsing``);
replies are serialized from the operation's output shape, so attributes carry AWS's members.
"""
from __future__ import annotations

from urllib.parse import unquote

from moto.core.responses import ActionResult, EmptyResult, PaginatedResult
from moto.emrserverless.responses import EMRServerlessResponse

from .models import EmrServerlessStudioBackend, emrserverless_backends


class EmrServerlessStudioResponse(EMRServerlessResponse):
    @property
    def emrserverless_backend(self) -> EmrServerlessStudioBackend:  # type: ignore[override]
        return emrserverless_backends[self.current_account][self.region]  # type: ignore[return-value]

    def create_application(self) -> ActionResult:
        application = self.emrserverless_backend.create_application(
            name=self._get_param("name"), release_label=self._get_param("releaseLabel"),
            application_type=self._get_param("type"), client_token=self._get_param("clientToken"),
            initial_capacity=self._get_param("initialCapacity"),
            maximum_capacity=self._get_param("maximumCapacity"), tags=self._get_param("tags"),
            auto_start_configuration=self._get_param("autoStartConfiguration"),
            auto_stop_configuration=self._get_param("autoStopConfiguration"),
            network_configuration=self._get_param("networkConfiguration"),
            architecture=self._get_param("architecture"),
            interactive_configuration=self._get_param("interactiveConfiguration"))
        return ActionResult({"applicationId": application.id, "name": application.name, "arn": application.arn})

    def update_application(self) -> ActionResult:
        application = self.emrserverless_backend.update_application(
            self._get_param("applicationId"),
            initial_capacity=self._get_param("initialCapacity"),
            maximum_capacity=self._get_param("maximumCapacity"),
            auto_start_configuration=self._get_param("autoStartConfiguration"),
            auto_stop_configuration=self._get_param("autoStopConfiguration"),
            network_configuration=self._get_param("networkConfiguration"),
            release_label=self._get_param("releaseLabel"), architecture=self._get_param("architecture"),
            interactive_configuration=self._get_param("interactiveConfiguration"))
        return ActionResult({"application": application})

    def list_applications(self) -> ActionResult:
        """ApplicationSummary has architecture too
        (https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_ApplicationSummary.html)."""
        applications = self.emrserverless_backend.list_applications(states=self._get_param("states", []))
        return PaginatedResult({"applications": [
            {"id": a.id, "name": a.name, "arn": a.arn, "releaseLabel": a.release_label, "type": a.type,
             "state": a.state, "stateDetails": a.state_details, "createdAt": a.created_at,
             "updatedAt": a.updated_at, "architecture": getattr(a, "architecture", "X86_64")}
            for a in applications]})

    # -- tags -------------------------------------------------------------------------------------
    def _resource_arn(self) -> str:
        return unquote(self._get_param("resourceArn"))

    def tag_resource(self) -> ActionResult:
        self.emrserverless_backend.tag_resource(self._resource_arn(), self._get_param("tags"))
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        self.emrserverless_backend.untag_resource(self._resource_arn(), self._get_param("tagKeys"))
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.emrserverless_backend.list_tags_for_resource(self._resource_arn())})
