"""Unknown and sensitive values in the PR summary (scripts/plan_summary/values.py, through scripts/plan_summary/).

Mostly on the recorded plans of tests/data/plans/ (see its README): `add_only.json` is dev
planned from scratch, whose outputs `private_subnet_ids` and `product_ids` Terraform shows as
`[(known after apply), ...]` and `{spark-livy-cluster = (known after apply)}`;
`guarded_replacement.json` is dev applied, then planned with a third zone.

The edge cases no recorded plan of our stack has (sensitive parts, an attribute partly unknown
in an update) are small fragments in Terraform's JSON plan format,
https://developer.hashicorp.com/terraform/internals/json-format ("Change Representation"):
`after_unknown`, `before_sensitive` and `after_sensitive` mirror the value, `true` where a part
is unknown or sensitive; `after` holds null at an unknown list element and omits an unknown
object key.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from scripts import plan_summary as ps
from scripts.plan_summary import values as pv

PLANS = Path(__file__).resolve().parent / "data" / "plans"
DOMAIN = "aws_sagemaker_domain.studio_domain_F1B3BB3C"


def load(name: str) -> dict:
    return json.loads((PLANS / f"{name}.json").read_text())


def output_rows(plan: dict) -> dict[str, str]:
    """output name -> its row of the summary's outputs table."""
    details = ps.render_details(ps.summarize(plan, "dev"))
    table = details[details.index("**Outputs changing:**"):]
    return {line.split("|")[1].strip().strip("`"): line for line in table.splitlines() if line.startswith("| `")}


def plan_with_outputs(**changes: dict) -> dict:
    plan = load("add_only")
    plan["output_changes"] = changes
    return plan


# -- recorded plans ----------------------------------------------------------------------
def test_dev_from_scratch_shows_unknown_list_and_map_elements_not_null_or_empty():
    plan = load("add_only")
    recorded = plan["output_changes"]
    # What the recording holds, so that the rows below are about what Terraform wrote.
    assert (recorded["private_subnet_ids"]["after"], recorded["private_subnet_ids"]["after_unknown"]) == \
        ([None, None], [True, True])
    assert (recorded["product_ids"]["after"], recorded["product_ids"]["after_unknown"]) == \
        ({}, {"spark-livy-cluster": True})
    rows = output_rows(plan)
    assert rows["private_subnet_ids"] == \
        "| `private_subnet_ids` | add |  | `[(known after apply), (known after apply)]` |"
    assert rows["product_ids"] == "| `product_ids` | add |  | `{\"spark-livy-cluster\": (known after apply)}` |"
    assert rows["domain_id"] == "| `domain_id` | add |  | *(known after apply)* |"
    assert rows["user_profile_names"] == '| `user_profile_names` | add |  | `["alice", "bob"]` |'
    for row in rows.values():
        assert "null" not in row and "{}" not in row, row


def test_a_long_partly_unknown_value_keeps_the_width_limit():
    row = output_rows(load("add_only"))["emr_security_group_ids"]
    cell = row.split("|")[4].strip()
    assert cell.startswith('`{"core": (known after apply), "master": (known after apply), "service_access": ')
    assert cell.endswith("…`") and len(cell.strip("`")) == pv.VALUE_WIDTH


def test_unknown_element_inside_a_known_list_in_an_update():
    """dev applied with two zones, planned with three: two subnet ids known, the third unknown."""
    row = output_rows(load("guarded_replacement"))["private_subnet_ids"]
    assert row == ('| `private_subnet_ids` | change | `["subnet-4f780cfc7378c7dd0", "subnet-d3c9fa7d41fd90686"]` | '
                   '`["subnet-4f780cfc7378c7dd0", "subnet-d3c9fa7d41fd90686", (known after apply)]` |')


def test_a_list_of_objects_with_unknown_attributes():
    """The domain's default_user_settings as recorded: one object in a list, two attributes
    unknown; one of them (auto_mount_home_efs) is left out of `after` altogether."""
    domain = next(rc for rc in load("guarded_replacement")["resource_changes"] if rc["address"] == DOMAIN)
    after = domain["change"]["after"]["default_user_settings"]
    unknown = domain["change"]["after_unknown"]["default_user_settings"]
    assert "auto_mount_home_efs" not in after[0] and unknown[0]["auto_mount_home_efs"] is True
    shown = pv.text(after, unknown)
    assert shown.startswith('[{"auto_mount_home_efs": (known after apply), "canvas_app_settings": [], ')
    assert '"space_storage_settings": (known after apply)' in shown
    assert '"security_groups": ["sg-45dcbeb93c60edf2b"]' in shown  # known, beside the unknowns
    assert json.loads(pv.text(after)) == after  # without a mirror: the JSON it always was


def test_the_words_in_a_string_stay_a_string():
    assert pv.text(["(known after apply)", None], [False, True]) == '["(known after apply)", (known after apply)]'
    assert pv.text(None) == "null" and pv.text({}, {}) == "{}" and pv.text([None], [False]) == "[null]"


# -- sensitive parts (fragments) ------------------------------------------------------------
def test_sensitive_inside_unknown():
    rows = output_rows(plan_with_outputs(
        connection={"actions": ["create"], "before": None,
                    "after": {"db": {"password": "s3cret-1", "port": 5432}},
                    "after_unknown": {"db": {"endpoint": True}},
                    "before_sensitive": False, "after_sensitive": {"db": {"password": True}}},
        whole={"actions": ["create"], "before": None, "after": None, "after_unknown": True,
               "before_sensitive": False, "after_sensitive": {"password": True}},
    ))
    assert rows["connection"] == ('| `connection` | add |  | `{"db": {"endpoint": (known after apply), '
                                  '"password": (sensitive), "port": 5432}}` |')
    assert rows["whole"] == "| `whole` | add |  | *(known after apply)* |"
    assert "s3cret" not in "".join(rows.values())


