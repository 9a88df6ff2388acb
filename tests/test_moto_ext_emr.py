"""The emulator's EMR (scripts/moto_ext/emr): what a Studio notebook's connect
path reads of a cluster, the app-UI and runtime-role operations, and EC2
instances that end with their cluster.

Everything runs in eu-west-1 against the session's emulator (started for
us-east-1): a call that fell back to us-east-1 would miss what the test made.
Every test builds its own VPC, security configuration and cluster under
unique names, so tests neither reset the emulator nor see each other.
"""
from __future__ import annotations

import ipaddress
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest

# The project's own renderer of emr_templates/*.yaml (Terraform's templatefile
# forms) and its sample variables, and the platform's security configuration.
from test_emr_templates import SAMPLE_VARS, TEMPLATES_DIR, render
from modules.emr_values import security_configuration
from aws_answers import refused, unique
from scripts.lifecycle import emulator_leftovers

pytestmark = pytest.mark.emulator

REGION = "eu-west-1"
KMS_KEY = f"arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RUNTIME_ROLES = {"AuthorizationConfiguration": {"IAMConfiguration": {"EnableApplicationScopedIAMRole": True}}}
PRIVATE_DNS = re.compile(rf"^ip-\d+-\d+-\d+-\d+\.{REGION}\.compute\.internal$")




@pytest.fixture(scope="module")
def aws(emulator):
    return {name: emulator.client(name, REGION) for name in ("emr", "ec2", "cloudformation", "iam")}


def platform_security_configuration(aws, runtime_roles: bool = False) -> str:
    """The platform's own document (modules/emr_security.py), as Terraform creates it."""
    document = json.loads(security_configuration("KEY").replace("${KEY}", KMS_KEY))
    if runtime_roles:
        document.update(RUNTIME_ROLES)
    name = unique("ml-dev-emr")
    aws["emr"].create_security_configuration(Name=name, SecurityConfiguration=json.dumps(document))
    return name


def network(aws, public: bool = False) -> dict:
    """A VPC with one subnet (routed to an internet gateway when ``public``) and the three EMR groups."""
    ec2 = aws["ec2"]
    second = uuid.uuid4().int % 250 + 1
    vpc = ec2.create_vpc(CidrBlock=f"10.{second}.0.0/16")["Vpc"]["VpcId"]
    cidr = f"10.{second}.1.0/24"
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
    out = {"vpc": vpc, "subnet": subnet, "cidr": cidr, "igw": None, "route_table": None}
    if public:
        out["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=out["igw"], VpcId=vpc)
        out["route_table"] = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=out["route_table"], DestinationCidrBlock="0.0.0.0/0", GatewayId=out["igw"])
        out["association"] = ec2.associate_route_table(RouteTableId=out["route_table"],
                                                       SubnetId=subnet)["AssociationId"]
    for kind in ("master", "core", "service"):
        out[kind] = ec2.create_security_group(GroupName=unique(kind), Description=kind, VpcId=vpc)["GroupId"]
    return out


def remove_network(aws, net: dict) -> None:
    """Deletes it all, which the emulator (as AWS) refuses while an interface is in the subnet."""
    ec2 = aws["ec2"]
    if net["igw"]:
        ec2.disassociate_route_table(AssociationId=net["association"])
    ec2.delete_subnet(SubnetId=net["subnet"])
    for kind in ("master", "core", "service"):
        ec2.delete_security_group(GroupId=net[kind])
    if net["igw"]:
        ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
        ec2.delete_internet_gateway(InternetGatewayId=net["igw"])
        ec2.delete_route_table(RouteTableId=net["route_table"])
    ec2.delete_vpc(VpcId=net["vpc"])


