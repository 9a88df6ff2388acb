"""What blocks ``destroy`` of a workspace, and the one message that says what to delete.

SageMaker creates, outside Terraform, the domain's home EFS (one mount target
per domain subnet) and two NFS security groups,
``security-group-for-inbound-nfs-<domain id>`` and
``security-group-for-outbound-nfs-<domain id>``, that reference each other.
Deleting the domain keeps the EFS when ``home_efs_retention = "Retain"`` (the
default: every user's files) and never deletes the two groups. While they
exist AWS refuses to delete the private subnets and the VPC, so a destroy of a
workspace whose VPC this stack created stops there
(hashicorp/terraform-provider-aws#20986).

Terraform cannot help from inside the plan: preconditions and checks run on
plan and apply, not before a destroy, and the only destroy-time hook is a
provisioner that would have to call AWS from the deployer's machine. So the
platform's ``destroy`` command captures the workspace's outputs before it
destroys (``terraform output -json``), and when the destroy fails because of
these leftovers (:func:`blocked_by_sagemaker_leftovers`), prints
:func:`teardown_blockers_message` instead of Terraform's error: what is left,
what deleting it means, and the commands to run before destroying again.

Standard library only; nothing here calls AWS.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional

ISSUE = "hashicorp/terraform-provider-aws#20986"
NFS_GROUPS = ("security-group-for-inbound-nfs-{domain_id}", "security-group-for-outbound-nfs-{domain_id}")
KEY_DELETION_WINDOW_DAYS = 30  # modules/encryption.py DELETION_WINDOW_DAYS

# What AWS answers when something it does not know about still uses a subnet,
# a security group or the VPC.
_BLOCKED = re.compile(
    r"DependencyViolation|has dependencies and cannot be deleted|has a dependent object", re.IGNORECASE)
_BLOCKED_RESOURCES = re.compile(r"\b(aws_subnet|aws_vpc|aws_security_group)\.", re.IGNORECASE)


def blocked_by_sagemaker_leftovers(terraform_output: str) -> bool:
    """True when a failed ``terraform destroy`` stopped at a subnet, security group
    or VPC that something outside Terraform still uses."""
    return bool(_BLOCKED.search(terraform_output) and _BLOCKED_RESOURCES.search(terraform_output))


def _value(outputs: Mapping[str, Any], name: str) -> Optional[str]:
    """An output by name, from ``terraform output -json`` ({name: {"value": v}}) or plain {name: v}."""
    value = outputs.get(name)
    if isinstance(value, Mapping) and "value" in value:
        value = value["value"]
    return value if isinstance(value, str) and value else None


def teardown_blockers_message(outputs: Mapping[str, Any], region: Optional[str] = None,
                              home_efs_retention: str = "Retain") -> str:
    """The message for a destroy stopped by what SageMaker left in the VPC.

    ``outputs``: the workspace's outputs captured before the destroy (the
    shape of ``terraform output -json`` or plain values); needs ``vpc_id``,
    ``domain_id`` and ``home_efs_id``, uses ``kms_key_arn`` when present.
    ``region``: added to the commands (else the AWS CLI's default region).
    ``home_efs_retention``: the workspace's setting, which decides whether
    the EFS is still there.
    """
    missing = [n for n in ("vpc_id", "domain_id", "home_efs_id") if _value(outputs, n) is None]
    if missing:
        raise ValueError(f"teardown_blockers_message needs the outputs {', '.join(missing)}; capture "
                         "`terraform output -json` before destroying (a destroy removes outputs)")
    if home_efs_retention not in ("Retain", "Delete"):
        raise ValueError(f"home_efs_retention = {home_efs_retention!r}: expected Retain or Delete")
    vpc, domain, efs = _value(outputs, "vpc_id"), _value(outputs, "domain_id"), _value(outputs, "home_efs_id")
    key = _value(outputs, "kms_key_arn")
    groups = [g.format(domain_id=domain) for g in NFS_GROUPS]
    r = f" --region {region}" if region else ""
    kept = home_efs_retention == "Retain"

    lines = [
        f"Destroy stopped at VPC {vpc}: SageMaker created resources in it that Terraform does not manage, "
        f"and AWS will not delete the subnets or the VPC while they exist ({ISSUE}):",
        f"  - the home EFS {efs} of domain {domain} (every user's home directory), with a mount target in "
        "each private subnet" + ("; kept because home_efs_retention = \"Retain\"" if kept
                                 else "; SageMaker deletes it with the domain (home_efs_retention = \"Delete\")"),
        f"  - the security groups {groups[0]} and {groups[1]}, which SageMaker never deletes",
        "Delete them, then run destroy again:",
    ]
    step = 1
    if kept:
        lines.append(f"  {step}. Decide about the files in {efs}. To keep them, keep the file system and delete only "
                     f"its mount targets (step {step + 1}), then skip step {step + 2}"
                     + (f" and cancel the deletion of the key that encrypts it (step {step + 4})" if key else "")
                     + ". Otherwise back up what you need: deleting the file system is final.")
        step += 1
    lines.append(f"  {step}. aws efs describe-mount-targets{r} --file-system-id {efs} "
                 "--query 'MountTargets[].MountTargetId' --output text | xargs -n1 aws efs delete-mount-target"
                 f"{r} --mount-target-id")
    step += 1
    if kept:
        lines.append(f"  {step}. aws efs delete-file-system{r} --file-system-id {efs}   "
                     "(once the mount targets are gone, about a minute)")
    else:
        lines.append(f"  {step}. aws efs describe-file-systems{r} --file-system-id {efs}   "
                     "(wait until it is gone: SageMaker is deleting it)")
    step += 1
    find = (f"aws ec2 describe-security-groups{r} --filters Name=vpc-id,Values={vpc} Name=group-name,Values=$n "
            "--query 'SecurityGroups[0].GroupId' --output text")
    rules = f"aws ec2 describe-security-groups{r} --group-ids $g --output json --query 'SecurityGroups[0].IpPermissions"
    lines += [
        f"  {step}. Empty the two groups (each admits the other; each has rules in one direction only), "
        "then delete them:",
        f"       for n in {groups[0]} {groups[1]}; do",
        f"         g=$({find})",
        f"         in=$({rules}')",
        f"         [ \"$in\" = \"[]\" ] || aws ec2 revoke-security-group-ingress{r} --group-id $g "
        "--ip-permissions \"$in\"",
        f"         out=$({rules}Egress')",
        f"         [ \"$out\" = \"[]\" ] || aws ec2 revoke-security-group-egress{r} --group-id $g "
        "--ip-permissions \"$out\"",
        "       done",
        f"       for n in {groups[0]} {groups[1]}; do aws ec2 delete-security-group{r} --group-id $({find}); done",
    ]
    if key and kept:
        step += 1
        lines.append(f"  {step}. Only if you kept {efs}: the destroy schedules the domain's key {key} for deletion "
                     f"in {KEY_DELETION_WINDOW_DAYS} days, after which the kept files cannot be read: "
                     f"aws kms cancel-key-deletion{r} --key-id {key}")
    return "\n".join(lines)


def remove_sagemaker_leftovers(ec2, efs, vpc_id: str, domain_id: str, home_efs_id: Optional[str],
                               home_efs_retention: str = "Retain") -> list[str]:
    """Deletes what SageMaker left in ``vpc_id`` for ``domain_id`` once the
    domain is gone, so that the subnets and the VPC can be destroyed; returns
    one line per thing done or kept.

    ``ec2``, ``efs``: boto3 clients of the workspace's account and region.
    The home EFS's mount targets go (they hold the subnets); the file system
    itself is kept with ``home_efs_retention = "Retain"`` (every user's files:
    it lives on outside the VPC) and, with ``"Delete"``, left to SageMaker,
    which deletes it with the domain. The two NFS groups are found by their
    exact names *in this VPC*, emptied (each admits the other) and deleted:
    nothing of another domain is touched.
    """
    done: list[str] = []
    if home_efs_id:
        try:
            targets = efs.describe_mount_targets(FileSystemId=home_efs_id)["MountTargets"]
        except efs.exceptions.FileSystemNotFound:
            targets = []
            done.append(f"home EFS {home_efs_id}: already gone")
        for target in targets:
            efs.delete_mount_target(MountTargetId=target["MountTargetId"])
            done.append(f"deleted mount target {target['MountTargetId']} of {home_efs_id} "
                        f"in {target['SubnetId']}")
        if targets or home_efs_retention == "Retain":
            done.append(f"kept the home EFS {home_efs_id} (home_efs_retention = \"{home_efs_retention}\")"
                        if home_efs_retention == "Retain" else
                        f"home EFS {home_efs_id}: SageMaker deletes it (home_efs_retention = \"Delete\")")
    names = [g.format(domain_id=domain_id) for g in NFS_GROUPS]
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": names}])["SecurityGroups"]
    for group in groups:  # empty both first: each one's rules name the other
        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        if group.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])
    for group in groups:
        ec2.delete_security_group(GroupId=group["GroupId"])
        done.append(f"deleted security group {group['GroupName']} ({group['GroupId']})")
    return done
