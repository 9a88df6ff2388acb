"""The emulator's SageMaker Studio (scripts/moto_ext/sagemaker): domains with what
AWS creates beside them, user profiles, spaces and apps, and AWS's refusals.

Every test builds its own VPC and domain under unique names on the session's
emulator, so tests neither reset it nor see each other.
"""
from __future__ import annotations

import re

import pytest
from aws_answers import refused, set_transition, unique

pytestmark = pytest.mark.emulator

ROLE = "arn:aws:iam::123456789012:role/studio-execution"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NFS = 2049


@pytest.fixture(scope="module")
def sm(emulator):
    return emulator.client("sagemaker")


@pytest.fixture(scope="module")
def ec2(emulator):
    return emulator.client("ec2")


@pytest.fixture(scope="module")
def efs(emulator):
    return emulator.client("efs")


@pytest.fixture
def network(ec2):
    """A VPC with two subnets in two zones and the Studio security group."""
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")
               ["Subnet"]["SubnetId"] for i, zone in ((1, "a"), (2, "b"))]
    group = ec2.create_security_group(GroupName=unique("studio"), Description="studio", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


def user_settings(network) -> dict:
    """DefaultUserSettings shaped like modules/studio.py's."""
    idle = {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 120,
            "MinIdleTimeoutInMinutes": 60, "MaxIdleTimeoutInMinutes": 120}
    return {
        "ExecutionRole": ROLE,
        "SecurityGroups": [network["group"]],
        "SharingSettings": {"NotebookOutputOption": "Allowed", "S3OutputPath": "s3://bucket/sharing",
                            "S3KmsKeyId": KEY},
        "JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": idle}},
        "CodeEditorAppSettings": {"AppLifecycleManagement": {"IdleSettings": idle}},
        "StudioWebPortal": "ENABLED",
        "DefaultLandingUri": "studio::",
    }


def create_domain(sm, network, **extra) -> dict:
    args = dict(DomainName=unique("studio"), AuthMode="IAM", VpcId=network["vpc"], SubnetIds=network["subnets"],
                AppNetworkAccessType="VpcOnly", DefaultUserSettings=user_settings(network), KmsKeyId=KEY,
                DomainSettings={"DockerSettings": {"EnableDockerAccess": "DISABLED"}},
                Tags=[{"Key": "project", "Value": "platform"}])
    args.update(extra)
    return sm.create_domain(**args)


def nfs_groups(ec2, vpc: str, domain_id: str) -> dict:
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    return {g["GroupName"]: g for g in groups if g["GroupName"].endswith(domain_id)}


# -- domains ------------------------------------------------------------------
def test_create_domain_answers_its_id_and_describe_echoes_what_was_given(sm, network):
    created = create_domain(sm, network)
    domain_id = created["DomainId"]
    assert re.fullmatch(r"d-[a-z0-9]{12}", domain_id)
    assert created["DomainArn"] == f"arn:aws:sagemaker:us-east-1:123456789012:domain/{domain_id}"

    described = sm.describe_domain(DomainId=domain_id)
    # Everything the provider reads comes back as given: a plan after apply shows no change.
    assert described["DefaultUserSettings"] == user_settings(network)
    assert described["DomainSettings"] == {"DockerSettings": {"EnableDockerAccess": "DISABLED"}}
    assert {k: described[k] for k in ("AuthMode", "AppNetworkAccessType", "VpcId", "SubnetIds", "KmsKeyId")} == {
        "AuthMode": "IAM", "AppNetworkAccessType": "VpcOnly", "VpcId": network["vpc"],
        "SubnetIds": network["subnets"], "KmsKeyId": KEY}
    assert described["Status"] == "InService"
    assert described["TagPropagation"] == "DISABLED"  # the provider's default; absent would be a change
    assert described["Url"] == created["Url"] and described["Url"].startswith(f"https://{domain_id}.studio.")
    assert described["HomeEfsFileSystemId"].startswith("fs-")
    assert "AppSecurityGroupManagement" not in described  # never set: the provider must read nothing

    summaries = {d["DomainId"]: d for d in sm.list_domains()["Domains"]}
    assert summaries[domain_id]["DomainName"] == described["DomainName"]
    assert summaries[domain_id]["Status"] == "InService"


