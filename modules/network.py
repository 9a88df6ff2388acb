"""The VPC Studio and EMR live in: created here, or an existing one.

Created: a VPC with DNS on, one private and one public subnet per zone, an
internet gateway, one NAT gateway per zone or a single one, and route tables
whose private default route goes through the NAT (seed step 3.1), the default
security group closed, and flow logs (``FlowLogs``) to a KMS-encrypted log
group with a retention. Existing: the VPC and private subnets given as
inputs, used as they are (their flow logs are their owner's).
"""
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from constructs import Construct
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones, DataAwsAvailabilityZonesFilter)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc

from modules.account import StackContext
from modules.policy import Statement, document
from modules.tf import (
    KEY_KNOWN_AFTER_APPLY, at, checked, count_when, data_address, each_of, expr, expr_number, local,
    one, quoted, skip_checks, string, string_list)

# The v2 EMR managed policies only act on resources carrying this tag.
EMR_MANAGED_TAG = {"for-use-with-amazon-emr-managed-policies": "true"}


@dataclass(frozen=True)
class NetworkProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    """Prefix of the Name tags (the domain name)."""
    create: str
    """Condition: true creates the VPC, false uses ``existing_*``."""
    vpc_cidr: str
    az_count: str
    private_subnet_cidrs: str
    """List; empty: the first ``az_count`` /N+4 blocks of ``vpc_cidr``."""
    public_subnet_cidrs: str
    """List; empty: /N+4 blocks of ``vpc_cidr`` from the ninth on."""
    single_nat_gateway: str
    existing_vpc_id: str
    existing_private_subnet_ids: str
    existing_private_route_table_ids: str
    zone_rule: Optional[Callable[[str], Tuple[str, str]]] = None
    """(condition, message) of the region's usable zones, given their names (an expression). Default: none."""
    private_subnet_rule: Optional[Callable[[str], Tuple[str, str]]] = None
    """(condition, message) each private subnet created must meet, given its CIDR (an expression). Default:
    none."""


class Network(Construct):
    """Exposes ``vpc_id`` (a string token), ``private_subnet_ids`` and ``private_route_table_ids``
    (list tokens), whichever way the VPC came to be, ``created_vpc_id``
    (a string token, null with an existing VPC) and ``zone_names`` (a list token: the region's usable
    zones, in the order the subnets take them)."""

    def __init__(self, scope: Construct, id: str, props: NetworkProps) -> None:
        super().__init__(scope, id)
        create, name = props.create, props.name
        per_zone = count_when(create, props.az_count)

        zones = DataAwsAvailabilityZones(
            self, "zones", state="available",
            filter=[DataAwsAvailabilityZonesFilter(name="opt-in-status", values=["opt-in-not-required"])],
            lifecycle=checked(post=[props.zone_rule("self.names")] if props.zone_rule else ()))
        zone = f"{data_address(zones)}.names[count.index]"
        self.zone_names = zones.names

        def tagged(tier: str) -> str:
            return quoted("{name}-" + tier + "-{zone}", name=name, zone=zone)

        vpc = Vpc(self, "vpc", count=count_when(create), cidr_block=expr(props.vpc_cidr),
                  enable_dns_support=True, enable_dns_hostnames=True,
                  tags={"Name": expr(name), **EMR_MANAGED_TAG})
        created_vpc_id = expr(one(vpc, "id"))

        # Nothing we create uses the default security group: close it.
        DefaultSecurityGroup(self, "default_sg_closed", count=count_when(create), vpc_id=created_vpc_id,
                             tags={"Name": quoted("{name}-default-closed", name=name)})

        subnet_cidrs = local(self, "network_subnet_cidrs", (
            "{"
            f"private = length({props.private_subnet_cidrs}) > 0 ? {props.private_subnet_cidrs} : "
            f"[for i in range({props.az_count}) : cidrsubnet({props.vpc_cidr}, 4, i)], "
            f"public = length({props.public_subnet_cidrs}) > 0 ? {props.public_subnet_cidrs} : "
            f"[for i in range({props.az_count}) : cidrsubnet({props.vpc_cidr}, 4, i + 8)]"
            "}"))
        public = Subnet(self, "public", count=per_zone, vpc_id=created_vpc_id, availability_zone=expr(zone),
                        cidr_block=expr(f"{subnet_cidrs}.public[count.index]"),
                        tags={"Name": tagged("public"), "tier": "public"})
        private = Subnet(self, "private", count=per_zone, vpc_id=created_vpc_id, availability_zone=expr(zone),
                         cidr_block=expr(f"{subnet_cidrs}.private[count.index]"),
                         tags={"Name": tagged("private"), "tier": "private", **EMR_MANAGED_TAG},
                         lifecycle=checked(pre=[props.private_subnet_rule(f"{subnet_cidrs}.private[count.index]")]
                                           if props.private_subnet_rule else ()))

        igw = InternetGateway(self, "igw", count=count_when(create), vpc_id=created_vpc_id,
                              tags={"Name": expr(name)})
        public_routes = RouteTable(self, "public_routes", count=count_when(create), vpc_id=created_vpc_id,
                                   tags={"Name": quoted("{name}-public", name=name)})
        Route(self, "public_default", count=count_when(create), route_table_id=expr(one(public_routes, "id")),
              destination_cidr_block="0.0.0.0/0", gateway_id=expr(one(igw, "id")))
        RouteTableAssociation(self, "public_assoc", count=per_zone,
                              subnet_id=expr(at(public, "count.index", "id")),
                              route_table_id=expr(one(public_routes, "id")))

        nat_count = count_when(create, f"({props.single_nat_gateway} ? 1 : {props.az_count})")
        eip = Eip(self, "nat_ip", count=nat_count, domain="vpc", tags={"Name": tagged("nat")})
        nat = NatGateway(self, "nat", count=nat_count, allocation_id=expr(at(eip, "count.index", "id")),
                         subnet_id=expr(at(public, "count.index", "id")), tags={"Name": tagged("nat")},
                         depends_on=[igw])
        private_routes = RouteTable(self, "private_routes", count=per_zone, vpc_id=created_vpc_id,
                                    tags={"Name": tagged("private")})
        Route(self, "private_default", count=per_zone,
              route_table_id=expr(at(private_routes, "count.index", "id")),
              destination_cidr_block="0.0.0.0/0",
              nat_gateway_id=expr(at(nat, f"{props.single_nat_gateway} ? 0 : count.index", "id")))
        RouteTableAssociation(self, "private_assoc", count=per_zone,
                              subnet_id=expr(at(private, "count.index", "id")),
                              route_table_id=expr(at(private_routes, "count.index", "id")))

        self.created_vpc_id = string(one(vpc, "id"))
        self.vpc_id = string(local(self, "network_vpc_id", f"{create} ? {one(vpc, 'id')} : {props.existing_vpc_id}"))
        self.private_subnet_ids = string_list(local(
            self, "network_private_subnet_ids",
            f"{create} ? {each_of(private, 'id')} : {props.existing_private_subnet_ids}"))
        self.private_route_table_ids = string_list(local(
            self, "network_private_route_table_ids",
            f"{create} ? {each_of(private_routes, 'id')} : {props.existing_private_route_table_ids}"))


