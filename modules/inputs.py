"""The platform's inputs: every value that differs between environments.

Each input is a Terraform variable with a type, a description and validation rules, and its value comes from the
workspace's variable file (``workspaces/<workspace>.tfvars.json``). Rules run at ``terraform plan``, before anything
is created, and each message names the variable, the value and the rule. Rules that compare two variables rely on
Terraform >= 1.9. AWS's rules for the names and tags derived from inputs, and the refusal of null where it means
nothing, are in ``modules/input_rules.py``.

``InputSpec.required`` marks an input a workspace file must give: it is declared with a null default, so that a
missing value reaches the input's null rule (whose message names it) instead of Terraform's "No value for required
variable". README's inputs table and the PR plan summary read "required" from this marker. This module is data and
the standard library only, so that scripts/plan_summary.py can read it; ``modules/input_variables.py`` declares the
variables.
"""
from dataclasses import dataclass
from typing import Any, Sequence, Tuple

from modules.hcl import interpolated, shown, text
from modules.emr_runtime_role_rules import emr_default_runtime_role_rules, emr_runtime_role_rules, release_at_least
from modules.cidr_rules import cidr_prefix, is_network_cidr, no_overlap_rule, subnet_list_rules
from modules.input_rules import (
    SERVERLESS_APPLICATION_SETTINGS, bucket_name_rules, domain_name_rules, guarded, guarded_message, object_guarded,
    serverless_application_rules, tag_rules, user_profile_rules, workspace_rules)

DEFAULT_INTERFACE_ENDPOINTS = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
    "logs",
    "monitoring",
    "servicecatalog",
    "elasticmapreduce",
)

# A rule is (Terraform condition, error message); messages may interpolate.
Rule = Tuple[str, str]


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    description: str
    default: Any = None
    # A workspace file must give a value: there is no default (null is refused).
    required: bool = False
    rules: Sequence[Rule] = ()


SAGEMAKER_NAME = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
VPC_OR_NULL = 'coalesce(var.existing_vpc_id, "null")'

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy); S3
# lifecycle expirations of logs use the same number of days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
S3_BUCKET_NAME = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
# SageMaker's pattern of EmrSettings.AssumableRoleArns entries, and their number.
ASSUMABLE_ROLE_ARN = "^arn:aws[a-z-]*:iam::[0-9]{12}:role/?[a-zA-Z_0-9+=,.@/-]+$"
MAX_ASSUMABLE_ROLES = 5


