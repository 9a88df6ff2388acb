"""The size limits in modules/input_limits.py, measured: the policy documents
that grow with inputs are rendered by Terraform itself (``terraform console``
on the documents' templates) at their largest, and each constant the rules
use is checked against the measurement. The refusals themselves are planned
in tests/test_bad_input.py, except those about an existing VPC's subnets,
which need real subnets: planned here against subnets made on the emulator.

Worst case: the longest partition and region the project knows, names at
AWS's maximum lengths (IAM role 64, S3 bucket 63) and domain_name at ours (24).
"""
import json
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from modules.aws_limits import (
    IAM_INLINE_PER_ROLE, KEY_POLICY_BASE, KEY_POLICY_LIMIT, LONGEST_PARTITION, LONGEST_REGION,
    MAX_ALLOWED_S3_BUCKETS, RUNTIME_ROLE_POLICIES_FIXED, S3_ARN_PER_BUCKET, S3_ENDPOINT_POLICY_BASE,
    S3_ENDPOINT_POLICY_LIMIT, SERVERLESS_GRANT_FIXED, STUDIO_GRANT_FIXED, IAM_MANAGED_POLICY)
from modules.inputs import MAX_ASSUMABLE_ROLES
from terraform_runs import plan_many

PARTITION = LONGEST_PARTITION
REGION = LONGEST_REGION
ACCOUNT = "123456789012"
DOMAIN = "d" * 24
ROLE_ARN = f"arn:{PARTITION}:iam::{ACCOUNT}:role/" + "r" * 64
BUCKET = "b" * 63
# The platform's own key users: the Studio execution role and the two EMR roles.
PLATFORM_ROLES = 3
USER_ROLES = [f"arn:aws:iam::{ACCOUNT}:role/{'team/' * i}user-{i}" for i in range(40)]


def _heredoc(name: str, template: str) -> str:
    assert "EOT" not in template
    return f"  {name} = <<EOT\n{template}\nEOT\n"


@pytest.fixture(scope="module")
def sizes(tmp_path_factory, terraform_env) -> dict:
    """Rendered lengths (characters) of the documents, by variant."""
    # The constructs' modules are imported here, not at the top: every pytest worker imports every test
    # file, and only the one that runs this one should load the AWS bindings (tests/test_collection.py).
    from cdktf import App, DefaultTokenResolver, StringConcat, TerraformStack, Tokenization
    from modules.encryption import PlatformKeyPolicyProps, key_policy_document
    from modules.tf import string
    from modules.vpc_endpoints import s3_endpoint_policy

    # The stack's context (modules/account.py) as these locals.
    context = SimpleNamespace(partition=string("local.partition"), region=string("local.region"),
                              account_id=string("local.account_id"))
    # The documents hold tokens (modules/policy.py): a stack resolves them to Terraform's text.
    stack = TerraformStack(App(outdir=str(tmp_path_factory.mktemp("cdktf"))), "sizes")

    def resolve(text: str) -> str:
        return Tokenization.resolve(text, scope=stack, resolver=DefaultTokenResolver(StringConcat()))
    s3 = resolve(s3_endpoint_policy(context, "local.platform_buckets", "local.allowed_buckets"))
    key_props = PlatformKeyPolicyProps(
        key_user_role_arns="unused", bucket_arn_pattern="local.bucket_arn_pattern",
        log_group_arns="local.log_group_arns")
    values = {
        "partition": PARTITION, "region": REGION, "account_id": ACCOUNT,
        "platform_buckets": [f"arn:{PARTITION}:s3:::{BUCKET}"] * 2,
        "bucket_arn_pattern": f"arn:{PARTITION}:s3:::{BUCKET[:-2]}-*",
        "log_group_arns": [f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:/vpc-flow-logs/{DOMAIN}"],
        "platform_roles": [ROLE_ARN] * PLATFORM_ROLES,
        "user_roles": USER_ROLES,
    }
    variants = {
        "s3_base": (s3, {"allowed_buckets": []}),
        "s3_max": (s3, {"allowed_buckets": [BUCKET] * MAX_ALLOWED_S3_BUCKETS}),
        "s3_beyond": (s3, {"allowed_buckets": [BUCKET] * (MAX_ALLOWED_S3_BUCKETS + 1)}),
        "key_base": (resolve(key_policy_document(context, key_props, "local.platform_roles")), {}),
        "key_users": (resolve(key_policy_document(
            context, key_props, "concat(local.platform_roles, local.user_roles)")), {}),
    }
    # One module per variant: the same local names hold each variant's values.
    root = tmp_path_factory.mktemp("document_sizes")
    lines = []
    for name, (template, extra) in variants.items():
        module = root / name
        module.mkdir()
        locals_ = {**values, **extra}
        body = "".join(f"  {k} = {json.dumps(v)}\n" for k, v in locals_.items()) + _heredoc("doc", template)
        (module / "main.tf").write_text(
            f"locals {{\n{body}}}\n" 'output "size" { value = length(chomp(local.doc)) }\n')
        lines.append(f'module "{name}" {{ source = "./{name}" }}')
    (root / "main.tf").write_text("\n".join(lines) + "\n")
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=root, env=terraform_env, check=True,
                   capture_output=True, text=True, timeout=300)
    query = "jsonencode({" + ", ".join(f"{n} = module.{n}.size" for n in variants) + "})"
    result = subprocess.run(["terraform", "console"], cwd=root, env=terraform_env, input=query + "\n",
                            capture_output=True, text=True, timeout=300, check=True)
    found = re.search(r'"(\{.*\})"', result.stdout)
    assert found, result.stdout + result.stderr
    return json.loads(json.loads(f'"{found.group(1)}"'))


