"""Constructs of the SageMaker Studio + EMR platform, one per concern.

Each construct takes a typed props object and exposes what others need as
attributes; ``main.py`` wires them into stacks.

Importing this package first makes every later
``from cdktf_cdktf_provider_aws.<resource> import ...`` load that resource's
bindings only (see :func:`import_bindings_by_resource`).
"""
import importlib.util
import sys
import types

AWS_BINDINGS = "cdktf_cdktf_provider_aws"


def import_bindings_by_resource() -> bool:
    """Puts a bare package object in place of ``cdktf_cdktf_provider_aws``'s
    ``__init__``, which imports all 2,135 of its resource and data source
    modules although this stack uses 45. Loading only those cut a synthesis of
    the platform stack from about 11 s to 2.7 s on our 2-core machines.

    Every resource module imports what it needs itself (the jsii assembly
    through ``.._jsii``), so loading only those named by an import is
    complete. The package root defines nothing the project uses. Returns
    False, changing nothing, when the root is already imported or the package
    is missing (the normal import then applies, and reports what is wrong).
    """
    if AWS_BINDINGS in sys.modules:
        return False
    spec = importlib.util.find_spec(AWS_BINDINGS)
    if spec is None or not spec.submodule_search_locations:
        return False
    package = types.ModuleType(AWS_BINDINGS, "AWS provider bindings, imported one resource module at a time")
    package.__spec__ = spec
    package.__path__ = list(spec.submodule_search_locations)
    package.__package__ = AWS_BINDINGS
    package.__file__ = spec.origin
    sys.modules[AWS_BINDINGS] = package
    return True


import_bindings_by_resource()
