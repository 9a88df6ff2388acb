"""What points clients and Terraform at the emulator: the environment, the provider's
endpoints, and the override files written into a scratch copy of a stack (never into the stack)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping


HOST = "127.0.0.1"  # loopback only, never anything else
OVERRIDE_FILE = "emulator_override.tf.json"
BACKEND_OVERRIDE_FILE = "emulator_backend_override.tf.json"

# Endpoint argument names of hashicorp/aws 5.100.0's `endpoints` block, checked
# against `terraform providers schema -json` of that exact provider. Canonical
# names only: aliases (cloudwatchlogs for logs, ...) must not be set twice.
ENDPOINT_SERVICES = (
    "cloudformation",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "efs",
    "emr",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "s3control",
    "sagemaker",
    "secretsmanager",
    "servicecatalog",
    "sns",
    "sqs",
    "ssm",
    "sts",
)

# Resource types the emulator cannot create, and why: these are planned, never
# applied, on the emulator (`-target` leaves them out). Empty: scripts/moto_ext
# adds what moto lacks; a type goes here only when AWS itself cannot offer it
# offline, with the reason.
UNSUPPORTED_TYPES: dict[str, str] = {}

# Arguments the emulator does not echo back, so that a plan after an apply on
# the emulator would show a change that AWS itself would not: ignored on the
# emulator only (an override file in the scratch copy), never in the stack.
EMULATOR_DRIFT = {
    "aws_vpc_security_group_ingress_rule": (
        ["description"], "moto drops the description of a rule that references a group or prefix list"),
    "aws_vpc_security_group_egress_rule": (
        ["description"], "moto drops the description of a rule that references a group or prefix list"),
}
DRIFT_OVERRIDE_FILE = "emulator_drift_override.tf.json"

# Variables that could make a client reach a real account or another endpoint.
_AWS_VARS_TO_DROP = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_SDK_LOAD_CONFIG",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_CA_BUNDLE",  # another bundle would not trust the emulator's certificate; env() sets ours
)


def previous_outputs_override(stack_dir: Path | str, backend_type: str, config: Mapping[str, object]) -> dict:
    """The override fragment that points a stack's ``previous_outputs`` data
    source (modules/previous_state.py) at the same state as its backend
    override; empty for a stack without that data source."""
    from modules.previous_state import PREVIOUS_OUTPUTS, override_document

    data = json.loads((Path(stack_dir) / "cdk.tf.json").read_text()).get("data", {})
    if PREVIOUS_OUTPUTS not in data.get("terraform_remote_state", {}):
        return {}
    return override_document(backend_type, dict(config))


class EmulatorClients:
    """The client side of :class:`~scripts.emulator.server.Emulator` (its ``url``, ``region``,
    ``ca_bundle``): environments, provider settings, override files, boto3 clients."""

    def env(self, base: Mapping[str, str] | None = None, region: str | None = None) -> dict[str, str]:
        """``base`` (default os.environ) with AWS settings for the emulator only.

        Fake credentials ``testing``, region, metadata service disabled, profiles,
        tokens and shared config files removed; ``AWS_ENDPOINT_URL`` points SDKs
        (boto3, the AWS CLI) at the emulator; loopback is exempt from proxies.
        """
        env = dict(os.environ if base is None else base)
        for key in list(env):
            if key in _AWS_VARS_TO_DROP or key.startswith("AWS_ENDPOINT_URL"):
                del env[key]
        region = region or self.region
        env.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": region,
                "AWS_REGION": region,
                "AWS_EC2_METADATA_DISABLED": "true",
                # No ~/.aws files: nothing there can redirect a client to a real account.
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            }
        )
        if self.port is not None:
            env["AWS_ENDPOINT_URL"] = self.url
            env["AWS_CA_BUNDLE"] = str(self.ca_bundle)  # boto3, the AWS CLI, the provider, the S3 backend
        no_proxy = [p for p in env.get("NO_PROXY", env.get("no_proxy", "")).split(",") if p]
        for host in (HOST, "localhost"):
            if host not in no_proxy:
                no_proxy.append(host)
        env["NO_PROXY"] = env["no_proxy"] = ",".join(no_proxy)
        return env

    def provider_config(self, region: str | None = None, alias: str | None = None) -> dict:
        """The aws provider arguments that point it at the emulator."""
        cfg: dict = {}
        if alias:
            cfg["alias"] = alias
        if region:
            cfg["region"] = region
        cfg.update(
            {
                "access_key": "testing",
                "secret_key": "testing",
                "skip_credentials_validation": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
                "s3_use_path_style": True,
                "custom_ca_bundle": str(self.ca_bundle),
                "endpoints": [{svc: self.url for svc in ENDPOINT_SERVICES}],
            }
        )
        return cfg

    def write_provider_override(self, stack_dir: Path | str, region: str | None = None) -> Path:
        """Write ``emulator_override.tf.json`` into ``stack_dir``; return its path.

        A Terraform override file: its ``provider "aws"`` blocks merge into the
        stack's. Every aws provider configuration found in the stack's
        ``cdk.tf.json`` (the default one and each alias) is pointed at the
        emulator; ``region`` (if given) is set on the default configuration
        only, aliases keep theirs. Remove the file when done
        (:meth:`remove_provider_override`).
        """
        stack_dir = Path(stack_dir)
        aliases: list[str | None] = [None]
        main = stack_dir / "cdk.tf.json"
        if main.is_file():
            try:
                providers = json.loads(main.read_text()).get("provider", {}).get("aws", [])
            except (ValueError, AttributeError):
                providers = []
            if isinstance(providers, dict):
                providers = [providers]
            for p in providers:
                alias = p.get("alias") if isinstance(p, dict) else None
                if alias and alias not in aliases:
                    aliases.append(alias)
        blocks = [
            self.provider_config(region=region if alias is None else None, alias=alias) for alias in aliases
        ]
        doc = {
            "//": "Written by scripts/emulator/overrides.py for a plan against the local emulator; never commit.",
            "provider": {"aws": blocks},
        }
        path = stack_dir / OVERRIDE_FILE
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

    def client(self, service: str, region: str | None = None):
        """A boto3 client for the emulator (boto3 comes with the dev packages)."""
        import boto3
        from botocore.config import Config

        return boto3.client(service, endpoint_url=self.url, region_name=region or self.region,
                            verify=str(self.ca_bundle),
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))

    @staticmethod
    def write_drift_override(stack_dir: Path | str) -> Path | None:
        """Ignore, on the emulator only, the arguments in EMULATOR_DRIFT (no file
        when the stack has none of those resources)."""
        stack_dir = Path(stack_dir)
        resources = json.loads((stack_dir / "cdk.tf.json").read_text()).get("resource", {})
        ignored = {type_: {name: {"lifecycle": {"ignore_changes": EMULATOR_DRIFT[type_][0]}}
                           for name in resources[type_]}
                   for type_ in sorted(EMULATOR_DRIFT) if type_ in resources}
        if not ignored:
            return None
        doc = {"//": "Written by scripts/emulator/overrides.py: emulator gaps (EMULATOR_DRIFT); never commit.",
               "resource": ignored}
        path = stack_dir / DRIFT_OVERRIDE_FILE
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

    def write_backend_override(self, stack_dir: Path | str, settings: Mapping[str, object]) -> Path:
        """Write ``emulator_backend_override.tf.json``: the stack's state goes to
        an S3 backend in the emulator (``settings``: bucket, key, region,
        workspace_key_prefix, ...), whatever backend the stack declares."""
        backend = dict(settings)
        backend.update({
            "access_key": "testing",
            "secret_key": "testing",
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "skip_requesting_account_id": True,
            "use_path_style": True,
            "custom_ca_bundle": str(self.ca_bundle),
            "endpoints": {"s3": self.url, "sts": self.url, "iam": self.url, "dynamodb": self.url},
        })
        doc = {
            "//": "Written by scripts/emulator/overrides.py: state in the local emulator; never commit.",
            "terraform": {"backend": {"s3": backend}},
            **previous_outputs_override(stack_dir, "s3", backend),
        }
        path = Path(stack_dir) / BACKEND_OVERRIDE_FILE
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

    @staticmethod
    def remove_provider_override(stack_dir: Path | str) -> None:
        """Removes both override files this class writes."""
        for name in (OVERRIDE_FILE, BACKEND_OVERRIDE_FILE):
            (Path(stack_dir) / name).unlink(missing_ok=True)
