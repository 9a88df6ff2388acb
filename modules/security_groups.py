"""Security groups of Studio, the VPC endpoints and EMR, and the rules between them.

Seed step 3.2.1 gives Studio a group that admits all traffic from itself;
seed 3.6 shows why the EMR master must admit Studio (Livy, 8998). EMR in a
private subnet also needs a service-access group (9443 from the master;
master and core admit 8443 from it). Rules are separate resources, each with
a description, so that the rules EMR adds to its managed groups at run time
never show up as drift.
"""
from dataclasses import dataclass
from typing import Optional

from constructs import Construct
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from modules.network import EMR_MANAGED_TAG
from modules.tf import count_when, expr, one

ANYWHERE = "0.0.0.0/0"
LIVY_PORT = 8998
HIVESERVER2_PORT = 10000
EMR_SERVICE_ACCESS_PORT = 9443
EMR_MANAGED_PORT = 8443
HTTPS_PORT = 443


@dataclass(frozen=True)
class SecurityGroupsProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    """Prefix of the group names (the domain name)."""
    vpc_id: str
    emr_enabled: str
    """Condition: false leaves out the EMR groups and every rule that names them."""


class SecurityGroups(Construct):
    """Exposes the group ids as expressions: ``studio``, ``endpoints``,
    ``emr_master``, ``emr_core``, ``emr_service_access`` (null without EMR)."""

    def __init__(self, scope: Construct, id: str, props: SecurityGroupsProps) -> None:
        super().__init__(scope, id)
        self._props = props
        always, with_emr = None, count_when(props.emr_enabled)

        studio = self._group("studio", "SageMaker Studio apps of the domain", always)
        endpoints = self._group("endpoints", "Interface VPC endpoints used by Studio and EMR", always)
        master = self._group("emr-master", "EMR master nodes", with_emr, emr=True)
        core = self._group("emr-core", "EMR core and task nodes", with_emr, emr=True)
        service = self._group("emr-service-access", "EMR service access in private subnets", with_emr, emr=True)
        self.studio, self.endpoints = one(studio, "id"), one(endpoints, "id")
        self.emr_master, self.emr_core = one(master, "id"), one(core, "id")
        self.emr_service_access = one(service, "id")

        rules = [
            # (id, group, direction, protocol, port, peer group or None for ANYWHERE, description, count)
            ("studio_from_self", self.studio, "in", "-1", None, self.studio,
             "Studio apps talk to each other and to the domain's EFS (seed: all traffic from itself)", always),
            ("studio_to_self", self.studio, "out", "-1", None, self.studio,
             "Studio apps talk to each other and to the domain's EFS", always),
            ("studio_to_https", self.studio, "out", "tcp", HTTPS_PORT, None,
             "HTTPS to AWS APIs (VPC endpoints) and package indexes (NAT)", always),
            ("studio_to_livy", self.studio, "out", "tcp", LIVY_PORT, self.emr_master,
             "Livy on the EMR master (sparkmagic sessions)", with_emr),
            ("studio_to_hive", self.studio, "out", "tcp", HIVESERVER2_PORT, self.emr_master,
             "HiveServer2 on the EMR master", with_emr),
            ("endpoints_from_studio", self.endpoints, "in", "tcp", HTTPS_PORT, self.studio,
             "HTTPS from Studio apps to the AWS service endpoints", always),
            ("endpoints_from_emr_master", self.endpoints, "in", "tcp", HTTPS_PORT, self.emr_master,
             "HTTPS from EMR master nodes to the AWS service endpoints", with_emr),
            ("endpoints_from_emr_core", self.endpoints, "in", "tcp", HTTPS_PORT, self.emr_core,
             "HTTPS from EMR core nodes to the AWS service endpoints", with_emr),
            ("master_from_studio_livy", self.emr_master, "in", "tcp", LIVY_PORT, self.studio,
             "Livy from Studio (seed 3.6: Cannot connect to livy service)", with_emr),
            ("master_from_studio_hive", self.emr_master, "in", "tcp", HIVESERVER2_PORT, self.studio,
             "HiveServer2 from Studio", with_emr),
            ("master_from_service_access", self.emr_master, "in", "tcp", EMR_MANAGED_PORT,
             self.emr_service_access, "EMR service reaches the master through the service-access group",
             with_emr),
            ("core_from_service_access", self.emr_core, "in", "tcp", EMR_MANAGED_PORT, self.emr_service_access,
             "EMR service reaches core nodes through the service-access group", with_emr),
            ("service_access_from_master", self.emr_service_access, "in", "tcp", EMR_SERVICE_ACCESS_PORT,
             self.emr_master, "EMR master reaches the EMR service (required in private subnets)", with_emr),
            ("service_access_to_master", self.emr_service_access, "out", "tcp", EMR_MANAGED_PORT,
             self.emr_master, "EMR service access to the master", with_emr),
            ("service_access_to_core", self.emr_service_access, "out", "tcp", EMR_MANAGED_PORT,
             self.emr_core, "EMR service access to core nodes", with_emr),
            ("master_to_anywhere", self.emr_master, "out", "-1", None, None,
             "EMR nodes reach S3, the EMR service and package repositories (NAT)", with_emr),
            ("core_to_anywhere", self.emr_core, "out", "-1", None, None,
             "EMR nodes reach S3, the EMR service and package repositories (NAT)", with_emr),
        ]
        for rule in rules:
            self._rule(*rule)

    def _group(self, suffix: str, description: str, count: Optional[float], emr: bool = False) -> SecurityGroup:
        name = expr(f'"${{{self._props.name}}}-{suffix}"')
        return SecurityGroup(
            self, suffix, count=count, name=name, description=description, vpc_id=expr(self._props.vpc_id),
            # EMR adds rules between its managed groups; revoke them so destroy can delete the groups.
            revoke_rules_on_delete=emr,
            tags={"Name": name, **(EMR_MANAGED_TAG if emr else {})})

    def _rule(self, id: str, group: str, direction: str, protocol: str, port: Optional[int],
              peer: Optional[str], description: str, count: Optional[float]) -> None:
        kwargs = dict(
            count=count, security_group_id=expr(group), ip_protocol=protocol, description=description,
            tags={"Name": id.replace("_", "-")})
        if port is not None:
            kwargs.update(from_port=port, to_port=port)
        if peer is None:
            kwargs["cidr_ipv4"] = ANYWHERE
        else:
            kwargs["referenced_security_group_id"] = expr(peer)
        rule_class = VpcSecurityGroupIngressRule if direction == "in" else VpcSecurityGroupEgressRule
        rule_class(self, id, **kwargs)
