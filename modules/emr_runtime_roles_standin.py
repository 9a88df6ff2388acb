"""STAND-IN for issue 12 part 1's ``modules/emr_runtime_roles.py`` (helper A's branch), with the
interface agreed for part 2: ``EmrRuntimeRoles(scope, id, props)`` exposing ``role_arns`` (map
expression name => ARN) and taking ``serverless_role_names`` (list expression of the runtime roles EMR
Serverless applications use, whose trust allows ``emr-serverless.amazonaws.com``).

It makes only what part 2 needs to run end to end: one role per ``emr_runtime_roles`` key, trusting
EMR Serverless, without data permissions. At merge: delete this file and the stand-in input
(``STAND_IN_RUNTIME_ROLES`` in modules/inputs.py) and import part 1's construct in main.py.
"""
import json
from dataclasses import dataclass

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.iam_role import IamRole

from modules.tf import address, expr, expr_map


@dataclass(frozen=True)
class EmrRuntimeRolesProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name_prefix: str
    roles: str
    """The ``emr_runtime_roles`` input (map: name => data permissions; only the names are read here)."""
    account_id: str
    permissions_boundary_arn: str
    serverless_role_names: str = "[]"
    """List of the runtime-role names EMR Serverless applications use. Default: none."""


class EmrRuntimeRoles(Construct):
    """Exposes ``role_arns``: map expression name => role ARN."""

    def __init__(self, scope: Construct, id: str, props: EmrRuntimeRolesProps) -> None:
        super().__init__(scope, id)
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "emr-serverless.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": f"${{{props.account_id}}}"}}}]}
        roles = TerraformIterator.from_map(expr_map(
            f"{{for n in {props.serverless_role_names} : n => n if contains(keys({props.roles}), n)}}"))
        role = IamRole(self, "role", for_each=roles, name=expr(f'"${{{props.name_prefix}}}-rt-${{each.key}}"'),
                       description="EMR runtime role (stand-in of issue 12 part 1)",
                       assume_role_policy=json.dumps(trust, indent=2),
                       permissions_boundary=expr(props.permissions_boundary_arn))
        self.role_arns = f"{{for n, r in {address(role)} : n => r.arn}}"
