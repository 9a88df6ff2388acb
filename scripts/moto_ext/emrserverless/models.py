"""moto's EMR Serverless backend with what the platform's applications and Studio's connect path use.

moto 5.2.1 creates applications STARTED (AWS creates them CREATED, and the Terraform provider waits for
CREATED), has no interactive configuration (the Livy endpoint), architecture or tagging operations,
takes any network configuration, and lets StartApplication revive a TERMINATED application.
:class:`EmrServerlessStudioBackend` keeps the rest of moto's backend (job runs, its refusals of a delete
or update outside CREATED and STOPPED); each change cites the AWS API reference page it follows.

``emrserverless_backends`` is moto's own BackendDict, which builds this class once ``install()``
(``__init__.py``) has run.
"""
from __future__ import annotations

import re
from typing import Any

from moto.core.utils import utcnow
from moto.emrserverless.exceptions import ResourceNotFoundException, ValidationException
from moto.emrserverless.models import Application, EMRServerlessBackend, emrserverless_backends  # noqa: F401

# Application states an update or a delete accepts (UpdateApplication, DeleteApplication: "An application
# has to be in a stopped or created state in order to be updated/deleted").
IDLE_STATES = ("CREATED", "STOPPED")
# "Livy endpoints are available with Amazon EMR releases 6.14.0 and higher"
# (https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/interactive-workloads-livy-endpoints.html).
LIVY_RELEASE = (6, 14)
ARCHITECTURES = ("X86_64", "ARM64")


def _release(label: str) -> tuple[int, int]:
    match = re.match(r"^emr-(\d+)\.(\d+)\.", label or "")
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


class StudioApplication(Application):
    """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_Application.html: created in
    state CREATED, with ``architecture`` (X86_64 unless given) and ``interactiveConfiguration``
    (https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_InteractiveConfiguration.html)."""

    def __init__(self, *, architecture: str | None, interactive_configuration: dict | None, **kwargs: Any):
        super().__init__(**kwargs)
        self.state = "CREATED"
        self.architecture = architecture or "X86_64"
        self.interactive_configuration = interactive_configuration


