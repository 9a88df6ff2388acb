"""The domain guard's switches on the emulator (scripts/domain_guard.py): what lets a
replacement through (the variable, the flag), what passes without one (changes that
keep the domain), and what `pr-plan` and `apply` do with a refused plan; last, an
apply with the flag replaces the domain. dev is a copy of the run's one apply of
dev for the guard (tests/guarded_dev.py); tests/test_domain_guard.py has the refusals.
"""
import pytest

from guarded_dev import REGION, applied, domain_ids, run  # noqa: F401 (applied: a fixture)
from scripts.emulator import persistent as emulator_persistent

pytestmark = [pytest.mark.emulator, pytest.mark.applies]


def test_plan_passes_changes_that_keep_the_domain(applied, capsys):
    """One plan with every change that updates the domain in place: a change that replaced
    it alone would replace it here too (replacement never depends on other inputs'
    values), so one plan shows that none of them does."""
    changes = {"studio_idle_timeout_minutes": 120, "studio_docker_access": True, "home_efs_retention": "Delete",
               # (PublicInternetOnly only without EMR: the input rules say so)
               "network_mode": "PublicInternetOnly", "enable_emr": False}
    code, out, err = run(applied, capsys, "plan", changes)
    assert code == 0, err[-3000:]
    assert "aws_sagemaker_domain.studio_domain_F1B3BB3C will be updated in-place" in out
    for attribute in ("idle_timeout_in_minutes", "docker_settings", "retention_policy", "app_network_access_type"):
        assert attribute in out, attribute
    assert "Domain guard" not in out and "domain guard" not in err


def test_the_variable_lets_a_replacement_through(applied, capsys):
    code, out, err = run(applied, capsys, "plan", {"az_count": 3, "allow_domain_replacement": True})
    assert code == 0, err[-3000:]
    assert "must be replaced" in out
    assert "> - **Domain guard: allowed** by `allow_domain_replacement = true`: applying this plan replaces " \
           "the SageMaker domain ml-dev" in out


def test_the_flag_lets_a_replacement_through(applied, capsys):
    code, out, err = run(applied, capsys, "plan", {"domain_name": "ml-dev2"}, "--allow-domain-replacement")
    assert code == 0, err[-3000:]
    assert "> - **Domain guard: allowed**" in out


def test_pr_plan_writes_the_refusal_into_the_comment_and_fails(applied, capsys, tmp_path):
    code, out, err = run(applied, capsys, "pr-plan", {"az_count": 3}, "--out", str(tmp_path))
    assert code == 1
    assert "scripts/platform pr-plan: error: this plan replaces the SageMaker domain ml-dev" in err
    comment = (tmp_path / "comment.md").read_text()
    assert "> [!CAUTION]" in comment and "> - **Domain guard: REFUSED.**" in comment
    assert "az_count changed from 2 to 3" in comment


def test_apply_stops_before_anything_changes(applied, capsys):
    root = applied[0]
    before = domain_ids(root)
    code, out, err = run(applied, capsys, "apply", {"az_count": 3}, "--auto-approve")
    assert code == 1
    assert "scripts/platform apply: error: this plan replaces the SageMaker domain ml-dev" in err
    assert "terraform apply (dev)" not in err and "which user profiles go" not in err
    assert domain_ids(root) == before
    emu = emulator_persistent.find(root)
    subnets = emu.client("ec2", REGION).describe_subnets(Filters=[{"Name": "tag:platform:domain",
                                                                    "Values": ["ml-dev"]}])["Subnets"]
    assert len(subnets) == 4  # two zones, a private and a public subnet each: no third zone


def test_apply_with_the_flag_replaces_the_domain(applied, capsys):
    """Last: it changes the state (a third zone, a new domain). (Destroy with the switch: the
    loop, tests/test_studio_leftovers_destroy.py and tests/test_remote_state.py.)"""
    root = applied[0]
    before = domain_ids(root)
    code, out, err = run(applied, capsys, "apply", {"az_count": 3}, "--auto-approve", "--allow-domain-replacement")
    assert code == 0, err[-3000:]
    assert "domain guard: allow_domain_replacement = true: this apply replaces the SageMaker domain ml-dev" in err
    after = domain_ids(root)
    assert len(after) == 1 and after != before
