"""Handlers of the end-user operations: each answers for the caller, whom AWS
identifies by the request's credentials (see ``principals.py``). Each
handler's AWS page is cited at the backend method it calls."""
from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult

from .enduser import page_of
from .principals import Caller, caller_from_access_key


class EndUserResponseMixin:
    servicecatalog_backend: Any
    params: dict[str, Any]
    current_account: str
    region: str
    # Also used: get_access_key() (moto's BaseResponse), _paged() (responses.py).

    @property
    def caller(self) -> Caller:
        return caller_from_access_key(self.get_access_key(), self.current_account, self.region)

    def search_products(self) -> ActionResult:
        p = self.params
        summaries, next_token = self.servicecatalog_backend.search_products(
            self.caller, p.get("Filters"), p.get("SortBy"), p.get("SortOrder"), p.get("PageToken"),
            p.get("PageSize"))
        return ActionResult({"ProductViewSummaries": summaries, "ProductViewAggregations": {},
                             "NextPageToken": next_token})

    def describe_product(self) -> ActionResult:
        return ActionResult(self.servicecatalog_backend.describe_product_for(
            self.caller, self.params.get("Id"), self.params.get("Name")))

    def list_launch_paths(self) -> ActionResult:
        paths = self.servicecatalog_backend.list_launch_paths(self.caller, self.params.get("ProductId"))
        return self._paged("LaunchPathSummaries", paths)

    def describe_provisioning_parameters(self) -> ActionResult:
        p = self.params
        return ActionResult(self.servicecatalog_backend.describe_provisioning_parameters(
            self.caller, p.get("ProductId"), p.get("ProductName"), p.get("ProvisioningArtifactId"),
            p.get("ProvisioningArtifactName"), p.get("PathId"), p.get("PathName")))

    def provision_product(self) -> ActionResult:
        p = self.params
        record = self.servicecatalog_backend.provision_product(
            self.caller, p.get("ProductId"), p.get("ProductName"), p.get("ProvisioningArtifactId"),
            p.get("ProvisioningArtifactName"), p.get("PathId"), p.get("PathName"),
            name=p.get("ProvisionedProductName"), parameters=p.get("ProvisioningParameters") or [],
            tags=p.get("Tags") or [], token=p.get("ProvisionToken"), notification_arns=p.get("NotificationArns"))
        return ActionResult({"RecordDetail": record})

    def describe_record(self) -> ActionResult:
        record = self.servicecatalog_backend.describe_record(self.params.get("Id"))
        outputs, next_token = page_of(record.outputs, self.params.get("PageToken"), self.params.get("PageSize"))
        return ActionResult({"RecordDetail": record.detail(), "RecordOutputs": outputs, "NextPageToken": next_token})

    def describe_provisioned_product(self) -> ActionResult:
        pp = self.servicecatalog_backend.describe_provisioned_product(self.params.get("Id"), self.params.get("Name"))
        return ActionResult({"ProvisionedProductDetail": pp.detail(), "CloudWatchDashboards": []})

    def get_provisioned_product_outputs(self) -> ActionResult:
        p = self.params
        outputs = self.servicecatalog_backend.get_provisioned_product_outputs(
            p.get("ProvisionedProductId"), p.get("ProvisionedProductName"), p.get("OutputKeys"))
        return self._paged("Outputs", outputs)

    def search_provisioned_products(self) -> ActionResult:
        p = self.params
        found = self.servicecatalog_backend.search_provisioned_products(
            self.caller, p.get("AccessLevelFilter"), "Account", (p.get("Filters") or {}).get("SearchQuery"),
            p.get("SortBy"), p.get("SortOrder"))
        page, next_token = page_of([pp.attributes() for pp in found], p.get("PageToken"), p.get("PageSize"))
        return ActionResult({"ProvisionedProducts": page, "TotalResultsCount": len(found),
                             "NextPageToken": next_token})

    def scan_provisioned_products(self) -> ActionResult:
        found = self.servicecatalog_backend.search_provisioned_products(
            self.caller, self.params.get("AccessLevelFilter"), "User")
        return self._paged("ProvisionedProducts", [pp.detail() for pp in found])

    def terminate_provisioned_product(self) -> ActionResult:
        p = self.params
        record = self.servicecatalog_backend.terminate_provisioned_product(
            p.get("ProvisionedProductId"), p.get("ProvisionedProductName"), p.get("TerminateToken"),
            ignore_errors=bool(p.get("IgnoreErrors")),
            retain_physical_resources=bool(p.get("RetainPhysicalResources")))
        return ActionResult({"RecordDetail": record})
