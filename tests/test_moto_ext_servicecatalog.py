"""The emulator's Service Catalog (scripts/moto_ext/servicecatalog): what the
platform's catalog and a Studio user's launch need, with AWS's refusals.

Every test builds its own portfolio, products and roles under unique names on
the session's emulator, so tests neither reset it nor see each other.
"""
from __future__ import annotations

import json

import boto3
import pytest

# The project's own renderer of emr_templates/*.yaml (Terraform's templatefile
# forms) and its sample variables: the launch test uses the real template.
from test_emr_templates import SAMPLE_VARS, TEMPLATES_DIR, render
from aws_answers import refused, unique

pytestmark = pytest.mark.emulator

SMALL_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ClusterName: {Type: String, Default: small, AllowedPattern: "^[a-z0-9-]+$"}
  SageMakerProjectName: {Type: String}
Resources:
  Cluster:
    Type: AWS::EMR::Cluster
    Properties:
      Name: !Ref ClusterName
      ReleaseLabel: emr-7.5.0
      JobFlowRole: instance-profile
      ServiceRole: service-role
      Instances:
        MasterInstanceGroup: {InstanceCount: 1, InstanceType: m5.xlarge}
      Tags: [{Key: sagemaker:project-name, Value: !Ref SageMakerProjectName}]
Outputs:
  ClusterId: {Value: !Ref Cluster}
"""




@pytest.fixture(scope="module")
def clients(emulator):
    services = ("servicecatalog", "s3", "iam", "sts", "emr", "cloudformation", "ec2")
    return {name: emulator.client(name) for name in services}


@pytest.fixture(scope="module")
def sc(clients):
    return clients["servicecatalog"]


@pytest.fixture(scope="module")
def template_url(clients):
    """URL (virtual-hosted, as the platform writes it) of a template in the emulator's S3."""
    bucket = unique("sc-templates")
    clients["s3"].create_bucket(Bucket=bucket)

    def upload(body: str) -> str:
        key = f"{unique('t')}.yaml"
        clients["s3"].put_object(Bucket=bucket, Key=key, Body=body.encode())
        return f"https://{bucket}.s3.us-east-1.amazonaws.com/{key}"

    return upload


def new_product(sc, url: str, **extra) -> str:
    out = sc.create_product(
        Name=extra.pop("Name", unique("emr")), Owner=extra.pop("Owner", "ML platform"),
        ProductType="CLOUD_FORMATION_TEMPLATE", Tags=[{"Key": "sagemaker:studio-visibility:emr", "Value": "true"}],
        ProvisioningArtifactParameters={"Name": "v1", "Type": "CLOUD_FORMATION_TEMPLATE",
                                        "Info": {"LoadTemplateFromURL": url}}, **extra)
    return out["ProductViewDetail"]["ProductViewSummary"]["ProductId"]


def new_portfolio(sc) -> str:
    return sc.create_portfolio(DisplayName=unique("pf"), ProviderName="ML platform")["PortfolioDetail"]["Id"]


