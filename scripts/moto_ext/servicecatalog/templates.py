"""CloudFormation templates of provisioning artifacts: where they come from and
what parameters they declare.

Service Catalog copies a template when a version is created (later changes to
the S3 object do not change the version), so the body is read once, from the
emulator's own S3 backend in this process: never over the network.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlparse

from moto.cloudformation.models import Stack
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from .exceptions import InvalidParametersException

# <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, <bucket>.s3-<region>.amazonaws.com
_VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")


def s3_location(template_url: str) -> tuple[str, str]:
    """(bucket, key) of an S3 object URL, virtual-hosted or path style (the
    latter also covers the emulator's own http://127.0.0.1:<port>/<bucket>/<key>)."""
    url = urlparse(template_url)
    host = (url.hostname or "").lower()
    path = unquote(url.path).lstrip("/")
    match = _VIRTUAL_HOSTED.match(host)
    if match:
        return match.group("bucket"), path
    bucket, _, key = path.partition("/")
    return bucket, key


def fetch_template(template_url: str, account_id: str, region_name: str) -> str:
    """The body of the template at ``template_url`` in the emulator's S3;
    InvalidParametersException when it cannot be read, as AWS refuses a version
    whose template it cannot load."""
    bucket, key = s3_location(template_url)
    if not bucket or not key:
        raise InvalidParametersException(f"Invalid templateUrl: {template_url}")
    try:
        obj = s3_backends[account_id][get_partition(region_name)].get_object(bucket, key)
    except MissingBucket:
        obj = None
    if obj is None:
        raise InvalidParametersException(f"Unable to load template from templateUrl: {template_url}")
    return obj.value.decode("utf-8")


def parse_template(body: str, validate: bool) -> dict[str, Any]:
    """The template as a dict (YAML or JSON, short-form intrinsics allowed).
    With ``validate`` (AWS's default; DisableTemplateValidation turns it off)
    a body that is not a template is refused."""
    try:
        template = Stack.parse_template(body)
    except ValueError:
        template = None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        if validate:
            raise InvalidParametersException("Template is not a valid CloudFormation template: no Resources section")
        return {}
    return template


def parameter_declarations(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The template's parameters as ProvisioningArtifactParameter objects."""
    declarations = []
    for key, spec in (template.get("Parameters") or {}).items():
        constraints = {
            "AllowedValues": [str(v) for v in spec.get("AllowedValues", [])],
            "AllowedPattern": spec.get("AllowedPattern"),
            "ConstraintDescription": spec.get("ConstraintDescription"),
            "MaxLength": _text(spec.get("MaxLength")),
            "MinLength": _text(spec.get("MinLength")),
            "MaxValue": _text(spec.get("MaxValue")),
            "MinValue": _text(spec.get("MinValue")),
        }
        declarations.append({
            "ParameterKey": key,
            "DefaultValue": _text(spec.get("Default")),
            "ParameterType": spec.get("Type", "String"),
            "IsNoEcho": bool(spec.get("NoEcho", False)),
            "Description": spec.get("Description"),
            "ParameterConstraints": {k: v for k, v in constraints.items() if v not in (None, [])},
        })
    return declarations


def parameter_errors(template: dict[str, Any], values: dict[str, str]) -> list[str]:
    """What CloudFormation would refuse about ``values`` (missing values,
    AllowedValues, AllowedPattern, lengths, bounds), in its own words; moto's
    CloudFormation checks only the missing ones."""
    errors = []
    declared = template.get("Parameters") or {}
    missing = [k for k, spec in declared.items() if k not in values and "Default" not in spec]
    if missing:
        errors.append(f"Parameters: [{', '.join(missing)}] must have values")
    for key, value in values.items():
        spec = declared.get(key, {})
        allowed = [str(v) for v in spec.get("AllowedValues", [])]
        if allowed and value not in allowed:
            errors.append(f"Parameter '{key}' must be one of AllowedValues")
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, value):
            errors.append(f"Parameter '{key}' must match pattern {pattern}")
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            errors.append(f"Parameter '{key}' must contain at least {spec['MinLength']} characters")
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            errors.append(f"Parameter '{key}' must contain at most {spec['MaxLength']} characters")
        if spec.get("Type") == "Number":
            errors += _number_errors(key, value, spec)
    return errors


def _number_errors(key: str, value: str, spec: dict[str, Any]) -> list[str]:
    try:
        number = float(value)
    except ValueError:
        return [f"Parameter '{key}' must be a number"]
    if "MinValue" in spec and number < float(spec["MinValue"]):
        return [f"Parameter '{key}' must be a number not less than {spec['MinValue']}"]
    if "MaxValue" in spec and number > float(spec["MaxValue"]):
        return [f"Parameter '{key}' must be a number not greater than {spec['MaxValue']}"]
    return []


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
