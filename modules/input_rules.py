"""Rules on the inputs from AWS's rules for the names and tags the stack derives from them, and the rules every
input gets from its type (null values).

``modules/inputs.py`` declares each input with its own rules; the rules here are added to the inputs they are about
(a validation of that variable), so a bad value is refused at plan time, naming the variable, the value and the
rule.

Null: Terraform passes ``null`` on to the rules of a variable that may be null (our required inputs, whose null
default stands for a missing value, and any entry of a list or map), where it makes a condition fail with a raw
error that points into ``cdk.tf.json``. Each such input gets a rule refusing null, and its other rules are guarded
so that they only see values (``guarded``). An input with a default is declared with ``nullable = false``, so null
there means "use the default", as Terraform documents.
"""
import re
from typing import List, Sequence, Tuple

from modules.hcl import interpolated, shown, text

Rule = Tuple[str, str]
WORKSPACE = "terraform.workspace"

# "Bucket names must not start with the prefix xn-- / sthree- / amzn-s3-demo-" and "must not end
# with the suffix -s3alias / --ol-s3 / .mrap / --x-s3 / --table-s3"; "must not contain two adjacent
# periods"; "must not be formatted as an IP address"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Security group names: "Can't start with sg-"
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
SECURITY_GROUP_RESERVED_PREFIX = "sg-"

# Tags. Every resource gets var.tags through the provider's default tags, so the strictest service
# decides. 50 tags per resource; IAM and SageMaker: keys of 1 to 128 characters, values of at most 256
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html,
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html); EC2: "Tag keys ... accept
# a maximum of 127 Unicode characters" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Tag.html).
# Service Catalog's portfolios and products take at most 20 tags
# (https://docs.aws.amazon.com/servicecatalog/latest/dg/API_CreatePortfolio.html, "Tags ... Maximum
# number of 20 items"; CreateProduct alike).
MAX_TAGS = 50
MAX_SERVICE_CATALOG_TAGS = 20
MAX_TAG_KEY = 127
MAX_TAG_VALUE = 256
# The tags the stack sets itself: the provider's default tags (main.py) and those of single
# resources. tests/test_input_rules.py checks both counts against the synthesized stack.
STACK_TAG_KEYS = ("platform:domain", "managed-by", "Name", "purpose", "tier",
                  "for-use-with-amazon-emr-managed-policies", "sagemaker:studio-visibility:emr",
                  "sagemaker:domain-arn", "runtime-role")
STACK_TAGS_PER_RESOURCE = 5
STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE = 3
# IAM's and SageMaker's pattern for tag keys and values (EC2 allows more): Unicode letters,
# separators and digits and _ . : / = + - @ (same pages as above).
TAG_CHARACTERS = "^[\\\\p{L}\\\\p{Z}\\\\p{N}_.:/=+@-]*$"

# SageMaker: UserProfileName "This value is not case sensitive"
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html).
USER_PROFILE_ATTRIBUTES = ("execution_role_arn", "emr_runtime_roles")
# SageMaker's EmrSettings.ExecutionRoleArns: "Maximum number of 5 items"
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_EmrSettings.html).
MAX_EMR_EXECUTION_ROLES = 5


def hcl_strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _is_collection(type_: str) -> bool:
    return type_.startswith(("list(", "map(", "set("))


def null_rules(name: str, type_: str, required: bool) -> List[Rule]:
    """Rules refusing null where it has no meaning: for a required input, and for an entry of a list or map."""
    rules = []
    if required:
        # A required input is declared with a null default (modules/input_variables.py), so this
        # rule, not Terraform's "No value for required variable", reports a missing one too.
        # The platform's files are workspaces/<workspace>.tfvars.json; the state-backend stack (in
        # "default") gets its values from scripts/platform.
        rules.append((f"var.{name} != null",
                      f"{name} is missing or null: {name} is required and has no default, so give it a value "
                      + text("in the variable file{where} (see README, Inputs).", where=f'{WORKSPACE} == "default" ? '
                             '"" : ' + text('" of workspace {w}, workspaces/{w}.tfvars.json"', w=WORKSPACE))))
    if _is_collection(type_):
        nulls = f"[for v in var.{name} : v if v == null]"
        where = (" (keys " + shown(f"[for k, v in var.{name} : k if v == null]") + ")"
                 if type_.startswith("map(") else "")
        rules.append((f"var.{name} == null ? true : length({nulls}) == 0", guarded_message(
            name, type_, required, f"{name} = {shown(f'var.{name}')} has null entries{where}: null does not "
            "stand for a default inside a list or map; give each entry a value or remove it.", entries=False)))
    return rules


