"""Launching products: a provisioned product is a CloudFormation stack named as
AWS names it (``SC-<account>-pp-<id>``), created through moto's CloudFormation
with the launch constraint's role; each request leaves a record.

The emulator provisions synchronously: ProvisionProduct answers the record as
AWS does (``CREATED``), and DescribeRecord already tells the outcome
(``SUCCEEDED``, or ``FAILED`` with RecordErrors). Mixed into the backend in
``models.py``.
"""
from __future__ import annotations

import fnmatch
from typing import Any

from moto.cloudformation.models import cloudformation_backends
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.utilities.utils import get_partition

from .catalog import CatalogProduct, ProvisioningArtifact, new_id
from .exceptions import DuplicateResourceException, InvalidParametersException, ResourceNotFoundException
from .principals import Caller
from .templates import parameter_errors

# SearchProvisionedProducts' SortBy values => ProvisionedProductAttribute field.
SORT_FIELDS = {"arn": "Arn", "id": "Id", "name": "Name", "lastRecordId": "LastRecordId"}


class Record(BaseModel):
    """One request on a provisioned product (RecordDetail)."""

    def __init__(self, record_type: str, provisioned: "ProvisionedProduct", path_id: str | None = None,
                 tags: list[dict[str, str]] | None = None, token: str | None = None) -> None:
        self.id = new_id("rec")
        self.token = token
        self.record_type = record_type
        self.provisioned = provisioned
        self.path_id = path_id
        self.tags = tags or []
        self.status = "CREATED"
        self.created_time = self.updated_time = utcnow()
        self.errors: list[dict[str, str]] = []
        self.outputs: list[dict[str, Any]] = []

    def finish(self, errors: list[dict[str, str]] | None = None) -> None:
        self.errors = errors or []
        self.status = "FAILED" if self.errors else "SUCCEEDED"
        self.updated_time = utcnow()

    def detail(self, status: str | None = None) -> dict[str, Any]:
        pp = self.provisioned
        return {"RecordId": self.id, "ProvisionedProductName": pp.name, "Status": status or self.status,
                "CreatedTime": self.created_time, "UpdatedTime": self.updated_time,
                "ProvisionedProductType": pp.type, "RecordType": self.record_type,
                "ProvisionedProductId": pp.id, "ProductId": pp.product_id,
                "ProvisioningArtifactId": pp.artifact_id, "PathId": self.path_id,
                "RecordErrors": self.errors, "RecordTags": self.tags, "LaunchRoleArn": pp.launch_role_arn}


class ProvisionedProduct(BaseModel):
    def __init__(self, name: str, product: CatalogProduct, artifact: ProvisioningArtifact, caller: Caller,
                 launch_role_arn: str | None, token: str | None, tags: list[dict[str, str]],
                 region_name: str, account_id: str) -> None:
        self.id = new_id("pp")
        self.name = name
        self.type = "CFN_STACK"
        self.product_id, self.product_name = product.id, product.name
        self.artifact_id, self.artifact_name = artifact.id, artifact.name
        self.caller = caller
        self.launch_role_arn = launch_role_arn
        self.token = token
        self.tags = tags
        self.status = "UNDER_CHANGE"
        self.status_message: str | None = None
        self.created_time = utcnow()
        self.physical_id: str | None = None  # the stack's ARN once it exists
        self.outputs: list[dict[str, Any]] = []
        self.last_record_id = self.last_provisioning_record_id = None
        self.last_successful_record_id: str | None = None
        self.arn = f"arn:{get_partition(region_name)}:servicecatalog:{region_name}:{account_id}:stack/{name}/{self.id}"
        self.stack_name = f"SC-{account_id}-{self.id}"

    def detail(self) -> dict[str, Any]:
        """ProvisionedProductDetail."""
        return {"Name": self.name, "Arn": self.arn, "Type": self.type, "Id": self.id, "Status": self.status,
                "StatusMessage": self.status_message, "CreatedTime": self.created_time,
                "IdempotencyToken": self.token, "LastRecordId": self.last_record_id,
                "LastProvisioningRecordId": self.last_provisioning_record_id,
                "LastSuccessfulProvisioningRecordId": self.last_successful_record_id,
                "ProductId": self.product_id, "ProvisioningArtifactId": self.artifact_id,
                "LaunchRoleArn": self.launch_role_arn}

    def attributes(self) -> dict[str, Any]:
        """ProvisionedProductAttribute (SearchProvisionedProducts)."""
        return {**self.detail(), "Tags": self.tags, "PhysicalId": self.physical_id,
                "ProductName": self.product_name, "ProvisioningArtifactName": self.artifact_name,
                "UserArn": self.caller.user_arn, "UserArnSession": self.caller.session_arn}


