"""Service Catalog errors, named as AWS names them (each operation's page lists
the ones it may return). moto already has the first two; we reuse them so that
errors raised by moto's own operations and by ours are the same classes."""
from moto.core.exceptions import JsonRESTError
from moto.servicecatalog.exceptions import InvalidParametersException, ResourceNotFoundException

__all__ = [
    "DuplicateResourceException",
    "InvalidParametersException",
    "ResourceInUseException",
    "ResourceNotFoundException",
]


class ResourceInUseException(JsonRESTError):
    """A resource that is currently in use (e.g. a product still in a portfolio)."""

    code = 400

    def __init__(self, message: str):
        super().__init__("ResourceInUseException", message)


class DuplicateResourceException(JsonRESTError):
    """The specified resource is a duplicate (e.g. a second LAUNCH constraint)."""

    code = 400

    def __init__(self, message: str):
        super().__init__("DuplicateResourceException", message)