INPUTS: Tuple[InputSpec, ...] = (
    InputSpec(
        "workspace", "string",
        "The Terraform workspace this variable file belongs to. A plan in any other workspace, or in "
        "Terraform's default workspace, fails, so one environment's values cannot be applied to another's state.",
        required=True,
        rules=workspace_rules()),
    InputSpec(
        "region", "string", "AWS region of this workspace, e.g. eu-west-1.", required=True,
        rules=[('can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$", var.region))',
                f'region = "{interpolated("var.region")}" is not an AWS region name such as eu-west-1.')]),
    InputSpec(
        "domain_name", "string",
        "Name of the SageMaker Studio domain. Every named resource derives its name from it, "
        "so two workspaces in one account and region must use different names.",
        required=True,
        rules=[('can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.domain_name))',
                f'domain_name = "{interpolated("var.domain_name")}" is invalid: use 3 to 24 characters, lowercase '
                'letters, digits and hyphens, starting with a letter and ending with a letter or '
                'digit (it prefixes S3 bucket names, which allow 63 lowercase characters in all, '
                'and IAM role names, which allow 64).'),
               *domain_name_rules()]),
    InputSpec("tags", "map(string)", "Tags added to every resource.", default={},
              rules=[('alltrue([for k in keys(var.tags) : !startswith(lower(k), "aws:")])',
                      f'tags = {shown("var.tags")} is invalid: keys starting with "aws:" are '
                      'reserved by AWS.'),
                     *tag_rules()]),
    # Network
    InputSpec(
        "vpc_cidr", "string",
        "CIDR of the VPC this stack creates (ignored with existing_vpc_id). Prefix /16 to /20.",
        default="10.0.0.0/16",
        rules=[(f'{is_network_cidr("var.vpc_cidr")} && try({cidr_prefix("var.vpc_cidr")} >= 16 && '
                f'{cidr_prefix("var.vpc_cidr")} <= 20, false)',
                f'vpc_cidr = "{interpolated("var.vpc_cidr")}" is invalid: use an IPv4 CIDR with its network '
                'address and a prefix from /16 to /20, e.g. 10.0.0.0/16.')]),
    InputSpec(
        "az_count", "number",
        "Number of availability zones, each with one private and one public subnet (2 to 6).",
        default=2,
        rules=[("var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count",
                f"az_count = {interpolated('var.az_count')} is invalid: use a whole number from 2 to 6 "
                "(Studio and EMR need private subnets in at least two zones).")]),
    InputSpec(
        "private_subnet_cidrs", "list(string)",
        "CIDRs of the private subnets, one per zone. Empty: the first az_count /N+4 blocks of vpc_cidr.",
        default=[], rules=subnet_list_rules("private_subnet_cidrs")),
    InputSpec(
        "public_subnet_cidrs", "list(string)",
        "CIDRs of the public subnets (NAT gateways only), one per zone. Empty: /N+4 blocks of "
        "vpc_cidr from the ninth on. Give both lists or neither.",
        default=[],
        rules=[*subnet_list_rules("public_subnet_cidrs"),
               ("(length(var.private_subnet_cidrs) == 0) == (length(var.public_subnet_cidrs) == 0)",
                "public_subnet_cidrs and private_subnet_cidrs must be given together or both left "
                "empty (derived from vpc_cidr): a derived list could overlap a given one."),
               no_overlap_rule()]),
    InputSpec(
        "single_nat_gateway", "bool",
        "One NAT gateway for all zones (cheaper) instead of one per zone (survives a zone outage).",
        default=True),
    InputSpec(
        "existing_vpc_id", "string",
        "Use this existing VPC instead of creating one. Needs existing_private_subnet_ids.",
        default=None,
        rules=[('var.existing_vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.existing_vpc_id))',
                text('existing_vpc_id = "{vpc}" is not a VPC id such as vpc-0123456789abcdef0.', vpc=VPC_OR_NULL))]),
    InputSpec(
        "existing_private_subnet_ids", "list(string)",
        "Private subnets of existing_vpc_id for Studio, EMR and the interface endpoints "
        "(at most one per zone). Their route to the internet (NAT) is yours to provide.",
        default=[],
        rules=[('alltrue([for s in var.existing_private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])',
                f"existing_private_subnet_ids = {shown('var.existing_private_subnet_ids')} is "
                "invalid: each entry must be a subnet id such as subnet-0123456789abcdef0."),
               ("var.existing_vpc_id == null || length(var.existing_private_subnet_ids) > 0",
                text('existing_vpc_id = "{vpc}" is set but ', vpc=VPC_OR_NULL)
                + "existing_private_subnet_ids is empty: the domain needs at least one private "
                "subnet of that VPC."),
               ("var.existing_vpc_id != null || length(var.existing_private_subnet_ids) == 0",
                "existing_private_subnet_ids is set but existing_vpc_id is null: set "
                "existing_vpc_id to the VPC of those subnets, or remove them to let this stack "
                "create the VPC.")]),
    InputSpec(
        "existing_private_route_table_ids", "list(string)",
        "Route tables of existing_private_subnet_ids, for the S3 gateway endpoint. Empty with an "
        "existing VPC: no S3 gateway endpoint is created.",
        default=[],
        rules=[('alltrue([for r in var.existing_private_route_table_ids : can(regex("^rtb-[0-9a-f]{8,17}$", r))])',
                "existing_private_route_table_ids = "
                f"{shown('var.existing_private_route_table_ids')} is invalid: each entry must "
                "be a route table id such as rtb-0123456789abcdef0.")]),
    InputSpec(
        "interface_endpoints", "list(string)",
        "AWS services that get an interface VPC endpoint with private DNS (the part after "
        "com.amazonaws.<region>.). Add ecr.api and ecr.dkr for custom images; empty when the "
        "VPC already has them.",
        default=list(DEFAULT_INTERFACE_ENDPOINTS),
        rules=[('alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9]+([.-][a-z0-9]+)*$", s))])',
                f"interface_endpoints = {shown('var.interface_endpoints')} is invalid: each "
                "entry is a service name such as sagemaker.api."),
               ("length(distinct(var.interface_endpoints)) == length(var.interface_endpoints)",
                f"interface_endpoints = {shown('var.interface_endpoints')} lists a service "
                "twice.")]),
    InputSpec(
        "allowed_s3_buckets", "list(string)",
        "Other S3 buckets (names) Studio and EMR may reach through the VPC's S3 gateway endpoint. Its "
        "policy admits only this platform's buckets, the SageMaker SDK's default bucket and the "
        "AWS-owned buckets Studio and EMR need; IAM still decides who may use a bucket.",
        default=[],
        rules=[(f'alltrue([for b in var.allowed_s3_buckets : can(regex("{S3_BUCKET_NAME}", b))])',
                f"allowed_s3_buckets = {shown('var.allowed_s3_buckets')} is invalid: each entry is "
                "a bucket name such as my-datasets (3 to 63 lowercase letters, digits, dots and "
                "hyphens; no ARNs, no wildcards)."),
               *bucket_name_rules("allowed_s3_buckets")]),
    InputSpec(
        "log_retention_days", "number",
        "Days the VPC flow logs (CloudWatch Logs), EMR logs and S3 access logs are kept. One of the "
        "values CloudWatch Logs accepts; security reviews usually expect 365 or more.",
        default=365,
        rules=[(f"contains({list(LOG_RETENTION_DAYS)}, var.log_retention_days)",
                f"log_retention_days = {interpolated('var.log_retention_days')} is invalid: use one of the retention "
                f"periods CloudWatch Logs accepts: {', '.join(map(str, LOG_RETENTION_DAYS))}.")]),
    # SageMaker
    InputSpec(
        "network_mode", "string",
        "Studio's network access: VpcOnly (traffic stays in the VPC, required for EMR) or "
        "PublicInternetOnly.",
        default="VpcOnly",
        rules=[('contains(["VpcOnly", "PublicInternetOnly"], var.network_mode)',
                f'network_mode = "{interpolated("var.network_mode")}" is unknown: use VpcOnly or PublicInternetOnly.'),
               ('!(var.network_mode == "PublicInternetOnly" && var.enable_emr)',
                'network_mode = "PublicInternetOnly" is not allowed while enable_emr = true: in '
                "that mode notebooks run in a VPC owned by SageMaker that cannot reach EMR "
                "clusters in yours. Use VpcOnly, or set enable_emr = false.")]),
    InputSpec(
        "enable_emr", "bool",
        "Create the EMR integration: EMR roles and security groups, the Service Catalog "
        "portfolio and its products.",
        default=True),
    InputSpec(
        "home_efs_retention", "string",
        "What happens to the domain's home EFS (every user's files) when the domain is "
        "destroyed: Retain (safe default) or Delete.",
        default="Retain",
        rules=[('contains(["Retain", "Delete"], var.home_efs_retention)',
                f'home_efs_retention = "{interpolated("var.home_efs_retention")}" is invalid: use Retain or Delete.')]),
    InputSpec(
        "allow_domain_replacement", "bool",
        "Allow a plan that replaces or destroys the SageMaker domain (every user's profile, spaces and apps, "
        "and their home directories: README, A change that replaces the domain). Set it true for one apply, "
        "then remove it; scripts/platform's --allow-domain-replacement does the same for one command.",
        default=False),
    InputSpec(
        "studio_idle_timeout_minutes", "number",
        "JupyterLab and Code Editor apps with no activity for this long shut down (60 to 525600); "
        "users may choose a shorter time, not a longer one.",
        default=60,
        rules=[("var.studio_idle_timeout_minutes >= 60 && var.studio_idle_timeout_minutes <= 525600 && "
                "floor(var.studio_idle_timeout_minutes) == var.studio_idle_timeout_minutes",
                f"studio_idle_timeout_minutes = {interpolated('var.studio_idle_timeout_minutes')} is invalid: use a "
                "whole number of minutes from 60 (SageMaker's minimum) to 525600 (a year).")]),
    InputSpec(
        "studio_internet_access", "bool",
        "Studio apps may reach the internet over HTTPS through the NAT (pip, conda, git). False: "
        "only the VPC endpoints, S3 and EMR.",
        default=True),
    InputSpec(
        "studio_docker_access", "bool",
        "Let Studio users run Docker in their spaces. Studio has no root-access switch (users are "
        "remapped to unprivileged host users); Docker is what would give root-equivalent access, "
        "so it is off unless this is true.",
        default=False),
    InputSpec(
        # any, not map(object(...)): converting to an object type drops unknown attributes silently,
        # so a misspelt one would be lost; user_profile_rules refuses them, and any shape of value.
        "user_profiles", "any",
        "Studio users: name => settings. One line per user, e.g. \"alice\": {}. Settings: execution_role_arn "
        "replaces the platform's execution role for that user; emr_runtime_roles lists the EMR runtime roles "
        "(names of emr_runtime_roles) Studio offers the user, beside emr_default_runtime_roles. Any other is "
        "refused.",
        required=True,
        rules=[('can(keys(var.user_profiles))',
                f"user_profiles = {shown('var.user_profiles')} is not an object: give user name => settings, "
                "e.g. {\"alice\": {}}."),
               *object_guarded("user_profiles", messages=False, rules=[
                   ("length(var.user_profiles) > 0",
                    "user_profiles is empty: give at least one user, e.g. {\"alice\": {}}; a domain "
                    "without users cannot open Studio."),
                   (f'alltrue([for n in keys(var.user_profiles) : can(regex("{SAGEMAKER_NAME}", n))])',
                    "user_profiles has invalid names: "
                    + shown(f'[for n in keys(var.user_profiles) : n if !can(regex("{SAGEMAKER_NAME}", n))]')
                    + ". A user name has 1 to 63 letters, digits and hyphens and starts and ends with "
                    "a letter or digit.")]),
               *user_profile_rules()]),
    InputSpec(
        "emr_runtime_roles", "any",
        "EMR runtime roles: name => the data the role may read and write. Each is an IAM role "
        "(<domain_name>-<region>-rt-<name>) the domain's EMR clusters assume for a notebook's session instead "
        "of their instance role, so users of one shared cluster see only their team's data. Settings (lists): "
        "data_prefixes (prefixes of the platform's data bucket, read and write), read_locations and "
        "write_locations (bucket/prefix/ in allowed_s3_buckets), glue_databases (Glue and Lake Formation "
        "databases). Any role here turns on runtime roles in the clusters' security configuration (EMR 6.9.0 "
        "or later) and the domain's ExecutionRoleIdentityConfig (users' profile names as source identity), "
        "which SageMaker changes only while the domain has no app InService or Pending: stop every app before "
        "the first apply with runtime roles (README, EMR runtime roles).",
        default={}, rules=emr_runtime_role_rules()),
    InputSpec(
        "emr_default_runtime_roles", "list(string)",
        "Runtime roles (names of emr_runtime_roles) Studio offers every user, beside each user's own "
        "emr_runtime_roles.",
        default=[], rules=emr_default_runtime_role_rules()),
    InputSpec(
        "iam_managed_policies_per_role", "number",
        "IAM's quota of managed policies per role in this account (10 unless raised, at most 20: Service Quotas, "
        "IAM, \"Managed policies per role\"). The Studio execution role takes AmazonSageMakerFullAccess and one "
        "per EMR runtime role given to some user; the plan refuses more than this.",
        default=10,
        rules=[("var.iam_managed_policies_per_role >= 10 && var.iam_managed_policies_per_role <= 20 && "
                "floor(var.iam_managed_policies_per_role) == var.iam_managed_policies_per_role",
                f"iam_managed_policies_per_role = {interpolated('var.iam_managed_policies_per_role')} is invalid: "
                "IAM's quota of managed policies per role is a whole number from 10 (its default) to 20 (the most "
                "it can be raised to).")]),
    InputSpec(
        "permissions_boundary_arn", "string",
        "IAM permissions boundary attached to every role this stack creates (null: none).",
        default=None,
        rules=[('var.permissions_boundary_arn == null || '
                'can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))',
                text('permissions_boundary_arn = "{arn}" is not an IAM policy ARN.',
                     arn='coalesce(var.permissions_boundary_arn, "null")'))]),
    # EMR products
    InputSpec(
        "emr_release_labels", "list(string)",
        "EMR releases Studio users may choose; the first is the default.",
        default=["emr-7.5.0", "emr-6.15.0"],
        rules=[('length(var.emr_release_labels) > 0 && alltrue([for r in var.emr_release_labels : '
                'can(regex("^emr-[0-9]+[.][0-9]+[.][0-9]+$", r))])',
                f"emr_release_labels = {shown('var.emr_release_labels')} is invalid: give at "
                "least one release label such as emr-7.5.0."),
               (f"alltrue([for r in var.emr_release_labels : {release_at_least('r', 6, 2)}])",
                "emr_release_labels has releases before emr-6.2.0: "
                + shown(f"[for r in var.emr_release_labels : r if !{release_at_least('r', 6, 2)}]") + ". "
                "The clusters' security configuration requires IMDSv2, which EMR supports from 6.2.0 "
                "on (and the bootstrap script pins libraries for EMR 6.x and 7.x only).")]),
    InputSpec(
        "emr_instance_types", "list(string)",
        "EC2 instance types Studio users may choose for EMR nodes; the first is the default.",
        default=["m5.xlarge", "m5.2xlarge", "m5.4xlarge"],
        rules=[('length(var.emr_instance_types) > 0 && alltrue([for t in var.emr_instance_types : '
                'can(regex("^[a-z][a-z0-9-]*[.][a-z0-9]+$", t))])',
                f"emr_instance_types = {shown('var.emr_instance_types')} is invalid: give at "
                "least one instance type such as m5.xlarge.")]),
    InputSpec(
        "emr_core_instance_counts", "list(number)",
        "Core node counts Studio users may choose; the first is the default.",
        default=[2, 5, 10],
        rules=[("length(var.emr_core_instance_counts) > 0 && alltrue([for c in var.emr_core_instance_counts : "
                "c >= 1 && c <= 100 && floor(c) == c])",
                f"emr_core_instance_counts = {shown('var.emr_core_instance_counts')} is "
                "invalid: give whole numbers from 1 to 100.")]),
    InputSpec(
        "emr_idle_timeout_minutes", "number",
        "An EMR cluster with no activity for this long terminates itself (1 to 10080).",
        default=60,
        rules=[("var.emr_idle_timeout_minutes >= 1 && var.emr_idle_timeout_minutes <= 10080 && "
                "floor(var.emr_idle_timeout_minutes) == var.emr_idle_timeout_minutes",
                f"emr_idle_timeout_minutes = {interpolated('var.emr_idle_timeout_minutes')} is invalid: use a "
                "whole number of minutes from 1 to 10080 (7 days).")]),
    InputSpec(
        "emr_product_versions_kept", "number",
        "Versions of each EMR product kept: a changed template adds a version and deprecates the earlier "
        "ones; beyond this many the oldest are removed (2 to 100).",
        default=3,
        # 100 versions per product: Service Catalog's quota
        # (https://docs.aws.amazon.com/general/latest/gr/servicecatalog.html). At least 2: the current
        # one and the one before it, whose clusters can still be updated.
        rules=[("var.emr_product_versions_kept >= 2 && var.emr_product_versions_kept <= 100 && "
                "floor(var.emr_product_versions_kept) == var.emr_product_versions_kept",
                f"emr_product_versions_kept = {interpolated('var.emr_product_versions_kept')} is invalid: use a "
                "whole number from 2 (the current version and the one before it) to 100 (Service Catalog's quota of "
                "versions per product).")]),
    InputSpec(
        # SageMaker's EmrSettings.AssumableRoleArns: "Maximum number of 5 items", each 20 to 2048 characters
        # of the pattern below (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_EmrSettings.html).
        # A role of the domain's own account is refused by a precondition (modules/iam.py), which knows
        # the account.
        "emr_assumable_role_arns", "list(string)",
        "Roles in other accounts that Studio users assume to list and connect to EMR clusters there "
        "(EmrSettings.AssumableRoleArns; the emr-account stack's assumable_role_arn output). The execution "
        "roles may assume exactly these. At most 5.",
        default=[],
        rules=[(f'alltrue([for a in var.emr_assumable_role_arns : can(regex("{ASSUMABLE_ROLE_ARN}", a)) && '
                'length(a) <= 2048])',
                "emr_assumable_role_arns has entries that are not IAM role ARNs: "
                + shown(f'[for a in var.emr_assumable_role_arns : a if !can(regex("{ASSUMABLE_ROLE_ARN}", a)) '
                        '|| length(a) > 2048]') + ". Each entry is a role ARN such as "
                "arn:aws:iam::111122223333:role/ml-prod-emr-eu-west-1-studio-assumable (at most 2048 characters)."),
               (f"length(var.emr_assumable_role_arns) <= {MAX_ASSUMABLE_ROLES}",
                f"emr_assumable_role_arns has {interpolated('length(var.emr_assumable_role_arns)')} entries: "
                f"SageMaker's EmrSettings.AssumableRoleArns takes at most {MAX_ASSUMABLE_ROLES}."),
               ("length(distinct(var.emr_assumable_role_arns)) == length(var.emr_assumable_role_arns)",
                f"emr_assumable_role_arns = {shown('var.emr_assumable_role_arns')} lists a role twice.")]),
    InputSpec(
        "livy_session_timeout", "string",
        "Livy ends an idle Spark session after this long, e.g. 2h or 30m.",
        default="2h",
        rules=[('can(regex("^[1-9][0-9]*[smhd]$", var.livy_session_timeout))',
                f'livy_session_timeout = "{interpolated("var.livy_session_timeout")}" is invalid: use a number '
                "and a unit s, m, h or d, e.g. 2h.")]),
)