def launch_product_stack(aws, net: dict, security_configuration_name: str, core: int = 2) -> tuple[str, str]:
    """emr_templates/spark-livy-cluster.yaml rendered as Terraform would, as the
    CloudFormation stack a Service Catalog launch creates: (stack name, cluster id)."""
    variables = {**SAMPLE_VARS, "subnet_id": net["subnet"], "master_security_group_id": net["master"],
                 "core_security_group_id": net["core"], "service_access_security_group_id": net["service"],
                 "security_configuration_name": security_configuration_name}
    body = render((TEMPLATES_DIR / "spark-livy-cluster.yaml").read_text(), variables)
    name = unique("SC-123456789012-pp")
    aws["cloudformation"].create_stack(StackName=name, TemplateBody=body, Parameters=[
        {"ParameterKey": "SageMakerProjectName", "ParameterValue": "churn"},
        {"ParameterKey": "SageMakerProjectId", "ParameterValue": "p-123"},
        {"ParameterKey": "CoreInstanceCount", "ParameterValue": str(core)}])
    stack = aws["cloudformation"].describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return name, {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["ClusterId"]


def ec2_instances(aws, cluster_id: str, state: str = "running") -> list[dict]:
    reservations = aws["ec2"].describe_instances(Filters=[
        {"Name": "tag:aws:elasticmapreduce:job-flow-id", "Values": [cluster_id]},
        {"Name": "instance-state-name", "Values": [state]}])["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def test_calls_land_in_the_region_they_are_signed_for(aws, emulator):
    """The SigV4 scope's Region, not us-east-1, for calls to https://127.0.0.1:PORT."""
    name = platform_security_configuration(aws)
    described = aws["emr"].describe_security_configuration(Name=name)
    assert json.loads(described["SecurityConfiguration"])["InstanceMetadataServiceConfiguration"][
        "MinimumInstanceMetadataServiceVersion"] == 2
    refused("InvalidRequestException", emulator.client("emr", "us-east-1").describe_security_configuration,
            Name=name)
    aws["emr"].delete_security_configuration(Name=name)


def test_product_cluster_answers_the_connect_path_and_ends_with_its_stack(aws, emulator):
    net = network(aws)
    config = platform_security_configuration(aws)
    stack, cluster_id = launch_product_stack(aws, net, config, core=2)
    emr = aws["emr"]

    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Status"]["State"] == "WAITING"
    assert cluster["InstanceCollectionType"] == "INSTANCE_GROUP"
    assert cluster["SecurityConfiguration"] == config
    described = emr.describe_security_configuration(Name=cluster["SecurityConfiguration"])
    assert json.loads(described["SecurityConfiguration"])["EncryptionConfiguration"]["AtRestEncryptionConfiguration"][
        "S3EncryptionConfiguration"] == {"EncryptionMode": "SSE-KMS", "AwsKmsKey": KMS_KEY}

    groups = {g["InstanceGroupType"]: g for g in emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]}
    assert {t: (g["RequestedInstanceCount"], g["RunningInstanceCount"], g["Configurations"])
            for t, g in groups.items()} == {"MASTER": (1, 1, []), "CORE": (2, 2, [])}
    assert all(g["Id"].startswith("ig-") for g in groups.values())

    # A private subnet: private names and addresses only, the master's private
    # name is MasterPublicDnsName (what sagemaker-studio-sparkmagic-lib matches).
    instances = emr.list_instances(ClusterId=cluster_id)["Instances"]
    assert len(instances) == 3
    subnet = ipaddress.ip_network(net["cidr"])
    for instance in instances:
        assert instance["Id"].startswith("ci-")
        assert PRIVATE_DNS.match(instance["PrivateDnsName"]), instance
        assert ipaddress.ip_address(instance["PrivateIpAddress"]) in subnet
        assert "PublicIpAddress" not in instance and not instance.get("PublicDnsName")
        assert instance["Status"]["State"] == "RUNNING"
        assert instance["InstanceGroupId"] in {g["Id"] for g in groups.values()}
    master = [i for i in instances if i["InstanceGroupId"] == groups["MASTER"]["Id"]]
    assert [i["PrivateDnsName"] for i in master] == [cluster["MasterPublicDnsName"]]
    assert emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])["Instances"] == master
    assert emr.list_instances(ClusterId=cluster_id, InstanceStates=["TERMINATED"])["Instances"] == []

    # They are EC2 instances in the subnet, with the role's groups and the cluster's tags.
    running = {i["InstanceId"]: i for i in ec2_instances(aws, cluster_id)}
    assert set(running) == {i["Ec2InstanceId"] for i in instances}
    ec2_master = running[master[0]["Ec2InstanceId"]]
    assert ec2_master["SubnetId"] == net["subnet"]
    assert [g["GroupId"] for g in ec2_master["SecurityGroups"]] == [net["master"]]
    tags = {t["Key"]: t["Value"] for t in ec2_master["Tags"]}
    assert (tags["aws:elasticmapreduce:instance-group-role"], tags["sagemaker:project-name"],
            tags["aws:cloudformation:stack-name"]) == ("MASTER", "churn", stack)
    # While the cluster runs its interfaces hold the subnet, as on AWS.
    refused("DependencyViolation", aws["ec2"].delete_subnet, SubnetId=net["subnet"])

    aws["cloudformation"].delete_stack(StackName=stack)
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] == "TERMINATED"
    assert ec2_instances(aws, cluster_id) == []
    assert len(ec2_instances(aws, cluster_id, "terminated")) == 3
    assert {i["Status"]["State"] for i in emr.list_instances(ClusterId=cluster_id)["Instances"]} == {"TERMINATED"}
    assert {g["RunningInstanceCount"] for g in emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]} == {0}
    assert aws["ec2"].describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [net["subnet"]]}])["NetworkInterfaces"] == []
    remove_network(aws, net)
    emr.delete_security_configuration(Name=config)
    mine = (net["vpc"], stack, cluster_id, config)
    assert [x for x in emulator_leftovers(emulator, REGION) if any(m in x for m in mine)] == []


