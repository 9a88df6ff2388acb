"""Unit tests of modules/security_groups.py on the synthesized stack."""
import pytest

from synthesized import SynthesizedStack


def _one(stack, group):
    return f"${{one({stack.address('aws_security_group', f'security_groups/{group}')}[*].id)}}"


def _rules(stack, direction):
    return stack.resources(f"aws_vpc_security_group_{direction}_rule")


@pytest.mark.parametrize("group, peer, port", [
    ("emr-master", "studio", 8998),           # Livy (seed 3.6)
    ("emr-master", "studio", 10000),          # HiveServer2
    ("emr-master", "emr-service-access", 8443),
    ("emr-core", "emr-service-access", 8443),
    ("emr-service-access", "emr-master", 9443),
    ("endpoints", "studio", 443),
    ("endpoints", "emr-serverless", 443),     # EMR Serverless workers to the AWS endpoints
    ("studio", "studio", None),               # seed 3.2.1: all traffic from itself
])
def test_ingress_rule_exists(stack: SynthesizedStack, group, peer, port):
    matches = [r for r in _rules(stack, "ingress").values()
               if r["security_group_id"] == _one(stack, group)
               and r.get("referenced_security_group_id") == _one(stack, peer)
               and r.get("from_port") == port and r.get("to_port") == port]
    assert len(matches) == 1, f"no single rule {group} <- {peer}:{port}"


def test_studio_reaches_livy_and_hive_on_the_master(stack: SynthesizedStack):
    out = {(r["security_group_id"], r.get("referenced_security_group_id"), r.get("from_port"))
           for r in _rules(stack, "egress").values()}
    for port in (8998, 10000):
        assert (_one(stack, "studio"), _one(stack, "emr-master"), port) in out


def test_every_rule_has_a_description(stack: SynthesizedStack):
    for direction in ("ingress", "egress"):
        for path, rule in _rules(stack, direction).items():
            assert len(rule.get("description", "")) > 10, path


def test_no_ingress_from_anywhere(stack: SynthesizedStack):
    for path, rule in _rules(stack, "ingress").items():
        assert "cidr_ipv4" not in rule and "cidr_ipv6" not in rule, path


def test_emr_groups_exist_only_with_emr_and_carry_the_managed_policy_tag(stack: SynthesizedStack):
    for group in ("emr-master", "emr-core", "emr-service-access"):
        sg = stack.resource("aws_security_group", f"security_groups/{group}")
        assert sg["count"] == "${var.enable_emr ? 1 : 0}"
        assert sg["tags"]["for-use-with-amazon-emr-managed-policies"] == "true"
        assert sg["revoke_rules_on_delete"] is True
    assert "count" not in stack.resource("aws_security_group", "security_groups/studio")


def test_rules_naming_emr_groups_exist_only_with_emr(stack: SynthesizedStack):
    emr = {_one(stack, g) for g in ("emr-master", "emr-core", "emr-service-access")}
    for direction in ("ingress", "egress"):
        for path, rule in _rules(stack, direction).items():
            if {rule["security_group_id"], rule.get("referenced_security_group_id")} & emr:
                assert rule["count"] == "${var.enable_emr ? 1 : 0}", path


def test_group_names_derive_from_the_domain(stack: SynthesizedStack):
    for path, sg in stack.resources("aws_security_group").items():
        assert sg["name"].startswith('${"${var.domain_name}-'), path


# Egress to 0.0.0.0/0 allowed only here, each for a reason given beside the rule
# in modules/security_groups.py: (group, protocol, port).
EGRESS_TO_ANYWHERE = {("studio", "tcp", 443), ("emr-master", "tcp", 443), ("emr-core", "tcp", 443),
                      ("emr-serverless", "tcp", 443)}


