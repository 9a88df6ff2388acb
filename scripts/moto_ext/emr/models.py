"""moto's EMR backend with what a Studio notebook's connect path reads.

moto 5.2.1's clusters answer DescribeCluster without InstanceCollectionType
and with a MasterPublicDnsName that matches no instance, ListInstanceGroups
without Configurations (and RunJobFlow fails on a group that has some), have
no EC2 instances unless RunJobFlow names InstanceGroups (and then leaves them
running after the cluster ends), and lack the app-UI and runtime-role
operations. :class:`EmrStudioBackend` keeps everything else of moto's backend;
each change cites the AWS API reference page it follows.

``emr_backends`` is moto's own BackendDict, which builds this class once
``install()`` (``__init__.py``) has run.
"""
from __future__ import annotations

from typing import Any

from moto.emr.exceptions import InvalidRequestException
from moto.emr.models import Cluster, ElasticMapReduceBackend, Instance, InstanceGroup, emr_backends  # noqa: F401
from moto.emr.utils import random_id

from . import app_ui, instances
from .app_ui import PersistentAppUI


class StudioInstance(Instance):
    """https://docs.aws.amazon.com/emr/latest/APIReference/API_Instance.html:
    ``ci-`` ids (moto's look like EC2's ``i-``), and the state of the EC2
    instance itself (moto's follows the group, so a node removed by a resize
    would still be RUNNING)."""

    def __init__(self, ec2_instance: Any, instance_group: StudioInstanceGroup) -> None:
        super().__init__(ec2_instance, instance_group, instance_id=f"ci-{random_id()}")
        self.instance_fleet_id = None  # a group's instance belongs to no fleet: AWS omits it (moto sent "")

    @property
    def status(self) -> dict[str, Any]:
        status = super().status
        # InstanceState: AWAITING_FULFILLMENT | PROVISIONING | BOOTSTRAPPING | RUNNING | TERMINATED
        status["State"] = "RUNNING" if self.ec2_instance.state in instances.LIVE_EC2_STATES else "TERMINATED"
        return status


