"""EMR as Studio's connect path and the platform's clusters need it: clusters
whose instance groups are EC2 instances in the cluster's subnet (ended with
the cluster), DescribeCluster/ListInstanceGroups/ListInstances answered as
AWS answers them, the app-UI and runtime-role operations, the Region of the
caller's signature (``models.py``, ``responses.py``), and AWS::EMR::Cluster in
moto's CloudFormation with every property our product templates use
(``cloudformation.py``).

:func:`install` makes moto's own ``emr_backends`` build
:class:`~.models.EmrStudioBackend` rather than replacing the object: moto
binds it by name at import time (``moto.emr``, ``moto.emr.responses``,
``moto.resourcegroupstaggingapi.models``), and a swapped object would miss
whichever was imported first. moto's server finds the app through
``moto.emr.emr_backends`` (moto/backends.py ``get_backend``) and, through the
backend class's module (``models`` -> ``urls``), our routes.
"""
from __future__ import annotations


def install() -> None:
    from moto.emr.models import emr_backends

    from scripts.moto_ext import build_with

    from . import cloudformation
    from .models import EmrStudioBackend

    build_with(emr_backends, EmrStudioBackend)
    cloudformation.install()
