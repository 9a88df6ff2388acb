#!/usr/bin/env python
"""Wires the platform's constructs into the CDKTF app. Nothing else lives here.

One synthesized stack, ``platform``, serves every workspace: each workspace's
values come from ``workspaces/<workspace>.tfvars.json``.
"""
import os

from constructs import Construct
from cdktf import App, AssetType, LocalBackend, TerraformAsset, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from modules.account import AccountContext
from modules.emr_catalog import EmrCatalog, EmrCatalogProps, template_names
from modules.iam import PlatformIam, PlatformIamProps
from modules.inputs import PlatformInputs
from modules.network import Network, NetworkProps
from modules.security_groups import SecurityGroups, SecurityGroupsProps
from modules.storage import Storage, StorageProps
from modules.studio import StudioDomain, StudioDomainProps
from modules.tf import expr, expr_map
from modules.vpc_endpoints import VpcEndpoints, VpcEndpointsProps

REPO_ROOT = os.path.dirname(os.path.abspath(__file__))
EMR_TEMPLATES_DIR = os.path.join(REPO_ROOT, "emr_templates")
PLATFORM_STACK = "platform"
TERRAFORM_VERSION = ">= 1.10"


class PlatformStack(TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        # Relative to the synthesized stack directory: state stays in the repo's
        # .state/ (git-ignored) when cdktf.out/ is regenerated.
        LocalBackend(self, path="../../../.state/platform.tfstate", workspace_dir="../../../.state/workspaces")

        inputs = PlatformInputs(self, "inputs")
        var = inputs.var
        AwsProvider(self, "aws", region=expr(var("region")), default_tags=[AwsProviderDefaultTags(
            tags=expr_map(f'merge({var("tags")}, {{"platform:domain" = {var("domain_name")}, '
                          '"managed-by" = "cdktf-sagemaker-emr-platform"})'))])
        account = AccountContext(self, "account")
        templates = TerraformAsset(self, "emr_templates", path=EMR_TEMPLATES_DIR, type=AssetType.DIRECTORY)

        network = Network(self, "network", NetworkProps(
            name=inputs.name_prefix, create=inputs.create_vpc, vpc_cidr=var("vpc_cidr"), az_count=var("az_count"),
            private_subnet_cidrs=var("private_subnet_cidrs"), public_subnet_cidrs=var("public_subnet_cidrs"),
            single_nat_gateway=var("single_nat_gateway"), existing_vpc_id=var("existing_vpc_id"),
            existing_private_subnet_ids=var("existing_private_subnet_ids"),
            existing_private_route_table_ids=var("existing_private_route_table_ids")))
        groups = SecurityGroups(self, "security_groups", SecurityGroupsProps(
            name=inputs.name_prefix, vpc_id=network.vpc_id, emr_enabled=var("enable_emr")))
        VpcEndpoints(self, "endpoints", VpcEndpointsProps(
            name=inputs.name_prefix, region=var("region"), vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids, private_route_table_ids=network.private_route_table_ids,
            security_group_id=groups.endpoints, interface_services=var("interface_endpoints")))
        storage = Storage(self, "storage", StorageProps(
            name=inputs.name_prefix, account_id=account.account_id, region=var("region"),
            templates_dir=templates.path))
        iam = PlatformIam(self, "iam", PlatformIamProps(
            name_prefix=inputs.global_name_prefix, partition=account.partition, account_id=account.account_id,
            region=var("region"), artifacts_bucket_arn=storage.artifacts_bucket_arn,
            data_bucket_arn=storage.data_bucket_arn, emr_enabled=var("enable_emr"),
            permissions_boundary_arn=var("permissions_boundary_arn")))
        studio = StudioDomain(self, "studio", StudioDomainProps(
            domain_name=var("domain_name"), network_mode=var("network_mode"), vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids, security_group_id=groups.studio,
            execution_role_arn=iam.studio_execution_role_arn, sharing_s3_uri=storage.studio_sharing_uri,
            home_efs_retention=var("home_efs_retention"), user_profiles=var("user_profiles")))
        catalog = EmrCatalog(self, "emr_catalog", EmrCatalogProps(
            name=inputs.name_prefix, enabled=var("enable_emr"), templates_dir=templates.path,
            template_names=template_names(EMR_TEMPLATES_DIR),
            template_variables={
                "domain_name": var("domain_name"),
                "subnet_id": f"{network.private_subnet_ids}[0]",
                "master_security_group_id": groups.emr_master,
                "core_security_group_id": groups.emr_core,
                "service_access_security_group_id": groups.emr_service_access,
                "service_role_name": iam.emr_service_role_name,
                "instance_profile_name": iam.emr_instance_profile_name,
                "log_uri": storage.emr_log_uri,
                "bootstrap_script_uri": storage.bootstrap_script_uri,
                "livy_session_timeout": var("livy_session_timeout"),
                "idle_timeout_seconds": f'{var("emr_idle_timeout_minutes")} * 60',
                "release_labels": var("emr_release_labels"),
                "instance_types": var("emr_instance_types"),
                "core_instance_counts": var("emr_core_instance_counts"),
            },
            artifacts_bucket=storage.artifacts_bucket, artifacts_bucket_domain=storage.artifacts_bucket_domain,
            launch_role_arn=iam.launch_role_arn, principal_arns=studio.execution_role_arns))

        outputs = {
            "domain_id": (studio.domain_id, "SageMaker Studio domain id"),
            "domain_url": (studio.domain_url, "URL of the Studio domain"),
            "user_profile_names": (studio.user_profile_names, "Names of the Studio user profiles"),
            "vpc_id": (network.vpc_id, "VPC of the domain (created or existing)"),
            "private_subnet_ids": (network.private_subnet_ids, "Private subnets of Studio, EMR and the endpoints"),
            "studio_security_group_id": (groups.studio, "Security group of the Studio apps"),
            "emr_security_group_ids": (
                f"{{master = {groups.emr_master}, core = {groups.emr_core}, "
                f"service_access = {groups.emr_service_access}}}",
                "EMR-managed security groups: master, core, service_access (null without EMR)"),
            "portfolio_id": (catalog.portfolio_id, "Service Catalog portfolio of the EMR products"),
            "product_ids": (catalog.product_ids, "Service Catalog product id per template in emr_templates/"),
            "artifacts_bucket": (storage.artifacts_bucket, "Bucket of bootstrap scripts and product templates"),
            "data_bucket": (storage.data_bucket, "Bucket of EMR logs and Studio's shared notebooks"),
            "studio_execution_role_arn": (iam.studio_execution_role_arn, "Default execution role of Studio users"),
            "emr_service_role_arn": (iam.emr_service_role_arn, "EMR service role (EMR_DefaultRole)"),
            "emr_instance_role_arn": (iam.emr_instance_role_arn, "EMR instance role (EMR_EC2_DefaultRole)"),
            "emr_instance_profile_name": (iam.emr_instance_profile_name, "EMR instance profile"),
            "launch_role_arn": (iam.launch_role_arn, "Service Catalog launch-constraint role"),
        }
        for name, (value, description) in outputs.items():
            TerraformOutput(self, name, value=expr(value), description=description)


def build_app(outdir: str = None) -> App:
    """The app with its stacks; ``outdir`` defaults to $CDKTF_OUTDIR or cdktf.out."""
    app = App(outdir=outdir or os.environ.get("CDKTF_OUTDIR") or os.path.join(REPO_ROOT, "cdktf.out"))
    PlatformStack(app, PLATFORM_STACK)
    return app


if __name__ == "__main__":
    build_app().synth()
