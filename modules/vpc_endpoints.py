"""VPC endpoints that let a VpcOnly domain reach AWS APIs without the internet.

An S3 gateway endpoint on the private route tables, and one interface
endpoint with private DNS per service in the ``interface_endpoints`` input,
in the private subnets behind the endpoint security group (443 from Studio
and EMR).
"""
from dataclasses import dataclass

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from modules.tf import count_when, expr, expr_list, expr_map


@dataclass(frozen=True)
class VpcEndpointsProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    region: str
    vpc_id: str
    private_subnet_ids: str
    private_route_table_ids: str
    """List; empty: no S3 gateway endpoint (an existing VPC without route tables given)."""
    security_group_id: str
    interface_services: str
    """List of service names after ``com.amazonaws.<region>.``, e.g. sagemaker.api."""


class VpcEndpoints(Construct):
    def __init__(self, scope: Construct, id: str, props: VpcEndpointsProps) -> None:
        super().__init__(scope, id)
        service = f'"com.amazonaws.${{{props.region}}}.'
        VpcEndpoint(
            self, "s3", count=count_when(f"length({props.private_route_table_ids}) > 0"),
            vpc_id=expr(props.vpc_id), vpc_endpoint_type="Gateway",
            service_name=expr(service + 's3"'), route_table_ids=expr_list(props.private_route_table_ids),
            tags={"Name": expr(f'"${{{props.name}}}-s3"')})

        services = TerraformIterator.from_map(expr_map(f"{{for s in {props.interface_services} : s => s}}"))
        VpcEndpoint(
            self, "interface", for_each=services,
            vpc_id=expr(props.vpc_id), vpc_endpoint_type="Interface", private_dns_enabled=True,
            service_name=expr(service + '${each.key}"'),
            subnet_ids=expr_list(props.private_subnet_ids),
            security_group_ids=[expr(props.security_group_id)],
            tags={"Name": expr(f'"${{{props.name}}}-${{each.key}}"')})
