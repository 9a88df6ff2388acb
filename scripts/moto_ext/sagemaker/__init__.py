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

    from .models import SageMakerStudioBackend

    if sagemaker_backends.backend is SageMakerStudioBackend:
        return
    if len(sagemaker_backends):
        # An account's backends already exist with moto's class: they would keep it.
        raise RuntimeError("scripts.moto_ext.sagemaker.install() must run before any SageMaker backend is used")
    sagemaker_backends.backend = SageMakerStudioBackend
