"""What a replacement or destroy loses: the data-loss warnings of a summary."""

from __future__ import annotations

import re
from typing import Any, Mapping

from scripts.plan_summary import values as plan_values
from scripts.plan_summary.values import code
from scripts.plan_summary.model import DESTRUCTIVE, Hazard, ResourceChange


def _first(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, list):
            value = value[key] if isinstance(key, int) and len(value) > key else None
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def index_name(address: str) -> str | None:
    m = re.search(r'\["([^"]*)"\]$', address)
    return m.group(1) if m else None


def hazard_of(rc: ResourceChange, change: Mapping[str, Any], variables: Mapping[str, Any]) -> Hazard | None:
    if rc.action not in DESTRUCTIVE or rc.forget_only:
        return None
    # What the messages quote of the old object (names, ids) never shows a sensitive value.
    before = plan_values.hide_sensitive(change.get("before"), change.get("before_sensitive") or False)
    before = before if isinstance(before, dict) else {}
    verb, verbing = ("replaced", "Replacing") if rc.action == "replace" else ("destroyed", "Destroying")
    if rc.type == "aws_sagemaker_domain":
        retention = _first(before, "retention_policy", 0, "home_efs_file_system") \
            or variables.get("home_efs_retention")
        efs = before.get("home_efs_file_system_id")
        efs_text = f" ({code(efs)})" if efs else ""
        name = before.get("domain_name") or variables.get("domain_name")
        if retention == "Delete":
            kept = (f"With `home_efs_retention = \"Delete\"` the EFS{efs_text} and every file on it are deleted "
                    "for good.")
        elif retention == "Retain":
            kept = (f"With `home_efs_retention = \"Retain\"` the old EFS{efs_text} is kept, but no Studio user "
                    "can reach it any more: copy what is needed out of it first, and delete it afterwards.")
        else:
            kept = "Check `home_efs_retention`: with Delete the old EFS and every file on it are deleted."
        lead = "replacing" if rc.action == "replace" else "destroying"
        message = (f"{lead.capitalize()} the SageMaker domain destroys every user's home directory (its EFS): "
                   + ("the new domain starts with a new, empty EFS, and " if rc.action == "replace" else "")
                   + "every user profile, space and app of the old domain goes with it. " + kept)
        return Hazard(rc, f"The SageMaker domain{' ' + code(name) if name else ''} is {verb}", message)
    if rc.type == "aws_sagemaker_user_profile":
        user = before.get("user_profile_name") or index_name(rc.address) or rc.address
        message = (f"{verbing} the Studio user profile {code(user)} deletes that user's space and apps "
                   "(SageMaker refuses while they still exist: delete them first) and "
                   + ("gives the user a new, empty home directory; "
                      if rc.action == "replace" else "a profile created again under that name gets a new, empty "
                      "home directory; ")
                   + "the old one stays orphaned on the domain's EFS.")
        return Hazard(rc, f"The Studio user profile {code(user)} is {verb}", message)
    if rc.type == "aws_servicecatalog_product":
        name = before.get("name") or rc.address
        launched = ("Clusters users launched from it keep running, but as provisioned products of a product that "
                    "no longer exists: they can be terminated, not updated. ")
        if rc.action == "replace":
            message = (f"The product gets a new id, and every version of the old one goes. {launched}"
                       "Studio offers the new product once the apply has made it.")
        else:
            message = f"Studio users can no longer launch it, and every version of it goes. {launched}"
        return Hazard(rc, f"The Service Catalog product {code(name)} is {verb}", message)
    if rc.type == "aws_servicecatalog_provisioning_artifact":
        name = before.get("name") or index_name(rc.address) or rc.address
        message = ("Clusters launched from this version keep running and can be terminated, but can no longer be "
                   "updated (emr_product_versions_kept says how many versions stay).")
        if rc.action == "replace":
            message = "The version gets a new id. " + message
        return Hazard(rc, f"The product version {code(name)} is {verb}", message)
    if rc.type == "aws_s3_bucket":
        name = before.get("bucket") or rc.address
        hint = f"{name} {rc.address}".lower()
        if "state" in hint:
            kind, holds = "state bucket", ("every workspace's Terraform state: without it Terraform loses track "
                                           "of everything it manages")
        elif "data" in hint:
            kind, holds = "data bucket", "the EMR logs and Studio's shared notebooks"
        elif "artifact" in hint:
            kind, holds = "artifacts bucket", ("the EMR bootstrap script and product templates: launching EMR "
                                               "from Studio fails until they are uploaded again")
        else:
            kind, holds = "bucket", "objects that are lost with it"
        if before.get("force_destroy"):
            objects = "`force_destroy` is on: Terraform first deletes every object in it, every version included."
        else:
            objects = ("Terraform can only delete it when it is empty: the apply fails while it holds objects "
                       "(every version counts), after other changes may already have been made.")
        extra = " The new bucket starts empty: nothing is copied over." if rc.action == "replace" else ""
        return Hazard(rc, f"The {kind} {code(name)} is {verb}", f"It holds {holds}. {objects}{extra}")
    if rc.type == "aws_vpc":
        cidr = before.get("cidr_block")
        if rc.action == "replace":
            message = ("Replacing the VPC takes everything in it along: subnets, NAT gateways, endpoints, security "
                       "groups, and the SageMaker domain, which cannot move to another VPC (so every user's home "
                       "directory goes too). ")
        else:
            message = "Destroying the VPC needs everything in it gone first. "
        message += ("The domain's retained home EFS and the security groups SageMaker created itself are not "
                    "Terraform's: they block deleting the old VPC until they are removed by hand (README, "
                    "Destroying).")
        return Hazard(rc, f"The VPC{' ' + code(cidr) if cidr else ''} is {verb}", message)
    if rc.type == "aws_kms_key":
        message = (f"{verbing} a KMS key schedules its deletion: whatever it encrypts (home EFS, buckets, EMR "
                   "disks) becomes unreadable for good once the waiting period ends, unless the deletion is "
                   "cancelled in time.")
        return Hazard(rc, f"A KMS key is {verb}", message)
    if rc.type == "aws_efs_file_system":
        return Hazard(rc, f"An EFS file system is {verb}", f"{verbing} an EFS file system deletes every file on it.")
    return None
