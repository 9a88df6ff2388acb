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


def test_flow_logs_of_every_packet_to_an_encrypted_log_group_with_retention(stack: SynthesizedStack):
    flow = stack.resource("aws_flow_log", "flow_logs/flow_log")
    vpc = stack.address("aws_vpc", "network/vpc")
    assert flow["vpc_id"] == f"${{one({vpc}[*].id)}}"  # a direct reference: checkov links it to the VPC
    assert flow["traffic_type"] == "ALL" and flow["log_destination_type"] == "cloud-watch-logs"
    group = stack.resource("aws_cloudwatch_log_group", "flow_logs/log_group")
    assert group["name"] == "/vpc-flow-logs/${var.domain_name}"
    assert group["kms_key_id"] == "${local.encryption_key_arn}"
    assert group["retention_in_days"] == "${var.log_retention_days}"
    assert stack.variable("log_retention_days")["default"] == 365
    for body in (flow, group, stack.resource("aws_iam_role", "flow_logs/role")):
        assert body["count"] == "${var.existing_vpc_id == null ? 1 : 0}"
    # The key policy names the group by the same ARN, built from its name.
    assert stack.local("flow_logs_log_group_arn").endswith(':log-group:/vpc-flow-logs/${var.domain_name}"}')


def test_flow_log_role_writes_only_to_its_group_and_trusts_only_this_account(stack: SynthesizedStack):
    import json
    role = stack.resource("aws_iam_role", "flow_logs/role")
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":vpc-flow-log/*")
    assert role["permissions_boundary"] == "${var.permissions_boundary_arn}"
    (write,) = json.loads(stack.resource("aws_iam_role_policy", "flow_logs/role_policy")["policy"])["Statement"]
    group = stack.address("aws_cloudwatch_log_group", "flow_logs/log_group")
    assert write["Resource"] == [f"${{one({group}[*].arn)}}", f"${{one({group}[*].arn)}}:log-stream:*"]
    assert set(write["Action"]) == {"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}


def test_private_subnets_give_no_public_ips(stack: SynthesizedStack):
    # EMR clusters and Studio apps live here (emr_templates get private_subnet_ids[0]).
    assert stack.resource("aws_subnet", "network/private").get("map_public_ip_on_launch") in (None, False)
