"""moto's EC2 backend with AWS's refusals to delete what is still in use."""
from __future__ import annotations

from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models import EC2Backend


class EC2DependencyBackend(EC2Backend):
    """Refuses, as AWS does, to delete a subnet that still has network
    interfaces or a VPC that still has security groups other than its default;
    deletes a NAT gateway's network interface with the gateway."""

    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSubnet.html
    # "You must terminate all running instances in the subnet before you can
    # delete the subnet." AWS answers DependencyViolation "The subnet '<id>' has
    # dependencies and cannot be deleted." while any network interface (an
    # instance's, an EFS mount target's, an interface endpoint's) is in it.
    def delete_subnet(self, subnet_id: str):
        in_use = sorted(eni.id for eni in self.enis.values() if getattr(eni.subnet, "id", None) == subnet_id)
        if in_use:
            raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return super().delete_subnet(subnet_id)

    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html
    # "You must detach or delete all gateways and resources that are associated
    # with the VPC before you can delete it. For example, you must terminate all
    # instances running in the VPC, delete all security groups associated with
    # the VPC (except the default one), ..."
    def delete_vpc(self, vpc_id: str):
        groups = [g for g in self.describe_security_groups(filters={"vpc-id": [vpc_id]}) if g.name != "default"]
        if groups:
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return super().delete_vpc(vpc_id)

    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNatGateway.html
    # "Deleting a public NAT gateway disassociates its Elastic IP address, but
    # does not release the address"; the gateway's network interface goes with
    # it (moto keeps it, which would now hold the subnet).
    def delete_nat_gateway(self, nat_gateway_id: str):
        gateway = super().delete_nat_gateway(nat_gateway_id)
        eni = getattr(gateway, "_eni", None)
        if eni is not None and eni.id in self.enis:
            address = next((a for a in self.addresses if a.eni is eni), None)
            if address is not None:
                address.eni = None
                address.association_id = None
            self.enis.pop(eni.id, None)
        return gateway