INPUTS = INPUTS + (
    InputSpec(
        "emr_serverless_applications", "map(map(string))",
        "EMR Serverless interactive applications Studio users connect to, in the private subnets with a Livy "
        "endpoint: name => settings. release_label (emr-6.14.0 or later) and runtime_role (a name in "
        "emr_runtime_roles) are required; optional, with their defaults: "
        + ", ".join(f"{k} = {v}" for k, v in SERVERLESS_APPLICATION_SETTINGS.items() if v is not None)
        + " (maximum capacity of all the application's workers; auto_start: the first connect starts it; it "
          "stops after idle_timeout_minutes without work). Empty: no application.",
        default={},
        rules=serverless_application_rules("var.emr_runtime_roles")),
)


def null_guarded(name: str, condition: str, message: str) -> Rule:
    """The rule (``condition``, ``message``) of input ``name``, held true while the value is null or has null
    entries (which that input's null rules report), its message evaluable then: for rules added beside
    those of INPUTS."""
    spec = INPUT_SPECS[name]
    return (guarded(spec.name, spec.type, spec.required, condition),
            guarded_message(spec.name, spec.type, spec.required, message))


INPUT_SPECS = {spec.name: spec for spec in INPUTS}
INPUT_NAMES = frozenset(INPUT_SPECS)
