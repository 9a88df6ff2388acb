"""EC2's endpoints, as moto routes them (our backend changes models only)."""
from moto.ec2.urls import url_bases, url_paths  # noqa: F401
