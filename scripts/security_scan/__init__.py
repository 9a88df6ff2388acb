"""Security scans of the platform: checkov and parliament, offline.

    .venv/bin/python -m scripts.security_scan --stack DIR [--plan-json FILE] [--templates-dir DIR]

prints checkov's passed / failed / skipped counts per target and every
failure, and parliament's findings above LOW; exit 1 when anything fails.
The tests (``tests/test_security_scan.py``) run the same functions on the
session's synthesized stack, the dev plan and the rendered EMR templates.

checkov targets:

* ``cdk.tf.json`` (framework ``terraform_json``). checkov 3.2's Terraform
  JSON parser stops at the top-level ``terraform`` settings block (it holds a
  plain string, ``required_version``) and at the ``import`` blocks (a list:
  the product versions Terraform adopts, modules/emr_catalog.py), so the scan
  reads a copy without them; they hold no resources.
* ``terraform show -json`` of a plan (framework ``terraform_plan``).
* the rendered product templates (framework ``cloudformation``), with the
  platform's own checks in ``checkov_checks/`` (beside this file): checkov ships no
  check for ``AWS::EMR::Cluster``.

Skips: checkov reads inline skip comments from HCL and CloudFormation only.
A check the platform deliberately does not meet is declared beside the
resource in the construct (``modules.tf.skip_checks``), which writes it into
the resource's ``//`` comment in ``cdk.tf.json``. :func:`apply_skips` turns a
failure of that check on that resource into a skip, in both the JSON and the
plan scan; a declared skip that matches no failure is reported as stale. In
templates, skips are ``Metadata: checkov: skip`` on the resource, which
checkov applies itself.

parliament lints every policy document the stack generates: role trust
policies, inline role policies, bucket policies, the KMS key policy and the
S3 endpoint policy. Documents are taken from the plan where Terraform knows
them and from ``cdk.tf.json`` otherwise, with each ``${...}`` replaced by a
plausible value (:func:`resolve_placeholders`). A trust policy has no
``Resource`` (its resource is the role), which parliament reports as
malformed, so the role's ARN is added as its resource before linting.
"""

# The package's interface (the tests, scripts/docs.py), from where each is defined:
#   checkov.py       checkov runs and the declared skips    policies.py  documents, parliament
#   placeholders.py  plausible values for ``${...}``        cli.py       the command line
from scripts.security_scan.checkov import (
    BLACKHOLE_PROXY, CUSTOM_CHECKS_DIR, CheckovResult, ScanError, Skip, _address, _addresses, apply_skips,
    declared_skips, offline_env, run_checkov, scan_plan, scan_stack, scan_templates, stale_skips)
from scripts.security_scan.cli import main
from scripts.security_scan.placeholders import resolve_placeholders, template_as_json
from scripts.security_scan.policies import POLICY_ARGUMENTS, SEVERITIES, Finding, PolicyDocument, lint_policy, \
    policy_documents

__all__ = [
    "BLACKHOLE_PROXY", "CUSTOM_CHECKS_DIR", "POLICY_ARGUMENTS", "SEVERITIES", "CheckovResult", "Finding",
    "PolicyDocument", "ScanError", "Skip", "_address", "_addresses", "apply_skips", "declared_skips", "lint_policy",
    "main", "offline_env", "policy_documents", "resolve_placeholders", "run_checkov", "scan_plan", "scan_stack",
    "scan_templates", "stale_skips", "template_as_json",
]
