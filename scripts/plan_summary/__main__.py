"""``python -m scripts.plan_summary``."""

import sys

from scripts.plan_summary.cli import main

sys.exit(main())
