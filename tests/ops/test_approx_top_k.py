"""tf.math / tf.nn approx_max_k and approx_min_k (exact, as TF's CPU kernel): vs NumPy's stable
sort along any axis, the values' gradient, errors, and TF's max_k (skipped without it)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz
from flowzero.testing import gradient_check

X = np.random.default_rng(0).integers(0, 4, size=(3, 5, 4)).astype(np.float64)  # many ties


def ref(x, k, axis, largest):
    order = np.argsort(-x if largest else x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, idx, axis), idx.astype(np.int32)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("largest", [True, False])
def test_exact_k_along_any_axis(axis, largest):
    fn = fz.math.approx_max_k if largest else fz.math.approx_min_k
    with fz.Graph().as_default(), fz.Session() as s:
        v, i = s.run(fn(X, 2, reduction_dimension=axis))
    want_v, want_i = ref(X, 2, axis, largest)
    np.testing.assert_array_equal(v, want_v)
    np.testing.assert_array_equal(i, want_i)
    assert i.dtype == np.int32


def test_values_gradient():
    x = np.random.default_rng(1).normal(size=(3, 5))
    for fn in (fz.nn.approx_max_k, fz.nn.approx_min_k):
        gradient_check.assert_gradients_close(
            lambda t, fn=fn: fn(t, 2, reduction_dimension=0)[0], [x]
        )


def test_errors():
    with fz.Graph().as_default():
        with pytest.raises(ValueError, match=r"approx_max_k: k must be in \[0, 4\]"):
            fz.math.approx_max_k(X, 5)
        with pytest.raises(ValueError, match="approx_min_k: reduction_dimension 3"):
            fz.math.approx_min_k(X, 1, reduction_dimension=3)
        with pytest.raises(TypeError, match="approx_min_k: operand must be float or signed"):
            fz.math.approx_min_k(np.arange(4, dtype=np.uint8), 1)


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
def test_max_k_matches_tensorflow():
    import tensorflow as tf

    x = X.astype(np.float32)
    with tf.Graph().as_default(), tf.compat.v1.Session() as s:
        want = s.run(tf.math.approx_max_k(x, 3))  # TF's CPU kernel: max_k on the last axis
    with fz.Graph().as_default(), fz.Session() as s:
        got = s.run(fz.math.approx_max_k(x, 3))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
