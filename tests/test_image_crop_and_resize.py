"""tf.image.crop_and_resize against TensorFlow (where installed): values for bilinear/nearest,
flipped and out-of-image boxes, extrapolation_value, crop size 1; the image gradient; NumPy
facts; central differences; errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
IMG = np.random.default_rng(0).uniform(size=(2, 6, 7, 3)).astype(np.float32)
BOXES = np.array(
    [[0.1, 0.2, 0.8, 0.9], [0.9, 0.8, 0.0, 0.1], [-0.2, -0.3, 1.2, 0.5], [0.3, 0.3, 0.3, 0.3]],
    np.float32,
)
IND = np.array([0, 1, 1, 0], np.int32)


def _program(m, img):
    return [
        m.image.crop_and_resize(img, BOXES, IND, [4, 5]),
        m.image.crop_and_resize(img, BOXES, IND, [3, 3], method="nearest"),
        m.image.crop_and_resize(img, BOXES, IND, [1, 2], extrapolation_value=-1.0),
    ]


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


@needs_tf
def test_against_tensorflow():
    import tensorflow as real

    it = real.constant(IMG)
    with real.GradientTape() as tape:
        tape.watch(it)
        outs = _program(real.compat.v1, it)
        loss = sum(real.reduce_sum(real.sin(o)) for o in outs)
    want = [o.numpy() for o in outs] + [tape.gradient(loss, it).numpy()]
    with tf.Graph().as_default():
        x = tf.constant(IMG)
        outs = _program(tf, x)
        loss = tf.add_n([tf.reduce_sum(tf.sin(o)) for o in outs])
        got = _run([*outs, tf.gradients(loss, x)[0]])
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == w.dtype, k
        np.testing.assert_allclose(g, w, atol=2e-6, err_msg=str(k))


def test_whole_image_box_is_a_corner_aligned_resize():
    with tf.Graph().as_default():
        a = tf.image.crop_and_resize(IMG, [[0, 0, 1, 1]], [1], [4, 5])
        b = tf.image.resize_bilinear(IMG[1:], [4, 5], align_corners=True)
        a, b = _run([a, b])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_gradient_is_the_adjoint():
    # crop_and_resize is linear in the image (float32 inside, as TF, too coarse for central
    # differences): its gradient G must satisfy <crop(x), dy> = <x, G(dy)> for any x and dy.
    rng = np.random.default_rng(1)
    x = rng.normal(size=IMG.shape).astype(np.float32)
    for method in ("bilinear", "nearest"):
        with tf.Graph().as_default():
            img = tf.constant(IMG)
            y = tf.image.crop_and_resize(img, BOXES, IND, [4, 3], method=method)
            dy = rng.normal(size=(4, 4, 3, 3)).astype(np.float32)
            g = tf.gradients(y, img, dy)[0]
            cx = tf.image.crop_and_resize(x, BOXES, IND, [4, 3], method=method)
            g, cx = _run([g, cx])
        np.testing.assert_allclose(np.sum(cx * dy), np.sum(x * g), rtol=1e-5)
    with tf.Graph().as_default():
        dy = tf.constant(rng.normal(size=(4, 4, 3, 3)).astype(np.float32))
        img = tf.constant(IMG)
        g = tf.gradients(tf.image.crop_and_resize(img, BOXES, IND, [4, 3]), img, dy)[0]
        gg = tf.gradients(g, dy, tf.constant(x))[0]  # the adjoint of the adjoint: crop again
        gg, cx = _run([gg, tf.image.crop_and_resize(x, BOXES, IND, [4, 3])])
    np.testing.assert_allclose(gg, cx, rtol=1e-5, atol=1e-6)


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match="CropAndResize.*boxes must be"):
            tf.image.crop_and_resize(IMG, np.zeros((2, 3), np.float32), [0, 0], [2, 2])
        with pytest.raises(InvalidArgumentError, match="CropAndResize.*same number of boxes"):
            tf.image.crop_and_resize(IMG, BOXES, [0, 1], [2, 2])
        with pytest.raises(InvalidArgumentError, match="CropAndResize.*method"):
            tf.image.crop_and_resize(IMG, BOXES, IND, [2, 2], method="cubic")
        bad = tf.image.crop_and_resize(IMG, BOXES, [0, 1, 2, 0], [2, 2])
        with pytest.raises(InvalidArgumentError, match="box_ind must be in \\[0, 2\\)"):
            _run(bad)
