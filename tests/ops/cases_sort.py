"""Op-table rows for sorting and the set ops (flowzero/ops/sort_ops.py); sort and argsort are
composites over TopKV2, so their rows stand under that op type."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

X = rand(3, 5)
TIES = np.array([[2.0, 1.0, 2.0, 1.0, 3.0]], np.float32)
INTS = np.array([5, -3, np.iinfo(np.int32).min, 7, -3, np.iinfo(np.int32).max], np.int32)
U8 = np.array([3, 255, 0, 3, 9], np.uint8)


def _np_unique(x):
    u, first, inv, cnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return u[order], rank[inv].astype(np.int32), cnt[order].astype(np.int32)


CASES = [
    OpCase(
        "TopKV2",
        lambda x: tf.sort(x),
        lambda x: np.sort(x, -1),
        [X],
        name="sort",
        second_order=True,
    ),
    OpCase(
        "TopKV2",
        lambda x: tf.sort(x, axis=0, direction="DESCENDING"),
        lambda x: -np.sort(-x, 0),
        [X],
        name="sort_axis0_desc",
    ),
    OpCase(
        "TopKV2",
        lambda x: tf.sort(x),
        lambda x: np.sort(x),
        [INTS],
        name="sort_int_extremes",
        grad=False,
    ),
    OpCase(
        "TopKV2", lambda x: tf.sort(x), lambda x: np.sort(x), [U8], name="sort_uint8", grad=False
    ),
    OpCase(
        "TopKV2",
        lambda x: tf.argsort(x),
        lambda x: np.argsort(x, -1, kind="stable").astype(np.int32),
        [TIES],
        name="argsort_stable",
        grad=False,
    ),
    OpCase(
        "TopKV2",
        lambda x: tf.argsort(x, direction="DESCENDING", stable=True),
        lambda x: np.argsort(-x, -1, kind="stable").astype(np.int32),
        [TIES],
        name="argsort_desc",
        grad=False,
    ),
    OpCase(
        "TopKV2",
        lambda x: tf.argsort(x, axis=1),
        lambda x: np.argsort(x, 1, kind="stable").astype(np.int32),
        [rand(2, 4, 3)],
        name="argsort_axis1",
        grad=False,
    ),
    OpCase(
        "Unique",
        lambda x: tf.unique(x),
        lambda x: _np_unique(x)[:2],
        [np.array([1, 1, 2, 4, 4, 4, 7, 8, 8], np.int32)],
        grad=False,
    ),
    OpCase(
        "Unique",
        lambda x: tf.unique(x, out_idx=tf.int64),
        lambda x: (_np_unique(x)[0], _np_unique(x)[1].astype(np.int64)),
        [np.array([3.5, -1.0, 3.5, 0.0], np.float32)],
        name="float_int64",
        grad=False,
    ),
    OpCase(
        "Unique",
        lambda x: tf.unique(x),
        lambda x: (x, np.zeros(0, np.int32)),
        [np.zeros(0, np.float32)],
        name="empty",
        grad=False,
    ),
    OpCase(
        "UniqueWithCounts",
        lambda x: tf.unique_with_counts(x),
        _np_unique,
        [np.array([9, 1, 9, 9, 2, 1], np.int64)],
        grad=False,
    ),
    OpCase(
        "ListDiff",
        lambda x, y: tf.setdiff1d(x, y),
        lambda x, y: (x[~np.isin(x, y)], np.flatnonzero(~np.isin(x, y)).astype(np.int32)),
        [np.array([1, 2, 3, 4, 5, 6, 2], np.int32), np.array([1, 3, 5], np.int32)],
        grad=False,
    ),
]
