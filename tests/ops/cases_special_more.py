"""Op-table rows for igamma, igammac, betainc and the Bessel functions
(flowzero/ops/special_more_ops.py). The references are plain power series summed in Python."""

import math

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase


def _p_series(a, x):
    # P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n))
    term, total, n = 1.0, 1.0, 0
    while term > 1e-18 * total:
        n += 1
        term *= x / (a + n)
        total += term
    return math.exp(a * math.log(x) - x - math.lgamma(a + 1)) * total if x > 0 else 0.0


def _igamma_ref(a, x):
    a, x = np.broadcast_arrays(a, x)
    return np.vectorize(_p_series, otypes=[np.float64])(a, x).astype(x.dtype)


def _igammac_ref(a, x):
    return (1.0 - _igamma_ref(a, x).astype(np.float64)).astype(x.dtype)


def _betainc_one(a, b, x):
    # B(x; a, b) = x^a sum_n (1 - b)_n x^n / (n! (a + n)), for x not close to 1
    term, total, n = 1.0, 1.0 / a, 0
    while abs(term) > 1e-20 or n < 5:
        term *= (n + 1 - b) * x / (n + 1)
        n += 1
        total += term / (a + n)
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.exp(a * math.log(x) - log_beta) * total if x > 0 else 0.0


def _betainc_ref(a, b, x):
    a, b, x = np.broadcast_arrays(a, b, x)
    return np.vectorize(_betainc_one, otypes=[np.float64])(a, b, x).astype(x.dtype)


def _bessel_one(x, n, scaled):
    q, term = 0.25 * x * x, 1.0 / math.factorial(n)
    total, k = term, 0
    while term > 1e-18 * total:
        k += 1
        term *= q / (k * (k + n))
        total += term
    v = total * (0.5 * x) ** n
    return v * math.exp(-abs(x)) if scaled else v


def _bessel_ref(n, scaled):
    f = np.vectorize(lambda v: _bessel_one(v, n, scaled), otypes=[np.float64])
    return lambda x: f(x).astype(x.dtype)


A = np.array([[0.5, 1.0, 2.5], [4.0, 7.5, 0.2]])
X = np.array([[0.3, 2.0, 1.5], [6.5, 3.0, 0.05]])
XB = np.array([-3.5, -0.4, 0.7, 2.0, 5.0])  # not 0: the scaled ones have a kink there
WIDE = np.array([0.0, -60.0, -24.99, -12.0, 1e-3, 9.0, 25.0, 27.0, 100.0])

CASES = [
    OpCase("Igamma", tf.igamma, _igamma_ref, [A, X], wrt=[1], rtol=1e-13, second_order=True),
    OpCase(
        "Igamma",
        tf.math.igamma,
        _igamma_ref,
        [np.float32(3.0), np.array([0.5, 3.0, 10.0], np.float32)],
        name="float32_broadcast",
        wrt=[1],
        rtol=1e-6,
    ),
    OpCase("Igammac", tf.igammac, _igammac_ref, [A, X], wrt=[1], rtol=1e-12, second_order=True),
    OpCase(
        "Betainc",
        tf.betainc,
        _betainc_ref,
        [
            np.array([0.5, 1.0, 2.0, 5.0, 3.0]),
            np.array([0.5, 3.0, 2.0, 1.5, 8.0]),
            np.array([0.2, 0.5, 0.6, 0.3, 0.1]),
        ],
        wrt=[2],
        rtol=1e-12,
        second_order=True,
    ),
    OpCase(
        "Betainc",
        tf.math.betainc,
        _betainc_ref,
        [np.float32(2.0), np.float32(3.0), np.array([0.1, 0.4, 0.6], np.float32)],
        name="scalars_float32",
        wrt=[2],
        rtol=1e-6,
    ),
    OpCase(
        "BesselI0", tf.math.bessel_i0, _bessel_ref(0, False), [XB], rtol=1e-14, second_order=True
    ),
    OpCase(
        "BesselI0e", tf.math.bessel_i0e, _bessel_ref(0, True), [XB], rtol=1e-14, second_order=True
    ),
    OpCase(
        "BesselI1", tf.math.bessel_i1, _bessel_ref(1, False), [XB], rtol=1e-14, second_order=True
    ),
    OpCase(
        "BesselI1e", tf.math.bessel_i1e, _bessel_ref(1, True), [XB], rtol=1e-14, second_order=True
    ),
    *[
        OpCase(op, f, _bessel_ref(n, sc), [WIDE], name="wide", grad=False, rtol=1e-14)
        for op, f, n, sc in [
            ("BesselI0", tf.math.bessel_i0, 0, False),
            ("BesselI0e", tf.math.bessel_i0e, 0, True),
            ("BesselI1", tf.math.bessel_i1, 1, False),
            ("BesselI1e", tf.math.bessel_i1e, 1, True),
        ]
    ],
    # the gradients' limit 1/2 at x = 0
    OpCase(
        "BesselI1", tf.math.bessel_i1, _bessel_ref(1, False), [np.array([0.0, 1.0])], name="at0"
    ),
    OpCase(
        "BesselI1e", tf.math.bessel_i1e, _bessel_ref(1, True), [np.array([0.0, 1.0])], name="at0"
    ),
    OpCase(
        "BesselI1e",
        tf.math.bessel_i1e,
        _bessel_ref(1, True),
        [np.array([-5.0, 0.5, 30.0], np.float32)],
        name="float32",
        rtol=1e-6,
    ),
]
