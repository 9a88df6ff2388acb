"""The emulator's CloudFormation resolves dynamic references to SSM parameters
(scripts/moto_ext/cloudformation), as AWS does: the product template names the
domain's subnet and security groups that way (modules/emr_catalog.py).

Against the session's emulator, in eu-west-1, with names of its own.
"""
from __future__ import annotations

import pytest

from aws_answers import refused, unique
from test_emr_templates import SAMPLE_VARS, TEMPLATES_DIR, render
from test_moto_ext_emr import REGION, network, platform_security_configuration, remove_network

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def aws(emulator):
    return {name: emulator.client(name, REGION) for name in ("emr", "ec2", "cloudformation", "ssm")}


def _product_stack(aws, variables: dict) -> str:
    body = render((TEMPLATES_DIR / "spark-livy-cluster.yaml").read_text(), {**SAMPLE_VARS, **variables})
    name = unique("SC-123456789012-pp")
    aws["cloudformation"].create_stack(StackName=name, TemplateBody=body, Parameters=[
        {"ParameterKey": "SageMakerProjectName", "ParameterValue": "churn"},
        {"ParameterKey": "SageMakerProjectId", "ParameterValue": "p-123"}])
    return name


def test_a_template_that_names_the_network_by_ssm_parameter_launches_into_it(aws):
    net = network(aws)
    prefix = f"/{unique('platform')}/emr"
    ids = {"subnet_id": net["subnet"], "master_security_group_id": net["master"],
           "core_security_group_id": net["core"], "service_access_security_group_id": net["service"]}
    for variable, value in ids.items():
        aws["ssm"].put_parameter(Name=f"{prefix}/{variable}", Value=value, Type="String")
    references = {variable: f"{{{{resolve:ssm:{prefix}/{variable}}}}}" for variable in ids}
    stack = _product_stack(aws, {**references,
                                 "security_configuration_name": platform_security_configuration(aws)})
    described = aws["cloudformation"].describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", described
    cluster_id = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}["ClusterId"]
    attributes = aws["emr"].describe_cluster(ClusterId=cluster_id)["Cluster"]["Ec2InstanceAttributes"]
    assert attributes["Ec2SubnetId"] == net["subnet"]
    assert attributes["EmrManagedMasterSecurityGroup"] == net["master"]
    assert attributes["EmrManagedSlaveSecurityGroup"] == net["core"]
    assert attributes["ServiceAccessSecurityGroup"] == net["service"]
    # The template names the parameters, not the ids: the template stays the same when they change.
    assert net["subnet"] not in aws["cloudformation"].get_template(StackName=stack)["TemplateBody"]

    # A named version resolves that version; a missing parameter or version fails the launch.
    aws["ssm"].put_parameter(Name=f"{prefix}/subnet_id", Value="subnet-00000000000000000", Type="String",
                             Overwrite=True)
    refused("ValidationError", _product_stack, aws,
            {**references, "subnet_id": f"{{{{resolve:ssm:{prefix}/nothing}}}}"},
            message=f"Parameters: [ssm:{prefix}/nothing] cannot be found.")
    refused("ValidationError", _product_stack, aws,
            {**references, "subnet_id": f"{{{{resolve:ssm:{prefix}/subnet_id:7}}}}"},
            message=f"Parameters: [ssm:{prefix}/subnet_id:7] cannot be found.")
    stack_2 = _product_stack(aws, {**references, "subnet_id": f"{{{{resolve:ssm:{prefix}/subnet_id:1}}}}",
                                   "security_configuration_name": platform_security_configuration(aws)})
    cluster_2 = {o["OutputKey"]: o["OutputValue"] for o in aws["cloudformation"].describe_stacks(
        StackName=stack_2)["Stacks"][0]["Outputs"]}["ClusterId"]
    assert aws["emr"].describe_cluster(ClusterId=cluster_2)["Cluster"]["Ec2InstanceAttributes"][
        "Ec2SubnetId"] == net["subnet"]  # version 1, not the overwrite
    aws["cloudformation"].delete_stack(StackName=stack_2)
    aws["cloudformation"].delete_stack(StackName=stack)
    for variable in ids:
        aws["ssm"].delete_parameter(Name=f"{prefix}/{variable}")
    remove_network(aws, net)


def test_an_ssm_reference_to_a_secure_string_is_refused(aws):
    name = f"/{unique('platform')}/secret"
    aws["ssm"].put_parameter(Name=name, Value="subnet-0123456789abcdef0", Type="SecureString")
    refused("ValidationError", _product_stack, aws, {"subnet_id": f"{{{{resolve:ssm:{name}}}}}"},
            message="is a SecureString: use ssm-secure")
    aws["ssm"].delete_parameter(Name=name)
