"""AWS::EMR::Cluster in moto's CloudFormation, with the properties our product
templates use (``emr_templates/``): what a Service Catalog launch creates.

moto 5.2.1's ``Cluster.create_from_cloudformation_json`` reads only Name,
LogUri, JobFlowRole, ServiceRole, ReleaseLabel, CustomAmiId,
KerberosAttributes, Tags and, of Instances, the subnet and security groups.
It drops Applications, BootstrapActions, Configurations, SecurityConfiguration,
EbsRootVolumeSize, VisibleToAllUsers, the Master/Core instance groups and
KeepJobFlowAliveWhenNoSteps: without the latter a cluster with no steps is
TERMINATED as soon as it is created. :func:`install` replaces that one
classmethod with one that maps every property RunJobFlow knows, the way
moto's RunJobFlow handler does, and adds the tags CloudFormation propagates
(the stack's and ``aws:cloudformation:*``).

The Master/Core groups get their EC2 instances through our backend's
AddInstanceGroups (``models.py``, ``instances.py``), which launches them in
the cluster's subnet; they end with the cluster when the stack is deleted.

Still not emulated (moto has nowhere to keep them): AutoTerminationPolicy
(moto has no Get/PutAutoTerminationPolicy; kept on the object only), Steps.
"""
from __future__ import annotations

from typing import Any

from moto.emr.models import Cluster, emr_backends

_ROLES = (("MASTER", "MasterInstanceGroup"), ("CORE", "CoreInstanceGroup"))


def _instance_groups(instances: dict[str, Any]) -> list[dict[str, Any]]:
    groups = []
    for role, key in _ROLES:
        spec = instances.get(key)
        if spec:
            groups.append({"instance_role": role, "instance_type": spec["InstanceType"],
                           "instance_count": int(spec.get("InstanceCount", 1)),
                           "market": spec.get("Market", "ON_DEMAND"), "name": spec.get("Name"),
                           "bid_price": spec.get("BidPrice"), "ebs_configuration": spec.get("EbsConfiguration"),
                           "configurations": _configurations(spec.get("Configurations")),
                           "custom_ami_id": spec.get("CustomAmiId")})
    return groups


def _configurations(configurations: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """CloudFormation's ConfigurationProperties are the API's Properties."""
    return [{"Classification": c.get("Classification"), "Properties": c.get("ConfigurationProperties", {}),
             "Configurations": _configurations(c.get("Configurations"))} for c in configurations or []]


def _stack_tags(account_id: str, region_name: str, logical_id: str | None, stack_id: str | None) -> dict[str, str]:
    from moto.cloudformation.models import cloudformation_backends

    stack = cloudformation_backends[account_id][region_name].stacks.get(stack_id) if stack_id else None
    if stack is None:
        return {}
    return {**stack.tags, "aws:cloudformation:stack-name": stack.name, "aws:cloudformation:stack-id": stack.stack_id,
            "aws:cloudformation:logical-id": logical_id or ""}


def _flag(value: Any, default: bool) -> bool:
    return default if value is None else str(value).lower() == "true"


def create_from_cloudformation_json(cls: type[Cluster], resource_name: str, cloudformation_json: Any,
                                    account_id: str, region_name: str, **kwargs: Any) -> Cluster:
    properties = cloudformation_json["Properties"]
    instances = properties.get("Instances", {})
    instance_attrs = {
        "ec2_subnet_id": instances.get("Ec2SubnetId"),
        "ec2_key_name": instances.get("Ec2KeyName"),
        "hadoop_version": instances.get("HadoopVersion"),
        "availability_zone": (instances.get("Placement") or {}).get("AvailabilityZone"),
        # CloudFormation's default is true (RunJobFlow's is false).
        "keep_job_flow_alive_when_no_steps": _flag(instances.get("KeepJobFlowAliveWhenNoSteps"), True),
        "termination_protected": _flag(instances.get("TerminationProtected"), False),
        "emr_managed_master_security_group": instances.get("EmrManagedMasterSecurityGroup"),
        "emr_managed_slave_security_group": instances.get("EmrManagedSlaveSecurityGroup"),
        "service_access_security_group": instances.get("ServiceAccessSecurityGroup"),
        "additional_master_security_groups": instances.get("AdditionalMasterSecurityGroups", []),
        "additional_slave_security_groups": instances.get("AdditionalSlaveSecurityGroups", []),
    }
    emr = emr_backends[account_id][region_name]
    cluster = emr.run_job_flow(
        name=properties["Name"], log_uri=properties.get("LogUri"), job_flow_role=properties["JobFlowRole"],
        service_role=properties["ServiceRole"], steps=[], instance_attrs=instance_attrs,
        bootstrap_actions=[{"name": b["Name"],
                            "script_bootstrap_action": {"path": b["ScriptBootstrapAction"]["Path"],
                                                        "args": b["ScriptBootstrapAction"].get("Args", [])}}
                           for b in properties.get("BootstrapActions", [])],
        configurations=_configurations(properties.get("Configurations")),
        visible_to_all_users=_flag(properties.get("VisibleToAllUsers"), True),
        release_label=properties.get("ReleaseLabel"), custom_ami_id=properties.get("CustomAmiId"),
        security_configuration=properties.get("SecurityConfiguration"),
        kerberos_attributes=properties.get("KerberosAttributes", {}),
        auto_scaling_role=properties.get("AutoScalingRole"),
        step_concurrency_level=int(properties.get("StepConcurrencyLevel", 1)),
        ebs_root_volume_size=properties.get("EbsRootVolumeSize"),
        ebs_root_volume_iops=properties.get("EbsRootVolumeIops"),
        ebs_root_volume_throughput=properties.get("EbsRootVolumeThroughput"))
    applications = properties.get("Applications") or [{"Name": "Hadoop"}]
    emr.add_applications(cluster.id, [{"name": a.get("Name"), "version": a.get("Version"), "args": a.get("Args"),
                                       "additional_info": a.get("AdditionalInfo")} for a in applications])
    # Tags first: the instances the groups launch carry the cluster's tags.
    tags = _stack_tags(account_id, region_name, kwargs.get("LogicalId"), kwargs.get("StackId"))
    emr.add_tags(cluster.id, {**tags, **{t["Key"]: t["Value"] for t in properties.get("Tags", [])}})
    emr.add_instance_groups(cluster.id, _instance_groups(instances))
    cluster.auto_termination_policy = properties.get("AutoTerminationPolicy")
    return cluster


def install() -> None:
    Cluster.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment]
