"""Bad workspace values are refused at plan time, before anything is created,
with a message that names the variable, the value and the rule.

Each case changes the dev workspace file. Most rules are validations of the
variables: those cases are planned on the stack's variables alone
(``terraform_runs.variable_rules``: the same rules, evaluated by Terraform
without the provider, about 0.2 CPU-s a plan). The rules that are conditions
of data sources and resources read what the provider answers, so their cases
(CONDITION_CASES) are planned on the whole stack against the emulator, about
5 CPU-s a plan, as are the cases whose error must be the only one (ALONE).

Cases that touch unrelated inputs share one plan: Terraform reports every
failed rule at once, and a rule is only skipped when an input it reads is
itself invalid, which the grouping below rules out. The plans run once per
module; each test reads the output of its case's plan.
"""
import json
import re

import pytest

from modules.aws_limits import IAM_MANAGED_POLICY, MAX_ALLOWED_S3_BUCKETS
from modules.inputs import INPUT_NAMES
from modules.input_rules import MAX_SERVICE_CATALOG_TAGS, STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE
from terraform_runs import plan_many

BASE = "dev"

# A change that deletes the input from the workspace file instead of setting it.
MISSING = object()

# name: (changes to the dev workspace, fragments the error must contain)
CASES = {
    "vpc_cidr_host_bits": ({"vpc_cidr": "10.20.0.1/16"}, ['vpc_cidr = "10.20.0.1/16" is invalid', "network"]),
    "vpc_cidr_too_wide": ({"vpc_cidr": "10.0.0.0/8"}, ['vpc_cidr = "10.0.0.0/8" is invalid', "/16 to /20"]),
    "vpc_cidr_not_a_cidr": ({"vpc_cidr": "ten"}, ['vpc_cidr = "ten" is invalid']),
    "subnets_overlap": (
        {"private_subnet_cidrs": ["10.20.0.0/20", "10.20.16.0/20"],
         "public_subnet_cidrs": ["10.20.16.0/24", "10.20.128.0/20"]},
        ["overlap", "10.20.16.0/20 and 10.20.16.0/24"]),
    "subnet_outside_vpc": (
        {"private_subnet_cidrs": ["10.99.0.0/20", "10.20.16.0/20"],
         "public_subnet_cidrs": ["10.20.128.0/20", "10.20.144.0/20"]},
        ['private_subnet_cidrs = ["10.99.0.0/20","10.20.16.0/20"] is invalid', "inside", "10.20.0.0/16"]),
    "subnet_not_a_cidr": (
        {"private_subnet_cidrs": ["10.20.0.0/33", "10.20.16.0/20"],
         "public_subnet_cidrs": ["10.20.128.0/20", "10.20.144.0/20"]},
        ["private_subnet_cidrs", "10.20.0.0/33", "IPv4 CIDR"]),
    "subnet_count_differs_from_az_count": (
        {"private_subnet_cidrs": ["10.20.0.0/20"], "public_subnet_cidrs": ["10.20.128.0/20"]},
        ["private_subnet_cidrs has 1 entries but az_count is 2"]),
    "only_one_subnet_list": (
        {"private_subnet_cidrs": ["10.20.0.0/20", "10.20.16.0/20"]},
        ["must be given together"]),
    "az_count_too_small": ({"az_count": 1}, ["az_count = 1 is invalid", "2 to 6"]),
    "az_count_too_large": ({"az_count": 7}, ["az_count = 7 is invalid", "2 to 6"]),
    "domain_name_characters": ({"domain_name": "ML_Dev"}, ['domain_name = "ML_Dev" is invalid', "lowercase"]),
    "domain_name_too_long": ({"domain_name": "a" * 25}, [f'domain_name = "{"a" * 25}" is invalid', "3 to 24"]),
    "user_name_characters": ({"user_profiles": {"alice": {}, "bob_smith!": {}}},
                             ['user_profiles has invalid names: ["bob_smith!"]', "1 to 63"]),
    "user_name_too_long": ({"user_profiles": {"u" * 64: {}}}, ["user_profiles has invalid names", "u" * 64]),
    "user_role_not_an_arn": ({"user_profiles": {"alice": {"execution_role_arn": "my-role"}}},
                             ["execution_role_arn", '"alice":"my-role"', "IAM role ARN"]),
    "users_empty": ({"user_profiles": {}}, ["user_profiles is empty", "at least one user"]),
    "network_mode_unknown": ({"network_mode": "Public"}, ['network_mode = "Public" is unknown',
                                                         "VpcOnly or PublicInternetOnly"]),
    "public_internet_with_emr": ({"network_mode": "PublicInternetOnly"},
                                 ['network_mode = "PublicInternetOnly" is not allowed while enable_emr = true',
                                  "cannot reach EMR"]),
    "existing_vpc_without_subnets": ({"existing_vpc_id": "vpc-0123456789abcdef0"},
                                     ['existing_vpc_id = "vpc-0123456789abcdef0" is set but '
                                      "existing_private_subnet_ids is empty"]),
    "subnets_without_existing_vpc": ({"existing_private_subnet_ids": ["subnet-0123456789abcdef0"]},
                                     ["existing_private_subnet_ids is set but existing_vpc_id is null"]),
    "existing_vpc_id_malformed": ({"existing_vpc_id": "my-vpc", "existing_private_subnet_ids": ["subnet-01234567"]},
                                  ['existing_vpc_id = "my-vpc" is not a VPC id']),
    "region_malformed": ({"region": "europe"}, ['region = "europe" is not an AWS region name']),
    "efs_retention_unknown": ({"home_efs_retention": "Keep"}, ['home_efs_retention = "Keep" is invalid']),
    "emr_release_malformed": ({"emr_release_labels": ["7.5.0"]}, ['emr_release_labels = ["7.5.0"] is invalid']),
    "emr_idle_timeout_zero": ({"emr_idle_timeout_minutes": 0}, ["emr_idle_timeout_minutes = 0 is invalid"]),
    "product_versions_kept_one": ({"emr_product_versions_kept": 1},
                                  ["emr_product_versions_kept = 1 is invalid", "from 2 (the current version"]),
    "livy_timeout_malformed": ({"livy_session_timeout": "2 hours"},
                               ['livy_session_timeout = "2 hours" is invalid']),
    "reserved_tag": ({"tags": {"aws:owner": "me"}}, ["tags = ", "reserved by AWS"]),
    "emr_release_without_imdsv2": ({"emr_release_labels": ["emr-7.5.0", "emr-5.36.0"]},
                                   ['emr_release_labels has releases before emr-6.2.0: ["emr-5.36.0"]',
                                    "requires IMDSv2"]),
    "log_retention_not_a_cloudwatch_period": ({"log_retention_days": 100},
                                              ["log_retention_days = 100 is invalid", "90, 120", "3653"]),
    "studio_idle_timeout_too_short": ({"studio_idle_timeout_minutes": 30},
                                      ["studio_idle_timeout_minutes = 30 is invalid", "from 60"]),
    "allowed_bucket_is_an_arn": ({"allowed_s3_buckets": ["my-datasets", "arn:aws:s3:::other"]},
                                 ['allowed_s3_buckets = ["my-datasets","arn:aws:s3:::other"] is invalid',
                                  "no ARNs, no wildcards"]),
    # issue 13, sizes/network/EMR values:
    "allowed_buckets_beyond_endpoint_policy": (
        {"allowed_s3_buckets": [f"datasets-{i:03d}" for i in range(MAX_ALLOWED_S3_BUCKETS + 1)]},
        [f"allowed_s3_buckets has {MAX_ALLOWED_S3_BUCKETS + 1} buckets: at most {MAX_ALLOWED_S3_BUCKETS} fit",
         "20,480 characters"]),
    "user_roles_beyond_key_policy": (
        {"user_profiles": {f"user{i}": {"execution_role_arn": f"arn:aws:iam::123456789012:role/{'p/' * 280}r{i}"}
                           for i in range(30)}},
        ["user_profiles gives 30 distinct execution_role_arn values", "32,768 bytes per key policy"]),
    "region_unknown": ({"region": "eu-west-9"},
                       ['region = "eu-west-9" is not a region this project knows', "as of 2026-12-05"]),
    "az_count_beyond_region": ({"az_count": 4},
                               ["az_count = 4 is more than the 3 availability zones region eu-west-1 offers"]),
    "private_subnets_too_small": (
        {"private_subnet_cidrs": ["10.20.0.0/28", "10.20.0.16/28"],
         "public_subnet_cidrs": ["10.20.128.0/20", "10.20.144.0/20"]},
        ['private_subnet_cidrs = ["10.20.0.0/28","10.20.0.16/28"] is too small: the private subnet 10.20.0.0/28 '
         "has 11 usable addresses", "needs 18: 7 interface endpoints, 1 EFS mount target, 4 Studio apps",
         "6 nodes of the largest EMR cluster"]),
    "public_subnets_below_aws_minimum": (
        {"private_subnet_cidrs": ["10.20.0.0/20", "10.20.16.0/20"],
         "public_subnet_cidrs": ["10.20.128.0/29", "10.20.128.8/29"]},
        ['public_subnet_cidrs = ["10.20.128.0/29","10.20.128.8/29"] has subnets smaller than AWS allows: '
         '["10.20.128.0/29","10.20.128.8/29"]', "a /16 to a /28"]),
    "existing_vpc_with_one_subnet": (
        {"existing_vpc_id": "vpc-0123456789abcdef0", "existing_private_subnet_ids": ["subnet-0123456789abcdef0"]},
        ['existing_private_subnet_ids = ["subnet-0123456789abcdef0"] has one subnet', "at least two"]),
    "existing_subnets_duplicate": (
        {"existing_vpc_id": "vpc-0123456789abcdef0",
         "existing_private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef0"]},
        ['lists a subnet twice: ["subnet-0123456789abcdef0"]']),
    "route_tables_without_vpc": (
        {"existing_private_route_table_ids": ["rtb-0123456789abcdef0"]},
        ['existing_private_route_table_ids = ["rtb-0123456789abcdef0"] is set but existing_vpc_id is null']),
    "emr_release_unknown": ({"emr_release_labels": ["emr-7.5.0", "emr-7.55.0"]},
                            ['emr_release_labels has releases EMR does not offer in eu-west-1: ["emr-7.55.0"]']),
    "emr_instance_type_not_in_cluster_zone": (
        {"emr_instance_types": ["m5.xlarge", "p2.xlarge"]},
        ['emr_instance_types = ["m5.xlarge","p2.xlarge"] has types EC2 does not offer in eu-west-1a, the zone '
         'of the first private subnet, where EMR clusters launch: ["p2.xlarge"]']),
    "existing_subnets_beyond_domain": (
        {"existing_vpc_id": "vpc-0123456789abcdef0",
         "existing_private_subnet_ids": [f"subnet-{i:017x}" for i in range(17)]},
        ["existing_private_subnet_ids has 17 subnets: a SageMaker domain takes at most 16"]),
    "emr_instance_type_unknown": (
        {"emr_instance_types": ["m5.xlarge", "m5.huge"]},
        ['emr_instance_types = ["m5.xlarge","m5.huge"] has types EMR emr-7.5.0 does not support in eu-west-1: '
         '["m5.huge"]']),
    # issue 13, names/tags/nulls:
    "required_input_null": ({"domain_name": None}, ["domain_name is missing or null", "required and has no default"]),
    # Not Terraform's "No value for required variable", which points into cdk.tf.json.
    "domain_name_missing": ({"domain_name": MISSING},
                            ["domain_name is missing or null: domain_name is required and has no default, so give it "
                             "a value in the variable file of workspace dev, workspaces/dev.tfvars.json "
                             "(see README, Inputs)."]),
    "region_missing": ({"region": MISSING}, ["region is missing or null", "workspaces/dev.tfvars.json"]),
    "user_profiles_missing": ({"user_profiles": MISSING}, ["user_profiles is missing or null"]),
    "list_entry_null": ({"emr_core_instance_counts": [1, None]},
                        ["emr_core_instance_counts = [1,null] has null entries", "give each entry a value"]),
    "tag_value_null": ({"tags": {"team": None}}, ['tags = {"team":null} has null entries (keys ["team"])']),
    "user_entry_null": ({"user_profiles": {"alice": None, "bob": {}}},
                        ['user_profiles = {"alice":null,"bob":{}} has null entries (keys ["alice"])']),
    "user_attribute_misspelt": (
        {"user_profiles": {"alice": {"execution_rol_arn": "arn:aws:iam::123456789012:role/alice"}}},
        ['user_profiles has unknown attributes: {"alice":["execution_rol_arn"]}', "may set only execution_role_arn"]),
    "user_names_differ_by_case": ({"user_profiles": {"alice": {}, "Alice": {}}},
                                  ['user_profiles has names that differ only by case: ["Alice","alice"]',
                                   "case-insensitively"]),
    # EMR runtime roles (issue 12): users' lists and the roles' settings, any shape.
    "user_runtime_roles_wrong": (
        {"emr_runtime_roles": {"team-a": {"data_prefixes": ["team-a/"]}},
         "user_profiles": {"bob": {"emr_runtime_roles": "team-a"},
                           "carol": {"emr_runtime_roles": ["team-a", "team-a"]}}},
        ['user_profiles has an emr_runtime_roles that is not a list of runtime role names: {"bob":"team-a"}',
         'user_profiles has emr_runtime_roles that name a role twice: {"carol":["team-a","team-a"]}']),
    # A rule of emr_runtime_roles (it reads user_profiles, which must be valid for it to run).
    "user_runtime_role_undefined": (
        {"emr_runtime_roles": {"team-a": {"data_prefixes": ["team-a/"]}},
         "user_profiles": {"alice": {"emr_runtime_roles": ["team-x"]}, "bob": {"emr_runtime_roles": ["team-a"]}}},
        ['user_profiles has emr_runtime_roles that emr_runtime_roles does not define: {"alice":["team-x"]}. '
         'Defined runtime roles: ["team-a"].']),
    "user_runtime_roles_too_many": (
        {"emr_runtime_roles": {f"t{i}": {"data_prefixes": [f"t{i}/"]} for i in range(6)},
         "emr_default_runtime_roles": ["t0", "t1", "t2"],
         "user_profiles": {"alice": {"emr_runtime_roles": ["t3", "t4", "t5"]}, "bob": {}}},
        ['user_profiles gives users more than 5 runtime roles (their emr_runtime_roles and '
         'emr_default_runtime_roles together): {"alice":["t3","t4","t5"]}', "holds at most 5 roles"]),
    "runtime_roles_wrong": (
        {"emr_runtime_roles": {
            "Team_A": {"data_prefixes": ["a/"]}, "empty": {}, "typo": {"data_prefix": ["x/"]},
            "bad": {"data_prefixes": ["/abs", "emr/", "b/*"], "read_locations": ["other-bucket/x/", "s3://x/y"],
                    "glue_databases": ["Bad-Name"]}},
         "emr_default_runtime_roles": ["nobody"]},
        ['emr_runtime_roles has invalid names: ["Team_A"]', 'roles that grant no data: ["empty","typo"]',
         'emr_runtime_roles has unknown attributes: {"typo":["data_prefix"]}',
         'data_prefixes that are not S3 prefixes such as team-a/ or team-a/curated/: {"bad":["/abs","b/*"]}',
         'overlap the platform\'s own prefixes of the data bucket (emr/, studio/: EMR logs and Studio\'s shared '
         'notebooks): {"bad":["emr/"]}',
         'read_locations or write_locations that are not bucket/prefix/ such as my-datasets/ or '
         'my-datasets/team-a/: {"bad":["s3://x/y"]}',
         'in buckets that allowed_s3_buckets does not list: {"bad":["other-bucket/x/"]}',
         'glue_databases that are not Glue database names: {"bad":["Bad-Name"]}',
         'emr_default_runtime_roles names runtime roles that emr_runtime_roles does not define: ["nobody"]']),
    "runtime_role_policy_too_large": (
        {"emr_runtime_roles": {"big": {"data_prefixes": [f"p{i}/" + "x" * 290 + "/" for i in range(10)]}}},
        ['emr_runtime_roles has roles whose data policies would take more than IAM\'s 10,240 characters per role '
         '(characters, at most): {"big":']),
    # Preconditions (they read three inputs). 100 users of 63-character names: 6,600 characters of names.
    "runtime_role_grant_too_large": (
        {"emr_runtime_roles": {"big": {"data_prefixes": ["big/"]}},
         "user_profiles": {f"{'u' * 60}{j:03d}": {"emr_runtime_roles": ["big"]} for j in range(100)}},
        ["emr_runtime_roles has roles whose policy on the Studio execution role would take more than IAM's "
         f"{IAM_MANAGED_POLICY:,} characters per managed policy (characters, at most): {{\"big\":"]),
    # 10 runtime roles given to users: 11 managed policies with AmazonSageMakerFullAccess.
    "runtime_roles_beyond_the_managed_policy_quota": (
        {"emr_runtime_roles": {f"t{i}": {"data_prefixes": [f"t{i}/"]} for i in range(10)},
         "user_profiles": {"alice": {"emr_runtime_roles": [f"t{i}" for i in range(5)]},
                           "bob": {"emr_runtime_roles": [f"t{i}" for i in range(5, 10)]}}},
        ["emr_runtime_roles gives the Studio execution role 11 managed policies (AmazonSageMakerFullAccess and one "
         'per runtime role that is a default or given to some user: ["t0","t1",',
         "more than iam_managed_policies_per_role = 10", "The quota can be raised to 20"]),
    "managed_policy_quota_out_of_range": (
        {"iam_managed_policies_per_role": 21},
        ["iam_managed_policies_per_role = 21 is invalid: IAM's quota of managed policies per role is a whole "
         "number from 10 (its default) to 20"]),
    "runtime_roles_old_release": (
        {"emr_runtime_roles": {"team-a": {"data_prefixes": ["team-a/"]}}, "emr_release_labels": ["emr-6.8.0"]},
        ['emr_release_labels has releases before emr-6.9.0 while emr_runtime_roles is set: ["emr-6.8.0"]']),
    "runtime_roles_not_an_object": ({"emr_runtime_roles": ["team-a"]},
                                    ['emr_runtime_roles = ["team-a"] is not an object']),
    "user_profiles_not_an_object": ({"user_profiles": ["alice"]}, ['user_profiles = ["alice"] is not an object']),
    "domain_name_s3_reserved_prefix": ({"domain_name": "xn--ml"},
                                       ['domain_name = "xn--ml" is invalid', "S3 reserves the bucket name prefixes"]),
    "domain_name_security_group_prefix": ({"domain_name": "sg-ml"},
                                          ['domain_name = "sg-ml" is invalid', "names that start with sg-"]),
    "allowed_bucket_reserved_by_s3": (
        {"allowed_s3_buckets": ["data..lake", "my-ap-s3alias", "xn--lake", "10.0.0.1", "datasets"]},
        ['allowed_s3_buckets has names S3 does not allow for a bucket: '
         '["data..lake","my-ap-s3alias","xn--lake","10.0.0.1"]']),
    "tags_beyond_aws_limits": (
        {"tags": {"cost*center": "ml", "k" * 128: "x", "owner": "o" * 257, "Managed-By": "me", "Team": "a", "team": "b",
                  **{f"team{i}": "ml" for i in range(MAX_SERVICE_CATALOG_TAGS - STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE
                                                      - 5)}}},
        [f"tags has {MAX_SERVICE_CATALOG_TAGS - STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE + 1} tags: at most "
         f"{MAX_SERVICE_CATALOG_TAGS - STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE} fit",
         f'tags has invalid keys: ["cost*center","{"k" * 128}"]', 'invalid values, under the keys ["owner"]',
         'tags sets keys the platform sets itself: ["Managed-By"]', 'keys that differ only by case: ["Team","team"]']),
    "default_workspace": ({"workspace": "default"},
                          ['workspace = "default" is planned in Terraform\'s "default" workspace, which this stack '
                           "refuses"]),
    # issue 12 part 2, EMR Serverless applications:
    "serverless_too_many": (
        {"emr_runtime_roles": {"team-a": {"data_prefixes": ["team-a/"]}},
         "emr_serverless_applications": {f"spark-{i}": {"release_label": "emr-7.5.0", "runtime_role": "team-a"}
                                         for i in range(6)}},
        ["emr_serverless_applications has 6 applications: at most 5 fit", "10,240 characters"]),
    "serverless_applications": (
        {"emr_runtime_roles": {"team-a": {"data_prefixes": ["team-a/"]}},
         "emr_serverless_applications": {
             "Spark_1": {"release_label": "emr-7.5.0", "runtime_role": "team-a"},
             "old": {"release_label": "emr-6.13.0", "runtime_role": "team-a"},
             "typo": {"release_label": "emr-7.5.0", "runtime_role": "team-a", "idle_timout_minutes": 5},
             "norole": {"release_label": "emr-7.5.0"},
             "other": {"release_label": "emr-7.5.0", "runtime_role": "team-c"},
             "sizes": {"release_label": "emr-7.5.0", "runtime_role": "team-a", "max_disk_gb": 10,
                       "idle_timeout_minutes": 20000, "max_vcpu": 0, "auto_start": "yes"}}},
        ['emr_serverless_applications has invalid names: ["Spark_1"]', "1 to 39 lowercase",
         'emr_serverless_applications has unknown settings: {"typo":["idle_timout_minutes"]}',
         'emr_serverless_applications misses required settings: {"norole":["runtime_role"]}',
         'release labels without the Livy endpoint: {"old":"emr-6.13.0"}', "emr-6.14.0 on",
         'names runtime roles that emr_runtime_roles does not define: {"other":"team-c"}', '["team-a"]',
         'invalid max_disk_gb values: {"sizes":"10"}', "at least 20",
         'invalid idle_timeout_minutes values: {"sizes":"20000"}', "from 1 to 10080",
         'invalid max_vcpu values: {"sizes":"0"}', 'auto_start values that are not true or false: {"sizes":"yes"}']),
}

