"""Terraform expression helpers shared by the constructs.

The platform stack is synthesized once and serves every workspace, so whether
a resource exists (``count``), how many there are (``for_each``) and most of
their arguments are Terraform expressions of the workspace's variables, not
Python decisions. Constructs therefore pass each other *bare Terraform
expressions* (``"var.region"``, ``"local.network_vpc_id"``,
``"aws_iam_role.x.arn"``) and wrap them with the helpers below where a
resource argument takes them. Keeping this in one module keeps a later move
from CDKTF to CDK Terrain a small change.
"""
from constructs import Construct
from cdktf import TerraformDataSource, TerraformLocal, TerraformResource, Token


def address(resource: TerraformResource) -> str:
    """The Terraform address of a resource, e.g. ``aws_vpc.network_vpc_1A2B3C``."""
    return f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"


def data_address(source: TerraformDataSource) -> str:
    """The Terraform address of a data source."""
    return f"data.{source.terraform_resource_type}.{source.friendly_unique_id}"


def expr(expression: str) -> str:
    """A bare Terraform expression as an argument value (an interpolated string)."""
    return "${" + expression + "}"


def expr_list(expression: str) -> list:
    """A bare Terraform expression as a list-typed argument value."""
    return Token.as_list(expr(expression))


def expr_number(expression: str) -> float:
    """A bare Terraform expression as a number-typed argument value."""
    return Token.as_number(expr(expression))


def count_when(condition: str, count: str = "1") -> float:
    """A ``count`` that is ``count`` when the Terraform ``condition`` holds, else 0."""
    return expr_number(f"{condition} ? {count} : 0")


def one(resource: TerraformResource, attribute: str) -> str:
    """``attribute`` of a resource counted 0 or 1, as an expression (null when 0)."""
    return f"one({address(resource)}[*].{attribute})"


def each_of(resource: TerraformResource, attribute: str) -> str:
    """``attribute`` of every instance of a counted resource, as a list expression."""
    return f"{address(resource)}[*].{attribute}"


def at(resource: TerraformResource, index: str, attribute: str) -> str:
    """``attribute`` of instance ``index`` (an expression) of a counted resource."""
    return f"{address(resource)}[{index}].{attribute}"


def local(scope: Construct, name: str, expression: str) -> str:
    """Declares ``local.<name>`` = ``expression`` and returns ``local.<name>``.

    Named locals make the generated Terraform readable in a plan review.
    ``name`` must be unique in the stack: prefix it with the construct's concern.
    """
    value = TerraformLocal(scope, name, expr(expression))
    value.override_logical_id(name)
    return f"local.{name}"


def hcl(value) -> str:
    """A Python string, list or dict of strings as a Terraform expression literal."""
    import json
    return json.dumps(value)


def expr_map(expression: str) -> dict:
    """A bare Terraform expression as a map-typed value (e.g. for ``for_each``)."""
    return Token.as_any_map(expr(expression))
