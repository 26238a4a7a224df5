"""`python -m flowzero ...`: the same as the `flowzero` command."""

import sys

from flowzero.cli import main

if __name__ == "__main__":
    sys.exit(main())
