"""Where the suite's time goes: every ``terraform`` it runs, and the CPU that run and its providers used.

The suite row runs with a stand-in ``terraform`` first on PATH (:func:`stand_in`): it starts the
real one, waits for it with ``os.wait4``, whose resource usage covers the process and every child
it waited for (the provider plugins), and appends a line to a log: the subcommand, CPU seconds
(user + system) and wall seconds. :func:`summary` sums them by subcommand for the report. The
emulator and the Studio clients are not in it: on two cores, the Terraform CPU alone bounds
the suite from below (CPU seconds / 2).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

LOG_NAME = "terraform-runs.tsv"

_STAND_IN = '''#!{python} -I
# Written by scripts/benchmarks/terraform_accounting.py for one benchmark run: runs {real}, logs its CPU.
import os, signal, sys, time
start = time.monotonic()
pid = os.posix_spawn({real!r}, [{real!r}, *sys.argv[1:]], os.environ)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda number, frame: os.kill(pid, number))
while True:
    try:
        _, status, usage = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
command = next((a for a in sys.argv[1:] if not a.startswith("-")), "-")
with open({log!r}, "a") as log:
    log.write(f"{{command}}\\t{{usage.ru_utime + usage.ru_stime:.2f}}\\t{{time.monotonic() - start:.2f}}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
'''


def stand_in(folder: Path, env: dict) -> dict:
    """``env`` with a stand-in ``terraform`` (written into ``folder``) first on its PATH, logging
    into ``folder``/terraform-runs.tsv; ``env`` unchanged when it has no terraform."""
    real = shutil.which("terraform", path=env.get("PATH"))
    if real is None:
        return env
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "terraform"
    script.write_text(_STAND_IN.format(python=sys.executable, real=str(Path(real).resolve()),
                                       log=str(folder / LOG_NAME)))
    script.chmod(0o755)
    return {**env, "PATH": f"{folder}{':' + env['PATH'] if env.get('PATH') else ''}"}


def summary(folder: Path) -> dict:
    """{subcommand: {"runs", "cpu", "wall"}} of the log in ``folder``, most CPU first; {} without one."""
    totals: dict = {}
    try:
        lines = (folder / LOG_NAME).read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        try:
            command, cpu, wall = line.split("\t")
            cpu_seconds, wall_seconds = float(cpu), float(wall)
        except ValueError:
            continue
        entry = totals.setdefault(command, {"runs": 0, "cpu": 0.0, "wall": 0.0})
        entry["runs"] += 1
        entry["cpu"] += cpu_seconds
        entry["wall"] += wall_seconds
    return dict(sorted(totals.items(), key=lambda item: -item[1]["cpu"]))


def render(totals: dict) -> list[str]:
    """Markdown lines of :func:`summary` (none when it is empty)."""
    if not totals:
        return []
    runs, cpu = sum(t["runs"] for t in totals.values()), sum(t["cpu"] for t in totals.values())
    lines = [f"{runs} `terraform` runs, {cpu:.0f} CPU seconds with their providers (on two cores, at least "
             f"{cpu / 2:.0f} s of the suite's wall time even if nothing else ran):", "",
             "| subcommand | runs | CPU s | CPU s per run | wall s (summed) |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {name} | {t['runs']} | {t['cpu']:.1f} | {t['cpu'] / t['runs']:.1f} | {t['wall']:.0f} |"
              for name, t in totals.items()]
    return lines + [""]
