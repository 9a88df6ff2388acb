"""EMR Serverless's endpoints as moto routes them, plus the tagging paths moto lacks, answered by our
response (moto finds this module from the backend's: ``models`` -> ``urls``)."""
from moto.emrserverless.urls import url_bases  # noqa: F401  (the same endpoint as moto's)

from .responses import EmrServerlessStudioResponse

dispatch = EmrServerlessStudioResponse.dispatch
url_paths = {
    "{0}/applications$": dispatch,
    "{0}/applications/(?P<applicationId>[^/]+)$": dispatch,
    "{0}/applications/(?P<applicationId>[^/]+)/start$": dispatch,
    "{0}/applications/(?P<applicationId>[^/]+)/stop$": dispatch,
    "{0}/applications/(?P<applicationId>[^/]+)/jobruns$": dispatch,
    "{0}/applications/(?P<applicationId>[^/]+)/jobruns/(?P<jobRunId>[^/]+)$": dispatch,
    # The resource ARN holds slashes (arn:aws:emr-serverless:REGION:ACCOUNT:/applications/ID).
    "{0}/tags/(?P<resourceArn>.+)$": dispatch,
}