def guarded(name: str, type_: str, required: bool, condition: str) -> str:
    """``condition`` held true while the value is null or has null entries, which ``null_rules`` report."""
    if _is_collection(type_):
        condition = f"length([for v in var.{name} : v if v == null]) > 0 ? true : ({condition})"
    if required or _is_collection(type_):
        condition = f"var.{name} == null ? true : ({condition})"
    return condition


def guarded_message(name: str, type_: str, required: bool, message: str, entries: bool = True) -> str:
    """``message`` of a rule ``guarded`` holds, evaluable while the value is null (a required input
    missing) or has null entries (``entries``: left out of what the message reads).

    Terraform evaluates a rule's message even when its condition holds, and where the message
    cannot be evaluated (``${var.region}`` of null) it warns, pointing into cdk.tf.json, beside our
    null rules' errors. Here ``var.<name>`` reads the value without its null entries, and an empty
    value of its type instead of null. (Its message is shown only when the value has neither.)"""
    value = f"var.{name}"
    if _is_collection(type_) and entries:
        value = (f"{{for k, v in var.{name} : k => v if v != null}}" if type_.startswith("map(")
                 else f"[for v in var.{name} : v if v != null]")
    if required and type_ == "any":
        value = object_or_empty(name)
    elif required:
        empty = ("{}" if type_.startswith("map(") else "[]" if _is_collection(type_)
                 else {"string": '"null"', "number": "0", "bool": "false"}[type_])
        value = f"(var.{name} == null ? {empty} : {value})"
    # jsonencode reads any value, null included: the value as given (an input typed any may be of any shape).
    keep = r"(?<!jsonencode\()" if type_ == "any" else ""
    return re.sub(rf"{keep}\bvar\.{name}(?![A-Za-z0-9_-])", lambda _: value, message)


def object_or_empty(name: str) -> str:
    """var.<name> (an input typed ``any``) when it is an object, else {}: for messages, which Terraform
    evaluates even when the rule holds. (A conditional needs one type for both of its results, which an
    empty object and a value of any type are not: both are JSON text here.)"""
    return f'jsondecode(can(keys(var.{name})) ? jsonencode(var.{name}) : "{{}}")'


def object_guarded(name: str, rules: Sequence[Rule], messages: bool = True) -> List[Rule]:
    """Rules of an input typed ``any`` that must be an object, held true while it is not (its own rule
    reports that); ``messages``: their messages read {} then (not for a required input, whose
    ``guarded_message`` does it)."""
    value = object_or_empty(name)
    return [(f"can(keys(var.{name})) ? ({condition}) : true",
             re.sub(rf"\bvar\.{name}(?![A-Za-z0-9_-])", lambda _: value, message) if messages else message)
            for condition, message in rules]


def _starts_with_any(value: str, prefixes: Sequence[str]) -> str:
    return f"anytrue([for p in {hcl_strings(prefixes)} : startswith({value}, p)])"


def _ends_with_any(value: str, suffixes: Sequence[str]) -> str:
    return f"anytrue([for s in {hcl_strings(suffixes)} : endswith({value}, s)])"


def domain_name_rules() -> List[Rule]:
    """domain_name begins the S3 bucket and security group names (modules/storage.py,
    modules/security_groups.py): AWS's reserved prefixes for those."""
    return [
        (f"!{_starts_with_any('var.domain_name', S3_RESERVED_PREFIXES)}",
         text('domain_name = "{name}" is invalid: it begins the S3 bucket names of the platform ({name}-<account>-'
              "<region>-data, ...) and S3 reserves the bucket name prefixes ", name="var.domain_name")
         + f"{', '.join(S3_RESERVED_PREFIXES)}."),
        (f'!startswith(var.domain_name, "{SECURITY_GROUP_RESERVED_PREFIX}")',
         text('domain_name = "{name}" is invalid: it begins the security group names of the platform ({name}-studio, '
              "...) and EC2 refuses security group names that start with ", name="var.domain_name")
         + f"{SECURITY_GROUP_RESERVED_PREFIX}."),
    ]


