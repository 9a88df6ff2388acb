"""The shape of scripts/: one error base, one place for paths, one workspace-name rule."""

import ast
import importlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import changed_workspaces, plan_summary, repo, workspaces
from scripts.errors import CommandError, ScriptError, UsageError, run_main

REPO_ROOT = repo.REPO_ROOT
SCRIPTS = REPO_ROOT / "scripts"
# Not user-facing, on purpose: AWS API errors of the emulator, and the network guard's
# OSError (the clients must treat it as the network error it stands for).
NOT_SCRIPT_ERRORS = {"scripts/moto_ext", "scripts/journey/clients/netguard.py"}


# -- one error base ------------------------------------------------------------------
def _error_classes():
    for path in sorted(SCRIPTS.rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        if any(rel == skip or rel.startswith(skip + "/") for skip in NOT_SCRIPT_ERRORS):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", getattr(base, "attr", "")).endswith(("Error", "Exception", "Failure",
                                                                              "Failed"))
                    for base in node.bases):
                yield rel, node.name


def test_every_error_class_of_scripts_is_a_script_error():
    classes = list(_error_classes())
    assert len(classes) >= 10, classes  # the scan finds them (ScanError, TerraformError, ...)
    for rel, name in classes:
        module = importlib.import_module(rel[:-3].replace("/", ".").removesuffix(".__init__"))
        assert issubclass(getattr(module, name), ScriptError), f"{rel}: {name} does not subclass ScriptError"


def test_an_error_keeps_its_text_and_splits_off_the_next_step():
    error = CommandError("the plan failed.\nNext: read the error above.")
    assert (error.message, error.next_step, error.exit_code) == ("the plan failed.", "read the error above.", 1)
    assert str(error) == "the plan failed.\nNext: read the error above."
    assert str(ScriptError("what", "do this")) == "what\nNext: do this"
    assert str(ScriptError("no step")) == "no step" and ScriptError("no step").next_step is None
    assert UsageError("bad argument").exit_code == 2 and ScriptError("x", exit_code=3).exit_code == 3


def test_run_main_prints_prog_error_and_next_and_returns_the_code():
    def fails():
        raise UsageError("--x: expected a number", "pass --x 3.")

    stream = io.StringIO()
    assert run_main("scripts/thing", fails, stream) == 2
    assert stream.getvalue() == "scripts/thing: error: --x: expected a number\nNext: pass --x 3.\n"

    def interrupted():
        raise KeyboardInterrupt

    assert run_main("scripts/thing", interrupted, io.StringIO()) == 130
    with pytest.raises(ValueError):  # a bug is not a user-facing error: it keeps its traceback
        run_main("scripts/thing", lambda: int("x"), io.StringIO())


@pytest.mark.parametrize("argv,line", [
    (["scripts.plan_summary", "--out", "/nonexistent", "dev"],
     "plan_summary: error: WS=PLAN_JSON: expected WORKSPACE=PATH, got 'dev'\n"),
    (["scripts.security_scan", "--stack", "/nonexistent"],
     "scripts.security_scan: error: --stack /nonexistent/cdk.tf.json: [Errno 2] No such file or directory"),
    (["scripts.changed_workspaces", "--head", "no-such-rev"],
     "changed_workspaces: error: --head 'no-such-rev' is not a commit in "),
    (["scripts.platform_cmd", "plan", "Dev"],
     "scripts/platform plan: error: invalid workspace name 'Dev': use 1 to 40 lowercase letters"),
])
def test_entry_points_print_one_error_line_and_the_next_step_and_exit_non_zero(argv, line):
    proc = subprocess.run([sys.executable, "-m", *argv], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode in (1, 2) and proc.stderr.startswith(line), proc.stderr
    assert "\nNext: " in proc.stderr and "Traceback" not in proc.stderr


# -- one place for paths and constants ------------------------------------------------------
def test_repo_root_is_defined_once_in_scripts():
    defined = [p.relative_to(REPO_ROOT).as_posix() for p in SCRIPTS.rglob("*.py")
               if any(isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "REPO_ROOT" for t in node.targets)
                      for node in ast.walk(ast.parse(p.read_text())))]
    assert defined == ["scripts/repo.py"]


def test_stack_names_agree_with_the_app():
    import main
    from modules.emr_account_inputs import EMR_ACCOUNT_STACK

    assert (repo.PLATFORM_STACK, repo.STATE_STACK, repo.EMR_ACCOUNT_STACK) == (
        main.PLATFORM_STACK, main.STATE_STACK, EMR_ACCOUNT_STACK)


# -- one workspace-name rule ------------------------------------------------------------
GOOD = ["dev", "prod", "team-a", "team_b", "a", "0ops", "x" * 40]
BAD = ["", "default", "Dev", "bad name", "../dev", "-dev", "_dev", "dev.1", "x" * 41, "dév"]


def _cli(name: str) -> bool:
    try:
        workspaces.check_workspace_name(name)
    except CommandError:
        return False
    return True


def _change_detection(name: str) -> bool:
    try:
        return changed_workspaces._workspace_name(f"workspaces/{name}.tfvars.json") == name
    except changed_workspaces.ChangedError:
        return False


def _summary(name: str) -> bool:
    try:
        return plan_summary._pairs([f"{name}=plan.json"], "WS=PLAN_JSON") == [(name, "plan.json")]
    except UsageError:
        return False


@pytest.mark.parametrize("name", GOOD + BAD)
def test_the_cli_the_change_detection_and_the_summary_share_one_rule(name):
    expected = name in GOOD
    assert (workspaces.workspace_name_problem(name) is None) == expected
    assert (_cli(name), _change_detection(name), _summary(name)) == (expected,) * 3


def test_a_bad_name_says_the_rule():
    with pytest.raises(CommandError, match="invalid workspace name 'Dev': use 1 to 40 lowercase letters"):
        workspaces.check_workspace_name("Dev")
    with pytest.raises(changed_workspaces.ChangedError, match=r"'dev\.1' cannot be a workspace name \(use 1 to 40"):
        changed_workspaces._workspace_name("workspaces/dev.1.tfvars.json")
    with pytest.raises(CommandError, match="'default' is not used by this project"):
        workspaces.check_workspace_name("default")


def test_the_committed_workspaces_follow_the_rule():
    files = list((REPO_ROOT / "workspaces").rglob("*.tfvars.json"))
    assert files
    for path in files:
        assert workspaces.workspace_name_problem(path.name.removesuffix(".tfvars.json")) is None, path


def test_the_workspace_file_layout_is_the_clis():
    assert workspaces.stack_workspaces_dir(Path("/r"), repo.PLATFORM_STACK) == Path("/r/workspaces")
    assert workspaces.stack_workspaces_dir(Path("/r"), repo.EMR_ACCOUNT_STACK) == Path("/r/workspaces/emr-account")


# -- a package whose layout shows its parts ----------------------------------------------------
MAX_MODULE_LINES = 400  # the developers' guide: no module much over 400 lines


def test_no_module_of_scripts_is_over_400_lines():
    long = {p.relative_to(REPO_ROOT).as_posix(): n for p in SCRIPTS.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these along their concerns: {long}"


def test_the_commands_people_type_run_their_package():
    entries = {"platform": "scripts.platform_cmd", "benchmark": "scripts.benchmarks"}
    for entry, module in entries.items():
        assert f"-m {module} " in (SCRIPTS / entry).read_text()
        assert (SCRIPTS / Path(*module.split(".")[1:]) / "__main__.py").is_file()
    assert "exec \"$(dirname \"${BASH_SOURCE[0]}\")/platform\" plan" in (SCRIPTS / "plan").read_text()
