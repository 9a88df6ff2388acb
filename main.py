#!/usr/bin/env python
"""Wires the platform's constructs into the CDKTF app. Nothing else lives here.

One synthesized stack, ``platform``, serves every workspace: each workspace's
values come from ``workspaces/<workspace>.tfvars.json``. The ``emr-account``
stack (EMR in another account, modules/emr_account.py) takes its values from
``workspaces/emr-account/<workspace>.tfvars.json``.
"""
import dataclasses
import os
import sys
from typing import Optional

# Before any AWS binding: loads the bindings one resource module at a time
# (modules/__init__.py): a synthesis takes 2.7 s instead of 11 s.
import modules  # noqa: F401  isort:skip
from constructs import Construct
from cdktf import App, AssetType, TerraformAsset, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags

from modules.account import StackContext
from modules import domain_replacement
from modules.emr_account import EmrAccount, EmrAccountInputs, EmrAccountProps
from modules.emr_account_inputs import EMR_ACCOUNT_STACK
from modules.emr_catalog import EmrCatalog, EmrCatalogProps, catalog_variables
from modules.emr_runtime_roles import EmrRuntimeRoles, EmrRuntimeRolesProps
from modules.emr_security import EmrSecurity, EmrSecurityProps
from modules.emr_serverless import EmrServerless, EmrServerlessProps
from modules.emr_values import runtime_role_names, template_names
from modules.encryption import PlatformKey, PlatformKeyPolicyProps, PlatformKeyProps
from modules.iam import PlatformIam, PlatformIamProps
from modules.input_rules import interface_services
from modules.input_limits import (
    InputLimits, InputLimitsProps, private_subnet_room, runtime_role_grants_fit, zones_suffice)
from modules.input_variables import PlatformInputs, declare_input
from modules.network import FlowLogs, FlowLogsProps, Network, NetworkProps
from modules.previous_state import declare_previous_outputs, previous_output
from modules.state_backend import (
    STATE_INPUTS, BackendSettings, BackendSettingsError, StateBucket, backend_settings_path, configure_backend)
from modules.security_groups import SecurityGroups, SecurityGroupsProps
from modules.storage import Storage, StorageProps
from modules.studio import StudioDomain, StudioDomainProps
from modules.tf import declare_outputs, expr, hcl, string_map, template
from modules.vpc_endpoints import VpcEndpoints, VpcEndpointsProps

REPO_ROOT = os.path.dirname(os.path.abspath(__file__))
EMR_TEMPLATES_DIR = os.path.join(REPO_ROOT, "emr_templates")
PLATFORM_STACK = "platform"
STATE_STACK = "state-backend"
# Relative to a synthesized stack directory: local state stays in the repo's
# .state/ (git-ignored) when cdktf.out/ is regenerated.
LOCAL_STATE_DIR = "../../../.state"
# 1.10: the S3 backend's use_lockfile. Below 2.0: Terraform 1.x keeps its compatibility
# promises (configuration, state, the lock file and -lockfile=readonly), a 2.0 may not; CI installs
# the newest release in this range (.github/workflows).
TERRAFORM_VERSION = ">= 1.10, < 2.0.0"
MANAGED_BY = "cdktf-sagemaker-emr-platform"


def default_tags(tags: str, domain_name: str) -> AwsProviderDefaultTags:
    """The tags the provider puts on every resource: the workspace's ``tags`` and the domain's."""
    return AwsProviderDefaultTags(tags=string_map(template("merge({tags}, {own})", tags=tags, own={
        "platform:domain": domain_name, "managed-by": hcl(MANAGED_BY)})))


