"""scripts/benchmark's report, ratios and arguments (the measuring itself is not a test: see README, Benchmarks)."""
from __future__ import annotations

import subprocess

import pytest

from scripts import benchmarks as benchmark
from scripts.benchmarks import report as benchmark_report
from scripts.benchmarks import terraform_accounting
from scripts.benchmarks.report import LABELS, Revision, newcomer_breakdown, render, target_value


def _row(median: float) -> dict:
    return {"median": median, "min": median - 0.1, "max": median + 0.1, "peak_mib": 500.0, "runs": 3}


def _rows(**medians: float) -> dict:
    return {key: _row(value) for key, value in medians.items()}


def test_targets_are_ratios_of_rows_of_the_same_revision():
    rows = _rows(plan_cmd=14.0, synth=3.0, plan=7.0, pr_1=10.0, pr_4=17.0, suite=290.0)
    assert target_value(rows, ("plan_cmd",), ("synth", "plan")) == (pytest.approx(1.4), [])
    assert target_value(rows, ("pr_4",), ("pr_1",)) == (pytest.approx(1.7), [])
    assert target_value(rows, ("suite",), ()) == (290.0, [])
    rows["plan"] = {"skipped": "the emulator session failed"}
    assert target_value(rows, ("plan_cmd",), ("synth", "plan")) == (None, ["plan"])


def test_every_target_of_issue_15_is_a_row_with_its_bound():
    targets = {above + below: bound for _, above, below, bound in benchmark_report.TARGETS}
    assert targets[("suite",)] == 300.0
    assert targets[("plan_cmd", "synth", "plan")] == 1.25
    assert targets[("newcomer",)] == 90.0
    assert targets[("pr_4", "pr_1")] == 1.6
    assert ("loop",) in targets and ("journey",) in targets
    assert all(key in LABELS for keys in targets for key in keys)


def _two_revisions() -> list[Revision]:
    before = Revision("be21232", "be21232" + "0" * 33, _rows(
        newcomer=150.0, plan_cmd=18.0, synth=3.0, plan=7.0, pr_1=11.0, pr_4=20.0, loop=200.0, suite=568.0))
    before.rows["journey"] = {"skipped": "this revision's scripts/platform has no `journey`"}
    this = Revision("this tree", "abcdef1" + "0" * 33, _rows(
        newcomer=40.0, plan_cmd=12.0, synth=3.0, plan=7.0, pr_1=10.0, pr_4=15.0, loop=150.0, journey=60.0,
        floor_root=11.0, suite=290.0))
    this.rows["unit"] = {**_row(20.0), "note": "exit 1: 1 failed, 80 passed in 19.8s"}
    this.breakdown = [("bootstrap: python env: install (.venv from Pipfile.lock)", 3.1), ("the rest", 1.0)]
    this.notes.append("HEAD only: 2 file(s) with uncommitted changes were not measured")
    return [before, this]


def test_report_has_targets_before_and_after_and_verdicts():
    text = render(_two_revisions(), "Run of `scripts/benchmark`.")
    assert "| target | `be21232` | this tree (`abcdef1`) | target |" in text
    assert "| warm `scripts/plan dev` / (synth + one `terraform plan`) | 1.80 NOT met | 1.20 met | <= 1.25 |" in text
    assert "| full test suite, seconds (`scripts/test`, fresh clone) | 568.0 NOT met | 290.0 met | <= 300 |" in text
    assert "| pr-plan 4 workspaces / 1 | 1.82 NOT met | 1.50 met | <= 1.6 |" in text
    assert "| `scripts/platform journey dev`, seconds | - | 60.0 |  |" in text
    assert "| synth / floor |" not in text  # measured for neither revision
    assert f"| {LABELS['suite']} | 568.0 | 290.0 | 0.51 |" in text
    assert f"| {LABELS['journey']} | - | 60.0 | - |" in text
    assert LABELS["floor_root"] not in text.split("## Before and after")[1]  # this tree only
    assert "- `be21232`: " + LABELS["journey"] + ": not measured: this revision's scripts/platform has no" in text


