"""The Service Catalog portfolio through which Studio users launch EMR clusters.

Seed 3.3 and 3.4: a portfolio; one CloudFormation product per template in
``emr_templates/``, tagged ``sagemaker:studio-visibility:emr = true`` so that
Studio lists it; the product-portfolio association; a LAUNCH constraint with
the launch role; the execution roles associated as principals. Each template
is rendered by Terraform with this domain's roles and buckets, and with SSM
dynamic references to its subnet and security groups (the seed has you edit
the subnet id by hand; ids that a network change replaces stay out of the
template's text), and uploaded under a key that hashes its content.

Service Catalog copies a template when a version (provisioning artifact) is
created, and the provider replaces a product whose initial version changes.
So the product keeps its first version's arguments (``ignore_changes``) and
each rendered template becomes a version of the same product, named after its
hash: the current one is DEFAULT, earlier ones DEPRECATED (clusters launched
from them can still be updated and terminated; new launches take the current
one), and beyond ``versions_kept`` the oldest are removed. Which versions exist
is read at plan time from Service Catalog, for the product id the previous
apply recorded (modules/previous_state.py). The product's own first version is
imported into Terraform the first time another version joins it, so that it
can be deprecated and removed like the rest. The product depends on its
versions: a destroy deletes the product (and with it every version) first,
since Service Catalog refuses to delete a product's last version.
"""
import re
from dataclasses import dataclass
from typing import Dict, List

from constructs import Construct
from cdktf import TerraformIterator, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_servicecatalog_provisioning_artifacts import (
    DataAwsServicecatalogProvisioningArtifacts)
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.servicecatalog_constraint import ServicecatalogConstraint
from cdktf_cdktf_provider_aws.servicecatalog_portfolio import ServicecatalogPortfolio
from cdktf_cdktf_provider_aws.servicecatalog_principal_portfolio_association import (
    ServicecatalogPrincipalPortfolioAssociation)
from cdktf_cdktf_provider_aws.servicecatalog_product import (
    ServicecatalogProduct, ServicecatalogProductProvisioningArtifactParameters)
from cdktf_cdktf_provider_aws.servicecatalog_product_portfolio_association import (
    ServicecatalogProductPortfolioAssociation)
from cdktf_cdktf_provider_aws.servicecatalog_provisioning_artifact import ServicecatalogProvisioningArtifact
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from modules.emr_values import TEMPLATE_SUFFIX
from modules.tf import (
    Expression, address, count_when, data_address, expr, expr_map, hcl, local, one, quoted, skip_checks, string,
    string_list, string_map, template)

STUDIO_VISIBILITY_TAG = {"sagemaker:studio-visibility:emr": "true"}
# Where the launch-time variables live in SSM: /<SSM_PREFIX>/<domain>/emr-templates/<variable>.
SSM_PREFIX = "sagemaker-emr-platform"
SSM_NOT_SECRET = (
    "It holds a subnet or security group id, which is no secret; CloudFormation's ssm dynamic references, "
    "which the product templates use, cannot read a SecureString parameter.")


def catalog_variables(var, emr_security, iam, storage, network, groups) -> Dict[str, Dict[str, str]]:
    """``template_variables`` and ``launch_time_variables`` of :class:`EmrCatalogProps` (as keyword
    arguments) from the constructs a stack with EMR has (``EmrSecurity``, ``PlatformIam``, ``Storage``,
    ``Network``, ``SecurityGroups``) and its inputs (``var``: input name => expression): the platform
    stack's and the emr-account stack's products are rendered alike."""
    return dict(
        template_variables={
            "domain_name": var("domain_name"),
            "security_configuration_name": emr_security.security_configuration_name,
            "service_role_name": iam.emr_service_role_name,
            "instance_profile_name": iam.emr_instance_profile_name,
            "log_uri": storage.emr_log_uri,
            "bootstrap_script_uri": storage.bootstrap_script_uri,
            "livy_session_timeout": var("livy_session_timeout"),
            "idle_timeout_seconds": template("{minutes} * 60", minutes=var("emr_idle_timeout_minutes")),
            "release_labels": var("emr_release_labels"),
            "instance_types": var("emr_instance_types"),
            "core_instance_counts": var("emr_core_instance_counts"),
        },
        launch_time_variables={
            "subnet_id": template("{subnets}[0]", subnets=network.private_subnet_ids),
            "master_security_group_id": groups.emr_master,
            "core_security_group_id": groups.emr_core,
            "service_access_security_group_id": groups.emr_service_access,
        })


