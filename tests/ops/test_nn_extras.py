"""tf.nn.swish, tf.nn.zero_fraction and tf.nn.weighted_moments: NumPy references, gradients
by central differences, and TensorFlow where installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing import gradient_check

X = np.array([[1.0, 2.0, 0.0], [4.0, 0.0, -6.0]])
W = np.array([[1.0], [3.0]])


def _weighted(x, w, axes):
    wb = w * np.ones_like(x)
    mean = (wb * x).sum(axes, keepdims=True) / wb.sum(axes, keepdims=True)
    var = (wb * (x - mean) ** 2).sum(axes, keepdims=True) / wb.sum(axes, keepdims=True)
    return mean, var


def test_values_against_numpy():
    x, w = tf.constant(X), tf.constant(W)
    m, v = tf.nn.weighted_moments(x, [0], w)
    mk, vk = tf.nn.weighted_moments(x, [0, 1], w, keep_dims=True)
    with tf.Session() as sess:
        got = sess.run([m, v, mk, vk, tf.nn.swish(x), tf.nn.zero_fraction(x)])
    want_m, want_v = _weighted(X, W, (0,))
    np.testing.assert_allclose(got[0], want_m[0])
    np.testing.assert_allclose(got[1], want_v[0])
    want_mk, want_vk = _weighted(X, W, (0, 1))
    np.testing.assert_allclose(got[2], want_mk)
    np.testing.assert_allclose(got[3], want_vk)
    np.testing.assert_allclose(got[4], X / (1 + np.exp(-X)))
    assert got[5] == pytest.approx(2 / 6)


def test_gradients_by_central_differences():
    gradient_check.assert_gradients_close(lambda x: tf.nn.swish(x), [X])
    gradient_check.assert_gradients_close(
        lambda x, w: tf.add_n(list(tf.nn.weighted_moments(x, [0], w))), [X, W + 0.5]
    )


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
def test_matches_tensorflow():
    import tensorflow as real_tf

    def run(mod):
        g = mod.Graph()
        with g.as_default():
            x, w = mod.constant(X), mod.constant(W)
            m, v = mod.nn.weighted_moments(x, [0], w)
            with mod.Session(graph=g) as sess:
                return sess.run([m, v, mod.nn.swish(x), mod.nn.zero_fraction(x)])

    for a, b in zip(run(tf), run(real_tf.compat.v1)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
