"""scripts/plan_summary/ on recorded plans of our stack (tests/data/plans/, see its README).

No synthesis, no Terraform: the fixtures are `terraform show -json` output
recorded once against the emulator.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from scripts import plan_summary as ps
from scripts.repo import REPO_ROOT

PLANS = REPO_ROOT / "tests" / "data" / "plans"
FIXTURES = ("add_only", "in_place_change", "replace_domain", "destroy_emr", "teardown")
DOMAIN = "aws_sagemaker_domain.studio_domain_F1B3BB3C"
DOMAIN_SENTENCE = "Replacing the SageMaker domain destroys every user's home directory (its EFS)"


def load(name: str) -> dict:
    return json.loads((PLANS / f"{name}.json").read_text())


def dev_tfvars() -> dict:
    """The dev workspace file the fixtures were recorded from (the variables of add_only)."""
    return {k: v["value"] for k, v in load("add_only")["variables"].items()}


def raw_totals(plan: dict) -> Counter:
    """Counts straight from the JSON, independent of the module under test."""
    names = {("create",): "add", ("update",): "change", ("delete", "create"): "replace",
             ("create", "delete"): "replace", ("delete",): "destroy"}
    return Counter(names[tuple(rc["change"]["actions"])] for rc in plan["resource_changes"]
                   if tuple(rc["change"]["actions"]) in names)


def body_after_headline(markdown: str) -> list[str]:
    """Non-empty lines after the first heading."""
    lines = [ln for ln in markdown.splitlines() if ln.strip()]
    assert lines[0].startswith("### "), lines[0]
    return lines[1:]


# -- the fixtures themselves ---------------------------------------------------
@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_is_small_and_a_plan_of_our_stack(name):
    path = PLANS / f"{name}.json"
    assert path.stat().st_size < 200_000, f"{path} is {path.stat().st_size} bytes"
    plan = load(name)
    assert plan["format_version"] and plan["terraform_version"]
    assert plan["errored"] is False
    assert "domain_name" in plan["configuration"]["root_module"]["variables"]
    types = {rc["type"] for rc in plan["resource_changes"]}
    assert {"aws_vpc", "aws_s3_bucket", "aws_iam_role", "aws_security_group"} <= types


def test_manifest_names_the_commit_and_terraform():
    manifest = json.loads((PLANS / "manifest.json").read_text())
    assert re.fullmatch(r"[0-9a-f]{40}", manifest["commit"])
    assert manifest["commit"] in (PLANS / "README.md").read_text()
    assert set(manifest["variants"]) == set(FIXTURES)
    assert manifest["terraform_version"]


# -- counts ---------------------------------------------------------------------
EXPECTED_TOTALS = {
    "add_only": {"add": 85, "change": 0, "replace": 0, "destroy": 0},
    "in_place_change": {"add": 9, "change": 52, "replace": 0, "destroy": 0},
    "replace_domain": {"add": 6, "change": 52, "replace": 3, "destroy": 0},
    "destroy_emr": {"add": 5, "change": 3, "replace": 0, "destroy": 27},
    "teardown": {"add": 0, "change": 0, "replace": 0, "destroy": 76},
}


@pytest.mark.parametrize("name", FIXTURES)
def test_totals(name):
    plan = load(name)
    summary = ps.summarize(plan, "dev")
    assert summary.totals == EXPECTED_TOTALS[name]
    assert summary.totals == {a: raw_totals(plan)[a] for a in ps.ACTIONS}
    headline = ps.render_workspace(summary).splitlines()[0]
    t = EXPECTED_TOTALS[name]
    assert headline == (f"### Workspace `dev`: {t['add']} to add, {t['change']} to change, "
                        f"{t['replace']} to replace, {t['destroy']} to destroy")


def test_counts_by_type_from_scratch():
    counts = ps.summarize(load("add_only"), "dev").counts
    add = {t: n["add"] for t, n in counts.items()}
    assert add["aws_subnet"] == 4 and add["aws_vpc_endpoint"] == 8 and add["aws_security_group"] == 5
    assert add["aws_sagemaker_domain"] == 1 and add["aws_sagemaker_user_profile"] == 2
    assert all(n["change"] == n["replace"] == n["destroy"] == 0 for n in counts.values())
    table = ps.render_details(ps.summarize(load("add_only"), "dev"))
    assert "| `aws_subnet` | 4 |  |  |  |  |" in table
    assert "| **total** | **85** | **0** | **0** | **0** | |" in table


def test_in_place_change_names_the_attributes():
    summary = ps.summarize(load("in_place_change"), "dev")
    assert summary.counts["aws_subnet"] == {"add": 0, "change": 4, "replace": 0, "destroy": 0}
    subnet_row = next(ln for ln in ps.render_details(summary).splitlines() if ln.startswith("| `aws_subnet`"))
    assert subnet_row.endswith("| `tags`, `tags_all` |")


def test_destroys_are_listed_with_address_and_reason():
    summary = ps.summarize(load("destroy_emr"), "dev")
    destroyed = [c for c in summary.destructive if c.action == "destroy"]
    assert len(destroyed) == 27
    role = next(c for c in destroyed if c.address == "aws_iam_role.iam_emr_service_651DDD7B[0]")
    assert role.reason == "its count index is no longer in range"
    text = ps.render_workspace(summary)
    assert ("> - destroy `aws_iam_role.iam_emr_service_651DDD7B[0]` (its count index is no longer in range)"
            in text)


def test_replacements_are_listed_with_what_forces_them():
    summary = ps.summarize(load("replace_domain"), "dev")
    replaced = {c.address: c for c in summary.destructive}
    assert set(replaced) == {DOMAIN, 'aws_sagemaker_user_profile.studio_user_E9F4260C["alice"]',
                             'aws_sagemaker_user_profile.studio_user_E9F4260C["bob"]'}
    assert replaced[DOMAIN].forced_by == ("kms_key_id",)
    assert f"replace `{DOMAIN}` (forced by `kms_key_id`)" in ps.render_workspace(summary)


# -- warning blocks ---------------------------------------------------------------
def test_no_warning_block_when_nothing_is_replaced_or_destroyed():
    for name in ("add_only", "in_place_change"):
        text = ps.render_workspace(ps.summarize(load(name), "dev"))
        assert "[!WARNING]" not in text and "[!CAUTION]" not in text, name
        assert "> " not in text


def test_domain_replacement_is_a_caution_at_the_top():
    text = ps.render_workspace(ps.summarize(load("replace_domain"), "dev"))
    body = body_after_headline(text)
    assert body[0] == "> [!CAUTION]"
    block = []
    for line in body:
        if not line.startswith(">"):
            break
        block.append(line)
    block_text = "\n".join(block)
    assert DOMAIN_SENTENCE in block_text
    assert 'With `home_efs_retention = "Retain"` the old EFS (`fs-0fixture00000001`) is kept' in block_text
    assert "The Studio user profile `alice` is replaced" in block_text
    assert "The Studio user profile `bob` is replaced" in block_text
    # The block comes before the table.
    assert text.index("> [!CAUTION]") < text.index("| resource type |")


def test_destroy_without_data_loss_is_a_warning_at_the_top():
    text = ps.render_workspace(ps.summarize(load("destroy_emr"), "dev"))
    body = body_after_headline(text)
    assert body[0] == "> [!WARNING]"
    assert body[1].startswith("> **This plan destroys 27 resources in workspace `dev`.**")
    assert "[!CAUTION]" not in text


def test_teardown_explains_buckets_and_vpc():
    summary = ps.summarize(load("teardown"), "dev")
    titles = [h.title for h in summary.hazards]
    assert titles == ["The artifacts bucket `ml-dev-123456789012-eu-west-1-artifacts` is destroyed",
                      "The data bucket `ml-dev-123456789012-eu-west-1-data` is destroyed",
                      "The VPC `10.20.0.0/16` is destroyed"]
    text = ps.render_workspace(summary)
    assert body_after_headline(text)[0] == "> [!CAUTION]"
    assert "the apply fails while it holds objects" in text


def synthetic_change(type_: str, address: str, actions: list, before: dict | None = None, **extra) -> dict:
    return {"address": address, "mode": "managed", "type": type_, "name": address.split(".")[1],
            "change": {"actions": actions, "before": before, "after": {}, "after_unknown": {}, **extra}}


def synthetic_plan(changes: list, variables: dict | None = None, config: dict | None = None) -> dict:
    return {"format_version": "1.2", "terraform_version": "1.11.4", "errored": False,
            "variables": {k: {"value": v} for k, v in (variables or {}).items()},
            "configuration": {"root_module": {"variables": config or {}}},
            "resource_changes": changes, "output_changes": {}}


def test_domain_destroy_with_delete_retention_and_vpc_replacement():
    plan = synthetic_plan([
        synthetic_change("aws_sagemaker_domain", "aws_sagemaker_domain.d", ["delete"],
                         {"domain_name": "ml-x", "retention_policy": [{"home_efs_file_system": "Delete"}]}),
        synthetic_change("aws_vpc", "aws_vpc.v", ["create", "delete"], {"cidr_block": "10.9.0.0/16"},
                         replace_paths=[["cidr_block"]]),
        synthetic_change("aws_sagemaker_user_profile", 'aws_sagemaker_user_profile.u["carol"]', ["delete"], {}),
        synthetic_change("aws_s3_bucket", "aws_s3_bucket.tf_state", ["delete"],
                         {"bucket": "acme-tfstate", "force_destroy": True}),
    ])
    summary = ps.summarize(plan, "x")
    text = ps.render_workspace(summary)
    assert "Destroying the SageMaker domain destroys every user's home directory (its EFS)" in text
    assert 'With `home_efs_retention = "Delete"` the EFS and every file on it are deleted for good.' in text
    assert "**The VPC `10.9.0.0/16` is replaced**: replace `aws_vpc.v` (forced by `cidr_block`)" in text
    assert "Destroying the Studio user profile `carol` deletes that user's space" in text
    assert "The state bucket `acme-tfstate` is destroyed" in text and "`force_destroy` is on" in text


# -- variables and outputs -----------------------------------------------------------
def test_variables_that_differ_from_defaults():
    summary = ps.summarize(load("destroy_emr"), "dev")
    by_name = {v.name: v for v in summary.non_default_variables}
    assert by_name["enable_emr"].value is False and by_name["enable_emr"].default is True
    assert by_name["domain_name"].required and by_name["domain_name"].value == "ml-dev"
    assert "az_count" not in by_name  # dev keeps the default 2
    assert "| `enable_emr` | `false` | `true` |" in ps.render_details(summary)


@pytest.mark.parametrize("name,changed", [
    ("in_place_change", {"tags": ({"cost-center": "ml-platform", "environment": "dev"},
                                  {"cost-center": "ml-research", "environment": "dev"})}),
    ("destroy_emr", {"enable_emr": (True, False)}),
    ("add_only", {}),
])
def test_variables_changed_versus_a_base_tfvars(name, changed):
    base = json.loads((REPO_ROOT / "workspaces" / "dev.tfvars.json").read_text())
    base = {k: v for k, v in dev_tfvars().items() if k in base}  # the file as recorded: set values only
    summary = ps.summarize(load(name), "dev", base_variables=base, base_label="`main`")
    assert {v.name: (v.before, v.after) for v in summary.variable_changes} == changed
    details = ps.render_details(summary)
    if changed:
        assert "**Variables changed versus the base (`main`):**" in details
    else:
        assert "**Variables changed versus the base (`main`):** none." in details


def test_base_from_a_plan_json():
    base = ps.base_variables_from(load("add_only"))
    summary = ps.summarize(load("destroy_emr"), "dev", base_variables=base)
    assert [(v.name, v.before, v.after) for v in summary.variable_changes] == [("enable_emr", True, False)]


def test_sensitive_variables_show_no_value():
    plan = synthetic_plan([], {"db_password": "hunter2", "name": "x"},
                          {"db_password": {"sensitive": True}, "name": {"default": "y"}})
    summary = ps.summarize(plan, "x", base_variables={"db_password": "old-secret", "name": "y"})
    text = ps.render_workspace(summary)
    assert "hunter2" not in text and "old-secret" not in text
    assert "| `db_password` | *(sensitive)* | *(sensitive)* |" in text


def test_output_changes():
    outputs = {o.name: o for o in ps.summarize(load("replace_domain"), "dev").output_changes}
    assert outputs["domain_id"].action == "change" and outputs["domain_id"].after_unknown
    text = ps.render_details(ps.summarize(load("replace_domain"), "dev"))
    assert '| `domain_id` | change | `"d-fixture0000001"` | *(known after apply)* |' in text


def test_not_a_plan_is_refused_clearly():
    with pytest.raises(ps.SummaryError, match="not a `terraform show -json` plan"):
        ps.summarize({"resource_changes": []}, "dev")
    with pytest.raises(ps.SummaryError, match="errored"):
        ps.summarize({**load("add_only"), "errored": True}, "dev")


# -- the comment ------------------------------------------------------------------------
TF_ERROR = ("Initializing the backend...\n"
            "\x1b[31m╷\x1b[0m\n│ Error: Invalid value for variable\n│\n│   on variables.tf line 1:\n"
            "│ var.az_count is 9\n│ az_count = 9 is invalid: use a whole number from 2 to 6.\n╵\n")


def test_comment_has_the_marker_failures_first_and_every_workspace():
    summaries = [ps.summarize(load("replace_domain"), "dev"), ps.summarize(load("destroy_emr"), "staging")]
    comment = ps.render_comment(summaries, [ps.Failure("prod", TF_ERROR)], "the `plan-out` artifact of run 7")
    assert comment.splitlines()[0] == ps.MARKER == "<!-- sagemaker-emr-platform-plan -->"
    assert "**1 of 3 workspaces failed to plan.**" in comment
    assert "Full plans and summaries: the `plan-out` artifact of run 7." in comment
    failure_at = comment.index("### Workspace `prod`: planning failed")
    assert failure_at < comment.index("### Workspace `dev`") < comment.index("### Workspace `staging`")
    assert "> **Planning failed for `prod`.**" in comment
    assert "│ Error: Invalid value for variable" in comment and "az_count = 9 is invalid" in comment
    assert "\x1b[" not in comment
    assert DOMAIN_SENTENCE in comment
    assert "| `prod` | | | | | **planning failed** |" in comment
    assert "| `dev` | 6 | 52 | 3 | 0 | **data loss** |" in comment


def test_error_text_is_fenced_safely():
    nasty = "Error: bad\n```\n# not a heading\n````\n@someone"
    comment = ps.render_comment([], [ps.Failure("prod", nasty)], "x")
    assert "`````text\nError: bad\n```\n# not a heading\n````\n@someone\n`````" in comment


@pytest.fixture(scope="module")
def huge_plan() -> dict:
    """The domain replacement plus 4000 changes of 400 types and 300 destroys."""
    plan = load("replace_domain")
    template = next(rc for rc in plan["resource_changes"] if rc["change"]["actions"] == ["update"])
    for i in range(4000):
        rc = copy.deepcopy(template)
        rc["address"] = f"aws_vpc_security_group_ingress_rule.generated_rule_with_a_long_name_{i:05d}"
        rc["type"] = f"aws_generated_type_{i % 400:03d}"
        plan["resource_changes"].append(rc)
    for i in range(300):
        plan["resource_changes"].append(synthetic_change(
            "aws_security_group_rule", f"aws_security_group_rule.old_{i:04d}", ["delete"], {}))
    return plan


def test_comment_fits_githubs_limit_and_keeps_failures_and_warnings(huge_plan):
    summaries = [ps.summarize(huge_plan, f"ws{i:02d}") for i in range(12)]
    long_error = "\n".join(["Planning..."] * 2000 + ["│ Error: creating EC2 VPC: UnauthorizedOperation"]
                           + [f"│ detail line {i} " + "x" * 100 for i in range(3000)])
    failures = [ps.Failure(f"bad{i}", long_error) for i in range(3)]
    hint = "the `plan-out` artifact of [workflow run 42](https://github.com/o/r/actions/runs/42)"
    comment = ps.render_comment(summaries, failures, hint)
    assert ps.utf16_len(comment) <= ps.GITHUB_COMMENT_LIMIT
    assert comment.startswith(ps.MARKER + "\n")
    for f in failures:  # every failure, with its error, before any workspace
        section = comment.index(f"### Workspace `{f.workspace}`: planning failed")
        assert section < comment.index("### Workspace `ws00`")
        assert "│ Error: creating EC2 VPC: UnauthorizedOperation" in comment[section:section + 3000]
        assert "more lines left out (the full output is in the `plan-out` artifact" in comment[section:]
    for s in summaries:  # every warning block, with the domain sentence
        start = comment.index(f"### Workspace `{s.workspace}`: ")
        end = comment.find("### Workspace", start + 10)
        section = comment[start:end if end > 0 else None]
        assert "> [!CAUTION]" in section and DOMAIN_SENTENCE in section, s.workspace
        assert "The Studio user profile `alice` is replaced" in section
    assert f"the whole summary is `ws00.summary.md` in {hint}" in comment
    assert "GitHub's 65,536-character comment limit" in comment


def test_comment_keeps_everything_when_it_fits():
    summaries = [ps.summarize(load(n), n) for n in FIXTURES]
    comment = ps.render_comment(summaries, [], "x")
    assert "cut to fit" not in comment
    for s in summaries:
        assert ps.render_details(s).strip() in comment


def test_emoji_count_twice_against_the_limit():
    assert ps.utf16_len("a😀") == 3


# -- the CLI ----------------------------------------------------------------------------
def test_cli_writes_summaries_and_comment_and_fails_on_a_failed_workspace(tmp_path):
    err = tmp_path / "prod.err"
    err.write_text(TF_ERROR)
    out = tmp_path / "out"
    code_ = ps.main(["--out", str(out), f"dev={PLANS / 'replace_domain.json'}",
                     f"staging={PLANS / 'destroy_emr.json'}", "--failed", f"prod={err}",
                     "--artifact-hint", "the `plan-out` artifact"])
    assert code_ == 1
    assert sorted(p.name for p in out.iterdir()) == ["comment.md", "dev.summary.md", "prod.summary.md",
                                                      "staging.summary.md"]
    assert DOMAIN_SENTENCE in (out / "dev.summary.md").read_text()
    assert "Error: Invalid value for variable" in (out / "prod.summary.md").read_text()
    comment = (out / "comment.md").read_text()
    assert comment.startswith(ps.MARKER) and "planning failed" in comment


def test_cli_exit_0_when_all_planned_and_base_compared(tmp_path):
    base = tmp_path / "dev.base.tfvars.json"
    base.write_text(json.dumps({**dev_tfvars(), "enable_emr": True}))
    proc = subprocess.run([sys.executable, "-m", "scripts.plan_summary", "--out", str(tmp_path / "o"),
                           f"dev={PLANS / 'destroy_emr.json'}", "--base", f"dev={base}"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "dev: 5 to add, 3 to change, 0 to replace, 27 to destroy" in proc.stderr
    text = (tmp_path / "o" / "dev.summary.md").read_text()
    assert "| `enable_emr` | `true` | `false` |" in text


def test_cli_unreadable_plan_is_a_failure_not_a_crash(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    assert ps.main(["--out", str(tmp_path / "o"), f"dev={bad}"]) == 1
    comment = (tmp_path / "o" / "comment.md").read_text()
    assert "Workspace `dev`: planning failed" in comment and "is not valid JSON" in comment


@pytest.mark.parametrize("args,message", [
    (["dev"], "expected WORKSPACE=PATH"),
    (["../x=a.json"], "invalid workspace name"),
    (["dev=a.json", "dev=b.json"], "given twice"),
    ([], "no workspace given"),
    (["dev=a.json", "--failed", "dev=e.txt"], "both as planned and as failed"),
])
def test_cli_bad_arguments_exit_2_with_a_message(tmp_path, capsys, args, message):
    assert ps.main(["--out", str(tmp_path / "o"), *args]) == 2
    assert message in capsys.readouterr().err


def test_default_artifact_hint_points_at_the_run():
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42"}
    assert ps.default_artifact_hint("plan-out", env) == \
        "the `plan-out` artifact of [workflow run 42](https://github.com/o/r/actions/runs/42)"
    assert ps.default_artifact_hint("plan-out", {}) == "the files in `plan-out`"


def test_module_uses_the_standard_library_only():
    """plan_summary (every import in its package) and what importing the modules of this repository it
    uses loads (their module-level imports, transitively: the domain guard and its list): the
    standard library only. (The guard's CLI functions import scripts.platform_cmd when they run;
    plan_summary never calls them.)"""
    todo, seen, modules = ["scripts.plan_summary"], set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = REPO_ROOT / Path(*name.split("."))
        tree = ast.parse((path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text())
        in_package = name == "scripts.plan_summary" or name.startswith("scripts.plan_summary.")
        for node in (ast.walk(tree) if in_package else tree.body):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for imported in names:
                top = imported.split(".")[0]
                if top in ("scripts", "modules"):
                    parts = imported.split(".")
                    if (REPO_ROOT / Path(*parts)).with_suffix(".py").is_file() or (REPO_ROOT / Path(*parts)).is_dir():
                        todo.append(imported)
                        todo.append(top)
                else:
                    modules.add(top)
    assert "scripts.domain_guard" in seen and "modules.domain_replacement" in seen
    assert modules - {"__future__"} <= set(sys.stdlib_module_names), modules - set(sys.stdlib_module_names)


def test_many_failures_all_named_within_the_limit():
    error = "│ Error: AccessDenied: not authorized to perform sts:AssumeRole\n" + "│ context line\n" * 500
    failures = [ps.Failure(f"team-{i:03d}", error) for i in range(150)]
    comment = ps.render_comment([ps.summarize(load("teardown"), "dev")], failures, "the artifact")
    assert ps.utf16_len(comment) <= ps.GITHUB_COMMENT_LIMIT
    for f in failures:
        assert f"### Workspace `{f.workspace}`: planning failed" in comment
    assert comment.count("│ Error: AccessDenied") == 150
    assert "The data bucket `ml-dev-123456789012-eu-west-1-data` is destroyed" in comment


def test_absurd_number_of_workspaces_still_fits_and_keeps_failures():
    empty = synthetic_plan([])
    summaries = [ps.summarize(empty, f"ws-{i:04d}") for i in range(2000)]
    comment = ps.render_comment(summaries, [ps.Failure("prod", TF_ERROR)], "the artifact")
    assert ps.utf16_len(comment) <= ps.GITHUB_COMMENT_LIMIT
    assert comment.index("### Workspace `prod`: planning failed") < comment.index("### Workspace `ws-0000`")
    assert "│ Error: Invalid value for variable" in comment
    assert comment.rstrip().endswith("*Comment cut to fit GitHub's limit: everything is in the artifact.*")


def test_unknown_actions_never_hide_a_deletion():
    plan = synthetic_plan([synthetic_change("aws_vpc", "aws_vpc.v", ["delete", "archive"],
                                            {"cidr_block": "10.1.0.0/16"})])
    summary = ps.summarize(plan, "x")
    assert summary.totals["destroy"] == 1 and summary.hazards[0].title == "The VPC `10.1.0.0/16` is destroyed"


def test_failures_as_a_mapping():
    comment = ps.render_comment([], {"prod": "Error: boom"}, "x")
    assert "### Workspace `prod`: planning failed" in comment and "Error: boom" in comment


# -- the domain guard (scripts/domain_guard.py) in the warning block -------------------
def guard_lines(plan: dict) -> list[str]:
    text = ps.render_workspace(ps.summarize(plan, "dev"))
    return [ln for ln in body_after_headline(text) if "Domain guard" in ln]


def test_guarded_domain_replacement_leads_the_caution_block():
    """A real plan (tests/data/plans/README.md): dev applied, then az_count 2 -> 3."""
    assert (PLANS / "guarded_replacement.json").stat().st_size < 200_000
    text = ps.render_workspace(ps.summarize(load("guarded_replacement"), "dev"))
    body = body_after_headline(text)
    assert body[0] == "> [!CAUTION]" and body[1].startswith("> **This plan replaces 3 resources")
    guard = body[2]
    assert guard.startswith("> - **Domain guard: REFUSED.** `scripts/platform plan|apply` stop on this plan: it "
                            "replaces the SageMaker domain ml-dev (d-")
    assert "To allow it for one apply: `scripts/platform apply dev --allow-domain-replacement` (or " \
           "`\"allow_domain_replacement\": true` in `workspaces/dev.tfvars.json` for this one apply" in guard
    assert "Forced by: subnet_ids (the domain's subnets): az_count changed from 2 to 3 " in guard
    assert "Users lose: 2 user profile(s) (alice, bob): " in guard
    assert re.search(r"the old home EFS fs-\w+ \(home_efs_retention = Retain\) but orphaned", guard)
    assert body[3].startswith("> - **The SageMaker domain `ml-dev` is replaced**")  # the hazard still follows


def test_guarded_domain_replacement_allowed_by_the_variable():
    plan = load("guarded_replacement")
    plan["variables"]["allow_domain_replacement"] = {"value": True}
    lines = guard_lines(plan)
    assert len(lines) == 1 and lines[0].startswith(
        "> - **Domain guard: allowed** by `allow_domain_replacement = true`: applying this plan replaces the "
        "SageMaker domain ml-dev (d-")
    assert "REFUSED" not in lines[0]


def test_guarded_domain_destroy_with_delete_retention():
    plan = load("guarded_replacement")
    domain = next(rc for rc in plan["resource_changes"] if rc["address"] == DOMAIN)
    domain["change"]["actions"] = ["delete"]
    domain["change"]["before"]["retention_policy"] = [{"home_efs_file_system": "Delete"}]
    [line] = guard_lines(plan)
    assert "it destroys the SageMaker domain ml-dev" in line
    assert re.search(r"their home directories are deleted with the home EFS fs-\w+ \(home_efs_retention = Delete\)",
                     line)


def test_guard_names_no_input_for_a_replacement_only_code_causes():
    """replace_domain is forced by kms_key_id, which no workspace input reaches."""
    [line] = guard_lines(load("replace_domain"))
    assert "Forced by: kms_key_id (the domain's KMS key): no workspace input changes it: a change of the code " \
           "(modules/) does." in line


@pytest.mark.parametrize("name", ["add_only", "in_place_change", "destroy_emr", "teardown"])
def test_no_guard_line_without_a_domain_replacement(name):
    assert "Domain guard" not in ps.render_workspace(ps.summarize(load(name), "dev"))


def test_comment_keeps_the_guard_line_when_details_are_cut(huge_plan):
    plan = load("guarded_replacement")
    plan["resource_changes"] += huge_plan["resource_changes"]
    comment = ps.render_comment([ps.summarize(plan, "dev")], [], "the artifact")
    assert ps.utf16_len(comment) <= ps.GITHUB_COMMENT_LIMIT
    assert "> - **Domain guard: REFUSED.**" in comment and "az_count changed from 2 to 3" in comment


def test_the_guard_refuses_the_recorded_replacement_unless_allowed():
    from scripts import domain_guard

    plan = load("guarded_replacement")
    text = domain_guard.refusal_of(plan, "dev", "apply")
    assert text.startswith("this plan replaces the SageMaker domain ml-dev (d-")
    assert "Forced by:\n  - subnet_ids (the domain's subnets): az_count changed from 2 to 3 (" in text
    assert text.splitlines()[-1].startswith("Next: undo that change in workspaces/dev.tfvars.json; or, to replace "
                                            "the domain in this one apply: scripts/platform apply dev "
                                            "--allow-domain-replacement")
    for allowed in (True, "true"):  # from the variable file, or from TF_VAR_ (the flag)
        plan["variables"]["allow_domain_replacement"] = {"value": allowed}
        assert domain_guard.refusal_of(plan, "dev", "apply") is None
    assert domain_guard.refusal_of(load("in_place_change"), "dev", "apply") is None



def test_a_template_change_adds_a_version_and_replaces_no_product():
    """Recorded: a changed template plans a new version, the product's first version imported and
    deprecated, and nothing of the product replaced or destroyed (tests/data/plans/README.md)."""
    plan = load("product_version")
    assert (PLANS / "product_version.json").stat().st_size < 200_000
    summary = ps.summarize(plan, "dev")
    assert summary.totals["replace"] == 1 and summary.totals["destroy"] == 0  # the template file in S3 only
    assert [c.type for c in summary.destructive] == ["aws_s3_object"]
    assert summary.hazards == []
    text = ps.render_workspace(summary)
    assert "1 to import" in text
    assert "> [!WARNING]" in text and "[!CAUTION]" not in text
    assert "aws_servicecatalog_product." not in text  # the product is not in the plan's changes at all
    versions = {rc["address"]: rc["change"]["actions"] for rc in plan["resource_changes"]
                if rc["type"] == "aws_servicecatalog_provisioning_artifact"}
    assert sorted(versions.values()) == [["create"], ["update"]]


def _with_product_change(actions: list, reason: str | None = None) -> dict:
    """product_version.json with the product's no-op edited into ``actions`` (the
    recorded plan has none: a product change is what the versions avoid)."""
    plan = copy.deepcopy(load("product_version"))
    [rc] = [rc for rc in plan["resource_changes"] if rc["type"] == "aws_servicecatalog_product"]
    rc["change"] = {"actions": actions, "before": {"name": "ml-dev-spark-livy-cluster", "id": "prod-fixture00001"},
                    "after": None if actions == ["delete"] else {"name": "ml-dev-spark-livy-cluster"},
                    **({"replace_paths": [["type"]]} if reason else {})}
    if reason:
        rc["action_reason"] = reason
    return plan


@pytest.mark.parametrize("actions, verb, says", [
    (["delete", "create"], "replaced", "The product gets a new id"),
    (["delete"], "destroyed", "Studio users can no longer launch it"),
])
def test_a_product_replaced_or_destroyed_is_a_caution_with_what_it_breaks(actions, verb, says):
    reason = "replace_because_cannot_update" if len(actions) == 2 else None
    text = ps.render_workspace(ps.summarize(_with_product_change(actions, reason), "dev"))
    assert "> [!CAUTION]" in text
    line = next(ln for ln in text.splitlines() if "The Service Catalog product" in ln)
    assert f"**The Service Catalog product `ml-dev-spark-livy-cluster` is {verb}**" in line
    assert says in line and "can be terminated, not updated" in line


def test_a_deleted_product_version_is_named_with_what_it_breaks():
    plan = copy.deepcopy(load("product_version"))
    [rc] = [rc for rc in plan["resource_changes"] if rc["type"] == "aws_servicecatalog_provisioning_artifact"
            and rc["change"]["actions"] == ["update"]]
    rc["change"] = {"actions": ["delete"], "before": rc["change"]["before"], "after": None}
    text = ps.render_workspace(ps.summarize(plan, "dev"))
    name = rc["change"]["before"]["name"]
    assert f"**The product version `{name}` is destroyed**" in text
    assert "can no longer be updated (emr_product_versions_kept says how many versions stay)" in text