# Accepted: PublicInternetOnly is fine once EMR is off (seed section 2.4.1).
GOOD = {"public_internet_without_emr": {"network_mode": "PublicInternetOnly", "enable_emr": False}}


# Inputs whose rules read each other: cases touching one group never share a plan.
RELATED_INPUTS = (
    {"vpc_cidr", "az_count", "private_subnet_cidrs", "public_subnet_cidrs"},
    {"network_mode", "enable_emr", "tags"},  # the tag count allowed depends on enable_emr
    {"existing_vpc_id", "existing_private_subnet_ids", "existing_private_route_table_ids"},
)


# Inputs that the rule a case expects reads beyond those of its groups above
# (modules/input_limits.py): a case never shares a plan with a case that
# changes one of them. Rules on data sources and resources also need the
# provider, whose configuration reads PROVIDER_INPUTS.
PROVIDER_INPUTS = {"region", "domain_name", "tags"}
CASE_READS = {
    "private_subnets_too_small": PROVIDER_INPUTS | {"interface_endpoints", "user_profiles",
                                                    "emr_core_instance_counts", "enable_emr",
                                                    # the applications' workers; their rules read the roles
                                                    "emr_serverless_applications", "emr_runtime_roles"},
    "az_count_beyond_region": PROVIDER_INPUTS | {"existing_vpc_id"},
    "emr_release_unknown": PROVIDER_INPUTS | {"enable_emr"},
    "emr_instance_type_unknown": PROVIDER_INPUTS | {"enable_emr", "emr_release_labels"},
    # The zones' postcondition (az_count) comes first.
    "emr_instance_type_not_in_cluster_zone": PROVIDER_INPUTS | {"enable_emr", "existing_vpc_id", "az_count"},
}
# The runtime-role rules read these together (modules/input_rules.py; the Studio role's grants count the
# runtime roles EMR Serverless applications run as, whose rules read emr_runtime_roles, and the managed
# policies it may take).
RUNTIME_ROLE_INPUTS = {"user_profiles", "emr_runtime_roles", "emr_default_runtime_roles", "allowed_s3_buckets",
                       "enable_emr", "emr_release_labels", "emr_serverless_applications",
                       "iam_managed_policies_per_role"}