@dataclass(frozen=True)
class FlowLogsProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    """The domain name: the log group is ``/vpc-flow-logs/<name>``."""
    role_name_prefix: str
    """Prefix of the delivery role's name (IAM is account-wide: domain and region)."""
    create: str
    """Condition: true when this stack creates the VPC (an existing VPC's flow logs are its owner's)."""
    vpc_id: str
    kms_key_arn: str
    retention_days: str
    permissions_boundary_arn: str
    """Null: no boundary."""


class FlowLogs(Construct):
    """Flow logs of every packet decision in the VPC (ALL: accepted and rejected)
    to a CloudWatch log group encrypted with the domain's key, kept
    ``retention_days``, delivered by a role that may write only to that group.

    Exposes ``log_group_arn``, built from the group's name rather than read
    from the group, so that the key policy can name it before the group exists
    (the group waits for the key policy: CloudWatch Logs checks it on create).
    """

    def __init__(self, scope: Construct, id: str, props: FlowLogsProps) -> None:
        super().__init__(scope, id)
        p = props
        with_vpc = count_when(p.create)
        context = StackContext.of(self)
        group_name = f"/vpc-flow-logs/{string(p.name)}"
        self.log_group_arn = local(self, "flow_logs_log_group_arn", quoted(
            "arn:{partition}:logs:{region}:{account}:log-group:/vpc-flow-logs/{name}", partition=context.partition,
            region=context.region, account=context.account_id, name=p.name))
        group = CloudwatchLogGroup(
            self, "log_group", count=with_vpc, name=group_name, kms_key_id=expr(p.kms_key_arn),
            retention_in_days=expr_number(p.retention_days))
        skip_checks(group, {"CKV_AWS_158": KEY_KNOWN_AFTER_APPLY}, only="plan")
        trust = document(Statement(
            None, "sts:AssumeRole", principal={"Service": "vpc-flow-logs.amazonaws.com"},
            # Confused-deputy guard: only flow logs of this account.
            condition={"StringEquals": {"aws:SourceAccount": context.account_id},
                       "ArnLike": {"aws:SourceArn": f"arn:{context.partition}:ec2:{context.region}:"
                                                    f"{context.account_id}:vpc-flow-log/*"}}))
        role = IamRole(
            self, "role", count=with_vpc, name=quoted("{prefix}-vpc-flow-logs", prefix=p.role_name_prefix),
            description="Delivers the VPC flow logs of this domain to their log group",
            assume_role_policy=trust, permissions_boundary=expr(p.permissions_boundary_arn))
        group_arn = string(one(group, 'arn'))
        policy = document(Statement("WriteFlowLogs", [
            "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [group_arn, f"{group_arn}:log-stream:*"]))
        IamRolePolicy(self, "role_policy", count=with_vpc, name="write-flow-logs", role=expr(one(role, "name")),
                      policy=policy)
        FlowLog(self, "flow_log", count=with_vpc, vpc_id=expr(p.vpc_id), traffic_type="ALL",
                log_destination_type="cloud-watch-logs", log_destination=expr(one(group, "arn")),
                iam_role_arn=expr(one(role, "arn")), tags={"Name": expr(p.name)})