def bucket_name_rules(name: str) -> List[Rule]:
    """The S3 naming rules a bucket name list ``name`` must meet beyond its characters and length."""
    bad = (f"[for b in var.{name} : b if {_starts_with_any('b', S3_RESERVED_PREFIXES)} || "
           f"{_ends_with_any('b', S3_RESERVED_SUFFIXES)} || strcontains(b, \"..\") || "
           'can(regex("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$", b))]')
    return [(f"length({bad}) == 0",
             f"{name} has names S3 does not allow for a bucket: {shown(bad)}. S3 reserves the "
             f"prefixes {', '.join(S3_RESERVED_PREFIXES)} and the suffixes {', '.join(S3_RESERVED_SUFFIXES)} "
             "(access point aliases, directory and table buckets are not buckets a gateway endpoint "
             "policy lists), and refuses two adjacent periods and names formatted as IP addresses.")]


def workspace_rules() -> List[Rule]:
    """The variable file is planned in the workspace it names, and that is not Terraform's "default"."""
    return [
        ("var.workspace == terraform.workspace",
         text('This variable file is for workspace "{file}" but the selected Terraform workspace is "{selected}": '
              'select workspace "{file}" (scripts/platform does it for you){other}.', file="var.workspace",
              selected=WORKSPACE, other='terraform.workspace == "default" ? "" : '
              + text('", or use workspaces/{w}.tfvars.json"', w=WORKSPACE))),
        # `cdktf deploy` without TF_WORKSPACE plans in "default"; our CLI never selects it.
        ('terraform.workspace != "default"',
         text('workspace = "{file}" is planned in Terraform\'s "default" workspace, which this stack refuses: each '
              "environment has a named workspace of its own (`cdktf deploy` without TF_WORKSPACE lands in "
              '"default"). {next}.', file="var.workspace", next='var.workspace == "default" ? "Name the workspace '
              'after its environment, e.g. dev, in the variable file and select it" : ' + text(
                  '"Select workspace {w}: TF_WORKSPACE={w} cdktf deploy, or scripts/platform plan|apply {w}"',
                  w="var.workspace"))),
    ]


def user_runtime_role_lists() -> str:
    """{user => their emr_runtime_roles as a list of strings} of the users who give one as such a list."""
    given = "{for n, u in var.user_profiles : n => u.emr_runtime_roles if try(u.emr_runtime_roles, null) != null}"
    as_list = "try([for r in tolist(v) : tostring(r)], null)"
    return f"{{for n, v in {given} : n => {as_list} if {as_list} != null}}"