CASE_READS.update({name: RUNTIME_ROLE_INPUTS for name in (
    "user_runtime_roles_wrong", "user_runtime_role_undefined", "user_runtime_roles_too_many",
    "runtime_role_policy_too_large", "runtime_role_grant_too_large", "runtime_roles_beyond_the_managed_policy_quota",
    "runtime_roles_wrong",
    "runtime_roles_old_release",
    "runtime_roles_not_an_object", "user_profiles_not_an_object", "serverless_too_many", "serverless_applications")})
# Cases planned on their own, whose error must be the only one: a missing input that the provider,
# names or other rules read reaches them as null, and only its own rule may speak.
ALONE = ("domain_name_missing", "region_missing", "user_profiles_missing")
CASE_READS.update({name: set(INPUT_NAMES) for name in ALONE})
# Rules that are conditions of data sources (the region's zones, EMR's releases and instance types) or of
# resources (modules/input_limits.py, modules/input_rules.py), not validations of a variable.
CONDITION_CASES = ("az_count_beyond_region", "private_subnets_too_small", "emr_release_unknown",
                   "emr_instance_type_unknown", "emr_instance_type_not_in_cluster_zone",
                   "runtime_role_grant_too_large", "runtime_roles_beyond_the_managed_policy_quota")
ON_THE_STACK = (*CONDITION_CASES, *ALONE)


