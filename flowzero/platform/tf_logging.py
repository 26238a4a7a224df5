"""tf.logging: TF1's logging calls over Python's `logging` (logger "flowzero")."""

from __future__ import annotations

import logging as _logging
import sys
from typing import Any

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARNING
WARNING = _logging.WARNING
ERROR = _logging.ERROR
FATAL = _logging.FATAL

_logger = _logging.getLogger("flowzero")
_handler: _logging.Handler | None = None
if not _logger.handlers:
    _handler = _logging.StreamHandler(sys.stderr)
    _handler.setFormatter(_logging.Formatter("%(levelname)s:flowzero:%(message)s"))
    _logger.addHandler(_handler)
    _logger.propagate = False
    _logger.setLevel(WARN)  # TF1's default: warnings and above


def route_to_root() -> None:
    """For a program that configures logging itself (the model server): drop tf.logging's own
    stderr handler and let flowzero's records go to the root logger's handlers, with their
    format, level and filters (the server's rate limit)."""
    if _handler is not None:
        _logger.removeHandler(_handler)
    _logger.propagate = True
    _logger.setLevel(_logging.NOTSET)


_counts: dict[Any, int] = {}


def get_logger() -> _logging.Logger:
    return _logger


def set_verbosity(v: int) -> None:
    _logger.setLevel(v)


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def log(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.log(level, msg, *args, **kwargs)


def debug(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.debug(msg, *args, **kwargs)


def info(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.info(msg, *args, **kwargs)


def warning(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.warning(msg, *args, **kwargs)


warn = warning


def error(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.error(msg, *args, **kwargs)


def fatal(msg: Any, *args: Any, **kwargs: Any) -> None:
    _logger.critical(msg, *args, **kwargs)


def log_every_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Logs the 1st, (n+1)th, (2n+1)th ... call from the same place."""
    key = (sys._getframe(1).f_code, sys._getframe(1).f_lineno)
    c = _counts.get(key, 0)
    _counts[key] = c + 1
    if c % max(int(n), 1) == 0:
        _logger.log(level, msg, *args)


def log_first_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Logs only the first n calls from the same place."""
    key = (sys._getframe(1).f_code, sys._getframe(1).f_lineno)
    c = _counts.get(key, 0)
    _counts[key] = c + 1
    if c < n:
        _logger.log(level, msg, *args)


def log_if(level: int, msg: Any, condition: Any, *args: Any) -> None:
    if condition:
        _logger.log(level, msg, *args)
