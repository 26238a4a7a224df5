"""Op-table rows for flowzero/ops/more_math_ops.py (composites stand under the op type that
does their work)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, away_from, rand

X, Y = rand(3, 4), rand(3, 4, seed=5)


def _cum_lse(x, axis=0, exclusive=False, reverse=False):
    v = np.flip(x, axis) if reverse else x
    out = np.logaddexp.accumulate(v.astype(np.float64), axis=axis)
    if exclusive:
        first = np.full_like(np.take(out, [0], axis=axis), -np.inf)
        out = np.concatenate([first, np.take(out, np.arange(out.shape[axis] - 1), axis)], axis)
    out = np.flip(out, axis) if reverse else out
    return out.astype(x.dtype)


CASES = [
    OpCase(
        "DivNoNan",
        tf.div_no_nan,
        lambda x, y: x / y,
        [X, away_from(Y, [0.0], 0.2)],
        name="smooth",
        second_order=True,
    ),
    OpCase("Atan2", tf.atan2, np.arctan2, [X, Y], second_order=True),
    OpCase("Atan2", tf.atan2, np.arctan2, [X, np.float32(-0.5)], name="broadcast"),
    OpCase(
        "Rint", tf.rint, np.rint, [np.array([0.5, 1.5, -2.5, 2.4, -0.6], np.float32)], grad=False
    ),
    OpCase(
        "DivNoNan",
        tf.div_no_nan,
        lambda x, y: np.where(y == 0, 0, x / np.where(y == 0, 1, y)).astype(x.dtype),
        [X, np.array([0.0, 1.5, -2.0, 0.5], np.float32)],
        wrt=[0],  # at y == 0 the function jumps: no derivative in y there
        second_order=True,
    ),
    OpCase(
        "DivNoNan",
        lambda x: tf.math.reciprocal_no_nan(x),
        lambda x: np.where(x == 0, 0, 1 / np.where(x == 0, 1, x)).astype(x.dtype),
        [np.array([0.0, 2.0, -0.5], np.float32)],
        name="reciprocal",
        grad=False,
    ),
    OpCase(
        "MulNoNan",
        tf.math.multiply_no_nan,
        lambda x, y: np.where(y == 0, 0, x * y).astype(x.dtype),
        [np.array([np.inf, 2.0, np.nan, 1.0]), np.array([0.0, 3.0, 0.0, -1.0])],
        grad=False,
    ),
    OpCase(
        "MulNoNan",
        tf.math.multiply_no_nan,
        lambda x, y: x * y,
        [X, Y],
        name="smooth",
        second_order=True,
    ),
    OpCase(
        "CumulativeLogsumexp",
        lambda x: tf.math.cumulative_logsumexp(x, axis=1),
        lambda x: _cum_lse(x, 1),
        [X],
        rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "CumulativeLogsumexp",
        lambda x: tf.exp(tf.math.cumulative_logsumexp(x, exclusive=True, reverse=True)),
        lambda x: np.exp(_cum_lse(x, 0, True, True)),
        [X.astype(np.float64)],
        name="excl_rev",  # exp() turns the leading -inf into 0 for the gradient check
        second_order=True,
    ),
    OpCase(
        "CumulativeLogsumexp",
        lambda x: tf.math.cumulative_logsumexp(x),
        lambda x: _cum_lse(x),
        [np.array([-1000.0, 0.0, 1000.0])],
        name="wide_range",
        grad=False,
    ),
    OpCase(
        "Mean",
        lambda x: tf.math.reduce_variance(x, 1),
        lambda x: np.var(x, 1),
        [X],
        name="reduce_variance",
        rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "Sqrt",
        lambda x: tf.math.reduce_std(x, 0, keepdims=True),
        lambda x: np.std(x, 0, keepdims=True),
        [X],
        name="reduce_std",
        rtol=1e-5,
    ),
    OpCase(
        "Sqrt",
        lambda x: tf.math.reduce_euclidean_norm(x, 1),
        lambda x: np.sqrt(np.sum(x * x, 1)),
        [away_from(X, [0.0])],
        name="reduce_euclidean_norm",
        rtol=1e-5,
    ),
    OpCase(
        "Mul",
        lambda x: tf.math.polyval([2.0, -1.0, 0.5], x),
        lambda x: (2 * x * x - x + 0.5).astype(x.dtype),
        [X],
        name="polyval",
        rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "All",
        tf.is_non_decreasing,
        lambda x: np.all(np.diff(x.reshape(-1)) >= 0),
        [np.array([[1, 2], [2, 5]], np.int32)],
        name="is_non_decreasing",
        grad=False,
    ),
    OpCase(
        "All",
        tf.is_strictly_increasing,
        lambda x: np.all(np.diff(x.reshape(-1)) > 0),
        [np.array([1.0, 2.0, 2.0], np.float32)],
        name="is_strictly_increasing",
        grad=False,
    ),
    OpCase(
        "NextAfter",
        tf.math.nextafter,
        np.nextafter,
        [np.array([1.0, 0.0, -2.0], np.float32), np.array([2.0, -1.0, -2.0], np.float32)],
        grad=False,
    ),
    OpCase(
        "Atan2",
        lambda re, im: tf.angle(tf.complex(re, im)),
        lambda re, im: np.angle(re + 1j * im).astype(re.dtype),
        [X, Y],
        name="angle",
    ),
    OpCase(
        "AddN",
        lambda a, b: tf.accumulate_n([a, b, a]),
        lambda a, b: 2 * a + b,
        [X, Y],
        name="accumulate_n",
    ),
]