def user_profile_rules() -> List[Rule]:
    """Each user's entry is an object of known attributes (user_profiles is typed ``any``, so the rules
    take any shape: a wrong one is reported, naming the user, the attribute and the rule): a role ARN
    where it names one; runtime roles as a list of distinct names; user names distinct regardless of case.
    (Which runtime roles exist is a rule of emr_runtime_roles, ``user_runtime_role_rules``: a rule that
    reads another input is skipped while that one is invalid.)"""
    role_arn = '"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"'
    users = "var.user_profiles"
    nulls = f"[for n, u in {users} : n if u == null]"
    not_objects = f"[for n, u in {users} : n if u != null && !can(keys(u))]"
    not_roles = (f"{{for n, u in {users} : n => u.execution_role_arn if "
                 f"try(u.execution_role_arn, null) != null && !can(regex({role_arn}, u.execution_role_arn))}}")
    known = hcl_strings(USER_PROFILE_ATTRIBUTES)
    extra = f"setsubtract(try(keys(u), []), {known})"
    unknown = f"{{for n, u in {users} : n => {extra} if length({extra}) > 0}}"
    names = f"keys({users})"
    clashing = f"[for n in {names} : n if length([for m in {names} : m if lower(m) == lower(n)]) > 1]"
    # A user's runtime roles: a list of strings (JSON gives a tuple, which tolist takes).
    given = f"{{for n, u in {users} : n => u.emr_runtime_roles if try(u.emr_runtime_roles, null) != null}}"
    as_list = "try([for r in tolist(v) : tostring(r)], null)"
    not_lists = f"{{for n, v in {given} : n => v if {as_list} == null}}"
    lists = user_runtime_role_lists()
    repeated = f"{{for n, v in {lists} : n => v if length(distinct(v)) != length(v)}}"
    return object_guarded("user_profiles", messages=False, rules=[
        # The null entries rule of a map input, for this one typed any (modules/input_variables.py).
        (f"length({nulls}) == 0",
         f"user_profiles = {shown(users)} has null entries (keys {shown(nulls)}): null does "
         "not stand for a default inside a list or map; give each entry a value or remove it."),
        (f"length({not_objects}) == 0",
         f"user_profiles has entries that are not objects: {shown(not_objects)}. A user's entry is an "
         "object of settings, e.g. \"alice\": {} or \"bob\": {\"emr_runtime_roles\": [\"team-a\"]}."),
        (f"length({not_roles}) == 0",
         "user_profiles has an execution_role_arn that is not an IAM role ARN such as "
         f"arn:aws:iam::123456789012:role/name: {shown(not_roles)}."),
        (f"length({unknown}) == 0",
         f"user_profiles has unknown attributes: {shown(unknown)}. A user's entry may set only "
         f"{', '.join(USER_PROFILE_ATTRIBUTES)} (or be empty, e.g. \"alice\": {{}})."),
        (f"length({clashing}) == 0",
         f"user_profiles has names that differ only by case: {shown(clashing)}. SageMaker compares "
         "user profile names case-insensitively, so these would be one user: keep one of each."),
        (f"length({not_lists}) == 0",
         f"user_profiles has an emr_runtime_roles that is not a list of runtime role names: "
         f"{shown(not_lists)}. Write it as a list, e.g. \"emr_runtime_roles\": [\"team-a\"]."),
        (f"length({repeated}) == 0",
         f"user_profiles has emr_runtime_roles that name a role twice: {shown(repeated)}. List each "
         "runtime role once."),
    ])


def tag_rules() -> List[Rule]:
    """AWS's tag limits, for var.tags reaching every resource through the default tags."""
    room = MAX_TAGS - STACK_TAGS_PER_RESOURCE
    catalog_room = MAX_SERVICE_CATALOG_TAGS - STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE
    limit = f"(var.enable_emr ? {catalog_room} : {room})"
    bad_keys = (f"[for k in keys(var.tags) : k if length(k) < 1 || length(k) > {MAX_TAG_KEY} || "
                f'!can(regex("{TAG_CHARACTERS}", k))]')
    bad_values = (f"[for k, v in var.tags : k if length(v) > {MAX_TAG_VALUE} || "
                  f'!can(regex("{TAG_CHARACTERS}", v))]')
    own = f"[for k in keys(var.tags) : k if contains([for s in {hcl_strings(STACK_TAG_KEYS)} : lower(s)], lower(k))]"
    same = "[for k in keys(var.tags) : k if length([for o in keys(var.tags) : o if lower(o) == lower(k)]) > 1]"
    return [
        (f"length(var.tags) <= {limit}",
         f"tags has {interpolated('length(var.tags)')} tags: at most {interpolated(limit)} fit. "
         "Every resource gets these tags and "
         f"AWS allows {MAX_TAGS} per resource ({MAX_SERVICE_CATALOG_TAGS} on the Service Catalog portfolio and "
         f"products while enable_emr = true); the platform adds up to {STACK_TAGS_PER_RESOURCE} of its own "
         f"({STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE} on Service Catalog)."),
        (f"length({bad_keys}) == 0",
         f"tags has invalid keys: {shown(bad_keys)}. A tag key has 1 to {MAX_TAG_KEY} characters: "
         "letters, digits, spaces and _ . : / = + - @ (EC2's length, the characters IAM and SageMaker accept)."),
        (f"length({bad_values}) == 0",
         f"tags has invalid values, under the keys {shown(bad_values)}. A tag value has at most "
         f"{MAX_TAG_VALUE} characters: letters, digits, spaces and _ . : / = + - @ (the characters IAM and "
         "SageMaker accept)."),
        # IAM: "InvalidInput: Duplicate tag keys found. Please note that Tag keys are case insensitive."
        # (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html; as met in
        # https://github.com/github-aws-runners/terraform-aws-github-runner/pull/1346).
        (f"length({same}) == 0",
         f"tags has keys that differ only by case: {shown(same)}. IAM compares tag keys "
         "case-insensitively and refuses such a pair on the platform's roles: keep one of each."),
        (f"length({own}) == 0",
         f"tags sets keys the platform sets itself: {shown(own)}. Its own value would replace yours "
         f"on some resources; the platform's keys are {', '.join(STACK_TAG_KEYS)} (in any case)."),
    ]