class StateBackendStack(TerraformStack):
    """The bucket every workspace's state lives in; its own state stays local."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        configure_backend(self, None, LOCAL_STATE_DIR)
        for spec in STATE_INPUTS:
            declare_input(self, spec)
        AwsProvider(self, "aws", region=expr("var.region"))
        StackContext(self, "account", region="var.region")
        state = StateBucket(self, "state")
        TerraformOutput(self, "backend_settings", description="Settings of the platform stack's S3 backend",
                        value=template("{{bucket = {bucket}, region = {region}, kms_key_id = {key}, "
                                       "dynamodb_table = {table}}}", bucket=state.bucket, region=state.region,
                                       key=state.kms_key_arn, table=state.lock_table))


class PlatformStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, backend: Optional[BackendSettings]) -> None:
        super().__init__(scope, id)
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        configure_backend(self, backend, LOCAL_STATE_DIR)
        declare_previous_outputs(self, backend, LOCAL_STATE_DIR)

        inputs = PlatformInputs(self, "inputs")
        var = inputs.var
        AwsProvider(self, "aws", region=expr(var("region")),
                    default_tags=[default_tags(var("tags"), var("domain_name"))])
        StackContext(self, "account", region=var("region"))
        templates = TerraformAsset(self, "emr_templates", path=EMR_TEMPLATES_DIR, type=AssetType.DIRECTORY)
        key = PlatformKey(self, "encryption", PlatformKeyProps(name=inputs.name_prefix))

        network = Network(self, "network", NetworkProps(
            name=inputs.name_prefix, create=inputs.create_vpc, vpc_cidr=var("vpc_cidr"), az_count=var("az_count"),
            private_subnet_cidrs=var("private_subnet_cidrs"), public_subnet_cidrs=var("public_subnet_cidrs"),
            single_nat_gateway=var("single_nat_gateway"), existing_vpc_id=var("existing_vpc_id"),
            existing_private_subnet_ids=var("existing_private_subnet_ids"),
            existing_private_route_table_ids=var("existing_private_route_table_ids"),
            zone_rule=zones_suffice, private_subnet_rule=private_subnet_room))
        limits = InputLimits(self, "input_limits", InputLimitsProps(
            variables=inputs.variables,
            # The clusters' subnet is the first private one (emr_catalog's subnet_id below).
            cluster_zone=template("({create} ? {zones}[0] : null)", create=inputs.create_vpc,
                                  zones=network.zone_names)))
        flow_logs = FlowLogs(self, "flow_logs", FlowLogsProps(
            name=inputs.name_prefix, role_name_prefix=inputs.global_name_prefix, create=inputs.create_vpc,
            vpc_id=network.created_vpc_id, kms_key_arn=key.key_arn, retention_days=var("log_retention_days"),
            permissions_boundary_arn=var("permissions_boundary_arn")))
        serverless_enabled = template("length({apps}) > 0", apps=var("emr_serverless_applications"))
        groups = SecurityGroups(self, "security_groups", SecurityGroupsProps(
            name=inputs.name_prefix, vpc_id=network.vpc_id, emr_enabled=var("enable_emr"),
            studio_internet_access=var("studio_internet_access"), emr_serverless_enabled=serverless_enabled))
        storage = Storage(self, "storage", StorageProps(
            name=inputs.name_prefix, templates_dir=templates.path, kms_key_arn=key.key_arn,
            log_retention_days=var("log_retention_days")))
        VpcEndpoints(self, "endpoints", VpcEndpointsProps(
            name=inputs.name_prefix, vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids, private_route_table_ids=network.private_route_table_ids,
            # With EMR Serverless's API and its Livy endpoint while the workspace has applications.
            security_group_id=groups.endpoints,
            interface_services=interface_services(),
            platform_bucket_arns=[storage.artifacts_bucket_arn, storage.data_bucket_arn],
            allowed_buckets=var("allowed_s3_buckets"), subnet_rules=[limits.existing_subnets_apart]))
        iam = PlatformIam(self, "iam", PlatformIamProps(
            name_prefix=inputs.global_name_prefix, artifacts_bucket_arn=storage.artifacts_bucket_arn,
            data_bucket_arn=storage.data_bucket_arn, emr_enabled=var("enable_emr"),
            permissions_boundary_arn=var("permissions_boundary_arn"), kms_key_arn=key.key_arn))
        runtime = EmrRuntimeRoles(self, "emr_runtime_roles", EmrRuntimeRolesProps(
            name_prefix=inputs.global_name_prefix, roles=inputs.emr_runtime_roles, user_profiles=inputs.user_profiles,
            default_role_names=var("emr_default_runtime_roles"), data_bucket_arn=storage.data_bucket_arn,
            instance_role_arn=iam.emr_instance_role_arn, instance_role_name=iam.emr_instance_role_name,
            studio_role_name=iam.studio_execution_role_name,
            permissions_boundary_arn=var("permissions_boundary_arn"), grant_rule=runtime_role_grants_fit,
            serverless_role_names=runtime_role_names(var("emr_serverless_applications"))))
        studio = StudioDomain(self, "studio", StudioDomainProps(
            domain_name=var("domain_name"), network_mode=var("network_mode"), vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids, security_group_id=groups.studio,
            execution_role_arn=iam.studio_execution_role_arn, sharing_s3_uri=storage.studio_sharing_uri,
            home_efs_retention=var("home_efs_retention"), user_profiles=inputs.user_profiles,
            kms_key_arn=key.key_arn, idle_timeout_minutes=var("studio_idle_timeout_minutes"),
            docker_access=var("studio_docker_access"),
            runtime_role_arns=runtime.role_arns, default_runtime_roles=var("emr_default_runtime_roles"),
            assumable_role_arns=var("emr_assumable_role_arns"),
            replacement_precondition=domain_replacement.precondition(previous_output)))
        emr_security = EmrSecurity(self, "emr_security", EmrSecurityProps(
            name=inputs.name_prefix, enabled=var("enable_emr"), kms_key_arn=key.key_arn,
            runtime_roles=runtime.any_role))
        catalog = EmrCatalog(self, "emr_catalog", EmrCatalogProps(
            name=inputs.name_prefix, enabled=var("enable_emr"), templates_dir=templates.path,
            template_names=template_names(EMR_TEMPLATES_DIR),
            **catalog_variables(var, emr_security, iam, storage, network, groups),
            artifacts_bucket=storage.artifacts_bucket, artifacts_bucket_domain=storage.artifacts_bucket_domain,
            launch_role_arn=iam.launch_role_arn, principal_arns=studio.execution_role_arns,
            versions_kept=var("emr_product_versions_kept"),
            # Product ids of the previous apply, unless it was in another region (a moved workspace).
            previous_product_ids=template(
                "{{for name, id in {ids} : name => id if {region} == {current}}}",
                ids=previous_output("product_ids", "{}"), region=previous_output("domain_replacement_inputs.region"),
                current=var("region"))))
        iam.grant_emr_product_launch(catalog.product_arns)
        serverless = EmrServerless(self, "emr_serverless", EmrServerlessProps(
            name=inputs.name_prefix, applications=var("emr_serverless_applications"),
            subnet_ids=network.private_subnet_ids, security_group_id=groups.emr_serverless,
            domain_arn=studio.domain_arn, runtime_role_arns=runtime.role_arns))
        iam.grant_emr_serverless(serverless.enabled, studio.domain_arn)
        runtime.grant_serverless(serverless.application_arns_by_role, serverless.job_run_arns_by_role)
        iam.grant_launch_time_parameters(catalog.launch_time_parameter_arns)
        iam.grant_assumable_roles(var("emr_assumable_role_arns"))
        key.attach_policy(PlatformKeyPolicyProps(
            key_user_role_arns=template(
                "concat(values({studio}), {emr}, values({runtime}))", studio=studio.execution_role_arns,
                emr=[iam.emr_service_role_arn, iam.emr_instance_role_arn], runtime=runtime.role_arns),
            bucket_arn_pattern=storage.bucket_arn_pattern, log_group_arns=[flow_logs.log_group_arn]))

        outputs = {
            "domain_id": (studio.domain_id, "SageMaker Studio domain id"),
            "domain_url": (studio.domain_url, "URL of the Studio domain"),
            "home_efs_id": (studio.home_efs_id, "Home EFS of the domain (every user's files; kept on destroy "
                                                "with home_efs_retention = Retain)"),
            "kms_key_arn": (key.key_arn, "The domain's KMS key: EFS, volumes, buckets, EMR disks and S3 output, "
                                         "flow logs"),
            "user_profile_names": (studio.user_profile_names, "Names of the Studio user profiles"),
            "vpc_id": (network.vpc_id, "VPC of the domain (created or existing)"),
            domain_replacement.OUTPUT: (domain_replacement.recorded_inputs_expression(),
                                        "The inputs whose change replaces the domain, as applied "
                                        "(modules/domain_replacement.py; the domain guard compares them)"),
            "private_subnet_ids": (network.private_subnet_ids, "Private subnets of Studio, EMR and the endpoints"),
            "studio_security_group_id": (groups.studio, "Security group of the Studio apps"),
            "emr_security_group_ids": (
                groups.emr_group_ids, "EMR-managed security groups: master, core, service_access (null without EMR)"),
            "portfolio_id": (catalog.portfolio_id, "Service Catalog portfolio of the EMR products"),
            "product_ids": (catalog.product_ids, "Service Catalog product id per template in emr_templates/ "
                                                 "(the next plan reads it back: modules/previous_state.py)"),
            "product_versions": (catalog.current_versions, "Current (DEFAULT) version of each product: `v` and "
                                                           "the first 12 hex digits of its template's MD5"),
            "artifacts_bucket": (storage.artifacts_bucket, "Bucket of bootstrap scripts and product templates"),
            "data_bucket": (storage.data_bucket, "Bucket of EMR logs and Studio's shared notebooks"),
            "studio_execution_role_arn": (iam.studio_execution_role_arn, "Default execution role of Studio users"),
            "emr_service_role_arn": (iam.emr_service_role_arn, "EMR service role (EMR_DefaultRole)"),
            "emr_instance_role_arn": (iam.emr_instance_role_arn, "EMR instance role (EMR_EC2_DefaultRole)"),
            "emr_instance_profile_name": (iam.emr_instance_profile_name, "EMR instance profile"),
            "launch_role_arn": (iam.launch_role_arn, "Service Catalog launch-constraint role"),
            "emr_runtime_role_arns": (runtime.role_arns, "EMR runtime role name => ARN (emr_runtime_roles)"),
            "user_emr_runtime_roles": (template("{{for name, u in {users} : name => u.emr_runtime_roles}}",
                                                users=inputs.user_profiles),
                                       "User => the EMR runtime roles Studio offers them (names)"),
            "emr_serverless_application_ids": (serverless.application_ids,
                                               "EMR Serverless application id per emr_serverless_applications "
                                               "entry (Studio's connect takes it; destroy stops them first)"),
            "emr_serverless_runtime_role_arns": (
                template("{{for n, a in {apps} : n => {roles}[a.runtime_role]}}",
                         apps=var("emr_serverless_applications"), roles=runtime.role_arns),
                "Runtime role per EMR Serverless application: the --emr-execution-role-arn of its connect"),
        }
        declare_outputs(self, outputs)


class EmrAccountStack(TerraformStack):
    """EMR in another account: the role Studio assumes there, its EMR roles, groups and portfolio.
    Its state sits beside the platform's (key ``emr-account/...`` in the same backend)."""

    def __init__(self, scope: Construct, id: str, backend: Optional[BackendSettings]) -> None:
        super().__init__(scope, id)
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        if backend is not None:
            backend = dataclasses.replace(backend, key=f"{EMR_ACCOUNT_STACK}/{backend.key}")
        configure_backend(self, backend, LOCAL_STATE_DIR)
        declare_previous_outputs(self, backend, LOCAL_STATE_DIR)
        inputs = EmrAccountInputs(self, "inputs")
        AwsProvider(self, "aws", region=expr("var.region"), default_tags=[default_tags("var.tags", "var.domain_name")],
                    assume_role=[AwsProviderAssumeRole(role_arn=expr("var.deployment_role_arn"))])
        templates = TerraformAsset(self, "emr_templates", path=EMR_TEMPLATES_DIR, type=AssetType.DIRECTORY)
        EmrAccount(self, "emr_account", inputs, EmrAccountProps(
            templates_dir=templates.path, template_names=tuple(template_names(EMR_TEMPLATES_DIR))))


