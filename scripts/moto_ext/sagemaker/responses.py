"""moto's SageMaker responses, plus Studio user profiles, spaces and apps, on our backend.

Request parameters come parsed by moto from the botocore model
(``automated_parameter_parsing``); replies are serialized from the operation's
output shape, so each method returns the reply's members by their AWS names.
"""
from __future__ import annotations

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.responses import SageMakerResponse

from .models import SageMakerStudioBackend, sagemaker_backends


class SageMakerStudioResponse(SageMakerResponse):
    @property
    def sagemaker_backend(self) -> SageMakerStudioBackend:  # type: ignore[override]
        return sagemaker_backends[self.current_account][self.region]

    # -- domains ------------------------------------------------------------
    def create_domain(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html (reply with DomainId)."""
        domain = self.sagemaker_backend.create_domain(
            domain_name=self._get_param("DomainName"),
            auth_mode=self._get_param("AuthMode"),
            default_user_settings=self._get_param("DefaultUserSettings"),
            subnet_ids=self._get_param("SubnetIds"),
            vpc_id=self._get_param("VpcId"),
            domain_settings=self._get_param("DomainSettings"),
            tags=self._get_param("Tags"),
            app_network_access_type=self._get_param("AppNetworkAccessType"),
            home_efs_file_system_kms_key_id=self._get_param("HomeEfsFileSystemKmsKeyId"),
            kms_key_id=self._get_param("KmsKeyId"),
            app_security_group_management=self._get_param("AppSecurityGroupManagement"),
            default_space_settings=self._get_param("DefaultSpaceSettings"),
            tag_propagation=self._get_param("TagPropagation"),
            home_efs_file_system_creation=self._get_param("HomeEfsFileSystemCreation"),
        )
        return ActionResult({"DomainArn": domain.arn, "DomainId": domain.id, "Url": domain.url})

    def update_domain(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html"""
        arn = self.sagemaker_backend.update_domain(
            domain_id=self._get_param("DomainId"),
            default_user_settings=self._get_param("DefaultUserSettings"),
            domain_settings_for_update=self._get_param("DomainSettingsForUpdate"),
            app_security_group_management=self._get_param("AppSecurityGroupManagement"),
            default_space_settings=self._get_param("DefaultSpaceSettings"),
            subnet_ids=self._get_param("SubnetIds"),
            app_network_access_type=self._get_param("AppNetworkAccessType"),
            tag_propagation=self._get_param("TagPropagation"),
        )
        return ActionResult({"DomainArn": arn})

    # describe_domain, list_domains and delete_domain: moto's, on our backend.

    # -- user profiles ---------------------------------------------------------
    def create_user_profile(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html"""
        profile = self.sagemaker_backend.create_user_profile(
            domain_id=self._get_param("DomainId"),
            user_profile_name=self._get_param("UserProfileName"),
            user_settings=self._get_param("UserSettings"),
            tags=self._get_param("Tags"),
            single_sign_on_user_identifier=self._get_param("SingleSignOnUserIdentifier"),
            single_sign_on_user_value=self._get_param("SingleSignOnUserValue"),
        )
        return ActionResult({"UserProfileArn": profile.arn})

    def describe_user_profile(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeUserProfile.html"""
        return ActionResult(self.sagemaker_backend.describe_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName")))

    def update_user_profile(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateUserProfile.html"""
        arn = self.sagemaker_backend.update_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName"), self._get_param("UserSettings"))
        return ActionResult({"UserProfileArn": arn})

    def delete_user_profile(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteUserProfile.html"""
        self.sagemaker_backend.delete_user_profile(self._get_param("DomainId"), self._get_param("UserProfileName"))
        return EmptyResult()

    def list_user_profiles(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListUserProfiles.html"""
        profiles, next_token = self.sagemaker_backend.list_user_profiles(
            domain_id_equals=self._get_param("DomainIdEquals"),
            user_profile_name_contains=self._get_param("UserProfileNameContains"),
            sort_by=self._get_param("SortBy"), sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"), max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"UserProfiles": [p.summary() for p in profiles], "NextToken": next_token})

    # -- spaces --------------------------------------------------------------
    def create_space(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateSpace.html"""
        space = self.sagemaker_backend.create_space(
            domain_id=self._get_param("DomainId"),
            space_name=self._get_param("SpaceName"),
            tags=self._get_param("Tags"),
            space_settings=self._get_param("SpaceSettings"),
            ownership_settings=self._get_param("OwnershipSettings"),
            space_sharing_settings=self._get_param("SpaceSharingSettings"),
            space_display_name=self._get_param("SpaceDisplayName"),
        )
        return ActionResult({"SpaceArn": space.arn})

    def describe_space(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeSpace.html"""
        return ActionResult(self.sagemaker_backend.describe_space(
            self._get_param("DomainId"), self._get_param("SpaceName")))

    def update_space(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateSpace.html"""
        arn = self.sagemaker_backend.update_space(
            self._get_param("DomainId"), self._get_param("SpaceName"), self._get_param("SpaceSettings"),
            self._get_param("SpaceDisplayName"))
        return ActionResult({"SpaceArn": arn})

    def delete_space(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteSpace.html"""
        self.sagemaker_backend.delete_space(self._get_param("DomainId"), self._get_param("SpaceName"))
        return EmptyResult()

    def list_spaces(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListSpaces.html"""
        spaces, next_token = self.sagemaker_backend.list_spaces(
            domain_id_equals=self._get_param("DomainIdEquals"),
            space_name_contains=self._get_param("SpaceNameContains"),
            sort_by=self._get_param("SortBy"), sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"), max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Spaces": [s.summary() for s in spaces], "NextToken": next_token})

    # -- apps ------------------------------------------------------------------
    def _app_key(self) -> dict:
        return {"domain_id": self._get_param("DomainId"), "app_type": self._get_param("AppType"),
                "app_name": self._get_param("AppName"), "user_profile_name": self._get_param("UserProfileName"),
                "space_name": self._get_param("SpaceName")}

    def create_app(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html"""
        app = self.sagemaker_backend.create_app(
            **self._app_key(), resource_spec=self._get_param("ResourceSpec"), tags=self._get_param("Tags"))
        return ActionResult({"AppArn": app.arn})

    def describe_app(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeApp.html"""
        return ActionResult(self.sagemaker_backend.describe_app(**self._app_key()))

    def delete_app(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteApp.html"""
        self.sagemaker_backend.delete_app(**self._app_key())
        return EmptyResult()

    def list_apps(self) -> ActionResult:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListApps.html"""
        apps, next_token = self.sagemaker_backend.list_apps(
            domain_id_equals=self._get_param("DomainIdEquals"),
            user_profile_name_equals=self._get_param("UserProfileNameEquals"),
            space_name_equals=self._get_param("SpaceNameEquals"),
            sort_by=self._get_param("SortBy"), sort_order=self._get_param("SortOrder"),
            next_token=self._get_param("NextToken"), max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Apps": [a.summary() for a in apps], "NextToken": next_token})
