"""EMR in another account (issue 12, part 3): the ``emr-account`` stack's constructs.

A domain's users may list and connect to EMR clusters of another account, the
one that runs (and pays for) EMR. That account gets:

- the Studio role (``<domain_name>-<region>-studio-assumable``): trusted by
  exactly the domain's execution roles, with the Studio role's EMR discovery,
  bucket and product permissions (``modules/iam.py`` with
  ``studio_trusted_role_arns``) and no SageMaker ones. The domain's workspace
  names it in ``emr_assumable_role_arns`` (EmrSettings.AssumableRoleArns),
  and its execution roles may assume exactly it. No external id: AWS's Studio
  clients call sts:AssumeRole without one (sagemaker_studio_analytics_extension
  utils/boto_client_utils.py, sagemaker_jupyterlab_emr_extension utils/utils.py),
  so a trust that required one would refuse every Studio user; the trust names
  the exact roles instead of the account.
- its own EMR roles, security configuration, key, buckets, portfolio and
  products: the platform's constructs, in a VPC of this account (created, or
  ``existing_vpc_id``) that the operator peers with, or shares with, the
  domain's; the EMR master admits Livy and HiveServer2 from
  ``studio_cidr_blocks`` (``modules/security_groups.py``'s ``studio_cidrs``).
  Peering across accounts needs an accepter in the other account: that is the
  operator's, outside both stacks.

Deploy the platform stack first (the trust names its roles), then this one.
"""
from dataclasses import dataclass

from constructs import Construct

from modules.account import StackContext
from modules.emr_account_inputs import EMR_ACCOUNT_INPUTS, EMR_ACCOUNT_SPECS
from modules.emr_catalog import EmrCatalog, EmrCatalogProps, catalog_variables
from modules.emr_security import EmrSecurity, EmrSecurityProps
from modules.encryption import PlatformKey, PlatformKeyPolicyProps, PlatformKeyProps
from modules.iam import PlatformIam, PlatformIamProps
from modules.input_variables import declare_input
from modules.network import FlowLogs, FlowLogsProps, Network, NetworkProps
from modules.previous_state import previous_output
from modules.security_groups import SecurityGroups, SecurityGroupsProps
from modules.storage import Storage, StorageProps
from modules.tf import declare_outputs, local, quoted, string


def var(name: str) -> str:
    if name not in EMR_ACCOUNT_SPECS:
        raise KeyError(f"no emr-account input named {name!r}; see modules/emr_account_inputs.py")
    return f"var.{name}"


@dataclass(frozen=True)
class EmrAccountProps:
    templates_dir: str
    """Path, relative to the synthesized stack, of the ``emr_templates/`` asset."""
    template_names: tuple
    """The product templates (``emr_values.template_names``)."""


