"""Unit tests of modules/emr_catalog.py on the synthesized stack."""
import re

from modules.emr_catalog import template_names
from synthesized import SynthesizedStack
from test_emr_templates import TEMPLATE_CONTRACT


def test_one_visible_product_per_template(stack: SynthesizedStack, repo_root):
    names = template_names(repo_root / "emr_templates")
    assert names, "emr_templates/ has no product template"
    products = stack.resources("aws_servicecatalog_product")
    assert len(products) == len(names)
    for product in products.values():
        assert product["tags"] == {"sagemaker:studio-visibility:emr": "true"}
        assert product["type"] == "CLOUD_FORMATION_TEMPLATE"
        assert product["provisioning_artifact_parameters"]["template_url"].startswith('${"https://${')


def test_templates_are_rendered_with_exactly_the_contract_variables(stack: SynthesizedStack):
    rendered = [v for k, v in stack.config["locals"].items() if k.startswith("emr_template_")]
    assert rendered
    for expression in rendered:
        variables = set(re.findall(r"(\w+) = ", expression.split(", {", 1)[1]))
        assert variables == set(TEMPLATE_CONTRACT)
        assert "local.network_private_subnet_ids[0]" in expression


def test_template_key_changes_with_its_content(stack: SynthesizedStack):
    for upload in stack.resources("aws_s3_object").values():
        if upload["key"].startswith('${"catalog/'):
            assert "md5(local.emr_template_" in upload["key"]


def test_association_launch_constraint_and_principals(stack: SynthesizedStack):
    associations = stack.resources("aws_servicecatalog_product_portfolio_association")
    constraints = stack.resources("aws_servicecatalog_constraint")
    assert len(associations) == len(constraints) == len(stack.resources("aws_servicecatalog_product"))
    launch = stack.address("aws_iam_role", "iam/launch")
    for constraint in constraints.values():
        assert constraint["type"] == "LAUNCH"
        assert f"RoleArn = one({launch}[*].arn)" in constraint["parameters"]
    principal = stack.resource("aws_servicecatalog_principal_portfolio_association", "emr_catalog/principal")
    assert principal["principal_type"] == "IAM"
    assert principal["for_each"].startswith("${var.enable_emr ? merge({\"platform\" = one(")


def test_catalog_exists_only_with_emr(stack: SynthesizedStack):
    for type_ in ("aws_servicecatalog_portfolio", "aws_servicecatalog_product", "aws_servicecatalog_constraint",
                  "aws_servicecatalog_product_portfolio_association"):
        for body in stack.resources(type_).values():
            assert body["count"] == "${var.enable_emr ? 1 : 0}"


def test_templates_get_the_domains_emr_security_configuration(stack: SynthesizedStack):
    configuration = stack.address("aws_emr_security_configuration", "emr_security/configuration")
    for k, expression in stack.config["locals"].items():
        if k.startswith("emr_template_"):
            assert f"security_configuration_name = one({configuration}[*].name)" in expression