def test_report_figures_notes_and_newcomer_breakdown():
    text = render(_two_revisions(), "header")
    assert f"| {LABELS['unit']} | 20.0 | 19.9-20.1 | 3 | 500 | exit 1: 1 failed, 80 passed in 19.8s |" in text
    assert "this tree (`abcdef1`): 40.0 s in all." in text
    assert "| bootstrap: python env: install (.venv from Pipfile.lock) | 3.1 |" in text
    assert "- this tree (`abcdef1`): HEAD only: 2 file(s)" in text


def test_report_without_baseline_has_no_before_table():
    text = render([Revision("this tree", "a" * 40, _rows(synth=2.7, floor=2.3))], "header")
    assert "Before and after" not in text
    assert "| synth / floor | 1.17 met | <= 1.25 |" in text


def test_newcomer_breakdown_reads_bootstrap_timings_and_platform_steps():
    tsv = "step\tseconds\npython env: install (.venv from Pipfile.lock)\t3.0\ntools venv\t5.0\ntotal\t8.5\n"
    stderr = ("bootstrap: tools venv done in 5.0s\n"
              "[platform] synth ...\n[platform] start emulator done in 1.2s (total 1.4s)\n"
              "[platform] synth done in 3.0s (total 3.1s)\n"
              "[platform] terraform init done in 0.6s, beside the synthesis (total 3.2s)\n"
              "[platform] terraform plan (dev, emulator) done in 7.0s (total 10.4s)\n")
    steps = dict(newcomer_breakdown(20.0, 0.3, tsv, stderr))
    assert steps["bootstrap: tools venv"] == 5.0
    assert steps["scripts/platform: terraform init (beside the synthesis)"] == 0.6
    assert steps["scripts/platform: terraform plan (dev, emulator)"] == 7.0
    assert steps["bootstrap, total"] == 8.5
    assert steps["scripts/platform plan, total (its start to its last step)"] == 10.4
    assert [v for k, v in steps.items() if k.startswith("the rest")] == [pytest.approx(1.1)]
    without = dict(newcomer_breakdown(20.0, None, None, ""))
    assert any("no per-step times" in step for step in without) and "bootstrap, total" not in without


