"""`scripts/benchmark`: the speed targets of issue 15, before and after, in one run.

Each revision (this tree's commit, and each ``--baseline REF``) is measured in
a fresh clone of this repository, made outside it: the commands people run, as
they run them, set up by that revision's own ``scripts/bootstrap.sh`` from its
own locks, with the same Terraform, provider mirror, Python and package caches.
In each clone, in this order:

1. a newcomer's first ``scripts/plan`` (dev), with where its time goes
   (bootstrap's ``.cache/bootstrap-timings.tsv``, scripts/platform's steps);
2. warm ``scripts/plan dev`` (the runs after that first one);
3. the floor of synthesis (import the AWS bindings used and synthesize an
   empty stack) and synthesis itself (``python main.py``);
4. ``terraform plan`` of dev in an initialized copy of the stack against a
   running emulator (1 and 200 users): with synth, the floor of warm
   ``scripts/plan dev``;
5. ``scripts/platform pr-plan`` of 1 and of 4 workspaces;
6. ``scripts/bootstrap.sh --studio-clients`` (what ``scripts/test`` and the
   journey add), ``scripts/platform loop dev``, and ``scripts/platform journey
   dev`` after ``apply dev`` on a persistent emulator of the run's own;
7. the unit part and the whole suite (``scripts/test``; ``--no-suite`` leaves
   them out).

Every figure but 1, 6 and 7 is run ``--repeat`` times (median, spread, peak
memory). Ratios are per revision, of rows of the same run. A row whose command
a revision lacks, or whose command fails, is left empty with why; nothing here
fails on a slow machine (scripts/benchmark_report.py: the report).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from scripts.benchmark_report import (
    LABELS, SUITE_ROWS, THIS_TREE_ONLY, Revision, newcomer_breakdown, render, run_header)
from scripts.errors import ScriptError, run_main
from scripts.repo import DEFAULT_WORKSPACE, REPO_ROOT

RESULT = REPO_ROOT / "docs" / "benchmarks.md"
WORKSPACE = DEFAULT_WORKSPACE

# argv: stdout file, stderr file, command...: runs the command and prints the peak
# RSS (KiB) of the largest process it waited for (jsii's node, terraform's plugins).
PEAK_RUNNER = """
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    code = subprocess.call(sys.argv[3:], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
"""

# argv: outdir, JSON list of binding modules, "by-resource" | "package-root", repo root.
FLOOR_APP = """
import importlib, json, sys
if sys.argv[3] == "by-resource":
    sys.path.insert(0, sys.argv[4])
    import modules  # loads the AWS bindings one resource module at a time
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
for module in json.loads(sys.argv[2]):
    importlib.import_module(module)
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "floor")
AwsProvider(stack, "aws", region="eu-west-1")
app.synth()
"""

# Run in a clone by its own Python and code; argv: synthesized app, scratch, region.
# Starts an emulator, copies the platform stack pointed at it, initializes the copy,
# prints {stack, env, terraform} and keeps the emulator until stdin closes.
EMULATOR_SESSION = """
import json, sys
from pathlib import Path
sys.path.insert(0, ".")
from scripts import terraform_env
from scripts.emulator import Emulator
from scripts.platform_cmd import emulator_copies
outdir, work, region = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
env = terraform_env.build_env(Path(".").resolve())
terraform = terraform_env.terraform_binary(env)
with Emulator(region=region, log_dir=work / "emulator") as emu:
    stack = emulator_copies(outdir / "stacks", work / "scratch", emu)["platform"]
    terraform_env.init(stack, env=emu.env(env))
    print(json.dumps({"stack": str(stack), "env": emu.env(env), "terraform": terraform}), flush=True)
    sys.stdin.read()
"""


class RowFailed(ScriptError):
    """A command of a row failed; the message says which and how (the row shows it)."""


def _tail(path: Path, lines: int) -> list[str]:
    text = path.read_text(errors="replace") if path.exists() else ""
    return [line for line in text.splitlines() if line.strip()][-lines:]


def measure(command: list, env: dict, cwd: Path, repeat: int, logs: Path, warmup: bool = False,
            allow_fail: bool = False) -> dict:
    """Median and spread of wall seconds, and the peak RSS (MiB), of ``command``;
    ``warmup`` runs it once first, uncounted. The last run's output is kept in
    ``logs``.out/.err. A failed run raises RowFailed, unless ``allow_fail``
    (a test run: its figure counts and its note says how it ended)."""
    logs.parent.mkdir(parents=True, exist_ok=True)
    out, err = logs.with_suffix(".out"), logs.with_suffix(".err")
    seconds, peaks, note = [], [], ""
    for run in range(repeat + (1 if warmup else 0)):
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", PEAK_RUNNER, str(out), str(err), *map(str, command)],
                              cwd=cwd, env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            if not allow_fail:
                print("\n".join([f"[benchmark] failed ({out}, {err}):", *_tail(out, 10), *_tail(err, 20)]),
                      file=sys.stderr)
                last = _tail(out, 1) + _tail(err, 1)
                raise RowFailed(f"failed (exit {proc.returncode}): {last[-1] if last else 'no output'}")
            note = f"exit {proc.returncode}: {(_tail(out, 1) or [''])[0]}"
        if warmup and run == 0:
            continue
        seconds.append(elapsed)
        peaks.append(int(proc.stdout.strip().splitlines()[-1]) / 1024)
    row = {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds),
           "peak_mib": max(peaks), "runs": repeat}
    return {**row, "note": note} if note else row


def clean_env(**extra: str) -> dict:
    """The caller's environment without what would steer a clone's commands
    elsewhere (another checkout's code, outdir, emulator or Go GC setting)."""
    drop = ("PYTHONPATH", "CDKTF_OUTDIR", "VIRTUAL_ENV", "PLATFORM_EMULATOR_HOME", "TF_WORKSPACE", "GOGC",
            "TF_PLUGIN_CACHE_DIR", "PYTEST_ADDOPTS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"CHECKPOINT_DISABLE": "1", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20"}, **extra)
    return env