def test_app_uis(aws):
    net = network(aws)
    config = platform_security_configuration(aws)
    stack, cluster_id = launch_product_stack(aws, net, config, core=2)
    emr = aws["emr"]
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    master = cluster["MasterPublicDnsName"]

    url = emr.get_on_cluster_app_ui_presigned_url(ClusterId=cluster_id, OnClusterAppUIType="ApplicationMaster",
                                                  ApplicationId="application_1700000000000_0001")
    assert url["PresignedURLReady"] is True
    assert url["PresignedURL"].startswith(f"http://{master}:20888/proxy/application_1700000000000_0001/")
    assert "PresignedURL" not in emr.get_on_cluster_app_ui_presigned_url(ClusterId=cluster_id, DryRun=True)

    created = emr.create_persistent_app_ui(TargetResourceArn=cluster["ClusterArn"])
    assert created["RuntimeRoleEnabledCluster"] is False
    ui_id = created["PersistentAppUIId"]
    assert emr.create_persistent_app_ui(TargetResourceArn=cluster["ClusterArn"])["PersistentAppUIId"] == ui_id
    ui = emr.describe_persistent_app_ui(PersistentAppUIId=ui_id)["PersistentAppUI"]
    assert (ui["PersistentAppUIStatus"], ui["PersistentAppUITypeList"]) == ("ATTACHED", ["SHS", "YTS"])
    shs = emr.get_persistent_app_ui_presigned_url(PersistentAppUIId=ui_id, PersistentAppUIType="SHS")
    assert shs["PresignedURLReady"] is True and shs["PresignedURL"].startswith(f"http://{master}:18080/")
    refused("InvalidRequestException", emr.get_persistent_app_ui_presigned_url, PersistentAppUIId=ui_id,
            PersistentAppUIType="TEZ")  # the cluster has no Tez
    refused("InvalidRequestException", emr.describe_persistent_app_ui, PersistentAppUIId="p-nope")
    refused("InvalidRequestException", emr.create_persistent_app_ui,
            TargetResourceArn=f"arn:aws:elasticmapreduce:{REGION}:123456789012:cluster/j-NOPE")
    refused("InvalidRequestException", emr.get_on_cluster_app_ui_presigned_url, ClusterId="j-NOPE")

    aws["cloudformation"].delete_stack(StackName=stack)
    # On-cluster UIs end with the cluster; the persistent one stays.
    refused("InvalidRequestException", emr.get_on_cluster_app_ui_presigned_url, ClusterId=cluster_id)
    assert emr.get_persistent_app_ui_presigned_url(PersistentAppUIId=ui_id)["PresignedURLReady"] is True
    remove_network(aws, net)
    emr.delete_security_configuration(Name=config)


