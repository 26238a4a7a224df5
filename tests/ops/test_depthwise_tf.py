"""tf.nn.depthwise_conv2d / separable_conv2d against TensorFlow (skipped where it is not
installed): values and gradients of input and filters (float64), several geometries; errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)

GEOMETRIES = [  # strides, padding, rate, kernel
    ([1, 1, 1, 1], "SAME", None, 3),
    ([1, 2, 2, 1], "SAME", None, 3),
    ([1, 2, 2, 1], "VALID", None, 2),
    ([1, 1, 1, 1], "VALID", [2, 2], 3),
]


@needs_tf
@pytest.mark.parametrize("strides, padding, rate, k", GEOMETRIES)
def test_depthwise_and_separable_match_tensorflow(strides, padding, rate, k):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 6, 3))
    dw = rng.normal(size=(k, k, 3, 2))
    pw = rng.normal(size=(1, 1, 6, 4))

    def program(m, xt, dwt, pwt):
        y = m.nn.depthwise_conv2d(xt, dwt, strides, padding, rate)
        z = m.nn.separable_conv2d(xt, dwt, pwt, strides, padding, rate)
        return y, z

    xt, dwt, pwt = (tf.constant(v) for v in (x, dw, pw))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([xt, dwt, pwt])
        y, z = program(tf.compat.v1, xt, dwt, pwt)
        loss = tf.reduce_sum(y * y) + tf.reduce_sum(tf.sin(z))
    want = [y.numpy(), z.numpy(), *(g.numpy() for g in tape.gradient(loss, [xt, dwt, pwt]))]

    fx, fdw, fpw = (fz.constant(v) for v in (x, dw, pw))
    fy, fzz = program(fz, fx, fdw, fpw)
    floss = fz.reduce_sum(fy * fy) + fz.reduce_sum(fz.sin(fzz))
    with fz.Session() as sess:
        got = sess.run([fy, fzz, *fz.gradients(floss, [fx, fdw, fpw])])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_errors_name_the_shapes():
    x = fz.ones([1, 4, 4, 3])
    with pytest.raises(fz.errors.InvalidArgumentError, match="input depth must equal filter"):
        fz.nn.depthwise_conv2d(x, fz.ones([3, 3, 2, 1]), [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="strides must be 1 when the rate is above 1"):
        fz.nn.depthwise_conv2d(x, fz.ones([3, 3, 3, 1]), [1, 2, 2, 1], "SAME", rate=2)
    with pytest.raises(ValueError, match=r"pointwise_filter must be \[1, 1, in, out\]"):
        fz.nn.separable_conv2d(
            x, fz.ones([3, 3, 3, 1]), fz.ones([3, 3, 3, 4]), [1, 1, 1, 1], "SAME"
        )
