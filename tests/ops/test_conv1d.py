"""tf.nn.conv1d: against a NumPy reference, by central differences, and against TensorFlow."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing import gradient_check


def _reference(x, w, stride, padding):
    b, width, ci = x.shape
    fw, _, co = w.shape
    if padding == "SAME":
        out_w = -(-width // stride)
        pad = max((out_w - 1) * stride + fw - width, 0)
        x = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (0, 0)))
    else:
        out_w = (width - fw) // stride + 1
    return np.stack(
        [np.einsum("bfc,fco->bo", x[:, i * stride : i * stride + fw], w) for i in range(out_w)],
        axis=1,
    )


@pytest.mark.parametrize("stride, padding", [(1, "VALID"), (2, "SAME"), (1, "SAME")])
def test_values_and_gradients(stride, padding):
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((2, 7, 3)), rng.standard_normal((3, 3, 4))
    with tf.Session() as sess:
        got = sess.run(tf.nn.conv1d(xv, wv, stride, padding))
    np.testing.assert_allclose(got, _reference(xv, wv, stride, padding), rtol=1e-10)
    gradient_check.assert_gradients_close(
        lambda x, w: tf.nn.conv1d(x, w, stride, padding), [xv, wv]
    )


def test_ncw_and_errors():
    rng = np.random.default_rng(1)
    xv, wv = rng.standard_normal((2, 7, 3)), rng.standard_normal((3, 3, 4))
    with tf.Session() as sess:
        nwc = sess.run(tf.nn.conv1d(xv, wv, 1, "VALID"))
        ncw = sess.run(tf.nn.conv1d(np.transpose(xv, (0, 2, 1)), wv, 1, "VALID", data_format="NCW"))
    np.testing.assert_allclose(np.transpose(ncw, (0, 2, 1)), nwc, rtol=1e-10)
    with pytest.raises(ValueError, match="data_format"):
        tf.nn.conv1d(xv, wv, 1, "VALID", data_format="NHWC")


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
def test_matches_tensorflow():
    import tensorflow as real_tf

    rng = np.random.default_rng(2)
    xv, wv = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 5))

    def run(mod):
        g = mod.Graph()
        with g.as_default():
            x = mod.constant(xv)
            w = mod.constant(wv)
            y = mod.nn.conv1d(x, w, 2, "SAME")
            dx, dw = mod.gradients(mod.reduce_sum(y * y), [x, w])
            with mod.Session(graph=g) as sess:
                return sess.run([y, dx, dw])

    for a, b in zip(run(tf), run(real_tf.compat.v1)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
