"""moto's S3 routes (moto/s3/urls.py, same patterns) answered by our response.

moto's server builds the S3 app from the backend's routes
(``PolicyS3Backend._url_module`` returns this module). Path-style
(``/bucket/key``, what the emulator's clients use) and virtual-host-style
routes are both kept, as in moto.
"""
from moto import settings

from scripts.moto_ext.s3.responses import PolicyS3Response

# As moto/s3/urls.py: s3.amazonaws.com and <bucket>.s3.amazonaws.com, not
# s3-control/s3tables/s3vectors; plus MOTO_S3_CUSTOM_ENDPOINTS.
url_bases = [
    r"https?://s3(?!(-control|tables|vectors))(.*)\.amazonaws.com",
    r"https?://(?P<bucket_name>[a-zA-Z0-9\-_.]*)\.?s3(?!(-control|tables|vectors))(.*)\.amazonaws.com",
]
url_bases.extend(settings.get_s3_custom_endpoints())

url_paths = {
    # subdomain bucket
    "{0}/$": PolicyS3Response.bucket_dispatch,
    # subdomain key of path-based bucket
    "{0}/(?P<key_or_bucket_name>[^/]+)$": PolicyS3Response.ambiguous_dispatch,
    "{0}/(?P<key_or_bucket_name>[^/]+)/$": PolicyS3Response.ambiguous_dispatch,
    # path-based bucket + key
    "{0}/(?P<bucket_name_path>[^/]+)/(?P<key_name>.+)": PolicyS3Response.key_dispatch,
    # subdomain bucket + key with empty first part of path
    "{0}/(?P<key_name>/.*)$": PolicyS3Response.key_dispatch,
}
