"""`python -m flowzero.serving --model-base-path BASE --model-name NAME --port 8501`."""

from __future__ import annotations

import sys

from flowzero.cli.serve import main

if __name__ == "__main__":
    sys.exit(main())