class EmrAccountInputs(Construct):
    """Declares the stack's inputs (``modules/emr_account_inputs.py``); ``name_prefix`` and
    ``global_name_prefix`` as in the platform stack."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.variables = {spec.name: declare_input(self, spec) for spec in EMR_ACCOUNT_INPUTS}
        self.name_prefix = string("var.domain_name")
        self.global_name_prefix = string(local(self, "global_name_prefix", quoted(
            "{name}-{region}", name="var.domain_name", region="var.region")))


class EmrAccount(Construct):
    """The EMR account's side of a domain; its outputs are the stack's."""

    def __init__(self, scope: Construct, id: str, inputs: EmrAccountInputs, props: EmrAccountProps) -> None:
        super().__init__(scope, id)
        name, global_name = inputs.name_prefix, inputs.global_name_prefix
        StackContext(self, "account", region=var("region"))
        key = PlatformKey(self, "encryption", PlatformKeyProps(name=name))
        create_vpc = "var.existing_vpc_id == null"
        network = Network(self, "network", NetworkProps(
            name=name, create=create_vpc, vpc_cidr=var("vpc_cidr"), az_count=var("az_count"),
            private_subnet_cidrs=var("private_subnet_cidrs"), public_subnet_cidrs=var("public_subnet_cidrs"),
            single_nat_gateway=var("single_nat_gateway"), existing_vpc_id=var("existing_vpc_id"),
            existing_private_subnet_ids=var("existing_private_subnet_ids"),
            existing_private_route_table_ids=var("existing_private_route_table_ids")))
        flow_logs = FlowLogs(self, "flow_logs", FlowLogsProps(
            name=name, role_name_prefix=global_name, create=create_vpc, vpc_id=network.created_vpc_id,
            kms_key_arn=key.key_arn, retention_days=var("log_retention_days"),
            permissions_boundary_arn=var("permissions_boundary_arn")))
        groups = SecurityGroups(self, "security_groups", SecurityGroupsProps(
            name=name, vpc_id=network.vpc_id, emr_enabled=var("enable_emr"),
            studio_internet_access="false", studio_cidrs=var("studio_cidr_blocks")))
        storage = Storage(self, "storage", StorageProps(
            name=name, templates_dir=props.templates_dir, kms_key_arn=key.key_arn,
            log_retention_days=var("log_retention_days")))
        iam = PlatformIam(self, "iam", PlatformIamProps(
            name_prefix=global_name, artifacts_bucket_arn=storage.artifacts_bucket_arn,
            data_bucket_arn=storage.data_bucket_arn, emr_enabled=var("enable_emr"),
            permissions_boundary_arn=var("permissions_boundary_arn"), kms_key_arn=key.key_arn,
            studio_trusted_role_arns=var("studio_execution_role_arns")))
        emr_security = EmrSecurity(self, "emr_security", EmrSecurityProps(
            name=name, enabled=var("enable_emr"), kms_key_arn=key.key_arn))
        catalog = EmrCatalog(self, "emr_catalog", EmrCatalogProps(
            name=name, enabled=var("enable_emr"), templates_dir=props.templates_dir,
            template_names=list(props.template_names),
            **catalog_variables(var, emr_security, iam, storage, network, groups),
            artifacts_bucket=storage.artifacts_bucket, artifacts_bucket_domain=storage.artifacts_bucket_domain,
            launch_role_arn=iam.launch_role_arn, principal_arns={"studio": iam.studio_execution_role_arn},
            versions_kept=var("emr_product_versions_kept"),
            previous_product_ids=previous_output("product_ids", "{}")))
        iam.grant_emr_product_launch(catalog.product_arns)
        iam.grant_launch_time_parameters(catalog.launch_time_parameter_arns)
        key.attach_policy(PlatformKeyPolicyProps(
            key_user_role_arns=[iam.studio_execution_role_arn, iam.emr_service_role_arn, iam.emr_instance_role_arn],
            bucket_arn_pattern=storage.bucket_arn_pattern, log_group_arns=[flow_logs.log_group_arn]))

        outputs = {
            "assumable_role_arn": (iam.studio_execution_role_arn, "The role Studio users assume here: the "
                                   "platform workspace's emr_assumable_role_arns names it"),
            "vpc_id": (network.vpc_id, "VPC of this account's EMR clusters (peer or share it with the domain's)"),
            "private_subnet_ids": (network.private_subnet_ids, "Private subnets of the EMR clusters"),
            "emr_security_group_ids": (
                groups.emr_group_ids, "EMR-managed security groups: master, core, service_access (null without EMR)"),
            "portfolio_id": (catalog.portfolio_id, "Service Catalog portfolio of this account's EMR products"),
            "product_ids": (catalog.product_ids, "Service Catalog product id per template in emr_templates/ "
                                                 "(the next plan reads it back: modules/previous_state.py)"),
            "emr_service_role_arn": (iam.emr_service_role_arn, "EMR service role"),
            "emr_instance_role_arn": (iam.emr_instance_role_arn, "EMR instance role"),
            "kms_key_arn": (key.key_arn, "This account's key: buckets, EMR disks, flow logs"),
        }
        declare_outputs(scope, outputs)
