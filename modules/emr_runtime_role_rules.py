"""Rules on the EMR runtime-role inputs (emr_runtime_roles, emr_default_runtime_roles, users'
emr_runtime_roles): their shape (typed ``any``, so any shape is reported, naming the role or user, the
attribute and the rule), AWS's limits, and the releases that support runtime roles. Data and the
standard library only, like ``modules/input_rules.py`` (scripts/plan_summary.py reads the inputs).
"""
from typing import List

from modules.hcl import interpolated, shown
from modules.input_rules import (
    MAX_EMR_EXECUTION_ROLES, Rule, hcl_strings, object_guarded, user_runtime_role_lists)

# EMR runtime roles (emr_runtime_roles). Each becomes the IAM role <domain>-<region>-rt-<name>
# (modules/emr_runtime_roles.py): 24 + 1 + 15 (the longest region) + 4 + 20 = 64, IAM's limit for role
# names (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html); tests/test_input_rules.py
# checks it with the longest values.
EMR_RUNTIME_ROLE_NAME = "^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$"
EMR_RUNTIME_ROLE_ATTRIBUTES = ("data_prefixes", "read_locations", "write_locations", "glue_databases")
# Each role is named twice in the domain key's policy (modules/input_limits.py counts them at this many)
# and its data policy lists each entry: bounded so both stay within AWS's policy sizes.
MAX_EMR_RUNTIME_ROLES = 10
# "Use Amazon EMR version 6.9 or above" (prerequisites of
# https://docs.aws.amazon.com/sagemaker/latest/dg/studio-notebooks-emr-cluster-rbac.html); the template's
# applications (Spark, Livy, JupyterEnterpriseGateway, Hive) are the ones that page and "Runtime roles for
# Amazon EMR steps" (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-steps-runtime-roles.html)
# name for runtime roles: tests/test_emr_templates.py keeps the template to them.
EMR_RUNTIME_ROLES_MIN_RELEASE = (6, 9)
MAX_EMR_RUNTIME_ROLE_ENTRIES = 10
# The prefixes of the platform's data bucket the platform writes itself (modules/storage.py: EMR logs,
# Studio's shared notebooks); a runtime role gets none of them.
PLATFORM_DATA_PREFIXES = ("emr/", "studio/")
# S3 prefixes: the characters S3 calls safe for object keys, "/"-separated, ending with "/"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html); no wildcards.
S3_PREFIX = "([A-Za-z0-9!_.'()-]+/)+"
S3_LOCATION = f"^[a-z0-9][a-z0-9.-]{{1,61}}[a-z0-9]/({S3_PREFIX})?$"
# Glue database names are lowercase letters, digits and underscores (Hive-compatible), at most 255
# (https://docs.aws.amazon.com/glue/latest/dg/define-database.html).
GLUE_DATABASE_NAME = "^[a-z0-9_]{1,255}$"


def runtime_role_attribute(role: str, attribute: str) -> str:
    """A runtime role's attribute as a list of strings; [] when missing or not such a list (which the
    rules of emr_runtime_roles report)."""
    return f'try([for x in tolist({role}["{attribute}"]) : regex("^.*$", x)], [])'


