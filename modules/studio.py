"""The SageMaker Studio domain and its user profiles.

Seed 3.2: a domain in VpcOnly mode on the private subnets with IAM auth, the
Studio security group and the execution role as default user settings, and
sharing settings that write shared notebooks to the data bucket; seed 3.2.3:
one user profile per user. Users come from the ``user_profiles`` input, so
adding a user is one line in a workspace file.

Secure defaults: the domain's key encrypts the home EFS, the space volumes
and shared notebook snapshots; JupyterLab and Code Editor shut down after
``idle_timeout_minutes`` without activity (users may pick less, not more);
Docker, the one root-equivalent capability of Studio apps (root inside an
app is remapped to an unprivileged host user), is off unless
``docker_access``. Internet only through the VPC's NAT (VpcOnly).
"""
from dataclasses import dataclass
from typing import Optional, Tuple

from constructs import Construct
from cdktf import Precondition, TerraformIterator, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.sagemaker_domain import (
    SagemakerDomain, SagemakerDomainDefaultUserSettings,
    SagemakerDomainDefaultUserSettingsCodeEditorAppSettings as CodeEditorSettings,
    SagemakerDomainDefaultUserSettingsCodeEditorAppSettingsAppLifecycleManagement as CodeEditorLifecycle,
    SagemakerDomainDefaultUserSettingsCodeEditorAppSettingsAppLifecycleManagementIdleSettings as CodeEditorIdle,
    SagemakerDomainDefaultUserSettingsJupyterLabAppSettings as JupyterLabSettings,
    SagemakerDomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagement as JupyterLabLifecycle,
    SagemakerDomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagementIdleSettings as JupyterLabIdle,
    SagemakerDomainDefaultUserSettingsSharingSettings, SagemakerDomainDomainSettings,
    SagemakerDomainDomainSettingsDockerSettings, SagemakerDomainRetentionPolicy)
from cdktf_cdktf_provider_aws.sagemaker_user_profile import (
    SagemakerUserProfile, SagemakerUserProfileUserSettings)

from modules.tf import (
    KEY_KNOWN_AFTER_APPLY, address, expr, expr_list, expr_map, expr_number, skip_checks, string_list, template)

# Where emr_settings() goes below a domain's default_user_settings or a profile's user_settings.
EMR_SETTINGS = "dynamic.emr_settings"
# SageMaker's lower bound for an idle timeout; users may choose from here up to the domain's.
MIN_IDLE_TIMEOUT_MINUTES = 60


def emr_settings(execution_role_arns: str, assumable_role_arns: str) -> dict:
    """``jupyter_lab_app_settings``' ``emr_settings`` (domain or user profile), as a dynamic block
    (``EMR_SETTINGS``): EmrSettings with the two list expressions, which Studio offers at connect time
    (runtime roles; roles of other accounts to assume). Left out while both are empty, so a domain
    without either has no EmrSettings and no diff. A profile with either list set hides the domain's
    both from its user (the JupyterLab EMR extension's FetchEMRRolesHandler reads the domain's only when
    the profile's two are empty), so a profile's block takes both lists."""
    return {"for_each": expr(f"length({execution_role_arns}) + length({assumable_role_arns}) > 0 ? [1] : []"),
            "content": {"execution_role_arns": expr(execution_role_arns),
                        "assumable_role_arns": expr(assumable_role_arns)}}


@dataclass(frozen=True)
class StudioDomainProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    domain_name: str
    network_mode: str
    vpc_id: str
    subnet_ids: str
    security_group_id: str
    execution_role_arn: str
    sharing_s3_uri: str
    home_efs_retention: str
    user_profiles: str
    """Map of user name => object({execution_role_arn = string (null: the platform's role),
    emr_runtime_roles = list(string) (names of runtime roles offered to the user)})."""
    kms_key_arn: str
    idle_timeout_minutes: str
    docker_access: str
    """Condition: true lets users run Docker in their spaces."""
    runtime_role_arns: str = "{}"
    """Map of EMR runtime role name => ARN (modules/emr_runtime_roles.py); users' ``emr_runtime_roles``
    name them. Default: none."""
    default_runtime_roles: str = "[]"
    """List of the runtime role names every user is offered (the domain's default EmrSettings). Default: none."""
    assumable_role_arns: str = "[]"
    """List expression: roles in other accounts users may assume for EMR there
    (EmrSettings.AssumableRoleArns). Default: none."""
    replacement_precondition: Optional[Tuple[str, str]] = None
    """(condition, error message) that must hold for a plan of the domain: the
    domain guard's check for cdktf deploy (modules/domain_replacement.py). Default: none."""