def test_unknown_inside_sensitive():
    rows = output_rows(plan_with_outputs(
        token={"actions": ["create"], "before": None, "after": {"issuer": "me"},
               "after_unknown": {"value": True}, "before_sensitive": False, "after_sensitive": True},
        creds={"actions": ["update"], "before": {"creds": {"token": "old-s3cret"}, "user": "bob"},
               "after": {"creds": {}, "user": "bob"}, "after_unknown": {"creds": {"token": True}},
               "before_sensitive": {"creds": True}, "after_sensitive": {"creds": True}},
    ))
    assert rows["token"] == "| `token` | add |  | *(sensitive)* |"
    assert rows["creds"] == ('| `creds` | change | `{"creds": (sensitive), "user": "bob"}` | '
                             '`{"creds": (sensitive), "user": "bob"}` |')
    assert "old-s3cret" not in rows["creds"] and "me" not in rows["token"]


def test_a_part_sensitive_on_one_side_only_is_hidden_on_both():
    """Showing it on the other side would give the value away (it may not have changed)."""
    rows = output_rows(plan_with_outputs(
        keys={"actions": ["update"], "before": ["k-public", "k-s3cret"], "after": ["k-public", "k-s3cret", "k-new"],
              "after_unknown": [False, False, False], "before_sensitive": [False, True],
              "after_sensitive": [False, False, False]},
    ))
    assert rows["keys"] == '| `keys` | change | `["k-public", (sensitive)]` | `["k-public", (sensitive), "k-new"]` |'


def test_a_mirror_that_marks_nothing_hides_nothing():
    """Before, any non-empty mirror (even [false, false]) hid the whole value."""
    rows = output_rows(plan_with_outputs(
        names={"actions": ["create"], "before": None, "after": ["a", "b"], "after_unknown": [False, False],
               "before_sensitive": False, "after_sensitive": [False, False]},
    ))
    assert rows["names"] == '| `names` | add |  | `["a", "b"]` |'


def test_a_hazard_never_quotes_a_sensitive_attribute_or_variable():
    plan = load("teardown")
    for rc in plan["resource_changes"]:
        if rc["type"] == "aws_vpc":
            rc["change"]["before_sensitive"] = {"cidr_block": True}
        if rc["type"] == "aws_s3_bucket":
            rc["change"]["before_sensitive"] = {"bucket": True}
    plan["configuration"]["root_module"]["variables"]["domain_name"]["sensitive"] = True
    text = ps.render_workspace(ps.summarize(plan, "dev"))
    block = "\n".join(line for line in text.splitlines() if line.startswith(">"))
    assert "**The VPC `(sensitive)` is destroyed**" in block
    assert "**The data bucket `(sensitive)` is destroyed**" in block
    assert "10.20.0.0/16" not in block and "ml-dev" not in block
    assert "| `domain_name` | *(sensitive)* | *(required)* |" in text


# -- resource attributes partly unknown -----------------------------------------------------
def _partly_unknown_update(actions: list) -> dict:
    """The recorded domain replacement, turned into ``actions``: its default_user_settings is
    partly unknown (a list of one object with unknown attributes)."""
    plan = copy.deepcopy(load("guarded_replacement"))
    plan["resource_changes"] = [rc for rc in plan["resource_changes"] if rc["address"] == DOMAIN]
    change = plan["resource_changes"][0]["change"]
    change["actions"] = actions
    if actions == ["update"]:
        change.pop("replace_paths", None)
        plan["resource_changes"][0].pop("action_reason", None)
    return plan


def test_an_attribute_partly_unknown_in_an_update_is_changing():
    """In an update, an attribute that becomes unknown in part changes (terraform plan shows it
    with `~`), even where every known part is as before."""
    plan = _partly_unknown_update(["update"])
    change = plan["resource_changes"][0]["change"]
    settings = change["before"]["default_user_settings"][0]
    change["after"]["default_user_settings"] = [{k: v for k, v in settings.items()
                                                 if k not in ("auto_mount_home_efs", "space_storage_settings")}]
    [domain] = ps.summarize(plan, "dev").changes
    assert domain.action == "change" and "default_user_settings" in domain.attributes
    # Only the unknown parts differ: in a replacement (where every computed value becomes
    # unknown) that is no change of its own.
    change["actions"], change["replace_paths"] = ["delete", "create"], [["subnet_ids"]]
    [domain] = ps.summarize(plan, "dev").changes
    assert domain.action == "replace" and "default_user_settings" not in domain.attributes
    assert "subnet_ids" in domain.attributes


@pytest.mark.parametrize("before, after, unknown, differs", [
    (["sg-1"], [None], [True], False),  # the one element became unknown
    (["sg-1"], [None, "sg-2"], [True, False], True),  # one more element: the length is known
    ({"a": 1, "b": 2}, {"a": 1}, {"b": True}, False),  # the unknown key is left out of after
    ({"a": 1, "b": 2}, {"a": 3}, {"b": True}, True),
    ([{"id": "x", "name": "n"}], [{"name": "n"}], [{"id": True}], False),
    ([{"id": "x", "name": "n"}], [{"name": "m"}], [{"id": True}], True),
    ("v", None, True, False),
    ("v", "w", False, True),
])
def test_known_parts_differ(before, after, unknown, differs):
    assert pv.known_parts_differ(before, after, unknown) is differs
