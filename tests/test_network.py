"""Unit tests of modules/network.py on the synthesized stack."""
from synthesized import SynthesizedStack

EMR_TAG = ("for-use-with-amazon-emr-managed-policies", "true")


def test_vpc_is_created_only_without_an_existing_one(stack: SynthesizedStack):
    vpc = stack.resource("aws_vpc", "network/vpc")
    assert vpc["count"] == "${var.existing_vpc_id == null ? 1 : 0}"
    assert vpc["cidr_block"] == "${var.vpc_cidr}"
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    assert EMR_TAG in vpc["tags"].items()


def test_one_private_and_one_public_subnet_per_zone(stack: SynthesizedStack):
    for tier in ("private", "public"):
        subnet = stack.resource("aws_subnet", f"network/{tier}")
        assert subnet["count"] == "${var.existing_vpc_id == null ? var.az_count : 0}"
        assert subnet["cidr_block"] == f"${{local.network_subnet_cidrs.{tier}[count.index]}}"
        assert "names[count.index]" in subnet["availability_zone"]
    assert EMR_TAG in stack.resource("aws_subnet", "network/private")["tags"].items()
    assert EMR_TAG not in stack.resource("aws_subnet", "network/public")["tags"].items()
    assert stack.resource("aws_subnet", "network/public").get("map_public_ip_on_launch") in (None, False)


def test_derived_subnets_do_not_overlap_each_other():
    # private: blocks 0..5, public: blocks 8..13 of /N+4 (az_count <= 6).
    import ipaddress
    vpc = ipaddress.ip_network("10.0.0.0/16")
    blocks = list(vpc.subnets(new_prefix=20))
    private = [blocks[i] for i in range(6)]
    public = [blocks[i + 8] for i in range(6)]
    assert not any(a.overlaps(b) for a in private for b in public)


def test_subnet_cidrs_are_given_or_derived(stack: SynthesizedStack):
    cidrs = stack.local("network_subnet_cidrs")
    assert "length(var.private_subnet_cidrs) > 0 ? var.private_subnet_cidrs" in cidrs
    assert "cidrsubnet(var.vpc_cidr, 4, i)" in cidrs and "cidrsubnet(var.vpc_cidr, 4, i + 8)" in cidrs


def test_nat_gateways_single_or_one_per_zone(stack: SynthesizedStack):
    nat = stack.resource("aws_nat_gateway", "network/nat")
    assert nat["count"] == "${var.existing_vpc_id == null ? (var.single_nat_gateway ? 1 : var.az_count) : 0}"
    assert stack.resource("aws_eip", "network/nat_ip")["count"] == nat["count"]
    assert "public" in nat["subnet_id"]


def test_private_default_route_goes_through_nat(stack: SynthesizedStack):
    route = stack.resource("aws_route", "network/private_default")
    nat = stack.address("aws_nat_gateway", "network/nat")
    assert route["destination_cidr_block"] == "0.0.0.0/0"
    assert route["nat_gateway_id"] == f"${{{nat}[var.single_nat_gateway ? 0 : count.index].id}}"
    public = stack.resource("aws_route", "network/public_default")
    assert stack.address("aws_internet_gateway", "network/igw") in public["gateway_id"]


def test_default_security_group_is_closed(stack: SynthesizedStack):
    default = stack.resource("aws_default_security_group", "network/default_sg_closed")
    assert "ingress" not in default and "egress" not in default


def test_existing_vpc_is_used_as_given(stack: SynthesizedStack):
    assert stack.local("network_vpc_id").endswith(": var.existing_vpc_id}")
    assert stack.local("network_private_subnet_ids").endswith(": var.existing_private_subnet_ids}")
    assert stack.local("network_private_route_table_ids").endswith(": var.existing_private_route_table_ids}")
