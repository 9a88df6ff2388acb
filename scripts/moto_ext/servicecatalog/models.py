"""Service Catalog backend: moto's, plus what an administrator's catalog needs
(products that become AVAILABLE, versions, associations, constraints,
principals) and, through the mixins, what end users do with it.

Each operation cites the AWS API reference page whose behaviour it follows,
refusals included. The end-user side is in ``enduser.py`` (what a caller may
see and launch) and ``provisioning.py`` (launching and terminating).
"""
from __future__ import annotations

import json
from typing import Any

from moto.servicecatalog.models import Portfolio, ServiceCatalogBackend
# moto's own BackendDict: install() makes it build ExtendedServiceCatalogBackend,
# so every moto module that bound it by name answers with ours.
from moto.servicecatalog.models import servicecatalog_backends  # noqa: F401

from .catalog import CatalogProduct, Constraint, ProvisioningArtifact
from .enduser import EndUserMixin
from .exceptions import (DuplicateResourceException, InvalidParametersException, ResourceInUseException,
                         ResourceNotFoundException)
from .principals import principal_arn_error
from .provisioning import ProvisioningMixin
from .templates import fetch_template, parse_template

PRODUCT_TYPES = ("CLOUD_FORMATION_TEMPLATE", "MARKETPLACE", "TERRAFORM_OPEN_SOURCE", "TERRAFORM_CLOUD", "EXTERNAL")
CONSTRAINT_TYPES = ("LAUNCH", "NOTIFICATION", "RESOURCE_UPDATE", "STACKSET", "TEMPLATE")
# At most one constraint of these types per product in a portfolio.
SINGLE_CONSTRAINT_TYPES = ("LAUNCH", "RESOURCE_UPDATE", "STACKSET")
GUIDANCES = ("DEFAULT", "DEPRECATED")


