"""Op-table rows for fractional pooling (flowzero/ops/fractional_pool_ops.py).

The rows use ratios that divide the input exactly, so the layout is fixed whatever the random
draw (windows of k rows from 0, plus the next window's first row when overlapping); random
layouts are checked in tests/ops/test_fractional_pool.py against the returned sequences.
"""

import numpy as np

from flowzero.framework.graph import apply_op
from flowzero.ops import fractional_pool_ops as fp
from flowzero.testing.op_cases import OpCase


def _distinct(*shape, seed=0):
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.1).reshape(shape)


def ref_pool(x, rows, cols, overlapping, reduce):
    n, h, w, c = x.shape
    y = np.zeros((n, len(rows) - 1, len(cols) - 1, c))
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            r1 = min(rows[i + 1] if overlapping else rows[i + 1] - 1, h - 1)
            c1 = min(cols[j + 1] if overlapping else cols[j + 1] - 1, w - 1)
            y[:, i, j] = reduce(x[:, rows[i] : r1 + 1, cols[j] : c1 + 1], axis=(1, 2))
    return y.astype(x.dtype)


def _even(size, k):
    return np.arange(0, size + 1, k)


def ref_fixed(x, kh, kw, overlapping, reduce):
    rows, cols = _even(x.shape[1], kh), _even(x.shape[2], kw)
    return ref_pool(x, rows, cols, overlapping, reduce), rows, cols


def ref_max_grad(x, dy, rows, cols, overlapping):
    dx = np.zeros_like(x)
    n, h, w, c = x.shape
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            r1 = min(rows[i + 1] if overlapping else rows[i + 1] - 1, h - 1)
            c1 = min(cols[j + 1] if overlapping else cols[j + 1] - 1, w - 1)
            for b in range(n):
                for ch in range(c):
                    win = x[b, rows[i] : r1 + 1, cols[j] : c1 + 1, ch]
                    r, s = np.unravel_index(np.argmax(win), win.shape)  # the first max
                    dx[b, rows[i] + r, cols[j] + s, ch] += dy[b, i, j, ch]
    return dx


def ref_avg_grad(shape, dy, rows, cols, overlapping):
    dx = np.zeros(shape)
    h, w = shape[1], shape[2]
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            r1 = min(rows[i + 1] if overlapping else rows[i + 1] - 1, h - 1)
            c1 = min(cols[j + 1] if overlapping else cols[j + 1] - 1, w - 1)
            cnt = (r1 + 1 - rows[i]) * (c1 + 1 - cols[j])
            dx[:, rows[i] : r1 + 1, cols[j] : c1 + 1] += dy[:, i : i + 1, j : j + 1] / cnt
    return dx.astype(dy.dtype)


R = [1.0, 2.0, 3.0, 1.0]
ROWS, COLS = np.array([0, 2, 4, 6], np.int64), np.array([0, 3, 6], np.int64)
CASES = [
    OpCase(
        "FractionalMaxPool",
        lambda x: fp.fractional_max_pool(x, R),
        lambda x: ref_fixed(x, 2, 3, False, np.max),
        [_distinct(2, 6, 6, 3)],
        name="exact",
        grad=False,
    ),
    OpCase(
        "FractionalMaxPool",
        lambda x: fp.fractional_max_pool(x, R, overlapping=True, deterministic=True, seed=1)[0],
        lambda x: ref_fixed(x, 2, 3, True, np.max)[0],
        [_distinct(2, 6, 6, 2)],
        name="overlapping",
    ),
    OpCase(
        "FractionalMaxPool",
        lambda x: fp.fractional_max_pool(x, R, pseudo_random=True, deterministic=True)[0],
        lambda x: ref_fixed(x, 2, 3, False, np.max)[0],
        [np.arange(36, dtype=np.int32).reshape(1, 6, 6, 1)],
        name="int32",
        grad=False,
    ),
    OpCase(
        "FractionalAvgPool",
        lambda x: fp.fractional_avg_pool(x, R),
        lambda x: ref_fixed(x, 2, 3, False, np.mean),
        [_distinct(2, 6, 6, 3)],
        name="exact",
        grad=False,
    ),
    OpCase(
        "FractionalAvgPool",
        lambda x: fp.fractional_avg_pool(x, R, overlapping=True, deterministic=True, seed=1)[0],
        lambda x: ref_fixed(x, 2, 3, True, np.mean)[0],
        [_distinct(2, 6, 6, 2)],
        name="overlapping",
    ),
    OpCase(
        "FractionalMaxPoolGrad",
        lambda x, y, dy: apply_op(
            fp.FractionalMaxPoolGrad, [x, y, dy, ROWS, COLS], {"overlapping": True}
        ),
        lambda x, y, dy: ref_max_grad(x, dy, ROWS, COLS, True),
        [
            _distinct(2, 6, 7, 2),
            ref_pool(_distinct(2, 6, 7, 2), ROWS, COLS, True, np.max),
            np.random.default_rng(1).normal(size=(2, 3, 2, 2)),
        ],
        grad=False,
    ),
    OpCase(
        "FractionalAvgPoolGrad",
        lambda dy: apply_op(
            fp.FractionalAvgPoolGrad,
            [np.array([2, 6, 7, 2], np.int64), dy, ROWS, COLS],
            {"overlapping": False},
        ),
        lambda dy: ref_avg_grad((2, 6, 7, 2), dy, ROWS, COLS, False),
        [np.random.default_rng(1).normal(size=(2, 3, 2, 2))],
        grad=False,
    ),
]
