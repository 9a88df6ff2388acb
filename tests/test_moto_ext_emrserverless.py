"""The emulator's EMR Serverless (scripts/moto_ext/emrserverless): applications as the platform makes them
(CREATED, Livy endpoint, network configuration in the domain's VPC, tags) and AWS's refusals that the
platform's destroy and Studio's connect path meet.

Each test makes its own VPC and applications under unique names, in eu-west-1.
"""
from __future__ import annotations

import uuid

import pytest

from aws_answers import refused, unique

pytestmark = pytest.mark.emulator

REGION = "eu-west-1"
LIVY = {"livyEndpointEnabled": True, "studioEnabled": False}


@pytest.fixture(scope="module")
def aws(emulator):
    return {name: emulator.client(name, REGION) for name in ("emr-serverless", "ec2")}


def network(ec2) -> dict:
    second = uuid.uuid4().int % 250 + 1
    vpc = ec2.create_vpc(CidrBlock=f"10.{second}.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second}.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=unique("serverless"), Description="t", VpcId=vpc)["GroupId"]
    return {"subnetIds": [subnet], "securityGroupIds": [group]}


def create(aws, **overrides) -> dict:
    args = dict(name=unique("ml-prod-spark"), releaseLabel="emr-7.5.0", type="SPARK",
                interactiveConfiguration=LIVY, networkConfiguration=network(aws["ec2"]),
                tags={"sagemaker:domain-arn": "arn:aws:sagemaker:eu-west-1:123456789012:domain/d-abc"})
    args.update(overrides)
    return aws["emr-serverless"].create_application(**args)


def test_an_application_is_created_with_its_livy_endpoint_network_and_tags(aws):
    created = create(aws)
    app = aws["emr-serverless"].get_application(applicationId=created["applicationId"])["application"]
    assert app["state"] == "CREATED"  # AWS: CREATING, then CREATED; never STARTED before StartApplication
    assert app["interactiveConfiguration"] == LIVY
    assert app["architecture"] == "X86_64"
    assert app["networkConfiguration"]["subnetIds"] and app["networkConfiguration"]["securityGroupIds"]
    assert app["tags"]["sagemaker:domain-arn"].endswith("domain/d-abc")
    assert created["arn"] == f"arn:aws:emr-serverless:{REGION}:123456789012:/applications/{created['applicationId']}"
    listed = {a["id"]: a for a in aws["emr-serverless"].list_applications()["applications"]}
    assert listed[created["applicationId"]]["architecture"] == "X86_64"


def test_the_engine_is_taken_in_any_case(aws):
    app_id = create(aws, type="spark")["applicationId"]  # as the Terraform provider sends it
    assert aws["emr-serverless"].get_application(applicationId=app_id)["application"]["type"].upper() == "SPARK"
    refused("ValidationException", create, aws, type="flink", message="Unsupported engine")


def test_a_livy_endpoint_needs_emr_6_14_or_later(aws):
    refused("ValidationException", create, aws, releaseLabel="emr-6.13.0", message="Livy endpoint")
    assert create(aws, releaseLabel="emr-6.14.0")["applicationId"]


def test_the_network_configuration_names_existing_subnets_and_groups_of_one_vpc(aws):
    good, other = network(aws["ec2"]), network(aws["ec2"])
    refused("ValidationException", create, aws, message="subnet-00000000000000000",
            networkConfiguration={"subnetIds": ["subnet-00000000000000000"],
                                  "securityGroupIds": good["securityGroupIds"]})
    refused("ValidationException", create, aws, message="sg-00000000000000000",
            networkConfiguration={"subnetIds": good["subnetIds"], "securityGroupIds": ["sg-00000000000000000"]})
    refused("ValidationException", create, aws, message="one VPC",
            networkConfiguration={"subnetIds": good["subnetIds"], "securityGroupIds": other["securityGroupIds"]})


def test_a_started_application_can_be_neither_updated_nor_deleted_until_stopped(aws):
    client = aws["emr-serverless"]
    app_id = create(aws)["applicationId"]
    client.start_application(applicationId=app_id)
    client.start_application(applicationId=app_id)  # Studio's connect starts it on every connect
    assert client.get_application(applicationId=app_id)["application"]["state"] == "STARTED"
    refused("ValidationException", client.update_application, applicationId=app_id,
            autoStopConfiguration={"enabled": True, "idleTimeoutMinutes": 30}, message="CREATED, STOPPED")
    refused("ValidationException", client.delete_application, applicationId=app_id, message="CREATED, STOPPED")
    client.stop_application(applicationId=app_id)
    client.update_application(applicationId=app_id, autoStopConfiguration={"enabled": True, "idleTimeoutMinutes": 30},
                              interactiveConfiguration={"livyEndpointEnabled": True, "studioEnabled": True})
    app = client.get_application(applicationId=app_id)["application"]
    assert app["autoStopConfiguration"]["idleTimeoutMinutes"] == 30
    assert app["interactiveConfiguration"]["studioEnabled"] is True
    client.delete_application(applicationId=app_id)
    assert client.get_application(applicationId=app_id)["application"]["state"] == "TERMINATED"
    refused("ValidationException", client.start_application, applicationId=app_id, message="terminated")


def test_tags_are_added_listed_and_removed_by_arn(aws):
    client = aws["emr-serverless"]
    arn = create(aws)["arn"]
    client.tag_resource(resourceArn=arn, tags={"team": "a"})
    assert client.list_tags_for_resource(resourceArn=arn)["tags"]["team"] == "a"
    client.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert "team" not in client.list_tags_for_resource(resourceArn=arn)["tags"]
    refused("ResourceNotFoundException", client.list_tags_for_resource,
            resourceArn=arn.replace(arn.rsplit("/", 1)[1], "0000000000000000"))