def load_backend_settings() -> Optional[BackendSettings]:
    """The platform stack's backend settings, or None (local state), saying which."""
    path = backend_settings_path(REPO_ROOT)
    if not os.path.isfile(path):
        if os.environ.get("PLATFORM_BACKEND_CONFIG"):
            raise BackendSettingsError(f"PLATFORM_BACKEND_CONFIG = {path!r} does not exist")
        print(f"note: no backend settings ({path}): the platform stack keeps local state in .state/; "
              "scripts/platform bootstrap-state creates remote state.", file=sys.stderr)
        return None
    return BackendSettings.load(path)


def build_app(outdir: str = None, backend: Optional[BackendSettings] = None) -> App:
    """The app with its stacks; ``outdir`` defaults to $CDKTF_OUTDIR or cdktf.out;
    ``backend`` to the settings file's (see ``load_backend_settings``)."""
    app = App(outdir=outdir or os.environ.get("CDKTF_OUTDIR") or os.path.join(REPO_ROOT, "cdktf.out"))
    StateBackendStack(app, STATE_STACK)
    backend = backend if backend is not None else load_backend_settings()
    PlatformStack(app, PLATFORM_STACK, backend)
    EmrAccountStack(app, EMR_ACCOUNT_STACK, backend)
    return app


if __name__ == "__main__":
    try:
        build_app().synth()
    except BackendSettingsError as exc:
        sys.exit(f"error: {exc}")
