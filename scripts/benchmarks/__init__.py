"""``scripts/benchmark``: the speed targets, each revision measured in a fresh clone
(cli.py says what and how). The package: cli.py (the command line, one run), rows.py (the rows
of one revision), measure.py (one command's time and memory, the programs rows run),
report.py (docs/benchmarks.md from the figures, tested on made-up ones)."""

from scripts.benchmarks.cli import main, parse_args
from scripts.benchmarks.measure import clean_env, measure, used_binding_modules

__all__ = ["clean_env", "main", "measure", "parse_args", "used_binding_modules"]
