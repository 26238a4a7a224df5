"""Op-table rows for the reductions (Sum, Mean, Max, Min, Prod, Any, All, ArgMax, ArgMin).

References are plain NumPy, written separately from the kernels. Max/Min rows with ties use
pairs of equal values only: central differences then give 1/2 to each, which is also TF's even
split. Prod rows with zeros check TF's exact zero handling (a product is linear in each input,
so central differences are exact there).
"""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

# Pairwise ties along axis 1 (rows 0, 1) and along axis 0 (columns 0, 2), none in row 2.
TIES = np.array(
    [
        [1.0, 3.0, 3.0, -2.0],
        [0.5, -1.0, 0.5, 2.5],
        [0.25, 1.5, -0.75, 0.0],
        [1.0, -1.5, -0.75, 0.75],
    ],
    dtype=np.float32,
)
MIN_TIES = -TIES
INTS = np.array([[3, -7, 2], [-5, 4, 11]], dtype=np.int32)


def _int_mean(x, axis=None):
    # C-style (truncating) integer division, as TF's integer mean
    s = np.sum(x.astype(np.int64), axis=axis)
    n = x.size // np.size(s)
    return np.trunc(s / n).astype(x.dtype)


def _mean(x, axis=None, keepdims=False):
    return np.mean(x.astype(np.float64), axis=axis, keepdims=keepdims).astype(x.dtype)