def test_egress_to_anywhere_is_https_only_and_listed(stack: SynthesizedStack):
    groups = {_one(stack, g): g for g in ("studio", "endpoints", "emr-master", "emr-core", "emr-service-access",
                                          "emr-serverless")}
    found = {(groups[r["security_group_id"]], r["ip_protocol"], r.get("from_port"))
             for r in _rules(stack, "egress").values() if r.get("cidr_ipv4") == "0.0.0.0/0"}
    assert found == EGRESS_TO_ANYWHERE
    assert not [r for r in _rules(stack, "egress").values() if "cidr_ipv6" in r]


def test_studio_internet_egress_is_a_switch(stack: SynthesizedStack):
    internet = stack.resource("aws_vpc_security_group_egress_rule", "security_groups/studio_to_internet")
    assert internet["count"] == "${var.studio_internet_access ? 1 : 0}"
    assert stack.variable("studio_internet_access")["default"] is True
    # Without it Studio still reaches the endpoints and S3.
    for rule in ("studio_to_endpoints", "studio_to_s3"):
        body = stack.resource("aws_vpc_security_group_egress_rule", f"security_groups/{rule}")
        assert "count" not in body and body["from_port"] == 443


def test_s3_is_reached_through_its_managed_prefix_list(stack: SynthesizedStack):
    prefix_list = stack.config["data"]["aws_ec2_managed_prefix_list"]
    (body,) = prefix_list.values()
    assert body["name"] == '${"com.amazonaws.${var.region}.s3"}'
    s3_rules = [r for r in _rules(stack, "egress").values() if "prefix_list_id" in r]
    assert sorted((r["from_port"], r["security_group_id"]) for r in s3_rules) == sorted([
        (443, _one(stack, "studio")), (80, _one(stack, "emr-master")), (80, _one(stack, "emr-core")),
        (443, _one(stack, "emr-serverless"))])


def test_emr_nodes_reach_each_other_and_the_service_access_group(stack: SynthesizedStack):
    pairs = {(r["security_group_id"], r.get("referenced_security_group_id"), r["ip_protocol"], r.get("from_port"))
             for r in _rules(stack, "egress").values()}
    master, core = _one(stack, "emr-master"), _one(stack, "emr-core")
    for a in (master, core):
        for b in (master, core):
            assert (a, b, "-1", None) in pairs
    assert (master, _one(stack, "emr-service-access"), "tcp", 9443) in pairs


def test_groups_attached_outside_terraform_declare_why_checkov_cannot_see_it(stack: SynthesizedStack):
    for group in ("studio", "emr-master", "emr-core", "emr-service-access"):
        (skip,) = stack.resource("aws_security_group", f"security_groups/{group}")["//"]["checkov"]["skip"]
        assert skip["id"] == "CKV2_AWS_5" and "Attached outside" in skip["comment"]
    # checkov follows the endpoints and the EMR Serverless applications (their network configuration) to theirs.
    for group in ("endpoints", "emr-serverless"):
        assert "checkov" not in stack.resource("aws_security_group", f"security_groups/{group}").get("//", {}), group


def test_an_ingress_rule_from_anywhere_cannot_be_declared():
    from modules.security_groups import SecurityGroups
    with pytest.raises(ValueError, match="no ingress from 0.0.0.0/0"):
        SecurityGroups._rule(None, "x", "sg", "in", "tcp", 22, None, "ssh from anywhere", None)


def test_the_emr_serverless_group_exists_with_applications_and_only_opens_connections(stack: SynthesizedStack):
    group = stack.resource("aws_security_group", "security_groups/emr-serverless")
    assert group["count"] == "${length(var.emr_serverless_applications) > 0 ? 1 : 0}"
    serverless = _one(stack, "emr-serverless")
    assert not [r for r in _rules(stack, "ingress").values() if r["security_group_id"] == serverless]
    egress = [r for r in _rules(stack, "egress").values() if r["security_group_id"] == serverless]
    assert {(r["ip_protocol"], r["from_port"]) for r in egress} == {("tcp", 443)}
    assert all(r["count"] == group["count"] for r in egress)
