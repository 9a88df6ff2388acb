"""The EMR security configuration every product template launches its cluster with.

- At rest: EMRFS writes to S3 with SSE-KMS and the domain's key; local disks
  (instance store and EBS, root volume included from EMR 5.24) are encrypted
  with the same key.
- IMDSv2 only, hop limit 1: a process on a node must hold a session token to
  read the instance role's credentials (EMR components use IMDSv2 from EMR
  6.2, which ``emr_release_labels`` enforces).
- In transit: off. EMR needs a certificate provider (a PEM bundle in S3 or a
  custom class) to turn it on, which this platform does not manage; traffic
  between Studio and the cluster stays in the private subnets, admitted by
  the security groups of this domain only (Livy and HiveServer2 from Studio).

Created here rather than in each template so that the key ARN stays in
Terraform and the templates only name the configuration
(``security_configuration_name``, see ``emr_templates/README.md``).
"""
import json
from dataclasses import dataclass

from constructs import Construct
from cdktf_cdktf_provider_aws.emr_security_configuration import EmrSecurityConfiguration

from modules.emr_values import security_configuration
from modules.tf import count_when, one, quoted, string, template


@dataclass(frozen=True)
class EmrSecurityProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    """The domain name: the configuration is ``<name>-emr``."""
    enabled: str
    """Condition: false creates nothing."""
    kms_key_arn: str
    runtime_roles: str = "false"
    """Condition: EMR runtime roles exist (modules/emr_runtime_roles.py), so the clusters run each session
    with the role it names. Default: off."""


class EmrSecurity(Construct):
    """Exposes ``security_configuration_name`` (null without EMR) as a string token."""

    def __init__(self, scope: Construct, id: str, props: EmrSecurityProps) -> None:
        super().__init__(scope, id)
        configuration = EmrSecurityConfiguration(
            self, "configuration", count=count_when(props.enabled), name=quoted("{name}-emr", name=props.name),
            # Two documents, one chosen by the condition (JSON text, so both results have one type).
            configuration=template("{runtime_roles} ? {scoped} : {plain}", runtime_roles=props.runtime_roles,
                                   scoped=json.dumps(security_configuration(props.kms_key_arn, True)),
                                   plain=json.dumps(security_configuration(props.kms_key_arn))))
        self.security_configuration_name = string(one(configuration, "name"))
