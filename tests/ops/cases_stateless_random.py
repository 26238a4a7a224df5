"""Op-table rows for tf.random's stateless ops and random_poisson: their draws are checked by
statistics (a mean, a variance, a range) over many samples, as functions of the seed input."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

SEED = np.array([7, 11], np.int64)
N = 20000
R = tf.random


def _mean_var(x):
    m = tf.reduce_mean(tf.cast(x, tf.float64))
    return tf.stack([m, tf.reduce_mean(tf.square(tf.cast(x, tf.float64) - m))])


def _min_and_mean(x):
    x = tf.cast(x, tf.float64)
    return tf.stack([tf.reduce_min(x), tf.reduce_mean(x)])


def _max_and_var(x):
    return tf.stack([tf.cast(tf.reduce_max(tf.abs(x)), tf.float64), _mean_var(x)[1]])


CASES = [
    OpCase(
        "StatelessRandomUniform",
        lambda s: _mean_var(R.stateless_uniform([N], s)),
        lambda s: np.array([0.5, 1 / 12]),
        [SEED],
        grad=False,
        atol=0.01,
    ),
    OpCase(
        "StatelessRandomUniformInt",
        lambda s: _mean_var(R.stateless_uniform([N], s, minval=-3, maxval=4, dtype=tf.int64)),
        lambda s: np.array([0.0, 4.0]),
        [SEED],
        grad=False,
        atol=0.1,
    ),
    OpCase(
        "StatelessRandomUniformFullInt",
        lambda s: _mean_var(
            tf.cast(
                R.stateless_uniform([N], s, minval=None, maxval=None, dtype=tf.int32), tf.float64
            )
            / 2.0**31
        ),
        lambda s: np.array([0.0, 1 / 3]),  # U[-1, 1): mean 0, variance 1/3
        [SEED],
        grad=False,
        atol=0.02,
    ),
    OpCase(
        "StatelessRandomNormal",
        lambda s: _mean_var(R.stateless_normal([N], s, mean=2.0, stddev=3.0, dtype=tf.float64)),
        lambda s: np.array([2.0, 9.0]),
        [SEED],
        grad=False,
        atol=0.2,
    ),
    OpCase(
        "StatelessTruncatedNormal",
        lambda s: _max_and_var(R.stateless_truncated_normal([N], s)),
        # max |x| <= 2 (just below), variance of N(0, 1) truncated at +-2: 0.7737
        lambda s: np.array([2.0, 0.7737]),
        [SEED],
        grad=False,
        atol=0.02,
    ),
    OpCase(
        "StatelessMultinomial",
        lambda s: tf.reduce_mean(
            tf.cast(R.stateless_categorical(tf.log([[0.2, 0.8]]), N, s), tf.float32)
        ),
        lambda s: np.float32(0.8),
        [SEED],
        grad=False,
        atol=0.01,
    ),
    OpCase(
        "StatelessRandomPoisson",
        lambda s: _mean_var(R.stateless_poisson([N], s, lam=4.0)),
        lambda s: np.array([4.0, 4.0]),
        [SEED],
        grad=False,
        atol=0.15,
    ),
    OpCase(
        "StatelessRandomGammaV2",
        lambda s: _mean_var(R.stateless_gamma([N], s, alpha=3.0, beta=2.0, dtype=tf.float64)),
        lambda s: np.array([1.5, 0.75]),  # alpha / beta, alpha / beta^2
        [SEED],
        grad=False,
        atol=0.05,
    ),
    OpCase(
        "StatelessRandomBinomial",
        lambda s: _mean_var(R.stateless_binomial([N], s, counts=10.0, probs=0.3)),
        lambda s: np.array([3.0, 2.1]),
        [SEED],
        grad=False,
        atol=0.1,
    ),
    OpCase(
        "RandomPoissonV2",
        lambda lam: _mean_var(tf.random_poisson(lam, [N], seed=3)),
        lambda lam: np.array([2.5, 2.5]),
        [np.float32(2.5)],
        grad=False,
        atol=0.1,
    ),
    OpCase(
        "StatelessParameterizedTruncatedNormal",
        lambda s: _min_and_mean(
            R.stateless_parameterized_truncated_normal([N], s, 0.0, 1.0, 3.0, np.inf)
        ),
        # N(0, 1) beyond 3: mean phi(3) / (1 - Phi(3)) = 3.2831
        lambda s: np.array([3.0, 3.2831]),
        [SEED],
        grad=False,
        atol=0.02,
    ),
    OpCase(
        "StatelessParameterizedTruncatedNormal",
        lambda s: _mean_var(
            R.stateless_parameterized_truncated_normal([N], s, [1.0], 2.0, -1.0, 3.0)
        ),
        # N(1, 4) on [1 - 2, 1 + 2]: mean 1, variance 4 * 0.2911 (one stddev each side)
        lambda s: np.array([1.0, 4 * 0.29112]),
        [SEED],
        name="symmetric",
        grad=False,
        atol=0.03,
    ),
]