def _footprint(name: str, changes: dict) -> frozenset:
    """The inputs case ``name`` changes and those the rules it expects read."""
    keys = set(changes) | CASE_READS.get(name, set())
    for group in RELATED_INPUTS:
        if keys & group:
            keys |= group
    return frozenset(keys)


def _clash(cases: dict, a: str, b: str) -> bool:
    """True when case ``a`` changes what ``b``'s rules read, or the other way round."""
    return bool(set(cases[a]) & _footprint(b, cases[b]) or set(cases[b]) & _footprint(a, cases[a]))


def batches(cases: dict) -> list:
    """Groups case names so that no case in a group changes an input another one's rules read."""
    groups = []
    for name in cases:
        for names in groups:
            if not any(_clash(cases, name, other) for other in names):
                names.append(name)
                break
        else:
            groups.append([name])
    return groups


def test_batches_never_mix_related_inputs():
    changes = {n: c for n, (c, _) in CASES.items()}
    assert set(ON_THE_STACK) <= set(CASES)
    grouped = batches(changes)
    assert sorted(n for names in grouped for n in names) == sorted(CASES)
    for names in grouped:
        assert not any(_clash(changes, a, b) for a in names for b in names if a != b), names


@pytest.fixture(scope="module")
def results(variable_rules_dir, terraform_env, repo_root, tmp_path, emulator_stack):
    base = json.loads((repo_root / "workspaces" / f"{BASE}.tfvars.json").read_text())
    changes = {n: c for n, (c, _) in CASES.items()}
    changes.update(GOOD)

    def var_files(level: str, grouped: list) -> tuple[dict, dict]:
        """(case names by plan, variable file by plan) of ``grouped``, the cases of one level."""
        plans = {f"{level}{i}": names for i, names in enumerate(grouped)}
        files = {}
        for plan_name, names in plans.items():
            merged = dict(base)
            for name in names:
                merged.update(changes[name])
            files[plan_name] = tmp_path / f"{plan_name}.tfvars.json"
            files[plan_name].write_text(json.dumps({k: v for k, v in merged.items() if v is not MISSING}))
        return plans, files

    # Each in the workspace its file names (default_workspace's is "default").
    plans, files = var_files("variables", batches({n: changes[n] for n in CASES if n not in ON_THE_STACK}))
    runs = plan_many(variable_rules_dir, files, terraform_env)
    stack_plans, files = var_files("stack", [*batches({n: changes[n] for n in ON_THE_STACK}), *([n] for n in GOOD)])
    stack_dir, env = emulator_stack
    runs.update(plan_many(stack_dir, files, env))
    plans.update(stack_plans)
    return {name: runs[plan_name] for plan_name, names in plans.items() for name in names}