def test_s3_endpoint_policy_base_is_measured(sizes):
    assert sizes["s3_base"] <= S3_ENDPOINT_POLICY_BASE < sizes["s3_base"] + 50, sizes


def test_the_largest_bucket_count_allowed_fits_the_endpoint_policy_and_one_more_would_not(sizes):
    assert sizes["s3_max"] - sizes["s3_base"] == MAX_ALLOWED_S3_BUCKETS * S3_ARN_PER_BUCKET, sizes
    assert sizes["s3_max"] <= S3_ENDPOINT_POLICY_LIMIT < sizes["s3_beyond"], sizes


def test_key_policy_base_is_measured(sizes):
    assert sizes["key_base"] <= KEY_POLICY_BASE < sizes["key_base"] + 50, sizes


def test_each_user_role_adds_what_the_key_policy_rule_counts(sizes):
    # The rule of user_profiles counts 2 * (length + 3) per distinct role (modules/input_limits.py).
    assert sizes["key_users"] - sizes["key_base"] == sum(2 * (len(a) + 3) for a in USER_ROLES)
    assert KEY_POLICY_BASE < KEY_POLICY_LIMIT


# The inline policies of a role may hold IAM_INLINE_PER_ROLE characters in all (modules/input_limits.py).
# The stack's managed policies (6,144 each) are the Studio role's policies of the EMR runtime roles.
# An interpolated value (an ARN, a partition, a region) at its largest: ARNs of
# our roles, buckets, key and log group stay well under this.
INTERPOLATED_VALUE_AT_MOST = 256


def _interpolations(template: str) -> list:
    """The ``${...}`` expressions of a Terraform template, braces matched."""
    found, start = [], template.find("${")
    while start >= 0:
        depth, i = 0, start + 1
        while True:
            depth += {"{": 1, "}": -1}.get(template[i], 0)
            if depth == 0:
                break
            i += 1
        found.append(template[start + 2:i])
        start = template.find("${", i)
    return found


def _fixed(policy: dict) -> tuple:
    """(characters of a policy template without its interpolations, white space not counted; its expressions)."""
    expressions = _interpolations(policy["policy"])
    text = re.sub(r"\s", "", re.sub(r"\$\{", "", policy["policy"]))
    return len(text) - sum(len(re.sub(r"\s", "", e)) + 1 for e in expressions), expressions


