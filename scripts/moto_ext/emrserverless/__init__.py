"""EMR Serverless as the platform's interactive applications and Studio's connect path need it:
applications created in state CREATED (moto's start STARTED, which no provider waiter expects), their
interactive configuration (Livy endpoint), architecture and network configuration (subnets and security
groups that must exist in one VPC), tagging, and AWS's refusals of an update or delete of an application
that is not CREATED or STOPPED. See ``models.py``.

:func:`install` makes moto's own ``emrserverless_backends`` build
:class:`~.models.EmrServerlessStudioBackend`, as the other extensions do (``scripts/moto_ext/__init__.py``
``build_with``); moto's server finds our routes through the backend class's module (``models`` ->
``urls``).
"""
from __future__ import annotations


def install() -> None:
    from moto.emrserverless.models import emrserverless_backends

    from scripts.moto_ext import build_with

    from .models import EmrServerlessStudioBackend

    build_with(emrserverless_backends, EmrServerlessStudioBackend)
