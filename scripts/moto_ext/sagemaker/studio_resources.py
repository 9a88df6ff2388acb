"""The Studio resources of a domain, as moto models: domain, user profile, space, app.

Each carries its status as a moto ``ManagedState``, so that the transitions the
Terraform provider waits for (Pending/Updating -> InService, Deleting -> gone)
follow moto's state manager: immediate by default, or manual/time-based when a
test sets a transition through ``/moto-api/state-manager/set-transition``.
A domain, profile or space whose status reaches ``Deleted`` is forgotten by the
backend on its next read (AWS then answers ResourceNotFound); an app keeps its
``Deleted`` record, as AWS lists deleted apps for a while.
"""
from __future__ import annotations

import copy
import string
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.moto_api import state_manager
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.sagemaker.models import BaseObject
from moto.sagemaker.utils import arn_formatter

DOMAIN_MODEL = "sagemaker::domain"
USER_PROFILE_MODEL = "sagemaker::user-profile"
SPACE_MODEL = "sagemaker::space"
APP_MODEL = "sagemaker::app"

# Statuses in which a resource no longer holds anything (AWS's DomainStatus,
# UserProfileStatus, SpaceStatus, AppStatus enums; Deleted only exists for apps
# on AWS, the others simply disappear).
GONE = ("Deleted",)
APP_ENDED = ("Deleted", "Failed")

# Home directories on the domain's EFS get POSIX uids from here on, as on AWS.
FIRST_HOME_UID = 200001

_MUTABLE_TRANSITIONS = [("Pending", "InService"), ("Updating", "InService"), ("Deleting", "Deleted")]
_APP_TRANSITIONS = [("Pending", "InService"), ("Deleting", "Deleted")]

for _model in (DOMAIN_MODEL, USER_PROFILE_MODEL, SPACE_MODEL, APP_MODEL):
    state_manager.register_default_transition(_model, transition={"progression": "immediate"})