# EMR Serverless applications (modules/emr_serverless.py). An application's name is
# "<domain_name>-<key>": CreateApplication's name has 1 to 64 characters of [A-Za-z0-9._/#-]
# (https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_CreateApplication.html), and
# domain_name has at most 24, so a key has at most 39.
SERVERLESS_APPLICATION_KEY = "^[a-z0-9][a-z0-9-]{0,38}$"
# Each setting => its default (None: required). Numbers are strings in map(map(string)); a JSON
# number or bool in the workspace file converts to one.
SERVERLESS_APPLICATION_SETTINGS = {
    "release_label": None, "runtime_role": None, "max_vcpu": "16", "max_memory_gb": "64",
    "max_disk_gb": "200", "auto_start": "true", "idle_timeout_minutes": "15"}
# "Livy endpoints are available with Amazon EMR releases 6.14.0 and higher"
# (https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/interactive-workloads-livy-endpoints.html).
SERVERLESS_LIVY_RELEASE = (6, 14)
# AutoStopConfig idleTimeoutMinutes: 1 to 10080
# (https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_AutoStopConfig.html).
SERVERLESS_IDLE_MINUTES = (1, 10080)
# A worker's disk is 20 GB at least (https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/
# app-behavior.html#worker-configs), so a maximum below that starts no worker.
SERVERLESS_MIN_DISK_GB = 20


# The Studio role's EMR Serverless policy names each application's job runs and runtime role, and a role's
# inline policies hold 10,240 characters in all (https://docs.aws.amazon.com/IAM/latest/UserGuide/
# reference_iam-quotas.html): a bound on the applications keeps it within (tests/test_input_limits.py).
SERVERLESS_MAX_APPLICATIONS = 5
# PrivateLink service names (after com.amazonaws.<region>.) of the EMR Serverless API and of its Livy
# endpoint (AWS PrivateLink Guide, "AWS services that integrate with AWS PrivateLink").
SERVERLESS_INTERFACE_ENDPOINTS = ("emr-serverless", "emr-serverless-services.livy")


def interface_services() -> str:
    """The interface endpoints' services: ``interface_endpoints``, and EMR Serverless's two while the
    workspace has applications (a list expression)."""
    return ("distinct(concat(var.interface_endpoints, length(var.emr_serverless_applications) > 0 ? "
            f"{hcl_strings(SERVERLESS_INTERFACE_ENDPOINTS)} : []))")


def serverless_workers() -> str:
    """The most network interfaces the EMR Serverless applications can put in one private subnet: one per
    worker, a worker has 1 vCPU at least (EMR Serverless User Guide, "Configuring VPC access": each worker
    connects through an interface in one of the application's subnets) (an expression)."""
    default = SERVERLESS_APPLICATION_SETTINGS["max_vcpu"]
    return (f"sum(concat([0], [for a in values(var.emr_serverless_applications) : "
            f'try(tonumber(a.max_vcpu), {default})]))')


