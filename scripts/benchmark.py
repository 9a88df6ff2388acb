"""`scripts/benchmark`: how fast synth, plan and the PR check are, in one run.

Measures each figure several times (median, min-max spread, peak memory of
the largest process) and prints ratios against baselines measured in the
same run, then writes the table to ``docs/benchmarks.md`` (machine, date,
versions) so that runs can be compared over time:

1. floor: a process that imports the AWS bindings the stack uses (one
   resource module each, as ``modules/__init__.py`` arranges) and
   synthesizes an empty stack with one provider; and, as a baseline, the
   same importing through the bindings' package root, which loads all of
   its 2,135 resource modules (what a CDKTF Python app does by default);
2. synth of the platform stack (``python main.py``), ratio to the floor;
3. terraform init + plan of the dev workspace against the emulator, with
   1, 50 and 200 users (ratio to 1 user); and 1 user with Go's default
   garbage collector (``GOGC=100``) as the baseline of ``GOGC=400``;
4. ``scripts/platform pr-plan`` for 1 and 4 workspaces (ratio to 1);
5. the unit part of the test suite (``scripts/test -m "not emulator"``) and
   the full suite (once each; ``--no-suite`` leaves both out).

``--baseline REF`` (repeatable) also measures synth and the PR command (1
and 4 workspaces) of git revision REF, checked out in a temporary worktree
and run with the same tools, so that a change is judged before and after in
one run.

This is a benchmark, not a test: nothing here fails on a slow machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import terraform_env  # noqa: E402
from scripts.emulator import Emulator  # noqa: E402
from scripts.platform_cmd import emulator_copies  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULT = REPO_ROOT / "docs" / "benchmarks.md"
PYTHON = str(REPO_ROOT / ".venv" / "bin" / "python")

# Runs a command and prints the peak RSS (KiB) of the largest process it
# waited for: jsii's node process and terraform's provider plugins included.
PEAK_RUNNER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def used_binding_modules() -> list[str]:
    """Every ``cdktf_cdktf_provider_aws`` submodule the project imports."""
    import re

    found = set()
    for path in [REPO_ROOT / "main.py", *(REPO_ROOT / "modules").glob("*.py")]:
        found |= set(re.findall(r"from (cdktf_cdktf_provider_aws\.[a-z0-9_]+) import", path.read_text()))
    return sorted(found)


def measure(command: list[str], env: dict, cwd: Path, repeat: int, prepare=None, warmup: bool = False) -> dict:
    """Median and spread of wall seconds, and the peak RSS (MiB), of ``command``;
    ``warmup`` runs it once first, uncounted (fills a fresh plugin cache)."""
    seconds, peaks = [], []
    for run in range(repeat + (1 if warmup else 0)):
        if prepare:
            prepare()
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", PEAK_RUNNER, *command], cwd=cwd, env=env,
                              capture_output=True, text=True)
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            raise SystemExit(f"benchmark command failed (exit {proc.returncode}): {' '.join(command)}\n"
                             f"{proc.stderr[-2000:]}")
        if warmup and run == 0:
            continue
        seconds.append(elapsed)
        peaks.append(int(proc.stdout.strip().splitlines()[-1]) / 1024)
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds),
            "peak_mib": max(peaks), "runs": repeat}


def users_file(base: Path, count: int, target: Path) -> Path:
    values = json.loads(base.read_text())
    values["user_profiles"] = {f"user-{i:03d}": {} for i in range(count)}
    target.write_text(json.dumps(values))
    return target


def pr_plan_root(source: Path, dest: Path) -> Path:
    """A copy of the tree at ``source`` with two more workspaces (stage, qa), for pr-plan."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tools", "node_modules", "cdktf.out", ".cache", ".state", "plan-out", "docs"))
    base = json.loads((source / "workspaces" / "dev.tfvars.json").read_text())
    for extra in ("stage", "qa"):
        (dest / "workspaces" / f"{extra}.tfvars.json").write_text(
            json.dumps({**base, "workspace": extra, "domain_name": f"ml-{extra}"}))
    return dest


def measure_pr_plan(code: Path, root: Path, work: Path, env: dict, repeat: int, label: str) -> dict:
    """pr-plan of 1 and of 4 workspaces, run by the scripts in ``code`` on the tree ``root``."""
    rows = {}
    for count, names in ((1, ["dev"]), (4, ["dev", "prod", "stage", "qa"])):
        rows[f"pr_{count}"] = measure(
            [PYTHON, "-m", "scripts.platform_cmd", "pr-plan", *names, "--root", str(root),
             "--outdir", str(work / f"{label}-pr-out-{count}"), "--out", str(work / f"{label}-pr-{count}")],
            {**env, "PYTHONPATH": str(code)}, code, repeat, warmup=True)
    return rows


