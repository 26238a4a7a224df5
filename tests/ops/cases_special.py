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


def _inv(f, lo, hi):
    """f's inverse by bisection, in float64 (monotone increasing f)."""

    def one(v):
        a, b = lo, hi
        for _ in range(200):
            m = 0.5 * (a + b)
            a, b = (m, b) if f(m) < v else (a, m)
        return 0.5 * (a + b)

    return lambda x: np.vectorize(one, otypes=[np.float64])(x).astype(x.dtype)


def _phi(v):
    return 0.5 * math.erfc(-v / math.sqrt(2))


def _ndtri_ref(p):
    # the upper half by symmetry, where 1 - p is exact and _phi resolves it
    low = _inv(_phi, -40, 40)
    return np.where(p > 0.5, -low(1 - p), low(p)).astype(p.dtype)


def _zeta_ref(s):
    # the sum to far out plus the integral of the tail and half its first term
    n = 200000
    k = np.arange(n, dtype=np.float64)
    return lambda q: (
        np.array(
            [
                np.sum((v + k) ** -s) + (v + n) ** (1 - s) / (s - 1) + 0.5 * (v + n) ** -s
                for v in np.ravel(q)
            ]
        )
        .reshape(np.shape(q))
        .astype(q.dtype)
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
    OpCase(
        "Erfinv",
        tf.math.erfinv,
        _inv(math.erf, -6, 6),
        [rand(3, 4, low=-0.99, high=0.99)],
        rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "Erfinv",
        tf.math.erfinv,
        _inv(math.erf, -6, 6),
        [np.array([0.0, 0.5, -0.999999, 0.9999999999], np.float64)],
        name="f64_tails",
        rtol=1e-9,
        grad=False,
    ),
    OpCase(
        "Ndtri",
        tf.math.ndtri,
        _ndtri_ref,
        [rand(3, 4, low=0.01, high=0.99)],
        rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "Ndtri",
        tf.math.ndtri,
        _ndtri_ref,
        [np.array([1e-300, 1e-20, 0.5, 1 - 1e-12], np.float64)],
        name="f64_tails",
        rtol=1e-9,
        grad=False,
    ),
    OpCase(
        "Zeta",
        lambda q: tf.zeta(np.float64(2.5), q),
        _zeta_ref(2.5),
        [np.array([0.4, 1.0, 3.7, 20.0])],
        rtol=1e-9,
        grad_rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "Zeta",
        lambda x, q: tf.zeta(x, q),
        lambda x, q: np.array(
            [_zeta_ref(float(a))(np.array([b]))[0] for a, b in zip(x, q)], x.dtype
        ),
        [np.array([1.5, 3.0, 6.0], np.float32), np.array([2.0, 0.5, 1.0], np.float32)],
        name="float32",
        rtol=1e-5,
        wrt=[1],
    ),
    OpCase(
        "Xlogy",
        tf.math.xlogy,
        lambda x, y: np.where(x == 0, 0, x * np.log(y)).astype(x.dtype),
        [np.array([0.0, 1.5, -2.0, 0.5]), np.array([0.0, 2.0, 0.5, 3.0])],
        wrt=[1],
    ),
    OpCase(
        "Xlogy",
        tf.math.xlogy,
        lambda x, y: (x * np.log(y)).astype(x.dtype),
        [rand(3, 4), rand(3, 4, low=0.5, high=2.0, seed=3)],
        name="smooth",
        second_order=True,
    ),
    OpCase(
        "Xdivy",
        tf.math.xdivy,
        lambda x, y: np.where(x == 0, 0, x / np.where(y == 0, 1, y)).astype(x.dtype),
        [np.array([0.0, 1.5, -2.0]), np.array([0.0, 2.0, 0.5])],
        wrt=[1],
    ),
    OpCase(
        "Xdivy",
        tf.math.xdivy,
        lambda x, y: (x / y).astype(x.dtype),
        [rand(3, 4), rand(3, 4, low=0.5, high=2.0, seed=3)],
        name="smooth",
        second_order=True,
    ),
    OpCase(
        "Lgamma",
        tf.lbeta,
        lambda x: (np.sum(_vec(math.lgamma)(x), -1) - _vec(math.lgamma)(np.sum(x, -1))).astype(
            x.dtype
        ),
        [rand(2, 3, low=0.5, high=3.0)],
        name="lbeta",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Xlog1py",
        tf.math.xlog1py,
        lambda x, y: np.where(x == 0, 0, x * np.log1p(y)).astype(x.dtype),
        [np.array([0.0, 1.5, -2.0]), np.array([-1.0, 2.0, 0.5])],
        wrt=[1],
    ),
    OpCase(
        "Xlog1py",
        tf.math.xlog1py,
        lambda x, y: (x * np.log1p(y)).astype(x.dtype),
        [rand(3, 4), rand(3, 4, low=0.5, high=2.0, seed=3)],
        name="smooth",
        second_order=True,
    ),
    OpCase(
        "Ndtri",
        tf.math.erfcinv,
        lambda x: _inv(lambda v: -math.erfc(v), -30, 30)(-x),
        [np.array([1e-20, 0.3, 1.0, 1.7])],
        name="erfcinv",
        rtol=1e-9,
        grad=False,
    ),
]
