"""The Service Catalog portfolio through which Studio users launch EMR clusters.

Seed 3.3 and 3.4: a portfolio; one CloudFormation product per template in
``emr_templates/``, tagged ``sagemaker:studio-visibility:emr = true`` so that
Studio lists it; the product-portfolio association; a LAUNCH constraint with
the launch role; the execution roles associated as principals. Each template
is rendered by Terraform with this domain's subnet, security groups, roles
and buckets (the seed has you edit the subnet id by hand) and uploaded under
a key that hashes its content: Service Catalog copies a template when the
product is created, so a changed template must mean a new product version.
"""
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.servicecatalog_constraint import ServicecatalogConstraint
from cdktf_cdktf_provider_aws.servicecatalog_portfolio import ServicecatalogPortfolio
from cdktf_cdktf_provider_aws.servicecatalog_principal_portfolio_association import (
    ServicecatalogPrincipalPortfolioAssociation)
from cdktf_cdktf_provider_aws.servicecatalog_product import (
    ServicecatalogProduct, ServicecatalogProductProvisioningArtifactParameters)
from cdktf_cdktf_provider_aws.servicecatalog_product_portfolio_association import (
    ServicecatalogProductPortfolioAssociation)

from modules.tf import address, count_when, expr, expr_map, local, one

STUDIO_VISIBILITY_TAG = {"sagemaker:studio-visibility:emr": "true"}
TEMPLATE_SUFFIX = ".yaml"


def template_names(templates_source_dir: str) -> List[str]:
    """Names of the product templates (file stems), sorted."""
    return sorted(f[: -len(TEMPLATE_SUFFIX)] for f in os.listdir(templates_source_dir)
                  if f.endswith(TEMPLATE_SUFFIX))


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
    artifacts_bucket: str
    artifacts_bucket_domain: str
    launch_role_arn: str
    principal_arns: str
    """Map whose keys are known at plan time => IAM role ARN allowed to launch."""


class EmrCatalog(Construct):
    """Exposes ``portfolio_id``, ``product_ids`` (template name => id) and
    ``product_arns`` (a list) as expressions."""

    def __init__(self, scope: Construct, id: str, props: EmrCatalogProps) -> None:
        super().__init__(scope, id)
        p = props
        enabled = count_when(p.enabled)
        portfolio = ServicecatalogPortfolio(
            self, "portfolio", count=enabled, name=expr(f'"${{{p.name}}}-emr"'),
            provider_name=expr(f'"ML platform (${{{p.name}}})"'),
            description=expr(f'"EMR clusters that SageMaker Studio users of domain ${{{p.name}}} may launch"'))
        portfolio_id = expr(one(portfolio, "id"))

        variables = "{" + ", ".join(f"{k} = {v}" for k, v in sorted(p.template_variables.items())) + "}"
        product_ids, product_arns = {}, []
        for name in p.template_names:
            tid = re.sub(r"[^A-Za-z0-9_]", "_", name)
            rendered = local(self, f"emr_template_{tid}",
                             f'templatefile("{p.templates_dir}/{name}{TEMPLATE_SUFFIX}", {variables})')
            upload = S3Object(
                self, f"{tid}_template", count=enabled, bucket=expr(p.artifacts_bucket),
                key=expr(f'"catalog/{name}/${{md5({rendered})}}{TEMPLATE_SUFFIX}"'),
                content=expr(rendered), content_type="application/x-yaml")
            product = ServicecatalogProduct(
                self, f"{tid}_product", count=enabled, type="CLOUD_FORMATION_TEMPLATE",
                name=expr(f'"${{{p.name}}}-{name}"'), owner=expr(f'"ML platform (${{{p.name}}})"'),
                description=f"EMR cluster from emr_templates/{name}{TEMPLATE_SUFFIX}",
                provisioning_artifact_parameters=ServicecatalogProductProvisioningArtifactParameters(
                    name="current", type="CLOUD_FORMATION_TEMPLATE",
                    description=f"Rendered from emr_templates/{name}{TEMPLATE_SUFFIX}",
                    template_url=expr(f'"https://${{{p.artifacts_bucket_domain}}}/${{{one(upload, "key")}}}"')),
                tags=STUDIO_VISIBILITY_TAG)
            association = ServicecatalogProductPortfolioAssociation(
                self, f"{tid}_in_portfolio", count=enabled, portfolio_id=portfolio_id,
                product_id=expr(one(product, "id")))
            ServicecatalogConstraint(
                self, f"{tid}_launch", count=enabled, type="LAUNCH", portfolio_id=portfolio_id,
                product_id=expr(one(product, "id")),
                description="Launch as the platform's EMR launch role",
                parameters=expr(f"jsonencode({{RoleArn = {p.launch_role_arn}}})"),
                depends_on=[association])
            product_ids[name] = one(product, "id")
            product_arns.append(one(product, "arn"))

        principals = TerraformIterator.from_map(expr_map(f"{p.enabled} ? {p.principal_arns} : {{}}"))
        ServicecatalogPrincipalPortfolioAssociation(
            self, "principal", for_each=principals, portfolio_id=portfolio_id,
            principal_arn=expr("each.value"), principal_type="IAM")

        self.portfolio_id = one(portfolio, "id")
        self.product_ids = "{" + ", ".join(f'"{k}" = {v}' for k, v in product_ids.items()) + "}"
        self.product_arns = "[" + ", ".join(product_arns) + "]"
