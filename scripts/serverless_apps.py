"""EMR Serverless applications stopped before Terraform updates or deletes them.

AWS refuses UpdateApplication and DeleteApplication of an application that is
not CREATED or STOPPED (EMR Serverless API reference), and Studio users start
the platform's applications (``%sm_analytics emr-serverless connect`` calls
StartApplication; auto start does the same on a first Livy session). The
Terraform provider neither stops one first nor waits
(hashicorp/terraform-provider-aws#49109), so an apply that changes a started
application, and a destroy, would fail halfway. So, as for what Studio users
launch (``scripts/studio_leftovers.py``):

- ``scripts/platform apply W`` (and ``prepare-apply W``) reads the plan, and
  stops each application it updates (other than its tags, which TagResource
  changes in any state) or deletes, waiting until it is STOPPED
  (:func:`stop_for_plan`);
- ``scripts/platform destroy W`` stops every application of the workspace
  (its ``emr_serverless_application_ids`` output) before destroying
  (:func:`stop_for_destroy`).

Stopping ends the Spark sessions running on the application, so the operator
sees the list and says yes first (or passes ``--auto-approve``). An
application that auto-starts starts again on the next connect.
"""
from __future__ import annotations

from typing import Callable, Iterable

from scripts.studio_leftovers import confirm, wait_until

APPLICATION_TYPE = "aws_emrserverless_application"
# States an update or a delete accepts; STARTING and STARTED must be stopped first, STOPPING waited for.
IDLE = ("CREATED", "STOPPED", "TERMINATED")
RUNNING = ("STARTING", "STARTED")
STOP_TIMEOUT_SECONDS = 600  # AWS stops an application in a minute or two
# Arguments whose change goes through TagResource / UntagResource, not UpdateApplication.
TAG_ATTRIBUTES = ("tags", "tags_all")


def changed_applications(plan: dict) -> list[tuple[str, str]]:
    """(address, application id) of each existing application ``plan`` (``terraform show -json``)
    deletes, replaces, or updates in more than its tags."""
    found = []
    for change in plan.get("resource_changes") or []:
        if change.get("type") != APPLICATION_TYPE:
            continue
        actions, before = change["change"]["actions"], change["change"].get("before") or {}
        after = change["change"].get("after") or {}
        untagged = {k: v for k, v in before.items() if k not in TAG_ATTRIBUTES}
        if "delete" in actions or ("update" in actions and untagged != {
                k: after.get(k, v) for k, v in untagged.items()}):
            found.append((change["address"], before["id"]))
    return found


def running(client, application_ids: Iterable[str]) -> list[dict]:
    """The applications among ``application_ids`` that are STARTING, STARTED or STOPPING (GetApplication;
    one that is gone is left out)."""
    found = []
    for application_id in application_ids:
        try:
            application = client.get_application(applicationId=application_id)["application"]
        except client.exceptions.ResourceNotFoundException:
            continue
        if application["state"] not in IDLE:
            found.append(application)
    return found


def stop(client, applications: list[dict], timeout: float = STOP_TIMEOUT_SECONDS,
         poll: float = 1.0) -> list[str]:
    """Stops each of ``applications`` (GetApplication replies) and waits until every one is STOPPED."""
    lines = []
    for application in applications:
        if application["state"] in RUNNING:
            client.stop_application(applicationId=application["applicationId"])
    for application in applications:
        app_id, name = application["applicationId"], application["name"]

        def stopped(app_id=app_id) -> bool:
            return client.get_application(applicationId=app_id)["application"]["state"] in IDLE

        wait_until(stopped, f"EMR Serverless application {name} ({app_id}) is not STOPPED", timeout, poll)
        lines.append(f"stopped EMR Serverless application {name} ({app_id}), which was {application['state']}")
    return lines


def _stop_confirmed(client, application_ids: list[str], why: str, auto_approve: bool,
                    say: Callable[[str], None]) -> list[str]:
    found = running(client, application_ids)
    if not found:
        return []
    say(f"{why}: AWS refuses to update or delete an EMR Serverless application that is not stopped "
        "(hashicorp/terraform-provider-aws#49109); stopping ends the Spark sessions running on it")
    confirm([f"EMR Serverless application {a['name']} ({a['applicationId']}): {a['state']}" for a in found],
            auto_approve, "Stop these applications now?", say)
    return stop(client, found)


def stop_for_plan(client, plan: dict, auto_approve: bool, say: Callable[[str], None]) -> list[str]:
    """Before an apply of ``plan``: stops the started applications it changes or deletes."""
    changed = changed_applications(plan)
    return _stop_confirmed(client, [app_id for _, app_id in changed], "the apply changes "
                           + ", ".join(address for address, _ in changed), auto_approve, say) if changed else []


def stop_for_destroy(client, outputs: dict, auto_approve: bool, say: Callable[[str], None]) -> list[str]:
    """Before a destroy: stops every started application of ``outputs``' ``emr_serverless_application_ids``."""
    ids = list((outputs.get("emr_serverless_application_ids") or {}).values())
    return _stop_confirmed(client, ids, "the destroy deletes the workspace's EMR Serverless applications",
                           auto_approve, say) if ids else []