@dataclass(frozen=True)
class EmrCatalogProps:
    """Expressions (see ``modules.tf``) except the two paths and ``template_names``."""

    name: str
    """The domain name."""
    enabled: str
    """Condition: false creates nothing."""
    templates_dir: str
    """Path, relative to the synthesized stack, of the ``emr_templates/`` asset."""
    template_names: List[str]
    template_variables: Dict[str, str]
    """The templates' variables (``emr_templates/README.md``), name => expression."""
    launch_time_variables: Dict[str, str]
    """Template variables CloudFormation resolves when a cluster is launched,
    name => expression: ids of resources that a network change replaces (the
    subnet, the security groups). Each is kept in an SSM parameter and the
    template holds a dynamic reference to it, so that such a change neither
    makes a new product version nor leaves the version's name unknown at plan
    time (Terraform needs it for ``for_each``)."""
    artifacts_bucket: str
    artifacts_bucket_domain: str
    launch_role_arn: str
    principal_arns: Expression
    """Map whose keys are known at plan time => IAM role ARN allowed to launch."""
    versions_kept: str
    """Number of versions kept per product (at least 2)."""
    previous_product_ids: Expression
    """The ``product_ids`` output of the workspace's previous apply (``{}`` on the first)."""


class EmrCatalog(Construct):
    """Exposes ``portfolio_id``, ``product_ids`` (template name => id),
    ``product_arns`` (a list), ``current_versions`` (template name => version
    name) and ``launch_time_parameter_arns`` (a list) as tokens (modules/tf.py)."""

    def __init__(self, scope: Construct, id: str, props: EmrCatalogProps) -> None:
        super().__init__(scope, id)
        p = props
        enabled = count_when(p.enabled)
        portfolio = ServicecatalogPortfolio(
            self, "portfolio", count=enabled, name=quoted("{name}-emr", name=p.name),
            provider_name=quoted("ML platform ({name})", name=p.name),
            description=quoted("EMR clusters that SageMaker Studio users of domain {name} may launch", name=p.name))
        portfolio_id = expr(one(portfolio, "id"))

        references, parameter_arns, parameters = {}, [], []
        for variable, value in sorted(p.launch_time_variables.items()):
            # The name, not the resource's attribute: the templates render (as locals) without EMR too.
            name = f"/{SSM_PREFIX}/{{name}}/emr-templates/{variable}"
            parameter = SsmParameter(
                self, f"{variable}_parameter", count=enabled, type="String", value=expr(value),
                name=quoted(name, name=p.name),
                description=f"{variable} of the EMR product templates, resolved when a cluster is launched")
            skip_checks(parameter, {"CKV2_AWS_34": SSM_NOT_SECRET})
            references[variable] = quoted("{{{{resolve:ssm:" + name + "}}}}", name=p.name)
            parameter_arns.append(one(parameter, "arn"))
            parameters.append(parameter)
        variables = dict(sorted({**p.template_variables, **references}.items()))
        product_ids, product_arns, current_versions, imports = {}, [], {}, []
        for name in p.template_names:
            tid = re.sub(r"[^A-Za-z0-9_]", "_", name)
            rendered = local(self, f"emr_template_{tid}", template(
                "templatefile({path}, {{" + ", ".join(f"{k} = {{{k}}}" for k in variables) + "}})",
                path=hcl(f"{p.templates_dir}/{name}{TEMPLATE_SUFFIX}"), **variables))
            upload = S3Object(
                self, f"{tid}_template", count=enabled, bucket=expr(p.artifacts_bucket),
                key=quoted(f"catalog/{name}/{{digest}}{TEMPLATE_SUFFIX}", digest=template("md5({r})", r=rendered)),
                content=expr(rendered), content_type="application/x-yaml",
                depends_on=parameters)  # what the template names exists before a version of it
            template_url = quoted("https://{domain}/{key}", domain=p.artifacts_bucket_domain, key=one(upload, "key"))
            description = f"Rendered from emr_templates/{name}{TEMPLATE_SUFFIX}"
            versions = self._versions(tid, name, rendered, p)
            version = ServicecatalogProvisioningArtifact(
                self, f"{tid}_version", for_each=TerraformIterator.from_map(expr_map(f"{versions}.managed")),
                product_id=expr(f"{versions}.product_id"), name=expr("each.key"), guidance=expr("each.value"),
                type="CLOUD_FORMATION_TEMPLATE", description=description, template_url=template_url,
                # An existing version keeps its template; the config's URL is the current template's.
                lifecycle=TerraformResourceLifecycle(ignore_changes=[
                    "template_url", "disable_template_validation", "accept_language"]))
            imports.append({"for_each": expr(f"local.emr_version_imports_{tid}"), "to": f"{address(version)}[each.key]",
                            "id": quoted("{artifact}:{product}", artifact="each.value",
                                         product=template("{v}.product_id", v=versions))})
            product = ServicecatalogProduct(
                self, f"{tid}_product", count=enabled, type="CLOUD_FORMATION_TEMPLATE",
                name=quoted("{domain}-" + name, domain=p.name), owner=quoted("ML platform ({domain})", domain=p.name),
                description=f"EMR cluster from emr_templates/{name}{TEMPLATE_SUFFIX}",
                provisioning_artifact_parameters=ServicecatalogProductProvisioningArtifactParameters(
                    name=expr(f"{versions}.current"), type="CLOUD_FORMATION_TEMPLATE",
                    description=description, template_url=template_url),
                tags=STUDIO_VISIBILITY_TAG,
                # Later templates are versions above, never a replacement of the product.
                lifecycle=TerraformResourceLifecycle(ignore_changes=["provisioning_artifact_parameters"]),
                depends_on=[version])
            current_versions[name] = f"{versions}.current"
            association = ServicecatalogProductPortfolioAssociation(
                self, f"{tid}_in_portfolio", count=enabled, portfolio_id=portfolio_id,
                product_id=expr(one(product, "id")))
            ServicecatalogConstraint(
                self, f"{tid}_launch", count=enabled, type="LAUNCH", portfolio_id=portfolio_id,
                product_id=expr(one(product, "id")),
                description="Launch as the platform's EMR launch role",
                parameters=template("jsonencode({{RoleArn = {role}}})", role=p.launch_role_arn),
                depends_on=[association])
            product_ids[name] = one(product, "id")
            product_arns.append(one(product, "arn"))

        principals = TerraformIterator.from_map(string_map(template(
            "{enabled} ? {principals} : {{}}", enabled=p.enabled, principals=p.principal_arns)))
        ServicecatalogPrincipalPortfolioAssociation(
            self, "principal", for_each=principals, portfolio_id=portfolio_id,
            principal_arn=expr("each.value"), principal_type="IAM")

        TerraformStack.of(self).add_override("import", imports)

        self.portfolio_id = string(one(portfolio, "id"))
        self.product_ids = string_map(template("{ids}", ids=product_ids))
        self.product_arns = string_list(template("{arns}", arns=product_arns))
        # The launch role reads them when CloudFormation resolves a launch's template.
        self.launch_time_parameter_arns = string_list(template("compact({arns})", arns=parameter_arns))
        self.current_versions = string_map(template("{versions}", versions=current_versions))

    def _versions(self, tid: str, name: str, rendered: str, p: EmrCatalogProps) -> str:
        """``local.emr_versions_<tid>``: the product id of the previous apply
        (null on the first), the ``current`` version's name and the ``managed``
        versions (name => guidance); beside it ``local.emr_version_imports_<tid>``
        (name => artifact id: versions Service Catalog has that Terraform is to
        manage; importing what Terraform already manages changes nothing).

        The first version is the product's own while it is the only one, so
        ``managed`` stays empty until a second version joins it."""
        product_id = template("lookup({ids}, {name}, null)", ids=p.previous_product_ids, name=hcl(name))
        existing = DataAwsServicecatalogProvisioningArtifacts(
            self, f"{tid}_existing_versions",
            count=count_when(template("{enabled} && {product} != null", enabled=p.enabled, product=product_id)),
            product_id=product_id)
        found = local(self, f"emr_versions_found_{tid}",
                      f"try({data_address(existing)}[0].provisioning_artifact_details, [])")
        current = local(self, f"emr_version_{tid}", quoted(
            "v{digest}", digest=template("substr(md5({r}), 0, 12)", r=rendered)))
        # Oldest first (RFC 3339 times sort as strings), without the current one.
        older = local(self, f"emr_versions_older_{tid}", template(
            "[for key in sort([for a in {found} : {time_and_id}]) : "
            '{{for a in {found} : a.id => a.name}}[split("/", key)[1]] '
            'if {{for a in {found} : a.id => a.name}}[split("/", key)[1]] != {current}]',
            found=found, time_and_id=quoted("{time}/{id}", time="a.created_time", id="a.id"), current=current))
        kept = template("concat(slice({older}, max(0, length({older}) - ({kept} - 1)), length({older})), [{current}])",
                        older=older, kept=p.versions_kept, current=current)
        versions = local(self, f"emr_versions_{tid}", template(
            "{{product_id = {product}, current = {current}, "
            # Nothing to manage while the product's own version is the only one.
            "managed = {{for name in length({found}) == 0 || length({older}) == 0 && length({found}) == 1 ? [] : "
            '{kept} : name => name == {current} ? "DEFAULT" : "DEPRECATED"}}}}',
            product=product_id, current=current, found=found, older=older, kept=kept))
        local(self, f"emr_version_imports_{tid}", template(
            "{{for a in {found} : a.name => a.id if contains(keys({versions}.managed), a.name)}}",
            found=found, versions=versions))
        return versions
