"""Accuracy of the vectorised special-function kernels against high-precision references."""

import math

import numpy as np
import pytest

import flowzero as tf
from flowzero.ops.erf_kernel import erf64, erfc64

_X = np.concatenate(
    [
        np.random.default_rng(1).uniform(-30.0, 30.0, 3000),
        np.random.default_rng(2).uniform(-3.0, 3.0, 3000),
        np.random.default_rng(3).normal(0.0, 1e-4, 200),
        # the piece edges and the underflow end
        [0.0, -0.0, 0.5, -0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 8.5, 12.0, 18.0, 26.5, 27.9, 28.0],
    ]
)


@pytest.mark.parametrize("fn, ref", [(erf64, math.erf), (erfc64, math.erfc)])
def test_erf_kernels_match_math_to_a_few_ulp(fn, ref):
    got = fn(_X)
    want = np.array([ref(v) for v in _X])
    normal = np.abs(want) > 1e-300  # below, erfc is subnormal and loses bits anyway
    np.testing.assert_allclose(got[normal], want[normal], rtol=1e-15, atol=0)
    np.testing.assert_allclose(got[~normal], want[~normal], rtol=0, atol=1e-300)


def test_erf_kernels_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 40.0, -40.0])
    np.testing.assert_array_equal(erf64(x), [1.0, -1.0, np.nan, 1.0, -1.0])
    np.testing.assert_array_equal(erfc64(x), [0.0, 2.0, np.nan, 0.0, 2.0])
    assert math.copysign(1.0, erf64(np.array(-0.0))) == -1.0  # erf keeps the sign of zero


def test_erf_ops_float32_and_float64():
    x64 = np.linspace(-6.0, 6.0, 1001)
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run([tf.erf(x64.astype(np.float32)), tf.erfc(x64), tf.erf(x64)])
    assert got[0].dtype == np.float32
    np.testing.assert_allclose(got[0], [math.erf(v) for v in x64.astype(np.float32)], rtol=1e-7)
    np.testing.assert_allclose(got[1], [math.erfc(v) for v in x64], rtol=1e-15)
    np.testing.assert_allclose(got[2], [math.erf(v) for v in x64], rtol=1e-15, atol=0)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_incomplete_gamma_and_beta_edges_as_tf():
    # a <= 0, x < 0 or NaN give NaN; x = 0, x = inf and a = inf give the limits
    a = np.array([0.0, -1.0, 1.0, 1.0, 1.0, 2.0, np.inf, np.nan, 1.0])
    x = np.array([1.0, 1.0, 0.0, -1.0, np.inf, 0.5, 1.0, 1.0, np.nan])
    with tf.Graph().as_default():
        p, q = _run(tf.igamma(a, x)), _run(tf.igammac(a, x))
    nan = np.nan
    np.testing.assert_allclose(p, [nan, nan, 0, nan, 1, 0.090204010431050, 0, nan, nan], 1e-14)
    np.testing.assert_allclose(q, [nan, nan, 1, nan, 0, 0.909795989568950, 1, nan, nan], 1e-14)
    with tf.Graph().as_default():
        i = _run(
            tf.betainc([0.0, 1, 1, 1, 2, -1], [1.0, 1, 1, 1, 0, 1], [0.5, 0, 1, 1.5, 0.5, 0.5])
        )
    np.testing.assert_array_equal(i, [nan, 0, 1, nan, nan, nan])


def test_betainc_shapes_must_match_or_be_scalars():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Betainc.*same shape.*a: \(3,\), b: \(2,\)"):
            tf.betainc(np.ones(3), np.ones(2), 0.5)
        a = tf.placeholder(tf.float64, None)
        out = tf.betainc(a, np.ones(2), 0.5)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="Betainc.*same shape"):
                sess.run(out, {a: np.ones(3)})
        with pytest.raises(TypeError, match="Igamma.*floating"):
            tf.igamma(np.int32(1), np.int32(2))


def test_bessel_limits():
    x = np.array([np.inf, -np.inf, np.nan, 800.0, -0.0])
    with tf.Graph().as_default():
        got = _run([tf.math.bessel_i0(x), tf.math.bessel_i1e(x), tf.math.bessel_i1(x)])
    np.testing.assert_array_equal(got[0], [np.nan, np.nan, np.nan, np.inf, 1.0])
    i1e_800 = 0.014098125406526997  # mpmath
    np.testing.assert_allclose(got[1], [0.0, -0.0, np.nan, i1e_800, -0.0], rtol=1e-15)
    np.testing.assert_array_equal(got[2][3:], [np.inf, -0.0])


def test_special_functions_match_high_precision():
    mp = pytest.importorskip("mpmath")
    from flowzero.ops.special_more_ops import _bessel_e64, _betainc64, _igamma64

    mp.mp.dps = 30
    rng = np.random.default_rng(0)
    a = np.exp(rng.uniform(np.log(0.05), np.log(60.0), 200))
    x = np.exp(rng.uniform(np.log(1e-3), np.log(120.0), 200))
    p = [float(mp.gammainc(u, 0, v, regularized=True)) for u, v in zip(a, x)]
    q = [float(mp.gammainc(u, v, mp.inf, regularized=True)) for u, v in zip(a, x)]
    np.testing.assert_allclose(_igamma64(a, x, False), p, rtol=2e-13, atol=1e-300)
    np.testing.assert_allclose(_igamma64(a, x, True), q, rtol=1e-12, atol=1e-300)
    b = np.exp(rng.uniform(np.log(0.1), np.log(40.0), 200))
    t = rng.uniform(0.0, 1.0, 200)
    ref = [float(mp.betainc(u, v, 0, w, regularized=True)) for u, v, w in zip(a, b, t)]
    np.testing.assert_allclose(_betainc64(a, b, t), ref, rtol=2e-13, atol=1e-300)
    xs = np.concatenate([rng.uniform(-40.0, 40.0, 200), [24.999, 25.0, 25.001, 700.0]])
    for n in (0, 1):
        ref = [float(mp.besseli(n, v) * mp.exp(-abs(mp.mpf(v)))) for v in xs]
        np.testing.assert_allclose(_bessel_e64(xs, n), ref, rtol=3e-15)


def test_special_functions_match_tensorflow():
    tft = pytest.importorskip("tensorflow")
    v1 = tft.compat.v1
    v1.disable_eager_execution()
    rng = np.random.default_rng(5)
    a = rng.uniform(0.1, 20.0, 50)
    b = rng.uniform(0.1, 20.0, 50)
    x = rng.uniform(0.0, 25.0, 50)
    t = rng.uniform(0.0, 1.0, 50)
    z = rng.uniform(-30.0, 30.0, 50)
    fns = [
        (lambda m: m.math.igamma(a, x)),
        (lambda m: m.math.igammac(a, x)),
        (lambda m: m.math.betainc(a, b, t)),
        (lambda m: m.math.bessel_i0(z)),
        (lambda m: m.math.bessel_i0e(z)),
        (lambda m: m.math.bessel_i1(z)),
        (lambda m: m.math.bessel_i1e(z)),
        (lambda m: m.math.erf(z / 4)),
        (lambda m: m.math.erfc(z / 4)),
    ]
    with v1.Graph().as_default(), v1.Session() as sess:
        want = sess.run([f(tft) for f in fns])
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run([f(tf) for f in fns])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-300)
