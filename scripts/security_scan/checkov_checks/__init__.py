"""The platform's own checkov checks (loaded with ``--external-checks-dir``).

checkov ships no check for ``AWS::EMR::Cluster``; these hold the product
templates in ``emr_templates/`` to what the platform promises of every EMR
cluster Studio users launch.
"""