def test_iam_policies_grow_with_no_input_and_fit_iam_quotas(stack):
    """No inline policy of the platform's own lists anything per input entry (the only input they read is
    the region), so their size is bounded by the template: checked at its largest. The EMR runtime roles'
    policies list each role's entries and users (and, for the roles of EMR Serverless applications, those
    applications): the rules of emr_runtime_roles bound them (below)."""
    per_role = {}
    for address, policy in stack.resources("aws_iam_role_policy").items():
        if address.startswith("emr_runtime_roles/"):
            continue
        fixed, expressions = _fixed(policy)
        # The roles Studio may assume in EMR accounts: at most MAX_ASSUMABLE_ROLES (their input's rule).
        assumable = [e for e in expressions if e == "jsonencode(var.emr_assumable_role_arns)"]
        for expression in set(expressions) - set(assumable):
            assert " for " not in f" {expression} " and not re.search(r"\bvar\.(?!region\b)", expression), (
                address, expression)
        # jsonencode of a list written in the stack (product or parameter ARNs): its elements.
        values = sum(MAX_ASSUMABLE_ROLES if expression in assumable else max(1, expression.count(",") + 1)
                     for expression in expressions)
        per_role.setdefault(policy["role"], 0)
        per_role[policy["role"]] += fixed + values * INTERPOLATED_VALUE_AT_MOST
    assert per_role and max(per_role.values()) <= IAM_INLINE_PER_ROLE, per_role
    # The Studio role's inline policies, at their largest (8,327 of 10,240): none grows with the users given
    # runtime roles, whose grants are managed policies of their own.
    assert 0 < next(v for role, v in per_role.items() if "iam_studio_execution" in role) <= IAM_INLINE_PER_ROLE
    assert not [a for a, p in stack.resources("aws_iam_role_policy").items()
                if a.startswith("emr_runtime_roles/") and "iam_studio_execution" in p["role"]]


def test_runtime_role_policy_constants_are_measured(stack):
    """The fixed text the rules of emr_runtime_roles count (modules/input_limits.py): a runtime role's three
    data policies, and the Studio role's managed policy of one runtime role (the larger of its two forms)."""
    policies = {a.split("/", 1)[1]: p for kind in ("aws_iam_role_policy", "aws_iam_policy")
                for a, p in stack.resources(kind).items() if a.startswith("emr_runtime_roles/")}
    assert sum(_fixed(policies[n])[0] for n in ("s3_read", "s3_write", "glue")) == RUNTIME_ROLE_POLICIES_FIXED
    assert max(_fixed(policies[n])[0] for n in ("studio_default_role", "studio_user_role")) == STUDIO_GRANT_FIXED
    assert max(_fixed(policies[n])[0] for n in ("studio_serverless_default_role", "studio_serverless_user_role")
               ) == SERVERLESS_GRANT_FIXED
    # What the studio_user_role grant interpolates besides its users: partition, region, account of the
    # cluster ARN; partition, account, name prefix and role name of the runtime role's ARN.
    _, expressions = _fixed(policies["studio_user_role"])
    assert len(expressions) == 8 and expressions[-1] == "jsonencode(local.emr_runtime_role_users[each.key])"


# Users per runtime role (README, EMR runtime roles): 50 users of 20-character names fit a role's policy on
# the Studio role, with and without an EMR Serverless application running as the role (the rule's bound,
# computed by Terraform as the plan computes it).
USERS_PER_ROLE, USER_NAME = 50, 20