class ProvisioningMixin:
    account_id: str
    region_name: str

    def init_provisioning(self) -> None:
        self.provisioned_products: dict[str, ProvisionedProduct] = {}
        self.records: dict[str, Record] = {}

    @property
    def cloudformation(self) -> Any:
        return cloudformation_backends[self.account_id][self.region_name]

    def provisioned_product(self, pp_id: str | None, name: str | None) -> ProvisionedProduct:
        if not pp_id and not name:
            raise InvalidParametersException("Either Id or Name must be specified.")
        for pp in self.provisioned_products.values():
            if pp.id == pp_id or (not pp_id and pp.name == name):
                return pp
        raise ResourceNotFoundException(f"Provisioned product {pp_id or name} not found.")

    def _new_record(self, record_type: str, pp: ProvisionedProduct, **kwargs: Any) -> Record:
        record = Record(record_type, pp, **kwargs)
        self.records[record.id] = record
        pp.last_record_id = record.id
        return record

    def _launch_role(self, portfolio_id: str, product_id: str) -> str | None:
        for constraint in self.constraints.values():  # type: ignore[attr-defined]
            if (constraint.portfolio_id, constraint.product_id, constraint.type) == (
                    portfolio_id, product_id, "LAUNCH"):
                values = constraint.parameters_dict
                if values.get("RoleArn"):
                    return values["RoleArn"]
                return f"arn:{get_partition(self.region_name)}:iam::{self.account_id}:role/{values['LocalRoleName']}"
        return None

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_ProvisionProduct.html
    # The caller needs a launch path; a name still in use is a
    # DuplicateResourceException; ProvisionToken makes the call idempotent.
    def provision_product(self, caller: Caller, product_id: str | None, product_name: str | None,
                          artifact_id: str | None, artifact_name: str | None, path_id: str | None,
                          path_name: str | None, name: str, parameters: list[dict[str, str]],
                          tags: list[dict[str, str]], token: str | None,
                          notification_arns: list[str] | None) -> dict[str, Any]:
        for pp in self.provisioned_products.values():
            if token and pp.token == token:
                return self.records[pp.last_provisioning_record_id].detail(status="CREATED")  # type: ignore[index]
        if any(pp.name == name for pp in self.provisioned_products.values()):
            raise DuplicateResourceException(f"A provisioned product with name {name} already exists.")
        product = self.accessible_product(caller, product_id, product_name)  # type: ignore[attr-defined]
        artifact = self.launch_artifact(product, artifact_id, artifact_name)  # type: ignore[attr-defined]
        path = self.launch_path(caller, product, path_id, path_name)  # type: ignore[attr-defined]
        if product.product_type != "CLOUD_FORMATION_TEMPLATE":
            raise InvalidParametersException(f"The emulator provisions CLOUD_FORMATION_TEMPLATE products only, "
                                             f"not {product.product_type}.")
        values = {p["Key"]: p.get("Value", "") for p in parameters}
        undeclared = sorted(set(values) - set(artifact.template.get("Parameters") or {}))
        if undeclared:
            raise InvalidParametersException(f"Parameters {undeclared} do not exist in the template")
        pp = ProvisionedProduct(name, product, artifact, caller, self._launch_role(path, product.id), token,
                                tags, self.region_name, self.account_id)
        self.provisioned_products[pp.id] = pp
        record = self._new_record("PROVISION_PRODUCT", pp, path_id=path, tags=tags)
        pp.last_provisioning_record_id = record.id
        self._create_stack(pp, record, product, artifact, path, values, notification_arns)
        return record.detail(status="CREATED")

    def _create_stack(self, pp: ProvisionedProduct, record: Record, product: CatalogProduct,
                      artifact: ProvisioningArtifact, portfolio_id: str, values: dict[str, str],
                      notification_arns: list[str] | None) -> None:
        errors = parameter_errors(artifact.template, values)
        if not errors:
            # The tags AWS puts on every stack it launches, beside the user's.
            system_tags = {
                "aws:servicecatalog:portfolioArn": self.portfolios[portfolio_id].arn,  # type: ignore[attr-defined]
                "aws:servicecatalog:productArn": product.arn,
                "aws:servicecatalog:provisionedProductArn": pp.arn,
                "aws:servicecatalog:provisioningArtifactIdentifier": artifact.id,
                "aws:servicecatalog:provisioningPrincipalArn": pp.caller.session_arn,
            }
            try:
                stack = self.cloudformation.create_stack(
                    name=pp.stack_name, template=artifact.template_body, parameters=values,
                    notification_arns=notification_arns, role_arn=pp.launch_role_arn,
                    tags={**{t["Key"]: t["Value"] for t in pp.tags}, **system_tags})
                pp.physical_id = stack.stack_id
                pp.outputs = [{"OutputKey": o["OutputKey"], "OutputValue": o["OutputValue"],
                               "Description": o.get("Description")} for o in stack.outputs or []]
                pp.outputs.append({"OutputKey": "CloudformationStackARN", "OutputValue": stack.stack_id,
                                   "Description": "The ARN of the launched Cloudformation Stack"})
            except Exception as exc:  # noqa: BLE001 - whatever CloudFormation refused, the record reports it
                errors = [f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"]
                self._roll_back(pp)
        record.outputs = pp.outputs
        # AWS documents no list of RecordError codes: one code, the reason in the description.
        record.finish([{"Code": "ProvisioningFailed", "Description": e} for e in errors])
        if errors:
            pp.status, pp.status_message = "ERROR", "; ".join(errors)
        else:
            pp.status, pp.status_message = "AVAILABLE", None
            pp.last_successful_record_id = record.id

    def _roll_back(self, pp: ProvisionedProduct) -> None:
        """CloudFormation rolls a failed creation back: what it created is deleted."""
        try:
            self.cloudformation.delete_stack(pp.stack_name)
        except Exception:  # noqa: BLE001 - the stack may never have been registered
            pass

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_TerminateProvisionedProduct.html
    # Deletes the stack; the records stay (DescribeRecord still answers them).
    def terminate_provisioned_product(self, pp_id: str | None, name: str | None, token: str | None,
                                      ignore_errors: bool, retain_physical_resources: bool) -> dict[str, Any]:
        for record in self.records.values():
            if token and (record.record_type, record.token) == ("TERMINATE_PROVISIONED_PRODUCT", token):
                return record.detail(status="CREATED")
        pp = self.provisioned_product(pp_id, name)
        record = self._new_record("TERMINATE_PROVISIONED_PRODUCT", pp, token=token)
        errors: list[dict[str, str]] = []
        if pp.physical_id and not retain_physical_resources:
            try:
                self.cloudformation.delete_stack(pp.physical_id)
            except Exception as exc:  # noqa: BLE001 - whatever CloudFormation refused, the record reports it
                errors = [{"Code": "TerminationFailed", "Description": f"{type(exc).__name__}: {exc}"}]
        record.finish(errors)
        if errors and not ignore_errors:
            pp.status, pp.status_message = "ERROR", errors[0]["Description"]
        else:
            del self.provisioned_products[pp.id]
        return record.detail(status="CREATED")

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribeRecord.html
    def describe_record(self, record_id: str) -> Record:
        if record_id not in self.records:
            raise ResourceNotFoundException(f"Record {record_id} not found.")
        return self.records[record_id]

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribeProvisionedProduct.html
    def describe_provisioned_product(self, pp_id: str | None, name: str | None) -> ProvisionedProduct:
        return self.provisioned_product(pp_id, name)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_GetProvisionedProductOutputs.html
    def get_provisioned_product_outputs(self, pp_id: str | None, name: str | None,
                                        output_keys: list[str] | None) -> list[dict[str, Any]]:
        pp = self.provisioned_product(pp_id, name)
        return [o for o in pp.outputs if not output_keys or o["OutputKey"] in output_keys]

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_SearchProvisionedProducts.html
    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_ScanProvisionedProducts.html
    # AccessLevelFilter: Account (Search's default) sees every provisioned
    # product of the account, Role those launched with the caller's role, User
    # (Scan's default) those the caller launched; "self" is the only value.
    # SearchQuery terms are "field:value" over the documented fields, or free
    # text matched in the name; SortBy one of arn, id, name, lastRecordId.
    def search_provisioned_products(self, caller: Caller, access_level_filter: dict[str, str] | None,
                                    default_level: str, search_query: list[str] | None = None,
                                    sort_by: str | None = None, sort_order: str | None = None,
                                    ) -> list[ProvisionedProduct]:
        level = (access_level_filter or {}).get("Key", default_level)
        if level not in ("Account", "Role", "User"):
            raise InvalidParametersException("AccessLevelFilter Key must be one of Account, Role, User")
        if (access_level_filter or {}).get("Value", "self") != "self":
            raise InvalidParametersException("AccessLevelFilter Value must be self")
        if sort_by and sort_by not in SORT_FIELDS:
            raise InvalidParametersException(f"SortBy must be one of {', '.join(SORT_FIELDS)}")
        found = [pp for pp in self.provisioned_products.values() if _visible(pp, caller, level)]
        found = [pp for pp in found if all(_query_matches(pp, term) for term in search_query or [])]
        if sort_by:
            found.sort(key=lambda pp: str(pp.attributes()[SORT_FIELDS[sort_by]] or ""),
                       reverse=sort_order == "DESCENDING")
        return found


def _visible(pp: ProvisionedProduct, caller: Caller, level: str) -> bool:
    if level == "Account":
        return True
    if level == "Role":
        return pp.caller.user_arn == caller.user_arn
    return pp.caller.session_arn == caller.session_arn


def _query_matches(pp: ProvisionedProduct, term: str) -> bool:
    field, sep, wanted = term.partition(":")
    attributes = {k.lower(): v for k, v in pp.attributes().items()}
    if not sep or field.lower() not in attributes:
        return term.lower() in pp.name.lower()
    return fnmatch.fnmatchcase(str(attributes[field.lower()] or "").lower(), wanted.lower())
