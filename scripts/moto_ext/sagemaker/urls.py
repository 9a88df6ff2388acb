"""SageMaker's endpoint, routed to our response (moto finds this module from the
backend's: ``scripts.moto_ext.sagemaker.models`` -> ``scripts.moto_ext.sagemaker.urls``)."""
from moto.sagemaker.urls import url_bases  # noqa: F401  (the same endpoint as moto's)

from .responses import SageMakerStudioResponse

url_paths = {
    "{0}/$": SageMakerStudioResponse.dispatch,
}
