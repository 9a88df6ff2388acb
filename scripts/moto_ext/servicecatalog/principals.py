"""Who is calling, as AWS decides it: from the request's credentials.

Service Catalog's end-user operations answer for the caller's IAM principal:
a portfolio's products are visible to (and launchable by) the principals
associated with it. moto's STS hands out temporary access keys whose IAM
record carries the assumed role's ARN (``AccessKey.role_arn``); long-term keys
belong to IAM users. Credentials moto never issued (the emulator's default
``testing`` key) resolve to no principal: such a caller sees no product, as
an identity without a portfolio association would on AWS.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

PRINCIPAL_TYPES = ("IAM", "IAM_PATTERN")
# arn:<partition>:iam::<account>:<user|role|group>/[path/]name
_IAM_ARN = re.compile(r"^arn:[a-z-]+:iam::(?P<account>\d{12})?:(?:user|role|group)/.+$")


@dataclass(frozen=True)
class Caller:
    """The caller of a request: its session ARN (what GetCallerIdentity says)
    and the IAM ARNs a principal association may name (role or user, and the
    user's groups)."""

    session_arn: str
    iam_arns: tuple[str, ...] = field(default_factory=tuple)

    @property
    def user_arn(self) -> str:
        """The IAM identity behind the session (AWS's ``UserArn``)."""
        return self.iam_arns[0] if self.iam_arns else self.session_arn


def caller_from_access_key(access_key_id: str, account_id: str, region_name: str) -> Caller:
    partition = get_partition(region_name)
    sts = sts_backends[account_id][partition]
    assumed = sts.get_assumed_role_from_access_key(access_key_id)
    if assumed is not None:
        return Caller(session_arn=assumed.arn, iam_arns=(assumed.role_arn,))
    iam = iam_backends[account_id][partition]
    user = iam.get_user_from_access_key_id(access_key_id)
    if user is not None:
        groups = tuple(g.arn for g in iam.get_groups_for_user(user.name))
        return Caller(session_arn=user.arn, iam_arns=(user.arn, *groups))
    return Caller(session_arn=f"arn:{partition}:iam::{account_id}:root")


def principal_arn_error(principal_arn: str, principal_type: str) -> str | None:
    """Why AWS would refuse this principal, or None: IAM needs a full IAM ARN,
    IAM_PATTERN one without an account id (it matches in any account)."""
    if principal_type not in PRINCIPAL_TYPES:
        return f"PrincipalType must be one of {', '.join(PRINCIPAL_TYPES)}"
    match = _IAM_ARN.match(principal_arn)
    if not match:
        return f"Invalid PrincipalARN: {principal_arn}"
    if principal_type == "IAM" and not match.group("account"):
        return "PrincipalARN of type IAM must include the account id"
    if principal_type == "IAM_PATTERN" and match.group("account"):
        return "PrincipalARN of type IAM_PATTERN must not include an account id"
    return None


def principal_matches(caller: Caller, principal_arn: str, principal_type: str) -> bool:
    """Whether an association (ARN, type) grants ``caller`` access."""
    if principal_type == "IAM":
        return principal_arn in caller.iam_arns
    # IAM_PATTERN: wildcards in path and name, account left out of the pattern.
    for arn in caller.iam_arns:
        parts = arn.split(":", 5)
        without_account = ":".join(parts[:4] + ["", parts[5]])
        if fnmatch.fnmatchcase(without_account, principal_arn):
            return True
    return False
