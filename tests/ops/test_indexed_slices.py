"""tf.IndexedSlices (densified by convert_to_tensor, fetched as an IndexedSlicesValue, taken by
optimizers), convert_to_tensor_or_indexed_slices, tf.sparse.mask, the sparse serialization
ops and tf.edit_distance: values and error paths, NumPy only."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.ops.indexed_slices import IndexedSlicesValue

ROWS = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def _slices(dense_shape=(4, 2)):
    shape = None if dense_shape is None else tf.constant(list(dense_shape))
    return tf.IndexedSlices(tf.constant(ROWS), tf.constant([2, 0, 2]), shape)


def test_indexed_slices_densify_and_fetch():
    with tf.Graph().as_default():
        x = _slices()
        assert x.dtype == tf.float32 and x.shape.as_list() == [4, 2] and x.name == x.values.name
        dense = tf.convert_to_tensor(x)
        assert dense.shape.as_list() == [4, 2]
        with tf.Session() as s:
            got, fetched, neg = s.run([dense, x, -x])
            halves = s.run(tf.convert_to_tensor(x) * 0.5)
    # rows given twice are summed, as tf.convert_to_tensor does
    np.testing.assert_array_equal(got, [[3, 4], [0, 0], [6, 8], [0, 0]])
    np.testing.assert_array_equal(halves, got * 0.5)
    assert isinstance(fetched, IndexedSlicesValue)
    np.testing.assert_array_equal(fetched.values, ROWS)
    np.testing.assert_array_equal(fetched.indices, [2, 0, 2])
    np.testing.assert_array_equal(fetched.dense_shape, [4, 2])
    np.testing.assert_array_equal(neg.values, -ROWS)


def test_indexed_slices_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="without dense_shape"):
            tf.convert_to_tensor(_slices(None))
        with tf.Session() as s:
            fetched = s.run(_slices(None))
        assert fetched.dense_shape is None
        with pytest.raises(ValueError, match="requested dtype int32 for IndexedSlices"):
            tf.convert_to_tensor(_slices(), dtype=tf.int32)
        with pytest.raises(TypeError, match="indices must be integer"):
            tf.IndexedSlices(ROWS, [0.5, 1.5, 2.5])
        with pytest.raises(ValueError, match="indices must be a vector"):
            tf.IndexedSlices(ROWS, [[0, 1, 2]])


def test_optimizer_applies_an_indexed_slices_gradient():
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros((4, 2), np.float32))
        step = tf.train.GradientDescentOptimizer(0.5).apply_gradients([(_slices(), v)])
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(step)
            np.testing.assert_allclose(s.run(v), -0.5 * np.array([[3, 4], [0, 0], [6, 8], [0, 0]]))


def test_convert_to_tensor_or_indexed_slices():
    with tf.Graph().as_default():
        x = _slices()
        assert tf.convert_to_tensor_or_indexed_slices(x) is x
        sp = tf.SparseTensor([[0, 0]], [1.0], [2, 2])
        assert tf.convert_to_tensor_or_indexed_slices(sp) is sp
        made = tf.convert_to_tensor_or_indexed_slices(IndexedSlicesValue(ROWS, [0, 1, 2], [3, 2]))
        assert isinstance(made, tf.IndexedSlices) and made.dense_shape is not None
        t = tf.convert_to_tensor_or_indexed_slices([1, 2])
        assert isinstance(t, tf.Tensor) and t.dtype == tf.int32
        with pytest.raises(ValueError, match="requested dtype int64 for IndexedSlices"):
            tf.convert_to_tensor_or_indexed_slices(x, dtype=tf.int64)
        with tf.Session() as s:
            np.testing.assert_array_equal(s.run(made.values), ROWS)


def test_sparse_mask_drops_the_masked_rows():
    with tf.Graph().as_default():
        x = tf.IndexedSlices(tf.constant(ROWS), tf.constant([12, 26, 37]), tf.constant([1000, 2]))
        masked = tf.sparse.mask(x, [12, 99])
        assert isinstance(masked, tf.IndexedSlices) and tf.sparse_mask is tf.sparse.mask
        with tf.Session() as s:
            got = s.run(masked)
    np.testing.assert_array_equal(got.indices, [26, 37])
    np.testing.assert_array_equal(got.values, ROWS[1:])
    np.testing.assert_array_equal(got.dense_shape, [1000, 2])
    with pytest.raises(TypeError, match="IndexedSlices"):
        tf.sparse.mask(tf.constant(ROWS), [0])


def test_serialize_and_deserialize_many_sparse():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 1, 0], [2, 0, 2], [2, 1, 0]], ["p", "q", "r"], [3, 9, 4])
        ser = tf.serialize_many_sparse(sp)
        assert ser.shape.as_list() == [None, 3] and ser.dtype == tf.string
        rows = tf.serialize_sparse(sp)
        assert rows.shape.as_list() == [3]
        back = tf.deserialize_many_sparse(ser, tf.string, rank=3)
        assert back.indices.shape.as_list() == [None, 3]
        # two batches of different inner shapes: the result's shape takes the largest
        two = tf.stack(
            [
                tf.serialize_sparse(tf.SparseTensor([[0, 0]], [7], [1, 5])),
                tf.serialize_sparse(tf.SparseTensor([[1, 0], [2, 1]], [8, 9], [3, 2])),
            ]
        )
        merged = tf.io.deserialize_many_sparse(two, tf.int32)
        with tf.Session() as s:
            got, m = s.run([back, merged])
            with pytest.raises(tf.errors.InvalidArgumentError, match="type int64 but.*int32"):
                s.run(tf.deserialize_many_sparse(two, tf.int64).values)
            with pytest.raises(tf.errors.InvalidArgumentError, match="at least 1 serialized"):
                s.run(tf.deserialize_many_sparse(tf.zeros([0, 3], tf.string), tf.int32).values)
            with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse"):
                s.run(tf.deserialize_many_sparse([["x", "y", "z"]], tf.int32).values)
    np.testing.assert_array_equal(got.indices, [[0, 1, 0], [2, 0, 2], [2, 1, 0]])
    assert got.values.tolist() == [b"p", b"q", b"r"]
    np.testing.assert_array_equal(got.dense_shape, [3, 9, 4])
    np.testing.assert_array_equal(m.indices, [[0, 0, 0], [1, 1, 0], [1, 2, 1]])
    np.testing.assert_array_equal(m.dense_shape, [2, 3, 5])
    with pytest.raises(TypeError, match="out_type must be tf.string"):
        tf.serialize_sparse(tf.SparseTensor([[0]], [1], [1]), out_type=tf.variant)
    with pytest.raises(TypeError, match="SparseTensor"):
        tf.serialize_sparse(tf.constant([1]))


def _levenshtein(a, b):  # a second, recursive reference
    if not a or not b:
        return len(a) + len(b)
    return min(
        _levenshtein(a[1:], b) + 1,
        _levenshtein(a, b[1:]) + 1,
        _levenshtein(a[1:], b[1:]) + (a[0] != b[0]),
    )


def test_edit_distance_against_a_reference():
    rng = np.random.default_rng(3)
    hyp = [list(rng.integers(0, 3, rng.integers(0, 5))) for _ in range(6)]
    truth = [list(rng.integers(0, 3, rng.integers(1, 5))) for _ in range(6)]

    def sparse(seqs):
        ind = [[i, j] for i, s in enumerate(seqs) for j in range(len(s))]
        vals = [v for s in seqs for v in s]
        return tf.SparseTensor(
            np.array(ind, np.int64).reshape(-1, 2),
            np.array(vals, np.int64),
            [len(seqs), max(1, max(map(len, seqs)))],
        )

    with tf.Graph().as_default(), tf.Session() as s:
        raw, norm = s.run(
            [tf.edit_distance(sparse(hyp), sparse(truth), normalize=False),
             tf.edit_distance(sparse(hyp), sparse(truth))]
        )  # fmt: skip
    want = np.array([_levenshtein(h, t) for h, t in zip(hyp, truth)], np.float32)
    np.testing.assert_array_equal(raw, want)
    np.testing.assert_allclose(norm, want / [len(t) for t in truth], rtol=1e-6)


def test_edit_distance_errors():
    a = tf.SparseTensor([[0, 0]], [1], [1, 1])
    with pytest.raises(ValueError, match="EditDistance.*same rank; got 2 vs. 3"):
        tf.edit_distance(a, tf.SparseTensor([[0, 0, 0]], [1], [1, 1, 1]))
    with pytest.raises(TypeError, match="edit_distance: truth has values of float32"):
        tf.edit_distance(a, tf.SparseTensor([[0, 0]], [1.0], [1, 1]))
    with pytest.raises(ValueError, match="EditDistance.*rank >= 2"):
        tf.edit_distance(tf.SparseTensor([[0]], [1], [1]), tf.SparseTensor([[0]], [1], [1]))
    with pytest.raises(TypeError, match="edit_distance: input must be a SparseTensor"):
        tf.edit_distance(tf.constant([[1]]), a)


def _counts(sp):
    return {tuple(i): v for i, v in zip(sp.indices.tolist(), sp.values.tolist())}


def test_sparse_bincount():
    x = np.array([[1, 3, 3], [0, 5, 1]], np.int64)
    with tf.Graph().as_default(), tf.Session() as s:
        flat, rows, binary, capped, wide, sparse_rows = s.run(
            [
                tf.sparse.bincount(x),
                tf.sparse.bincount(x, axis=-1),
                tf.sparse.bincount(x, axis=-1, binary_output=True),
                tf.sparse.bincount(x, maxlength=4),
                tf.sparse.bincount(x, weights=x * 0.5, minlength=9),
                tf.sparse.bincount(
                    tf.SparseTensor([[0, 0], [1, 2], [1, 3]], tf.constant([2, 2, 5]), [3, 4]),
                    axis=-1,
                ),
            ]
        )
    assert _counts(flat) == {(0,): 1, (1,): 2, (3,): 2, (5,): 1}
    assert flat.values.dtype == np.int64 and flat.dense_shape.tolist() == [6]
    assert _counts(rows) == {(0, 1): 1, (0, 3): 2, (1, 0): 1, (1, 1): 1, (1, 5): 1}
    assert set(_counts(binary).values()) == {1} and rows.dense_shape.tolist() == [2, 6]
    assert _counts(capped) == {(0,): 1, (1,): 2, (3,): 2} and capped.dense_shape.tolist() == [4]
    assert _counts(wide) == {(0,): 0.0, (1,): 1.0, (3,): 3.0, (5,): 2.5}
    assert wide.dense_shape.tolist() == [9] and wide.values.dtype == np.float64
    assert _counts(sparse_rows) == {(0, 2): 1, (1, 2): 1, (1, 5): 1}
    assert sparse_rows.dense_shape.tolist() == [3, 6]


def test_sparse_bincount_errors():
    with pytest.raises(ValueError, match="Only 0 and -1"):
        tf.sparse.bincount([1, 2], axis=1)
    with pytest.raises(ValueError, match="mutually exclusive"):
        tf.sparse.bincount([1, 2], weights=[1.0, 1.0], binary_output=True)
    with pytest.raises(TypeError, match="DenseCountSparseOutput.*int32 or int64"):
        tf.sparse.bincount([1.5])
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank 1 or 2"):
        tf.sparse.bincount([[[1]]], axis=-1)
    with tf.Graph().as_default(), tf.Session() as s:
        with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative; got -3"):
            s.run(tf.sparse.bincount([1, -3]).values)


def test_sparse_cross():
    with tf.Graph().as_default():
        a = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [3, 2])
        n = tf.SparseTensor([[0, 0], [1, 0]], tf.constant([7, 8], tf.int64), [3, 1])
        d = tf.constant([["x", "y"], ["z", "w"], ["u", "v"]])
        crossed = tf.sparse.cross([d, a, n])  # the sparse inputs go first
        sep = tf.sparse.cross([n, a], separator="#")
        with tf.Session() as s:
            got, got_sep = s.run([crossed, sep])
            with pytest.raises(tf.errors.InvalidArgumentError, match="same batch size.*\\[2, 3\\]"):
                s.run(tf.sparse.cross([tf.SparseTensor([[0, 0]], ["q"], [2, 1]), d]).values)
    rows = {}
    for (r, _), v in zip(got.indices.tolist(), got.values.tolist()):
        rows.setdefault(r, []).append(v.decode())
    assert rows == {
        0: ["a_X_7_X_x", "a_X_7_X_y"],
        1: ["b_X_8_X_z", "b_X_8_X_w", "c_X_8_X_z", "c_X_8_X_w"],
    }
    assert got.dense_shape.tolist() == [3, 4]  # row 2 has no crosses: n has no value there
    assert got_sep.values.tolist() == [b"7#a", b"8#b", b"8#c"]
    with pytest.raises(TypeError, match="non-empty list"):
        tf.sparse.cross([])
    with pytest.raises(ValueError, match="SparseCross.*string or int64"):
        tf.sparse.cross([tf.constant([[1.0]])])


def test_sparse_tensor_spec_and_indexed_slices_spec():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 1]], [1.0], [2, 5])
        spec = tf.SparseTensorSpec.from_value(sp)
        assert (
            spec == tf.SparseTensorSpec([2, 5], tf.float32) and spec.value_type is tf.SparseTensor
        )
        assert repr(spec) == "SparseTensorSpec(TensorShape([2, 5]), tf.float32)"
        loose = tf.SparseTensorSpec([None, 5], tf.float32)
        assert loose.is_compatible_with(sp) and loose != spec
        assert not tf.SparseTensorSpec([None, 4], tf.float32).is_compatible_with(sp)
        assert not tf.SparseTensorSpec([2, 5], tf.int64).is_compatible_with(spec)
        assert tf.SparseTensorSpec(None, tf.int32) != tf.SparseTensorSpec([2], tf.int32)
        with pytest.raises(TypeError, match="expected a SparseTensor"):
            tf.SparseTensorSpec.from_value(tf.constant(1))
    spec = tf.IndexedSlicesSpec([None, 3], tf.float32)
    assert spec == tf.IndexedSlicesSpec([None, 3]) and spec.value_type is tf.IndexedSlices
    assert repr(tf.IndexedSlicesSpec()) == (
        "IndexedSlicesSpec(TensorShape(None), tf.float32, tf.int64, None, TensorShape([None]))"
    )
    assert spec != tf.IndexedSlicesSpec([None, 3], indices_dtype=tf.int32)
    with pytest.raises(ValueError, match="indices_shape"):
        tf.IndexedSlicesSpec(indices_shape=[2, 2])
