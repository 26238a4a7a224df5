"""The table-driven trigonometric / hyperbolic functions against real TensorFlow: values and
gradients (skipped where TensorFlow is not installed)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)

NAMES = [
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "is_nan",
    "is_inf",
    "is_finite",
]


def _run(tf, name, xv):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, xv.shape)
        fn = getattr(tf.math, name)
        y = fn(x)
        fetch = [y]
        if y.dtype != tf.bool:
            fetch += tf.gradients(tf.reduce_sum(y * y), [x])
        with tf.Session(graph=g) as sess:
            return sess.run(fetch, {x: xv})


@pytest.mark.parametrize("name", NAMES)
def test_matches_tensorflow(name):
    import tensorflow as real_tf

    xv = np.random.default_rng(1).uniform(-0.9, 0.9, (3, 4))
    if name == "acosh":
        xv = 1.5 + np.abs(xv)
    if name.startswith("is_"):
        xv[0, :3] = [np.nan, np.inf, -np.inf]
    want = _run(real_tf.compat.v1, name, xv)
    got = _run(fz, name, xv)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
@pytest.mark.parametrize(
    "exclusive, reverse", [(False, False), (True, False), (False, True), (True, True)]
)
def test_scans_match_tensorflow(fn, exclusive, reverse):
    import tensorflow as real_tf

    xv = np.random.default_rng(2).uniform(0.5, 1.5, (3, 4))

    def run(tf):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float64, xv.shape)
            y = getattr(tf, fn)(x, axis=1, exclusive=exclusive, reverse=reverse)
            (dx,) = tf.gradients(tf.reduce_sum(y * y), [x])
            with tf.Session(graph=g) as sess:
                return sess.run([y, dx], {x: xv})

    for a, b in zip(run(fz), run(real_tf.compat.v1)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