class ExtendedServiceCatalogBackend(ProvisioningMixin, EndUserMixin, ServiceCatalogBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.products: dict[str, CatalogProduct] = {}  # type: ignore[assignment]
        self.portfolio_products: dict[str, list[str]] = {}
        self.portfolio_principals: dict[str, list[tuple[str, str]]] = {}
        self.constraints: dict[str, Constraint] = {}
        self.created_by_token: dict[tuple[str, str], Any] = {}
        self.init_provisioning()

    # -- lookups ------------------------------------------------------------
    def portfolio(self, portfolio_id: str) -> Portfolio:
        if portfolio_id not in self.portfolios:
            raise ResourceNotFoundException(f"Portfolio {portfolio_id} not found.")
        return self.portfolios[portfolio_id]

    def product(self, product_id: str | None = None, name: str | None = None) -> CatalogProduct:
        if not product_id and not name:
            raise InvalidParametersException("Either Id or Name must be specified.")
        found = self.products.get(product_id) if product_id else self.lookup_by_name(name)  # type: ignore[arg-type]
        if found is None:
            raise ResourceNotFoundException(f"Product {product_id or name} not found.")
        return found

    def artifact(self, product: CatalogProduct, artifact_id: str | None = None,
                 name: str | None = None) -> ProvisioningArtifact:
        if not artifact_id and not name:
            raise InvalidParametersException(
                "Either ProvisioningArtifactId or ProvisioningArtifactName must be specified.")
        for artifact in product.artifacts.values():
            if artifact.id == artifact_id or (not artifact_id and artifact.name == name):
                return artifact
        raise ResourceNotFoundException(
            f"Provisioning artifact {artifact_id or name} not found in product {product.id}.")

    def tags_of(self, arn: str) -> list[dict[str, str]]:
        return self._list_tags_for_resource(arn)

    def change_tags(self, arn: str, add: list[dict[str, str]] | None, remove: list[str] | None) -> None:
        self.tagger.untag_resource_using_names(arn, remove or [])
        self.tagger.tag_resource(arn, add or [])

    def _by_token(self, kind: str, token: str | None, create: Any) -> Any:
        """IdempotencyToken: the same token returns what the first call created."""
        if token and (kind, token) in self.created_by_token:
            return self.created_by_token[(kind, token)]
        created = create()
        if token:
            self.created_by_token[(kind, token)] = created
        return created

    # -- portfolios -----------------------------------------------------------
    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribePortfolio.html
    def describe_portfolio(self, accept_language: str | None, id: str) -> tuple[Any, ...]:
        portfolio = self.portfolio(id)
        return portfolio.to_dict(), self.tags_of(portfolio.arn), [], []

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_UpdatePortfolio.html
    def update_portfolio(self, id: str, display_name: str | None, description: str | None,
                         provider_name: str | None, add_tags: list[dict[str, str]] | None,
                         remove_tags: list[str] | None) -> tuple[dict[str, Any], list[dict[str, str]]]:
        portfolio = self.portfolio(id)
        portfolio.display_name = display_name if display_name is not None else portfolio.display_name
        portfolio.description = description if description is not None else portfolio.description
        portfolio.provider_name = provider_name if provider_name is not None else portfolio.provider_name
        self.change_tags(portfolio.arn, add_tags, remove_tags)
        portfolio.tags = self.tags_of(portfolio.arn)
        return portfolio.to_dict(), portfolio.tags

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DeletePortfolio.html
    # "You cannot delete a portfolio if ... it has associated products, users,
    # constraints, or shared accounts": ResourceInUseException.
    def delete_portfolio(self, accept_language: str | None, id: str) -> None:
        portfolio = self.portfolio(id)
        in_use = [what for what, present in (
            ("products", self.portfolio_products.get(id)),
            ("principals", self.portfolio_principals.get(id)),
            ("constraints", [c for c in self.constraints.values() if c.portfolio_id == id]),
            ("shares", self.portfolio_access.get(id) or self.portfolio_share_tokens.get(id)),
        ) if present]
        if in_use:
            raise ResourceInUseException(f"Portfolio {id} still has associated {', '.join(in_use)}.")
        self.tagger.delete_all_tags_for_resource(portfolio.arn)
        super().delete_portfolio(accept_language, id)

    # -- products -------------------------------------------------------------
    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_CreateProduct.html
    def create_product(self, name: str, owner: str, product_type: str, tags: list[dict[str, str]] | None,
                       provisioning_artifact_parameters: dict[str, Any] | None,
                       idempotency_token: str | None = None,
                       **fields: Any) -> tuple[CatalogProduct, ProvisioningArtifact]:
        if product_type not in PRODUCT_TYPES:
            raise InvalidParametersException(f"ProductType must be one of {', '.join(PRODUCT_TYPES)}")
        fields.pop("accept_language", None)

        def create() -> tuple[CatalogProduct, ProvisioningArtifact]:
            # The first version is validated before anything is kept, as AWS does.
            artifact = self._new_artifact(provisioning_artifact_parameters or {})
            product = CatalogProduct(name=name, owner=owner, product_type=product_type,
                                     region_name=self.region_name, account_id=self.account_id, **fields)
            product.artifacts[artifact.id] = artifact
            self.products[product.id] = product
            self.tagger.tag_resource(product.arn, tags or [])
            return product, artifact

        return self._by_token("product", idempotency_token, create)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribeProductAsAdmin.html
    def describe_product_as_admin(self, id: str | None, name: str | None) -> CatalogProduct:
        return self.product(id, name)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_UpdateProduct.html
    def update_product(self, id: str, add_tags: list[dict[str, str]] | None, remove_tags: list[str] | None,
                       **fields: Any) -> CatalogProduct:
        product = self.product(id)
        product.update(**fields)
        self.change_tags(product.arn, add_tags, remove_tags)
        return product

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DeleteProduct.html
    # "You cannot delete a product if ... it is associated with a portfolio":
    # ResourceInUseException.
    def delete_product(self, accept_language: str | None, id: str) -> None:
        product = self.product(id)
        portfolios = self.portfolio_ids_of_product(id)
        if portfolios:
            raise ResourceInUseException(f"Product {id} is associated with portfolio(s) {', '.join(portfolios)}.")
        self.tagger.delete_all_tags_for_resource(product.arn)
        del self.products[id]

    # -- provisioning artifacts (versions) -------------------------------------
    def _new_artifact(self, parameters: dict[str, Any]) -> ProvisioningArtifact:
        info = parameters.get("Info") or {}
        sources = [k for k in ("LoadTemplateFromURL", "ImportFromPhysicalId") if info.get(k)]
        if len(sources) != 1:
            raise InvalidParametersException(
                "Info must specify exactly one of LoadTemplateFromURL, ImportFromPhysicalId")
        if sources[0] == "LoadTemplateFromURL":
            body = fetch_template(info["LoadTemplateFromURL"], self.account_id, self.region_name)
        else:
            body = self._stack_template(info["ImportFromPhysicalId"])
        template = parse_template(body, validate=not parameters.get("DisableTemplateValidation", False))
        return ProvisioningArtifact(name=parameters.get("Name"), description=parameters.get("Description"),
                                    artifact_type=parameters.get("Type") or "CLOUD_FORMATION_TEMPLATE",
                                    info={k: info[k] for k in sources}, template_body=body, template=template)

    def _stack_template(self, stack_arn: str) -> str:
        from moto.cloudformation.exceptions import ValidationError
        from moto.cloudformation.models import cloudformation_backends

        try:
            stack = cloudformation_backends[self.account_id][self.region_name].get_stack(stack_arn)
        except ValidationError:
            raise InvalidParametersException(f"Stack {stack_arn} not found") from None
        template = stack.template
        return template if isinstance(template, str) else json.dumps(template)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_CreateProvisioningArtifact.html
    def create_provisioning_artifact(self, product_id: str, parameters: dict[str, Any],
                                     idempotency_token: str | None) -> ProvisioningArtifact:
        product = self.product(product_id)

        def create() -> ProvisioningArtifact:
            artifact = self._new_artifact(parameters)
            product.artifacts[artifact.id] = artifact
            return artifact

        return self._by_token(f"artifact:{product_id}", idempotency_token, create)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribeProvisioningArtifact.html
    def describe_provisioning_artifact(self, product_id: str | None, product_name: str | None,
                                       artifact_id: str | None, artifact_name: str | None) -> ProvisioningArtifact:
        return self.artifact(self.product(product_id, product_name), artifact_id, artifact_name)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_ListProvisioningArtifacts.html
    def list_provisioning_artifacts(self, product_id: str) -> list[ProvisioningArtifact]:
        return list(self.product(product_id).artifacts.values())

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_UpdateProvisioningArtifact.html
    def update_provisioning_artifact(self, product_id: str, artifact_id: str, name: str | None,
                                     description: str | None, active: bool | None,
                                     guidance: str | None) -> ProvisioningArtifact:
        artifact = self.artifact(self.product(product_id), artifact_id)
        if guidance is not None and guidance not in GUIDANCES:
            raise InvalidParametersException(f"Guidance must be one of {', '.join(GUIDANCES)}")
        for attribute, value in (("name", name), ("description", description), ("active", active),
                                 ("guidance", guidance)):
            if value is not None:
                setattr(artifact, attribute, value)
        return artifact

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DeleteProvisioningArtifact.html
    # "You cannot delete the last provisioning artifact for a product": the page
    # names no dedicated error; we answer InvalidParametersException.
    def delete_provisioning_artifact(self, product_id: str, artifact_id: str) -> None:
        product = self.product(product_id)
        artifact = self.artifact(product, artifact_id)
        if len(product.artifacts) == 1:
            raise InvalidParametersException(
                f"Cannot delete provisioning artifact {artifact_id}: "
                "a product must have at least one provisioning artifact.")
        del product.artifacts[artifact.id]

    # -- product <-> portfolio ------------------------------------------------
    def portfolio_ids_of_product(self, product_id: str) -> list[str]:
        return [p for p, products in self.portfolio_products.items() if product_id in products]

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_AssociateProductWithPortfolio.html
    def associate_product_with_portfolio(self, product_id: str, portfolio_id: str,
                                         source_portfolio_id: str | None) -> None:
        self.product(product_id)
        self.portfolio(portfolio_id)
        if source_portfolio_id:
            self.portfolio(source_portfolio_id)
        products = self.portfolio_products.setdefault(portfolio_id, [])
        if product_id not in products:  # associating twice is not an error
            products.append(product_id)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DisassociateProductFromPortfolio.html
    # ResourceInUseException while the product has constraints in that
    # portfolio: constraints belong to the association.
    def disassociate_product_from_portfolio(self, product_id: str, portfolio_id: str) -> None:
        self.portfolio(portfolio_id)
        if product_id not in self.portfolio_products.get(portfolio_id, []):
            raise ResourceNotFoundException(f"Product {product_id} is not associated with portfolio {portfolio_id}.")
        constraints = [c.id for c in self.constraints.values()
                       if c.portfolio_id == portfolio_id and c.product_id == product_id]
        if constraints:
            raise ResourceInUseException(
                f"Product {product_id} has constraints in portfolio {portfolio_id}: {', '.join(constraints)}.")
        self.portfolio_products[portfolio_id].remove(product_id)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_ListPortfoliosForProduct.html
    def list_portfolios_for_product(self, product_id: str) -> list[Portfolio]:
        self.product(product_id)
        return [self.portfolios[p] for p in self.portfolio_ids_of_product(product_id)]

    # -- constraints ----------------------------------------------------------
    def _constraint_parameters(self, constraint_type: str, parameters: str) -> str:
        try:
            values = json.loads(parameters)
        except (TypeError, ValueError):
            raise InvalidParametersException("Parameters must be valid JSON.") from None
        if not isinstance(values, dict):
            raise InvalidParametersException("Parameters must be a JSON object.")
        if constraint_type == "LAUNCH" and len([k for k in ("RoleArn", "LocalRoleName") if values.get(k)]) != 1:
            raise InvalidParametersException("A LAUNCH constraint needs either RoleArn or LocalRoleName, not both.")
        if constraint_type == "NOTIFICATION" and not values.get("NotificationArns"):
            raise InvalidParametersException("A NOTIFICATION constraint needs NotificationArns.")
        return parameters

    def constraint(self, constraint_id: str) -> Constraint:
        if constraint_id not in self.constraints:
            raise ResourceNotFoundException(f"Constraint {constraint_id} not found.")
        return self.constraints[constraint_id]

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_CreateConstraint.html
    # The product must be in the portfolio (ResourceNotFoundException otherwise);
    # one LAUNCH (or STACKSET, RESOURCE_UPDATE) per product and portfolio
    # (DuplicateResourceException); no LAUNCH together with a STACKSET.
    def create_constraint(self, portfolio_id: str, product_id: str, constraint_type: str, parameters: str,
                          description: str | None, idempotency_token: str | None) -> Constraint:
        self.portfolio(portfolio_id)
        self.product(product_id)
        if constraint_type not in CONSTRAINT_TYPES:
            raise InvalidParametersException(f"Type must be one of {', '.join(CONSTRAINT_TYPES)}")
        parameters = self._constraint_parameters(constraint_type, parameters)

        def create() -> Constraint:
            if product_id not in self.portfolio_products.get(portfolio_id, []):
                raise ResourceNotFoundException(
                    f"Product {product_id} is not associated with portfolio {portfolio_id}.")
            existing = {c.type for c in self.constraints.values()
                        if c.portfolio_id == portfolio_id and c.product_id == product_id}
            if constraint_type in SINGLE_CONSTRAINT_TYPES and constraint_type in existing:
                raise DuplicateResourceException(
                    f"A {constraint_type} constraint already exists for product {product_id} "
                    f"in portfolio {portfolio_id}.")
            if {constraint_type} | existing >= {"LAUNCH", "STACKSET"}:
                raise InvalidParametersException("A product cannot have both a LAUNCH and a STACKSET constraint.")
            constraint = Constraint(constraint_type, portfolio_id, product_id, parameters, description,
                                    owner=self.account_id)
            self.constraints[constraint.id] = constraint
            return constraint

        return self._by_token("constraint", idempotency_token, create)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribeConstraint.html
    def describe_constraint(self, constraint_id: str) -> Constraint:
        return self.constraint(constraint_id)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_UpdateConstraint.html
    def update_constraint(self, constraint_id: str, description: str | None, parameters: str | None) -> Constraint:
        constraint = self.constraint(constraint_id)
        if parameters is not None:
            constraint.parameters = self._constraint_parameters(constraint.type, parameters)
        if description is not None:
            constraint.description = description
        return constraint

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DeleteConstraint.html
    def delete_constraint(self, constraint_id: str) -> None:
        del self.constraints[self.constraint(constraint_id).id]

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_ListConstraintsForPortfolio.html
    def list_constraints_for_portfolio(self, portfolio_id: str, product_id: str | None) -> list[Constraint]:
        self.portfolio(portfolio_id)
        return [c for c in self.constraints.values()
                if c.portfolio_id == portfolio_id and (not product_id or c.product_id == product_id)]

    # -- principals -----------------------------------------------------------
    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_AssociatePrincipalWithPortfolio.html
    def associate_principal_with_portfolio(self, portfolio_id: str, principal_arn: str, principal_type: str) -> None:
        self.portfolio(portfolio_id)
        error = principal_arn_error(principal_arn, principal_type)
        if error:
            raise InvalidParametersException(error)
        principals = self.portfolio_principals.setdefault(portfolio_id, [])
        if (principal_arn, principal_type) not in principals:
            principals.append((principal_arn, principal_type))

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DisassociatePrincipalFromPortfolio.html
    # The type must match the association's (an IAM_PATTERN association is not
    # removed by naming the ARN as IAM).
    def disassociate_principal_from_portfolio(self, portfolio_id: str, principal_arn: str,
                                              principal_type: str | None) -> None:
        self.portfolio(portfolio_id)
        association = (principal_arn, principal_type or "IAM")
        if association not in self.portfolio_principals.get(portfolio_id, []):
            raise ResourceNotFoundException(
                f"Principal {principal_arn} is not associated with portfolio {portfolio_id}.")
        self.portfolio_principals[portfolio_id].remove(association)

    # https://docs.aws.amazon.com/servicecatalog/latest/dg/API_ListPrincipalsForPortfolio.html
    def list_principals_for_portfolio(self, portfolio_id: str) -> list[dict[str, str]]:
        self.portfolio(portfolio_id)
        return [{"PrincipalARN": arn, "PrincipalType": kind}
                for arn, kind in self.portfolio_principals.get(portfolio_id, [])]

