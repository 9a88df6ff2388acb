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
    # EMR Serverless's API and Livy endpoints join the list while the workspace has applications
    # (PrivateLink service names com.amazonaws.<region>.emr-serverless and ...emr-serverless-services.livy).
    assert interface["for_each"] == (
        '${{for s in distinct(concat(var.interface_endpoints, length(var.emr_serverless_applications) > 0 ? '
        '["emr-serverless", "emr-serverless-services.livy"] : [])) : s => s}}')
    assert interface["private_dns_enabled"] is True
    assert interface["subnet_ids"] == "${local.network_private_subnet_ids}"
    sg = stack.address("aws_security_group", "security_groups/endpoints")
    assert interface["security_group_ids"] == [f"${{one({sg}[*].id)}}"]


def test_default_services_are_those_a_vpconly_domain_needs(stack: SynthesizedStack):
    assert set(stack.variable("interface_endpoints")["default"]) == set(DEFAULT_INTERFACE_ENDPOINTS) == {
        "sagemaker.api", "sagemaker.runtime", "sts", "logs", "monitoring", "servicecatalog", "elasticmapreduce"}


def test_s3_endpoint_policy_admits_only_domain_configured_and_aws_owned_buckets(stack: SynthesizedStack):
    from modules.vpc_endpoints import AWS_OWNED_BUCKETS, DATA_ACTIONS
    text = stack.resource("aws_vpc_endpoint", "endpoints/s3")["policy"]
    # The bucket list is computed by Terraform: the platform buckets (with their
    # objects), the SDK's default bucket and allowed_s3_buckets.
    buckets = text.split('"Resource": ', 1)[1].split("\n", 1)[0]
    for purpose in ("artifacts", "data"):
        assert f"{stack.address('aws_s3_bucket', f'storage/{purpose}')}.arn" in buckets
    assert "storage_logs" not in buckets  # only S3 itself writes access logs
    assert "for b in var.allowed_s3_buckets" in buckets and ":s3:::sagemaker-${var.region}-" in buckets
    assert sorted(DATA_ACTIONS) == list(DATA_ACTIONS) and "s3:*" not in text
    assert not {"s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucket"} & set(DATA_ACTIONS)
    for bucket in AWS_OWNED_BUCKETS:
        assert bucket.format(r="${var.region}") + '/*"' in text
    assert '"Action": "s3:GetObject"' in text  # the AWS-owned buckets are read-only
    assert '"Resource": "*"' not in text