def new_role(clients) -> str:
    return clients["iam"].create_role(RoleName=unique("role"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def client_as(emulator, clients, role_arn: str, service: str = "servicecatalog"):
    """A client holding STS credentials of ``role_arn``, as a Studio user's would."""
    creds = clients["sts"].assume_role(RoleArn=role_arn, RoleSessionName="studio-user")["Credentials"]
    return boto3.client(service, endpoint_url=emulator.url, region_name="us-east-1",
                        verify=str(emulator.ca_bundle), aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def launchable(sc, clients, url: str) -> dict:
    """A product in a portfolio with a LAUNCH constraint and a principal role."""
    product, portfolio = new_product(sc, url), new_portfolio(sc)
    launch_role, user_role = new_role(clients), new_role(clients)
    sc.associate_product_with_portfolio(ProductId=product, PortfolioId=portfolio)
    sc.create_constraint(PortfolioId=portfolio, ProductId=product, Type="LAUNCH", IdempotencyToken=unique("c"),
                         Parameters=json.dumps({"RoleArn": launch_role}))
    sc.associate_principal_with_portfolio(PortfolioId=portfolio, PrincipalARN=user_role, PrincipalType="IAM")
    artifact = sc.describe_product_as_admin(Id=product)["ProvisioningArtifactSummaries"][0]["Id"]
    return {"product": product, "portfolio": portfolio, "launch_role": launch_role, "user_role": user_role,
            "artifact": artifact}


def test_product_is_available_with_its_version_and_tags(sc, template_url):
    url = template_url(SMALL_TEMPLATE)
    token = unique("token")
    product = new_product(sc, url, IdempotencyToken=token)
    assert new_product(sc, url, IdempotencyToken=token) == product  # same token, same product

    described = sc.describe_product_as_admin(Id=product)
    assert described["ProductViewDetail"]["Status"] == "AVAILABLE"
    assert described["ProductViewDetail"]["ProductARN"].endswith(f":product/{product}")
    assert [a["Name"] for a in described["ProvisioningArtifactSummaries"]] == ["v1"]
    assert described["Tags"] == [{"Key": "sagemaker:studio-visibility:emr", "Value": "true"}]

    updated = sc.update_product(Id=product, Name="renamed", Description="EMR",
                                AddTags=[{"Key": "team", "Value": "ml"}],
                                RemoveTags=["sagemaker:studio-visibility:emr"])
    assert updated["ProductViewDetail"]["ProductViewSummary"]["Name"] == "renamed"
    assert updated["ProductViewDetail"]["ProductViewSummary"]["Owner"] == "ML platform"  # untouched
    assert sc.describe_product_as_admin(Id=product)["Tags"] == [{"Key": "team", "Value": "ml"}]

    refused("InvalidParametersException", new_product, sc, url.replace(".yaml", "-missing.yaml"))
    refused("ResourceNotFoundException", sc.describe_product_as_admin, Id="prod-doesnotexist1")


def test_provisioning_artifacts_and_refusals(sc, template_url):
    url = template_url(SMALL_TEMPLATE)
    product = new_product(sc, url)
    first = sc.describe_product_as_admin(Id=product)["ProvisioningArtifactSummaries"][0]["Id"]
    bucket, key = url.removeprefix("https://").split(".s3.us-east-1.amazonaws.com/")
    path_style = f"https://s3.us-east-1.amazonaws.com/{bucket}/{key}"  # path style reads the same object
    second = sc.create_provisioning_artifact(
        ProductId=product, IdempotencyToken=unique("pa"),
        Parameters={"Name": "v2", "Description": "second", "Info": {"LoadTemplateFromURL": path_style}})
    assert second["Status"] == "AVAILABLE"
    second_id = second["ProvisioningArtifactDetail"]["Id"]

    described = sc.describe_provisioning_artifact(ProductId=product, ProvisioningArtifactId=second_id)
    assert described["Info"] == {"TemplateUrl": path_style}
    assert described["ProvisioningArtifactDetail"]["Active"] is True
    assert described["ProvisioningArtifactDetail"]["Guidance"] == "DEFAULT"
    by_name = sc.describe_provisioning_artifact(ProductId=product, ProvisioningArtifactName="v2",
                                                IncludeProvisioningArtifactParameters=True)
    assert {p["ParameterKey"] for p in by_name["ProvisioningArtifactParameters"]} == {"ClusterName",
                                                                                      "SageMakerProjectName"}
    listed = sc.list_provisioning_artifacts(ProductId=product)["ProvisioningArtifactDetails"]
    assert [a["Id"] for a in listed] == [first, second_id]

    updated = sc.update_provisioning_artifact(ProductId=product, ProvisioningArtifactId=first, Active=False,
                                              Guidance="DEPRECATED", Name="v1-old", Description="old")
    assert updated["ProvisioningArtifactDetail"] | {"CreatedTime": None} == {
        "Id": first, "Name": "v1-old", "Description": "old", "Type": "CLOUD_FORMATION_TEMPLATE",
        "CreatedTime": None, "Active": False, "Guidance": "DEPRECATED"}
    refused("InvalidParametersException", sc.update_provisioning_artifact,
            ProductId=product, ProvisioningArtifactId=first, Guidance="LATEST")

    sc.delete_provisioning_artifact(ProductId=product, ProvisioningArtifactId=first)
    refused("ResourceNotFoundException", sc.describe_provisioning_artifact,
            ProductId=product, ProvisioningArtifactId=first)
    # A product keeps at least one version.
    refused("InvalidParametersException", sc.delete_provisioning_artifact,
            ProductId=product, ProvisioningArtifactId=second_id)


def test_product_portfolio_association_blocks_deletes(sc, template_url):
    product, portfolio = new_product(sc, template_url(SMALL_TEMPLATE)), new_portfolio(sc)
    sc.associate_product_with_portfolio(ProductId=product, PortfolioId=portfolio)
    sc.associate_product_with_portfolio(ProductId=product, PortfolioId=portfolio)  # twice is fine
    assert [p["Id"] for p in sc.list_portfolios_for_product(ProductId=product)["PortfolioDetails"]] == [portfolio]

    for delete in (lambda: sc.delete_product(Id=product), lambda: sc.delete_portfolio(Id=portfolio)):
        refused("ResourceInUseException", delete)

    sc.disassociate_product_from_portfolio(ProductId=product, PortfolioId=portfolio)
    assert sc.list_portfolios_for_product(ProductId=product)["PortfolioDetails"] == []
    refused("ResourceNotFoundException", sc.disassociate_product_from_portfolio,
            ProductId=product, PortfolioId=portfolio)
    sc.delete_product(Id=product)
    sc.delete_portfolio(Id=portfolio)
    refused("ResourceNotFoundException", sc.describe_portfolio, Id=portfolio)


def test_launch_constraint_needs_the_association_and_is_unique(sc, clients, template_url):
    product, portfolio, role = new_product(sc, template_url(SMALL_TEMPLATE)), new_portfolio(sc), new_role(clients)
    launch = {"PortfolioId": portfolio, "ProductId": product, "Type": "LAUNCH",
              "Parameters": json.dumps({"RoleArn": role})}
    refused("ResourceNotFoundException", sc.create_constraint, IdempotencyToken=unique("c"), **launch)

    sc.associate_product_with_portfolio(ProductId=product, PortfolioId=portfolio)
    created = sc.create_constraint(IdempotencyToken=unique("c"), Description="launch role", **launch)
    constraint = created["ConstraintDetail"]["ConstraintId"]
    described = sc.describe_constraint(Id=constraint)
    assert described["Status"] == "AVAILABLE"
    assert json.loads(described["ConstraintParameters"]) == {"RoleArn": role}
    assert described["ConstraintDetail"] | {"Owner": None} == {
        "ConstraintId": constraint, "Type": "LAUNCH", "Description": "launch role", "Owner": None,
        "ProductId": product, "PortfolioId": portfolio}

    refused("DuplicateResourceException", sc.create_constraint, IdempotencyToken=unique("c"), **launch)
    refused("InvalidParametersException", sc.update_constraint,
            Id=constraint, Parameters=json.dumps({"RoleArn": role, "LocalRoleName": "x"}))
    sc.update_constraint(Id=constraint, Description="other", Parameters=json.dumps({"LocalRoleName": "launcher"}))
    listed = sc.list_constraints_for_portfolio(PortfolioId=portfolio, ProductId=product)["ConstraintDetails"]
    assert [(c["ConstraintId"], c["Description"]) for c in listed] == [(constraint, "other")]

    # The constraint belongs to the association.
    refused("ResourceInUseException", sc.disassociate_product_from_portfolio,
            ProductId=product, PortfolioId=portfolio)
    sc.delete_constraint(Id=constraint)
    refused("ResourceNotFoundException", sc.describe_constraint, Id=constraint)
    sc.disassociate_product_from_portfolio(ProductId=product, PortfolioId=portfolio)


def test_principal_associations(sc, clients):
    portfolio, role = new_portfolio(sc), new_role(clients)
    sc.associate_principal_with_portfolio(PortfolioId=portfolio, PrincipalARN=role, PrincipalType="IAM")
    pattern = "arn:aws:iam:::role/studio-*"
    sc.associate_principal_with_portfolio(PortfolioId=portfolio, PrincipalARN=pattern, PrincipalType="IAM_PATTERN")
    assert sc.list_principals_for_portfolio(PortfolioId=portfolio)["Principals"] == [
        {"PrincipalARN": role, "PrincipalType": "IAM"}, {"PrincipalARN": pattern, "PrincipalType": "IAM_PATTERN"}]
    refused("InvalidParametersException", sc.associate_principal_with_portfolio,
            PortfolioId=portfolio, PrincipalARN="studio", PrincipalType="IAM")
    refused("ResourceInUseException", sc.delete_portfolio, Id=portfolio)

    sc.disassociate_principal_from_portfolio(PortfolioId=portfolio, PrincipalARN=role, PrincipalType="IAM")
    refused("ResourceNotFoundException", sc.disassociate_principal_from_portfolio,
            PortfolioId=portfolio, PrincipalARN=role, PrincipalType="IAM")
    sc.disassociate_principal_from_portfolio(PortfolioId=portfolio, PrincipalARN=pattern, PrincipalType="IAM_PATTERN")
    assert sc.list_principals_for_portfolio(PortfolioId=portfolio)["Principals"] == []


def test_search_products_answers_for_the_callers_role(emulator, sc, clients, template_url):
    url = template_url(SMALL_TEMPLATE)
    mine, other = launchable(sc, clients, url), launchable(sc, clients, url)
    sc.update_product(Id=mine["product"], Description="Spark and Livy on EMR")
    as_user = client_as(emulator, clients, mine["user_role"])

    found = as_user.search_products()["ProductViewSummaries"]
    assert [p["ProductId"] for p in found] == [mine["product"]]
    assert found[0]["HasDefaultPath"] is True and found[0]["Owner"] == "ML platform"
    assert [p["ProductId"] for p in as_user.search_products(Filters={"FullTextSearch": ["livy"]})
            ["ProductViewSummaries"]] == [mine["product"]]
    assert as_user.search_products(Filters={"Owner": ["someone else"]})["ProductViewSummaries"] == []
    # The emulator's default credentials are no principal of any portfolio.
    assert mine["product"] not in [p["ProductId"] for p in sc.search_products()["ProductViewSummaries"]]
    refused("ResourceNotFoundException", as_user.describe_product, Id=other["product"])

    described = as_user.describe_product(Id=mine["product"])
    assert [p["Id"] for p in described["LaunchPaths"]] == [mine["portfolio"]]
    paths = as_user.list_launch_paths(ProductId=mine["product"])["LaunchPathSummaries"]
    assert paths[0]["ConstraintSummaries"] == [{"Type": "LAUNCH", "Description": ""}]
    parameters = as_user.describe_provisioning_parameters(ProductId=mine["product"],
                                                          ProvisioningArtifactId=mine["artifact"])
    assert [p["ParameterKey"] for p in parameters["ProvisioningArtifactParameters"]] == [
        "ClusterName", "SageMakerProjectName"]

    # A role matching an IAM_PATTERN association sees the product too.
    pattern_role = clients["iam"].create_role(RoleName=unique("studio-pattern"),
                                              AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sc.associate_principal_with_portfolio(PortfolioId=other["portfolio"], PrincipalType="IAM_PATTERN",
                                          PrincipalARN="arn:aws:iam:::role/studio-pattern-*")
    as_pattern = client_as(emulator, clients, pattern_role)
    assert [p["ProductId"] for p in as_pattern.search_products()["ProductViewSummaries"]] == [other["product"]]


def test_launch_and_terminate_a_small_product(emulator, sc, clients, template_url):
    setup = launchable(sc, clients, template_url(SMALL_TEMPLATE))
    as_user = client_as(emulator, clients, setup["user_role"])
    name = unique("pp")
    launched = as_user.provision_product(
        ProductId=setup["product"], ProvisioningArtifactId=setup["artifact"], ProvisionedProductName=name,
        ProvisionToken=unique("t"), ProvisioningParameters=[{"Key": "SageMakerProjectName", "Value": "p1"}])
    record = launched["RecordDetail"]
    assert (record["Status"], record["RecordType"], record["LaunchRoleArn"]) == (
        "CREATED", "PROVISION_PRODUCT", setup["launch_role"])

    described = as_user.describe_record(Id=record["RecordId"])
    assert described["RecordDetail"]["Status"] == "SUCCEEDED"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["RecordOutputs"]}
    cluster = clients["emr"].describe_cluster(ClusterId=outputs["ClusterId"])["Cluster"]
    assert cluster["Status"]["State"] == "WAITING"
    pp = as_user.describe_provisioned_product(Name=name)["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE"
    stack = clients["cloudformation"].describe_stacks(StackName=outputs["CloudformationStackARN"])["Stacks"][0]
    assert stack["StackName"] == f"SC-123456789012-{pp['Id']}"
    assert stack["RoleARN"] == setup["launch_role"]

    # Search (default access level Account) and Scan (default User) find it.
    searched = as_user.search_provisioned_products(Filters={"SearchQuery": [f"name:{name}"]})
    assert searched["TotalResultsCount"] == 1
    attributes = searched["ProvisionedProducts"][0]
    assert (attributes["PhysicalId"], attributes["UserArn"], attributes["ProductName"]) == (
        outputs["CloudformationStackARN"], setup["user_role"], sc.describe_product_as_admin(
            Id=setup["product"])["ProductViewDetail"]["ProductViewSummary"]["Name"])
    assert pp["Id"] in [p["Id"] for p in as_user.scan_provisioned_products()["ProvisionedProducts"]]
    assert pp["Id"] not in [p["Id"] for p in sc.scan_provisioned_products()["ProvisionedProducts"]]
    assert pp["Id"] in [p["Id"] for p in sc.search_provisioned_products()["ProvisionedProducts"]]

    refused("DuplicateResourceException", as_user.provision_product,
            ProductId=setup["product"], ProvisioningArtifactId=setup["artifact"], ProvisionedProductName=name,
            ProvisionToken=unique("t"), ProvisioningParameters=[{"Key": "SageMakerProjectName", "Value": "p1"}])

    terminated = as_user.terminate_provisioned_product(ProvisionedProductName=name, TerminateToken=unique("t"))
    assert as_user.describe_record(Id=terminated["RecordDetail"]["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert clients["emr"].describe_cluster(ClusterId=outputs["ClusterId"])["Cluster"]["Status"]["State"] == "TERMINATED"
    refused("ResourceNotFoundException", as_user.describe_provisioned_product, Name=name)


def test_launch_refusals_and_failed_records(emulator, sc, clients, template_url):
    setup = launchable(sc, clients, template_url(SMALL_TEMPLATE))
    as_user = client_as(emulator, clients, setup["user_role"])
    launch = {"ProductId": setup["product"], "ProvisioningArtifactId": setup["artifact"]}

    refused("InvalidParametersException", as_user.provision_product,
            ProvisionedProductName=unique("pp"), ProvisionToken=unique("t"),
            ProvisioningParameters=[{"Key": "Nope", "Value": "x"}], **launch)
    # The emulator's default credentials have no launch path.
    refused("ResourceNotFoundException", sc.provision_product,
            ProvisionedProductName=unique("pp"), ProvisionToken=unique("t"), **launch)

    sc.update_provisioning_artifact(ProductId=setup["product"], ProvisioningArtifactId=setup["artifact"],
                                    Guidance="DEPRECATED")
    # No new launches of a deprecated version.
    refused("InvalidParametersException", as_user.provision_product,
            ProvisionedProductName=unique("pp"), ProvisionToken=unique("t"), **launch)
    sc.update_provisioning_artifact(ProductId=setup["product"], ProvisioningArtifactId=setup["artifact"],
                                    Guidance="DEFAULT")

    # CloudFormation refuses the values: the record fails, the product is in ERROR.
    failed = as_user.provision_product(
        ProvisionedProductName=unique("pp"), ProvisionToken=unique("t"), **launch,
        ProvisioningParameters=[{"Key": "ClusterName", "Value": "Not_Allowed"}])["RecordDetail"]
    record = as_user.describe_record(Id=failed["RecordId"])["RecordDetail"]
    assert record["Status"] == "FAILED"
    assert any("must match pattern" in e["Description"] for e in record["RecordErrors"])
    assert any("SageMakerProjectName" in e["Description"] for e in record["RecordErrors"])
    pp = as_user.describe_provisioned_product(Id=failed["ProvisionedProductId"])["ProvisionedProductDetail"]
    assert pp["Status"] == "ERROR"
    as_user.terminate_provisioned_product(ProvisionedProductId=pp["Id"], TerminateToken=unique("t"))


def test_launching_the_platform_template_creates_its_emr_cluster(emulator, sc, clients, template_url):
    """emr_templates/spark-livy-cluster.yaml rendered as Terraform would, with a
    subnet and security groups that exist, launched as Studio does."""
    ec2 = clients["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    groups = {kind: ec2.create_security_group(GroupName=unique(kind), Description=kind, VpcId=vpc)["GroupId"]
              for kind in ("master", "core", "service")}
    variables = {**SAMPLE_VARS, "subnet_id": subnet, "master_security_group_id": groups["master"],
                 "core_security_group_id": groups["core"], "service_access_security_group_id": groups["service"]}
    body = render((TEMPLATES_DIR / "spark-livy-cluster.yaml").read_text(), variables)
    setup = launchable(sc, clients, template_url(body))
    as_user = client_as(emulator, clients, setup["user_role"])

    name = unique("studio-cluster")
    record = as_user.provision_product(
        ProductId=setup["product"], ProvisioningArtifactId=setup["artifact"], ProvisionedProductName=name,
        ProvisionToken=unique("t"), ProvisioningParameters=[
            {"Key": "SageMakerProjectName", "Value": "churn"}, {"Key": "SageMakerProjectId", "Value": "p-123"},
            {"Key": "CoreInstanceCount", "Value": "5"}])["RecordDetail"]
    described = as_user.describe_record(Id=record["RecordId"])
    assert described["RecordDetail"]["Status"] == "SUCCEEDED", described["RecordDetail"]["RecordErrors"]
    cluster_id = {o["OutputKey"]: o["OutputValue"] for o in described["RecordOutputs"]}["ClusterId"]

    emr = clients["emr"]
    assert cluster_id in [c["Id"] for c in emr.list_clusters(ClusterStates=["WAITING"])["Clusters"]]
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    assert cluster["Name"] == "ml-dev-spark-livy"
    assert cluster["ReleaseLabel"] == "emr-7.5.0"
    assert cluster["SecurityConfiguration"] == "ml-dev-emr"
    attributes = cluster["Ec2InstanceAttributes"]
    assert (attributes["Ec2SubnetId"], attributes["EmrManagedMasterSecurityGroup"],
            attributes["EmrManagedSlaveSecurityGroup"], attributes["ServiceAccessSecurityGroup"]) == (
        subnet, groups["master"], groups["core"], groups["service"])
    tags = {t["Key"]: t["Value"] for t in cluster["Tags"]}
    assert {k: tags.get(k) for k in ("sagemaker:project-name", "sagemaker:project-id", "platform:domain",
                                     "for-use-with-amazon-emr-managed-policies")} == {
        "sagemaker:project-name": "churn", "sagemaker:project-id": "p-123", "platform:domain": "ml-dev",
        "for-use-with-amazon-emr-managed-policies": "true"}
    assert tags["aws:servicecatalog:productArn"].endswith(setup["product"])
    assert {a["Name"] for a in cluster["Applications"]} == {"Spark", "Livy", "JupyterEnterpriseGateway", "Hive"}
    assert cluster["Configurations"] == [{"Classification": "livy-conf", "Configurations": [],
                                          "Properties": {"livy.server.session.timeout": "2h"}}]
    assert (cluster["VisibleToAllUsers"], cluster["EbsRootVolumeSize"], cluster["AutoTerminate"]) == (True, 32, False)
    counts = {g["InstanceGroupType"]: g["RequestedInstanceCount"]
              for g in emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]}
    assert counts == {"MASTER": 1, "CORE": 5}
    assert emr.list_bootstrap_actions(ClusterId=cluster_id)["BootstrapActions"][0]["ScriptPath"] == \
        SAMPLE_VARS["bootstrap_script_uri"]

    as_user.terminate_provisioned_product(ProvisionedProductName=name, TerminateToken=unique("t"))
    assert emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"] == "TERMINATED"
    assert cluster_id not in [c["Id"] for c in emr.list_clusters(ClusterStates=["WAITING"])["Clusters"]]