CASES = [
    # -- Sum --------------------------------------------------------------------------------
    OpCase(
        "Sum",
        lambda x: tf.reduce_sum(x),
        lambda x: np.sum(x),
        [rand(3, 4)],
        name="all",
        second_order=True,
    ),
    OpCase(
        "Sum", lambda x: tf.reduce_sum(x, 1), lambda x: np.sum(x, 1), [rand(3, 4)], name="axis1"
    ),
    OpCase(
        "Sum",
        lambda x: tf.reduce_sum(x, -1, keepdims=True),
        lambda x: np.sum(x, -1, keepdims=True),
        [rand(2, 3, 4)],
        name="neg_keepdims",
    ),
    OpCase(
        "Sum",
        lambda x: tf.reduce_sum(x, [0, 2]),
        lambda x: np.sum(x, (0, 2)),
        [rand(2, 3, 4)],
        name="axes02",
        second_order=True,
    ),
    OpCase(
        "Sum",
        lambda x: tf.reduce_sum(x, [-3, -1], keepdims=True),
        lambda x: np.sum(x, (0, 2), keepdims=True),
        [rand(2, 3, 4)],
        name="neg_list_keep",
    ),
    OpCase("Sum", lambda x: tf.reduce_sum(x), lambda x: x, [rand()], name="scalar"),
    OpCase("Sum", lambda x: tf.reduce_sum(x, []), lambda x: x, [rand(2, 3)], name="no_axes"),
    OpCase(
        "Sum",
        lambda x: tf.reduce_sum(x, 0),
        lambda x: np.sum(x, 0, dtype=np.int32),
        [INTS],
        name="int32",
        grad=False,
    ),
    OpCase(
        "Sum",
        lambda x: tf.reduce_sum(x, 1),
        lambda x: np.sum(x, 1),
        [rand(3, 5, dtype=np.float64)],
        name="float64",
    ),
    # -- Mean -------------------------------------------------------------------------------
    OpCase(
        "Mean",
        lambda x: tf.reduce_mean(x),
        lambda x: _mean(x),
        [rand(3, 4)],
        name="all",
        second_order=True,
    ),
    OpCase(
        "Mean", lambda x: tf.reduce_mean(x, 0), lambda x: _mean(x, 0), [rand(3, 4)], name="axis0"
    ),
    OpCase(
        "Mean",
        lambda x: tf.reduce_mean(x, -2, keepdims=True),
        lambda x: _mean(x, 1, keepdims=True),
        [rand(2, 3, 4)],
        name="neg_keepdims",
    ),
    OpCase(
        "Mean",
        lambda x: tf.reduce_mean(x, [0, 2]),
        lambda x: _mean(x, (0, 2)),
        [rand(2, 3, 4)],
        name="axes02",
        second_order=True,
    ),
    OpCase("Mean", lambda x: tf.reduce_mean(x), lambda x: x, [rand()], name="scalar"),
    OpCase(
        "Mean",
        lambda x: tf.reduce_mean(x, 1),
        lambda x: _int_mean(x, 1),
        [INTS],
        name="int32_truncates",
        grad=False,
    ),
    OpCase(
        "Mean",
        lambda x: tf.reduce_mean(x),
        lambda x: _int_mean(x),
        [INTS],
        name="int32_all",
        grad=False,
    ),
    # -- Max / Min --------------------------------------------------------------------------
    OpCase(
        "Max",
        lambda x: tf.reduce_max(x),
        lambda x: np.max(x),
        [rand(3, 4)],
        name="all",
        second_order=True,
    ),
    OpCase("Max", lambda x: tf.reduce_max(x, 1), lambda x: np.max(x, 1), [TIES], name="ties_axis1"),
    OpCase(
        "Max",
        lambda x: tf.reduce_max(x, 0, keepdims=True),
        lambda x: np.max(x, 0, keepdims=True),
        [TIES],
        name="ties_axis0_keep",
    ),
    OpCase(
        "Max",
        lambda x: tf.reduce_max(x, [-1, 0]),
        lambda x: np.max(x, (0, 2)),
        [rand(2, 3, 4)],
        name="neg_list",
        second_order=True,
    ),
    OpCase("Max", lambda x: tf.reduce_max(x), lambda x: x, [rand()], name="scalar"),
    OpCase(
        "Max",
        lambda x: tf.reduce_max(x, 1),
        lambda x: np.max(x, 1),
        [INTS],
        name="int32",
        grad=False,
    ),
    OpCase(
        "Min",
        lambda x: tf.reduce_min(x),
        lambda x: np.min(x),
        [rand(3, 4)],
        name="all",
        second_order=True,
    ),
    OpCase(
        "Min", lambda x: tf.reduce_min(x, 1), lambda x: np.min(x, 1), [MIN_TIES], name="ties_axis1"
    ),
    OpCase(
        "Min",
        lambda x: tf.reduce_min(x, -2, keepdims=True),
        lambda x: np.min(x, 0, keepdims=True),
        [MIN_TIES],
        name="ties_neg_keep",
    ),
    OpCase("Min", lambda x: tf.reduce_min(x), lambda x: x, [rand()], name="scalar"),
    OpCase(
        "Min",
        lambda x: tf.reduce_min(x, 0),
        lambda x: np.min(x, 0),
        [INTS],
        name="int32",
        grad=False,
    ),
    # -- Prod -------------------------------------------------------------------------------
    OpCase(
        "Prod",
        lambda x: tf.reduce_prod(x, 1),
        lambda x: np.prod(x, 1),
        [rand(3, 4, low=0.5, high=1.5)],
        name="axis1",
        second_order=True,
    ),
    OpCase(
        "Prod",
        lambda x: tf.reduce_prod(x),
        lambda x: np.prod(x),
        [rand(2, 3, low=-1.5, high=-0.5)],
        name="all_negative",
        second_order=True,
    ),
    OpCase(
        "Prod",
        lambda x: tf.reduce_prod(x, -1, keepdims=True),
        lambda x: np.prod(x, -1, keepdims=True),
        [np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [-1.0, 2.0, 0.5]], np.float32)],
        name="zeros_keepdims",
    ),
    OpCase(
        "Prod",
        lambda x: tf.reduce_prod(x, [0, 2]),
        lambda x: np.prod(x, (0, 2)),
        [np.where(rand(2, 3, 2) > 0.6, 0.0, rand(2, 3, 2)).astype(np.float32)],
        name="zeros_axes02",
    ),
    OpCase("Prod", lambda x: tf.reduce_prod(x), lambda x: x, [rand()], name="scalar"),
    OpCase(
        "Prod",
        lambda x: tf.reduce_prod(x, 1),
        lambda x: np.prod(x, 1, dtype=np.int32),
        [INTS],
        name="int32",
        grad=False,
    ),
    # -- Any / All --------------------------------------------------------------------------
    OpCase(
        "Any",
        lambda x: tf.reduce_any(x, 1),
        lambda x: np.any(x, 1),
        [np.array([[True, False], [False, False]])],
        grad=False,
    ),
    OpCase(
        "Any",
        lambda x: tf.reduce_any(x, keepdims=True),
        lambda x: np.any(x, keepdims=True),
        [np.array([[False, False], [False, True]])],
        name="all_keep",
        grad=False,
    ),
    OpCase(
        "Any", lambda x: tf.reduce_any(x), lambda x: x, [np.array(True)], name="scalar", grad=False
    ),
    OpCase(
        "All",
        lambda x: tf.reduce_all(x, -1),
        lambda x: np.all(x, -1),
        [np.array([[True, True], [True, False]])],
        grad=False,
    ),
    OpCase(
        "All",
        lambda x: tf.reduce_all(x),
        lambda x: np.all(x),
        [np.array([[True, True], [True, True]])],
        name="all",
        grad=False,
    ),
    # -- ArgMax / ArgMin --------------------------------------------------------------------
    OpCase(
        "ArgMax",
        lambda x: tf.argmax(x, 1),
        lambda x: np.argmax(x, 1).astype(np.int64),
        [rand(3, 5)],
        grad=False,
    ),
    OpCase(
        "ArgMax",
        lambda x: tf.argmax(x),
        lambda x: np.argmax(x, 0).astype(np.int64),
        [rand(3, 5)],
        name="default_axis0",
        grad=False,
    ),
    OpCase(
        "ArgMax",
        lambda x: tf.argmax(x, -1, output_type=tf.int32),
        lambda x: np.argmax(x, -1).astype(np.int32),
        [INTS],
        name="int32",
        grad=False,
    ),
    OpCase(
        "ArgMax",
        lambda x: tf.arg_max(x, 1),
        lambda x: np.argmax(x, 1).astype(np.int64),
        [TIES],
        name="ties_first",
        grad=False,
    ),
    OpCase(
        "ArgMin",
        lambda x: tf.argmin(x, 0),
        lambda x: np.argmin(x, 0).astype(np.int64),
        [rand(4, 3)],
        grad=False,
    ),
    OpCase(
        "ArgMin",
        lambda x: tf.arg_min(x, -1),
        lambda x: np.argmin(x, -1).astype(np.int64),
        [MIN_TIES],
        name="ties_first",
        grad=False,
    ),
]
