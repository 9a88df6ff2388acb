"""Measuring one command: wall time and peak memory of a child process; the programs the
rows run, the environment and the trees they run in."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from scripts.errors import ScriptError
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
           "peak_mib": max(peaks), "runs": repeat, "seconds": seconds}
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
