"""EMR's endpoints, as moto's ``urls.py`` routes them, answered by our response
(moto finds this module from the backend's: ``models`` -> ``urls``)."""
from moto.emr.urls import url_bases  # noqa: F401  (the same endpoints as moto's)

from .responses import EmrStudioResponse

url_paths = {
    "{0}/$": EmrStudioResponse.dispatch,
}
