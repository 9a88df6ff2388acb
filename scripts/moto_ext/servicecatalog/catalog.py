"""Model classes of the catalog an administrator builds: products, their
versions (provisioning artifacts) and constraints. Field names follow the
API's shapes so that responses can hand them over as they are."""
from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition


def new_id(prefix: str) -> str:
    """An id in AWS's format: ``prod-``, ``pa-``, ``cons-``... + 13 lower-case alphanumerics."""
    return f"{prefix}-{mock_random.get_random_string(length=13, lower_case=True)}"


class ProvisioningArtifact(BaseModel):
    """A product version: the copy of its template Service Catalog keeps."""

    def __init__(self, name: str | None, description: str | None, artifact_type: str,
                 info: dict[str, str], template_body: str, template: dict[str, Any]) -> None:
        self.id = new_id("pa")
        self.name = name or ""
        self.description = description or ""
        self.type = artifact_type
        self.info = info
        self.template_body = template_body
        self.template = template
        self.created_time = utcnow()
        self.active = True
        self.guidance = "DEFAULT"

    @property
    def template_url(self) -> str | None:
        return self.info.get("LoadTemplateFromURL")

    def detail(self) -> dict[str, Any]:
        """ProvisioningArtifactDetail."""
        return {"Id": self.id, "Name": self.name, "Description": self.description, "Type": self.type,
                "CreatedTime": self.created_time, "Active": self.active, "Guidance": self.guidance}

    def summary(self) -> dict[str, Any]:
        """ProvisioningArtifactSummary (DescribeProductAsAdmin)."""
        return {"Id": self.id, "Name": self.name, "Description": self.description,
                "CreatedTime": self.created_time}

    def end_user_view(self) -> dict[str, Any]:
        """ProvisioningArtifact (DescribeProduct)."""
        return {"Id": self.id, "Name": self.name, "Description": self.description,
                "CreatedTime": self.created_time, "Guidance": self.guidance}

    def info_view(self) -> dict[str, str]:
        """The ``Info`` AWS answers: where the template came from."""
        return {"TemplateUrl": self.template_url} if self.template_url else dict(self.info)


class CatalogProduct(BaseModel):
    """A product as its administrator sees it."""

    def __init__(self, name: str, owner: str, product_type: str, region_name: str, account_id: str,
                 description: str | None = None, distributor: str | None = None,
                 support_description: str | None = None, support_email: str | None = None,
                 support_url: str | None = None, source_connection: dict[str, Any] | None = None) -> None:
        self.id = new_id("prod")
        self.view_id = new_id("prodview")
        self.name = name
        self.owner = owner
        self.product_type = product_type
        self.description = description
        self.distributor = distributor
        self.support_description = support_description
        self.support_email = support_email
        self.support_url = support_url
        self.source_connection = source_connection
        self.created_time = utcnow()
        self.region_name = region_name
        self.account_id = account_id
        self.artifacts: dict[str, ProvisioningArtifact] = {}

    @property
    def arn(self) -> str:
        return f"arn:{get_partition(self.region_name)}:catalog:{self.region_name}:{self.account_id}:product/{self.id}"

    def update(self, **fields: Any) -> None:
        """UpdateProduct: only the fields given change."""
        for attribute, value in fields.items():
            if value is not None:
                setattr(self, attribute, value)

    def summary(self, has_default_path: bool = False) -> dict[str, Any]:
        """ProductViewSummary."""
        return {"Id": self.view_id, "ProductId": self.id, "Name": self.name, "Owner": self.owner,
                "ShortDescription": self.description, "Type": self.product_type,
                "Distributor": self.distributor, "HasDefaultPath": has_default_path,
                "SupportEmail": self.support_email, "SupportDescription": self.support_description,
                "SupportUrl": self.support_url}

    def view_detail(self) -> dict[str, Any]:
        """ProductViewDetail: AVAILABLE at once, as the emulator copies the
        template synchronously (AWS may answer CREATING first)."""
        return {"ProductViewSummary": self.summary(), "Status": "AVAILABLE", "ProductARN": self.arn,
                "CreatedTime": self.created_time, "SourceConnection": self.source_connection}

    def search_text(self) -> str:
        """What SearchProducts' FullTextSearch looks in."""
        fields = (self.name, self.owner, self.description, self.distributor, self.support_description)
        return " ".join(f for f in fields if f).lower()


class Constraint(BaseModel):
    """A constraint on a product in a portfolio (LAUNCH: the role that launches it)."""

    def __init__(self, constraint_type: str, portfolio_id: str, product_id: str,
                 parameters: str, description: str | None, owner: str) -> None:
        self.id = new_id("cons")
        self.type = constraint_type
        self.portfolio_id = portfolio_id
        self.product_id = product_id
        self.parameters = parameters
        self.description = description or ""
        self.owner = owner

    @property
    def parameters_dict(self) -> dict[str, Any]:
        return json.loads(self.parameters)

    def detail(self) -> dict[str, Any]:
        """ConstraintDetail."""
        return {"ConstraintId": self.id, "Type": self.type, "Description": self.description,
                "Owner": self.owner, "ProductId": self.product_id, "PortfolioId": self.portfolio_id}

    def summary(self) -> dict[str, Any]:
        """ConstraintSummary (launch paths, provisioning parameters)."""
        return {"Type": self.type, "Description": self.description}
