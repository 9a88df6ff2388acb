"""CloudFormation dynamic references to Systems Manager parameters, which moto lacks.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html:
a string in a resource's properties may hold ``{{resolve:ssm:parameter-name}}``
or ``{{resolve:ssm:parameter-name:version}}``, alone or inside a longer
string; CloudFormation replaces it with the parameter's value (the latest
version when none is named) when it creates or updates the stack, and the
stack operation fails when the parameter (or version) does not exist.
``SecureString`` parameters are only for ``ssm-secure`` references, in the
resource properties that support them; an ``ssm`` reference to one fails.

The platform's product templates name the domain's subnet and security
groups this way (``modules/emr_catalog.py``), so that a network change does
not change the template. moto 5.2.1 resolves SSM parameter *types* of
template parameters, not dynamic references: :func:`install` wraps moto's
``clean_json`` (which every resource's properties go through) so that each
string is resolved first, from moto's own SSM backend.
"""
from __future__ import annotations

import re
from typing import Any

# The name: letters, digits and . - _ / (SSM's naming rules); an optional :version.
SSM_REFERENCE = re.compile(r"\{\{resolve:ssm:([a-zA-Z0-9_./-]+)(?::([0-9]+))?\}\}")

_installed = False


def resolve(text: str, account_id: str, region_name: str) -> str:
    """``text`` with every ``{{resolve:ssm:...}}`` replaced by the parameter's value."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.ssm.exceptions import ParameterVersionNotFound
    from moto.ssm.models import ssm_backends

    ssm = ssm_backends[account_id][region_name]

    def value(match: re.Match) -> str:
        name, version = match.group(1), match.group(2)
        try:
            parameter = ssm.get_parameter(f"{name}:{version}" if version else name)
        except ParameterVersionNotFound:
            parameter = None
        if parameter is None:
            raise ValidationError(message=f"Parameters: [ssm:{name}{':' + version if version else ''}] "
                                          "cannot be found.")
        if parameter.parameter_type == "SecureString":
            raise ValidationError(message=f"Parameters: [ssm:{name}] is a SecureString: use ssm-secure.")
        return parameter.value

    return SSM_REFERENCE.sub(value, text)


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.cloudformation import parsing

    moto_clean_json = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: "parsing.ResourceMap") -> Any:
        if isinstance(resource_json, str) and "{{resolve:ssm:" in resource_json:
            return resolve(resource_json, resources_map._account_id, resources_map._region_name)
        return moto_clean_json(resource_json, resources_map)

    # moto's clean_json calls itself through the module's name, so nested values reach this too.
    parsing.clean_json = clean_json
    _installed = True