def serverless_application_rules(runtime_roles: str) -> List[Rule]:
    """Rules of ``emr_serverless_applications`` (map(map(string))): key format, known and required
    settings, releases with the Livy endpoint, whole numbers in AWS's ranges, and a runtime role that
    ``runtime_roles`` (a map expression: the runtime-role input) names. Terraform's ``&&`` evaluates
    both sides, so a setting that may be missing is read inside ``try``."""
    apps = "var.emr_serverless_applications"
    known = hcl_strings(SERVERLESS_APPLICATION_SETTINGS)
    extra = f"setsubtract(keys(a), {known})"
    required = [k for k, v in SERVERLESS_APPLICATION_SETTINGS.items() if v is None]
    missing = f"setsubtract({hcl_strings(required)}, [for k, v in a : k if v != null])"
    major, minor = SERVERLESS_LIVY_RELEASE
    version = 'split(".", trimprefix(a.release_label, "emr-"))'
    old = (f"{{for n, a in {apps} : n => a.release_label if try(a.release_label, null) != null && "
           f'!try(can(regex("^emr-[0-9]+[.][0-9]+[.][0-9]+$", a.release_label)) && (tonumber({version}[0]) > {major} '
           f"|| (tonumber({version}[0]) == {major} && tonumber({version}[1]) >= {minor})), false)}}")

    def whole(setting: str, low: int, high: int = None) -> str:
        """The applications whose ``setting`` is given and is not a whole number from ``low`` to ``high``."""
        value = f"a.{setting}"
        bound = f" && tonumber({value}) <= {high}" if high else ""
        return (f"{{for n, a in {apps} : n => {value} if try({value}, null) != null && "
                f'!try(can(regex("^[0-9]+$", {value})) && tonumber({value}) >= {low}{bound}, false)}}')

    low_idle, high_idle = SERVERLESS_IDLE_MINUTES
    numbers = [("max_vcpu", 1, None, "whole numbers of vCPUs, at least 1"),
               ("max_memory_gb", 1, None, "whole numbers of GB, at least 1"),
               ("max_disk_gb", SERVERLESS_MIN_DISK_GB, None,
                f"whole numbers of GB, at least {SERVERLESS_MIN_DISK_GB} (one worker's smallest disk)"),
               ("idle_timeout_minutes", low_idle, high_idle,
                f"whole numbers of minutes from {low_idle} to {high_idle} (AutoStopConfig's range)")]
    bad_names = f'[for n in keys({apps}) : n if !can(regex("{SERVERLESS_APPLICATION_KEY}", n))]'
    unknown = f"{{for n, a in {apps} : n => {extra} if length({extra}) > 0}}"
    incomplete = f"{{for n, a in {apps} : n => {missing} if length({missing}) > 0}}"
    undefined = (f"{{for n, a in {apps} : n => a.runtime_role if "
                 f"try(!contains(keys({runtime_roles}), a.runtime_role), false)}}")
    not_bool = f'{{for n, a in {apps} : n => a.auto_start if !contains(["true", "false"], try(a.auto_start, "true"))}}'
    rules = [
        (f"length({apps}) <= {SERVERLESS_MAX_APPLICATIONS}",
         f"emr_serverless_applications has {interpolated(f'length({apps})')} applications: at most "
         f"{SERVERLESS_MAX_APPLICATIONS} fit in the Studio execution role's inline policies (IAM allows a role "
         "10,240 characters of them), which name each application's job runs and runtime role."),
        (f'alltrue([for n in keys({apps}) : can(regex("{SERVERLESS_APPLICATION_KEY}", n))])',
         f"emr_serverless_applications has invalid names: {shown(bad_names)}. "
         "A name has 1 to 39 lowercase letters, digits and hyphens and starts with a letter or digit (the "
         "application is named <domain_name>-<name>, and EMR Serverless allows 64 characters)."),
        (f"length({unknown}) == 0",
         f"emr_serverless_applications has unknown settings: {shown(unknown)}. "
         f"An application may set only {', '.join(SERVERLESS_APPLICATION_SETTINGS)}."),
        (f"length({incomplete}) == 0",
         f"emr_serverless_applications misses required settings: {shown(incomplete)}. "
         "Each application needs release_label (e.g. emr-7.5.0) and runtime_role (a name in emr_runtime_roles)."),
        (f"length({old}) == 0",
         f"emr_serverless_applications has release labels without the Livy endpoint: {shown(old)}. "
         f"Studio connects through the application's Livy endpoint, which EMR Serverless has from "
         f"emr-{major}.{minor}.0 on: use a label such as emr-7.5.0."),
        (f"length({undefined}) == 0",
         f"emr_serverless_applications names runtime roles that emr_runtime_roles does not define: "
         f"{shown(undefined)}. Add the role to emr_runtime_roles, or name one of {shown(f'keys({runtime_roles})')}."),
        (f"length({not_bool}) == 0",
         f"emr_serverless_applications has auto_start values that are not true or false: {shown(not_bool)}."),
    ]
    for setting, low, high, rule in numbers:
        rules.append((f"length({whole(setting, low, high)}) == 0",
                      f"emr_serverless_applications has invalid {setting} values: "
                      f"{shown(whole(setting, low, high))}. Use {rule}."))
    return rules
