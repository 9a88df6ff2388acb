"""scripts/lifecycle.py, scripts/emulator/persistent.py and the teardown that
removes what SageMaker leaves in a VPC, on the emulator."""
import pytest

from scripts import lifecycle
from scripts.emulator import persistent as emulator_persistent
from scripts.teardown import remove_sagemaker_leftovers

pytestmark = pytest.mark.emulator


def test_counts_read_terraforms_closing_lines():
    text = "...\nApply complete! Resources: 131 added, 0 changed, 0 destroyed.\n"
    assert lifecycle.counts(text) == {"added": 131, "changed": 0, "destroyed": 0}
    assert lifecycle.counts("Plan: 12 to add, 1 to change, 2 to destroy.") == {
        "to add": 12, "to change": 1, "to destroy": 2}
    assert lifecycle.closing_line("x\nDestroy complete! Resources: 3 destroyed.\n", "destroy") == \
        "destroy: Destroy complete! Resources: 3 destroyed."


def test_persistent_emulator_outlives_the_command_that_started_it(tmp_path):
    root = tmp_path
    assert emulator_persistent.find(root) is None
    assert "down" in emulator_persistent.status(root)
    emu, started = emulator_persistent.up(root, "eu-west-1")
    try:
        assert started and emu.answers()
        # State lives in the server between commands: a second command sees it.
        emu.client("s3").create_bucket(Bucket="kept-across-commands",
                                       CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        again, started_again = emulator_persistent.up(root, "eu-west-1")
        assert not started_again and again.url == emu.url
        assert [b["Name"] for b in again.client("s3").list_buckets()["Buckets"]] == ["kept-across-commands"]
        assert f"up at {emu.url}" in emulator_persistent.status(root)
    finally:
        record = emulator_persistent.down(root)
    assert record is not None and not emu.answers()
    assert emulator_persistent.find(root) is None
    assert not emulator_persistent.persistent_dir(root).exists()


def _domain_leftovers(ec2, efs, vpc_cidr: str, domain_id: str):
    """What SageMaker leaves for a domain: a VPC with two subnets, a home EFS with
    a mount target in each, and the two NFS groups that admit each other."""
    vpc = ec2.create_vpc(CidrBlock=vpc_cidr)["Vpc"]["VpcId"]
    base = vpc_cidr.rsplit(".", 2)[0]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")[
        "Subnet"]["SubnetId"] for i, zone in ((1, "a"), (2, "b"))]  # one mount target per zone
    inbound = ec2.create_security_group(VpcId=vpc, GroupName=f"security-group-for-inbound-nfs-{domain_id}",
                                        Description="nfs in")["GroupId"]
    outbound = ec2.create_security_group(VpcId=vpc, GroupName=f"security-group-for-outbound-nfs-{domain_id}",
                                         Description="nfs out")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=inbound, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": outbound}]}])
    ec2.authorize_security_group_egress(GroupId=outbound, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": inbound}]}])
    fs = efs.create_file_system(CreationToken=domain_id)["FileSystemId"]
    for subnet in subnets:
        efs.create_mount_target(FileSystemId=fs, SubnetId=subnet, SecurityGroups=[inbound])
    return vpc, subnets, fs


def test_teardown_removes_one_domains_leftovers_and_nothing_else(emulator):
    ec2, efs = emulator.client("ec2"), emulator.client("efs")
    vpc, subnets, fs = _domain_leftovers(ec2, efs, "10.61.0.0/16", "d-teardown0001")
    other_vpc, other_subnets, other_fs = _domain_leftovers(ec2, efs, "10.62.0.0/16", "d-teardown0002")
    # As on AWS, the subnets cannot go while the mount targets are in them.
    with pytest.raises(ec2.exceptions.ClientError, match="DependencyViolation"):
        ec2.delete_subnet(SubnetId=subnets[0])

    done = remove_sagemaker_leftovers(ec2, efs, vpc, "d-teardown0001", fs, "Retain")

    assert sum(line.startswith("deleted mount target") for line in done) == 2
    assert f"kept the home EFS {fs} (home_efs_retention = \"Retain\")" in done
    assert sum(line.startswith("deleted security group security-group-for-") for line in done) == 2
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
    assert efs.describe_file_systems(FileSystemId=fs)["FileSystems"]  # users' files kept
    # The other domain's EFS, mount targets and groups are untouched.
    assert len(efs.describe_mount_targets(FileSystemId=other_fs)["MountTargets"]) == 2
    names = {g["GroupName"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [other_vpc]}])["SecurityGroups"]}
    assert {"security-group-for-inbound-nfs-d-teardown0002", "security-group-for-outbound-nfs-d-teardown0002"} <= names
