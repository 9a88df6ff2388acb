"""Rules on the inputs that come from AWS's limits on what the inputs grow, and from the region itself.

``modules/inputs.py`` gives each input its own rules (its form). The rules here compare inputs with what they make:
the documents whose size grows with them, the subnets that must hold what the stack and its users put there, and
what the region offers (zones, EMR releases and the instance types EMR runs on each). Every one is checked at plan
time, before anything is created, and its message names the variable, shows the value and states the rule.

A rule that reads only its own input (or its group's) is a validation of the variable ("Invalid value for
variable"). A rule that reads inputs of several groups, or what the region offers, is a precondition or
postcondition of the resource or data source it is about ("Resource precondition failed"): a variable's validations
wait for every variable they read, so one bad value would otherwise silence the rules of unrelated inputs.

Plan-time sources of truth: ``aws_availability_zones`` (the network's), ``aws_emr_release_labels``
(ListReleaseLabels) and ``aws_emr_supported_instance_types`` (ListSupportedInstanceTypes, per release: the EC2 types
EMR supports for it in the region, so both "no such type" and "EMR does not run on it" are caught) and
``aws_ec2_instance_type_offerings`` (DescribeInstanceTypeOfferings: the types EC2 offers in the zone where the
clusters launch). A region name has none (the provider needs a valid region before it can ask anything), so the
project keeps a dated list (``modules/aws_limits.py``).

Document sizes are limits on the rendered text; the constants in ``modules/aws_limits.py`` are measurements of
the worst case (tests/test_input_limits.py renders the documents with Terraform and checks each one against them).
"""
from dataclasses import dataclass
from typing import Mapping

from constructs import Construct
from cdktf import TerraformIterator, TerraformVariable
from cdktf_cdktf_provider_aws.data_aws_ec2_instance_type_offerings import (
    DataAwsEc2InstanceTypeOfferings, DataAwsEc2InstanceTypeOfferingsFilter)
from cdktf_cdktf_provider_aws.data_aws_emr_release_labels import DataAwsEmrReleaseLabels
from cdktf_cdktf_provider_aws.data_aws_emr_supported_instance_types import DataAwsEmrSupportedInstanceTypes
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets, DataAwsSubnetsFilter

from modules.hcl import interpolated, shown, text
from modules.aws_limits import (
    EFS_MOUNT_TARGETS_PER_SUBNET, GLUE_ARN_PREFIX, IAM_INLINE_PER_ROLE, IAM_MANAGED_PER_ROLE_DEFAULT,
    IAM_MANAGED_PER_ROLE_MAX, IAM_MANAGED_POLICY, KEY_POLICY_BASE, KEY_POLICY_LIMIT, KNOWN_REGIONS,
    MAX_ALLOWED_S3_BUCKETS, MAX_DOMAIN_SUBNETS, REGIONS_CHECKED_ON, RESERVED_ADDRESSES_PER_SUBNET, RUNTIME_ROLE_ARN,
    RUNTIME_ROLE_POLICIES_FIXED, S3_ARN_PER_BUCKET, S3_BUCKET_ARN, S3_ENDPOINT_POLICY_LIMIT, SERVERLESS_APPLICATION_ARN,
    SERVERLESS_GRANT_FIXED, SMALLEST_SUBNET_PREFIX, STUDIO_APPS_PER_USER, STUDIO_GRANT_FIXED, STUDIO_GRANT_INTERPOLATED,
    STUDIO_OWN_MANAGED_POLICIES)
from modules.emr_runtime_role_rules import MAX_EMR_RUNTIME_ROLES, runtime_role_attribute
from modules.input_rules import interface_services, serverless_workers
from modules.cidr_rules import cidr_prefix
from modules.inputs import Rule, null_guarded
from modules.tf import checked, count_when, data_address, expr, expr_list, expr_map, hcl, string, template, Expression


def _user_role_arns() -> str:
    """The distinct execution roles users bring; each is a principal of the domain key's policy."""
    return ("distinct([for u in values(var.user_profiles) : u.execution_role_arn "
            "if try(u.execution_role_arn != null, false)])")