def measure_baseline(ref: str, work: Path, env: dict, repeat: int) -> dict:
    """Synth and pr-plan of git revision ``ref`` (a temporary worktree), same tools."""
    work.mkdir(parents=True, exist_ok=True)
    tree = work / "baseline-tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=REPO_ROOT, check=True,
                   capture_output=True)
    try:
        # Its own Terraform CLI config and plugin cache, as a checkout of it would have.
        base_env = {k: v for k, v in env.items() if k not in ("TF_CLI_CONFIG_FILE", "GOGC")}
        rows = {"synth": measure([PYTHON, "main.py"], {**base_env, "CDKTF_OUTDIR": str(work / "baseline.out")},
                                 tree, repeat)}
        rows.update(measure_pr_plan(tree, pr_plan_root(tree, work / "baseline-repo"), work, base_env, repeat,
                                    "baseline"))
        return rows
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO_ROOT, capture_output=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--no-suite", action="store_true", help="leave out the full test suite")
    parser.add_argument("--baseline", metavar="REF", action="append", default=[],
                        help="also measure synth and pr-plan of this git revision (before/after); repeatable")
    parser.add_argument("--out", default=str(RESULT), help="Markdown result (default docs/benchmarks.md)")
    args = parser.parse_args(argv)
    for ref in args.baseline:
        if subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=REPO_ROOT,
                          capture_output=True).returncode != 0:
            parser.error(f"--baseline {ref}: not a git revision of this repository (try a commit hash or tag)")

    env = terraform_env.build_env(REPO_ROOT)
    rows, before = {}, {}
    work = Path(tempfile.mkdtemp(prefix="benchmark-"))
    try:
        print("[benchmark] 1/5 floor and synth", file=sys.stderr)
        modules = json.dumps(used_binding_modules())
        for key, how in (("floor", "by-resource"), ("floor_root", "package-root")):
            rows[key] = measure([PYTHON, "-c", FLOOR_APP, str(work / key), modules, how, str(REPO_ROOT)],
                                env, REPO_ROOT, args.repeat)
        synth_env = {**env, "CDKTF_OUTDIR": str(work / "cdktf.out")}
        rows["synth"] = measure([PYTHON, "main.py"], synth_env, REPO_ROOT, args.repeat)

        print("[benchmark] 3/5 init + plan against the emulator (1, 50, 200 users)", file=sys.stderr)
        with Emulator(region="eu-west-1", log_dir=work / "emulator") as emu:
            stacks = emulator_copies(work / "cdktf.out" / "stacks", work / "scratch", emu)
            stack = stacks["platform"]
            tf_env = {**emu.env(env), "TF_WORKSPACE": "dev"}
            terraform = terraform_env.terraform_binary(env)
            subprocess.run([terraform, "init", "-input=false"], cwd=stack, env=emu.env(env), check=True,
                           capture_output=True)
            base = REPO_ROOT / "workspaces" / "dev.tfvars.json"

            def reset_init():
                shutil.rmtree(stack / ".terraform", ignore_errors=True)

            for key, users, gogc in (("plan_1", 1, None), ("plan_50", 50, None), ("plan_200", 200, None),
                                     ("plan_1_gogc100", 1, "100")):
                var_file = users_file(base, users, work / f"users-{users}.tfvars.json")
                script = (f"{terraform} init -input=false >/dev/null && "
                          f"{terraform} plan -input=false -lock=false -var-file={var_file} >/dev/null")
                rows[key] = measure(["bash", "-c", script], {**tf_env, **({"GOGC": gogc} if gogc else {})},
                                    stack, args.repeat, prepare=reset_init)

        print("[benchmark] 4/5 pr-plan for 1 and 4 workspaces", file=sys.stderr)
        rows.update(measure_pr_plan(REPO_ROOT, pr_plan_root(REPO_ROOT, work / "repo"), work, env, args.repeat,
                                    "current"))
        for ref in args.baseline:
            print(f"[benchmark] 4/5 baseline {ref}: synth and pr-plan", file=sys.stderr)
            before[ref] = measure_baseline(ref, work / f"baseline-{len(before)}", env, args.repeat)

        if not args.no_suite:
            print("[benchmark] 5/5 the unit part and the full test suite (once each)", file=sys.stderr)
            test = str(REPO_ROOT / "scripts" / "test")
            rows["unit"] = measure([test, "-q", "-m", "not emulator"], env, REPO_ROOT, 1)
            rows["suite"] = measure([test, "-q"], env, REPO_ROOT, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratios = {
        "synth / floor": (rows["synth"]["median"] / rows["floor"]["median"], 1.25),
        "synth / floor through the package root": (rows["synth"]["median"] / rows["floor_root"]["median"], None),
        "plan 200 users / 1 user": (rows["plan_200"]["median"] / rows["plan_1"]["median"], 2.0),
        "plan 50 users / 1 user": (rows["plan_50"]["median"] / rows["plan_1"]["median"], None),
        "plan 1 user, GOGC=400 / GOGC=100": (rows["plan_1"]["median"] / rows["plan_1_gogc100"]["median"], None),
        "pr-plan 4 workspaces / 1": (rows["pr_4"]["median"] / rows["pr_1"]["median"], 1.6),
    }
    if "suite" in rows:
        ratios["unit part, seconds"] = (rows["unit"]["median"], 60.0)
        ratios["full suite, seconds"] = (rows["suite"]["median"], 600.0)
    for ref, theirs in before.items():
        ratios[f"`{ref}`: pr-plan 4 workspaces / 1"] = (theirs["pr_4"]["median"] / theirs["pr_1"]["median"], 1.6)
    text = render(rows, ratios, before)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"[benchmark] wrote {args.out}", file=sys.stderr)
    return 0


