"""Issue 12, part 3, the domain's side: roles of another account's EMR that Studio users assume
(``emr_assumable_role_arns`` => EmrSettings.AssumableRoleArns, and sts:AssumeRole on exactly them)."""
import json

import pytest

from modules.inputs import MAX_ASSUMABLE_ROLES
from synthesized import SynthesizedStack, as_list, policy, statements
from terraform_runs import by_type, plan_many

EMR_ACCOUNT_ROLE = "arn:aws:iam::111122223333:role/ml-prod-emr-eu-west-1-studio-assumable"


def _domain_settings(shown: dict) -> dict:
    (domain,) = by_type(shown, "aws_sagemaker_domain").values()
    return domain["default_user_settings"][0]["jupyter_lab_app_settings"][0]


def _assume_policy(shown: dict):
    found = [r for r in by_type(shown, "aws_iam_role_policy").values() if r["name"] == "emr-assumable-roles"]
    return json.loads(found[0]["policy"]) if found else None


def test_emr_settings_are_a_dynamic_block_of_both_lists(stack: SynthesizedStack):
    settings = stack.resource("aws_sagemaker_domain", "studio/domain")["default_user_settings"]
    block = settings["jupyter_lab_app_settings"]["dynamic"]["emr_settings"]
    assert block["content"]["assumable_role_arns"] == "${var.emr_assumable_role_arns}"
    assert block["for_each"].endswith("length(var.emr_assumable_role_arns) > 0 ? [1] : []}")


def test_studio_role_may_assume_exactly_the_listed_roles(stack: SynthesizedStack):
    body = stack.resource("aws_iam_role_policy", "iam/studio_execution_emr_assumable_roles")
    assert body["count"] == "${length(var.emr_assumable_role_arns) > 0 ? 1 : 0}"
    assert body["role"] == f"${{one({stack.address('aws_iam_role', 'iam/studio_execution')}[*].name)}}"
    (statement,) = statements(policy(body)).values()
    assert statement["Action"] == ["sts:AssumeRole"]
    assert as_list(statement["Resource"]) == ("${jsonencode(var.emr_assumable_role_arns)}",)
    assert "Condition" not in statement  # AWS's clients send no external id or tags


def test_prod_plan_names_the_emr_accounts_role_in_emr_settings_and_the_policy(plans):
    settings = _domain_settings(plans["prod"])
    (emr,) = settings["emr_settings"]
    assert emr["assumable_role_arns"] == [EMR_ACCOUNT_ROLE]
    assert not emr["execution_role_arns"]  # runtime roles: issue 12, part 1
    document = _assume_policy(plans["prod"])
    assert document["Statement"] == [{"Sid": "AssumeEmrAccountRoles", "Effect": "Allow",
                                      "Action": ["sts:AssumeRole"], "Resource": [EMR_ACCOUNT_ROLE]}]


def test_dev_plan_has_no_emr_settings_and_no_assume_policy(plans):
    assert _domain_settings(plans["dev"]).get("emr_settings") in (None, [])
    assert _assume_policy(plans["dev"]) is None


BAD = {
    "not_a_role_arn": (["arn:aws:iam::111122223333:user/alice", "my-role"],
                       ['emr_assumable_role_arns has entries that are not IAM role ARNs: '
                        '["arn:aws:iam::111122223333:user/alice","my-role"]']),
    "too_many": ([f"arn:aws:iam::11112222333{i}:role/emr" for i in range(MAX_ASSUMABLE_ROLES + 1)],
                 [f"emr_assumable_role_arns has {MAX_ASSUMABLE_ROLES + 1} entries",
                  f"takes at most {MAX_ASSUMABLE_ROLES}"]),
    "twice": ([EMR_ACCOUNT_ROLE, EMR_ACCOUNT_ROLE], ["lists a role twice"]),
    # The emulator's account (moto's default): a role of the domain's own account.
    "own_account": (["arn:aws:iam::123456789012:role/emr"],
                    ['emr_assumable_role_arns = ["arn:aws:iam::123456789012:role/emr"] are roles of this domain\'s '
                     "account 123456789012"]),
}


# The one rule that reads what AWS answers (the account, from aws_caller_identity): a condition of the
# policy it is about, planned on the stack against the emulator. The others are validations of the variable,
# planned on the stack's variables alone (terraform_runs.variable_rules).
CONDITION_CASES = ("own_account",)


@pytest.fixture(scope="module")
def bad_plans(variable_rules_dir, terraform_env, repo_root, tmp_path_factory, emulator_stack):
    out = tmp_path_factory.mktemp("assumable")
    dev = json.loads((repo_root / "workspaces" / "dev.tfvars.json").read_text())
    files = {}
    for name, (value, _) in BAD.items():
        files[name] = out / f"{name}.tfvars.json"
        files[name].write_text(json.dumps({**dev, "emr_assumable_role_arns": value}))
    runs = plan_many(variable_rules_dir, {n: f for n, f in files.items() if n not in CONDITION_CASES}, terraform_env)
    stack_dir, env = emulator_stack
    return {**runs, **plan_many(stack_dir, {n: files[n] for n in CONDITION_CASES}, env, out)}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_assumable_roles_are_refused_at_plan_naming_the_rule(bad_plans, case):
    run = bad_plans[case]
    assert run.exit_code != 0, f"{case} was accepted"
    text = " ".join(run.output.split())
    rule = "Resource precondition failed" if case in CONDITION_CASES else "Invalid value for variable"
    assert rule in text, run.output[-3000:]
    for fragment in BAD[case][1]:
        assert fragment in text, f"{case}: {fragment!r} not in:\n{run.output[-3000:]}"
