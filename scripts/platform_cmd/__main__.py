"""``python -m scripts.platform_cmd``: what ``scripts/platform`` runs."""

import sys

from scripts.platform_cmd.cli import main

sys.exit(main(cli_process=True))
