"""Op-table rows for the sparse ops (flowzero/ops/sparse_ops.py, sparse_math_ops.py).

Ops that return a SparseTensor are built as the list of its three tensors."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

IND = np.array([[0, 1], [1, 0], [2, 3]], np.int64)
SHAPE = np.array([3, 4], np.int64)
VALS = rand(3)


def _dense(ind, vals, shape, default=0):
    out = np.full(tuple(shape), default, dtype=np.asarray(vals).dtype)
    for i, ix in enumerate(ind):
        out[tuple(ix)] = vals[i] if np.ndim(vals) else vals
    return out


def _sp(ind, vals, shape=SHAPE):
    return tf.SparseTensor(ind, vals, shape)


CASES = [
    OpCase(
        "SparseToDense",
        lambda v: tf.sparse.to_dense(_sp(IND, v)),
        lambda v: _dense(IND, v, SHAPE),
        [VALS],
        second_order=True,
    ),
    OpCase(
        "SparseToDense",
        lambda i, s, v, d: tf.sparse_to_dense(i, s, v, d),
        lambda i, s, v, d: _dense(i, v, s, d),
        [IND, SHAPE, VALS, np.float32(0.5)],
        name="fed_default",
    ),
    OpCase(
        "SparseToDense",
        lambda v: tf.sparse_to_dense([1, 3], [5], v),
        lambda v: _dense([[1], [3]], v, [5]),
        [np.float32(2.0)],
        name="scalar_values_vector_indices",
    ),
    OpCase(
        "SparseToDense",
        lambda v: tf.sparse_to_dense(np.zeros((0, 2), np.int64), [2, 2], v, -1),
        lambda v: np.full((2, 2), -1, np.int32),
        [np.zeros(0, np.int32)],
        name="empty",
        grad=False,
    ),
]
