"""resize_area, resize_bicubic (and resize_images' AREA/BICUBIC), resize_image_with_pad against
TensorFlow (where installed) and simple NumPy facts; bicubic's gradient against TF's."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
X = np.random.default_rng(0).uniform(size=(2, 7, 9, 3)).astype(np.float32)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def _program(m, x):
    out = []
    for size in ([3, 4], [5, 9], [14, 13], [1, 1]):
        for ac in (False, True):
            out.append(m.image.resize_area(x, size, align_corners=ac))
            out.append(m.image.resize_bicubic(x, size, align_corners=ac))
        out.append(m.image.resize_bicubic(x, size, half_pixel_centers=True))
    out.append(m.image.resize_image_with_pad(x, 10, 20))
    out.append(m.image.resize_image_with_pad(x[0], 5, 4, method=m.image.ResizeMethod.AREA))
    out.append(m.image.resize_images(x, [4, 6], method=m.image.ResizeMethod.BICUBIC))
    return out


@needs_tf
def test_against_tensorflow():
    import tensorflow as real

    want = [np.asarray(v) for v in _program(real.compat.v1, real.constant(X))]
    with tf.Graph().as_default():
        got = _run(_program(tf, tf.constant(X)))
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == w.dtype, k
        np.testing.assert_allclose(g, w, atol=2e-6, err_msg=str(k))


@needs_tf
def test_bicubic_gradient_against_tensorflow():
    import tensorflow as real

    dy = np.random.default_rng(1).normal(size=(2, 11, 5, 3)).astype(np.float32)
    xt = real.constant(X)
    with real.GradientTape() as tape:
        tape.watch(xt)
        y = real.compat.v1.image.resize_bicubic(xt, [11, 5])
    want = tape.gradient(y, xt, output_gradients=real.constant(dy)).numpy()
    with tf.Graph().as_default():
        x = tf.constant(X)
        got = _run(tf.gradients(tf.image.resize_bicubic(x, [11, 5]), x, dy)[0])
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_area_averages_blocks_and_has_no_gradient():
    with tf.Graph().as_default():
        x = tf.constant(X[:, :6, :9])
        y = tf.image.resize_area(x, [2, 3])
        got = _run(y)
        # NOTE: registered not differentiable (TF raises LookupError: it has no gradient)
        assert tf.gradients(y, x) == [None]
    want = X[:, :6, :9].reshape(2, 2, 3, 3, 3, 3).mean((2, 4))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_resize_with_pad_layout_and_errors():
    with tf.Graph().as_default():
        y = _run(tf.image.resize_image_with_pad(np.ones((4, 2, 1), np.float32), 4, 6))
        with pytest.raises(ValueError, match="resize_image_with_pad: needs static"):
            tf.image.resize_image_with_pad(tf.placeholder(tf.float32, [None, 3, 1]), 2, 2)
    assert y.shape == (4, 6, 1)
    np.testing.assert_array_equal(y[:, :, 0], [[0, 0, 1, 1, 0, 0]] * 4)
