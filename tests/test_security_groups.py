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