def emr_runtime_role_rules() -> List[Rule]:
    """emr_runtime_roles (typed ``any``, so that a misspelt attribute is refused, not dropped): name =>
    object of data_prefixes, read_locations, write_locations, glue_databases (lists of strings)."""
    roles = "var.emr_runtime_roles"
    names = f"try(keys({roles}), [])"
    known = hcl_strings(EMR_RUNTIME_ROLE_ATTRIBUTES)

    def attr(a: str) -> str:
        return runtime_role_attribute("r", a)

    def per_role(bad_entries: str) -> str:
        """{role => bad entries} of the roles that have some; ``bad_entries`` reads ``r``."""
        return f"{{for n, r in {roles} : n => {bad_entries} if length({bad_entries}) > 0}}"

    not_objects = f"[for n, r in {roles} : n if !can(keys(r))]"
    unknown = per_role(f"setsubtract(try(keys(r), []), {known})")
    not_lists = per_role(f'[for a in {known} : a if try(r[a], null) != null && '
                         f'!can([for x in tolist(r[a]) : regex("^.*$", x)])]')
    everything = ", ".join(attr(a) for a in EMR_RUNTIME_ROLE_ATTRIBUTES)
    empty = f"[for n, r in {roles} : n if can(keys(r)) && length(flatten([{everything}])) == 0]"
    too_long = per_role(f"[for a in {known} : a if length({runtime_role_attribute('r', interpolated('a'))}) > "
                        f"{MAX_EMR_RUNTIME_ROLE_ENTRIES}]".replace(f'r["{interpolated("a")}"]', "r[a]"))
    prefixes = per_role(f'[for p in {attr("data_prefixes")} : p if !can(regex("^{S3_PREFIX}$", p))]')
    reserved = per_role(f'[for p in {attr("data_prefixes")} : p if anytrue([for q in '
                        f'{hcl_strings(PLATFORM_DATA_PREFIXES)} : startswith(p, q) || startswith(q, p)])]')
    locations = f'concat({attr("read_locations")}, {attr("write_locations")})'
    bad_locations = per_role(f'[for l in {locations} : l if !can(regex("{S3_LOCATION}", l))]')
    other_buckets = per_role(f'[for l in {locations} : l if can(regex("{S3_LOCATION}", l)) && '
                             f'!contains(var.allowed_s3_buckets, split("/", l)[0])]')
    bad_names = f'[for n in {names} : n if !can(regex("{EMR_RUNTIME_ROLE_NAME}", n))]'
    databases = per_role(f'[for d in {attr("glue_databases")} : d if !can(regex("{GLUE_DATABASE_NAME}", d))]')
    return [
        (f"can(keys({roles}))",
         f"emr_runtime_roles = {shown(roles)} is not an object: give runtime role name => settings, "
         'e.g. {"team-a": {"data_prefixes": ["team-a/"]}}.'),
        *object_guarded("emr_runtime_roles", [
        (f"length({bad_names}) == 0",
         f"emr_runtime_roles has invalid names: {shown(bad_names)}. A runtime role "
         "name has 1 to 20 lowercase letters, digits and hyphens and starts and ends with a letter or digit (it "
         "ends the IAM role's name, <domain_name>-<region>-rt-<name>, which IAM limits to 64 characters)."),
        (f"length({names}) <= {MAX_EMR_RUNTIME_ROLES}",
         f"emr_runtime_roles has {interpolated(f'length({names})')} roles: at most {MAX_EMR_RUNTIME_ROLES}. "
         "Each is a user of "
         "the domain's KMS key, whose policy AWS limits to 32,768 bytes; let teams share a role."),
        (f"length({not_objects}) == 0",
         f"emr_runtime_roles has entries that are not objects: {shown(not_objects)}. A runtime role is "
         f"an object of {', '.join(EMR_RUNTIME_ROLE_ATTRIBUTES)}."),
        (f"length({unknown}) == 0",
         f"emr_runtime_roles has unknown attributes: {shown(unknown)}. A runtime role may set only "
         f"{', '.join(EMR_RUNTIME_ROLE_ATTRIBUTES)}."),
        (f"length({not_lists}) == 0",
         f"emr_runtime_roles has attributes that are not lists of strings: {shown(not_lists)}. Write "
         'each as a list, e.g. "data_prefixes": ["team-a/"].'),
        (f"length({empty}) == 0",
         f"emr_runtime_roles has roles that grant no data: {shown(empty)}. Give each at least one of "
         f"{', '.join(EMR_RUNTIME_ROLE_ATTRIBUTES)}, or remove it."),
        (f"length({too_long}) == 0",
         f"emr_runtime_roles has attributes with more than {MAX_EMR_RUNTIME_ROLE_ENTRIES} entries: "
         f"{shown(too_long)}. Each list is at most {MAX_EMR_RUNTIME_ROLE_ENTRIES} long, so the role's "
         "policy fits IAM's 10,240 characters; use broader prefixes."),
        (f"length({prefixes}) == 0",
         f"emr_runtime_roles has data_prefixes that are not S3 prefixes such as team-a/ or team-a/curated/: "
         f"{shown(prefixes)}. A prefix is /-separated, ends with /, does not start with /, and uses "
         "letters, digits and ! _ . ' ( ) - (no wildcards)."),
        (f"length({reserved}) == 0",
         f"emr_runtime_roles has data_prefixes that overlap the platform's own prefixes of the data bucket "
         f"({', '.join(PLATFORM_DATA_PREFIXES)}: EMR logs and Studio's shared notebooks): "
         f"{shown(reserved)}. Use a prefix of its own, e.g. team-a/."),
        (f"length({bad_locations}) == 0",
         f"emr_runtime_roles has read_locations or write_locations that are not bucket/prefix/ such as "
         f"my-datasets/ or my-datasets/team-a/: {shown(bad_locations)}. No s3:// and no wildcards; "
         "end with /."),
        (f"length({other_buckets}) == 0",
         f"emr_runtime_roles has read_locations or write_locations in buckets that allowed_s3_buckets does not "
         f"list: {shown(other_buckets)}. The VPC's S3 endpoint admits only the platform's and those "
         "buckets: add the bucket to allowed_s3_buckets (or use data_prefixes for the platform's data bucket)."),
        (f"length({databases}) == 0",
         f"emr_runtime_roles has glue_databases that are not Glue database names: {shown(databases)}. "
         "A Glue database name has 1 to 255 lowercase letters, digits and underscores."),
        (f"length({names}) == 0 || var.enable_emr",
         "emr_runtime_roles is set but enable_emr = false: runtime roles are for the domain's EMR clusters. Set "
         "enable_emr = true, or remove emr_runtime_roles."),
            *user_runtime_role_rules(),
        ])]


