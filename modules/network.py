"""The VPC Studio and EMR live in: created here, or an existing one.

Created: a VPC with DNS on, one private and one public subnet per zone, an
internet gateway, one NAT gateway per zone or a single one, and route tables
whose private default route goes through the NAT (seed step 3.1). Existing:
the VPC and private subnets given as inputs, used as they are.
"""
from dataclasses import dataclass
from constructs import Construct
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones, DataAwsAvailabilityZonesFilter)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc

from modules.tf import at, count_when, data_address, each_of, expr, expr_list, local, one

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


class Network(Construct):
    """Exposes ``vpc_id``, ``private_subnet_ids`` and ``private_route_table_ids``
    (expressions), whichever way the VPC came to be."""

    def __init__(self, scope: Construct, id: str, props: NetworkProps) -> None:
        super().__init__(scope, id)
        create, name = props.create, props.name
        per_zone = count_when(create, props.az_count)

        zones = DataAwsAvailabilityZones(
            self, "zones", state="available",
            filter=[DataAwsAvailabilityZonesFilter(name="opt-in-status", values=["opt-in-not-required"])])
        zone = f"{data_address(zones)}.names[count.index]"

        def tagged(tier: str) -> str:
            return expr(f'"${{{name}}}-{tier}-${{{zone}}}"')

        vpc = Vpc(self, "vpc", count=count_when(create), cidr_block=expr(props.vpc_cidr),
                  enable_dns_support=True, enable_dns_hostnames=True,
                  tags={"Name": expr(name), **EMR_MANAGED_TAG})
        created_vpc_id = expr(one(vpc, "id"))

        # Nothing we create uses the default security group: close it.
        DefaultSecurityGroup(self, "default_sg_closed", count=count_when(create), vpc_id=created_vpc_id,
                             tags={"Name": expr(f'"${{{name}}}-default-closed"')})

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
                         tags={"Name": tagged("private"), "tier": "private", **EMR_MANAGED_TAG})

        igw = InternetGateway(self, "igw", count=count_when(create), vpc_id=created_vpc_id,
                              tags={"Name": expr(name)})
        public_routes = RouteTable(self, "public_routes", count=count_when(create), vpc_id=created_vpc_id,
                                   tags={"Name": expr(f'"${{{name}}}-public"')})
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

        self.vpc_id = local(self, "network_vpc_id", f"{create} ? {one(vpc, 'id')} : {props.existing_vpc_id}")
        self.private_subnet_ids = local(
            self, "network_private_subnet_ids",
            f"{create} ? {each_of(private, 'id')} : {props.existing_private_subnet_ids}")
        self.private_route_table_ids = local(
            self, "network_private_route_table_ids",
            f"{create} ? {each_of(private_routes, 'id')} : {props.existing_private_route_table_ids}")