def test_runtime_role_credentials(aws, emulator):
    net = network(aws)
    plain = platform_security_configuration(aws)
    stack, plain_cluster = launch_product_stack(aws, net, plain, core=2)
    role = aws["iam"].create_role(RoleName=unique("emr-runtime"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    emr = aws["emr"]
    refused("InvalidRequestException", emr.get_cluster_session_credentials, ClusterId=plain_cluster,
            ExecutionRoleArn=role, message="runtime roles")

    # Through RunJobFlow (moto's own path), with a MASTER group that has Configurations.
    with_roles = platform_security_configuration(aws, runtime_roles=True)
    livy = [{"Classification": "livy-conf", "Properties": {"livy.server.port": "8999"}}]
    cluster_id = emr.run_job_flow(
        Name=unique("runtime"), ReleaseLabel="emr-7.5.0", JobFlowRole="instance-profile", ServiceRole="service-role",
        SecurityConfiguration=with_roles, Applications=[{"Name": "Spark"}, {"Name": "Livy"}],
        Instances={"KeepJobFlowAliveWhenNoSteps": True, "Ec2SubnetId": net["subnet"],
                   "EmrManagedMasterSecurityGroup": net["master"], "EmrManagedSlaveSecurityGroup": net["core"],
                   "ServiceAccessSecurityGroup": net["service"], "InstanceGroups": [
                       {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1,
                        "Configurations": livy},
                       {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 1}]})["JobFlowId"]
    master = emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]
    assert [g["Configurations"] for g in master if g["InstanceGroupType"] == "MASTER"] == [livy]
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert PRIVATE_DNS.match(cluster["MasterPublicDnsName"])
    assert emr.create_persistent_app_ui(TargetResourceArn=cluster["ClusterArn"])["RuntimeRoleEnabledCluster"] is True

    answer = emr.get_cluster_session_credentials(ClusterId=cluster_id, ExecutionRoleArn=role)
    basic = answer["Credentials"]["UsernamePassword"]
    now = datetime.now(timezone.utc)
    assert now < answer["ExpiresAt"] <= now + timedelta(hours=1, minutes=1)
    # Temporary credentials of the role, as EMR assumed it for this cluster.
    sts = boto3.client("sts", endpoint_url=emulator.url, region_name=REGION, verify=str(emulator.ca_bundle),
                       aws_access_key_id=basic["Username"], aws_secret_access_key=basic["Password"])
    assert sts.get_caller_identity()["Arn"].endswith(f":assumed-role/{role.split('/')[-1]}/{cluster_id}")

    refused("InvalidRequestException", emr.get_cluster_session_credentials, ClusterId=cluster_id)
    refused("InvalidRequestException", emr.get_cluster_session_credentials, ClusterId=cluster_id,
            ExecutionRoleArn="arn:aws:iam::123456789012:role/no-such-role")
    refused("InvalidRequestException", emr.get_cluster_session_credentials, ClusterId="j-NOPE",
            ExecutionRoleArn=role)

    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    assert ec2_instances(aws, cluster_id) == []
    refused("InvalidRequestException", emr.get_cluster_session_credentials, ClusterId=cluster_id,
            ExecutionRoleArn=role)
    aws["cloudformation"].delete_stack(StackName=stack)
    remove_network(aws, net)
    for name in (plain, with_roles):
        emr.delete_security_configuration(Name=name)
    aws["iam"].delete_role(RoleName=role.split("/")[-1])


def test_public_subnet_resizes_and_tags(aws):
    """On a public subnet MasterPublicDnsName is the public name; ModifyInstanceGroups
    launches and terminates nodes; cluster tags reach the running instances."""
    net = network(aws, public=True)
    emr = aws["emr"]
    cluster_id = emr.run_job_flow(
        Name=unique("public"), ReleaseLabel="emr-7.5.0", JobFlowRole="instance-profile", ServiceRole="service-role",
        Instances={"KeepJobFlowAliveWhenNoSteps": True, "Ec2SubnetId": net["subnet"],
                   "EmrManagedMasterSecurityGroup": net["master"], "EmrManagedSlaveSecurityGroup": net["core"],
                   "ServiceAccessSecurityGroup": net["service"],
                   # The uniform form (no InstanceGroups): moto launched no instances for it.
                   "MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge",
                   "InstanceCount": 2})["JobFlowId"]
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    master = emr.list_instances(ClusterId=cluster_id, InstanceGroupTypes=["MASTER"])["Instances"][0]
    assert master["PublicIpAddress"]
    assert cluster["MasterPublicDnsName"] == master["PublicDnsName"]
    assert cluster["MasterPublicDnsName"].endswith(f".{REGION}.compute.amazonaws.com")

    core = next(g for g in emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]
                if g["InstanceGroupType"] == "CORE")
    for count in (3, 1):
        emr.modify_instance_groups(InstanceGroups=[{"InstanceGroupId": core["Id"], "InstanceCount": count}])
        running = emr.list_instances(ClusterId=cluster_id, InstanceGroupId=core["Id"], InstanceStates=["RUNNING"])
        assert len(running["Instances"]) == count
        assert len(ec2_instances(aws, cluster_id)) == 1 + count

    emr.add_tags(ResourceId=cluster_id, Tags=[{"Key": "team", "Value": "ml"}])
    assert {t["Value"] for i in ec2_instances(aws, cluster_id) for t in i["Tags"] if t["Key"] == "team"} == {"ml"}
    emr.remove_tags(ResourceId=cluster_id, TagKeys=["team"])
    assert not [t for i in ec2_instances(aws, cluster_id) for t in i["Tags"] if t["Key"] == "team"]

    refused("InvalidRequestException", emr.list_instances, ClusterId="j-NOPE")
    emr.terminate_job_flows(JobFlowIds=[cluster_id])
    assert ec2_instances(aws, cluster_id) == []
    remove_network(aws, net)
