"""What Studio launches outside Terraform, removed before Terraform needs it gone.

Users of a domain make things Terraform never sees: apps (a running
JupyterLab, Code Editor, a Studio Classic server), spaces, and EMR clusters
launched from the domain's Service Catalog products (each a provisioned
product: a CloudFormation stack). AWS refuses to delete a user profile while
it has apps that are not Deleted or owns spaces (DeleteUserProfile's
ResourceInUse), and a domain while it has profiles or spaces; clusters are
never deleted by anyone but the user. So:

- ``scripts/platform apply W`` (and ``prepare-apply W`` before a ``cdktf
  deploy``) reads the plan, and for every user profile the plan deletes
  (removed from ``user_profiles``, or replaced) deletes its apps, then the
  private spaces it owns (their apps first), waiting until each is gone;
  :func:`clear_user` says what happens to the user's files.
- ``scripts/platform destroy W`` first terminates the provisioned products of
  this domain's products and waits for their records, then deletes the
  domain's apps, then its spaces (:func:`remove_launched`), then destroys.

Everything is found by this domain's id (``DomainIdEquals``, and checked on
each answer) or this domain's product ids: nothing of another domain is
touched. Each step names what it deleted; nothing is deleted before the
operator has seen the list and said yes (or passed ``--auto-approve``).
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Callable, Iterable

from scripts.errors import CommandError

USER_PROFILE_TYPE = "aws_sagemaker_user_profile"
APP_ENDED = ("Deleted", "Failed")  # AppStatus values that hold nothing
RECORD_DONE = ("SUCCEEDED", "FAILED")  # RecordStatus values after which nothing changes
DELETE_TIMEOUT_SECONDS = 1200  # apps and spaces take minutes on AWS
RECORD_TIMEOUT_SECONDS = 1800  # a cluster's stack deletion takes several minutes
POLL_SECONDS = 1.0


# -- the plan ----------------------------------------------------------------------
def removed_user_profiles(plan: dict) -> list[tuple[str, str, str]]:
    """(address, domain id, profile name) of each user profile ``plan`` (``terraform
    show -json``) deletes: removed from the workspace, or replaced (delete, create)."""
    found = []
    for change in plan.get("resource_changes") or []:
        if change.get("type") == USER_PROFILE_TYPE and "delete" in change["change"]["actions"]:
            before = change["change"].get("before") or {}
            found.append((change["address"], before["domain_id"], before["user_profile_name"]))
    return found


# -- waiting -------------------------------------------------------------------------
def wait_until(done: Callable[[], bool], what: str, timeout: float, poll: float = POLL_SECONDS) -> None:
    """Calls ``done`` until it is true; a CommandError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise CommandError(f"{what} after {timeout:.0f}s.\nNext: look at it in the AWS console (or describe it "
                           "with the AWS CLI), then re-run the command.")
        time.sleep(poll)