def test_fifty_users_per_runtime_role_fit_the_studio_roles_managed_policy(tmp_path, terraform_env):
    from modules.input_limits import studio_grant_sizes  # a constructs' module: see sizes()
    users = [f"{i:02d}".rjust(USER_NAME, "u") for i in range(USERS_PER_ROLE)]
    roles = {"cluster-only": users, "serverless": users, "one-more": users + ["u" * USER_NAME]}
    (tmp_path / "main.tf").write_text(
        'variable "emr_serverless_applications" { default = {spark = {runtime_role = "serverless"}} }\n'
        'variable "emr_default_runtime_roles" { default = [] }\n'
        f"locals {{\n  users = {json.dumps(roles)}\n}}\n"
        f'output "sizes" {{ value = {studio_grant_sizes("local.users")} }}\n')
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=tmp_path, env=terraform_env, check=True,
                   capture_output=True, text=True, timeout=300)
    result = subprocess.run(["terraform", "console"], cwd=tmp_path, env=terraform_env,
                            input=f"jsonencode({studio_grant_sizes('local.users')})\n",
                            capture_output=True, text=True, timeout=300, check=True)
    found = re.search(r'"(\{.*\})"', result.stdout)
    assert found, result.stdout + result.stderr
    sizes = json.loads(json.loads(f'"{found.group(1)}"'))
    assert sizes["serverless"] <= IAM_MANAGED_POLICY and sizes["cluster-only"] <= IAM_MANAGED_POLICY, sizes
    # Each further user takes their name, quotes and a comma once (3 times with EMR Serverless).
    assert sizes["one-more"] - sizes["cluster-only"] == USER_NAME + 3, sizes
    # The figures README gives: users of 20-character names per role, without and with one application.
    per_user = USER_NAME + 3
    fit = {"cluster-only": (IAM_MANAGED_POLICY - sizes["cluster-only"]) // per_user + USERS_PER_ROLE,
           "serverless": (IAM_MANAGED_POLICY - sizes["serverless"]) // (3 * per_user) + USERS_PER_ROLE}
    print("users of 20-character names per runtime role:", fit)
    assert fit == {"cluster-only": 248, "serverless": 72}, fit


# An existing VPC's subnets, checked against what AWS says of them at plan time
# (DescribeSubnets on the tests' emulator): whether they are in the VPC, their
# zones and their free addresses.
DEV = json.loads((Path(__file__).resolve().parent.parent / "workspaces" / "dev.tfvars.json").read_text())


@pytest.fixture(scope="module")
def existing_vpc_plans(emulator, emulator_stack, tmp_path_factory) -> dict:
    ec2 = emulator.client("ec2", region=DEV["region"])
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    layout = (("tiny_a", "10.50.0.0/28", "eu-west-1a"), ("large_a", "10.50.1.0/24", "eu-west-1a"),
              ("large_b", "10.50.2.0/24", "eu-west-1b"), ("other_a", "10.50.3.0/24", "eu-west-1a"))
    subnet = {name: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
              for name, cidr, zone in layout}
    # One refusal per plan: a failed postcondition of a subnet stops what reads the subnets.
    cases = {
        "tiny": [subnet["tiny_a"], subnet["large_b"]],
        "same_zone": [subnet["large_a"], subnet["other_a"]],
        "not_in_the_vpc": [subnet["large_b"], "subnet-0123456789abcdef0"],
        "good": [subnet["large_a"], subnet["large_b"]],
    }
    out = tmp_path_factory.mktemp("existing_vpc")
    files = {}
    for name, subnets in cases.items():
        files[name] = out / f"{name}.tfvars.json"
        files[name].write_text(json.dumps({**DEV, "existing_vpc_id": vpc, "existing_private_subnet_ids": subnets}))
    stack_dir, env = emulator_stack
    try:
        runs = plan_many(stack_dir, files, env, workspace="dev")
    finally:
        for subnet_id in subnet.values():
            ec2.delete_subnet(SubnetId=subnet_id)
        ec2.delete_vpc(VpcId=vpc)
    return {name: (" ".join(re.sub(r"[│╷╵]", " ", run.output).split()), run.exit_code, subnet, vpc)
            for name, run in runs.items()}


def test_an_existing_subnet_too_small_is_refused(existing_vpc_plans):
    text, code, subnet, _ = existing_vpc_plans["tiny"]
    assert code == 1
    assert (f"existing_private_subnet_ids has a subnet too small for the platform: {subnet['tiny_a']} "
            "(10.50.0.0/28) has 11 addresses free and needs 18: 7 interface endpoints, 1 EFS mount target, "
            "4 Studio apps") in text, text[-3000:]
    assert subnet["large_b"] + " (" not in text


def test_existing_subnets_in_one_zone_are_refused(existing_vpc_plans):
    text, code, subnet, _ = existing_vpc_plans["same_zone"]
    assert code == 1
    zones = json.dumps({subnet["large_a"]: "eu-west-1a", subnet["other_a"]: "eu-west-1a"}, sort_keys=True,
                       separators=(",", ":"))
    assert f"existing_private_subnet_ids has subnets in the same availability zone: {zones}" in text, text[-3000:]


def test_existing_subnets_outside_the_vpc_are_refused(existing_vpc_plans):
    text, code, _, vpc = existing_vpc_plans["not_in_the_vpc"]
    assert code == 1
    assert (f'existing_private_subnet_ids has subnets that are not in existing_vpc_id = "{vpc}" (or do not exist '
            'in eu-west-1): ["subnet-0123456789abcdef0"]') in text, text[-3000:]


def test_existing_subnets_in_two_zones_with_room_are_accepted(existing_vpc_plans):
    text, code, _, _ = existing_vpc_plans["good"]
    assert code == 0, text[-3000:]
