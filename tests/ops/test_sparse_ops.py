"""Error paths of the sparse ops: typed errors that name the op and the offending index."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_to_dense_rejects_out_of_range_unordered_and_repeated_indices() -> None:
    with tf.Graph().as_default():
        bad = tf.sparse.to_dense(tf.SparseTensor([[0, 5]], [1.0], [2, 2]))
        with pytest.raises(
            InvalidArgumentError, match=r"SparseToDense.*indices\[0\] = \[0,5\] is out of bounds"
        ):
            _run(bad)
        unordered = tf.sparse.to_dense(tf.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2]))
        with pytest.raises(InvalidArgumentError, match=r"SparseToDense.*out of order.*reorder"):
            _run(unordered)
        rep = tf.sparse_to_dense([[1, 0], [1, 0]], [2, 2], [1, 2])
        with pytest.raises(InvalidArgumentError, match="is repeated"):
            _run(rep)
        fine = tf.sparse.to_dense(
            tf.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2]), validate_indices=False
        )
        np.testing.assert_array_equal(_run(fine), [[0, 2], [1, 0]])


def test_kernels_name_the_op_for_bad_indices() -> None:
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32, shape=[2, 2])
        feed = {sp: ([[0, 0], [3, 1]], [1.0, 2.0], [2, 2])}
        for build, op in [
            (lambda: tf.sparse.reduce_sum(sp), "SparseReduceSum"),
            (lambda: tf.sparse.reorder(sp).values, "SparseReorder"),
            (lambda: tf.sparse.matmul(sp, tf.ones([2, 2])), "SparseTensorDenseMatMul"),
            (lambda: tf.sparse.softmax(sp).values, "SparseSoftmax"),
            (lambda: tf.sparse.add(sp, sp).values, "SparseAdd"),
        ]:
            with pytest.raises(
                InvalidArgumentError, match=rf"{op}.*indices\[1\] = \[3,1\] is out of bounds"
            ):
                _run(build(), feed)


def test_shape_mismatches() -> None:
    with tf.Graph().as_default():
        a = tf.SparseTensor([[0, 0]], [1.0], [2, 2])
        b = tf.SparseTensor([[0, 0]], [1.0], [2, 3])
        with pytest.raises(InvalidArgumentError, match="SparseAdd.*dense shapes do not match"):
            _run(tf.sparse.add(a, b).values)
        with pytest.raises(InvalidArgumentError, match="SparseTensorDenseMatMul.*inner dimensions"):
            tf.sparse.matmul(a, tf.ones([3, 2]))
        with pytest.raises(InvalidArgumentError, match="SparseReshape.*4 dense values"):
            _run(tf.sparse.reshape(a, [3, -1]).indices)
        with pytest.raises(ValueError, match="dimension 1 differs"):
            tf.sparse.concat(0, [a, b])
        with pytest.raises(ValueError, match="to_retain must be as long"):
            tf.sparse.retain(a, [True, False])
        with pytest.raises(ValueError, match="no smaller"):
            tf.sparse.reset_shape(b, [1, 3])
        with pytest.raises(TypeError, match="at least one operand"):
            tf.sparse.add(tf.ones([2]), tf.ones([2]))
        with pytest.raises(TypeError, match="must be a SparseTensor"):
            tf.sparse.reduce_sum(tf.ones([2]))


def test_sparse_reduce_kernels_reduce_no_axis_for_empty_axes() -> None:
    """TF's SparseReduceSum / SparseReduceMax kernels read an empty `reduction_axes` as no
    reduction (the builders pass every axis for axis=None, as TF's _ReductionDims)."""
    from flowzero.framework.graph import apply_op
    from flowzero.ops import sparse_math_ops as sm

    ind = tf.constant([[0, 1], [1, 0]], tf.int64)
    val = tf.constant([1.0, 2.0])
    shp = tf.constant([2, 2], tf.int64)
    none = tf.constant([], tf.int32)
    with tf.Session() as s:
        for cls in (sm.SparseReduceSum, sm.SparseReduceMax):
            out = apply_op(cls, [ind, val, shp, none], {"keep_dims": False})
            np.testing.assert_array_equal(s.run(out), [[0.0, 1.0], [2.0, 0.0]])
        assert s.run(tf.sparse_reduce_sum(tf.SparseTensor(ind, val, shp))) == 3.0
