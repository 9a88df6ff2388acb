"""Unit tests of modules/emr_catalog.py on the synthesized stack."""
import re

from modules.emr_values import template_names
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
        # The network's ids reach the template as SSM dynamic references (resolved at launch).
        for variable in ("subnet_id", "master_security_group_id", "core_security_group_id",
                         "service_access_security_group_id"):
            name = f"/sagemaker-emr-platform/${{var.domain_name}}/emr-templates/{variable}"
            assert f'{variable} = "{{{{resolve:ssm:{name}}}}}"' in expression, variable
            parameter = stack.resource("aws_ssm_parameter", f"emr_catalog/{variable}_parameter")
            assert parameter["name"] == f'${{"{name}"}}'


def test_network_ids_are_ssm_parameters_the_launch_role_may_read(stack: SynthesizedStack):
    """A network change replaces the subnet or a group: their ids live in SSM parameters, so the
    rendered template (and the version name, a for_each key) stays known at plan time."""
    parameters = stack.resources("aws_ssm_parameter")
    assert {p["//"]["metadata"]["path"].rsplit("/", 1)[1] for p in parameters.values()} == {
        "subnet_id_parameter", "master_security_group_id_parameter", "core_security_group_id_parameter",
        "service_access_security_group_id_parameter"}
    subnet = stack.resource("aws_ssm_parameter", "emr_catalog/subnet_id_parameter")
    assert subnet["value"] == "${local.network_private_subnet_ids[0]}"
    assert subnet["name"] == '${"/sagemaker-emr-platform/${var.domain_name}/emr-templates/subnet_id"}'
    for body in parameters.values():
        assert body["type"] == "String" and body["count"] == "${var.enable_emr ? 1 : 0}"
    for upload in stack.resources("aws_s3_object").values():
        if upload["key"].startswith('${"catalog/'):  # a template exists only after what it names
            assert sorted(upload["depends_on"]) == sorted(
                stack.address("aws_ssm_parameter", path) for path in parameters)
    policy = stack.resource("aws_iam_role_policy", "iam/launch_launch_template_parameters")
    assert policy["role"].startswith("${one(aws_iam_role.iam_launch_")
    document = policy["policy"]
    assert document.count('"Sid"') == 1 and re.search(r'"Action": \[\s*"ssm:GetParameters"\s*\]', document)
    for address in (stack.address("aws_ssm_parameter", f"emr_catalog/{v}_parameter") for v in (
            "subnet_id", "master_security_group_id")):
        assert f"one({address}[*].arn)" in document


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


def test_a_template_change_is_a_new_version_of_the_same_product(stack: SynthesizedStack):
    """The product keeps its first version's arguments; versions are their own
    resources, named by the rendered template's hash, DEFAULT or DEPRECATED."""
    for product in stack.resources("aws_servicecatalog_product").values():
        assert product["lifecycle"] == {"ignore_changes": ["provisioning_artifact_parameters"]}
        tid = re.search(r"local\.emr_versions_(\w+)\.current", product["provisioning_artifact_parameters"]["name"])[1]
        version = stack.address("aws_servicecatalog_provisioning_artifact", f"emr_catalog/{tid}_version")
        # Destroy deletes the product (and with it every version) before the versions:
        # Service Catalog refuses to delete a product's last version.
        assert product["depends_on"] == [version]
        body = stack.resource("aws_servicecatalog_provisioning_artifact", f"emr_catalog/{tid}_version")
        assert body["for_each"] == f"${{local.emr_versions_{tid}.managed}}"
        assert body["name"] == "${each.key}" and body["guidance"] == "${each.value}"
        assert body["product_id"] == f"${{local.emr_versions_{tid}.product_id}}"
        assert "template_url" in body["lifecycle"]["ignore_changes"]
        assert body["template_url"] == product["provisioning_artifact_parameters"]["template_url"]
        assert stack.local(f"emr_version_{tid}") == (
            f'${{"v${{substr(md5(local.emr_template_{tid}), 0, 12)}}"}}')
        managed = stack.local(f"emr_versions_{tid}")
        assert 'name => name == local.emr_version_' in managed and '? "DEFAULT" : "DEPRECATED"' in managed
        assert "var.emr_product_versions_kept - 1" in managed
        # The product's own first version joins the managed ones by import, once a second one exists.
        assert {"for_each": f"${{local.emr_version_imports_{tid}}}", "to": f"{version}[each.key]",
                "id": f'${{"${{each.value}}:${{local.emr_versions_{tid}.product_id}}"}}'} in stack.config["import"]


def test_existing_versions_are_read_for_the_product_the_previous_apply_recorded(stack: SynthesizedStack):
    previous = stack.config["data"]["terraform_remote_state"]["previous_outputs"]
    assert previous["workspace"] == "${terraform.workspace}"
    # Local state (no backend.json in the tests): counted once the workspace's state file has content.
    assert previous["backend"] == "local"
    assert previous["count"].startswith('${try(length(file("../../../.state/platform-workspaces/'
                                        '${terraform.workspace}/terraform.tfstate")) > 0, false)')
    for existing in stack.config["data"]["aws_servicecatalog_provisioning_artifacts"].values():
        # The previous apply's product ids, unless it was in another region (a moved workspace).
        lookup = ("lookup({for name, id in try(data.terraform_remote_state.previous_outputs[0].outputs.product_ids, "
                  "{}) : name => id if try(data.terraform_remote_state.previous_outputs[0].outputs."
                  'domain_replacement_inputs.region, null) == var.region}, "')
        assert existing["product_id"].startswith("${" + lookup)
        assert existing["count"].startswith("${var.enable_emr && " + lookup)
    assert stack.output("product_ids")  # what the next plan reads back


def test_versions_kept_is_checked(stack: SynthesizedStack):
    variable = stack.variable("emr_product_versions_kept")
    assert variable["default"] == 3
    assert "from 2 (the current version and the one before it) to 100" in variable["validation"][0]["error_message"]
