"""EC2: the dependency refusals of DeleteSubnet and DeleteVpc that moto lacks.

SageMaker leaves a home EFS (a network interface per mount target) and two NFS
security groups in the domain's VPC; on AWS they stop a destroy at the subnets
and the VPC (hashicorp/terraform-provider-aws#20986). moto deletes both
regardless, so without this the platform's teardown is never exercised.
"""
from moto.ec2.models import ec2_backends

from scripts.moto_ext import build_with
from scripts.moto_ext.ec2.models import EC2DependencyBackend


def install() -> None:
    build_with(ec2_backends, EC2DependencyBackend)
