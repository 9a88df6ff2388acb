"""Service Catalog as the platform uses it: products that become AVAILABLE,
versions, product and principal associations, launch constraints, and the end
user's side (SearchProducts for the caller's role, launching a product as a
CloudFormation stack, terminating it). See ``models.py``.

:func:`install` makes moto's own ``servicecatalog_backends`` build
:class:`~.models.ExtendedServiceCatalogBackend` rather than replacing the
object: moto binds it by name at import time (``moto.servicecatalog``,
``moto.servicecatalog.responses``, ``moto.resourcegroupstaggingapi.models``),
and a swapped object would miss whichever was imported first. moto's server
finds the app through ``moto.servicecatalog.servicecatalog_backends``
(moto/backends.py ``get_backend``) and, through the backend class's module
(``models`` -> ``urls``), our routes. The clusters a launch creates come from
``scripts/moto_ext/emr``.
"""
from __future__ import annotations


def install() -> None:
    from moto.servicecatalog.models import servicecatalog_backends

    from scripts.moto_ext import build_with

    from .models import ExtendedServiceCatalogBackend

    build_with(servicecatalog_backends, ExtendedServiceCatalogBackend)