class StudioDomain(Construct):
    """Exposes ``domain_id``, ``domain_url``, ``home_efs_id``,
    ``user_profile_names`` and ``execution_role_arns`` (the distinct roles of
    all users, a map whose keys are known at plan time) as tokens (modules/tf.py)."""

    def __init__(self, scope: Construct, id: str, props: StudioDomainProps) -> None:
        super().__init__(scope, id)
        p = props
        idle = dict(lifecycle_management="ENABLED", idle_timeout_in_minutes=expr_number(p.idle_timeout_minutes),
                    min_idle_timeout_in_minutes=MIN_IDLE_TIMEOUT_MINUTES,
                    max_idle_timeout_in_minutes=expr_number(p.idle_timeout_minutes))
        domain = SagemakerDomain(
            self, "domain", domain_name=expr(p.domain_name), auth_mode="IAM",
            app_network_access_type=expr(p.network_mode),
            vpc_id=expr(p.vpc_id), subnet_ids=expr_list(p.subnet_ids),
            kms_key_id=expr(p.kms_key_arn),
            default_user_settings=SagemakerDomainDefaultUserSettings(
                execution_role=expr(p.execution_role_arn),
                security_groups=[expr(p.security_group_id)],
                sharing_settings=SagemakerDomainDefaultUserSettingsSharingSettings(
                    notebook_output_option="Allowed", s3_output_path=expr(p.sharing_s3_uri),
                    s3_kms_key_id=expr(p.kms_key_arn)),
                jupyter_lab_app_settings=JupyterLabSettings(
                    app_lifecycle_management=JupyterLabLifecycle(idle_settings=JupyterLabIdle(**idle))),
                code_editor_app_settings=CodeEditorSettings(
                    app_lifecycle_management=CodeEditorLifecycle(idle_settings=CodeEditorIdle(**idle))),
                studio_web_portal="ENABLED",
                default_landing_uri="studio::"),
            domain_settings=SagemakerDomainDomainSettings(
                docker_settings=SagemakerDomainDomainSettingsDockerSettings(
                    enable_docker_access=expr(f'{p.docker_access} ? "ENABLED" : "DISABLED"'))),
            retention_policy=SagemakerDomainRetentionPolicy(home_efs_file_system=expr(p.home_efs_retention)),
            lifecycle=TerraformResourceLifecycle(precondition=[
                Precondition(condition=expr(p.replacement_precondition[0]), error_message=p.replacement_precondition[1])
            ]) if p.replacement_precondition else None)
        skip_checks(domain, {"CKV_AWS_187": KEY_KNOWN_AFTER_APPLY}, only="plan")
        # EMR runtime roles: Studio offers EmrSettings.ExecutionRoleArns when a user connects
        # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_EmrSettings.html), and the users'
        # profile names become the execution role's source identity, which the Studio role's
        # GetClusterSessionCredentials grants test (modules/emr_runtime_roles.py). Left unset (null) without
        # runtime roles: the blog post's domain. SageMaker changes it only while no app is InService or
        # Pending (API_DomainSettingsForUpdate); README, EMR runtime roles.
        any_role = f"length({p.runtime_role_arns}) > 0"
        domain.add_override("domain_settings.execution_role_identity_config",
                            expr(f'{any_role} ? "USER_PROFILE_NAME" : null'))
        domain.add_override(f"default_user_settings.jupyter_lab_app_settings.{EMR_SETTINGS}", emr_settings(
            f"[for name in {p.default_runtime_roles} : {p.runtime_role_arns}[name]]", p.assumable_role_arns))

        users = TerraformIterator.from_map(expr_map(p.user_profiles))
        profiles = SagemakerUserProfile(
            self, "user", for_each=users, domain_id=domain.id, user_profile_name=expr("each.key"),
            user_settings=SagemakerUserProfileUserSettings(
                execution_role=template("coalesce(each.value.execution_role_arn, {role})", role=p.execution_role_arn),
                security_groups=[expr(p.security_group_id)]))
        # A user's runtime roles (the default ones and their own) replace the domain's list for them; the
        # block also repeats the domain's idle settings, so a user with runtime roles keeps them.
        profiles.add_override("user_settings.dynamic.jupyter_lab_app_settings", {
            "for_each": expr("length(each.value.emr_runtime_roles) > 0 ? [1] : []"),
            "content": {
                # Both lists: a profile's EmrSettings hide the domain's from its user (emr_settings above).
                "emr_settings": {"execution_role_arns": expr(
                    f"[for name in each.value.emr_runtime_roles : {p.runtime_role_arns}[name]]"),
                    "assumable_role_arns": expr(p.assumable_role_arns)},
                "app_lifecycle_management": {"idle_settings": idle}}})

        self.domain_id, self.domain_arn, self.domain_url = domain.id, domain.arn, domain.url
        self.home_efs_id = domain.home_efs_file_system_id
        self.user_profile_names = string_list(f"[for u in {address(profiles)} : u.user_profile_name]")
        # Keys come from inputs only, so for_each over this map works while the
        # platform role's ARN is still unknown.
        self.execution_role_arns = template(
            "merge({platform}, {{for name, u in {users} : u.execution_role_arn => u.execution_role_arn "
            "if u.execution_role_arn != null}})", platform={"platform": p.execution_role_arn}, users=p.user_profiles)
