"""tf.nn.lrn against TensorFlow's LRN kernel (float32, as TF's kernel takes): values and
gradients. Skipped where TensorFlow is not installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"depth_radius": 4, "bias": 1.0, "alpha": 0.001 / 9, "beta": 0.75},
        {"depth_radius": 2, "bias": 2.0, "alpha": 0.3, "beta": 0.6},
    ],
)
def test_lrn_matches_tensorflow(args):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 3, 9)).astype(np.float32)
    dy = rng.normal(size=x.shape).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.nn.local_response_normalization(xt, **args)
    g = tape.gradient(y, xt, output_gradients=tf.constant(dy))
    fx = fz.constant(x)
    fy = fz.nn.lrn(fx, **args)
    (fg,) = fz.gradients(fy, fx, grad_ys=fz.constant(dy))
    with fz.Session() as sess:
        got_y, got_g = sess.run([fy, fg])
    np.testing.assert_allclose(got_y, y.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_g, g.numpy(), rtol=1e-4, atol=1e-5)
