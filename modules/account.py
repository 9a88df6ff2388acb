"""The stack's context: partition, account and region, found from any construct of the stack.

Like aws-cdk-lib's ``Stack.of(scope).partition``: a construct reads them with
``StackContext.of(self)`` instead of taking them as props.
"""

from constructs import Construct
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition

from modules.tf import string


class StackContext(Construct):
    """Exposes ``partition``, ``account_id`` (of the credentials the stack is planned with) and
    ``region`` (the provider's), as string tokens. One per stack, declared before the constructs
    that read it."""

    def __init__(self, scope: Construct, id: str, region: str) -> None:
        """``region``: the bare expression of the stack's region (e.g. ``var.region``)."""
        super().__init__(scope, id)
        stack = TerraformStack.of(self)
        if getattr(stack, "_stack_context", None) is not None:
            raise ValueError(f"{stack.node.path} has a StackContext already ({stack._stack_context.node.path})")
        stack._stack_context = self
        self.account_id = DataAwsCallerIdentity(self, "caller").account_id
        self.partition = DataAwsPartition(self, "partition").partition
        self.region = string(region)

    @staticmethod
    def of(scope: Construct) -> "StackContext":
        """The context of the stack ``scope`` belongs to."""
        stack = TerraformStack.of(scope)
        context = getattr(stack, "_stack_context", None)
        if context is None:
            raise LookupError(
                f"{scope.node.path}: stack {stack.node.path} declares no StackContext "
                "(modules/account.py); declare it before the constructs that read it"
            )
        return context
