"""The emulator's EC2 (scripts/moto_ext/ec2): AWS's answer to a revoke of a rule id
the group does not have.

Deleting a group with revoke_rules_on_delete, the AWS provider revokes by id the
rules of other groups that reference it, and skips those already gone by the
error code AWS gives for them (InvalidSecurityGroupRuleId.NotFound). The rules'
own resources, destroyed at the same time, may remove them first: with moto's
InvalidPermission.NotFound that race failed a destroy of dev on the emulator.
"""
from __future__ import annotations

import pytest

from aws_answers import refused, unique

pytestmark = pytest.mark.emulator

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def ec2(emulator):
    return emulator.client("ec2", REGION)


@pytest.fixture
def groups(ec2):
    """(group, source group), in a VPC of this test's own; the group admits the source on 8998."""
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    made = [ec2.create_security_group(GroupName=unique(name), Description=name, VpcId=vpc)["GroupId"]
            for name in ("master", "studio")]
    yield made
    for group in made:
        ec2.delete_security_group(GroupId=group)
    ec2.delete_vpc(VpcId=vpc)


def _admit(ec2, group, source) -> str:
    return ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8998, "ToPort": 8998, "UserIdGroupPairs": [{"GroupId": source}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]


def _ingress_ids(ec2, group) -> list[str]:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    return sorted(r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"])


def test_revoking_a_rule_id_twice_is_refused_as_an_unknown_rule_id(ec2, groups):
    group, source = groups
    rule = _admit(ec2, group, source)
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule])
    assert _ingress_ids(ec2, group) == []
    message = refused("InvalidSecurityGroupRuleId.NotFound", ec2.revoke_security_group_ingress,
                      GroupId=group, SecurityGroupRuleIds=[rule])
    assert rule in message


def test_a_revoke_naming_an_unknown_rule_id_revokes_nothing(ec2, groups):
    group, source = groups
    rule = _admit(ec2, group, source)
    refused("InvalidSecurityGroupRuleId.NotFound", ec2.revoke_security_group_ingress,
            GroupId=group, SecurityGroupRuleIds=[rule, "sgr-0123456789abcdef0"])
    assert _ingress_ids(ec2, group) == [rule]
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule])


def test_an_unknown_egress_rule_id_is_refused_the_same_way(ec2, groups):
    group, _ = groups
    refused("InvalidSecurityGroupRuleId.NotFound", ec2.revoke_security_group_egress,
            GroupId=group, SecurityGroupRuleIds=["sgr-0123456789abcdef0"])


def test_rule_properties_that_match_no_rule_keep_their_own_code(ec2, groups):
    group, source = groups
    refused("InvalidPermission.NotFound", ec2.revoke_security_group_ingress, GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8998, "ToPort": 8998, "UserIdGroupPairs": [{"GroupId": source}]}])
