"""tf.app: `tf.app.run(main=None, argv=None)` and `tf.app.flags`, as TF1 scripts use them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from flowzero.platform import flags


def run(main: Callable[..., Any] | None = None, argv: Sequence[str] | None = None) -> NoReturn:
    """Parses the flags from `argv` (default sys.argv), then exits with `main(argv)`'s result
    (`main` defaults to the `main` function of the program's `__main__` module)."""
    args = list(sys.argv if argv is None else argv)
    try:
        rest = flags.FLAGS(args)
    except flags.Error as e:  # as absl: a clear line and exit status 1, no traceback
        sys.stderr.write(f"FATAL Flags parsing error: {e}\nPass --help for the flags.\n")
        sys.exit(1)
    if main is None:
        main = getattr(sys.modules["__main__"], "main", None)
        if main is None:
            raise ValueError("tf.app.run: no main function given and __main__ has none.")
    sys.exit(main(rest))
