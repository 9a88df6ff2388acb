"""VPC endpoints that let a VpcOnly domain reach AWS APIs without the internet.

An S3 gateway endpoint on the private route tables, and one interface
endpoint with private DNS per service in the ``interface_endpoints`` input,
in the private subnets behind the endpoint security group (443 from Studio
and EMR).

The S3 endpoint's policy is a perimeter: S3 traffic of the private subnets
reaches only this domain's buckets, the SageMaker SDK's default bucket of the
account, the buckets in ``allowed_s3_buckets``, and (read-only) the AWS-owned
buckets Studio and EMR need. Those are documented in the EMR Management
Guide, "Sample policies for private subnets that access Amazon S3": the
Amazon Linux 2 / 2023 and EMR repositories, EMR's regional bucket and EMR 8's
instance data buckets; and for Studio: ECR's layer bucket (custom images)
and JumpStart's model cache. IAM still decides who may use what.
"""
from dataclasses import dataclass
from typing import Sequence, Tuple

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from modules.account import StackContext
from modules.policy import Statement, document
from modules.tf import (
    checked, count_when, expr, expr_list, expr_map, list_template, quoted, string, string_list, template, Expression)


@dataclass(frozen=True)
class VpcEndpointsProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    vpc_id: str
    private_subnet_ids: str
    private_route_table_ids: str
    """List; empty: no S3 gateway endpoint (an existing VPC without route tables given)."""
    security_group_id: str
    interface_services: str
    """List of service names after ``com.amazonaws.<region>.``, e.g. sagemaker.api."""
    platform_bucket_arns: Expression
    """List of the ARNs of the domain's buckets that Studio and EMR use."""
    allowed_buckets: str
    """List of other bucket names Studio and EMR may reach."""
    subnet_rules: Sequence[Tuple[str, str]] = ()
    """(condition, message) the subnets must meet before the interface endpoints are planned. Default: none."""


# What Studio and EMR do with objects: no bucket configuration (policies, ACLs,
# lifecycle) changes through the endpoint.
DATA_ACTIONS = (
    "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectTagging",
    "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging")
# AWS-owned buckets Studio and EMR read through the endpoint; {r} is the region.
AWS_OWNED_BUCKETS = (
    "repo.{r}.emr.amazonaws.com",            # EMR repository (EMR 5.22 and later)
    "amazonlinux.{r}.amazonaws.com",         # Amazon Linux 2 repositories (EMR 5.30 to 6.15)
    "amazonlinux-2-repos-{r}",
    "al2023-repos-{r}-de612dc2",             # Amazon Linux 2023 repository (EMR 7)
    "{r}.elasticmapreduce",                  # EMR's regional bucket (step and bootstrap tools)
    "aws157-instance-data-*-prod-{r}",       # EMR 8 instance data
    "prod-{r}-starport-layer-bucket",        # ECR image layers (Studio custom images)
    "jumpstart-cache-prod-{r}",              # SageMaker JumpStart models and notebooks
)


def s3_endpoint_policy(context, platform_bucket_arns: str, allowed_buckets: str) -> str:
    """The S3 gateway endpoint's policy document (a JSON template Terraform fills in); ``context``:
    the stack's (``StackContext``: partition, account_id, region)."""
    arn = f"arn:{context.partition}:s3:::"
    sdk_bucket = dict(partition=context.partition, region=context.region, account=context.account_id)
    b = string("b")  # the for expressions' bucket
    # One list computed by Terraform: each platform bucket and each allowed bucket with its objects.
    buckets = list_template(
        "concat(flatten([for b in {platform} : [b, {objects}]]), [{sdk}, {sdk_objects}], "
        "flatten([for b in {allowed} : [{bucket}, {bucket_objects}]]))",
        platform=platform_bucket_arns, objects=quoted("{b}/*", b=b),
        sdk=quoted("arn:{partition}:s3:::sagemaker-{region}-{account}", **sdk_bucket),
        sdk_objects=quoted("arn:{partition}:s3:::sagemaker-{region}-{account}/*", **sdk_bucket),
        allowed=string_list(allowed_buckets),
        bucket=quoted("arn:{partition}:s3:::{b}", partition=context.partition, b=b),
        bucket_objects=quoted("arn:{partition}:s3:::{b}/*", partition=context.partition, b=b))
    return document(
        Statement("DomainAndAllowedBuckets", DATA_ACTIONS, buckets, principal="*"),
        Statement("AwsOwnedBucketsReadOnly", "s3:GetObject",
                  [f"{arn}{name.format(r=context.region)}/*" for name in AWS_OWNED_BUCKETS], principal="*"))


class VpcEndpoints(Construct):
    def __init__(self, scope: Construct, id: str, props: VpcEndpointsProps) -> None:
        super().__init__(scope, id)
        context = StackContext.of(self)
        region = context.region
        VpcEndpoint(
            self, "s3", count=count_when(template("length({tables}) > 0", tables=props.private_route_table_ids)),
            vpc_id=expr(props.vpc_id), vpc_endpoint_type="Gateway",
            service_name=quoted("com.amazonaws.{region}.s3", region=region),
            route_table_ids=expr_list(props.private_route_table_ids),
            policy=s3_endpoint_policy(context, props.platform_bucket_arns, props.allowed_buckets),
            tags={"Name": quoted("{name}-s3", name=props.name)})

        services = TerraformIterator.from_map(expr_map(f"{{for s in {props.interface_services} : s => s}}"))
        VpcEndpoint(
            self, "interface", for_each=services,
            vpc_id=expr(props.vpc_id), vpc_endpoint_type="Interface", private_dns_enabled=True,
            service_name=quoted("com.amazonaws.{region}.{service}", region=region, service="each.key"),
            subnet_ids=expr_list(props.private_subnet_ids),
            security_group_ids=[expr(props.security_group_id)],
            tags={"Name": quoted("{name}-{service}", name=props.name, service="each.key")},
            lifecycle=checked(pre=props.subnet_rules))
