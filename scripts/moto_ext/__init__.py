"""The project's additions to moto: AWS APIs the platform needs that moto lacks.

Each service is a package in moto's own layout (``models.py`` with a backend
subclassing moto's, ``responses.py`` with a response subclassing moto's where
operations are added, ``urls.py`` routing the service's endpoint) and an
``install()`` that makes moto's ``<service>_backends`` build our backend class
(``BackendDict.backend``: every moto module holds that one dict object, so a
swap of the module attribute would leave some of them on moto's class). Every
added operation cites the AWS API reference page it follows.

:func:`install` runs once, in the emulator's server process, before moto
builds its per-service apps (``python -m scripts.moto_ext``, see
``__main__.py``); nothing here is imported by the platform itself.
"""
from __future__ import annotations

import importlib

# Services whose moto backend we extend, in install order.
SERVICES = ("cloudformation", "ec2", "emr", "emrserverless", "s3", "sagemaker", "servicecatalog")

_installed = False


def install() -> None:
    """Replaces moto's backends of :data:`SERVICES` with ours (idempotent)."""
    global _installed
    if _installed:
        return
    for service in SERVICES:
        importlib.import_module(f"{__name__}.{service}").install()
    _installed = True


def build_with(backends, backend_class: type) -> None:
    """Makes moto's ``backends`` (a BackendDict) build ``backend_class`` from now on.

    The one way every extension installs itself: every moto module holds that
    one dict object (bound by name at import time), so switching the class it
    builds reaches them all, where swapping the module attribute would not.
    It must happen before any account's backend exists (they would keep moto's class).
    """
    if backends.backend is backend_class:
        return
    if len(backends):
        raise RuntimeError(f"{backend_class.__name__} must be installed before any {backends.service_name} "
                           "backend is used")
    backends.backend = backend_class
