"""``python -m scripts.security_scan``."""

import sys

from scripts.security_scan.cli import main

sys.exit(main())
