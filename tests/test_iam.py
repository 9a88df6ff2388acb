"""Unit tests of modules/iam.py on the synthesized stack."""
import json

import pytest

from synthesized import SynthesizedStack, as_list, policy, statements

SEED_STUDIO_ACTIONS = {  # seed 3.5.2, AllowSagemakerProjectManagement policy
    "elasticmapreduce:DescribeCluster", "elasticmapreduce:ListInstanceGroups",
    "elasticmapreduce:CreatePersistentAppUI", "elasticmapreduce:DescribePersistentAppUI",
    "elasticmapreduce:GetPersistentAppUIPresignedURL", "elasticmapreduce:GetOnClusterAppUIPresignedURL",
    "elasticmapreduce:ListInstances", "elasticmapreduce:ListClusters",
    "sagemaker:CreateProject", "sagemaker:DeleteProject", "servicecatalog:SearchProducts",
}


def _role(stack, name):
    return stack.resource("aws_iam_role", f"iam/{name}")


def _template_policies(stack) -> dict:
    """The inline policies of modules/iam.py (the EMR runtime roles' ones: tests/test_emr_runtime_roles.py)."""
    return {path: body for path, body in stack.resources("aws_iam_role_policy").items()
            if not path.startswith("emr_runtime_roles/")}


def _inline(stack, role):
    return {path.split("/", 1)[1]: policy(body) for path, body in _template_policies(stack).items()
            if stack.address("aws_iam_role", f"iam/{role}") in body["role"]}


def _managed(stack, role):
    """The AWS managed policies attached to ``role`` (the runtime roles' policies on the Studio role are
    the platform's own: tests/test_emr_runtime_roles.py)."""
    return {body["policy_arn"].rsplit("/", 1)[1].rstrip('"}')
            for body in stack.resources("aws_iam_role_policy_attachment").values()
            if stack.address("aws_iam_role", f"iam/{role}") in body["role"]
            and ":iam::aws:policy/" in body["policy_arn"]}


@pytest.mark.parametrize("role, service", [
    ("studio_execution", "sagemaker.amazonaws.com"),
    ("emr_service", "elasticmapreduce.amazonaws.com"),
    ("emr_instance", "ec2.amazonaws.com"),
    ("launch", "servicecatalog.amazonaws.com"),
])
def test_role_trusts_its_service_and_is_named_per_domain_and_region(stack: SynthesizedStack, role, service):
    body = _role(stack, role)
    trust = json.loads(body["assume_role_policy"])
    assert [s["Principal"]["Service"] for s in trust["Statement"]] == [service]
    # Studio's execution role: SageMaker sets the user profile's name as source identity with runtime roles.
    assert trust["Statement"][0]["Action"] == (
        ["sts:AssumeRole", "sts:SetSourceIdentity"] if role == "studio_execution" else "sts:AssumeRole")
    assert body["name"].startswith('${"${local.global_name_prefix}-')
    assert body["permissions_boundary"] == "${var.permissions_boundary_arn}"


def test_studio_role_has_the_seed_permissions(stack: SynthesizedStack):
    assert _managed(stack, "studio_execution") == {"AmazonSageMakerFullAccess"}
    actions = {a for doc in _inline(stack, "studio_execution").values()
               for s in doc["Statement"] for a in as_list(s["Action"])}
    assert SEED_STUDIO_ACTIONS <= actions
    assert {"servicecatalog:ProvisionProduct", "servicecatalog:DescribeProductView"} <= actions


def test_s3_access_is_scoped_to_the_platform_buckets(stack: SynthesizedStack):
    buckets = {stack.address("aws_s3_bucket", "storage/artifacts"), stack.address("aws_s3_bucket", "storage/data")}
    for path, body in _template_policies(stack).items():
        for statement in policy(body)["Statement"]:
            if any(a.startswith("s3:") for a in as_list(statement["Action"])):
                for resource in as_list(statement["Resource"]):
                    assert any(resource.startswith(f"${{{b}.arn}}") for b in buckets), (path, resource)
    assert "AmazonS3FullAccess" not in stack.text


# The only actions granted on Resource "*": AWS defines no resource type for
# them, so "*" is the only resource they can be granted on.
WILDCARD_ONLY_ACTIONS = {
    "elasticmapreduce:ListClusters": "lists clusters; no resource type",
    "emr-serverless:ListApplications": "lists applications; no resource type",
    "elasticmapreduce:DescribeSecurityConfiguration": "reads a security configuration; no resource type",
    "servicecatalog:SearchProducts": "lists the products of the role's portfolios; no resource type",
    "servicecatalog:DescribeProductView": "addressed by product view id; no resource type",
    "cloudformation:GetTemplateSummary": "reads a template, not a stack",
    "cloudformation:ValidateTemplate": "reads a template; no resource type",
    # Provisioned products and records: no resource type, but an access level condition (roleLevel).
    "servicecatalog:SearchProvisionedProducts": "access level condition",
    "servicecatalog:DescribeProvisionedProduct": "access level condition",
    "servicecatalog:UpdateProvisionedProduct": "access level condition",
    "servicecatalog:TerminateProvisionedProduct": "access level condition",
    "servicecatalog:DescribeRecord": "access level condition",
    "servicecatalog:ListRecordHistory": "access level condition",
}