def test_arguments(capsys):
    args = benchmark.parse_args(["--repeat", "1", "--no-suite", "--only", "synth,plan", "--baseline", "HEAD"])
    assert (args.repeat, args.no_suite, args.only, args.baseline) == (1, True, ["synth", "plan"], ["HEAD"])
    assert benchmark.parse_args([]).rounds == 1
    for bad, message in ((["--repeat", "0"], "--repeat must be at least 1"),
                         (["--rounds", "0"], "--rounds must be at least 1"),
                         (["--only", "synth,warp"], "--only: unknown row(s) warp"),
                         (["--baseline", "no-such-revision"], "--baseline no-such-revision: not a git revision")):
        with pytest.raises(SystemExit) as exit_info:
            benchmark.parse_args(bad)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_clone_environment_leaves_out_what_steers_commands_elsewhere(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    monkeypatch.setenv("CDKTF_OUTDIR", "/elsewhere/out")
    monkeypatch.setenv("PLATFORM_EMULATOR_HOME", "/elsewhere/emulator")
    env = benchmark.clean_env(PLATFORM_EMULATOR_HOME="/tmp/none")
    assert "PYTHONPATH" not in env and "CDKTF_OUTDIR" not in env
    assert env["PLATFORM_EMULATOR_HOME"] == "/tmp/none"


def test_floor_imports_the_modules_the_stack_imports():
    used = benchmark.used_binding_modules()
    assert "cdktf_cdktf_provider_aws.sagemaker_domain" in used
    assert all(name.startswith("cdktf_cdktf_provider_aws.") for name in used)


def test_header_names_the_command_the_machine_and_how_revisions_are_measured(monkeypatch):
    monkeypatch.setattr(benchmark_report, "versions", lambda: "Terraform v0; Python 3")
    header = benchmark_report.run_header("scripts/benchmark --baseline be21232", 3)
    assert header.startswith("Run of `scripts/benchmark --baseline be21232` on ")
    assert "Terraform v0; Python 3" in header and "fresh clone" in header and "3 run(s) per figure" in header


def test_rounds_take_the_revisions_in_the_other_order_each_time_and_count_every_run(monkeypatch):
    from scripts.benchmarks.cli import round_order
    from scripts.benchmarks.report import merge_rounds

    assert [round_order(["base", "this"], r) for r in range(3)] == [["base", "this"], ["this", "base"],
                                                                     ["base", "this"]]
    first = Revision("this tree", "abc", rows={
        "synth": {**_row(3.0), "seconds": [3.0, 3.2], "runs": 2, "peak_mib": 500.0},
        "plan": {"skipped": "the emulator session failed"},
        "loop": {"skipped": "this revision has no loop"}}, notes=["HEAD only"], breakdown=[("synth", 9.0)])
    second = Revision("this tree", "abc", rows={
        "synth": {**_row(3.6), "seconds": [3.6, 4.0], "runs": 2, "peak_mib": 600.0},
        "plan": {**_row(5.0), "seconds": [5.0], "runs": 1},
        "loop": {"skipped": "this revision has no loop"}}, notes=["HEAD only"], breakdown=[("synth", 8.0)])
    merged = merge_rounds([first, second])
    synth = merged.rows["synth"]
    assert (synth["runs"], synth["min"], synth["max"], synth["peak_mib"]) == (4, 3.0, 4.0, 600.0)
    assert synth["median"] == pytest.approx(3.4)
    assert merged.rows["plan"]["median"] == 5.0  # measured in one round: that round's runs
    assert merged.rows["loop"] == {"skipped": "this revision has no loop"}
    assert merged.notes == ["HEAD only"] and merged.breakdown == [("synth", 9.0)]
    monkeypatch.setattr(benchmark_report, "versions", lambda: "Terraform v0")
    assert "in the other order each round" in benchmark_report.run_header("scripts/benchmark", 1, rounds=2)
    assert "other order" not in benchmark_report.run_header("scripts/benchmark", 1)
    assert "per round" not in benchmark_report.run_header("scripts/benchmark", 1)
    assert "(one each), per round." in benchmark_report.run_header("scripts/benchmark", 1, rounds=2)


def test_the_suites_terraform_runs_are_counted_with_their_cpu(tmp_path):
    """The stand-in terraform of the suite row: it runs the real one (here a script that spends a
    little CPU in a child and exits 3), passes its exit code and output through, and logs the
    subcommand with the CPU of the process and its children."""
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "terraform"
    real.write_text("#!/bin/sh\necho \"real $*\"\nsh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'\n"
                    "exit 3\n")
    real.chmod(0o755)
    env = terraform_accounting.stand_in(tmp_path / "accounting", {"PATH": f"{real_dir}:/usr/bin:/bin"})
    assert env["PATH"].startswith(str(tmp_path / "accounting") + ":")
    for args in (["plan", "-input=false"], ["-chdir=x", "apply"]):
        proc = subprocess.run(["terraform", *args], env=env, capture_output=True, text=True)
        assert (proc.returncode, proc.stdout) == (3, f"real {' '.join(args)}\n")
    totals = terraform_accounting.summary(tmp_path / "accounting")
    assert sorted(totals) == ["apply", "plan"] and all(t["runs"] == 1 and t["cpu"] > 0 for t in totals.values())
    text = "\n".join(terraform_accounting.render(totals))
    assert "2 `terraform` runs" in text and "| plan | 1 |" in text
    assert terraform_accounting.summary(tmp_path / "none") == {} and terraform_accounting.render({}) == []
    revision = Revision("this tree", "a" * 40, _rows(suite=400.0))
    revision.terraform = totals
    assert "## The suite's Terraform (this tree (`aaaaaaa`))" in render([revision], "header")