def _runtime_role_sizes() -> str:
    """Role => characters of its data policies, an upper bound from the inputs (modules/emr_runtime_roles.py:
    each S3 entry is a bucket in two statements, two s3:prefix patterns, an object ARN to read and, where
    written, to write; each Glue database two ARNs)."""
    def attr(a):
        return runtime_role_attribute("r", a)
    s3 = lambda x, writes: (f"(2 * {S3_BUCKET_ARN} + 2 * length({x}) + 7 + "  # noqa: E731
                            f"{writes} * ({S3_BUCKET_ARN} + length({x}) + 2))")
    entries = " + ".join([
        f'sum(concat([0], [for x in {attr("data_prefixes")} : {s3("x", 2)}]))',
        f'sum(concat([0], [for x in {attr("read_locations")} : {s3("x", 1)}]))',
        f'sum(concat([0], [for x in {attr("write_locations")} : {s3("x", 2)}]))',
        f'(length({attr("glue_databases")}) == 0 ? 0 : {GLUE_ARN_PREFIX} + 10 + sum(concat([0], '
        f'[for d in {attr("glue_databases")} : 2 * {GLUE_ARN_PREFIX} + 2 * length(d) + 20])))'])
    sizes = f"{{for n, r in var.emr_runtime_roles : n => {RUNTIME_ROLE_POLICIES_FIXED} + {entries}}}"
    return sizes


def document_rules() -> dict:
    """Rules on inputs that lengthen a policy document: input name => [(condition, message)]."""
    # Each role of a user's own is listed in two statements (use, grants): its ARN, quotes and a comma, twice.
    role_bytes = f"sum(concat([0], [for a in {_user_role_arns()} : 2 * (length(a) + 3)]))"
    # Room left by the EMR runtime roles at their most (each named twice, as key users).
    room = KEY_POLICY_LIMIT - KEY_POLICY_BASE - MAX_EMR_RUNTIME_ROLES * 2 * (RUNTIME_ROLE_ARN + 3)
    sizes = _runtime_role_sizes()
    too_large = f"{{for n, size in {sizes} : n => size if size > {IAM_INLINE_PER_ROLE}}}"
    return {
        "emr_runtime_roles": [
            (f"try(length({too_large}) == 0, true)",
             f"emr_runtime_roles has roles whose data policies would take more than IAM's {IAM_INLINE_PER_ROLE:,} "
             "characters per role (characters, at most): " + interpolated(f'try(jsonencode({too_large}), "")')
             + ". Each S3 entry is "
             "listed as a bucket, prefixes and objects, each Glue database as two ARNs: use fewer, broader "
             "prefixes or split the role."),
        ],
        "allowed_s3_buckets": [(
            f"try(length(var.allowed_s3_buckets) <= {MAX_ALLOWED_S3_BUCKETS}, true)",
            f"allowed_s3_buckets has {interpolated('length(var.allowed_s3_buckets)')} buckets: at most "
            f"{MAX_ALLOWED_S3_BUCKETS} fit in the S3 endpoint's policy, which lists each bucket and its "
            f"objects and which AWS limits to {S3_ENDPOINT_POLICY_LIMIT:,} characters (each bucket takes up to "
            f"{S3_ARN_PER_BUCKET}). List fewer buckets.")],
        "user_profiles": [(
            f"try({role_bytes} <= {room}, true)",
            f"user_profiles gives {interpolated(f'length({_user_role_arns()})')} distinct execution_role_arn values "
            f"whose ARNs take {interpolated(f'try({role_bytes}, 0)')} bytes of the domain key's policy, "
            "which lists each role twice "
            f"and has {room:,} bytes left for them (KMS allows {KEY_POLICY_LIMIT:,} bytes per key policy; the EMR "
            f"runtime roles may take {MAX_EMR_RUNTIME_ROLES * 2 * (RUNTIME_ROLE_ARN + 3):,}). "
            "Let more users share a role, or leave execution_role_arn out to use the platform's role.")],
    }


def studio_grant_sizes(users: str) -> str:
    """Runtime role => characters of the Studio role's managed policy of it, at most (roles with a policy only:
    a default role, or one given to some user). ``users``: map of runtime role => the users of the platform's
    role given it. A default role's policy names no user; any other's names them once, or, when EMR
    Serverless applications run as it, in each of its three statements."""
    apps = "var.emr_serverless_applications"
    count = f"length([for a in values({apps}) : a if try(a.runtime_role, null) == role])"
    names = "sum(concat([0], [for name in names : length(name) + 3]))"
    return (f"{{for role, names in {users} : role => ({count} == 0 ? "
            f"{STUDIO_GRANT_FIXED + STUDIO_GRANT_INTERPOLATED} : "
            f"{SERVERLESS_GRANT_FIXED + 2 * STUDIO_GRANT_INTERPOLATED} + 2 * {SERVERLESS_APPLICATION_ARN} * {count}) + "
            f"(contains(var.emr_default_runtime_roles, role) ? 0 : {names} * ({count} == 0 ? 1 : 3)) "
            f"if contains(var.emr_default_runtime_roles, role) || length(names) > 0}}")


