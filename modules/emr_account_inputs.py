"""The inputs of the ``emr-account`` stack (modules/emr_account.py): EMR in another account.

Its variables come from ``workspaces/emr-account/<workspace>.tfvars.json``: the
same workspace names as the platform's, one file per EMR account a domain uses.
Most inputs are the platform's own (``modules/inputs.py``), with their rules:
the network, the EMR product choices, tags. ``domain_name`` here names this
account's side (it prefixes every name, as in the platform stack). The inputs
below are this stack's own. Data and the standard library only, as
``modules/inputs.py``.
"""
from dataclasses import replace
from typing import Tuple

from modules.cidr_rules import is_network_cidr
from modules.hcl import text
from modules.inputs import ASSUMABLE_ROLE_ARN, INPUT_SPECS, InputSpec

EMR_ACCOUNT_STACK = "emr-account"

# Shared with the platform stack, rules and all (their rules read only inputs of this list).
SHARED = ("workspace", "region", "tags", "enable_emr", "vpc_cidr", "az_count", "private_subnet_cidrs",
          "public_subnet_cidrs", "single_nat_gateway", "existing_vpc_id", "existing_private_subnet_ids",
          "existing_private_route_table_ids", "log_retention_days", "permissions_boundary_arn",
          "emr_release_labels", "emr_instance_types", "emr_core_instance_counts", "emr_idle_timeout_minutes",
          "emr_product_versions_kept", "livy_session_timeout")

# IAM's default quota of a role's trust policy: 2,048 characters without whitespace
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html, "Role trust policy
# length"). The document around the ARNs takes about 110; each ARN adds its quotes and a comma.
TRUST_POLICY_CHARACTERS = 2048
TRUST_POLICY_FRAME = 110

_ROLES = "var.studio_execution_role_arns"
_CIDRS = "var.studio_cidr_blocks"

EMR_ACCOUNT_INPUTS: Tuple[InputSpec, ...] = (
    *(INPUT_SPECS[name] for name in SHARED[:3]),
    replace(INPUT_SPECS["domain_name"], description=(
        "Name of this EMR account's side of a domain, e.g. ml-prod-emr: it prefixes every name here (the "
        "Studio role is <domain_name>-<region>-studio-assumable, the ARN the platform's "
        "emr_assumable_role_arns names).")),
    InputSpec(
        "studio_execution_role_arns", "list(string)",
        "The domain's Studio execution roles (its platform stack's studio_execution_role_arn output, and users' "
        "own execution_role_arn values), in the domain's account: exactly these may assume this account's "
        "Studio role.",
        required=True,
        rules=[(f"length({_ROLES}) > 0", "studio_execution_role_arns is empty: name the domain's execution "
                                          "roles, else nobody can assume this account's Studio role."),
               (f'alltrue([for a in {_ROLES} : can(regex("{ASSUMABLE_ROLE_ARN}", a))])',
                text("studio_execution_role_arns has entries that are not IAM role ARNs: {roles}.",
                     roles=f'jsonencode([for a in {_ROLES} : a if !can(regex("{ASSUMABLE_ROLE_ARN}", a))])')),
               (f"{TRUST_POLICY_FRAME} + length(join(\"\", {_ROLES})) + 3 * length({_ROLES}) <= "
                f"{TRUST_POLICY_CHARACTERS}",
                text("studio_execution_role_arns has {count} roles, too long for a trust policy: ",
                     count=f"length({_ROLES})")
                + f"IAM allows {TRUST_POLICY_CHARACTERS:,} characters by default (Role trust policy length)."),
               (f"length(distinct({_ROLES})) == length({_ROLES})",
                text("studio_execution_role_arns = {roles} lists a role twice.", roles=f"jsonencode({_ROLES})"))]),
    InputSpec(
        "studio_cidr_blocks", "list(string)",
        "CIDRs of the domain's private subnets, reached over a VPC peering or a shared VPC: the EMR master "
        "admits Livy (8998) and HiveServer2 (10000) from them.",
        required=True,
        rules=[(f"length({_CIDRS}) > 0 && alltrue([for c in {_CIDRS} : {is_network_cidr('c')}])",
                text("studio_cidr_blocks = {cidrs} is invalid: give the domain's private subnet "
                     "CIDRs, each an IPv4 CIDR with its network address, e.g. 10.30.0.0/19.",
                     cidrs=f"jsonencode({_CIDRS})"))]),
    InputSpec(
        "deployment_role_arn", "string",
        "Role Terraform assumes in the EMR account (the provider's assume_role), for credentials of another "
        "account. Null: the credentials' own account is the EMR account.",
        default=None,
        rules=[(f'var.deployment_role_arn == null || can(regex("{ASSUMABLE_ROLE_ARN}", var.deployment_role_arn))',
                text('deployment_role_arn = "{arn}" is not an IAM role ARN.',
                     arn='coalesce(var.deployment_role_arn, "null")'))]),
    *(INPUT_SPECS[name] for name in SHARED[3:]),
)

EMR_ACCOUNT_SPECS = {spec.name: spec for spec in EMR_ACCOUNT_INPUTS}