def test_domain_gets_an_encrypted_home_efs_a_mount_target_per_subnet_and_two_nfs_groups(sm, ec2, efs, network):
    domain = create_domain(sm, network)
    domain_id = domain["DomainId"]
    efs_id = sm.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]

    file_system = efs.describe_file_systems(FileSystemId=efs_id)["FileSystems"][0]
    assert file_system["Encrypted"] and file_system["KmsKeyId"] == KEY
    assert {"Key": "ManagedByAmazonSageMakerResource", "Value": domain["DomainArn"]} in file_system["Tags"]

    groups = nfs_groups(ec2, network["vpc"], domain_id)
    inbound = groups[f"security-group-for-inbound-nfs-{domain_id}"]
    outbound = groups[f"security-group-for-outbound-nfs-{domain_id}"]
    # They admit each other on NFS, and nothing else.
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]])
            for p in inbound["IpPermissions"]] == [("tcp", NFS, NFS, [outbound["GroupId"]])]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]])
            for p in outbound["IpPermissionsEgress"]] == [("tcp", NFS, NFS, [inbound["GroupId"]])]
    assert inbound["IpPermissionsEgress"] == [] and outbound["IpPermissions"] == []

    targets = efs.describe_mount_targets(FileSystemId=efs_id)["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(network["subnets"])
    for target in targets:
        assert efs.describe_mount_target_security_groups(MountTargetId=target["MountTargetId"])[
            "SecurityGroups"] == [inbound["GroupId"]]


def test_update_domain_merges_settings_and_gives_new_zones_a_mount_target(sm, ec2, efs, network):
    domain_id = create_domain(sm, network)["DomainId"]
    third = ec2.create_subnet(VpcId=network["vpc"], CidrBlock="10.30.3.0/24",
                              AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={"DefaultLandingUri": "app:JupyterLab:"},
                     DomainSettingsForUpdate={"DockerSettings": {"EnableDockerAccess": "ENABLED"}},
                     SubnetIds=network["subnets"] + [third])
    described = sm.describe_domain(DomainId=domain_id)
    assert described["Status"] == "InService"
    assert described["DefaultUserSettings"] == {**user_settings(network), "DefaultLandingUri": "app:JupyterLab:"}
    assert described["DomainSettings"]["DockerSettings"] == {"EnableDockerAccess": "ENABLED"}
    targets = efs.describe_mount_targets(FileSystemId=described["HomeEfsFileSystemId"])["MountTargets"]
    assert third in {t["SubnetId"] for t in targets}

    refused("ValidationException", sm.update_domain, DomainId=domain_id, AppSecurityGroupManagement="Service",
            message="can only be set for Rstudio enabled domains")


def test_create_domain_refusals(sm, ec2, network):
    refused("ValidationException", create_domain, sm, network,
            DefaultUserSettings={"ExecutionRole": ROLE}, message="SecurityGroups")
    other_vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    refused("ValidationException", create_domain, sm, network, VpcId=other_vpc, message="is not in VPC")
    name = unique("taken")
    create_domain(sm, network, DomainName=name)
    refused("ResourceInUse", create_domain, sm, network, DomainName=name)
    refused("ResourceNotFound", sm.describe_domain, DomainId="d-000000000000")


def test_tags_on_the_domain_arn(sm, network):
    arn = create_domain(sm, network)["DomainArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "project", "Value": "platform"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "project", "Value": "renamed"}, {"Key": "owner", "Value": "ml"}])
    assert sorted((t["Key"], t["Value"]) for t in sm.list_tags(ResourceArn=arn)["Tags"]) == [
        ("owner", "ml"), ("project", "renamed")]  # AddTags overwrites a key, it never duplicates it
    sm.delete_tags(ResourceArn=arn, TagKeys=["owner"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "project", "Value": "renamed"}]


@pytest.mark.parametrize("retention", ["Retain", "Delete"])
def test_delete_domain_honours_retention_and_never_deletes_the_nfs_groups(sm, ec2, efs, network, retention):
    domain_id = create_domain(sm, network)["DomainId"]
    efs_id = sm.describe_domain(DomainId=domain_id)["HomeEfsFileSystemId"]
    sm.delete_domain(DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": retention})

    refused("ResourceNotFound", sm.describe_domain, DomainId=domain_id)
    assert domain_id not in {d["DomainId"] for d in sm.list_domains()["Domains"]}
    remaining = {f["FileSystemId"] for f in efs.describe_file_systems()["FileSystems"]}
    # The mount targets' network interfaces are what hold the subnets on AWS.
    interfaces = ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": network["subnets"]}])["NetworkInterfaces"]
    if retention == "Retain":
        assert efs_id in remaining
        assert len(efs.describe_mount_targets(FileSystemId=efs_id)["MountTargets"]) == len(interfaces) == 2
    else:
        assert efs_id not in remaining and interfaces == []
    assert sorted(nfs_groups(ec2, network["vpc"], domain_id)) == [
        f"security-group-for-inbound-nfs-{domain_id}", f"security-group-for-outbound-nfs-{domain_id}"]


def test_a_domain_with_profiles_or_spaces_cannot_be_deleted(sm, network):
    domain_id = create_domain(sm, network)["DomainId"]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    refused("ResourceInUse", sm.delete_domain, DomainId=domain_id, message="UserProfile(s) are associated")
    sm.create_space(DomainId=domain_id, SpaceName="shared")
    sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
    refused("ResourceInUse", sm.delete_domain, DomainId=domain_id, message="Space(s) are associated")
    sm.delete_space(DomainId=domain_id, SpaceName="shared")
    sm.delete_domain(DomainId=domain_id)
    refused("ResourceNotFound", sm.describe_domain, DomainId=domain_id)


def test_domain_status_follows_moto_state_manager(emulator, sm, network):
    """Pending -> InService on create, Deleting -> gone on delete, at the pace moto's state manager sets."""
    set_transition(emulator, "sagemaker::domain", {"progression": "manual", "times": 2})
    try:
        domain_id = create_domain(sm, network)["DomainId"]
        refused("ResourceInUse", sm.update_domain, DomainId=domain_id, DefaultUserSettings={"ExecutionRole": ROLE})
        assert sm.describe_domain(DomainId=domain_id)["Status"] == "Pending"
        assert sm.describe_domain(DomainId=domain_id)["Status"] == "InService"
        sm.delete_domain(DomainId=domain_id)
        assert sm.describe_domain(DomainId=domain_id)["Status"] == "Deleting"
        refused("ResourceNotFound", sm.describe_domain, DomainId=domain_id)
    finally:
        set_transition(emulator, "sagemaker::domain", None)


# -- user profiles, spaces, apps ----------------------------------------------
def test_user_profile_lifecycle_and_shapes(sm, network):
    domain_id = create_domain(sm, network)["DomainId"]
    settings = {"ExecutionRole": ROLE, "SecurityGroups": [network["group"]]}
    arn = sm.create_user_profile(DomainId=domain_id, UserProfileName="alice", UserSettings=settings,
                                 Tags=[{"Key": "user", "Value": "alice"}])["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:user-profile/{domain_id}/alice"
    sm.create_user_profile(DomainId=domain_id, UserProfileName="bob")

    alice = sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert alice["UserSettings"] == settings and alice["Status"] == "InService"
    assert alice["HomeEfsFileSystemUid"].isdigit()
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "user", "Value": "alice"}]

    sm.update_user_profile(DomainId=domain_id, UserProfileName="alice",
                           UserSettings={"DefaultLandingUri": "studio::"})
    assert sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")["UserSettings"] == {
        **settings, "DefaultLandingUri": "studio::"}

    listed = sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    assert [p["UserProfileName"] for p in listed] == ["alice", "bob"]
    assert set(listed[0]) == {"DomainId", "UserProfileName", "Status", "CreationTime", "LastModifiedTime"}
    first = sm.list_user_profiles(DomainIdEquals=domain_id, MaxResults=1, SortOrder="Descending")
    assert [p["UserProfileName"] for p in first["UserProfiles"]] == ["bob"] and first["NextToken"]
    assert [p["UserProfileName"] for p in sm.list_user_profiles(
        DomainIdEquals=domain_id, UserProfileNameContains="li")["UserProfiles"]] == ["alice"]

    refused("ResourceInUse", sm.create_user_profile, DomainId=domain_id, UserProfileName="alice")
    refused("ResourceNotFound", sm.create_user_profile, DomainId="d-000000000000", UserProfileName="carol")
    sm.delete_user_profile(DomainId=domain_id, UserProfileName="bob")
    refused("ResourceNotFound", sm.describe_user_profile, DomainId=domain_id, UserProfileName="bob")


def test_a_profile_with_an_app_cannot_be_deleted_until_the_app_is_deleted(sm, network):
    domain_id = create_domain(sm, network)["DomainId"]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    app = dict(DomainId=domain_id, UserProfileName="alice", AppType="JupyterServer", AppName="default")
    arn = sm.create_app(**app)["AppArn"]
    assert arn.endswith(f":app/{domain_id}/alice/jupyterserver/default")
    assert sm.describe_app(**app)["Status"] == "InService"
    refused("ResourceInUse", sm.create_app, **app)

    refused("ResourceInUse", sm.delete_user_profile, DomainId=domain_id, UserProfileName="alice",
            message="because App(s) are associated with it")
    sm.delete_app(**app)
    assert sm.describe_app(**app)["Status"] == "Deleted"  # AWS keeps a deleted app's record
    assert [(a["AppName"], a["Status"]) for a in sm.list_apps(DomainIdEquals=domain_id)["Apps"]] == [
        ("default", "Deleted")]
    refused("ValidationException", sm.delete_app, **app, message="has already been deleted")

    sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")
    refused("ResourceNotFound", sm.describe_user_profile, DomainId=domain_id, UserProfileName="alice")


def test_private_spaces_belong_to_their_owner(sm, network):
    domain_id = create_domain(sm, network)["DomainId"]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    private = dict(OwnershipSettings={"OwnerUserProfileName": "alice"},
                   SpaceSharingSettings={"SharingType": "Private"},
                   SpaceSettings={"AppType": "JupyterLab"})
    arn = sm.create_space(DomainId=domain_id, SpaceName="alice-lab", SpaceDisplayName="Alice", **private)["SpaceArn"]
    assert arn.endswith(f":space/{domain_id}/alice-lab")
    described = sm.describe_space(DomainId=domain_id, SpaceName="alice-lab")
    assert {k: described[k] for k in private} == private and described["Status"] == "InService"
    summary = sm.list_spaces(DomainIdEquals=domain_id)["Spaces"][0]
    assert summary["OwnershipSettingsSummary"] == {"OwnerUserProfileName": "alice"}
    assert summary["SpaceSharingSettingsSummary"] == {"SharingType": "Private"}
    assert summary["SpaceSettingsSummary"] == {"AppType": "JupyterLab"}

    refused("ResourceInUse", sm.delete_user_profile, DomainId=domain_id, UserProfileName="alice",
            message="because Space(s) are associated with it")
    lab = dict(DomainId=domain_id, SpaceName="alice-lab", AppType="JupyterLab", AppName="default")
    sm.create_app(**lab)
    assert sm.list_apps(DomainIdEquals=domain_id, SpaceNameEquals="alice-lab")["Apps"][0]["SpaceName"] == "alice-lab"
    refused("ResourceInUse", sm.delete_space, DomainId=domain_id, SpaceName="alice-lab",
            message="because App(s) are associated with it")
    sm.delete_app(**lab)
    sm.delete_space(DomainId=domain_id, SpaceName="alice-lab")
    sm.delete_user_profile(DomainId=domain_id, UserProfileName="alice")


def test_space_and_app_refusals(sm, network):
    domain_id = create_domain(sm, network)["DomainId"]
    refused("ValidationException", sm.create_space, DomainId=domain_id, SpaceName="half",
            OwnershipSettings={"OwnerUserProfileName": "alice"})
    refused("ResourceNotFound", sm.create_space, DomainId=domain_id, SpaceName="orphan",
            OwnershipSettings={"OwnerUserProfileName": "nobody"}, SpaceSharingSettings={"SharingType": "Private"})
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    sm.create_space(DomainId=domain_id, SpaceName="team")
    refused("ValidationException", sm.create_app, DomainId=domain_id, UserProfileName="alice", SpaceName="team",
            AppType="JupyterLab", AppName="default")
    refused("ResourceNotFound", sm.create_app, DomainId=domain_id, SpaceName="nowhere", AppType="JupyterLab",
            AppName="default")
    refused("ResourceNotFound", sm.describe_app, DomainId=domain_id, SpaceName="team", AppType="JupyterLab",
            AppName="never")
