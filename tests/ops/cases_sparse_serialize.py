"""Op-table rows for flowzero/ops/sparse_serialize_ops.py (none has a gradient): the
serializing ops as round trips, EditDistance against distances worked out by hand."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

IND = np.array([[0, 1], [2, 0], [2, 3]], np.int64)
IND3 = np.array([[0, 1, 1], [2, 0, 0], [2, 0, 1]], np.int64)
VALS = np.array([1.5, -2.0, 3.25], np.float32)


def _sp(ind, vals, shape):
    return tf.SparseTensor(ind, vals, shape)


CASES = [
    OpCase(
        "SerializeSparse",
        lambda v: [
            tf.parse_tensor(tf.serialize_sparse(_sp(IND, v, [3, 5]))[k], dt)
            for k, dt in enumerate((tf.int64, tf.float32, tf.int64))
        ],
        lambda v: [IND, v, np.array([3, 5], np.int64)],
        [VALS],
        name="parse_back",
        grad=False,
    ),
    OpCase(
        "SerializeManySparse",
        lambda v: [
            tf.parse_tensor(tf.io.serialize_many_sparse(_sp(IND3, v, [3, 4, 2]))[2, k], dt)
            for k, dt in enumerate((tf.int64, tf.float32, tf.int64))
        ],
        lambda v: [np.array([[0, 0], [0, 1]], np.int64), v[1:], np.array([4, 2], np.int64)],
        [VALS],
        name="row_2",
        grad=False,
    ),
    OpCase(
        "DeserializeManySparse",
        lambda v: list(
            tf.io.deserialize_many_sparse(
                tf.io.serialize_many_sparse(_sp(IND3, v, [3, 4, 2])), tf.float32
            )._components()
        ),
        lambda v: [IND3, v, np.array([3, 4, 2], np.int64)],
        [VALS],
        name="round_trip",
        grad=False,
    ),
    OpCase(
        "EditDistance",
        lambda h, t: tf.edit_distance(
            _sp([[0, 0], [0, 1], [0, 2], [1, 0]], h, [2, 3]),
            _sp([[0, 0], [0, 1], [2, 0]], t, [3, 2]),
        ),
        # row 0: [1, 2, 3] vs [2, 3], one deletion, over 2; row 1: [4] vs nothing (inf);
        # row 2: nothing vs [5], one insertion, over 1
        lambda h, t: np.array([0.5, np.inf, 1.0], np.float32),
        [np.array([1, 2, 3, 4], np.int32), np.array([2, 3, 5], np.int32)],
        name="normalized",
        grad=False,
    ),
]

CASES += [
    OpCase(
        "DenseCountSparseOutput",
        lambda v: list(tf.sparse.bincount(v, axis=-1)._components()),
        lambda v: [
            np.array([[0, 1], [0, 3], [1, 0], [1, 1], [1, 5]], np.int64),
            np.array([1, 2, 1, 1, 1], np.int32),
            np.array([2, 6], np.int64),
        ],
        [np.array([[1, 3, 3], [0, 5, 1]], np.int32)],
        name="per_row",
        grad=False,
    ),
    OpCase(
        "SparseCountSparseOutput",
        lambda w: list(
            tf.sparse.bincount(
                tf.SparseTensor([[0, 0], [1, 2], [1, 3]], tf.constant([2, 2, 5]), [2, 4]),
                weights=w,
                minlength=8,
            )._components()
        ),
        lambda w: [np.array([[2], [5]], np.int64), np.array([w[0] + w[1], w[2]]), [8]],
        [np.array([0.5, 1.25, 2.0], np.float32)],
        name="weighted_flat",
        grad=False,
    ),
]

CASES += [
    OpCase(
        "SparseCross",
        lambda d: list(
            tf.sparse.cross(
                [
                    tf.SparseTensor(
                        [[0, 0], [1, 0], [1, 1]], tf.constant([7, 8, 9], tf.int64), [2, 2]
                    ),
                    d,
                ]
            )._components()
        ),
        lambda d: [
            np.array([[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [1, 3]], np.int64),
            np.array(
                [
                    f"{a}_X_{b.decode()}".encode()
                    for a, r in ((7, d[0]), (8, d[1]), (9, d[1]))
                    for b in r
                ],
                dtype=object,
            ),
            np.array([2, 4], np.int64),
        ],
        [np.array([[b"x", b"y"], [b"z", b"w"]], dtype=object)],
        name="sparse_int_dense_string",
        grad=False,
    ),
]
