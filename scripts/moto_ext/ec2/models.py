"""moto's EC2 backend with AWS's refusals to delete what is still in use."""
from __future__ import annotations

from moto.ec2.exceptions import DependencyViolationError, InvalidSecurityGroupRuleIdNotFoundError
from moto.ec2.models import EC2Backend


class EC2DependencyBackend(EC2Backend):
    """Refuses, as AWS does, to delete a subnet that still has network
    interfaces or a VPC that still has security groups other than its default;
    deletes a NAT gateway's network interface with the gateway; answers a revoke
    of a rule id the group does not have with AWS's error code for it."""

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

    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
    # "InvalidSecurityGroupRuleId.NotFound: The specified security group rule does
    # not exist." RevokeSecurityGroupIngress/Egress by SecurityGroupRuleIds
    # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html)
    # answer it for an id the group does not have, and revoke nothing; moto answers
    # InvalidPermission.NotFound, AWS's code for rule *properties* that match no rule.
    # The provider tells them apart: deleting a group with revoke_rules_on_delete
    # revokes by id the rules that reference it and skips those already gone
    # (InvalidSecurityGroupRuleId.NotFound), as the rules' own resources, destroyed
    # at the same time, may have removed them first.
    def revoke_security_group_ingress(self, group_name_or_id, *args, security_rule_ids=None, vpc_id=None,
                                      **kwargs):
        self._known_rule_ids(group_name_or_id, vpc_id, security_rule_ids, egress=False)
        return super().revoke_security_group_ingress(group_name_or_id, *args, security_rule_ids=security_rule_ids,
                                                     vpc_id=vpc_id, **kwargs)

    def revoke_security_group_egress(self, group_name_or_id, *args, security_rule_ids=None, vpc_id=None,
                                     **kwargs):
        self._known_rule_ids(group_name_or_id, vpc_id, security_rule_ids, egress=True)
        return super().revoke_security_group_egress(group_name_or_id, *args, security_rule_ids=security_rule_ids,
                                                    vpc_id=vpc_id, **kwargs)

    def _known_rule_ids(self, group_name_or_id, vpc_id, rule_ids, egress: bool) -> None:
        group = self.get_security_group_by_name_or_id(group_name_or_id, vpc_id) if rule_ids else None
        if group is None:
            return  # no ids, or no such group: moto's own answer
        have = {rule.id for rule in (group.egress_rules if egress else group.ingress_rules)}
        for rule_id in rule_ids:
            if rule_id not in have:
                raise InvalidSecurityGroupRuleIdNotFoundError(rule_id)
