"""scripts/benchmark's report (the measuring itself is not a test: see README, Benchmarks)."""
from __future__ import annotations

import pytest

from scripts import benchmark


def _row(median: float) -> dict:
    return {"median": median, "min": median - 0.1, "max": median + 0.1, "peak_mib": 500.0, "runs": 3}


def test_report_has_each_figure_the_before_and_after_and_verdicts(monkeypatch):
    monkeypatch.setattr(benchmark, "versions", lambda: "Terraform v0; Python 3")
    rows = {key: _row(10.0) for key in benchmark.LABELS}
    rows["pr_4"] = _row(17.0)
    before = {"abc1234": {"synth": _row(11.0), "pr_1": _row(22.0), "pr_4": _row(38.5)},
              "def5678": {"synth": _row(11.0), "pr_1": _row(19.0), "pr_4": _row(28.0)}}
    ratios = {"synth / floor": (1.03, 1.25), "pr-plan 4 workspaces / 1": (1.7, 1.6), "plan 50 users / 1 user": (1.1, None)}
    text = benchmark.render(rows, ratios, before)

    for label in benchmark.LABELS.values():
        assert f"| {label} | " in text
    assert "| figure | `abc1234` | `def5678` | this tree | this / first |" in text
    assert f"| {benchmark.LABELS['pr_4']} | 38.5 | 28.0 | 17.0 | 0.44 |" in text
    assert "| synth / floor | 1.03 | <= 1.25 met |" in text
    assert "| pr-plan 4 workspaces / 1 | 1.70 | <= 1.6 NOT met |" in text
    assert "| plan 50 users / 1 user | 1.10 |  |" in text


def test_report_without_baseline_has_no_before_table(monkeypatch):
    monkeypatch.setattr(benchmark, "versions", lambda: "Terraform v0; Python 3")
    text = benchmark.render({"synth": _row(2.7)}, {}, None)
    assert "before" not in text.lower()


def test_floor_imports_the_modules_the_stack_imports():
    used = benchmark.used_binding_modules()
    assert "cdktf_cdktf_provider_aws.sagemaker_domain" in used
    assert all(name.startswith("cdktf_cdktf_provider_aws.") for name in used)


def test_unknown_baseline_is_refused_before_measuring(capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--baseline", "no-such-revision", "--no-suite"])
    assert exit_info.value.code == 2
    assert "--baseline no-such-revision: not a git revision" in capsys.readouterr().err
