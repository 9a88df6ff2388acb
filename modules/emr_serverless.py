"""EMR Serverless interactive applications that Studio users connect to (issue 12, part 2).

One Spark application per entry of ``emr_serverless_applications``, named
``<domain_name>-<key>``, with AWS's Livy endpoint on
(``interactive_configuration.livy_endpoint_enabled``; ``studio_enabled`` is EMR
Studio's switch, not SageMaker Studio's, and stays off), in the domain's private
subnets behind its own security group (modules/security_groups.py), with a
maximum capacity, auto start and auto stop after idle minutes.

How Studio uses it (sagemaker-studio-analytics-extension 0.3.0,
``%sm_analytics emr-serverless connect --application-id ... --emr-execution-role-arn ...``):
StartApplication, GetApplication until STARTED, then sparkmagic opens a Livy
session at ``https://<id>.livy.emr-serverless-services.<region>.amazonaws.com``
signed with SigV4, passing the runtime role (``emr-serverless.session.executionRoleArn``).
The JupyterLab EMR extension lists and describes applications (ListApplications,
GetApplication). The Studio execution role may do exactly that on the applications
tagged with this domain's ARN (``sagemaker:domain-arn``, the tag AWS's Studio
permission page scopes by: ``PlatformIam.grant_emr_serverless``). Starting an
application, opening its Livy endpoint, its job runs' Spark UI and passing its
runtime role are granted per runtime role, only in the sessions of the users given
that role (``EmrRuntimeRoles.grant_serverless``, issue 12 part 1's per-user model).

Each application names a runtime role of ``emr_runtime_roles`` (issue 12 part 1's
model); that role trusts ``emr-serverless.amazonaws.com`` (the runtime-role
construct, given :attr:`EmrServerless.runtime_role_names`).

An application that is STARTED cannot be updated or deleted (AWS's
UpdateApplication and DeleteApplication; hashicorp/terraform-provider-aws#49109):
``scripts/serverless_apps.py`` stops it before an apply that changes it and before
a destroy.
"""
from dataclasses import dataclass

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.emrserverless_application import (
    EmrserverlessApplication, EmrserverlessApplicationAutoStartConfiguration,
    EmrserverlessApplicationAutoStopConfiguration, EmrserverlessApplicationInteractiveConfiguration,
    EmrserverlessApplicationMaximumCapacity, EmrserverlessApplicationNetworkConfiguration)

from modules.emr_values import DOMAIN_TAG, runtime_role_names
from modules.input_rules import SERVERLESS_APPLICATION_SETTINGS
from modules.tf import (
    address, expr, expr_bool, expr_list, expr_map, expr_number, local, quoted, string_list, string_map, template)


@dataclass(frozen=True)
class EmrServerlessProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name: str
    """Prefix of the application names (the domain name)."""
    applications: str
    """The ``emr_serverless_applications`` input: name => settings (map(map(string)))."""
    subnet_ids: str
    """List: the private subnets the workers' network interfaces go to."""
    security_group_id: str
    """The applications' group (``SecurityGroups.emr_serverless``)."""
    domain_arn: str
    """The Studio domain's ARN, tagged on each application as ``sagemaker:domain-arn``."""
    runtime_role_arns: str
    """Map: runtime-role name => ARN (``EmrRuntimeRoles.role_arns``)."""


class EmrServerless(Construct):
    """Exposes tokens (modules/tf.py), or bare expressions where said: ``enabled`` (condition: any application),
    ``application_ids`` and
    ``application_arns`` (maps name => value), ``runtime_role_names`` (list of the runtime roles the
    applications name), ``runtime_role_arns`` (list of their ARNs), ``application_arns_by_role`` and
    ``job_run_arns_by_role`` (maps: runtime role => ARNs of the applications running as it, of their job runs;
    keys from the inputs alone)."""

    def __init__(self, scope: Construct, id: str, props: EmrServerlessProps) -> None:
        super().__init__(scope, id)
        defaults = {k: v for k, v in SERVERLESS_APPLICATION_SETTINGS.items() if v is not None}
        settings = ", ".join(f'{k} = try(a.{k}, null) == null ? "{v}" : a.{k}' for k, v in defaults.items())
        # Each application's settings with every attribute present, defaults filled in.
        apps = local(self, "emr_serverless_settings",
                     f"{{for n, a in {props.applications} : n => merge(a, {{{settings}}})}}")
        each = TerraformIterator.from_map(expr_map(apps))
        app = EmrserverlessApplication(
            self, "application", for_each=each,
            name=quoted("{name}-{app}", name=props.name, app="each.key"),
            release_label=expr("each.value.release_label"), type="spark",
            maximum_capacity=EmrserverlessApplicationMaximumCapacity(
                cpu=quoted("{n} vCPU", n="each.value.max_vcpu"), memory=quoted("{n} GB", n="each.value.max_memory_gb"),
                disk=quoted("{n} GB", n="each.value.max_disk_gb")),
            auto_start_configuration=EmrserverlessApplicationAutoStartConfiguration(
                enabled=expr_bool("tobool(each.value.auto_start)")),
            auto_stop_configuration=EmrserverlessApplicationAutoStopConfiguration(
                enabled=True, idle_timeout_minutes=expr_number("tonumber(each.value.idle_timeout_minutes)")),
            network_configuration=EmrserverlessApplicationNetworkConfiguration(
                subnet_ids=expr_list(props.subnet_ids), security_group_ids=[expr(props.security_group_id)]),
            interactive_configuration=EmrserverlessApplicationInteractiveConfiguration(
                livy_endpoint_enabled=True, studio_enabled=False),
            tags={DOMAIN_TAG: expr(props.domain_arn), "runtime-role": expr("each.value.runtime_role")})
        self.enabled = template("length({apps}) > 0", apps=props.applications)
        self.application_ids = string_map(f"{{for n, a in {address(app)} : n => a.id}}")
        self.application_arns = string_map(f"{{for n, a in {address(app)} : n => a.arn}}")
        self.runtime_role_names = runtime_role_names(props.applications)
        self.runtime_role_arns = string_list(template("[for n, arn in {arns} : arn if contains({names}, n)]",
                                                      arns=props.runtime_role_arns, names=self.runtime_role_names))
        # Keys from the inputs alone (the runtime-role grants' for_each reads them).
        self.application_arns_by_role, self.job_run_arns_by_role = (local(self, name, template(
            "{{for role in {roles} : role => [for n, a in {apps} : {value} if a.runtime_role == role]}}",
            roles=self.runtime_role_names, apps=props.applications, value=value)) for name, value in (
                ("emr_serverless_application_arns_by_role", f"{address(app)}[n].arn"),
                # Job runs, Livy sessions included, are named under their application.
                ("emr_serverless_job_run_arns_by_role", quoted("{arn}/jobruns/*", arn=f"{address(app)}[n].arn"))))
