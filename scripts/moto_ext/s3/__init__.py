"""S3 with bucket-policy conditions evaluated (policy.py), for the emulator.

:func:`install` makes moto's own ``s3_backends`` build :class:`PolicyS3Backend`
instead of replacing the object: moto binds that object by name at import time
in many places (``moto.s3``, ``moto.s3.models`` whose methods read it as a
global, ``moto.s3.responses``, ``moto.s3control.models``,
``moto.cloudformation.parsing``, ``moto.logs.models``, ``moto.sagemaker.utils``,
``moto.s3.config``'s ``S3ConfigQuery(s3_backends)`` instance, ...), and a
swapped object would miss whichever of them was imported first. Switching the
class it builds, before any account is used, reaches them all (the ec2
extension does the same). moto's server then finds the S3 app through
``moto.s3.s3_backends`` (moto/backends.py ``get_backend``) and, through the
backend's ``_url_module``, our routes in ``urls.py``.
"""
from __future__ import annotations


def install() -> None:
    from moto.s3.models import s3_backends

    from scripts.moto_ext import build_with
    from scripts.moto_ext.s3.models import PolicyS3Backend

    build_with(s3_backends, PolicyS3Backend)
