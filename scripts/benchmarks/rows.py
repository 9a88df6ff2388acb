"""The rows of one revision, measured in a fresh clone of it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from scripts.benchmarks import terraform_accounting
from scripts.benchmarks.report import (
    LABELS, SUITE_ROWS, THIS_TREE_ONLY, Revision, newcomer_breakdown)
from scripts.repo import REPO_ROOT
from scripts.benchmarks.measure import (
    FLOOR_APP, WORKSPACE, RowFailed, clean_env, emulator_session, git, measure, platform_commands,
    pr_plan_root, used_binding_modules, users_file)


class Measuring:
    """The rows of one revision, measured in its clone ``tree``."""

    def __init__(self, revision: Revision, tree: Path, work: Path, args, this_tree: bool) -> None:
        self.revision, self.tree, self.work, self.args, self.this_tree = revision, tree, work, args, this_tree
        self.python = str(tree / ".venv" / "bin" / "python")
        self.env = clean_env(PLATFORM_EMULATOR_HOME=str(work / "no-persistent-emulator"))
        self.var_file = tree / "workspaces" / f"{WORKSPACE}.tfvars.json"

    def say(self, message: str) -> None:
        print(f"[benchmark] {self.revision.label}: {message}", file=sys.stderr, flush=True)

    def wanted(self, key: str) -> bool:
        if self.args.only and key not in self.args.only:
            return False
        if key in SUITE_ROWS and self.args.no_suite:
            return False
        return self.this_tree or key not in THIS_TREE_ONLY

    def command(self, key: str, command: list, repeat: int | None = None, env: dict | None = None,
                cwd: Path | None = None, **options):
        """``command`` measured as row ``key`` (``repeat`` runs; the run's --repeat by default), to call later."""
        return lambda: measure(command, self.env if env is None else env, cwd or self.tree,
                               repeat or self.args.repeat, self.work / "logs" / key, **options)

    def row(self, key: str, how, lacks: str | None = None, always: bool = False) -> bool:
        """Measures row ``key`` with ``how()`` when wanted (or ``always``); ``lacks``
        says why this revision cannot. True when the row has a figure."""
        if not (always or self.wanted(key)):
            return False
        if lacks:
            self.revision.rows[key] = {"skipped": lacks}
            self.say(f"{key}: not measured: {lacks}")
            return False
        self.say(f"{key}: {LABELS[key]} ...")
        try:
            self.revision.rows[key] = how()
        except RowFailed as exc:
            self.revision.rows[key] = {"skipped": str(exc)}
            self.say(f"{key}: {exc}")
            return False
        self.say(f"{key}: {self.revision.rows[key]['median']:.1f}s")
        return True

    def run(self, clone_seconds: float) -> None:
        tree = self.tree
        plan, platform_cmd, test = (tree / "scripts" / name for name in ("plan", "platform", "test"))
        no_plan = None if plan.exists() else "this revision has no scripts/plan"
        newcomer = self.command("newcomer", [plan], repeat=1)

        def first_plan() -> dict:
            row = newcomer()
            tsv = tree / ".cache" / "bootstrap-timings.tsv"
            self.revision.breakdown = newcomer_breakdown(
                row["median"], clone_seconds, tsv.read_text() if tsv.exists() else None,
                (self.work / "logs" / "newcomer.err").read_text(errors="replace"))
            return row

        self.row("newcomer", first_plan, no_plan, always=True)
        if not Path(self.python).exists():  # no scripts/plan, or it failed before the environment
            if subprocess.run([str(tree / "scripts" / "bootstrap.sh")], cwd=tree, env=self.env).returncode != 0:
                self.revision.notes.append("its scripts/bootstrap.sh failed: no other row measured")
                return
        commands = platform_commands(tree)

        def lacks(*names: str) -> str | None:
            missing = [name for name in names if name not in commands]
            return f"this revision's scripts/platform has no `{missing[0]}`" if missing else None

        self.row("plan_cmd", self.command("plan_cmd", [plan, WORKSPACE]), no_plan)
        modules = json.dumps(used_binding_modules(tree))
        no_floor = None if (tree / "modules" / "__init__.py").exists() else "this revision has no modules/__init__.py"
        for key, how in (("floor", "by-resource"), ("floor_root", "package-root")):
            self.row(key, self.command(key, [self.python, "-c", FLOOR_APP, self.work / key, modules, how, tree]),
                     no_floor)
        synth_env = {**self.env, "CDKTF_OUTDIR": str(self.work / "synth-out")}
        self.row("synth", self.command("synth", [self.python, "main.py"], env=synth_env))
        if any(self.wanted(key) for key in ("plan", "plan_200", "plan_gogc100")):
            self.plan_rows(self.work / "synth-out", synth_env)
        root = None
        if any(self.wanted(key) for key in ("pr_1", "pr_4")) and not lacks("pr-plan"):
            root = pr_plan_root(tree, self.work / "pr-root")
        for count, names in ((1, [WORKSPACE]), (4, [WORKSPACE, "prod", "stage", "qa"])):
            key = f"pr_{count}"
            self.row(key, lambda key=key, names=names: self.command(key, [
                self.python, "-m", "scripts.platform_cmd", "pr-plan", *names, "--root", root,
                "--outdir", self.work / f"{key}-out", "--out", self.work / key], warmup=True)(), lacks("pr-plan"))
        if any(self.wanted(key) for key in ("journey", *SUITE_ROWS)):  # what they set up, not in their figures
            self.row("test_setup", self.command("test_setup", [tree / "scripts" / "bootstrap.sh", "--studio-clients"],
                                                repeat=1), always=True)
        self.row("loop", self.command("loop", [platform_cmd, "loop", WORKSPACE], repeat=1), lacks("loop"))
        if self.wanted("journey"):
            self.journey_rows(platform_cmd, lacks("emulator", "apply", "journey"))
        no_test = None if test.exists() else "this revision has no scripts/test"
        self.row("unit", self.command("unit", [test, "-q", "-m", "not emulator"], repeat=1, allow_fail=True), no_test)
        accounting = self.work / "terraform-accounting"
        if self.row("suite", self.command("suite", [test, "-q"], repeat=1, allow_fail=True,
                                          env=terraform_accounting.stand_in(accounting, self.env)), no_test):
            self.revision.terraform = terraform_accounting.summary(accounting)

    def plan_rows(self, outdir: Path, synth_env: dict) -> None:
        """``terraform plan`` of dev in an initialized copy (the first one measured warmed up): as it is,
        with 200 users, and with Go's default GC."""
        try:
            if not (outdir / "stacks").is_dir():
                subprocess.run([self.python, "main.py"], cwd=self.tree, env=synth_env, check=True,
                               capture_output=True)
            region = json.loads(self.var_file.read_text())["region"]
            with emulator_session(self.tree, outdir, self.work / "session", region) as (stack, tf_env, terraform):
                warm = False  # the first plan row measured runs once more first: the emulator's first answers
                for key, users, extra in (("plan", None, {}), ("plan_200", 200, {}),
                                          ("plan_gogc100", None, {"GOGC": "100"})):
                    var_file = self.var_file if users is None else users_file(
                        self.var_file, users, self.work / f"users-{users}.tfvars.json")
                    warm |= self.row(key, self.command(key, [terraform, "plan", "-input=false",
                                                             f"-var-file={var_file}"],
                                                       env={**tf_env, **extra}, cwd=stack, warmup=not warm))
        except (RowFailed, ValueError, OSError, subprocess.SubprocessError) as exc:
            for key in ("plan", "plan_200", "plan_gogc100"):
                if self.wanted(key) and key not in self.revision.rows:
                    self.revision.rows[key] = {"skipped": f"the emulator session failed: {exc}"}

    def journey_rows(self, platform_cmd: Path, lacks: str | None) -> None:
        """apply dev on a persistent emulator of the run's own (its own row), the
        journey (measured), then the emulator down."""
        if lacks:
            self.row("journey", None, lacks)
            return
        env = {**self.env, "PLATFORM_EMULATOR_HOME": str(self.work / "emulator-home")}
        up = subprocess.run([platform_cmd, "emulator", "up"], cwd=self.tree, env=env, capture_output=True, text=True)
        try:
            if up.returncode != 0:
                self.row("journey", None, f"`emulator up` failed: {(up.stderr.strip().splitlines() or [''])[-1]}")
            elif self.row("apply", self.command("apply", [platform_cmd, "apply", WORKSPACE, "--auto-approve"],
                                                repeat=1, env=env), always=True):
                self.row("journey", self.command("journey", [platform_cmd, "journey", WORKSPACE], repeat=1, env=env))
            else:
                self.row("journey", None, "the apply before it failed")
        finally:
            subprocess.run([platform_cmd, "emulator", "down"], cwd=self.tree, env=env, capture_output=True)


def measure_revision(label: str, sha: str, work: Path, args, this_tree: bool) -> Revision:
    """Clones the repository at ``sha`` into ``work`` and measures it there; the clone is removed after."""
    revision = Revision(label, sha)
    tree = work / "tree"
    start = time.monotonic()
    git("clone", "-q", "--no-checkout", str(REPO_ROOT), str(tree))
    git("checkout", "-q", "--detach", sha, cwd=tree)
    clone_seconds = time.monotonic() - start
    try:
        Measuring(revision, tree, work, args, this_tree).run(clone_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return revision
