"""Service Catalog's endpoint, as moto's ``urls.py`` routes it, with the
catalog path answered by our response. moto finds this module from the
backend's (``models`` -> ``urls``)."""
from moto.servicecatalog.urls import url_bases as moto_url_bases
from moto.servicecatalog.urls import url_paths as moto_url_paths

from .responses import ExtendedServiceCatalogResponse

url_bases = list(moto_url_bases)

# moto's paths (the AppRegistry ones included), the catalog's own path ours.
url_paths = {**moto_url_paths, "{0}/$": ExtendedServiceCatalogResponse.dispatch}
