"""The EC2 instances behind an EMR cluster's instance groups.

On AWS every instance of an instance group is an EC2 instance in the
cluster's subnet, with the group's role's security groups and the cluster's
tags; ListInstances lists them (https://docs.aws.amazon.com/emr/latest/APIReference/API_ListInstances.html,
https://docs.aws.amazon.com/emr/latest/APIReference/API_Instance.html) and
they end with the cluster. moto launches instances only for RunJobFlow's
``Instances.InstanceGroups`` (in the default VPC, whatever the subnet, with
``ec2.internal`` names in every region) and never terminates them; clusters
made through CloudFormation get none, which is what made the Studio connect
fail ("Failed to find primary node ip address").

We launch real EC2 instances (moto's EC2 backend, ours with its dependency
refusals) rather than keep EMR-only records: DescribeInstances, the
subnet's addresses and network interfaces then show the cluster as AWS
does, so a destroy that forgets a running cluster meets AWS's
DependencyViolation on the subnet. :func:`terminate` ends them with the
cluster and their network interfaces and root volumes go with them, so
nothing is left behind.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.ec2.models import EC2Backend

    from .models import EmrStudioBackend, StudioCluster, StudioInstanceGroup

# moto's own placeholder image for EMR instances (moto.emr.models.EXAMPLE_AMI_ID).
EXAMPLE_AMI_ID = "ami-12c6146b"
TERMINAL_STATES = ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
LIVE_EC2_STATES = ("pending", "running")


def is_public_subnet(ec2: EC2Backend, subnet: Any) -> bool:
    """A public subnet routes 0.0.0.0/0 to an internet gateway (its own route
    table, else the VPC's main one); default subnets are public.
    https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html"""
    if getattr(subnet, "default_for_az", False):
        return True
    tables = ec2.describe_route_tables(filters={"association.subnet-id": [subnet.id]}) or \
        ec2.describe_route_tables(filters={"vpc-id": [subnet.vpc_id], "association.main": ["true"]})
    return any(route.destination_cidr_block == "0.0.0.0/0" and getattr(route.gateway, "id", "").startswith("igw-")
               for table in tables for route in table.routes)


def _subnet(ec2: EC2Backend, cluster: StudioCluster) -> Any:
    """The cluster's subnet; without Ec2SubnetId, EMR uses the default VPC
    (its default subnet in the cluster's zone)."""
    if cluster.ec2_subnet_id:
        return ec2.get_subnet(cluster.ec2_subnet_id)
    defaults = ec2.get_default_subnets()
    return defaults.get(cluster.availability_zone) or next(iter(defaults.values()), None)


def _security_group_ids(cluster: StudioCluster, role: str) -> list[str]:
    """The master node gets the EMR-managed master group and the additional
    master groups, core and task nodes the slave ones
    (https://docs.aws.amazon.com/emr/latest/APIReference/API_Ec2InstanceAttributes.html)."""
    if role == "MASTER":
        groups = [cluster.master_security_group, *(cluster.additional_master_security_groups or [])]
    else:
        groups = [cluster.slave_security_group, *(cluster.additional_slave_security_groups or [])]
    return [g for g in groups if g]


def instance_tags(cluster: StudioCluster, role: str) -> dict[str, str]:
    """EMR propagates the cluster's tags to its instances and adds its own
    (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-plan-tags.html)."""
    return {**cluster._tags, "aws:elasticmapreduce:job-flow-id": cluster.id,
            "aws:elasticmapreduce:instance-group-role": role}


def launch(backend: EmrStudioBackend, cluster: StudioCluster, group: StudioInstanceGroup, count: int) -> None:
    from .models import StudioInstance

    ec2 = backend.ec2_backend
    subnet = _subnet(ec2, cluster)
    kwargs: dict[str, Any] = {
        "instance_type": group.instance_type,
        "is_instance_type_default": False,
        # moto's Instance names its private DNS after region_name (us-east-1
        # when absent): ip-10-0-1-5.eu-west-1.compute.internal, ec2.internal in us-east-1.
        "region_name": backend.region_name,
        "key_name": cluster.ec2_key_name,
        "security_group_ids": _security_group_ids(cluster, group.role),
        "tags": {"instance": instance_tags(cluster, group.role)},
    }
    if subnet is not None:
        public = is_public_subnet(ec2, subnet)
        kwargs.update(subnet_id=subnet.id, associate_public_ip=public)
        # The primary interface EC2 creates at launch is deleted with the
        # instance (moto keeps it unless told), else it would hold the subnet.
        kwargs["nics"] = [{"DeviceIndex": 0, "SubnetId": subnet.id, "DeleteOnTermination": True,
                           "AssociatePublicIpAddress": public}]
    image = group.custom_ami_id or cluster.custom_ami_id or EXAMPLE_AMI_ID
    reservation = ec2.run_instances(image, count, None, [], **kwargs)
    for ec2_instance in reservation.instances:
        instance = StudioInstance(ec2_instance=ec2_instance, instance_group=group)
        group.instances.append(instance)
        cluster.add_instance(instance)


def terminate(backend: EmrStudioBackend, instances: list[Any]) -> None:
    ids = [i.ec2_instance.id for i in instances if i.ec2_instance.state in LIVE_EC2_STATES]
    if ids:
        backend.ec2_backend.terminate_instances(ids)


def reconcile(backend: EmrStudioBackend, cluster: StudioCluster, group: StudioInstanceGroup) -> None:
    """Launches or terminates instances until the group runs its requested
    count (RunJobFlow, AddInstanceGroups, ModifyInstanceGroups); nothing for
    a cluster that has ended."""
    if not cluster.provisioned or cluster.state in TERMINAL_STATES:
        return
    live = [i for i in group.instances if i.ec2_instance.state in LIVE_EC2_STATES]
    missing = group.num_instances - len(live)
    if missing > 0:
        launch(backend, cluster, group, missing)
    elif missing < 0:
        terminate(backend, live[missing:])


def propagate_tags(backend: EmrStudioBackend, cluster: StudioCluster, add: dict[str, str] | None = None,
                   remove: list[str] | None = None) -> None:
    """AddTags/RemoveTags on a cluster reach its active instances
    (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-plan-tags.html)."""
    ids = [i.ec2_instance.id for i in cluster.ec2_instances if i.ec2_instance.state in LIVE_EC2_STATES]
    if not ids:
        return
    if add:
        backend.ec2_backend.create_tags(ids, add)
    if remove:
        backend.ec2_backend.delete_tags(ids, {key: None for key in remove})