@pytest.fixture(scope="module")
def tmp_path(tmp_path_factory):
    return tmp_path_factory.mktemp("bad_input")


def _messages(output: str) -> str:
    """Terraform's error text, with its line wrapping undone."""
    return re.sub(r"\s+", " ", re.sub(r"[│╷╵]", " ", output))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_value_is_refused_with_a_clear_message(results, case):
    run = results[case]
    text = _messages(run.output)
    assert run.exit_code != 0, f"{case} was accepted"
    # Rules that read what AWS answers are conditions of what they are about (modules/input_limits.py).
    rule = "Resource (pre|post)condition failed" if case in CONDITION_CASES else "Invalid value for variable"
    assert re.search(rule, text), text[-2000:]
    for fragment in CASES[case][1]:
        assert fragment in text, f"{case}: {fragment!r} not in:\n{text[-2000:]}"
    assert "Traceback" not in run.output
    assert "No value for required variable" not in text
    # A rule's message is evaluated even when the rule holds: it must not fail on the bad value.
    assert "Validation error message expression is invalid" not in text, text[-3000:]
    if case in ALONE:
        assert text.count("Error: ") == 1, text[-3000:]


def test_public_internet_without_emr_is_accepted(results):
    run = results["public_internet_without_emr"]
    assert run.exit_code == 0, run.output[-3000:]
    assert "aws_servicecatalog_portfolio" not in run.output
    assert "aws_sagemaker_domain" in run.output
