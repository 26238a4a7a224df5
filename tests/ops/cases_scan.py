"""Op-table rows for running sums and products (flowzero/ops/scan_ops.py)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _np_scan(fn, ident, x, axis, exclusive=False, reverse=False):
    y = np.flip(x, axis) if reverse else x
    out = fn(y, axis=axis)
    if exclusive:
        first = np.full_like(np.take(out, [0], axis=axis), ident)
        out = np.concatenate(
            [first, np.take(out, np.arange(out.shape[axis] - 1), axis=axis)], axis=axis
        )
    return np.flip(out, axis) if reverse else out


X = rand(3, 4)
POS = rand(3, 4, low=0.5, high=1.5)

CASES = [
    OpCase(
        "Cumsum",
        lambda x: tf.cumsum(x, axis=1),
        lambda x: np.cumsum(x, axis=1),
        [X],
        second_order=True,
    ),
    OpCase(
        "Cumsum",
        lambda x: tf.cumsum(x, exclusive=True, reverse=True),
        lambda x: _np_scan(np.cumsum, 0, x, 0, True, True),
        [X],
        name="excl_rev",
    ),
    OpCase(
        "Cumsum",
        lambda x: tf.cumsum(x, axis=-1, reverse=True),
        lambda x: _np_scan(np.cumsum, 0, x, 1, False, True),
        [X],
        name="rev_neg_axis",
    ),
    OpCase(
        "Cumsum",
        lambda x: tf.cumsum(x),
        lambda x: np.cumsum(x, 0).astype(np.int32),
        [np.array([3, 1, 2], np.int32)],
        name="int",
        grad=False,
    ),
    OpCase(
        "Cumprod",
        lambda x: tf.cumprod(x, axis=1),
        lambda x: np.cumprod(x, axis=1),
        [POS],
        second_order=True,
    ),
    OpCase(
        "Cumprod",
        lambda x: tf.cumprod(x, exclusive=True),
        lambda x: _np_scan(np.cumprod, 1, x, 0, True),
        [POS],
        name="exclusive",
    ),
    OpCase(
        "Cumprod",
        lambda x: tf.cumprod(x, axis=1, exclusive=True, reverse=True),
        lambda x: _np_scan(np.cumprod, 1, x, 1, True, True),
        [POS],
        name="excl_rev",
    ),
]