class EmrServerlessStudioBackend(EMRServerlessBackend):
    def create_application(self, *, architecture: str | None = None,  # type: ignore[override]
                           interactive_configuration: dict | None = None, **kwargs: Any) -> Application:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_CreateApplication.html"""
        self._check_architecture(architecture)
        self._check_interactive(kwargs["release_label"], interactive_configuration)
        self._check_network(kwargs.get("network_configuration"))
        # AWS takes the engine in any case (the Terraform provider sends "spark"; the CLI examples "SPARK");
        # moto's check accepts upper case only.
        kwargs["application_type"] = (kwargs.get("application_type") or "").upper()
        probe = super().create_application(**kwargs)  # moto's checks of type and release label
        del self.applications[probe.id]
        application = StudioApplication(
            architecture=architecture, interactive_configuration=interactive_configuration,
            name=kwargs["name"], release_label=kwargs["release_label"],
            application_type=kwargs["application_type"], client_token=kwargs["client_token"],
            account_id=self.account_id, region_name=self.region_name,
            initial_capacity=kwargs["initial_capacity"], maximum_capacity=kwargs["maximum_capacity"],
            tags=kwargs["tags"], auto_start_configuration=kwargs["auto_start_configuration"],
            auto_stop_configuration=kwargs["auto_stop_configuration"],
            network_configuration=kwargs["network_configuration"])
        application.arn = application.arn.replace("arn:aws:", f"arn:{self.partition}:", 1)
        self.applications[application.id] = application
        return application

    def update_application(self, application_id: str, *, release_label: str | None = None,  # type: ignore[override]
                           architecture: str | None = None, interactive_configuration: dict | None = None,
                           **kwargs: Any) -> Application:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_UpdateApplication.html:
        also releaseLabel, architecture and interactiveConfiguration; the network configuration is checked
        as on create. moto refuses an application outside CREATED and STOPPED, as AWS does."""
        application = self.get_application(application_id)
        if application.state in IDLE_STATES:
            self._check_architecture(architecture)
            self._check_interactive(release_label or application.release_label,
                                    interactive_configuration or application.interactive_configuration)
            self._check_network(kwargs.get("network_configuration"))
        application = super().update_application(application_id, **kwargs)
        if release_label:
            application.release_label = release_label
        if architecture:
            application.architecture = architecture
        if interactive_configuration is not None:
            application.interactive_configuration = interactive_configuration
        return application

    def start_application(self, application_id: str) -> None:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_StartApplication.html: a
        TERMINATED application cannot start (moto revived it). A started one stays started (Studio's connect
        calls StartApplication on every connect)."""
        self._check_not_terminated(application_id, "start")
        super().start_application(application_id)
        self.applications[application_id].updated_at = utcnow()

    def stop_application(self, application_id: str) -> None:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_StopApplication.html"""
        self._check_not_terminated(application_id, "stop")
        super().stop_application(application_id)
        self.applications[application_id].updated_at = utcnow()

    # -- tags -------------------------------------------------------------------------------------
    def tag_resource(self, resource_arn: str, tags: dict[str, str]) -> None:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_TagResource.html"""
        self._by_arn(resource_arn).tags.update(tags or {})

    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> None:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_UntagResource.html"""
        tags = self._by_arn(resource_arn).tags
        for key in tag_keys or []:
            tags.pop(key, None)

    def list_tags_for_resource(self, resource_arn: str) -> dict[str, str]:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_ListTagsForResource.html"""
        return dict(self._by_arn(resource_arn).tags)

    # -- checks -----------------------------------------------------------------------------------
    def _by_arn(self, arn: str) -> Any:
        for application in self.applications.values():
            if application.arn == arn:
                return application
            for job_run in self.job_runs.get(application.id, []):
                if job_run.arn == arn:
                    job_run.tags = job_run.tags or {}
                    return job_run
        raise ResourceNotFoundException(arn, "Resource")

    def _check_not_terminated(self, application_id: str, verb: str) -> None:
        if self.get_application(application_id).state == "TERMINATED":
            raise ValidationException(f"Application {application_id} is terminated and cannot {verb}.")

    @staticmethod
    def _check_architecture(architecture: str | None) -> None:
        # Architecture: X86_64 | ARM64 (API_CreateApplication.html).
        if architecture is not None and architecture not in ARCHITECTURES:
            raise ValidationException(f"1 validation error detected: Value '{architecture}' at 'architecture' "
                                      f"failed to satisfy constraint: Member must satisfy enum value set: "
                                      f"[{', '.join(ARCHITECTURES)}]")

    @staticmethod
    def _check_interactive(release_label: str, interactive: dict | None) -> None:
        if interactive and interactive.get("livyEndpointEnabled") and _release(release_label) < LIVY_RELEASE:
            raise ValidationException(f"Livy endpoint is not supported for release label '{release_label}'. "
                                      f"Use emr-{LIVY_RELEASE[0]}.{LIVY_RELEASE[1]}.0 or later.")

    def _check_network(self, network: dict | None) -> None:
        """https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_NetworkConfiguration.html:
        the subnets and security groups of the application's network interfaces, which must exist, in one
        VPC (an interface's groups belong to its subnet's VPC)."""
        if not network:
            return
        from moto.ec2.exceptions import InvalidSubnetIdError
        from moto.ec2.models import ec2_backends

        ec2 = ec2_backends[self.account_id][self.region_name]
        vpcs = set()
        for subnet_id in network.get("subnetIds") or []:
            try:
                vpcs.add(ec2.get_subnet(subnet_id).vpc_id)
            except InvalidSubnetIdError:
                raise ValidationException(f"The subnet ID '{subnet_id}' does not exist") from None
        for group_id in network.get("securityGroupIds") or []:
            group = ec2.get_security_group_from_id(group_id)
            if group is None:
                raise ValidationException(f"The security group '{group_id}' does not exist")
            vpcs.add(group.vpc_id)
        if len(vpcs) > 1:
            raise ValidationException("The subnets and security groups of the network configuration must "
                                      f"belong to one VPC; they are in {', '.join(sorted(vpcs))}")
