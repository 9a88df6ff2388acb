"""Security groups of Studio, the VPC endpoints and EMR, and the rules between them.

Seed step 3.2.1 gives Studio a group that admits all traffic from itself;
seed 3.6 shows why the EMR master must admit Studio (Livy, 8998). EMR in a
private subnet also needs a service-access group (9443 from the master;
master and core admit 8443 from it). Rules are separate resources, each with
a description, so that the rules EMR adds to its managed groups at run time
never show up as drift.

No rule admits traffic from 0.0.0.0/0. Egress is what each group needs: AWS
services through the VPC endpoints and S3 (its managed prefix list), the
peers it talks to, and HTTPS to the internet (through the NAT) only where a
reason is given beside the rule. EMR adds the inbound rules its clusters need
to its managed groups; it does not add outbound ones to custom groups.
"""
from dataclasses import dataclass
from typing import Optional

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.data_aws_ec2_managed_prefix_list import DataAwsEc2ManagedPrefixList
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from modules.network import EMR_MANAGED_TAG
from modules.account import StackContext
from modules.tf import (
    Expression, count_when, data_address, expr, expr_map, one, quoted, skip_checks, string, string_map, template)

ANYWHERE = "0.0.0.0/0"
LIVY_PORT = 8998
HIVESERVER2_PORT = 10000
EMR_SERVICE_ACCESS_PORT = 9443
EMR_MANAGED_PORT = 8443
HTTPS_PORT = 443
HTTP_PORT = 80
EMR_CLUSTERS = "the EMR clusters that Service Catalog launches from the product templates"


@dataclass(frozen=True)
class PrefixList:
    """A rule peer: a managed prefix list (an expression of its id)."""

    id: str


@dataclass(frozen=True)
class SecurityGroupsProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    """Prefix of the group names (the domain name)."""
    vpc_id: str
    emr_enabled: str
    """Condition: false leaves out the EMR groups and every rule that names them."""
    studio_internet_access: str
    """Condition: true lets Studio reach the internet over HTTPS (through the NAT)."""
    emr_serverless_enabled: Expression = "false"
    """Condition: true adds the EMR Serverless applications' group and its rules. Default: none."""
    studio_cidrs: Optional[str] = None
    """Default None: Studio is in this VPC (the Studio group). A list expression of CIDRs: Studio is
    another account's domain reached over a peering or a shared VPC (modules/emr_account.py): no Studio
    or endpoint groups here; the master admits Livy and HiveServer2 from those CIDRs."""


@dataclass(frozen=True)
class Cidrs:
    """A rule peer: a list expression of IPv4 CIDRs (one rule each)."""

    cidrs: str


