"""moto's SageMaker backend with Studio domains that the Terraform provider can manage.

moto 5.2's own domain support answers CreateDomain without ``DomainId`` (the
provider then cannot track the domain), has no user profiles, spaces or apps,
and creates none of what AWS creates beside a domain. :class:`SageMakerStudioBackend`
keeps everything else of moto's backend and replaces the domain operations;
each operation cites the AWS API reference page whose behaviour it follows.

``sagemaker_backends`` is moto's own BackendDict, which builds this class once
``install()`` (``__init__.py``) has run.
"""
from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends  # noqa: F401
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from . import home_storage
from .studio_resources import (App, Space, StudioDomain, StudioResource, UserProfile, app_arn, merge_settings,
                               rstudio_enabled, space_arn, user_profile_arn)

PAGINATION_MODEL = {
    # AWS's default MaxResults for these lists is 10.
    name: {"input_token": "next_token", "limit_key": "max_results", "limit_default": 10, "unique_attribute": "arn"}
    for name in ("list_user_profiles", "list_spaces", "list_apps")
}

# DomainSettingsForUpdate members that land in DomainSettings under another name.
_DOMAIN_SETTINGS_RENAMED = {"RStudioServerProDomainSettingsForUpdate": "RStudioServerProDomainSettings"}