def runtime_role_grants_fit(users: str) -> list:
    """The Studio role's managed policies of the runtime roles fit IAM's quotas (preconditions,
    modules/emr_runtime_roles.py; ``users`` as for ``studio_grant_sizes``): each policy its 6,144 characters,
    and the role its managed policies per role (``iam_managed_policies_per_role``)."""
    sizes = studio_grant_sizes(users)
    too_large = f"{{for role, size in {sizes} : role => size if size > {IAM_MANAGED_POLICY}}}"
    attached = f"{STUDIO_OWN_MANAGED_POLICIES} + length({sizes})"
    return [
        (f"length({too_large}) == 0",
         "emr_runtime_roles has roles whose policy on the Studio execution role would take more than IAM's "
         f"{IAM_MANAGED_POLICY:,} characters per managed policy (characters, at most): {shown(too_large)}. "
         "The policy names each user given the role (name length + 3 characters; 3 times when EMR Serverless "
         "applications run as the role): give the role to fewer users, split it, or make it one of "
         "emr_default_runtime_roles (no user named)."),
        (f"{attached} <= var.iam_managed_policies_per_role",
         f"emr_runtime_roles gives the Studio execution role {interpolated(attached)} managed policies "
         f"(AmazonSageMakerFullAccess and one per runtime role that is a default or given to some user: "
         f"{shown(f'keys({sizes})')}), more than iam_managed_policies_per_role = "
         f"{interpolated('var.iam_managed_policies_per_role')}, IAM's quota of managed policies per role "
         f"({IAM_MANAGED_PER_ROLE_DEFAULT} by default). "
         f"The quota can be raised to {IAM_MANAGED_PER_ROLE_MAX}: Service Quotas, AWS Identity and Access "
         "Management (IAM), \"Managed policies per role\" (or `aws service-quotas request-service-quota-increase "
         "--service-code iam --quota-code <its code, from aws service-quotas list-service-quotas --service-code "
         f"iam> --desired-value {IAM_MANAGED_PER_ROLE_MAX}`); then set iam_managed_policies_per_role to the new "
         "quota. Or use fewer runtime roles."),
    ]


def network_rules() -> dict:
    """Rules on the network inputs that read only their own group of inputs. Each condition
    holds (try) when a value is too malformed to judge: its own rules report it."""
    existing = "var.existing_private_subnet_ids"
    return {
        "region": [(
            f"try(contains({hcl(list(KNOWN_REGIONS))}, var.region), true)",
            text('region = "{region}" is not a region this project knows: ', region="var.region")
            + f"AWS's regions as of {REGIONS_CHECKED_ON} are {', '.join(KNOWN_REGIONS)}. If AWS has opened it "
            "since, add it to REGIONS_BY_PARTITION in modules/aws_limits.py.")],
        **{name: [(
            f"try(alltrue([for c in var.{name} : {cidr_prefix('c')} <= {SMALLEST_SUBNET_PREFIX}]), true)",
            f"{name} = {shown(f'var.{name}')} has subnets smaller than AWS allows: "
            + shown(f"[for c in var.{name} : c if try({cidr_prefix('c')} > {SMALLEST_SUBNET_PREFIX}, false)]")
            + f". A subnet is a /16 to a /{SMALLEST_SUBNET_PREFIX} ({2 ** (32 - SMALLEST_SUBNET_PREFIX)} addresses)."
        )] for name in ("private_subnet_cidrs", "public_subnet_cidrs")},
        "existing_private_subnet_ids": [
            (f"try(var.existing_vpc_id == null || length({existing}) != 1, true)",
             f"existing_private_subnet_ids = {shown(existing)} has one subnet: give at least "
             "two, in different availability zones (Studio and EMR need private subnets in two zones, as "
             "az_count does for a VPC this stack creates)."),
            (f"try(length({existing}) <= {MAX_DOMAIN_SUBNETS}, true)",
             f"existing_private_subnet_ids has {interpolated(f'length({existing})')} subnets: a SageMaker domain takes "
             f"at most {MAX_DOMAIN_SUBNETS}."),
            (f"try(length(distinct({existing})) == length({existing}), true)",
             f"existing_private_subnet_ids = {shown(existing)} lists a subnet twice: "
             f"{shown(f'distinct([for i, s in {existing} : s if index({existing}, s) != i])')}."),
        ],
        "existing_private_route_table_ids": [
            ("try(var.existing_vpc_id != null || length(var.existing_private_route_table_ids) == 0, true)",
             f"existing_private_route_table_ids = {shown('var.existing_private_route_table_ids')} is set "
             "but existing_vpc_id is null: route tables belong to an existing VPC; set existing_vpc_id and "
             "existing_private_subnet_ids, or remove them to let this stack create the VPC."),
            ("try(length(distinct(var.existing_private_route_table_ids)) == "
             "length(var.existing_private_route_table_ids), true)",
             f"existing_private_route_table_ids = {shown('var.existing_private_route_table_ids')} lists "
             "a route table twice."),
        ],
    }


