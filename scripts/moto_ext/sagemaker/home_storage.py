"""What CreateDomain builds outside SageMaker, as AWS does: the home EFS and its NFS groups.

On AWS a domain gets (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html
"EFS storage" and "VpcOnly"; API_UserSettings.html "SecurityGroups": SageMaker adds a
group that allows NFS traffic from Studio; hashicorp/terraform-provider-aws#20986):

* an EFS file system for the users' home directories, encrypted with an AWS
  managed key by default or with the domain's ``KmsKeyId`` when one is given,
  tagged with the domain's ARN;
* a mount target in each of the domain's subnets (EFS allows one per
  Availability Zone, so the first subnet of each zone);
* two security groups in the domain's VPC, ``security-group-for-inbound-nfs-<domain id>``
  on the mount targets, admitting NFS (TCP 2049) from
  ``security-group-for-outbound-nfs-<domain id>``, which Studio puts on the
  apps' network interfaces and which may send NFS only to the inbound group
  (the mount target / client pairing EFS documents for NFS clients).

DeleteDomain deletes the file system and its mount targets only under
``RetentionPolicy.HomeEfsFileSystem = Delete``; it never deletes the two groups,
so they outlive the domain (what ``scripts/teardown.py`` tells people to clean up).
"""
from __future__ import annotations

from moto.ec2.exceptions import InvalidSubnetIdError, InvalidVPCIdError
from moto.ec2.models import ec2_backends
from moto.efs.exceptions import FileSystemNotFound
from moto.efs.models import efs_backends
from moto.sagemaker.exceptions import ValidationError

NFS_PORT = 2049
INBOUND_NFS_GROUP = "security-group-for-inbound-nfs-{domain_id}"
OUTBOUND_NFS_GROUP = "security-group-for-outbound-nfs-{domain_id}"
# The tag SageMaker puts on what it creates for a domain; its value is the domain's ARN.
MANAGED_BY_TAG = "ManagedByAmazonSageMakerResource"


def check_network(account_id: str, region_name: str, vpc_id: str, subnet_ids: list[str]) -> None:
    """ValidationException unless the VPC exists and every subnet is in it
    (API_CreateDomain.html: the VPC and "the VPC subnets that the domain uses")."""
    ec2 = ec2_backends[account_id][region_name]
    try:
        ec2.get_vpc(vpc_id)
    except InvalidVPCIdError:
        raise ValidationError(f"VPC {vpc_id} does not exist.") from None
    for subnet_id in subnet_ids:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except InvalidSubnetIdError:
            raise ValidationError(f"Subnet {subnet_id} does not exist.") from None
        if subnet.vpc_id != vpc_id:
            raise ValidationError(f"Subnet {subnet_id} is not in VPC {vpc_id}.")


def create_home_storage(account_id: str, region_name: str, domain_id: str, domain_arn: str, vpc_id: str,
                        subnet_ids: list[str], kms_key_id: str | None) -> str:
    """Creates the NFS groups, the home EFS and its mount targets; returns the file system id."""
    inbound_id, outbound_id = _create_nfs_groups(account_id, region_name, domain_id, domain_arn, vpc_id)
    efs = efs_backends[account_id][region_name]
    file_system = efs.create_file_system(
        creation_token=f"sagemaker-{domain_id}", performance_mode="generalPurpose",
        # Always encrypted at rest: with the domain's key if given, else the AWS managed key.
        encrypted=True, kms_key_id=kms_key_id, throughput_mode="bursting",
        provisioned_throughput_in_mibps=None, availability_zone_name=None, backup=False,
        tags=[{"Key": MANAGED_BY_TAG, "Value": domain_arn}])
    sync_mount_targets(account_id, region_name, file_system.file_system_id, subnet_ids, inbound_id)
    return file_system.file_system_id


def sync_mount_targets(account_id: str, region_name: str, file_system_id: str, subnet_ids: list[str],
                       inbound_group_id: str | None = None) -> None:
    """One mount target per Availability Zone of ``subnet_ids`` (the first subnet of each
    zone); mount targets in zones the subnets no longer cover are deleted."""
    ec2, efs = ec2_backends[account_id][region_name], efs_backends[account_id][region_name]
    wanted: dict[str, str] = {}
    for subnet_id in subnet_ids:
        wanted.setdefault(ec2.get_subnet(subnet_id).availability_zone, subnet_id)
    existing = {target.availability_zone_name: target for target in _mount_targets(efs, file_system_id)}
    if inbound_group_id is None and existing:
        inbound_group_id = next(iter(existing.values())).security_groups[0]
    for zone, target in existing.items():
        if zone not in wanted:
            efs.delete_mount_target(target.mount_target_id)
    for zone, subnet_id in wanted.items():
        if zone not in existing:
            efs.create_mount_target(file_system_id, subnet_id, security_groups=[inbound_group_id])


def delete_home_storage(account_id: str, region_name: str, file_system_id: str) -> None:
    """Deletes the home EFS and its mount targets (RetentionPolicy Delete); never the NFS groups."""
    efs = efs_backends[account_id][region_name]
    for target in _mount_targets(efs, file_system_id):
        efs.delete_mount_target(target.mount_target_id)
    try:
        efs.delete_file_system(file_system_id)
    except FileSystemNotFound:
        pass  # someone deleted it already: nothing left to retain or delete


def _mount_targets(efs, file_system_id: str) -> list:
    return [t for t in list(efs.mount_targets_by_id.values()) if t.file_system_id == file_system_id]


def _create_nfs_groups(account_id: str, region_name: str, domain_id: str, domain_arn: str,
                       vpc_id: str) -> tuple[str, str]:
    ec2 = ec2_backends[account_id][region_name]
    tags = {MANAGED_BY_TAG: domain_arn}
    inbound = ec2.create_security_group(
        INBOUND_NFS_GROUP.format(domain_id=domain_id),
        f"[DO NOT DELETE] Security Group that allows inbound NFS traffic for SageMaker Notebooks Domain [{domain_id}]",
        vpc_id=vpc_id, tags=tags)
    outbound = ec2.create_security_group(
        OUTBOUND_NFS_GROUP.format(domain_id=domain_id),
        f"[DO NOT DELETE] Security Group that allows outbound NFS traffic for SageMaker Notebooks Domain [{domain_id}]",
        vpc_id=vpc_id, tags=tags)
    # Each group carries only its NFS rule, not EC2's default allow-all egress.
    inbound.egress_rules = []
    outbound.egress_rules = []
    ec2.authorize_security_group_ingress(inbound.id, "tcp", NFS_PORT, NFS_PORT, [],
                                         source_groups=[{"GroupId": outbound.id}], vpc_id=vpc_id)
    ec2.authorize_security_group_egress(outbound.id, "tcp", NFS_PORT, NFS_PORT, [],
                                        source_groups=[{"GroupId": inbound.id}], vpc_id=vpc_id)
    return inbound.id, outbound.id
