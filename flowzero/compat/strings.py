"""tf.compat's text and number helpers (TF 1.15's tensorflow/python/util/compat.py): bytes <->
str conversions that TF1 programs use around file names, SavedModel paths and string tensors,
and the tuples of Python/NumPy types TF checks against."""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np

bytes_or_text_types = (bytes, str)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)
complex_types = (numbers.Complex, np.number)


def as_bytes(bytes_or_text: Any, encoding: str = "utf-8") -> bytes:
    """`bytes_or_text` as bytes: a str encoded with `encoding`, bytes (or a bytearray) as they
    are. Anything else is a TypeError, as in TF."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text: Any, encoding: str = "utf-8") -> str:
    """`bytes_or_text` as str: bytes decoded with `encoding`, a str as it is; else TypeError."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text).decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text
as_unicode = as_text


def as_str_any(value: Any) -> str:
    """str(value), except that bytes are decoded (as_str) rather than shown as b'...'."""
    return as_str(value) if isinstance(value, bytes) else str(value)


def path_to_str(path: Any) -> Any:
    """A path-like object as its str (os.fspath); anything else unchanged."""
    return os.fspath(path) if hasattr(path, "__fspath__") else path


def path_to_bytes(path: Any) -> Any:
    """A path-like object as bytes (os.fsencode); anything else unchanged."""
    return os.fsencode(path) if hasattr(path, "__fspath__") else path


def forward_compatible(year: int, month: int, day: int) -> bool:
    """Whether the graph may use features that TF older than the given date cannot read.
    flowzero writes TF 1.15's formats, whose horizon is 2019-11-01 (TF 1.15's release)."""
    return (year, month, day) < (2019, 11, 1)


__all__ = [
    "as_bytes",
    "as_text",
    "as_str",
    "as_unicode",
    "as_str_any",
    "path_to_str",
    "path_to_bytes",
    "forward_compatible",
    "bytes_or_text_types",
    "integral_types",
    "real_types",
    "complex_types",
]