# Rules across groups of inputs, or on what the region offers: conditions (see the module's docstring).

def _needed_addresses() -> tuple:
    """(expression, explanation) of the addresses a private subnet must have free."""
    largest_cluster = "(var.enable_emr ? 1 + max(var.emr_core_instance_counts...) : 0)"
    studio_apps = f"{STUDIO_APPS_PER_USER} * length(var.user_profiles)"
    endpoints, workers = f"length({interface_services()})", serverless_workers()
    needed = (f"{endpoints} + {EFS_MOUNT_TARGETS_PER_SUBNET} + {studio_apps} + "
              f"{largest_cluster} + {workers}")
    explanation = (
        f"{interpolated(endpoints)} interface endpoints, "
        f"{EFS_MOUNT_TARGETS_PER_SUBNET} EFS mount target, {interpolated(studio_apps)} Studio apps "
        f"({STUDIO_APPS_PER_USER} per user in user_profiles), {interpolated(largest_cluster)} nodes of the largest "
        f"EMR cluster offered (1 master + the largest of emr_core_instance_counts) and {interpolated(workers)} EMR "
        "Serverless workers (one per vCPU of the applications' max_vcpu at most)")
    return needed, explanation


def private_subnet_room(cidr: str) -> Rule:
    """Precondition of a private subnet whose CIDR is ``cidr``: it holds what the platform puts in it."""
    usable = f"pow(2, 32 - {cidr_prefix(cidr)}) - {RESERVED_ADDRESSES_PER_SUBNET}"
    needed, explanation = _needed_addresses()
    return (
        f"try({usable} >= {needed}, true)",
        text("private_subnet_cidrs = {cidrs} is too small: the private subnet {cidr} has {usable} usable addresses "
             f"(the {RESERVED_ADDRESSES_PER_SUBNET} AWS reserves left out) and needs {{needed}}: ",
             cidrs="jsonencode(var.private_subnet_cidrs)", cidr=cidr, usable=usable, needed=needed)
        + explanation + ". Use larger subnets (or a larger vpc_cidr when they are derived from it).")


def zones_suffice(zone_names: str) -> Rule:
    """Postcondition of the region's usable zones ``zone_names``: az_count of them exist."""
    return (
        f"try(var.existing_vpc_id != null || length({zone_names}) >= var.az_count, true)",
        text("az_count = {az_count} is more than the {count} availability zones region {region} offers without "
             "opt-in ({zones}): use at most {count}.", az_count="var.az_count", count=f"length({zone_names})",
             region="var.region", zones=f'join(", ", {zone_names})'))


def _existing_subnets(scope: Construct) -> str:
    """Reads the subnets of an existing VPC; returns the expression of their details by id.

    Postconditions: every subnet given is in existing_vpc_id (DescribeSubnets
    filtered by both, which answers with what matches rather than failing), and
    each has the addresses free that the platform will use in it."""
    missing = "[for s in var.existing_private_subnet_ids : s if !contains(self.ids, s)]"
    found = DataAwsSubnets(
        scope, "existing_subnets",
        count=count_when("var.existing_vpc_id != null && length(var.existing_private_subnet_ids) > 0"),
        filter=[DataAwsSubnetsFilter(name="vpc-id", values=[expr("var.existing_vpc_id")]),
                DataAwsSubnetsFilter(name="subnet-id", values=expr_list("var.existing_private_subnet_ids"))],
        lifecycle=checked(post=[(
            f"try(length({missing}) == 0, true)",
            text('existing_private_subnet_ids has subnets that are not in existing_vpc_id = "{vpc}" (or do not '
                 "exist in {region}): {missing}.", vpc="var.existing_vpc_id", region="var.region",
                 missing=f"jsonencode({missing})"))]))
    needed, explanation = _needed_addresses()
    each = DataAwsSubnet(
        scope, "existing_subnet", for_each=TerraformIterator.from_map(expr_map(
            f"{{for s in try({data_address(found)}[0].ids, []) : s => s}}")),
        id=expr("each.key"),
        lifecycle=checked(post=[(
            f"try(self.available_ip_address_count >= {needed}, true)",
            text("existing_private_subnet_ids has a subnet too small for the platform: {id} ({cidr}) has {free} "
                 "addresses free and needs {needed}: ", id="self.id", cidr="self.cidr_block",
                 free="self.available_ip_address_count", needed=needed) + explanation + ".")]))
    return f"{{for id, s in {data_address(each)} : id => s}}"


