"""The SageMaker Studio domain and its user profiles.

Seed 3.2: a domain in VpcOnly mode on the private subnets with IAM auth, the
Studio security group and the execution role as default user settings, and
sharing settings that write shared notebooks to the data bucket; seed 3.2.3:
one user profile per user. Users come from the ``user_profiles`` input, so
adding a user is one line in a workspace file.
"""
from dataclasses import dataclass

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.sagemaker_domain import (
    SagemakerDomain, SagemakerDomainDefaultUserSettings, SagemakerDomainDefaultUserSettingsSharingSettings,
    SagemakerDomainRetentionPolicy)
from cdktf_cdktf_provider_aws.sagemaker_user_profile import (
    SagemakerUserProfile, SagemakerUserProfileUserSettings)

from modules.tf import address, expr, expr_list, expr_map


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
    """Map of user name => object({execution_role_arn = optional(string)})."""


class StudioDomain(Construct):
    """Exposes ``domain_id``, ``domain_url``, ``home_efs_id``,
    ``user_profile_names`` and ``execution_role_arns`` (the distinct roles of
    all users, a map whose keys are known at plan time) as expressions."""

    def __init__(self, scope: Construct, id: str, props: StudioDomainProps) -> None:
        super().__init__(scope, id)
        p = props
        domain = SagemakerDomain(
            self, "domain", domain_name=expr(p.domain_name), auth_mode="IAM",
            app_network_access_type=expr(p.network_mode),
            vpc_id=expr(p.vpc_id), subnet_ids=expr_list(p.subnet_ids),
            default_user_settings=SagemakerDomainDefaultUserSettings(
                execution_role=expr(p.execution_role_arn),
                security_groups=[expr(p.security_group_id)],
                sharing_settings=SagemakerDomainDefaultUserSettingsSharingSettings(
                    notebook_output_option="Allowed", s3_output_path=expr(p.sharing_s3_uri)),
                studio_web_portal="ENABLED",
                default_landing_uri="studio::"),
            retention_policy=SagemakerDomainRetentionPolicy(home_efs_file_system=expr(p.home_efs_retention)))

        users = TerraformIterator.from_map(expr_map(p.user_profiles))
        profiles = SagemakerUserProfile(
            self, "user", for_each=users, domain_id=domain.id, user_profile_name=expr("each.key"),
            user_settings=SagemakerUserProfileUserSettings(
                execution_role=expr(f"coalesce(each.value.execution_role_arn, {p.execution_role_arn})"),
                security_groups=[expr(p.security_group_id)]))

        self.domain_id = f"{address(domain)}.id"
        self.domain_url = f"{address(domain)}.url"
        self.home_efs_id = f"{address(domain)}.home_efs_file_system_id"
        self.user_profile_names = f"[for u in {address(profiles)} : u.user_profile_name]"
        # Keys come from inputs only, so for_each over this map works while the
        # platform role's ARN is still unknown.
        self.execution_role_arns = (
            f'merge({{"platform" = {p.execution_role_arn}}}, '
            f"{{for name, u in {p.user_profiles} : u.execution_role_arn => u.execution_role_arn "
            f"if u.execution_role_arn != null}})")
