"""The end user's view of the catalog: only products in portfolios the caller's
IAM principal is associated with exist for them (a launch path is such a
portfolio). Mixed into the backend in ``models.py``."""
from __future__ import annotations

from typing import Any

from .catalog import CatalogProduct, ProvisioningArtifact
from .exceptions import InvalidParametersException, ResourceNotFoundException
from .principals import Caller, principal_matches
from .templates import parameter_declarations

PRODUCT_FILTERS = ("FullTextSearch", "Owner", "ProductType", "SourceProductId")
PRODUCT_SORT_KEYS = {
    "Title": lambda p: p.name.lower(),
    "VersionCount": lambda p: len(p.artifacts),
    "CreationDate": lambda p: p.created_time,
}


def page_of(items: list[Any], page_token: str | None, page_size: int | None,
            default_size: int = 20) -> tuple[list[Any], str | None]:
    """One page of ``items``; the token is the offset of the next page."""
    start = int(page_token) if page_token and page_token.isdigit() else 0
    size = page_size or default_size
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


class EndUserMixin:
    portfolios: dict[str, Any]
    products: dict[str, CatalogProduct]
    portfolio_products: dict[str, list[str]]
    portfolio_principals: dict[str, list[tuple[str, str]]]
    constraints: dict[str, Any]

    def accessible_portfolio_ids(self, caller: Caller) -> list[str]:
        return [portfolio_id for portfolio_id, principals in self.portfolio_principals.items()
                if portfolio_id in self.portfolios
                and any(principal_matches(caller, arn, kind) for arn, kind in principals)]

    def launch_path_ids(self, caller: Caller, product_id: str) -> list[str]:
        """The portfolios through which ``caller`` may launch the product."""
        return [p for p in self.accessible_portfolio_ids(caller) if product_id in self.portfolio_products.get(p, [])]

    def accessible_product(self, caller: Caller, product_id: str | None, name: str | None) -> CatalogProduct:
        """The product if the caller has a launch path to it; to anyone else it
        does not exist (ResourceNotFoundException), as on AWS."""
        if not product_id and not name:
            raise InvalidParametersException("Either Id or Name must be specified.")
        for product in self.products.values():
            if (product.id == product_id or (not product_id and product.name == name)) \
                    and self.launch_path_ids(caller, product.id):
                return product
        raise ResourceNotFoundException(f"Product {product_id or name} not found.")

    def launch_path(self, caller: Caller, product: CatalogProduct, path_id: str | None,
                    path_name: str | None) -> str:
        """PathId: optional when the product has one path for the caller (its
        default path), required when it has several."""
        paths = self.launch_path_ids(caller, product.id)
        if path_id or path_name:
            chosen = [p for p in paths
                      if p == path_id or (not path_id and self.portfolios[p].display_name == path_name)]
            if not chosen:
                raise ResourceNotFoundException(
                    f"Launch path {path_id or path_name} not found for product {product.id}.")
            return chosen[0]
        if len(paths) > 1:
            raise InvalidParametersException(f"Product {product.id} has more than one launch path: specify PathId.")
        return paths[0]

    def launch_artifact(self, product: CatalogProduct, artifact_id: str | None,
                        artifact_name: str | None) -> ProvisioningArtifact:
        """A version end users may launch: inactive ones are invisible to them,
        DEPRECATED ones cannot be launched anew (UpdateProvisioningArtifact's page)."""
        artifact = self.artifact(product, artifact_id, artifact_name)  # type: ignore[attr-defined]
        if not artifact.active:
            raise InvalidParametersException(f"Provisioning artifact {artifact.id} is not active.")
        if artifact.guidance == "DEPRECATED":
            raise InvalidParametersException(f"Provisioning artifact {artifact.id} is deprecated.")
        return artifact

    def constraint_summaries(self, portfolio_id: str, product_id: str) -> list[dict[str, Any]]:
        return [c.summary() for c in self.constraints.values()
                if c.portfolio_id == portfolio_id and c.product_id == product_id]

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_SearchProducts.html
    # "Gets information about the products to which the caller has access."
    # Filters: values of one filter are alternatives, filters all apply.
    def search_products(self, caller: Caller, filters: dict[str, list[str]] | None, sort_by: str | None,
                        sort_order: str | None, page_token: str | None,
                        page_size: int | None) -> tuple[list[dict[str, Any]], str | None]:
        visible = {pid for portfolio in self.accessible_portfolio_ids(caller)
                   for pid in self.portfolio_products.get(portfolio, [])}
        products = self._filtered_products([p for p in self.products.values() if p.id in visible],
                                           filters, sort_by, sort_order)
        page, next_token = page_of(products, page_token, page_size)
        return [p.summary(has_default_path=len(self.launch_path_ids(caller, p.id)) == 1) for p in page], next_token

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_SearchProductsAsAdmin.html
    # The administrator's search: every product of the account (or of one
    # portfolio), whoever the principals are; the same filters.
    def search_products_as_admin(self, portfolio_id: str | None, filters: dict[str, list[str]] | None,
                                 sort_by: str | None, sort_order: str | None) -> list[CatalogProduct]:
        if portfolio_id:
            self.portfolio(portfolio_id)  # type: ignore[attr-defined]
        return self._filtered_products(
            [p for p in self.products.values()
             if not portfolio_id or p.id in self.portfolio_products.get(portfolio_id, [])],
            filters, sort_by, sort_order)

    def _filtered_products(self, products: list[CatalogProduct], filters: dict[str, list[str]] | None,
                           sort_by: str | None, sort_order: str | None) -> list[CatalogProduct]:
        filters = filters or {}
        unknown = [key for key in filters if key not in PRODUCT_FILTERS]
        if unknown:
            raise InvalidParametersException(f"Unknown filter(s): {', '.join(unknown)}")
        if sort_by and sort_by not in PRODUCT_SORT_KEYS:
            raise InvalidParametersException(f"SortBy must be one of {', '.join(PRODUCT_SORT_KEYS)}")
        found = [p for p in products if _matches(p, filters)]
        if sort_by:
            found.sort(key=PRODUCT_SORT_KEYS[sort_by], reverse=sort_order == "DESCENDING")
        return found

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribeProduct.html
    # The end user's call: the product's active versions and the caller's paths.
    def describe_product_for(self, caller: Caller, product_id: str | None,
                             name: str | None) -> dict[str, Any]:
        product = self.accessible_product(caller, product_id, name)
        paths = self.launch_path_ids(caller, product.id)
        return {
            "ProductViewSummary": product.summary(has_default_path=len(paths) == 1),
            "ProvisioningArtifacts": [a.end_user_view() for a in product.artifacts.values() if a.active],
            "Budgets": [],
            "LaunchPaths": [{"Id": p, "Name": self.portfolios[p].display_name} for p in paths],
        }

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_ListLaunchPaths.html
    def list_launch_paths(self, caller: Caller, product_id: str) -> list[dict[str, Any]]:
        product = self.accessible_product(caller, product_id, None)
        return [{"Id": p, "Name": self.portfolios[p].display_name,
                 "ConstraintSummaries": self.constraint_summaries(p, product.id),
                 "Tags": self.tags_of(self.portfolios[p].arn)}  # type: ignore[attr-defined]
                for p in self.launch_path_ids(caller, product.id)]

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribeProvisioningParameters.html
    # The version's template parameters (what a launch form asks for) and the
    # path's constraints.
    def describe_provisioning_parameters(self, caller: Caller, product_id: str | None, product_name: str | None,
                                         artifact_id: str | None, artifact_name: str | None,
                                         path_id: str | None, path_name: str | None) -> dict[str, Any]:
        product = self.accessible_product(caller, product_id, product_name)
        artifact = self.launch_artifact(product, artifact_id, artifact_name)
        path = self.launch_path(caller, product, path_id, path_name)
        outputs = [{"Key": k, "Description": v.get("Description")}
                   for k, v in (artifact.template.get("Outputs") or {}).items()]
        return {
            "ProvisioningArtifactParameters": parameter_declarations(artifact.template),
            "ConstraintSummaries": self.constraint_summaries(path, product.id),
            "UsageInstructions": [],
            "TagOptions": [],
            "ProvisioningArtifactOutputs": outputs,
            "ProvisioningArtifactOutputKeys": outputs,
        }


def _matches(product: CatalogProduct, filters: dict[str, list[str]]) -> bool:
    checks = {
        "FullTextSearch": lambda value: value.lower() in product.search_text(),
        "Owner": lambda value: value.lower() == (product.owner or "").lower(),
        "ProductType": lambda value: value == product.product_type,
        "SourceProductId": lambda value: value == product.id,
    }
    return all(any(checks[key](value) for value in values) for key, values in filters.items() if values)