def test_wildcard_resources_only_for_actions_without_resource_types(stack: SynthesizedStack):
    seen = set()
    for path, body in _template_policies(stack).items():
        for statement in policy(body)["Statement"]:
            if "*" in as_list(statement["Resource"]):
                actions = set(as_list(statement["Action"]))
                assert actions <= set(WILDCARD_ONLY_ACTIONS), (path, actions - set(WILDCARD_ONLY_ACTIONS))
                if any(WILDCARD_ONLY_ACTIONS[a] == "access level condition" for a in actions):
                    assert statement["Condition"] == {"StringEquals": {"servicecatalog:roleLevel": "self"}}
                seen |= actions
    assert seen == set(WILDCARD_ONLY_ACTIONS), "a listed exception is no longer used: remove it"


def test_studio_role_may_launch_only_this_domains_products(stack: SynthesizedStack):
    document = _inline(stack, "studio_execution")["studio_execution_emr_products"]
    launch = statements(document)["AllowEMRProductLaunch"]
    assert set(launch["Action"]) == {"servicecatalog:ProvisionProduct", "servicecatalog:DescribeProduct",
                                     "servicecatalog:DescribeProvisioningParameters",
                                     "servicecatalog:ListLaunchPaths"}
    products = [stack.address("aws_servicecatalog_product", p) for p in stack.resources("aws_servicecatalog_product")]
    assert products
    body = stack.resource("aws_iam_role_policy", "iam/studio_execution_emr_products")
    assert body["count"] == "${var.enable_emr ? 1 : 0}"
    expected = "${jsonencode([" + ", ".join(f"one({p}[*].arn)" for p in products) + "])}"
    assert body["policy"].count(expected) == 1


def test_every_pass_role_names_our_roles_and_the_service(stack: SynthesizedStack):
    passes = [(path, s) for path, body in _template_policies(stack).items()
              for s in policy(body)["Statement"] if "iam:PassRole" in as_list(s["Action"])]
    # The runtime roles EMR Serverless applications run as are passed per user: tests/test_emr_runtime_roles.py.
    assert len(passes) == 2
    for path, statement in passes:
        assert as_list(statement["Action"]) == ("iam:PassRole",), path
        assert all(r.startswith("${one(aws_iam_role.iam_") for r in as_list(statement["Resource"])), path
        assert statement["Condition"]["StringEquals"]["iam:PassedToService"], path


def test_launch_role_decrypts_templates_only_through_s3(stack: SynthesizedStack):
    found = statements(_inline(stack, "launch")["launch_launch_emr_stack"])["DecryptProductTemplates"]
    assert found["Action"] == ["kms:Decrypt"] and found["Resource"] == "${local.encryption_key_arn}"
    assert found["Condition"] == {"StringEquals": {"kms:ViaService": "s3.${var.region}.amazonaws.com"}}


def test_every_role_gets_the_permissions_boundary_input(stack: SynthesizedStack):
    roles = stack.resources("aws_iam_role")
    assert len(roles) == 7  # studio, emr service, emr instance, launch, flow logs, EMR runtime roles (2, for_each)
    for path, body in roles.items():
        assert body["permissions_boundary"] == "${var.permissions_boundary_arn}", path


def test_emr_roles_use_the_v2_policies(stack: SynthesizedStack):
    assert _managed(stack, "emr_service") == {"AmazonEMRServicePolicy_v2"}
    assert _managed(stack, "launch") == {"AmazonEMRFullAccessPolicy_v2"}
    assert "AmazonElasticMapReduceFullAccess" not in stack.text
    profile = stack.resource("aws_iam_instance_profile", "iam/emr_instance_profile")
    assert stack.address("aws_iam_role", "iam/emr_instance") in profile["role"]


def test_launch_role_passes_exactly_the_two_emr_roles(stack: SynthesizedStack):
    docs = _inline(stack, "launch")
    passes = [s for doc in docs.values() for s in doc["Statement"] if "iam:PassRole" in as_list(s["Action"])]
    assert len(passes) == 1
    expected = {f"${{one({stack.address('aws_iam_role', f'iam/{r}')}[*].arn)}}"
                for r in ("emr_service", "emr_instance")}
    assert set(passes[0]["Resource"]) == expected
    assert "iam:PassedToService" in passes[0]["Condition"]["StringEquals"]
    actions = {a for doc in docs.values() for s in doc["Statement"] for a in as_list(s["Action"])}
    assert {"elasticmapreduce:AddTags", "cloudformation:CreateStack", "cloudformation:DeleteStack",
            "s3:GetObject"} <= actions


def test_emr_roles_exist_only_with_emr(stack: SynthesizedStack):
    for role in ("emr_service", "emr_instance", "launch"):
        assert _role(stack, role)["count"] == "${var.enable_emr ? 1 : 0}"
    assert "count" not in _role(stack, "studio_execution")
