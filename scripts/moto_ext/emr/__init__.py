"""EMR as the platform's clusters need it: AWS::EMR::Cluster in moto's
CloudFormation with every property our product templates use (what a Service
Catalog launch creates; ``cloudformation.py``)."""


def install() -> None:
    from . import cloudformation

    cloudformation.install()