class StudioInstanceGroup(InstanceGroup):
    """https://docs.aws.amazon.com/emr/latest/APIReference/API_InstanceGroup.html:
    ``ig-`` ids, the group's Configurations (a list, empty when none: the
    analytics magic iterates the MASTER group's list) and CustomAmiId, which
    InstanceGroupConfig allows and moto's constructor refuses, and the
    running count of its EC2 instances."""

    def __init__(self, configurations: list[Any] | None = None, custom_ami_id: str | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("instance_group_id", f"ig-{random_id()}")
        super().__init__(**kwargs)
        self.configurations = list(configurations or [])
        self.custom_ami_id = custom_ami_id
        self.instances: list[StudioInstance] = []

    @property
    def running_instance_count(self) -> int:
        return sum(1 for i in self.instances if i.ec2_instance.state in instances.LIVE_EC2_STATES)

    @property
    def instance_running_count(self) -> int:
        return self.running_instance_count


class StudioCluster(Cluster):
    """https://docs.aws.amazon.com/emr/latest/APIReference/API_Cluster.html"""

    def __init__(self, emr_backend: EmrStudioBackend, **kwargs: Any) -> None:
        # moto's constructor adds the groups of MasterInstanceType/SlaveInstanceType
        # before it knows the subnet and security groups: instances are launched
        # once it is done (EmrStudioBackend.run_job_flow).
        self.provisioned = False
        super().__init__(emr_backend, **kwargs)

    @property
    def master_public_dns_name(self) -> str | None:  # type: ignore[override]
        """"The DNS name of the master node. If the cluster is on a private
        subnet, this is the private DNS name. On a public subnet, this is the
        public DNS name." None until the master node exists."""
        for instance in self.ec2_instances:
            if instance.instance_group.id == self.master_instance_group_id:
                return instance.public_dns_name or instance.private_dns_name
        return None

    @property
    def instance_collection_type(self) -> str:
        """INSTANCE_GROUP | INSTANCE_FLEET: moto builds clusters from instance
        groups only (RunJobFlow ignores Instances.InstanceFleets)."""
        return "INSTANCE_GROUP"

    def terminate(self) -> None:
        """The cluster's EC2 instances end with it, as do its groups
        (https://docs.aws.amazon.com/emr/latest/APIReference/API_TerminateJobFlows.html:
        the cluster terminates and releases "allocated resources, such as
        Amazon EC2 instances"), whichever way it ends (TerminateJobFlows, its
        stack's deletion, no steps left without KeepJobFlowAliveWhenNoSteps)."""
        super().terminate()
        instances.terminate(self.emr_backend, self.ec2_instances)  # type: ignore[arg-type]
        for group in self.instance_groups:
            group.state = "TERMINATED"
            group.end_date_time = self.end_datetime


class EmrStudioBackend(ElasticMapReduceBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.persistent_app_uis: dict[str, PersistentAppUI] = {}

    # -- clusters and their instances ------------------------------------------
    def run_job_flow(self, **kwargs: Any) -> StudioCluster:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_RunJobFlow.html
        (moto's, building our cluster, whose groups then get their instances)."""
        attrs = kwargs["instance_attrs"]
        (attrs["emr_managed_master_security_group"], attrs["emr_managed_slave_security_group"],
         attrs["service_access_security_group"]) = self._manage_security_groups(**attrs)
        cluster = StudioCluster(self, **kwargs)
        cluster.provisioned = True
        for group in cluster.instance_groups:
            instances.reconcile(self, cluster, group)
        return cluster

    def add_instance_groups(self, cluster_id: str, instance_groups: list[dict[str, Any]]) -> list[InstanceGroup]:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_AddInstanceGroups.html
        (also how RunJobFlow and CloudFormation add a cluster's groups)."""
        cluster = self.describe_cluster(cluster_id)
        added = []
        for spec in instance_groups:
            group = StudioInstanceGroup(cluster_id=cluster_id, **spec)
            self.instance_groups[group.id] = group
            cluster.add_instance_group(group)
            added.append(group)
            instances.reconcile(self, cluster, group)  # type: ignore[arg-type]
        return added

    def run_instances(self, cluster_id: str, instances_spec: dict[str, Any], instance_group: InstanceGroup) -> None:
        """moto's RunJobFlow handler launches a group's instances here, after
        AddInstanceGroups has: only what is still missing."""
        instances.reconcile(self, self.clusters[cluster_id], instance_group)  # type: ignore[arg-type]

    def modify_instance_groups(self, instance_groups: list[dict[str, Any]]) -> None:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_ModifyInstanceGroups.html:
        a new InstanceCount launches or terminates nodes."""
        super().modify_instance_groups(instance_groups)
        for spec in instance_groups:
            group = self.instance_groups[spec["instance_group_id"]]
            instances.reconcile(self, self.clusters[group.cluster_id], group)  # type: ignore[arg-type]

    def list_instance_groups(self, cluster_id: str) -> list[InstanceGroup]:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_ListInstanceGroups.html
        (an unknown cluster is InvalidRequestException, moto answered 500)."""
        self.describe_cluster(cluster_id)
        return super().list_instance_groups(cluster_id)

    def list_instances(self, cluster_id: str, instance_group_id: str | None = None,
                       instance_group_types: list[str] | None = None,
                       instance_states: list[str] | None = None) -> list[Instance]:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_ListInstances.html
        (InstanceStates filter; an unknown cluster is InvalidRequestException)."""
        self.describe_cluster(cluster_id)
        found = super().list_instances(cluster_id, instance_group_id=instance_group_id,
                                       instance_group_types=instance_group_types)
        if instance_states:
            found = [i for i in found if i.status["State"] in instance_states]
        return found

    def add_tags(self, cluster_id: str, tags: dict[str, str]) -> None:
        super().add_tags(cluster_id, tags)
        instances.propagate_tags(self, self.clusters[cluster_id], add=tags)  # type: ignore[arg-type]

    def remove_tags(self, cluster_id: str, tag_keys: list[str]) -> None:
        super().remove_tags(cluster_id, tag_keys)
        instances.propagate_tags(self, self.clusters[cluster_id], remove=tag_keys)  # type: ignore[arg-type]

    # -- application UIs ----------------------------------------------------------
    def get_on_cluster_app_ui_presigned_url(self, cluster_id: str, ui_type: str | None,
                                            application_id: str | None, dry_run: bool) -> dict[str, Any]:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_GetOnClusterAppUIPresignedURL.html
        The on-cluster servers run on the master node, so only while the
        cluster does (and a DryRun returns no URL)."""
        cluster = self.describe_cluster(cluster_id)
        app_ui.require_active(cluster, "GetOnClusterAppUIPresignedURL")
        host = cluster.master_public_dns_name
        if host is None:
            raise InvalidRequestException(f"Cluster {cluster_id} has no master node yet.")
        if dry_run:
            return {"PresignedURLReady": True}
        port, path = app_ui.ON_CLUSTER_UIS[ui_type or "ResourceManager"]
        return {"PresignedURLReady": True, "PresignedURL": app_ui.presigned_url(host, port, path, application_id)}

    def _cluster_by_arn(self, arn: str) -> StudioCluster:
        for cluster in self.clusters.values():
            if cluster.arn == arn:
                return cluster  # type: ignore[return-value]
        raise InvalidRequestException(f"Target resource {arn} is not an EMR cluster of this account and Region.")

    def create_persistent_app_ui(self, target_resource_arn: str, tags: list[dict[str, str]] | None,
                                 profiler_type: str | None) -> tuple[PersistentAppUI, bool]:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_CreatePersistentAppUI.html
        One persistent UI per cluster: a second call for the same cluster
        answers the one it has (Studio calls this on every click). Also says
        whether the cluster takes runtime roles (RuntimeRoleEnabledCluster)."""
        cluster = self._cluster_by_arn(target_resource_arn)
        existing = next((ui for ui in self.persistent_app_uis.values() if ui.target_arn == cluster.arn), None)
        ui = existing or PersistentAppUI(cluster, tags, profiler_type)
        self.persistent_app_uis[ui.id] = ui
        return ui, self.runtime_roles_enabled(cluster)

    def describe_persistent_app_ui(self, persistent_app_ui_id: str) -> PersistentAppUI:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_DescribePersistentAppUI.html"""
        if persistent_app_ui_id not in self.persistent_app_uis:
            raise InvalidRequestException(f"Persistent application UI {persistent_app_ui_id} does not exist.")
        return self.persistent_app_uis[persistent_app_ui_id]

    def get_persistent_app_ui_presigned_url(self, persistent_app_ui_id: str, ui_type: str | None,
                                            application_id: str | None) -> dict[str, Any]:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_GetPersistentAppUIPresignedURL.html
        (also after the cluster has ended: that is what persistent UIs are for)."""
        ui = self.describe_persistent_app_ui(persistent_app_ui_id)
        return {"PresignedURLReady": True, "PresignedURL": ui.url(ui_type, application_id)}

    # -- runtime roles -----------------------------------------------------------------
    def runtime_roles_enabled(self, cluster: Cluster) -> bool:
        configuration = self.security_configurations.get(cluster.security_configuration or "")
        return configuration is not None and app_ui.runtime_roles_enabled(configuration.security_configuration)

    def get_cluster_session_credentials(self, cluster_id: str, execution_role_arn: str | None) -> dict[str, Any]:
        """https://docs.aws.amazon.com/emr/latest/APIReference/API_GetClusterSessionCredentials.html"""
        return app_ui.session_credentials(self, self.describe_cluster(cluster_id), execution_role_arn)
