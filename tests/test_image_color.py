"""tf.image colour spaces and hue/saturation adjustments: against NumPy (colorsys), TensorFlow
(where installed), numerical gradients, seeded randomness, errors."""

from __future__ import annotations

import colorsys
import importlib.util

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing import gradient_check

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
RGB = np.random.default_rng(0).uniform(size=(2, 4, 5, 3))
RGB[0, 0, 0] = [0.3, 0.3, 0.3]  # grey: hue and saturation 0
RGB[0, 0, 1] = [0.0, 0.0, 0.0]  # black
RGB[0, 0, 2] = [0.9, 0.2, 0.2]  # red: r is the max
RGB[0, 0, 3] = [0.1, 0.2, 0.9]  # blue


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def _program(m, x):
    return [
        m.image.rgb_to_hsv(x),
        m.image.hsv_to_rgb(m.image.rgb_to_hsv(x)),
        m.image.rgb_to_yiq(x),
        m.image.yiq_to_rgb(m.image.rgb_to_yiq(x)),
        m.image.rgb_to_yuv(x),
        m.image.yuv_to_rgb(m.image.rgb_to_yuv(x)),
        m.image.adjust_hue(x, 0.3),
        m.image.adjust_hue(x, -0.45),
        m.image.adjust_saturation(x, 0.4),
        m.image.adjust_saturation(x, 3.0),
    ]


def test_hsv_against_colorsys_and_round_trips():
    with tf.Graph().as_default():
        got = _run(_program(tf, tf.constant(RGB)))
    want_hsv = np.array([colorsys.rgb_to_hsv(*p) for p in RGB.reshape(-1, 3)]).reshape(RGB.shape)
    np.testing.assert_allclose(got[0], want_hsv, atol=1e-12)
    np.testing.assert_allclose(got[1], RGB, atol=1e-12)
    for k in (3, 5):  # TF's matrices are rounded: their round trip is good to ~1e-4
        np.testing.assert_allclose(got[k], RGB, atol=1e-4)
    hue = np.array(
        [colorsys.hsv_to_rgb((h + 0.3) % 1, s, v) for h, s, v in want_hsv.reshape(-1, 3)]
    )
    np.testing.assert_allclose(got[6], hue.reshape(RGB.shape), atol=1e-12)
    sat = np.array([colorsys.hsv_to_rgb(h, s * 0.4, v) for h, s, v in want_hsv.reshape(-1, 3)])
    np.testing.assert_allclose(got[8], sat.reshape(RGB.shape), atol=1e-12)


@needs_tf
def test_against_tensorflow():
    import tensorflow as real

    x32 = RGB.astype(np.float32)
    want = [np.asarray(v) for v in _program(real.compat.v1, real.constant(x32))]
    with tf.Graph().as_default():
        got = _run(_program(tf, tf.constant(x32)))
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, atol=2e-6, err_msg=str(k))
    # uint8 images: converted to float and back, saturating
    u8 = (RGB * 255).astype(np.uint8)
    want = real.image.adjust_hue(u8, 0.2).numpy()
    with tf.Graph().as_default():
        got = _run(tf.image.adjust_hue(u8, 0.2))
    assert got.dtype == np.uint8
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_gradients_match_central_differences():
    x = RGB[1, :2, :2]  # no ties among channels
    for fn in (
        tf.image.rgb_to_hsv,
        tf.image.rgb_to_yiq,
        lambda a: tf.image.adjust_hue(a, 0.2),
        lambda a: tf.image.adjust_saturation(a, 0.5),
    ):
        gradient_check.assert_gradients_close(fn, [x], [0])
    hsv = np.stack([RGB[1, :2, :2, 0] * 0.9 + 0.05, RGB[1, :2, :2, 1], RGB[1, :2, :2, 2]], -1)
    gradient_check.assert_gradients_close(tf.image.hsv_to_rgb, [hsv], [0])


def test_random_hue_and_saturation_are_seeded():
    def draw():
        with tf.Graph().as_default():
            tf.set_random_seed(3)
            x = tf.constant(RGB)
            return _run(
                [tf.image.random_hue(x, 0.2, seed=1), tf.image.random_saturation(x, 0.5, 1.5)]
            )

    a, b = draw(), draw()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], RGB)


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="rgb_to_hsv: the last dimension of images must be 3"):
            tf.image.rgb_to_hsv(tf.zeros([2, 2, 4]))
        with pytest.raises(TypeError, match="rgb_to_yiq: images must be a floating"):
            tf.image.rgb_to_yiq(tf.zeros([2, 3], tf.int32))
        with pytest.raises(ValueError, match="random_hue: max_delta must be <= 0.5"):
            tf.image.random_hue(tf.zeros([2, 2, 3]), 0.7)
        with pytest.raises(ValueError, match="random_saturation: upper must be > lower"):
            tf.image.random_saturation(tf.zeros([2, 2, 3]), 1.0, 0.5)
        with pytest.raises(ValueError, match="adjust_hue: image must be"):
            tf.image.adjust_hue(tf.zeros([2, 2, 2]), 0.1)
