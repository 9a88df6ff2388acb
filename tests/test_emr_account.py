"""Issue 12, part 3, the EMR account's side: the ``emr-account`` stack (modules/emr_account.py),
synthesized beside the platform stack and planned on the emulator in a second account."""
import json
import shutil
from pathlib import Path

import pytest

from modules.emr_account_inputs import EMR_ACCOUNT_STACK, TRUST_POLICY_CHARACTERS
from scripts import security_scan as scan
from scripts.platform_cmd import Terraform
from synthesized import SynthesizedStack, policy, statements
from terraform_runs import by_type, plan_many, variable_rules

# The account of workspaces/emr-account/prod.tfvars.json's deployment_role_arn; the emulator's
# platform account is moto's default, 123456789012.
EMR_ACCOUNT = "111122223333"
STUDIO_ROLE = "arn:aws:iam::123456789012:role/ml-prod-eu-west-1-studio-execution"


@pytest.fixture(scope="module")
def emr_stack(synthesized_dir: Path) -> SynthesizedStack:
    return SynthesizedStack(synthesized_dir.parent / EMR_ACCOUNT_STACK)


@pytest.fixture(scope="module")
def emr_plans(synthesized_dir, emulator, terraform_env, repo_root, tmp_path_factory) -> dict:
    """prod's emr-account plan (``prod``), on the emulator, and bad-value variants of it, each rule a
    validation of a variable, on the stack's variables alone (terraform_runs.variable_rules)."""
    copy = tmp_path_factory.mktemp("emr-account") / "cdktf.out" / "stacks" / EMR_ACCOUNT_STACK
    shutil.copytree(synthesized_dir.parent / EMR_ACCOUNT_STACK, copy)
    emulator.write_provider_override(copy)
    env = emulator.env(terraform_env)
    terraform = Terraform(copy, env)
    terraform.init()
    terraform.ensure_workspace("prod")
    prod = repo_root / "workspaces" / EMR_ACCOUNT_STACK / "prod.tfvars.json"
    base = json.loads(prod.read_text())
    bad = {}
    for name, (changes, _) in BAD.items():
        bad[name] = copy.parent / f"{name}.tfvars.json"
        bad[name].write_text(json.dumps({**base, **changes}))
    bad_runs = plan_many(variable_rules(copy, copy.parent / "variables"), bad, terraform_env)
    return {"dir": copy, "env": env, **plan_many(copy, {"prod": prod}, env, copy.parent), **bad_runs}


