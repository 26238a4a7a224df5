"""The nn_impl composites sufficient_statistics, normalize_moments, log_poisson_loss, silu,
batch_norm_with_global_normalization, compute_average_loss, scale_regularization_loss: against
NumPy (always) and TensorFlow (where installed); numerical gradients; errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing import gradient_check

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3, 5))
T = np.abs(RNG.normal(size=(4, 3, 5))) * 3  # some targets <= 1, some > 1


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def _program(m, x, t):
    c, ms, vs, _ = m.nn.sufficient_statistics(x, [0, 2])
    c2, ms2, vs2, sh = m.nn.sufficient_statistics(
        x, [1], shift=m.constant(0.5, m.float64), keepdims=True
    )
    mean, var = m.nn.normalize_moments(c2, ms2, vs2, sh)
    return [
        c,
        ms,
        vs,
        mean,
        var,
        m.nn.log_poisson_loss(t, x),
        m.nn.log_poisson_loss(t, x, compute_full_loss=True),
        m.nn.silu(x),
        m.nn.batch_norm_with_global_normalization(x, 0.1, 2.0, 0.5, 3.0, 1e-3, True),
        m.nn.batch_norm_with_global_normalization(x, 0.1, 2.0, 0.5, 3.0, 1e-3, False),
        m.nn.compute_average_loss(x[:, 0, 0], sample_weight=t[:, 0, 0]),
        m.nn.compute_average_loss(x[:, 0, 0], global_batch_size=8),
        m.nn.scale_regularization_loss([x[0, 0, 0], x[1, 0, 0]]),
    ]


def test_against_numpy():
    with tf.Graph().as_default():
        got = _run(_program(tf, tf.constant(X), tf.constant(T)))
    mean, var = X.mean(1, keepdims=True), X.var(1, keepdims=True)
    stirling = T * np.log(T) - T + 0.5 * np.log(2 * np.pi * T)
    want = [
        20.0,
        X.sum((0, 2)),
        (X**2).sum((0, 2)),
        mean,
        var,
        np.exp(X) - X * T,
        np.exp(X) - X * T + np.where(T <= 1, 0, stirling),
        X / (1 + np.exp(-X)),
        (X - 0.1) / np.sqrt(2.001) * 3 + 0.5,
        (X - 0.1) / np.sqrt(2.001) + 0.5,
        np.sum(X[:, 0, 0] * T[:, 0, 0]) / 4,
        np.sum(X[:, 0, 0]) / 8,
        X[0, 0, 0] + X[1, 0, 0],
    ]
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=str(k))


@needs_tf
def test_against_tensorflow():
    import tensorflow as real

    # TF converts the Python floats of batch_norm_with_global_normalization to float32.
    want = [np.asarray(v) for v in _program(real.compat.v1, real.constant(X), real.constant(T))]
    with tf.Graph().as_default():
        got = _run(_program(tf, tf.constant(X), tf.constant(T)))
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7, err_msg=str(k))


def test_gradients_match_central_differences():
    x, t = X[:2, :2, :3], T[:2, :2, :3]
    gradient_check.assert_gradients_close(
        lambda a, b: tf.nn.log_poisson_loss(b, a, compute_full_loss=True), [x, t], [0]
    )
    gradient_check.assert_gradients_close(lambda a: tf.nn.silu(a, beta=1.5), [x], [0])
    gradient_check.assert_gradients_close(
        lambda a: tf.nn.normalize_moments(*tf.nn.sufficient_statistics(a, [1]))[1], [x], [0]
    )


def test_unknown_shape_count_and_errors():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [None, 3])
        c, m, v, _ = tf.nn.sufficient_statistics(p, [0, 1])
        got = tf.Session().run([c, m], {p: np.ones((4, 3))})
        assert got == [12.0, 12.0]
        with pytest.raises(TypeError, match="log_poisson_loss: log_input must be a floating"):
            tf.nn.log_poisson_loss([1, 2], [1, 2])
        with pytest.raises(ValueError, match="log_poisson_loss: .*same shape"):
            tf.nn.log_poisson_loss(tf.zeros([3]), tf.zeros([2]))
        with pytest.raises(ValueError, match="compute_average_loss: .*rank at least 1"):
            tf.nn.compute_average_loss(tf.constant(1.0))
        with pytest.raises(TypeError, match="batch_norm_with_global_normalization"):
            tf.nn.batch_norm_with_global_normalization(tf.zeros([2]), 0.0, 1.0, 0.0, 1.0)
