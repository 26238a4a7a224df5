"""Op-table rows for the segment reductions (flowzero/ops/segment_ops.py) and bincount
(flowzero/ops/histogram_ops.py)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

DATA = rand(5, 3)
IDS = np.array([0, 0, 2, 2, 3], np.int32)  # sorted, segment 1 empty
UIDS = np.array([3, 0, -1, 3, 1], np.int32)  # unsorted, one dropped, segment 2 empty
FULL = np.array([1, 0, -1, 1, 0], np.int32)  # no segment empty (finite max/min everywhere)
IDS2 = np.array([[1, 0, 1], [2, -1, 1]], np.int64)  # 2-D ids over the first two dims
DATA3 = rand(2, 3, 2, seed=4)
POS = rand(5, 3, low=0.5, high=2.0)
WITH_ZEROS = np.array([[0.0, 2.0], [3.0, 0.0], [0.0, 5.0], [4.0, 1.5]], np.float32)


def _ref(kind, data, ids, n, sorted_ids):
    inner = data.shape[ids.ndim :]
    rows = data.reshape((-1,) + inner)
    flat = ids.reshape(-1)
    out = []
    for j in range(n):
        sel = rows[flat == j]
        if len(sel) == 0:
            if sorted_ids or kind in ("sum", "mean"):
                fill = 1 if kind == "prod" else 0
            else:
                fill = (
                    {"max": np.finfo(data.dtype).min, "min": np.finfo(data.dtype).max, "prod": 1}[
                        kind
                    ]
                    if data.dtype.kind == "f"
                    else {
                        "max": np.iinfo(data.dtype).min,
                        "min": np.iinfo(data.dtype).max,
                        "prod": 1,
                    }[kind]
                )
            out.append(np.full(inner, fill, data.dtype))
        else:
            fn = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}[
                kind
            ]
            out.append(fn(sel, axis=0).astype(data.dtype))
    return np.array(out, data.dtype).reshape((n,) + inner)


def _sorted(kind):
    return lambda d: _ref(kind, d, IDS, int(IDS[-1]) + 1, True)


def _unsorted(kind, ids=UIDS, n=4):
    return lambda d: _ref(kind, d, ids, n, False)


def _sqrt_n(d, ids, n):
    s = _ref("sum", d, ids, n, False)
    cnt = np.array([max(1, np.sum(ids == j)) for j in range(n)], d.dtype)
    return s / np.sqrt(cnt).reshape((-1,) + (1,) * (d.ndim - ids.ndim))


def _bincount(a, w=None, minlength=0, maxlength=None):
    out = np.bincount(
        a.reshape(-1), weights=None if w is None else w.reshape(-1), minlength=minlength
    )
    if maxlength is not None:
        out = out[:maxlength]
    return out.astype(np.int32 if w is None else w.dtype)


CASES = [
    OpCase(
        "SegmentSum", lambda d: tf.segment_sum(d, IDS), _sorted("sum"), [DATA], second_order=True
    ),
    OpCase(
        "SegmentSum",
        lambda d, i: tf.segment_sum(d, i),
        lambda d, i: _ref("sum", d, i, int(i[-1]) + 1, True),
        [np.arange(4, dtype=np.int64) * 2, np.array([0, 1, 1, 4], np.int32)],
        name="ids_fed",
        grad=False,
    ),
    OpCase(
        "SegmentMean", lambda d: tf.segment_mean(d, IDS), _sorted("mean"), [DATA], second_order=True
    ),
    OpCase("SegmentMax", lambda d: tf.segment_max(d, IDS), _sorted("max"), [DATA]),
    OpCase(
        "SegmentMax",
        lambda d: tf.segment_max(d, [0, 0, 1]),
        lambda d: np.array([[2.0, 3.0], [1.0, 1.0]], np.float64),
        [np.array([[2.0, 3.0], [2.0, 1.0], [1.0, 1.0]])],
        name="ties",
        wrt=[0],
    ),
    OpCase("SegmentMin", lambda d: tf.segment_min(d, IDS), _sorted("min"), [DATA]),
    OpCase(
        "SegmentProd", lambda d: tf.segment_prod(d, IDS), _sorted("prod"), [POS], second_order=True
    ),
    OpCase(
        "SegmentProd",
        lambda d: tf.segment_prod(d, [0, 0, 1, 1]),
        lambda d: _ref("prod", d, np.array([0, 0, 1, 1]), 2, True),
        [WITH_ZEROS],
        name="zeros",
        grad=False,
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda d: tf.unsorted_segment_sum(d, UIDS, 4),
        _unsorted("sum"),
        [DATA],
        second_order=True,
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda d: tf.unsorted_segment_sum(d, IDS2, 3),
        _unsorted("sum", IDS2, 3),
        [DATA3],
        name="2d_ids",
        second_order=True,
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda d: tf.unsorted_segment_sum(d, [2, 0, 2], 3),
        lambda d: np.array([d[1], 0, d[0] + d[2]], d.dtype),
        [np.array([1, 2, 3], np.int32)],
        name="int",
        grad=False,
    ),
    OpCase(
        "UnsortedSegmentMax",
        lambda d: tf.unsorted_segment_max(d, UIDS, 4),
        _unsorted("max"),
        [DATA],
        name="empty",
        grad=False,
    ),
    OpCase(
        "UnsortedSegmentMax",
        lambda d: tf.unsorted_segment_max(d, FULL, 2),
        _unsorted("max", FULL, 2),
        [DATA],
    ),
    OpCase(
        "UnsortedSegmentMax",
        lambda d: tf.unsorted_segment_max(d, IDS2, 3),
        _unsorted("max", IDS2, 3),
        [DATA3],
        name="2d_ids",
    ),
    OpCase(
        "UnsortedSegmentMin",
        lambda d: tf.unsorted_segment_min(d, FULL, 2),
        _unsorted("min", FULL, 2),
        [DATA],
    ),
    OpCase(
        "UnsortedSegmentMin",
        lambda d: tf.unsorted_segment_min(d, [0, 0, 2], 4),
        lambda d: _ref("min", d, np.array([0, 0, 2]), 4, False),
        [np.array([1, 2, 3], np.int32)],
        name="int_empty",
        grad=False,
    ),
    OpCase(
        "UnsortedSegmentProd",
        lambda d: tf.unsorted_segment_prod(d, UIDS, 4),
        _unsorted("prod"),
        [POS],
        second_order=True,
    ),
    OpCase(
        "UnsortedSegmentProd",
        lambda d: tf.unsorted_segment_prod(d, [1, 1, 0, 1], 2),
        lambda d: _ref("prod", d, np.array([1, 1, 0, 1]), 2, False),
        [WITH_ZEROS.astype(np.float64)],
        name="zeros",
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda d: tf.unsorted_segment_mean(d, UIDS, 4),
        _unsorted("mean"),
        [DATA],
        name="mean",
        second_order=True,
    ),
    OpCase(
        "UnsortedSegmentSum",
        lambda d: tf.unsorted_segment_sqrt_n(d, IDS2, 3),
        lambda d: _sqrt_n(d, IDS2, 3),
        [DATA3],
        name="sqrt_n",
    ),
    OpCase(
        "Bincount",
        lambda a: tf.bincount(a),
        _bincount,
        [np.array([[1, 1], [3, 0]], np.int32)],
        grad=False,
    ),
    OpCase(
        "Bincount",
        lambda a, w: tf.bincount(a, weights=w),
        _bincount,
        [np.array([4, 1, 1], np.int32), np.array([0.5, 1.0, 2.0], np.float32)],
        name="weights",
        grad=False,
    ),
    OpCase(
        "Bincount",
        lambda a: tf.bincount(a, minlength=6, maxlength=3),
        lambda a: _bincount(a, minlength=6, maxlength=3),
        [np.array([1, 1, 3], np.int32)],
        name="min_max_length",
        grad=False,
    ),
    OpCase(
        "Bincount",
        lambda a: tf.bincount(a),
        _bincount,
        [np.zeros([0], np.int32)],
        name="empty",
        grad=False,
    ),
]
