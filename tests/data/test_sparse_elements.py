"""Datasets whose elements hold SparseTensors (a map parsing VarLenFeatures): the structure
getters, map/filter functions receiving them, batch joining them as TF, get_next rebuilding
them, and the transformations that refuse them."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def _example(ids, label):
    e = tf.train.Example()
    e.features.feature["ids"].int64_list.value.extend(ids)
    e.features.feature["y"].float_list.value.append(label)
    return e.SerializeToString()


ROWS = [([1, 2], 0.5), ([], 1.0), ([3, 4, 5], 2.0), ([6], 3.0), ([7, 8], 4.0)]
FEATURES = {"ids": tf.io.VarLenFeature(tf.int64), "y": tf.io.FixedLenFeature([], tf.float32)}


@pytest.fixture
def records(tmp_path):
    path = str(tmp_path / "sparse.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        for ids, y in ROWS:
            w.write(_example(ids, y))
    return path


def _parsed(path):
    return tf.data.TFRecordDataset(path).map(lambda r: tf.io.parse_single_example(r, FEATURES))


def test_parse_then_batch_yields_batched_sparse_tensors(records):
    with tf.Graph().as_default():
        ds = _parsed(records).batch(2)
        assert tf.data.get_output_classes(ds) == {"ids": tf.SparseTensor, "y": tf.Tensor}
        assert tf.data.get_output_types(ds) == {"ids": tf.int64, "y": tf.float32}
        assert ds.output_shapes["ids"].as_list() == [None, None]
        assert ds.element_spec["ids"] == tf.SparseTensorSpec([None, None], tf.int64)
        nxt = ds.make_one_shot_iterator().get_next()
        assert isinstance(nxt["ids"], tf.SparseTensor) and nxt["ids"].indices.shape.as_list() == [
            None, 2
        ]  # fmt: skip
        dense = tf.sparse.to_dense(nxt["ids"])
        with tf.Session() as s:
            got = [s.run([nxt, dense]) for _ in range(3)]
            with pytest.raises(tf.errors.OutOfRangeError):
                s.run(nxt)
    (b0, d0), (b1, d1), (b2, d2) = got
    np.testing.assert_array_equal(b0["ids"].indices, [[0, 0], [0, 1]])
    np.testing.assert_array_equal(b0["ids"].dense_shape, [2, 2])  # the empty row counts
    np.testing.assert_array_equal(d1, [[3, 4, 5], [6, 0, 0]])
    np.testing.assert_array_equal(b1["y"], [2.0, 3.0])
    np.testing.assert_array_equal(b2["ids"].dense_shape, [1, 2])
    np.testing.assert_array_equal(d2, [[7, 8]])


def test_functions_receive_sparse_tensors(records):
    with tf.Graph().as_default():
        ds = (
            _parsed(records)
            .map(lambda d: (d["ids"], d["y"] * 2))
            .filter(lambda sp, y: tf.logical_and(y > 1.5, tf.size(sp.values) > 0))
            .map(lambda sp, y: (tf.sparse.reduce_sum(sp), y))
        )
        assert ds.output_classes == (tf.Tensor, tf.Tensor)
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as s:
            got = []
            while True:
                try:
                    got.append(s.run(nxt))
                except tf.errors.OutOfRangeError:
                    break
    assert got == [(12, 4.0), (6, 6.0), (15, 8.0)]


def test_sparse_elements_in_zip_and_the_refusing_transformations(records):
    with tf.Graph().as_default():
        zipped = tf.data.Dataset.zip((tf.data.Dataset.range(5), _parsed(records)))
        k, d = zipped.make_one_shot_iterator().get_next()
        with tf.Session() as s:
            first = s.run([k, d["ids"]])
        assert first[0] == 0 and first[1].values.tolist() == [1, 2]
        with pytest.raises(TypeError, match="padded_batch.*SparseTensor"):
            _parsed(records).padded_batch(2, {"ids": [None], "y": []})
        with pytest.raises(TypeError, match="unbatch.*SparseTensor"):
            _parsed(records).batch(2).unbatch()


def test_parse_example_dataset_and_make_batched_features_dataset(tmp_path):
    for k, rows in enumerate([ROWS[:3], ROWS[3:]]):
        with tf.io.TFRecordWriter(str(tmp_path / f"part-{k}.tfrecord")) as w:
            for ids, y in rows:
                w.write(_example(ids, y))
    exp = tf.data.experimental
    pattern = str(tmp_path / "part-*")
    with tf.Graph().as_default():
        parsed = (
            tf.data.TFRecordDataset(str(tmp_path / "part-0.tfrecord"))
            .batch(3)
            .apply(exp.parse_example_dataset(FEATURES))
        )
        labelled = exp.make_batched_features_dataset(
            pattern, 2, FEATURES, label_key="y", num_epochs=1, shuffle=False
        )
        assert labelled.output_classes == ({"ids": tf.SparseTensor}, tf.Tensor)
        forever = exp.make_batched_features_dataset(pattern, 3, FEATURES, shuffle_seed=1)
        nexts = [d.make_one_shot_iterator().get_next() for d in (parsed, labelled, forever)]
        with tf.Session() as s:
            p = s.run(nexts[0])
            batches = []
            while True:
                try:
                    batches.append(s.run(nexts[1]))
                except tf.errors.OutOfRangeError:
                    break
            sizes = [len(s.run(nexts[2])["y"]) for _ in range(4)]
    np.testing.assert_array_equal(p["ids"].indices, [[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]])
    np.testing.assert_array_equal(p["ids"].dense_shape, [3, 3])
    np.testing.assert_array_equal(p["y"], [0.5, 1.0, 2.0])
    assert [b[1].tolist() for b in batches] == [[0.5, 1.0], [2.0, 3.0], [4.0]]
    assert [b[0]["ids"].values.tolist() for b in batches] == [[1, 2], [3, 4, 5, 6], [7, 8]]
    assert sizes == [3, 3, 3, 3]  # num_epochs=None: repeated, full batches only
    with pytest.raises(ValueError, match="label_key.*must be one of"):
        exp.make_batched_features_dataset(pattern, 2, FEATURES, label_key="nope")
    with pytest.raises(ValueError, match="no files match"):
        exp.make_batched_features_dataset(str(tmp_path / "none*"), 2, FEATURES)
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="string vectors of serialized Examples"):
            tf.data.Dataset.range(3).apply(exp.parse_example_dataset(FEATURES))


def test_reinitializable_and_feedable_iterators_of_sparse_elements(records):
    with tf.Graph().as_default():
        train = _parsed(records).batch(2)
        val = _parsed(records).skip(4).batch(2)
        it = tf.data.Iterator.from_structure(
            train.output_types, train.output_shapes, output_classes=train.output_classes
        )
        assert it.output_classes == {"ids": tf.SparseTensor, "y": tf.Tensor}
        nxt = it.get_next()
        assert isinstance(nxt["ids"], tf.SparseTensor)
        h = tf.placeholder(tf.string, [])
        fed = tf.data.Iterator.from_string_handle(
            h, train.output_types, train.output_shapes, train.output_classes
        ).get_next()
        one_shot = train.make_one_shot_iterator()
        with tf.Session() as s:
            s.run(it.make_initializer(train))
            assert s.run(nxt)["ids"].values.tolist() == [1, 2]
            s.run(it.make_initializer(val))
            got = s.run(nxt)
            assert got["ids"].values.tolist() == [7, 8] and got["y"].tolist() == [4.0]
            handle = s.run(one_shot.string_handle())
            assert s.run(fed, {h: handle})["ids"].dense_shape.tolist() == [2, 2]
    with pytest.raises(ValueError, match="output_classes have different structures"):
        tf.data.Iterator.from_structure((tf.int64, tf.int64), output_classes=(tf.Tensor,))


def test_from_tensors_of_a_sparse_tensor():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 1], [2, 0]], [5, 6], [3, 2])
        ds = tf.data.Dataset.from_tensors((sp, tf.constant(1.0))).repeat(2).batch(2)
        assert ds.output_classes == (tf.SparseTensor, tf.Tensor)
        assert ds.output_shapes[0].as_list() == [None, 3, 2]
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as s:
            got, ones = s.run(nxt)
    np.testing.assert_array_equal(got.indices, [[0, 0, 1], [0, 2, 0], [1, 0, 1], [1, 2, 0]])
    np.testing.assert_array_equal(got.dense_shape, [2, 3, 2])
    assert got.values.tolist() == [5, 6, 5, 6] and ones.tolist() == [1.0, 1.0]


def test_from_tensor_slices_of_a_sparse_tensor():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 1], [2, 0], [2, 2]], [5, 6, 7], [3, 4])
        ds = tf.data.Dataset.from_tensor_slices((sp, tf.constant([1.0, 2.0, 3.0])))
        assert ds.output_classes == (tf.SparseTensor, tf.Tensor)
        assert ds.output_shapes[0].as_list() == [4]
        rows = ds.make_one_shot_iterator().get_next()
        batch = ds.batch(2).make_one_shot_iterator().get_next()
        with tf.Session() as s:
            got = [s.run(rows) for _ in range(3)]
            b0 = s.run(batch)
            assert s.run(ds.cardinality()) == 3
        with pytest.raises(ValueError, match="first dimensions differ"):
            tf.data.Dataset.from_tensor_slices((sp, tf.constant([1.0, 2.0])))
    assert [g[0].indices.tolist() for g in got] == [[[1]], [], [[0], [2]]]
    assert [g[0].values.tolist() for g in got] == [[5], [], [6, 7]]
    assert all(g[0].dense_shape.tolist() == [4] for g in got)
    np.testing.assert_array_equal(b0[0].indices, [[0, 1]])
    np.testing.assert_array_equal(b0[0].dense_shape, [2, 4])
