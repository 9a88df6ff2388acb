"""SageMaker Studio for the emulator: domains the Terraform provider can manage
(with the home EFS and NFS groups AWS creates beside them), user profiles,
spaces and apps. See ``models.py``.

:func:`install` makes moto's own ``sagemaker_backends`` build
:class:`~.models.SageMakerStudioBackend` rather than replacing the object, as
the other extensions do: moto binds that object by name at import time
(``moto.sagemaker``, ``moto.sagemaker.models`` whose models read it as a global,
``moto.sagemaker.responses``, ``moto.sagemakermetrics.models``,
``moto.resourcegroupstaggingapi.models``), and a swapped object would miss
whichever was imported first. moto's server finds the app through
``moto.sagemaker.sagemaker_backends`` (moto/backends.py ``get_backend``) and,
through the backend class's module (``models`` -> ``urls``,
moto/moto_server/werkzeug_app.py ``create_backend_app``), our routes.
"""
from __future__ import annotations


def install() -> None:
    from moto.sagemaker.models import sagemaker_backends

    from scripts.moto_ext import build_with

    from .models import SageMakerStudioBackend

    build_with(sagemaker_backends, SageMakerStudioBackend)