@dataclass(frozen=True)
class InputLimitsProps:
    variables: Mapping[str, TerraformVariable]
    """The platform's input variables by name (``PlatformInputs.variables``)."""
    cluster_zone: Expression
    """Expression: the zone EMR clusters launch in (their subnet's), or null when unknown at plan
    time (an existing VPC's subnet)."""


class InputLimits(Construct):
    """Adds the validations above to the input variables, and checks the EMR
    choices against what EMR offers in the region and an existing VPC's subnets
    (postconditions of AWS's answers). Exposes ``existing_subnets_apart``: the
    rule that an existing VPC's subnets lie in distinct zones, for the
    resources that need it (a data source cannot see its siblings)."""

    def __init__(self, scope: Construct, id: str, props: InputLimitsProps) -> None:
        super().__init__(scope, id)
        for rules in (document_rules(), network_rules()):
            for name, pairs in rules.items():
                for rule in pairs:
                    condition, message = null_guarded(name, *rule)
                    props.variables[name].add_validation(condition=expr(condition), error_message=message)

        unknown = "[for r in var.emr_release_labels : r if !contains(self.release_labels, r)]"
        releases = DataAwsEmrReleaseLabels(self, "emr_releases", count=count_when("var.enable_emr"),
                                           lifecycle=checked(post=[(
            f"try(length({unknown}) == 0, true)",
            text("emr_release_labels has releases EMR does not offer in {region}: {unknown}. `aws emr "
                 "list-release-labels --region {region}` lists those it offers.", region="var.region",
                 unknown=f"jsonencode({unknown})"))]))
        # Only releases that exist: ListSupportedInstanceTypes refuses others.
        offered = TerraformIterator.from_map(expr_map(
            f"{{for r in var.enable_emr ? var.emr_release_labels : [] : r => r "
            f"if contains(try({data_address(releases)}[0].release_labels, []), r)}}"))
        unsupported = ("[for t in var.emr_instance_types : t "
                       "if !contains(self.supported_instance_types[*].type, t)]")
        DataAwsEmrSupportedInstanceTypes(self, "emr_instance_types", for_each=offered,
                                         release_label=expr("each.key"), lifecycle=checked(post=[(
            f"try(length({unsupported}) == 0, true)",
            text("emr_instance_types = {types} has types EMR {release} does not support in {region}: "
                 "{unsupported}. `aws emr list-supported-instance-types --release-label {release} --region {region}` "
                 "lists those it supports.", types="jsonencode(var.emr_instance_types)", release="each.key",
                 region="var.region", unsupported=f"jsonencode({unsupported})"))]))
        existing = _existing_subnets(self)
        zones = f"{{for id, s in {existing} : id => s.availability_zone}}"
        self.existing_subnets_apart = (
            f"try(length(distinct(values({zones}))) == length({zones}), true)",
            f"existing_private_subnet_ids has subnets in the same availability zone: {shown(zones)}. "
            "Give one subnet per zone: an interface endpoint takes one subnet per zone.")
        # EMR's list is the region's; a type may still be missing from the zone of the clusters' subnet.
        not_offered = "[for t in var.emr_instance_types : t if !contains(self.instance_types, t)]"
        DataAwsEc2InstanceTypeOfferings(
            self, "emr_zone_offerings",
            count=count_when(template("var.enable_emr && {zone} != null", zone=props.cluster_zone)),
            location_type="availability-zone",
            filter=[DataAwsEc2InstanceTypeOfferingsFilter(name="location", values=[expr(props.cluster_zone)]),
                    DataAwsEc2InstanceTypeOfferingsFilter(name="instance-type",
                                                          values=expr_list("var.emr_instance_types"))],
            lifecycle=checked(post=[(
                f"try(length({not_offered}) == 0, true)",
                f"emr_instance_types = {shown('var.emr_instance_types')} has types EC2 does not offer in "
                f"{string(props.cluster_zone)}, the zone of the first private subnet, where EMR clusters "
                f"launch: {shown(not_offered)}.")]))
