"""The constants of modules/input_rules.py against the synthesized stack: the
tags the stack adds itself, and the longest names it derives from the inputs.
(The rules themselves are exercised by plans in tests/test_bad_input.py.)"""
import re

from modules.aws_limits import LONGEST_REGION
from modules.input_rules import (
    MAX_TAGS, S3_RESERVED_SUFFIXES, STACK_TAG_KEYS, STACK_TAGS_PER_RESOURCE, STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE)

SERVICE_CATALOG_TAGGED = ("aws_servicecatalog_portfolio", "aws_servicecatalog_product")
# domain_name's rule allows 3 to 24 characters (modules/inputs.py); an account id has 12 digits.
LONGEST_DOMAIN_NAME = "d" * 24
ACCOUNT_ID = "123456789012"
# emr_runtime_roles' names: 1 to 20 characters (EMR_RUNTIME_ROLE_NAME).
LONGEST_RUNTIME_ROLE_NAME = "r" * 20
# "Bucket names must be between 3 (min) and 63 (max) characters long"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html); IAM role and instance
# profile names: 64 and 128 characters (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html,
# API_CreateInstanceProfile.html); security group names: 255 (API_CreateSecurityGroup); a portfolio's
# DisplayName 100 and ProviderName 50 (https://docs.aws.amazon.com/servicecatalog/latest/dg/API_CreatePortfolio.html).
NAME_LIMITS = {("aws_s3_bucket", "bucket"): 63, ("aws_iam_role", "name"): 64,
               ("aws_iam_instance_profile", "name"): 128, ("aws_security_group", "name"): 255,
               ("aws_servicecatalog_portfolio", "name"): 100, ("aws_servicecatalog_portfolio", "provider_name"): 50}


def _default_tag_keys(stack) -> set:
    tags = stack.config["provider"]["aws"][0]["default_tags"][0]["tags"]
    return set(re.findall(r'"([^"]+)" =', tags))


def _tag_keys_by_resource(stack) -> dict:
    defaults = _default_tag_keys(stack)
    return {(type_, name): defaults | set(body.get("tags") or {})
            for type_, resources in stack.config["resource"].items() for name, body in resources.items()}


def test_the_stack_adds_no_more_tags_than_the_rules_leave_room_for(stack):
    keys = _tag_keys_by_resource(stack)
    assert set().union(*keys.values()) <= set(STACK_TAG_KEYS)
    assert max(len(k) for k in keys.values()) <= STACK_TAGS_PER_RESOURCE < MAX_TAGS
    catalog = [k for (type_, _), k in keys.items() if type_ in SERVICE_CATALOG_TAGGED]
    assert catalog, "no Service Catalog resource found"
    assert max(len(k) for k in catalog) <= STACK_TAGS_PER_SERVICE_CATALOG_RESOURCE


def _longest(stack, expression: str) -> str:
    """A derived name with the longest values the inputs' rules allow."""
    text = expression
    for _ in range(3):  # locals refer to variables
        text = re.sub(r"\$\{local\.(\w+)\}", lambda m: stack.local(m.group(1)), text)
        text = re.sub(r'^\$\{"(.*)"\}$', r"\1", text)
        text = re.sub(r'\$\{"([^"]*)"\}', r"\1", text)
    text = (text.replace("${var.domain_name}", LONGEST_DOMAIN_NAME).replace("${var.region}", LONGEST_REGION)
            .replace("${each.key}", LONGEST_RUNTIME_ROLE_NAME))  # the one for_each over names: runtime roles
    text = re.sub(r"\$\{data\.aws_caller_identity\.\w+\.account_id\}", ACCOUNT_ID, text)
    assert "${" not in text, f"{expression} has a part this test does not know: {text}"
    return text


def test_derived_names_fit_aws_limits_with_the_longest_inputs(stack):
    checked = 0
    for (type_, attribute), limit in NAME_LIMITS.items():
        for body in stack.config["resource"][type_].values():
            name = _longest(stack, body[attribute])
            assert len(name) <= limit, f"{type_}.{attribute} {name!r} has {len(name)} characters; AWS allows {limit}"
            checked += 1
    assert checked >= 10


def test_derived_bucket_and_security_group_names_start_with_the_domain_name(stack):
    """So domain_name's rules on S3's and EC2's reserved prefixes cover them, and no
    derived bucket name ends with a suffix S3 reserves."""
    for type_, attribute in (("aws_s3_bucket", "bucket"), ("aws_security_group", "name")):
        for body in stack.config["resource"][type_].values():
            assert _longest(stack, body[attribute]).startswith(LONGEST_DOMAIN_NAME), body[attribute]
    for body in stack.config["resource"]["aws_s3_bucket"].values():
        assert not _longest(stack, body["bucket"]).endswith(S3_RESERVED_SUFFIXES), body["bucket"]