class SageMakerStudioBackend(SageMakerModelBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.domains: dict[str, StudioDomain] = {}  # type: ignore[assignment]
        # By ARN: the ARN already holds the domain id and the name.
        self.user_profiles: dict[str, UserProfile] = {}
        self.spaces: dict[str, Space] = {}
        self.apps: dict[str, App] = {}

    # -- domains ------------------------------------------------------------
    def create_domain(self, domain_name: str, auth_mode: str, default_user_settings: dict[str, Any],
                      subnet_ids: list[str], vpc_id: str, domain_settings: dict[str, Any] | None,
                      tags: list[dict[str, str]] | None, app_network_access_type: str | None,
                      home_efs_file_system_kms_key_id: str | None, kms_key_id: str | None,
                      app_security_group_management: str | None, default_space_settings: dict[str, Any] | None,
                      tag_propagation: str | None = None,
                      home_efs_file_system_creation: str | None = None) -> StudioDomain:  # type: ignore[override]
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDomain.html

        Creates the home EFS (unless HomeEfsFileSystemCreation is Disabled), its
        mount targets and the two NFS security groups (see ``home_storage``).
        """
        if any(d.domain_name == domain_name for d in self._live_domains()):
            # moto's rule for domain names, kept.
            raise ResourceInUseException(f"Resource Already Exists: Domain with name {domain_name} already exists. "
                                         "Choose a different name.")
        if app_security_group_management and not rstudio_enabled(domain_settings):
            raise ValidationError("AppSecurityGroupManagement can only be set for Rstudio enabled domains.")
        if app_network_access_type == "VpcOnly" and not (default_user_settings or {}).get("SecurityGroups"):
            # API_UserSettings.html "SecurityGroups": required when AppNetworkAccessType is VpcOnly.
            raise ValidationError("DefaultUserSettings.SecurityGroups are required when AppNetworkAccessType "
                                  "is VpcOnly.")
        home_storage.check_network(self.account_id, self.region_name, vpc_id, subnet_ids)
        domain = StudioDomain(self.account_id, self.region_name, domain_name, auth_mode, default_user_settings,
                              subnet_ids, vpc_id, domain_settings, tags, app_network_access_type, kms_key_id,
                              home_efs_file_system_kms_key_id, app_security_group_management,
                              default_space_settings, tag_propagation, home_efs_file_system_creation)
        if home_efs_file_system_creation != "Disabled":
            domain.home_efs_file_system_id = home_storage.create_home_storage(
                self.account_id, self.region_name, domain.id, domain.arn, vpc_id, subnet_ids, kms_key_id)
        self.domains[domain.id] = domain
        return domain

    def describe_domain(self, domain_id: str) -> dict[str, Any]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeDomain.html
        (ResourceNotFound for an unknown or deleted domain; moto answered ValidationException)."""
        domain = self._domain(domain_id, advance=True)
        return domain.describe()

    def update_domain(self, domain_id: str, default_user_settings: dict[str, Any] | None = None,
                      domain_settings_for_update: dict[str, Any] | None = None,
                      app_security_group_management: str | None = None,
                      default_space_settings: dict[str, Any] | None = None, subnet_ids: list[str] | None = None,
                      app_network_access_type: str | None = None, tag_propagation: str | None = None) -> str:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html

        Settings blocks given replace those held, the others stay. New subnets
        get mount targets for the home EFS. The domain is Updating, then InService.
        """
        domain = self._domain(domain_id)
        self._require_in_service(domain, "Domain")
        if app_security_group_management and not rstudio_enabled(domain.domain_settings):
            # What AWS answers (hashicorp/terraform-provider-aws#39923).
            raise ValidationError("AppSecurityGroupManagement can only be set for Rstudio enabled domains.")
        if subnet_ids:
            home_storage.check_network(self.account_id, self.region_name, domain.vpc_id, subnet_ids)
            if domain.home_efs_file_system_id:
                home_storage.sync_mount_targets(self.account_id, self.region_name, domain.home_efs_file_system_id,
                                                subnet_ids)
            domain.subnet_ids = list(subnet_ids)
        domain.default_user_settings = merge_settings(domain.default_user_settings, default_user_settings)
        domain.default_space_settings = merge_settings(domain.default_space_settings, default_space_settings)
        if domain_settings_for_update:
            renamed = {_DOMAIN_SETTINGS_RENAMED.get(k, k): v for k, v in domain_settings_for_update.items()}
            domain.domain_settings = merge_settings(domain.domain_settings, renamed)
        domain.app_security_group_management = app_security_group_management or domain.app_security_group_management
        domain.app_network_access_type = app_network_access_type or domain.app_network_access_type
        domain.tag_propagation = tag_propagation or domain.tag_propagation
        domain.begin("Updating")
        return domain.arn

    def delete_domain(self, domain_id: str, retention_policy: dict[str, str] | None) -> None:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteDomain.html

        ResourceInUse while the domain has user profiles or spaces (AWS's
        "Delete a domain" guide: delete apps, spaces and profiles first).
        RetentionPolicy.HomeEfsFileSystem: Retain (default) keeps the home EFS,
        Delete deletes it with its mount targets. The NFS groups always stay.
        """
        domain = self._domain(domain_id)
        if any(p.domain_id == domain_id for p in self._live(self.user_profiles)):
            raise ResourceInUseException(
                f"Unable to delete Domain [{domain.arn}] because UserProfile(s) are associated with it.")
        if any(s.domain_id == domain_id for s in self._live(self.spaces)):
            raise ResourceInUseException(
                f"Unable to delete Domain [{domain.arn}] because Space(s) are associated with it.")
        if (retention_policy or {}).get("HomeEfsFileSystem", "Retain") == "Delete" and domain.home_efs_file_system_id:
            home_storage.delete_home_storage(self.account_id, self.region_name, domain.home_efs_file_system_id)
        domain.begin("Deleting")

    def list_domains(self, **pagination: Any) -> Any:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListDomains.html
        (moto's, minus deleted domains)."""
        self._live_domains()
        return super().list_domains(**pagination)

    # -- user profiles ---------------------------------------------------------
    def create_user_profile(self, domain_id: str, user_profile_name: str, user_settings: dict[str, Any] | None,
                            tags: list[dict[str, str]] | None, single_sign_on_user_identifier: str | None = None,
                            single_sign_on_user_value: str | None = None) -> UserProfile:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateUserProfile.html
        (ResourceInUse for a name the domain already has)."""
        domain = self._domain(domain_id)
        arn = user_profile_arn(domain_id, user_profile_name, self.account_id, self.region_name)
        if self._find(self.user_profiles, arn):
            raise ResourceInUseException(f"Resource Already Exists: UserProfile with name {user_profile_name} "
                                         f"already exists in domain {domain_id}. Choose a different name.")
        profile = UserProfile(domain, self.account_id, self.region_name, user_profile_name, user_settings, tags,
                              single_sign_on_user_identifier, single_sign_on_user_value)
        self.user_profiles[arn] = profile
        return profile

    def describe_user_profile(self, domain_id: str, user_profile_name: str) -> dict[str, Any]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeUserProfile.html"""
        return self._user_profile(domain_id, user_profile_name, advance=True).describe()

    def update_user_profile(self, domain_id: str, user_profile_name: str,
                            user_settings: dict[str, Any] | None) -> str:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateUserProfile.html"""
        profile = self._user_profile(domain_id, user_profile_name)
        self._require_in_service(profile, "UserProfile")
        profile.user_settings = merge_settings(profile.user_settings, user_settings)
        profile.begin("Updating")
        return profile.arn

    def delete_user_profile(self, domain_id: str, user_profile_name: str) -> None:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteUserProfile.html

        ResourceInUse while the profile has apps that are not Deleted (AWS's
        message, aws/amazon-sagemaker-feedback#113) or owns spaces.
        """
        profile = self._user_profile(domain_id, user_profile_name)
        if any(a.domain_id == domain_id and a.user_profile_name == user_profile_name and not a.ended
               for a in self.apps.values()):
            raise ResourceInUseException(
                f"Unable to delete UserProfile [{profile.arn}] because App(s) are associated with it.")
        if any(s.domain_id == domain_id and s.owner == user_profile_name for s in self._live(self.spaces)):
            raise ResourceInUseException(
                f"Unable to delete UserProfile [{profile.arn}] because Space(s) are associated with it.")
        profile.begin("Deleting")

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_user_profiles(self, domain_id_equals: str | None = None, user_profile_name_contains: str | None = None,
                           sort_by: str | None = None, sort_order: str | None = None) -> list[UserProfile]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListUserProfiles.html"""
        found = [p for p in self._live(self.user_profiles)
                 if domain_id_equals in (None, p.domain_id) and (user_profile_name_contains or "") in p.name]
        return _sorted(found, sort_by, sort_order)

    # -- spaces --------------------------------------------------------------
    def create_space(self, domain_id: str, space_name: str, tags: list[dict[str, str]] | None,
                     space_settings: dict[str, Any] | None, ownership_settings: dict[str, Any] | None,
                     space_sharing_settings: dict[str, Any] | None, space_display_name: str | None) -> Space:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateSpace.html

        OwnershipSettings and SpaceSharingSettings each require the other; the
        owner must be a user profile of the domain.
        """
        domain = self._domain(domain_id)
        if bool(ownership_settings) != bool(space_sharing_settings):
            raise ValidationError("OwnershipSettings and SpaceSharingSettings must be specified together.")
        owner = (ownership_settings or {}).get("OwnerUserProfileName")
        if owner:
            self._user_profile(domain_id, owner)
        arn = space_arn(domain_id, space_name, self.account_id, self.region_name)
        if self._find(self.spaces, arn):
            raise ResourceInUseException(f"Resource Already Exists: Space with name {space_name} already exists "
                                         f"in domain {domain_id}. Choose a different name.")
        space = Space(domain, self.account_id, self.region_name, space_name, space_settings, ownership_settings,
                      space_sharing_settings, space_display_name, tags)
        self.spaces[arn] = space
        return space

    def describe_space(self, domain_id: str, space_name: str) -> dict[str, Any]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeSpace.html"""
        return self._space(domain_id, space_name, advance=True).describe()

    def update_space(self, domain_id: str, space_name: str, space_settings: dict[str, Any] | None,
                     space_display_name: str | None) -> str:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateSpace.html"""
        space = self._space(domain_id, space_name)
        self._require_in_service(space, "Space")
        space.space_settings = merge_settings(space.space_settings, space_settings)
        space.space_display_name = space_display_name or space.space_display_name
        space.begin("Updating")
        return space.arn

    def delete_space(self, domain_id: str, space_name: str) -> None:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteSpace.html
        (ResourceInUse while the space has apps that are not Deleted)."""
        space = self._space(domain_id, space_name)
        if any(a.domain_id == domain_id and a.space_name == space_name and not a.ended for a in self.apps.values()):
            raise ResourceInUseException(f"Unable to delete Space [{space.arn}] because App(s) are associated with it.")
        space.begin("Deleting")

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_spaces(self, domain_id_equals: str | None = None, space_name_contains: str | None = None,
                    sort_by: str | None = None, sort_order: str | None = None) -> list[Space]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListSpaces.html"""
        found = [s for s in self._live(self.spaces)
                 if domain_id_equals in (None, s.domain_id) and (space_name_contains or "") in s.name]
        return _sorted(found, sort_by, sort_order)

    # -- apps ------------------------------------------------------------------
    def create_app(self, domain_id: str, app_type: str, app_name: str, user_profile_name: str | None,
                   space_name: str | None, resource_spec: dict[str, Any] | None,
                   tags: list[dict[str, str]] | None) -> App:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateApp.html

        An app belongs to exactly one user profile or space; the name may be
        reused once the previous app of that name is Deleted.
        """
        self._domain(domain_id)
        if bool(user_profile_name) == bool(space_name):
            raise ValidationError("Exactly one of UserProfileName or SpaceName must be specified.")
        if user_profile_name:
            self._user_profile(domain_id, user_profile_name)
        else:
            self._space(domain_id, space_name)  # type: ignore[arg-type]
        arn = app_arn(domain_id, user_profile_name or space_name, app_type, app_name,  # type: ignore[arg-type]
                      self.account_id, self.region_name)
        existing = self.apps.get(arn)
        if existing and not existing.ended:
            raise ResourceInUseException(f"Resource Already Exists: App with name {app_name} and type {app_type} "
                                         f"already exists for {user_profile_name or space_name}.")
        app = App(domain_id, self.account_id, self.region_name, app_type, app_name, user_profile_name, space_name,
                  resource_spec, tags)
        self.apps[arn] = app
        return app

    def describe_app(self, domain_id: str, app_type: str, app_name: str, user_profile_name: str | None = None,
                     space_name: str | None = None) -> dict[str, Any]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeApp.html
        (a deleted app is still described, with Status Deleted)."""
        app = self._app(domain_id, app_type, app_name, user_profile_name, space_name)
        app.advance()
        return app.describe()

    def delete_app(self, domain_id: str, app_type: str, app_name: str, user_profile_name: str | None = None,
                   space_name: str | None = None) -> None:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteApp.html

        The app is Deleting, then Deleted. Deleting it again is a ValidationException
        saying it "has already been deleted" (what the provider's app.go expects).
        """
        app = self._app(domain_id, app_type, app_name, user_profile_name, space_name)
        if app.ended:
            raise ValidationError(f"App {app.arn} has already been deleted.")
        app.begin("Deleting")

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_apps(self, domain_id_equals: str | None = None, user_profile_name_equals: str | None = None,
                  space_name_equals: str | None = None, sort_by: str | None = None,
                  sort_order: str | None = None) -> list[App]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListApps.html
        (Deleted apps included, as on AWS)."""
        found = [a for a in self.apps.values()
                 if domain_id_equals in (None, a.domain_id)
                 and user_profile_name_equals in (None, a.user_profile_name)
                 and space_name_equals in (None, a.space_name)]
        return _sorted(found, sort_by, sort_order)

    # -- tags ------------------------------------------------------------------
    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        """https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AddTags.html
        ("adds or overwrites": a key given again takes the new value; moto appended a duplicate)."""
        resource = self._get_resource_from_arn(arn)
        by_key = {tag["Key"]: tag for tag in resource.tags}
        by_key.update({tag["Key"]: tag for tag in tags})
        resource.tags = list(by_key.values())
        return resource.tags

    def _get_resource_from_arn(self, arn: str) -> Any:
        """Studio resources by ARN for AddTags, ListTags and DeleteTags; the rest as moto does."""
        kind, _, path = arn.split(":", 5)[-1].partition("/")
        if kind == "domain":
            return self._domain(path)
        studio = {"user-profile": self.user_profiles, "space": self.spaces, "app": self.apps}.get(kind)
        if studio is None:
            return super()._get_resource_from_arn(arn)
        resource = self._find(studio, arn)
        if resource is None:
            raise ResourceNotFound(f"Resource {arn} does not exist.")
        return resource

    # -- helpers ---------------------------------------------------------------
    def _live_domains(self) -> list[StudioDomain]:
        return self._live(self.domains)

    def _domain(self, domain_id: str, advance: bool = False) -> StudioDomain:
        domain = self._find(self.domains, domain_id, advance)
        if domain is None:
            arn = arn_formatter("domain", domain_id, self.account_id, self.region_name)
            raise ResourceNotFound(f"Domain {arn} does not exist.")
        return domain

    def _user_profile(self, domain_id: str, name: str, advance: bool = False) -> UserProfile:
        self._domain(domain_id)
        arn = user_profile_arn(domain_id, name, self.account_id, self.region_name)
        profile = self._find(self.user_profiles, arn, advance)
        if profile is None:
            raise ResourceNotFound(f"User profile {arn} does not exist.")
        return profile

    def _space(self, domain_id: str, name: str, advance: bool = False) -> Space:
        self._domain(domain_id)
        arn = space_arn(domain_id, name, self.account_id, self.region_name)
        space = self._find(self.spaces, arn, advance)
        if space is None:
            raise ResourceNotFound(f"Space {arn} does not exist.")
        return space

    def _app(self, domain_id: str, app_type: str, app_name: str, user_profile_name: str | None,
             space_name: str | None) -> App:
        arn = app_arn(domain_id, user_profile_name or space_name or "", app_type, app_name, self.account_id,
                      self.region_name)
        app = self.apps.get(arn)
        if app is None:
            raise ResourceNotFound(f"App {arn} does not exist.")
        return app

    @staticmethod
    def _find(collection: dict[str, Any], key: str, advance: bool = False) -> Any:
        """The resource at ``key`` unless its deletion has finished (then it is forgotten)."""
        resource = collection.get(key)
        if resource is not None and advance:
            resource.advance()
        if resource is not None and resource.gone:
            del collection[key]
            return None
        return resource

    def _live(self, collection: dict[str, Any]) -> list[Any]:
        """The resources not yet deleted; forgets those whose deletion has finished."""
        return [r for r in [self._find(collection, k) for k in list(collection)] if r is not None]

    @staticmethod
    def _require_in_service(resource: StudioResource, kind: str) -> None:
        status = resource.status
        if status != "InService":
            raise ResourceInUseException(f"{kind} {resource.arn} is {status}; it can be updated once InService.")


def _sorted(resources: list[Any], sort_by: str | None, sort_order: str | None) -> list[Any]:
    """SortBy CreationTime (default) or LastModifiedTime; SortOrder Ascending (default) or Descending."""
    key = "last_modified_time" if sort_by == "LastModifiedTime" else "creation_time"
    return sorted(resources, key=lambda r: getattr(r, key), reverse=sort_order == "Descending")

