"""``python -m scripts.benchmarks``: what ``scripts/benchmark`` runs."""

import sys

from scripts.benchmarks.cli import main

sys.exit(main())
