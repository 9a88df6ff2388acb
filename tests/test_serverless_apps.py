"""scripts/serverless_apps.py: which applications an apply or a destroy must stop first, and the stop
itself on the emulator (whose EMR Serverless refuses an update or delete of a STARTED application, as
AWS does: scripts/moto_ext/emrserverless)."""
from __future__ import annotations

import pytest

from aws_answers import refused, unique
from scripts import serverless_apps

REGION = "eu-west-1"
ADDRESS = 'aws_emrserverless_application.emr_serverless_application_0ECB6B10["spark"]'


def _change(actions, before, after):
    return {"resource_changes": [
        {"address": ADDRESS, "type": serverless_apps.APPLICATION_TYPE,
         "change": {"actions": actions, "before": before, "after": after}},
        {"address": "aws_vpc.x", "type": "aws_vpc", "change": {"actions": ["delete"], "before": {"id": "vpc-1"}}}]}


APP = {"id": "00abc", "name": "ml-prod-spark", "release_label": "emr-7.5.0", "tags": {"a": "1"},
       "tags_all": {"a": "1"}, "auto_stop_configuration": [{"enabled": True, "idle_timeout_minutes": 15}]}


@pytest.mark.parametrize("actions, after, stopped", [
    (["update"], {**APP, "release_label": "emr-7.6.0"}, True),                       # UpdateApplication
    (["update"], {**APP, "auto_stop_configuration": [{"enabled": True, "idle_timeout_minutes": 30}]}, True),
    (["update"], {**APP, "tags": {"a": "2"}, "tags_all": {"a": "2"}}, False),       # TagResource only
    (["delete"], None, True),
    (["delete", "create"], {**APP, "id": None}, True),                              # replaced
    (["create"], {**APP, "id": None}, False),
    (["no-op"], APP, False),
])
def test_an_apply_stops_the_applications_it_updates_beyond_tags_or_deletes(actions, after, stopped):
    before = None if actions == ["create"] else APP
    assert serverless_apps.changed_applications(_change(actions, before, after)) == (
        [(ADDRESS, "00abc")] if stopped else [])


@pytest.fixture(scope="module")
def client(emulator):
    return emulator.client("emr-serverless", REGION)


def _started(client) -> str:
    app_id = client.create_application(name=unique("ml-prod-spark"), releaseLabel="emr-7.5.0", type="SPARK",
                                       interactiveConfiguration={"livyEndpointEnabled": True})["applicationId"]
    client.start_application(applicationId=app_id)
    return app_id


@pytest.mark.emulator
def test_a_destroy_stops_the_started_applications_of_the_workspace_then_they_can_be_deleted(client):
    started, idle = _started(client), _started(client)
    client.stop_application(applicationId=idle)
    refused("ValidationException", client.delete_application, applicationId=started)
    said = []
    outputs = {"emr_serverless_application_ids": {"spark": started, "other": idle, "gone": "0000000000000000"}}
    lines = serverless_apps.stop_for_destroy(client, outputs, auto_approve=True, say=said.append)
    assert len(lines) == 1 and started in lines[0] and "was STARTED" in lines[0]
    assert any(started in s and "STARTED" in s for s in said) and not any(idle in s for s in said)
    assert client.get_application(applicationId=started)["application"]["state"] == "STOPPED"
    client.delete_application(applicationId=started)  # what the provider's destroy does next


@pytest.mark.emulator
def test_nothing_is_stopped_without_a_yes(client, monkeypatch):
    from scripts.platform_cmd import CommandError

    app_id = _started(client)
    monkeypatch.setattr("builtins.input", lambda _: "no")
    with pytest.raises(CommandError, match="nothing was deleted"):
        serverless_apps.stop_for_destroy(client, {"emr_serverless_application_ids": {"spark": app_id}},
                                         auto_approve=False, say=lambda _: None)
    assert client.get_application(applicationId=app_id)["application"]["state"] == "STARTED"


@pytest.mark.emulator
def test_an_apply_stops_what_its_plan_changes(client):
    app_id = _started(client)
    plan = _change(["update"], {**APP, "id": app_id}, {**APP, "id": app_id, "release_label": "emr-7.6.0"})
    assert serverless_apps.stop_for_plan(client, plan, auto_approve=True, say=lambda _: None)
    client.update_application(applicationId=app_id, releaseLabel="emr-7.6.0")
