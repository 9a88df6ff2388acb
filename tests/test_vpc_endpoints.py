"""Unit tests of modules/vpc_endpoints.py on the synthesized stack."""
from modules.inputs import DEFAULT_INTERFACE_ENDPOINTS
from synthesized import SynthesizedStack


def test_s3_gateway_endpoint_on_private_route_tables(stack: SynthesizedStack):
    s3 = stack.resource("aws_vpc_endpoint", "endpoints/s3")
    assert s3["vpc_endpoint_type"] == "Gateway"
    assert s3["service_name"] == '${"com.amazonaws.${var.region}.s3"}'
    assert s3["route_table_ids"] == "${local.network_private_route_table_ids}"


def test_one_interface_endpoint_per_listed_service_with_private_dns(stack: SynthesizedStack):
    interface = stack.resource("aws_vpc_endpoint", "endpoints/interface")
    assert interface["for_each"] == "${{for s in var.interface_endpoints : s => s}}"
    assert interface["private_dns_enabled"] is True
    assert interface["subnet_ids"] == "${local.network_private_subnet_ids}"
    sg = stack.address("aws_security_group", "security_groups/endpoints")
    assert interface["security_group_ids"] == [f"${{one({sg}[*].id)}}"]


def test_default_services_are_those_a_vpconly_domain_needs(stack: SynthesizedStack):
    assert set(stack.variable("interface_endpoints")["default"]) == set(DEFAULT_INTERFACE_ENDPOINTS) == {
        "sagemaker.api", "sagemaker.runtime", "sts", "logs", "monitoring", "servicecatalog", "elasticmapreduce"}
