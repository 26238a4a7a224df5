"""tf.SparseTensor / SparseTensorValue: construction, static facts, Session fetch and feed,
sparse_placeholder, convert_to_tensor_or_sparse_tensor."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def _sp():
    return tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])


def test_components_dtypes_and_static_shape() -> None:
    with tf.Graph().as_default() as g:
        sp = _sp()
        assert sp.indices.dtype is tf.int64 and sp.dense_shape.dtype is tf.int64
        assert sp.indices.name == "SparseTensor/indices:0"
        assert sp.values.name == "SparseTensor/values:0"
        assert sp.dtype is tf.float32
        assert sp.shape.as_list() == [3, 4] and sp.get_shape().as_list() == [3, 4]
        assert sp.op is sp.values.op and sp.graph is g
        assert "SparseTensor(indices=" in str(sp)
        d = tf.sparse.to_dense(sp)
        assert d in [op.outputs[0] for op in sp.consumers()]
        assert d.shape.as_list() == [3, 4]


def test_fetch_returns_a_sparse_tensor_value_in_any_structure() -> None:
    with tf.Graph().as_default():
        sp = _sp()
        with tf.Session() as sess:
            v = sess.run(sp)
            nested = sess.run({"a": [sp], "b": sp.values})
            ev = sp.eval()
    assert isinstance(v, tf.SparseTensorValue)
    np.testing.assert_array_equal(v.indices, [[0, 0], [1, 2]])
    np.testing.assert_array_equal(v.values, np.array([1, 2], np.float32))
    np.testing.assert_array_equal(v.dense_shape, [3, 4])
    assert v.indices.dtype == np.int64 and v.dense_shape.dtype == np.int64
    assert isinstance(nested["a"][0], tf.SparseTensorValue)
    np.testing.assert_array_equal(nested["b"], [1, 2])
    np.testing.assert_array_equal(ev.values, v.values)


@pytest.mark.parametrize(
    "fed",
    [
        tf.SparseTensorValue([[0, 1], [1, 0]], [3.0, 4.0], [2, 3]),
        ([[0, 1], [1, 0]], [3.0, 4.0], [2, 3]),
    ],
    ids=["value", "tuple"],
)
def test_feed_a_sparse_placeholder(fed) -> None:
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32, shape=[None, 3], name="sp")
        assert sp.values.name == "sp/values:0" and sp.indices.name == "sp/indices:0"
        assert sp.dense_shape.name == "sp/shape:0"
        assert sp.shape.as_list() == [None, 3]
        d = tf.sparse.to_dense(sp)
        assert d.shape.as_list() == [None, 3]
        with tf.Session() as sess:
            got = sess.run(d, {sp: fed})
            back = sess.run(sp, {sp: fed})
    np.testing.assert_array_equal(got, [[0, 3, 0], [4, 0, 0]])
    np.testing.assert_array_equal(back.values, [3, 4])


def test_sparse_placeholder_shapes() -> None:
    with tf.Graph().as_default():
        full = tf.sparse_placeholder(tf.int32, shape=[2, 5])
        assert full.dense_shape.op.type == "Const" and full.shape.as_list() == [2, 5]
        unknown = tf.sparse_placeholder(tf.float32)
        assert unknown.shape.ndims is None and unknown.indices.shape.as_list() == [None, None]
        assert tf.sparse.placeholder is tf.sparse_placeholder
        with tf.Session() as sess:
            v = sess.run(tf.sparse.to_dense(unknown), {unknown: ([], [], [2])})
            w = sess.run(tf.sparse.to_dense(full), {full: ([[1, 4]], [7], [2, 5])})
    np.testing.assert_array_equal(v, [0, 0])
    assert w[1, 4] == 7 and w.sum() == 7


def test_feed_a_constant_sparse_tensor_overrides_its_parts() -> None:
    with tf.Graph().as_default():
        sp = _sp()
        d = tf.sparse.to_dense(sp)
        with tf.Session() as sess:
            got = sess.run(d, {sp: ([[0, 1], [2, 3]], [8.0, 9.0], [3, 4])})
            with pytest.raises(ValueError, match="Cannot feed value of shape"):
                sess.run(d, {sp: ([[2, 3]], [9.0], [3, 4])})  # static shapes hold, as in TF
    assert got[2, 3] == 9 and got[0, 1] == 8 and got.sum() == 17


def test_bad_feeds_and_bad_construction() -> None:
    with tf.Graph().as_default():
        sp = tf.sparse_placeholder(tf.float32)
        with tf.Session() as sess:
            with pytest.raises(TypeError, match="SparseTensorValue or an"):
                sess.run(sp.values, {sp: [1.0, 2.0]})
            with pytest.raises(TypeError, match="cannot be a tf.SparseTensor"):
                sess.run(sp.values, {sp: _sp()})
        with pytest.raises(TypeError, match="indices must be int64"):
            tf.SparseTensor([[0.5]], [1.0], [2])
        with pytest.raises(ValueError, match="dense_shape must be a vector"):
            tf.SparseTensor([[0, 0]], [1.0], [[2]])
        with pytest.raises(ValueError, match="same number of entries"):
            tf.SparseTensor([[0, 0]], [1.0, 2.0], [2, 2])
        with pytest.raises(ValueError, match="rank"):
            tf.SparseTensor([[0, 0]], [1.0], [2, 2, 2])
        with pytest.raises(TypeError, match="not a Tensor"):
            tf.convert_to_tensor(_sp())


def test_from_value_and_convert_to_tensor_or_sparse_tensor() -> None:
    with tf.Graph().as_default():
        sp = _sp()
        assert tf.SparseTensor.from_value(sp) is sp
        v = tf.SparseTensorValue([[0]], [5], [2])
        made = tf.convert_to_tensor_or_sparse_tensor(v)
        assert isinstance(made, tf.SparseTensor) and made.dtype is tf.int32
        assert tf.convert_to_tensor_or_sparse_tensor(sp) is sp
        dense = tf.convert_to_tensor_or_sparse_tensor([1.0, 2.0])
        assert isinstance(dense, tf.Tensor)
        with pytest.raises(ValueError, match="requested = int64, actual = float32"):
            tf.convert_to_tensor_or_sparse_tensor(sp, dtype=tf.int64)
        with pytest.raises(TypeError, match="Neither a SparseTensor"):
            tf.SparseTensor.from_value([1, 2])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(tf.sparse.to_dense(made)), [5, 0])
