"""IndexedSlices, sparse.mask, the sparse serialization ops (byte for byte) and edit_distance
against TensorFlow (skipped where it is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
v1 = tf_real.compat.v1

import flowzero as tf  # noqa: E402


def _build(m):
    h = m.SparseTensor(
        [[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]],
        ["a", "b", "c", "d", "e", "f"],
        [2, 2, 2],
    )
    t = m.SparseTensor(
        [[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 1, 0]], ["a", "c", "x", "e"], [2, 3, 2]
    )
    sp = m.SparseTensor([[0, 1], [2, 0], [2, 3]], [1.0, 2.0, 3.0], [3, 5])
    sp3 = m.SparseTensor([[0, 1, 1], [2, 0, 0]], [1, 2], [3, 4, 2])
    x = m.IndexedSlices(
        m.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), m.constant([2, 0, 2]), m.constant([4, 2])
    )
    return [
        m.edit_distance(h, t),
        m.edit_distance(h, t, normalize=False),
        m.serialize_sparse(sp),
        m.io.serialize_many_sparse(sp3),
        m.deserialize_many_sparse(m.serialize_many_sparse(sp3), m.int32),
        m.convert_to_tensor(x),
        m.sparse.mask(x, [0]),
        x,
        -x,
        m.sparse.bincount(m.constant([[1, 3, 3], [0, 5, 1]]), axis=-1),
        m.sparse.bincount(
            m.constant([1, 3, 3, 7], m.int64), weights=m.constant([0.5, 1.0, 2.0, 4.0]), minlength=9
        ),
        m.sparse.bincount(m.constant([1, 3, 3, 7]), maxlength=4),
        m.sparse.bincount(m.SparseTensor([[0, 0], [1, 2], [1, 3]], [2, 2, 5], [2, 4]), axis=-1),
        m.sparse.cross(
            [
                m.constant([["x", "y"], ["z", "w"]]),
                sp3_2d := m.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2]),
                m.SparseTensor([[0, 0], [1, 0]], m.constant([7, 8], m.int64), [2, 1]),
            ]
        ),
        m.sparse.cross([sp3_2d, m.constant([["p"], ["q"]])], separator="#"),
    ]


def _flat(v):
    if hasattr(v, "_fields"):
        return [np.asarray(p).tolist() for p in v]
    return [np.asarray(v).tolist()]


def test_sparse_leftovers_match_tf():
    with tf.Graph().as_default(), tf.Session() as s:
        ours = s.run(_build(tf))
    g = v1.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        theirs = s.run(_build(v1))
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert _flat(a) == _flat(b), k