class SecurityGroups(Construct):
    """Exposes the group ids as string tokens: ``studio``, ``endpoints``,
    ``emr_master``, ``emr_core``, ``emr_service_access`` (null without EMR),
    ``emr_serverless`` (null without EMR Serverless applications)."""

    def __init__(self, scope: Construct, id: str, props: SecurityGroupsProps) -> None:
        super().__init__(scope, id)
        self._props = props
        always, with_emr = None, count_when(props.emr_enabled)

        local_studio = props.studio_cidrs is None
        studio = self._group("studio", "SageMaker Studio apps of the domain", always,
                             attached_by="the SageMaker domain and user profiles (default user settings)"
                             ) if local_studio else None
        endpoints = self._group("endpoints", "Interface VPC endpoints used by Studio and EMR",
                                always) if local_studio else None
        master = self._group("emr-master", "EMR master nodes", with_emr, emr=True, attached_by=EMR_CLUSTERS)
        core = self._group("emr-core", "EMR core and task nodes", with_emr, emr=True, attached_by=EMR_CLUSTERS)
        service = self._group("emr-service-access", "EMR service access in private subnets", with_emr, emr=True,
                              attached_by=EMR_CLUSTERS)
        absent = string("null")  # a group this stack leaves out
        self.studio, self.endpoints = ((string(one(studio, "id")), string(one(endpoints, "id"))) if local_studio
                                       else (absent, absent))
        self.emr_master, self.emr_core = string(one(master, "id")), string(one(core, "id"))
        self.emr_service_access = string(one(service, "id"))
        # The three EMR-managed groups as one map (an output of both stacks).
        self.emr_group_ids = string_map(template(
            "{{master = {master}, core = {core}, service_access = {service_access}}}", master=self.emr_master,
            core=self.emr_core, service_access=self.emr_service_access))
        # A stack that never has applications (the emr-account stack) gets neither the group nor its rules.
        has_serverless = props.emr_serverless_enabled != "false"
        with_serverless = count_when(props.emr_serverless_enabled)
        serverless = self._group("emr-serverless", "EMR Serverless application workers",
                                 with_serverless) if has_serverless else None
        self.emr_serverless = string(one(serverless, "id")) if has_serverless else absent
        # S3's addresses in this region, whichever way S3 is reached (gateway endpoint or NAT).
        s3_list = DataAwsEc2ManagedPrefixList(
            self, "s3", name=quoted("com.amazonaws.{region}.s3", region=StackContext.of(self).region))
        s3 = PrefixList(f"{data_address(s3_list)}.id")
        internet = count_when(props.studio_internet_access)

        rules = [
            # (id, group, direction, protocol, port, peer: a group, a PrefixList or None for ANYWHERE,
            #  description, count)
            ("studio_from_self", self.studio, "in", "-1", None, self.studio,
             "Studio apps talk to each other and to the domain's EFS (seed: all traffic from itself)", always),
            ("studio_to_self", self.studio, "out", "-1", None, self.studio,
             "Studio apps talk to each other and to the domain's EFS", always),
            ("studio_to_endpoints", self.studio, "out", "tcp", HTTPS_PORT, self.endpoints,
             "HTTPS to the AWS service endpoints in the VPC", always),
            ("studio_to_s3", self.studio, "out", "tcp", HTTPS_PORT, s3,
             "HTTPS to S3 (platform buckets, SageMaker's buckets) through the gateway endpoint", always),
            # Why 0.0.0.0/0: pip, conda and git hosts have no fixed addresses; the
            # NAT is the only way out, and studio_internet_access = false removes it.
            ("studio_to_internet", self.studio, "out", "tcp", HTTPS_PORT, None,
             "HTTPS to package indexes and git hosts through the NAT (studio_internet_access)", internet),
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
            ("master_to_master", self.emr_master, "out", "-1", None, self.emr_master,
             "EMR cluster traffic between master nodes", with_emr),
            ("master_to_core", self.emr_master, "out", "-1", None, self.emr_core,
             "EMR cluster traffic from master to core and task nodes (YARN, HDFS, Spark)", with_emr),
            ("core_to_master", self.emr_core, "out", "-1", None, self.emr_master,
             "EMR cluster traffic from core and task nodes to the master (YARN, HDFS, Spark)", with_emr),
            ("core_to_core", self.emr_core, "out", "-1", None, self.emr_core,
             "EMR cluster traffic between core and task nodes (HDFS, shuffle)", with_emr),
            ("master_to_service_access", self.emr_master, "out", "tcp", EMR_SERVICE_ACCESS_PORT,
             self.emr_service_access, "EMR master reaches the EMR service through the service-access group",
             with_emr),
            # Amazon Linux 2 (EMR 6.x) may fetch its yum repositories over plain
            # HTTP (its yum awsproto setting); those live in S3, so HTTP goes to S3 only.
            ("master_to_s3_http", self.emr_master, "out", "tcp", HTTP_PORT, s3,
             "Amazon Linux yum repositories in S3 (plain HTTP) through the gateway endpoint", with_emr),
            ("core_to_s3_http", self.emr_core, "out", "tcp", HTTP_PORT, s3,
             "Amazon Linux yum repositories in S3 (plain HTTP) through the gateway endpoint", with_emr),
            # Why 0.0.0.0/0: EMR nodes call AWS APIs that have no endpoint in the VPC
            # (KMS, Glue, CloudWatch, the EMR control plane) and the bootstrap
            # script installs from PyPI, all through the NAT; HTTPS only.
            ("master_to_https", self.emr_master, "out", "tcp", HTTPS_PORT, None,
             "HTTPS to S3, AWS APIs and PyPI (bootstrap script) through the endpoints and the NAT", with_emr),
            ("core_to_https", self.emr_core, "out", "tcp", HTTPS_PORT, None,
             "HTTPS to S3, AWS APIs and PyPI (bootstrap script) through the endpoints and the NAT", with_emr),
            # EMR Serverless workers only open connections (AWS blocks inbound to them: EMR Serverless
            # User Guide, "Configuring VPC access"); Studio reaches them through the Livy endpoint, not
            # this group.
            ("serverless_to_endpoints", self.emr_serverless, "out", "tcp", HTTPS_PORT, self.endpoints,
             "HTTPS from EMR Serverless workers to the AWS service endpoints", with_serverless),
            ("serverless_to_s3", self.emr_serverless, "out", "tcp", HTTPS_PORT, s3,
             "HTTPS to S3 (data, logs) through the gateway endpoint", with_serverless),
            # Why 0.0.0.0/0: Spark on the workers calls AWS APIs that have no endpoint in the VPC
            # (Glue Data Catalog, KMS, CloudWatch, STS of other regions) through the NAT; HTTPS only.
            ("serverless_to_https", self.emr_serverless, "out", "tcp", HTTPS_PORT, None,
             "HTTPS to AWS APIs without an endpoint in the VPC (Glue, KMS) through the NAT", with_serverless),
            ("endpoints_from_serverless", self.endpoints, "in", "tcp", HTTPS_PORT, self.emr_serverless,
             "HTTPS from EMR Serverless workers to the AWS service endpoints", with_serverless),
        ]
        # The rules of a group this stack leaves out (Studio's and the endpoints' in the emr-account stack,
        # EMR Serverless's without applications) go with it.
        rules = [r for r in rules if absent not in (r[1], r[5])]
        if not local_studio:
            remote = Cidrs(props.studio_cidrs)
            rules = rules + [
                ("master_from_studio_cidrs_livy", self.emr_master, "in", "tcp", LIVY_PORT, remote,
                 "Livy from the Studio subnets of another account's domain (peering or shared VPC)", with_emr),
                ("master_from_studio_cidrs_hive", self.emr_master, "in", "tcp", HIVESERVER2_PORT, remote,
                 "HiveServer2 from the Studio subnets of another account's domain", with_emr)]
        for rule in rules:
            self._rule(*rule)

    def _group(self, suffix: str, description: str, count: Optional[float], emr: bool = False,
               attached_by: Optional[str] = None) -> SecurityGroup:
        name = quoted("{name}-" + suffix, name=self._props.name)
        group = SecurityGroup(
            self, suffix, count=count, name=name, description=description, vpc_id=expr(self._props.vpc_id),
            # EMR adds rules between its managed groups; revoke them so destroy can delete the groups.
            revoke_rules_on_delete=emr,
            tags={"Name": name, **(EMR_MANAGED_TAG if emr else {})})
        if attached_by:
            skip_checks(group, {"CKV2_AWS_5": f"Attached outside this Terraform graph, by {attached_by}, "
                                              "which the scanner cannot follow."})
        return group

    def _rule(self, id: str, group: str, direction: str, protocol: str, port: Optional[int],
              peer, description: str, count: Optional[float]) -> None:
        """``peer``: a group id expression, a ``PrefixList``, ``Cidrs``, or None for 0.0.0.0/0 (egress only)."""
        if peer is None and direction == "in":
            raise ValueError(f"{id}: no ingress from {ANYWHERE}")
        kwargs = dict(
            count=count, security_group_id=expr(group), ip_protocol=protocol, description=description,
            tags={"Name": id.replace("_", "-")})
        if port is not None:
            kwargs.update(from_port=port, to_port=port)
        if isinstance(peer, Cidrs):  # one rule per CIDR, while EMR is on (``count`` is with_emr's)
            del kwargs["count"]
            kwargs.update(for_each=TerraformIterator.from_map(expr_map(
                f"{{for c in {peer.cidrs} : c => c if {self._props.emr_enabled}}}")),
                          cidr_ipv4=expr("each.value"),
                          tags={"Name": quoted(id.replace("_", "-") + "-{key}", key="each.key")})
        elif peer is None:
            kwargs["cidr_ipv4"] = ANYWHERE
        elif isinstance(peer, PrefixList):
            kwargs["prefix_list_id"] = expr(peer.id)
        else:
            kwargs["referenced_security_group_id"] = expr(peer)
        rule_class = VpcSecurityGroupIngressRule if direction == "in" else VpcSecurityGroupEgressRule
        rule_class(self, id, **kwargs)
