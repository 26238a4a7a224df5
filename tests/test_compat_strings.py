"""tf.compat's text helpers (as_bytes, as_text, ...), also reached as
tensorflow.python.util.compat, which TF1 programs import."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowzero as tf


def test_as_bytes_and_as_text_round_trip():
    assert tf.compat.as_bytes("models/π") == "models/π".encode()
    assert tf.compat.as_bytes(bytearray(b"ab")) == b"ab"
    assert tf.compat.as_text(b"caf\xc3\xa9") == "café"
    assert tf.compat.as_str is tf.compat.as_text
    assert tf.compat.as_bytes("é", encoding="latin-1") == b"\xe9"
    assert tf.compat.as_str_any(b"x") == "x" and tf.compat.as_str_any(3) == "3"


@pytest.mark.parametrize("bad", [None, 3, 1.5, ["a"]])
def test_non_strings_are_type_errors(bad):
    with pytest.raises(TypeError, match="Expected binary or unicode string"):
        tf.compat.as_bytes(bad)
    with pytest.raises(TypeError, match="Expected binary or unicode string"):
        tf.compat.as_text(bad)


def test_paths_types_and_dimensions(tmp_path):
    p = pathlib.Path(tmp_path) / "m"
    assert tf.compat.path_to_str(p) == str(p) and tf.compat.path_to_str(7) == 7
    assert tf.compat.path_to_bytes(p) == str(p).encode()
    assert isinstance(np.int64(3), tf.compat.integral_types)
    assert isinstance(2.5, tf.compat.real_types) and not isinstance("a", tf.compat.real_types)
    assert tf.compat.dimension_value(tf.TensorShape([None, 4])[1]) == 4
    assert tf.compat.forward_compatible(2019, 1, 1) and not tf.compat.forward_compatible(2021, 1, 1)


def test_tensorflow_python_util_compat_path():
    from flowzero.python.util import compat

    assert compat.as_bytes is tf.compat.as_bytes
    assert compat.as_text is tf.compat.as_text
    # SavedModel exports in TF1 tutorials join paths this way.
    assert compat.as_bytes("/tmp") + b"/" + compat.as_bytes(str(1)) == b"/tmp/1"