LABELS = {
    "floor": "floor: import the AWS bindings used (one module each) + synth an empty stack",
    "floor_root": "baseline: the same, importing through the bindings' package root (all modules)",
    "synth": "synth of the platform stack (`python main.py`)",
    "plan_1": "terraform init + plan, dev, 1 user (emulator)",
    "plan_50": "terraform init + plan, dev, 50 users",
    "plan_200": "terraform init + plan, dev, 200 users",
    "plan_1_gogc100": "baseline: init + plan, 1 user, Go's default GC (GOGC=100)",
    "pr_1": "`scripts/platform pr-plan` 1 workspace (synth included)",
    "pr_4": "`scripts/platform pr-plan` 4 workspaces (one synth)",
    "unit": "unit part of the suite (`scripts/test -m \"not emulator\"`)",
    "suite": "full test suite (`scripts/test`)",
}


def versions() -> str:
    terraform = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout.splitlines()[0]
    from importlib.metadata import version

    return (f"{terraform}; Python {platform.python_version()}; cdktf {version('cdktf')}; "
            f"cdktf-cdktf-provider-aws {version('cdktf-cdktf-provider-aws')}; moto {version('moto')}")


def _row(label: str, r: dict) -> str:
    return f"| {label} | {r['median']:.1f} | {r['min']:.1f}-{r['max']:.1f} | {r['runs']} | {r['peak_mib']:.0f} |"


def render(rows: dict, ratios: dict, before: dict | None = None) -> str:
    """The Markdown report; ``before`` maps a git revision to its synth and pr-plan rows."""
    lines = [
        "# Benchmarks",
        "",
        f"Run of `scripts/benchmark` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"{platform.machine()}, {os.cpu_count()} cores; {versions()}.",
        "",
        "| figure | median s | min-max s | runs | peak MiB (largest process) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [_row(label, rows[key]) for key, label in LABELS.items() if key in rows]
    if before:
        refs = list(before)
        lines += ["", "Before and after, in the same run: medians (s) of earlier revisions and of this tree, "
                  "and this tree's time as a fraction of the first revision's.", "",
                  "| figure | " + " | ".join(f"`{ref}`" for ref in refs) + " | this tree | this / first |",
                  "| --- |" + " ---: |" * (len(refs) + 2)]
        for key in ("synth", "pr_1", "pr_4"):
            first, now = before[refs[0]][key]["median"], rows[key]["median"]
            cells = " | ".join(f"{before[ref][key]['median']:.1f}" for ref in refs)
            lines.append(f"| {LABELS[key]} | {cells} | {now:.1f} | {now / first:.2f} |")
    lines += ["", "| ratio or time | measured | target |", "| --- | ---: | --- |"]
    for label, (value, target) in ratios.items():
        verdict = "" if target is None else (f"<= {target} {'met' if value <= target else 'NOT met'}")
        lines.append(f"| {label} | {value:.2f} | {verdict} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
