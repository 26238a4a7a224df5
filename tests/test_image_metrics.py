"""tf.image.psnr, ssim, ssim_multiscale: against TensorFlow (where installed), NumPy facts
(identical images, the PSNR formula), numerical gradients, errors."""

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
A = RNG.uniform(size=(2, 24, 20, 3)).astype(np.float32)
B = np.clip(A + RNG.normal(scale=0.1, size=A.shape), 0, 1).astype(np.float32)
BIG_A = RNG.uniform(size=(1, 180, 176, 1)).astype(np.float32)
BIG_B = np.clip(BIG_A + RNG.normal(scale=0.2, size=BIG_A.shape), 0, 1).astype(np.float32)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def _program(m, a, b, big_a, big_b):
    return [
        m.image.psnr(a, b, 1.0),
        m.image.ssim(a, b, 1.0),
        m.image.ssim(a[0], b[0], 1.0, filter_size=7, filter_sigma=1.0, k1=0.02, k2=0.05),
        m.image.ssim_multiscale(a, b, 1.0, power_factors=(0.3, 0.7), filter_size=5),
        m.image.ssim_multiscale(big_a, big_b, 1.0),
        m.image.psnr((A * 255).astype(np.uint8), (B * 255).astype(np.uint8), 255),
    ]


@needs_tf
@pytest.mark.slow
def test_against_tensorflow():
    import tensorflow as real

    args = (A, B, BIG_A, BIG_B)
    want = [np.asarray(v) for v in _program(real.compat.v1, *map(real.constant, args))]
    with tf.Graph().as_default():
        got = _run(_program(tf, *map(tf.constant, args)))
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, k
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6, err_msg=str(k))


def test_numpy_facts():
    with tf.Graph().as_default():
        p, s_same, ms_same = _run(
            [
                tf.image.psnr(A, B, 1.0),
                tf.image.ssim(A, A, 1.0),
                tf.image.ssim_multiscale(A, A, 1.0, power_factors=(0.5, 0.5), filter_size=5),
            ]
        )
    mse = ((A.astype(np.float64) - B) ** 2).mean((1, 2, 3))
    np.testing.assert_allclose(p, 10 * np.log10(1 / mse), rtol=1e-5)
    np.testing.assert_allclose(s_same, [1, 1], rtol=1e-6)
    np.testing.assert_allclose(ms_same, [1, 1], rtol=1e-6)


def test_ssim_gradient():
    # ssim computes in float32 (as TF); its float64 core is checked by central differences.
    from flowzero.image_metrics import _ssim_per_channel

    a, b = A[0, :8, :8, :2].astype(np.float64), B[0, :8, :8, :2].astype(np.float64)

    def f(x, y):
        one = tf.constant(1.0, tf.float64)
        return _ssim_per_channel(x, y, one, 5, 1.5, 0.01, 0.03, "ssim")[0]

    gradient_check.assert_gradients_close(f, [a, b], [0, 1])


@needs_tf
def test_ssim_gradient_against_tensorflow():
    import tensorflow as real

    at, bt = real.constant(A), real.constant(B)
    with real.GradientTape() as tape:
        tape.watch(at)
        s = real.image.ssim(at, bt, 1.0)
    want = tape.gradient(s, at).numpy()
    with tf.Graph().as_default():
        a = tf.constant(A)
        got = _run(tf.gradients(tf.image.ssim(a, B, 1.0), a)[0])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="ssim: the images .* at least filter_size"):
            tf.image.ssim(tf.zeros([5, 5, 1]), tf.zeros([5, 5, 1]), 1.0)
        with pytest.raises(ValueError, match="psnr: the two images must have the same shape"):
            tf.image.psnr(tf.zeros([5, 5, 1]), tf.zeros([5, 4, 1]), 1.0)
        with pytest.raises(TypeError, match="psnr: the two images must have the same dtype"):
            tf.image.psnr(tf.zeros([5, 5, 1]), tf.zeros([5, 5, 1], tf.float64), 1.0)
