"""Facts about the AWS account and partition the stack is planned against."""
from constructs import Construct
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition

from modules.tf import data_address


class AccountContext(Construct):
    """Exposes ``account_id`` and ``partition`` (expressions)."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.account_id = f"{data_address(DataAwsCallerIdentity(self, 'caller'))}.account_id"
        self.partition = f"{data_address(DataAwsPartition(self, 'partition'))}.partition"