def test_studio_role_trusts_exactly_the_domains_execution_roles(emr_stack: SynthesizedStack):
    role = emr_stack.resource("aws_iam_role", "emr_account/iam/studio_execution")
    assert role["name"] == '${"${local.global_name_prefix}-studio-assumable"}'
    (statement,) = policy(role, "assume_role_policy")["Statement"]
    assert statement["Principal"] == {"AWS": "${jsonencode(var.studio_execution_role_arns)}"}
    # sts:SetSourceIdentity: with runtime roles on, a Studio session carries the user's profile name as
    # source identity, which persists into the role it assumes here (role chaining).
    assert statement["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    # No sts:ExternalId: AWS's Studio clients assume the role without one.
    assert "Condition" not in statement


def test_studio_role_has_no_sagemaker_permissions(emr_stack: SynthesizedStack):
    attached = [a["policy_arn"] for a in emr_stack.resources("aws_iam_role_policy_attachment").values()]
    assert not [a for a in attached if "SageMaker" in a]
    discovery = statements(policy(emr_stack.resource("aws_iam_role_policy",
                                                     "emr_account/iam/studio_execution_emr_discovery")))
    assert "AllowSagemakerProjectManagement" not in discovery
    assert "elasticmapreduce:ListClusters" in discovery["AllowClusterDiscovery"]["Action"]


def test_portfolio_principal_is_the_assumable_role(emr_stack: SynthesizedStack):
    (association,) = emr_stack.resources("aws_servicecatalog_principal_portfolio_association").values()
    role = emr_stack.address("aws_iam_role", "emr_account/iam/studio_execution")
    assert association["for_each"] == f'${{var.enable_emr ? {{"studio" = one({role}[*].arn)}} : {{}}}}'


def test_emr_master_admits_livy_and_hive_from_the_studio_cidrs_only(emr_stack: SynthesizedStack):
    groups = emr_stack.resources("aws_security_group")
    assert sorted(groups) == ["emr_account/security_groups/emr-core", "emr_account/security_groups/emr-master",
                              "emr_account/security_groups/emr-service-access"]
    ingress = emr_stack.resources("aws_vpc_security_group_ingress_rule")
    for port, rule in ((8998, "livy"), (10000, "hive")):
        body = ingress[f"emr_account/security_groups/master_from_studio_cidrs_{rule}"]
        assert (body["from_port"], body["to_port"], body["cidr_ipv4"]) == (port, port, "${each.value}")
        assert body["for_each"] == "${{for c in var.studio_cidr_blocks : c => c if var.enable_emr}}"
    assert not [p for p in ingress if "from_studio" in p and "cidrs" not in p]


def test_provider_assumes_the_deployment_role(emr_stack: SynthesizedStack):
    (provider,) = emr_stack.config["provider"]["aws"]
    assert provider["assume_role"] == [{"role_arn": "${var.deployment_role_arn}"}]


def test_prod_plans_in_the_second_account(emr_plans):
    run = emr_plans["prod"]
    assert run.exit_code == 0, run.output[-4000:]
    buckets = [b["bucket"] for b in by_type(run.plan, "aws_s3_bucket").values()]
    assert buckets and all(f"-{EMR_ACCOUNT}-" in b for b in buckets), buckets
    (role,) = [r for r in by_type(run.plan, "aws_iam_role").values() if r["name"].endswith("studio-assumable")]
    assert role["name"] == "ml-prod-emr-eu-west-1-studio-assumable"
    trust = json.loads(role["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"AWS": [STUDIO_ROLE]}
    # The platform's prod names this role: workspaces/prod.tfvars.json.
    platform = json.loads((Path(__file__).parent.parent / "workspaces" / "prod.tfvars.json").read_text())
    assert platform["emr_assumable_role_arns"] == [f"arn:aws:iam::{EMR_ACCOUNT}:role/{role['name']}"]
    assert not by_type(run.plan, "aws_sagemaker_domain")


def test_emr_account_stack_passes_the_scanners(emr_plans, emr_stack, tmp_path):
    config = emr_stack.config
    for folder in ("json", "plan"):
        (tmp_path / folder).mkdir()
    results = [scan.scan_stack(config, tmp_path / "json"), scan.scan_plan(emr_plans["prod"].plan, config,
                                                                         tmp_path / "plan")]
    for result in results:
        assert not result.failed, result.failed
    documents = scan.policy_documents(config, emr_plans["prod"].plan)
    assert len(documents) > 10
    assert [f for d in documents for f in scan.lint_policy(d)] == []


BAD = {
    "roles_empty": ({"studio_execution_role_arns": []}, ["studio_execution_role_arns is empty"]),
    "role_not_an_arn": ({"studio_execution_role_arns": ["ml-prod-studio"]},
                        ['studio_execution_role_arns has entries that are not IAM role ARNs: ["ml-prod-studio"]']),
    "trust_too_long": ({"studio_execution_role_arns": [f"arn:aws:iam::123456789012:role/{'r' * 200}{i}"
                                                       for i in range(10)]},
                       ["studio_execution_role_arns has 10 roles, too long for a trust policy",
                        f"{TRUST_POLICY_CHARACTERS:,} characters"]),
    "cidr_malformed": ({"studio_cidr_blocks": ["10.30.0.1/19"]},
                       ['studio_cidr_blocks = ["10.30.0.1/19"] is invalid']),
    "deployment_role_malformed": ({"deployment_role_arn": "deployer"},
                                  ['deployment_role_arn = "deployer" is not an IAM role ARN']),
    "domain_name_missing": ({"domain_name": None}, ["domain_name is missing or null"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_values_are_refused_at_plan(emr_plans, case):
    run = emr_plans[case]
    assert run.exit_code != 0, f"{case} was accepted"
    text = " ".join(run.output.split())
    assert "Invalid value for variable" in text, run.output[-3000:]
    for fragment in BAD[case][1]:
        assert fragment in text, f"{case}: {fragment!r} not in:\n{run.output[-3000:]}"


def test_readme_tables_of_the_emr_account_stack_match_it(emr_stack, repo_root):
    from scripts import docs

    readme = (repo_root / "README.md").read_text()
    assert docs.render(readme, emr_stack.config, docs.EMR_ACCOUNT_TABLES) == readme, \
        "README is stale: run .venv/bin/python -m scripts.docs"
    assert "| `studio_execution_role_arns` | `list(string)` | required |" in readme


def test_plan_summary_marks_the_stacks_required_inputs(emr_plans):
    from scripts import plan_summary

    text = plan_summary.render_workspace(plan_summary.summarize(emr_plans["prod"].plan, "prod"))
    for name in ("studio_cidr_blocks", "studio_execution_role_arns", "domain_name"):
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{name}` |")]
        assert row.endswith("| *(required)* |"), row


# Its apply, second plan and destroy: tests/test_journey_emr_account.py, on a copy of the journeys' prod.


@pytest.mark.emulator  # scripts/platform plan starts one of its own
def test_the_cli_plans_the_emr_account_stack_from_its_own_variable_files(synthesized_dir, capsys):
    from scripts import platform_cmd

    outdir = ["--outdir", str(synthesized_dir.parent.parent), "--no-synth"]
    assert platform_cmd.main(["plan", "prod", "--stack", "emr-account", *outdir]) == 0
    out, _ = capsys.readouterr()
    assert "Plan: 98 to add, 0 to change, 0 to destroy." in out
    assert "ml-prod-emr-111122223333-eu-west-1-artifacts" in out
    # dev has no EMR account: its file is missing, and the error lists the stack's workspaces.
    assert platform_cmd.main(["plan", "dev", "--stack", "emr-account", *outdir]) == 1
    _, err = capsys.readouterr()
    assert "workspaces/emr-account/dev.tfvars.json does not exist" in err and "Available workspaces: prod" in err