def present(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without the unset ones: AWS omits what was never set, and the
    provider would read an empty value as a change."""
    return {key: value for key, value in fields.items() if value is not None}


def merge_settings(current: dict[str, Any] | None, update: dict[str, Any] | None) -> dict[str, Any] | None:
    """Update* calls replace the settings blocks they name and keep the others
    (terraform-provider-aws#42144: a block left out of an update is not removed)."""
    if update is None:
        return current
    merged = dict(current or {})
    merged.update(copy.deepcopy(update))
    return merged


def rstudio_enabled(domain_settings: dict[str, Any] | None) -> bool:
    """RStudio is on when DomainSettings name its domain execution role."""
    rstudio = (domain_settings or {}).get("RStudioServerProDomainSettings") or {}
    return bool(rstudio.get("DomainExecutionRoleArn"))


def new_domain_id() -> str:
    """``d-`` and 12 lowercase letters and digits, AWS's shape (pattern ``d-(-*[a-z0-9]){1,61}``)."""
    alphabet = string.ascii_lowercase + string.digits
    return "d-" + "".join(mock_random.choice(alphabet) for _ in range(12))


class StudioResource(BaseObject, ManagedState):
    """Common parts: ARN, tags, timestamps, a status that moves through ``transitions``."""

    def __init__(self, model_name: str, transitions: list[tuple[str | None, str]], arn: str,
                 tags: list[dict[str, str]] | None) -> None:
        ManagedState.__init__(self, model_name, transitions)
        self.arn = arn
        self.tags: list[dict[str, str]] = list(tags or [])
        self.creation_time = utcnow()
        self.last_modified_time = self.creation_time
        self.failure_reason: str | None = None

    def begin(self, status: str) -> None:
        """Enters ``status`` (Updating, Deleting), from which the state manager moves it on."""
        self.status = status
        # A manual or time-based progression counts from here (ManagedState's own counters).
        self._tick = 0
        self._time_progressed = datetime.now()
        self.last_modified_time = utcnow()

    @property
    def gone(self) -> bool:
        return self.status in GONE


class StudioDomain(StudioResource):
    def __init__(self, account_id: str, region_name: str, domain_name: str, auth_mode: str,
                 default_user_settings: dict[str, Any], subnet_ids: list[str], vpc_id: str,
                 domain_settings: dict[str, Any] | None, tags: list[dict[str, str]] | None,
                 app_network_access_type: str | None, kms_key_id: str | None,
                 home_efs_file_system_kms_key_id: str | None, app_security_group_management: str | None,
                 default_space_settings: dict[str, Any] | None, tag_propagation: str | None,
                 home_efs_file_system_creation: str | None) -> None:
        self.id = new_domain_id()
        super().__init__(DOMAIN_MODEL, _MUTABLE_TRANSITIONS, arn_formatter("domain", self.id, account_id, region_name),
                         tags)
        self.domain_name = domain_name
        self.auth_mode = auth_mode
        self.default_user_settings = copy.deepcopy(default_user_settings)
        self.subnet_ids = list(subnet_ids)
        self.vpc_id = vpc_id
        self.domain_settings = copy.deepcopy(domain_settings)
        self.app_network_access_type = app_network_access_type or "PublicInternetOnly"
        self.kms_key_id = kms_key_id
        # Deprecated alias of KmsKeyId that AWS still reports (moto's Domain does the same).
        self.home_efs_file_system_kms_key_id = home_efs_file_system_kms_key_id or kms_key_id
        self.app_security_group_management = app_security_group_management
        self.default_space_settings = copy.deepcopy(default_space_settings)
        self.tag_propagation = tag_propagation or "DISABLED"
        self.home_efs_file_system_creation = home_efs_file_system_creation
        self.url = f"https://{self.id}.studio.{region_name}.sagemaker.aws"
        self.home_efs_file_system_id: str | None = None
        self._next_home_uid = FIRST_HOME_UID

    def allocate_home_uid(self) -> str:
        uid, self._next_home_uid = self._next_home_uid, self._next_home_uid + 1
        return str(uid)

    def describe(self) -> dict[str, Any]:
        return present({
            "DomainArn": self.arn, "DomainId": self.id, "DomainName": self.domain_name,
            "HomeEfsFileSystemId": self.home_efs_file_system_id, "Status": self.status,
            "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
            "FailureReason": self.failure_reason, "AuthMode": self.auth_mode,
            "DefaultUserSettings": self.default_user_settings, "DomainSettings": self.domain_settings,
            "AppNetworkAccessType": self.app_network_access_type,
            "HomeEfsFileSystemKmsKeyId": self.home_efs_file_system_kms_key_id, "SubnetIds": self.subnet_ids,
            "Url": self.url, "VpcId": self.vpc_id, "KmsKeyId": self.kms_key_id,
            "AppSecurityGroupManagement": self.app_security_group_management,
            "HomeEfsFileSystemCreation": self.home_efs_file_system_creation,
            "TagPropagation": self.tag_propagation, "DefaultSpaceSettings": self.default_space_settings,
        })

    def summary(self) -> dict[str, Any]:
        return {"DomainArn": self.arn, "DomainId": self.id, "DomainName": self.domain_name, "Status": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time, "Url": self.url}


class UserProfile(StudioResource):
    def __init__(self, domain: StudioDomain, account_id: str, region_name: str, name: str,
                 user_settings: dict[str, Any] | None, tags: list[dict[str, str]] | None,
                 single_sign_on_user_identifier: str | None, single_sign_on_user_value: str | None) -> None:
        super().__init__(USER_PROFILE_MODEL, _MUTABLE_TRANSITIONS,
                         user_profile_arn(domain.id, name, account_id, region_name), tags)
        self.domain_id = domain.id
        self.name = name
        self.user_settings = copy.deepcopy(user_settings)
        self.home_efs_file_system_uid = domain.allocate_home_uid()
        self.single_sign_on_user_identifier = single_sign_on_user_identifier
        self.single_sign_on_user_value = single_sign_on_user_value

    def describe(self) -> dict[str, Any]:
        return present({
            "DomainId": self.domain_id, "UserProfileArn": self.arn, "UserProfileName": self.name,
            "HomeEfsFileSystemUid": self.home_efs_file_system_uid, "Status": self.status,
            "LastModifiedTime": self.last_modified_time, "CreationTime": self.creation_time,
            "FailureReason": self.failure_reason,
            "SingleSignOnUserIdentifier": self.single_sign_on_user_identifier,
            "SingleSignOnUserValue": self.single_sign_on_user_value, "UserSettings": self.user_settings,
        })

    def summary(self) -> dict[str, Any]:
        return {"DomainId": self.domain_id, "UserProfileName": self.name, "Status": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}


class Space(StudioResource):
    def __init__(self, domain: StudioDomain, account_id: str, region_name: str, name: str,
                 space_settings: dict[str, Any] | None, ownership_settings: dict[str, Any] | None,
                 space_sharing_settings: dict[str, Any] | None, space_display_name: str | None,
                 tags: list[dict[str, str]] | None) -> None:
        super().__init__(SPACE_MODEL, _MUTABLE_TRANSITIONS, space_arn(domain.id, name, account_id, region_name), tags)
        self.domain_id = domain.id
        self.name = name
        self.space_settings = copy.deepcopy(space_settings)
        self.ownership_settings = copy.deepcopy(ownership_settings)
        self.space_sharing_settings = copy.deepcopy(space_sharing_settings)
        self.space_display_name = space_display_name
        self.home_efs_file_system_uid = domain.allocate_home_uid()
        self.url = f"https://{domain.id}.studio.{region_name}.sagemaker.aws/spaces/{name}"

    @property
    def owner(self) -> str | None:
        return (self.ownership_settings or {}).get("OwnerUserProfileName")

    def describe(self) -> dict[str, Any]:
        return present({
            "DomainId": self.domain_id, "SpaceArn": self.arn, "SpaceName": self.name,
            "HomeEfsFileSystemUid": self.home_efs_file_system_uid, "Status": self.status,
            "LastModifiedTime": self.last_modified_time, "CreationTime": self.creation_time,
            "FailureReason": self.failure_reason, "SpaceSettings": self.space_settings,
            "OwnershipSettings": self.ownership_settings, "SpaceSharingSettings": self.space_sharing_settings,
            "SpaceDisplayName": self.space_display_name, "Url": self.url,
        })

    def summary(self) -> dict[str, Any]:
        settings = self.space_settings or {}
        settings_summary = present({"AppType": settings.get("AppType"),
                                    "SpaceStorageSettings": settings.get("SpaceStorageSettings")})
        return present({
            "DomainId": self.domain_id, "SpaceName": self.name, "Status": self.status,
            "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
            "SpaceSettingsSummary": settings_summary or None,
            "SpaceSharingSettingsSummary": self.space_sharing_settings,
            "OwnershipSettingsSummary": self.ownership_settings, "SpaceDisplayName": self.space_display_name,
        })


class App(StudioResource):
    def __init__(self, domain_id: str, account_id: str, region_name: str, app_type: str, app_name: str,
                 user_profile_name: str | None, space_name: str | None, resource_spec: dict[str, Any] | None,
                 tags: list[dict[str, str]] | None) -> None:
        super().__init__(APP_MODEL, _APP_TRANSITIONS,
                         app_arn(domain_id, user_profile_name or space_name or "", app_type, app_name,
                                 account_id, region_name), tags)
        self.domain_id = domain_id
        self.app_type = app_type
        self.app_name = app_name
        self.user_profile_name = user_profile_name
        self.space_name = space_name
        self.resource_spec = copy.deepcopy(resource_spec)

    @property
    def ended(self) -> bool:
        return self.status in APP_ENDED

    @property
    def gone(self) -> bool:
        return False  # AWS keeps a deleted app's record, with Status Deleted

    def summary(self) -> dict[str, Any]:
        return present({
            "DomainId": self.domain_id, "UserProfileName": self.user_profile_name, "SpaceName": self.space_name,
            "AppType": self.app_type, "AppName": self.app_name, "Status": self.status,
            "CreationTime": self.creation_time, "ResourceSpec": self.resource_spec,
        })

    def describe(self) -> dict[str, Any]:
        return present({**self.summary(), "AppArn": self.arn, "FailureReason": self.failure_reason,
                        "LastUserActivityTimestamp": self.last_modified_time})


def user_profile_arn(domain_id: str, name: str, account_id: str, region_name: str) -> str:
    return arn_formatter("user-profile", f"{domain_id}/{name}", account_id, region_name)


def space_arn(domain_id: str, name: str, account_id: str, region_name: str) -> str:
    return arn_formatter("space", f"{domain_id}/{name}", account_id, region_name)


def app_arn(domain_id: str, owner: str, app_type: str, app_name: str, account_id: str, region_name: str) -> str:
    # The type is lowercase in the ARN; the provider maps it back (decodeAppID in app.go).
    return arn_formatter("app", f"{domain_id}/{owner}/{app_type.lower()}/{app_name}", account_id, region_name)
