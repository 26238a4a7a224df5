"""Op-table rows for the special functions (flowzero/ops/special_ops.py)."""

import math

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

X = rand(3, 4, low=-2.5, high=2.5)
POS = rand(3, 4, low=0.2, high=6.0)
NEG = np.array([-0.5, -1.7, -2.2, -10.3, 0.3, 25.0], np.float64)


def _vec(fn):
    return lambda x: np.vectorize(fn, otypes=[np.float64])(x).astype(x.dtype)


def _digamma_ref(x):
    # psi(x) by central differences of math.lgamma at a tiny step, in float64
    h = 1e-5
    return (np.vectorize(lambda v: (math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h))(x)).astype(
        x.dtype
    )


def _trigamma_ref(x):
    # psi'(x) = sum_k 1 / (x + k)^2, summed far out plus the integral of the tail
    n = 200000
    k = np.arange(n, dtype=np.float64)
    return (
        np.array([np.sum(1.0 / (v + k) ** 2) + 1.0 / (v + n) for v in np.ravel(x)])
        .reshape(np.shape(x))
        .astype(x.dtype)
    )


CASES = [
    OpCase("Erf", tf.erf, _vec(math.erf), [X], second_order=True),
    OpCase("Erf", tf.erf, _vec(math.erf), [X.astype(np.float64)], name="f64", rtol=1e-15),
    OpCase("Erfc", tf.erfc, _vec(math.erfc), [X], second_order=True),
    OpCase("Erfc", tf.erfc, _vec(math.erfc), [np.float32(4.5)], name="tail_scalar", rtol=1e-6),
    OpCase("Lgamma", tf.lgamma, _vec(math.lgamma), [POS], rtol=2e-6, second_order=True),
    OpCase(
        "Lgamma", tf.lgamma, _vec(math.lgamma), [NEG], name="negative", rtol=1e-13, grad_rtol=1e-5
    ),
    OpCase("Digamma", tf.digamma, _digamma_ref, [POS], rtol=1e-5, second_order=True),
    OpCase("Digamma", tf.digamma, _digamma_ref, [NEG], name="negative", rtol=1e-7, grad_rtol=1e-5),
    OpCase(
        "Polygamma",
        lambda x: tf.polygamma(np.float64(1.0), x),
        _trigamma_ref,
        [np.array([0.3, 1.0, 2.5, 7.0, 30.0])],
        rtol=1e-9,
        grad_rtol=1e-5,
    ),
    OpCase(
        "Polygamma",
        lambda a, x: tf.polygamma(a, x),
        lambda a, x: np.where(a == 0, _digamma_ref(x), _trigamma_ref(x)),
        [np.array([0.0, 1.0]), np.array([1.0, 2.0])],
        name="orders",
        wrt=[1],
        rtol=1e-8,
        grad_rtol=1e-5,
    ),
]