def record_outcome(catalog, record_id: str, timeout: float = RECORD_TIMEOUT_SECONDS,
                   poll: float = 0.5) -> dict | None:
    """DescribeRecord's reply once the record is SUCCEEDED or FAILED; None after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        reply = catalog.describe_record(Id=record_id)
        if reply["RecordDetail"]["Status"] in RECORD_DONE:
            return reply
        if time.monotonic() > deadline:
            return None
        time.sleep(poll)


# -- apps and spaces ----------------------------------------------------------------
def live_apps(sagemaker, domain_id: str, **owner: str) -> list[dict]:
    """The domain's apps that are not Deleted or Failed; ``owner``: UserProfileNameEquals
    or SpaceNameEquals (ListApps' filters)."""
    pages = sagemaker.get_paginator("list_apps").paginate(DomainIdEquals=domain_id, **owner)
    return [a for page in pages for a in page["Apps"]
            if a["DomainId"] == domain_id and a["Status"] not in APP_ENDED]


def spaces_of(sagemaker, domain_id: str, owner: str | None = None) -> list[dict]:
    """The domain's spaces (ListSpaces), or those ``owner`` owns (OwnershipSettingsSummary)."""
    pages = sagemaker.get_paginator("list_spaces").paginate(DomainIdEquals=domain_id)
    return [s for page in pages for s in page["Spaces"] if s["DomainId"] == domain_id and (
        owner is None or (s.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName") == owner)]


def _app_key(app: dict) -> dict:
    owner = {"SpaceName": app["SpaceName"]} if app.get("SpaceName") else {"UserProfileName": app["UserProfileName"]}
    return {"DomainId": app["DomainId"], "AppType": app["AppType"], "AppName": app["AppName"], **owner}


def _app_name(app: dict) -> str:
    owner = f"space {app['SpaceName']}" if app.get("SpaceName") else f"user {app['UserProfileName']}"
    return f"app {app['AppType']}/{app['AppName']} of {owner}"


def delete_apps(sagemaker, apps: list[dict], timeout: float = DELETE_TIMEOUT_SECONDS) -> list[str]:
    """Stops and deletes ``apps`` (DeleteApp; those already Deleting are waited
    for) and waits until each is Deleted; one line per app."""
    for app in apps:
        if app["Status"] != "Deleting":
            sagemaker.delete_app(**_app_key(app))
    for app in apps:
        wait_until(lambda app=app: sagemaker.describe_app(**_app_key(app))["Status"] in APP_ENDED,
                   f"{_app_name(app)} is not Deleted", timeout)
    return [f"deleted {_app_name(app)} (was {app['Status']})" for app in apps]


def _space_gone(sagemaker, domain_id: str, name: str) -> bool:
    try:
        sagemaker.describe_space(DomainId=domain_id, SpaceName=name)
    except sagemaker.exceptions.ResourceNotFound:
        return True
    return False


def delete_spaces(sagemaker, domain_id: str, spaces: list[dict], timeout: float = DELETE_TIMEOUT_SECONDS) -> list[str]:
    """Deletes each space's apps, then the space (DeleteSpace), and waits until
    it is gone; one line per app and space. A space's own storage (the EBS
    volume of a JupyterLab or Code Editor space) goes with it."""
    lines = []
    for space in spaces:
        lines += delete_apps(sagemaker, live_apps(sagemaker, domain_id, SpaceNameEquals=space["SpaceName"]), timeout)
        if space.get("Status") != "Deleting":
            sagemaker.delete_space(DomainId=domain_id, SpaceName=space["SpaceName"])
    for space in spaces:
        wait_until(lambda space=space: _space_gone(sagemaker, domain_id, space["SpaceName"]),
                   f"space {space['SpaceName']} of domain {domain_id} is not deleted", timeout)
        sharing = (space.get("SpaceSharingSettingsSummary") or {}).get("SharingType", "Private").lower()
        owner = (space.get("OwnershipSettingsSummary") or {}).get("OwnerUserProfileName")
        lines.append(f"deleted {sharing} space {space['SpaceName']}" + (f" of {owner}" if owner else "")
                     + " and its storage")
    return lines


# -- a user who leaves ----------------------------------------------------------------
def user_leftovers(sagemaker, domain_id: str, user: str) -> tuple[list[dict], list[dict]]:
    """(apps, spaces) that keep ``user``'s profile from being deleted: the
    profile's own apps and the spaces it owns. A shared space the user owns is
    refused: deleting it would take the other users' work in it."""
    spaces = spaces_of(sagemaker, domain_id, owner=user)
    shared = [s["SpaceName"] for s in spaces
              if (s.get("SpaceSharingSettingsSummary") or {}).get("SharingType") == "Shared"]
    if shared:
        raise CommandError(
            f"user profile {user} of domain {domain_id} owns the shared space(s) {', '.join(shared)}: AWS will not "
            "delete the profile while it owns a space, and deleting a shared space deletes what the other users "
            "keep in it (a space's owner cannot be changed).\nNext: have its users move what they need, then "
            f"delete it (aws sagemaker delete-app ... for each of its apps, then aws sagemaker delete-space "
            f"--domain-id {domain_id} --space-name NAME), and re-run.")
    return live_apps(sagemaker, domain_id, UserProfileNameEquals=user), spaces


def home_files_note(sagemaker, domain_id: str, user: str, home_efs_id: str | None, region: str) -> str:
    """What happens to ``user``'s files on the domain's home EFS, and how to keep a copy."""
    profile = sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=user)
    uid, account = profile.get("HomeEfsFileSystemUid"), profile["UserProfileArn"].split(":")[4]
    efs = home_efs_id or "(the domain's home EFS: output home_efs_id)"
    return (f"files of {user}: stay on the home EFS {efs} in its directory /{uid} (owner uid {uid}) after the "
            f"profile is deleted; nobody in Studio sees them any more (a new profile of that name gets a new uid), "
            "and they go only when the domain is deleted with home_efs_retention = \"Delete\". To keep a copy: "
            f"mount {efs} from an instance in the domain's VPC with the group "
            f"security-group-for-outbound-nfs-{domain_id} and copy /{uid}, or back up the whole file system "
            f"(aws backup start-backup-job --region {region} --backup-vault-name VAULT --iam-role-arn ROLE "
            f"--resource-arn arn:aws:elasticfilesystem:{region}:{account}:file-system/{efs}).")


def find_user_leftovers(sagemaker, removed: list[tuple[str, str, str]]) -> dict[tuple[str, str], tuple]:
    """{(domain id, user): (apps, spaces)} for each removed (address, domain id, user)."""
    return {(domain, user): user_leftovers(sagemaker, domain, user) for _, domain, user in removed}


def describe_user_leftovers(found: dict[tuple[str, str], tuple]) -> list[str]:
    return [f"user {user} (domain {domain}) leaves: " + (", ".join(
        [_app_name(a) for a in apps] + [f"space {s['SpaceName']} (and its apps and storage)" for s in spaces])
        or "no apps or spaces to delete") for (domain, user), (apps, spaces) in found.items()]


def clear_users(sagemaker, found: dict[tuple[str, str], tuple], home_efs_id: str | None, region: str) -> list[str]:
    """Deletes what :func:`find_user_leftovers` found: each user's apps, then
    their private spaces; returns what was done and, per user, where their files are."""
    lines = []
    for (domain, user), (apps, spaces) in found.items():
        lines.append(home_files_note(sagemaker, domain, user, home_efs_id, region))
        lines += delete_apps(sagemaker, apps) + delete_spaces(sagemaker, domain, spaces)
    return lines


# -- what a destroy removes first ------------------------------------------------------
def portfolio_product_ids(catalog, portfolio_id: str | None, product_ids: Iterable[str]) -> set[str]:
    """This domain's products: the workspace's ``product_ids`` and whatever else
    its portfolio holds (SearchProductsAsAdmin with PortfolioId)."""
    ids = set(product_ids)
    if portfolio_id:
        pages = catalog.get_paginator("search_products_as_admin").paginate(PortfolioId=portfolio_id)
        ids |= {p["ProductViewSummary"]["ProductId"] for page in pages for p in page["ProductViewDetails"]}
    return ids


def launched_products(catalog, product_ids: set[str]) -> list[dict]:
    """Provisioned products launched from ``product_ids``, by anyone in the
    account (ScanProvisionedProducts with AccessLevelFilter Account)."""
    pages = catalog.get_paginator("scan_provisioned_products").paginate(
        AccessLevelFilter={"Key": "Account", "Value": "self"})
    return [pp for page in pages for pp in page["ProvisionedProducts"] if pp.get("ProductId") in product_ids]


def terminate_products(catalog, products: list[dict], timeout: float = RECORD_TIMEOUT_SECONDS) -> list[str]:
    """TerminateProvisionedProduct on each, then waits for each record; a failed
    record stops with its errors."""
    records = []
    for pp in products:
        if pp["Status"] in ("UNDER_CHANGE", "PLAN_IN_PROGRESS") and pp.get("LastRecordId"):
            record_outcome(catalog, pp["LastRecordId"], timeout)  # AWS refuses to terminate while it changes
        records.append(catalog.terminate_provisioned_product(
            ProvisionedProductId=pp["Id"], TerminateToken=uuid.uuid4().hex)["RecordDetail"]["RecordId"])
    lines = []
    for pp, record_id in zip(products, records, strict=True):
        reply = record_outcome(catalog, record_id, timeout)
        what = f"provisioned product {pp['Name']} ({pp['Id']}, product {pp['ProductId']})"
        if reply is None or reply["RecordDetail"]["Status"] != "SUCCEEDED":
            errors = "; ".join(f"{e.get('Code')}: {e.get('Description')}"
                               for e in (reply or {}).get("RecordDetail", {}).get("RecordErrors", []))
            raise CommandError(f"terminating {what} did not succeed: record {record_id} "
                           f"{reply['RecordDetail']['Status'] if reply else 'still running'}"
                           f"{': ' + errors if errors else ''}.\nNext: read the stack's events in CloudFormation "
                           f"(aws servicecatalog describe-record --id {record_id}), fix what stops it, and destroy "
                           "again.")
        lines.append(f"terminated {what}: record {record_id} SUCCEEDED")
    return lines


def find_launched(sagemaker, catalog, outputs: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """(provisioned products, apps, spaces) that users of the domain in
    ``outputs`` (plain values: domain_id, portfolio_id, product_ids) launched:
    clusters from the domain's products, the domain's apps and spaces."""
    domain = outputs.get("domain_id")
    products = launched_products(catalog, portfolio_product_ids(
        catalog, outputs.get("portfolio_id"), (outputs.get("product_ids") or {}).values()))
    return products, live_apps(sagemaker, domain) if domain else [], spaces_of(sagemaker, domain) if domain else []


def describe_launched(products: list[dict], apps: list[dict], spaces: list[dict]) -> list[str]:
    return ([f"cluster: provisioned product {pp['Name']} ({pp['Id']}, {pp['Status']})" for pp in products]
            + [_app_name(a) for a in apps] + [f"space {s['SpaceName']} (and its storage)" for s in spaces])


def remove_launched(sagemaker, catalog, domain_id: str | None, products: list[dict], apps: list[dict],
                    spaces: list[dict]) -> list[str]:
    """Terminates the clusters, then deletes the apps, then the spaces (what
    :func:`find_launched` found); one line per thing removed."""
    return (terminate_products(catalog, products) + delete_apps(sagemaker, apps)
            + (delete_spaces(sagemaker, domain_id, spaces) if spaces else []))


# -- the commands' side -----------------------------------------------------------------
def confirm(found: list[str], auto_approve: bool, question: str, say: Callable[[str], None]) -> None:
    """Prints ``found``, then asks ``question`` unless ``auto_approve``; anything
    but "yes" stops with nothing deleted."""
    for line in found:
        say(f"  - {line}")
    if auto_approve:
        return
    answer = input(f"{question} Only 'yes' will be accepted: ").strip()
    if answer != "yes":
        raise CommandError(f"stopped: you answered {answer!r}, nothing was deleted.\n"
                       "Next: re-run and answer yes, or change the workspace file.")


def before_apply(args, target, tf, var_file: Path, progress, scope: Iterable[str] = (),
                 plan_file: Path | None = None) -> list[str]:
    """What ``apply`` (and ``prepare-apply``) does before Terraform applies: one
    plan, which the domain guard checks (scripts/domain_guard.py), then the apps
    and spaces of the user profiles it deletes go (:func:`prepare_apply`), and the
    started EMR Serverless applications it changes stop (scripts/serverless_apps.py).

    ``plan_file``: keep the plan there, for ``terraform apply`` of exactly that
    plan; without ``--auto-approve`` the plan is shown and must be accepted
    first (as ``terraform apply`` would ask), before anything is deleted."""
    from scripts import domain_guard

    domain_guard.use_flag(tf, args.allow_domain_replacement)
    plan = domain_guard.check_plan(tf, args.workspace, var_file, "apply", progress, list(scope), plan_file)
    if plan_file is not None and not args.auto_approve:
        print(tf.run(["show", "-no-color", str(plan_file)], workspace=args.workspace).stdout, flush=True)
        confirm([], False, f"Apply this plan to workspace {args.workspace}?", progress.say)
    lines = prepare_apply(target, tf, args.workspace, var_file, progress, args.auto_approve, plan)
    from scripts import serverless_apps

    if serverless_apps.changed_applications(plan):
        from scripts.lifecycle import target_clients
        from scripts.workspaces import read_region

        (client,) = target_clients(target, read_region(var_file), ("emr-serverless",))
        stopped = serverless_apps.stop_for_plan(client, plan, args.auto_approve, progress.say)
        for line in stopped:
            progress.say(f"emr serverless: {line}")
        lines += stopped
    return lines


def prepare_apply(target, tf, workspace: str, var_file: Path, progress, auto_approve: bool, plan: dict) -> list[str]:
    """Clears the apps and spaces of every user profile ``plan`` deletes (see
    :func:`clear_users`); prints and returns what it did."""
    from scripts.lifecycle import target_clients
    from scripts.workspaces import read_region

    removed = removed_user_profiles(plan)
    if not removed:
        progress.say("no user profile is deleted by this apply: no apps or spaces to remove")
        return []
    progress.say(f"the apply deletes user profile(s) {', '.join(user for _, _, user in removed)}: "
                 "their apps and private spaces go first (AWS refuses to delete a profile that has them)")
    region = read_region(var_file)
    (sagemaker,) = target_clients(target, region, ("sagemaker",))
    home_efs = tf.output_values(workspace).get("home_efs_id")
    found = find_user_leftovers(sagemaker, removed)
    if any(apps or spaces for apps, spaces in found.values()):
        confirm(describe_user_leftovers(found), auto_approve, "Delete these apps and spaces now, before the apply?",
                progress.say)
    with progress.step("remove the leaving users' apps and spaces"):
        lines = clear_users(sagemaker, found, home_efs, region)
    for line in lines:
        progress.say(f"leftovers: {line}")
    return lines


def cmd_prepare_apply(args, progress) -> int:
    """``scripts/platform prepare-apply W``: what ``apply`` does before Terraform,
    for a ``cdktf deploy`` that follows."""
    from scripts.platform_cmd import emulator_scope, refuse_emulator, workspace_stack

    if args.target == "emulator":
        refuse_emulator("prepare-apply", args.workspace, Path(args.root).resolve())
    with workspace_stack(args, progress) as (target, tf, var_file):
        before_apply(args, target, tf, var_file, progress, emulator_scope(tf.dir)[0] if target.name == "emulator"
                     else ())
    progress.say(f"Next: deploy {args.workspace} (cdktf deploy, or scripts/platform apply {args.workspace})")
    return 0
