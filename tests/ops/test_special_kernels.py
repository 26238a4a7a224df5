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
