"""Service Catalog requests: moto's handler, answered by our backend, plus the
administrator's operations moto lacks. End-user operations (which depend on
who calls) are in ``enduser_responses.py``. Each handler's AWS page is cited
at the backend method it calls (``models.py``)."""
from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.servicecatalog.responses import ServiceCatalogResponse

from .enduser import page_of
from .enduser_responses import EndUserResponseMixin
from .models import ExtendedServiceCatalogBackend, servicecatalog_backends

# CreateProduct / UpdateProduct arguments that are product fields: API name => attribute.
PRODUCT_FIELDS = {
    "Description": "description",
    "Distributor": "distributor",
    "SupportDescription": "support_description",
    "SupportEmail": "support_email",
    "SupportUrl": "support_url",
    "SourceConnection": "source_connection",
}


class ExtendedServiceCatalogResponse(EndUserResponseMixin, ServiceCatalogResponse):
    @property
    def servicecatalog_backend(self) -> ExtendedServiceCatalogBackend:
        """Our backend (moto's property reads moto's own BackendDict)."""
        return servicecatalog_backends[self.current_account][self.region]

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    def _paged(self, key: str, items: list[Any]) -> ActionResult:
        page, next_token = page_of(items, self.params.get("PageToken"), self.params.get("PageSize"))
        return ActionResult({key: page, "NextPageToken": next_token})

    def _product_answer(self, product: Any) -> dict[str, Any]:
        return {"ProductViewDetail": product.view_detail(),
                "Tags": self.servicecatalog_backend.tags_of(product.arn)}

    # -- portfolios -----------------------------------------------------------
    def update_portfolio(self) -> ActionResult:
        p = self.params
        detail, tags = self.servicecatalog_backend.update_portfolio(
            id=p.get("Id"), display_name=p.get("DisplayName"), description=p.get("Description"),
            provider_name=p.get("ProviderName"), add_tags=p.get("AddTags"), remove_tags=p.get("RemoveTags"))
        return ActionResult({"PortfolioDetail": detail, "Tags": tags})

    # -- products -------------------------------------------------------------
    def create_product(self) -> ActionResult:
        p = self.params
        product, artifact = self.servicecatalog_backend.create_product(
            name=p.get("Name"), owner=p.get("Owner"), product_type=p.get("ProductType"), tags=p.get("Tags"),
            provisioning_artifact_parameters=p.get("ProvisioningArtifactParameters"),
            idempotency_token=p.get("IdempotencyToken"),
            **{attribute: p.get(name) for name, attribute in PRODUCT_FIELDS.items()})
        return ActionResult({**self._product_answer(product), "ProvisioningArtifactDetail": artifact.detail()})

    def describe_product_as_admin(self) -> ActionResult:
        product = self.servicecatalog_backend.describe_product_as_admin(self.params.get("Id"), self.params.get("Name"))
        return ActionResult({**self._product_answer(product),
                             "ProvisioningArtifactSummaries": [a.summary() for a in product.artifacts.values()],
                             "TagOptions": [], "Budgets": []})

    def search_products_as_admin(self) -> ActionResult:
        p = self.params
        products = self.servicecatalog_backend.search_products_as_admin(
            p.get("PortfolioId"), p.get("Filters"), p.get("SortBy"), p.get("SortOrder"))
        return self._paged("ProductViewDetails", [product.view_detail() for product in products])

    def update_product(self) -> ActionResult:
        p = self.params
        fields = {"name": p.get("Name"), "owner": p.get("Owner"),
                  **{attribute: p.get(name) for name, attribute in PRODUCT_FIELDS.items()}}
        product = self.servicecatalog_backend.update_product(
            id=p.get("Id"), add_tags=p.get("AddTags"), remove_tags=p.get("RemoveTags"), **fields)
        return ActionResult(self._product_answer(product))

    # -- provisioning artifacts -------------------------------------------------
    def _artifact_answer(self, artifact: Any) -> dict[str, Any]:
        return {"ProvisioningArtifactDetail": artifact.detail(), "Info": artifact.info_view(), "Status": "AVAILABLE"}

    def create_provisioning_artifact(self) -> ActionResult:
        p = self.params
        artifact = self.servicecatalog_backend.create_provisioning_artifact(
            p.get("ProductId"), p.get("Parameters") or {}, p.get("IdempotencyToken"))
        return ActionResult(self._artifact_answer(artifact))

    def describe_provisioning_artifact(self) -> ActionResult:
        p = self.params
        artifact = self.servicecatalog_backend.describe_provisioning_artifact(
            p.get("ProductId"), p.get("ProductName"), p.get("ProvisioningArtifactId"),
            p.get("ProvisioningArtifactName"))
        answer = self._artifact_answer(artifact)
        if p.get("IncludeProvisioningArtifactParameters"):
            from .templates import parameter_declarations

            answer["ProvisioningArtifactParameters"] = parameter_declarations(artifact.template)
        return ActionResult(answer)

    def list_provisioning_artifacts(self) -> ActionResult:
        artifacts = self.servicecatalog_backend.list_provisioning_artifacts(self.params.get("ProductId"))
        return ActionResult({"ProvisioningArtifactDetails": [a.detail() for a in artifacts]})

    def update_provisioning_artifact(self) -> ActionResult:
        p = self.params
        artifact = self.servicecatalog_backend.update_provisioning_artifact(
            p.get("ProductId"), p.get("ProvisioningArtifactId"), name=p.get("Name"),
            description=p.get("Description"), active=p.get("Active"), guidance=p.get("Guidance"))
        return ActionResult(self._artifact_answer(artifact))

    def delete_provisioning_artifact(self) -> ActionResult:
        self.servicecatalog_backend.delete_provisioning_artifact(
            self.params.get("ProductId"), self.params.get("ProvisioningArtifactId"))
        return EmptyResult()

    # -- product <-> portfolio ------------------------------------------------
    def associate_product_with_portfolio(self) -> ActionResult:
        p = self.params
        self.servicecatalog_backend.associate_product_with_portfolio(
            p.get("ProductId"), p.get("PortfolioId"), p.get("SourcePortfolioId"))
        return EmptyResult()

    def disassociate_product_from_portfolio(self) -> ActionResult:
        self.servicecatalog_backend.disassociate_product_from_portfolio(
            self.params.get("ProductId"), self.params.get("PortfolioId"))
        return EmptyResult()

    def list_portfolios_for_product(self) -> ActionResult:
        portfolios = self.servicecatalog_backend.list_portfolios_for_product(self.params.get("ProductId"))
        return self._paged("PortfolioDetails", [p.to_dict() for p in portfolios])

    # -- constraints ----------------------------------------------------------
    def _constraint_answer(self, constraint: Any) -> dict[str, Any]:
        return {"ConstraintDetail": constraint.detail(), "ConstraintParameters": constraint.parameters,
                "Status": "AVAILABLE"}

    def create_constraint(self) -> ActionResult:
        p = self.params
        constraint = self.servicecatalog_backend.create_constraint(
            p.get("PortfolioId"), p.get("ProductId"), p.get("Type"), p.get("Parameters"),
            p.get("Description"), p.get("IdempotencyToken"))
        return ActionResult(self._constraint_answer(constraint))

    def describe_constraint(self) -> ActionResult:
        constraint = self.servicecatalog_backend.describe_constraint(self.params.get("Id"))
        return ActionResult(self._constraint_answer(constraint))

    def update_constraint(self) -> ActionResult:
        p = self.params
        constraint = self.servicecatalog_backend.update_constraint(p.get("Id"), p.get("Description"),
                                                                   p.get("Parameters"))
        return ActionResult(self._constraint_answer(constraint))

    def delete_constraint(self) -> ActionResult:
        self.servicecatalog_backend.delete_constraint(self.params.get("Id"))
        return EmptyResult()

    def list_constraints_for_portfolio(self) -> ActionResult:
        constraints = self.servicecatalog_backend.list_constraints_for_portfolio(
            self.params.get("PortfolioId"), self.params.get("ProductId"))
        return self._paged("ConstraintDetails", [c.detail() for c in constraints])

    # -- principals -----------------------------------------------------------
    def associate_principal_with_portfolio(self) -> ActionResult:
        p = self.params
        self.servicecatalog_backend.associate_principal_with_portfolio(
            p.get("PortfolioId"), p.get("PrincipalARN"), p.get("PrincipalType"))
        return EmptyResult()

    def disassociate_principal_from_portfolio(self) -> ActionResult:
        p = self.params
        self.servicecatalog_backend.disassociate_principal_from_portfolio(
            p.get("PortfolioId"), p.get("PrincipalARN"), p.get("PrincipalType"))
        return EmptyResult()

    def list_principals_for_portfolio(self) -> ActionResult:
        principals = self.servicecatalog_backend.list_principals_for_portfolio(self.params.get("PortfolioId"))
        return self._paged("Principals", principals)