def used_binding_modules(root: Path = REPO_ROOT) -> list[str]:
    """Every ``cdktf_cdktf_provider_aws`` submodule the project at ``root`` imports."""
    found = set()
    for path in [root / "main.py", *(root / "modules").glob("*.py")]:
        found |= set(re.findall(r"from (cdktf_cdktf_provider_aws\.[a-z0-9_]+) import", path.read_text()))
    return sorted(found)


def users_file(base: Path, count: int, target: Path) -> Path:
    values = json.loads(base.read_text())
    values["user_profiles"] = {f"user-{i:03d}": {} for i in range(count)}
    target.write_text(json.dumps(values))
    return target


def pr_plan_root(source: Path, dest: Path) -> Path:
    """A copy of the tree at ``source`` with two more workspaces (stage, qa), for pr-plan."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tools", "node_modules", "cdktf.out", ".cache", ".state", "plan-out", "docs",
        "studio-clients"))
    base = json.loads((source / "workspaces" / f"{WORKSPACE}.tfvars.json").read_text())
    for extra in ("stage", "qa"):
        (dest / "workspaces" / f"{extra}.tfvars.json").write_text(
            json.dumps({**base, "workspace": extra, "domain_name": f"ml-{extra}"}))
    return dest


def git(*args: str, cwd: Path = REPO_ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def platform_commands(tree: Path) -> set[str]:
    """The subcommands of the clone's ``scripts/platform`` (empty when it has none)."""
    proc = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-m", "scripts.platform_cmd", "--help"],
                          cwd=tree, capture_output=True, text=True)
    match = re.search(r"\{([a-z,-]+)\}", proc.stdout)
    return set(match[1].split(",")) if proc.returncode == 0 and match else set()


@contextmanager
def emulator_session(tree: Path, outdir: Path, work: Path, region: str):
    """(stack copy, its terraform env, terraform) on an emulator of the clone's own code."""
    proc = subprocess.Popen([str(tree / ".venv" / "bin" / "python"), "-c", EMULATOR_SESSION, str(outdir),
                             str(work), region], cwd=tree, env=clean_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line:
            raise RowFailed(f"the emulator session failed: {proc.stderr.read().strip().splitlines()[-1:]}")
        info = json.loads(line)
        yield Path(info["stack"]), {**info["env"], "TF_WORKSPACE": WORKSPACE}, info["terraform"]
    finally:
        proc.stdin.close()
        proc.wait(60)


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
        self.row("suite", self.command("suite", [test, "-q"], repeat=1, allow_fail=True), no_test)

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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3; at least 1)")
    parser.add_argument("--no-suite", action="store_true", help="leave out the unit part and the full test suite")
    parser.add_argument("--baseline", metavar="REF", action="append", default=[],
                        help="also measure git revision REF, for a before/after table (repeatable)")
    parser.add_argument("--only", metavar="ROWS", type=lambda text: [k for k in text.split(",") if k],
                        help="measure only these rows (comma-separated; a revision's first scripts/plan always "
                             f"runs): {', '.join(LABELS)}")
    parser.add_argument("--out", default=str(RESULT), help="Markdown result (default docs/benchmarks.md)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    unknown = [key for key in args.only or [] if key not in LABELS]
    if unknown:
        parser.error(f"--only: unknown row(s) {', '.join(unknown)}; rows: {', '.join(LABELS)}")
    for ref in args.baseline:
        if subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=REPO_ROOT,
                          capture_output=True).returncode != 0:
            parser.error(f"--baseline {ref}: not a git revision of this repository (try a commit hash or tag)")
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    return run_main("scripts/benchmark", lambda: _run(args, argv))


def _run(args: argparse.Namespace, argv: list) -> int:
    head = git("rev-parse", "HEAD")
    dirty = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line.strip()]
    plan = [(ref, git("rev-parse", f"{ref}^{{commit}}"), False) for ref in args.baseline] + [("this tree", head, True)]
    work = Path(tempfile.mkdtemp(prefix="benchmark-"))
    revisions = []
    try:
        for number, (label, sha, this_tree) in enumerate(plan):
            print(f"[benchmark] {label}: a fresh clone at {sha[:7]}", file=sys.stderr, flush=True)
            revisions.append(measure_revision(label, sha, work / f"rev-{number}", args, this_tree))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if dirty:
        revisions[-1].notes.append(f"HEAD only: {len(dirty)} file(s) with uncommitted changes in the checkout "
                                   "were not measured")
    header = run_header(" ".join(["scripts/benchmark", *argv]), args.repeat)
    text = render(revisions, header)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"[benchmark] wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