def user_runtime_role_rules() -> List[Rule]:
    """Users' emr_runtime_roles and emr_default_runtime_roles name roles of emr_runtime_roles, at most
    MAX_EMR_EXECUTION_ROLES together; and the releases offered support runtime roles. Rules of
    emr_runtime_roles (they read user_profiles, emr_default_runtime_roles and emr_release_labels), so that
    user_profiles' own rules never wait for emr_runtime_roles' to pass. (Two inputs' rules may not read
    each other: Terraform reports a cycle.)"""
    lists = user_runtime_role_lists()
    defined = "keys(var.emr_runtime_roles)"
    undefined = (f"{{for n, v in {lists} : n => [for r in v : r if !contains({defined}, r)] "
                 f"if length([for r in v : r if !contains({defined}, r)]) > 0}}")
    effective = "length(distinct(concat(var.emr_default_runtime_roles, v)))"
    too_many = f"{{for n, v in {lists} : n => v if {effective} > {MAX_EMR_EXECUTION_ROLES}}}"
    old = (f"[for r in var.emr_release_labels : r if !{release_at_least('r', *EMR_RUNTIME_ROLES_MIN_RELEASE)}]")
    undefined_defaults = f"[for r in var.emr_default_runtime_roles : r if !contains({defined}, r)]"
    return [
        (f"length({undefined_defaults}) == 0",
         f"emr_default_runtime_roles names runtime roles that emr_runtime_roles does not define: "
         f"{shown(undefined_defaults)}. Defined runtime roles: {shown(defined)}."),
        *object_guarded("user_profiles", [
            (f"length({undefined}) == 0",
             f"user_profiles has emr_runtime_roles that emr_runtime_roles does not define: "
             f"{shown(undefined)}. Defined runtime roles: {shown(defined)}."),
            (f"length({too_many}) == 0",
             f"user_profiles gives users more than {MAX_EMR_EXECUTION_ROLES} runtime roles (their emr_runtime_roles "
             f"and emr_default_runtime_roles together): {shown(too_many)}. SageMaker's "
             f"EmrSettings.ExecutionRoleArns holds at most {MAX_EMR_EXECUTION_ROLES} roles.")]),
        (f"length(keys(var.emr_runtime_roles)) == 0 || length({old}) == 0",
         f"emr_release_labels has releases before emr-6.9.0 while emr_runtime_roles is set: {shown(old)}. "
         "Studio connects to a cluster with a runtime role from EMR 6.9 on (AWS: Configure IAM runtime roles for "
         "Amazon EMR cluster access in Studio); offer 6.9.0 or later only, or remove emr_runtime_roles."),
    ]


def release_at_least(label: str, major: int, minor: int) -> str:
    """True when EMR release ``label`` (emr-X.Y.Z) is X.Y or later, or is malformed
    (which the format rule of emr_release_labels reports on its own)."""
    version = f'split(".", trimprefix({label}, "emr-"))'
    return (f'(!can(regex("^emr-[0-9]+[.][0-9]+[.][0-9]+$", {label})) || try(tonumber({version}[0]) > {major} || '
            f"(tonumber({version}[0]) == {major} && tonumber({version}[1]) >= {minor}), false))")


def emr_default_runtime_role_rules() -> List[Rule]:
    """emr_default_runtime_roles: distinct, at most MAX_EMR_EXECUTION_ROLES (that they name roles of
    emr_runtime_roles is a rule of emr_runtime_roles: two inputs' rules may not read each other)."""
    return [
        ("length(distinct(var.emr_default_runtime_roles)) == length(var.emr_default_runtime_roles)",
         f"emr_default_runtime_roles = {shown('var.emr_default_runtime_roles')} names a role twice."),
        (f"length(var.emr_default_runtime_roles) <= {MAX_EMR_EXECUTION_ROLES}",
         f"emr_default_runtime_roles has {interpolated('length(var.emr_default_runtime_roles)')} roles: SageMaker's "
         f"EmrSettings.ExecutionRoleArns holds at most {MAX_EMR_EXECUTION_ROLES}."),
    ]
