"""tf.data: sources, transformations, iterators, errors, a training loop, graph files, and
the same pipelines run by TensorFlow where it is installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import serialization

X = np.arange(12, dtype=np.float32).reshape(6, 2)
Y = np.arange(6, dtype=np.int64)


def _drain(sess, nxt, feed=None):
    out = []
    while True:
        try:
            out.append(sess.run(nxt, feed))
        except tf.errors.OutOfRangeError:
            return out


def _pipelines(mod):
    d = mod.data.Dataset
    return {
        "slices_map_batch": d.from_tensor_slices((X, Y))
        .map(lambda a, b: (a * 2.0, b + 1))
        .batch(4),
        "dict_filter": d.from_tensor_slices({"x": X, "y": Y})
        .filter(lambda e: mod.equal(e["y"] % 2, 0))
        .map(lambda e: e["x"]),
        "drop_remainder": d.from_tensor_slices(X).batch(4, drop_remainder=True),
        "repeat_take_skip": d.range(5).repeat(3).skip(2).take(7),
        "zip": d.zip((d.range(3), d.from_tensor_slices(Y))),
        "from_tensors": d.from_tensors((X, Y)).repeat(2),
        "flat_map": d.from_tensor_slices(X).flat_map(
            lambda row: d.from_tensor_slices(row * 10.0).map(lambda v: v + 1.0)
        ),
        "flat_map_tuple": d.from_tensor_slices((X, Y)).flat_map(
            lambda a, b: d.from_tensors((a, b)).repeat(2)
        ),
        "interleave": d.range(1, 6).interleave(
            lambda x: d.from_tensors(x).repeat(6), cycle_length=2, block_length=4
        ),
        "interleave_uneven": d.range(4).interleave(
            lambda x: d.range(x + 1).map(lambda v: v * 10 + x), cycle_length=3
        ),
    }


def _run_all(mod):
    results = {}
    g = mod.Graph()
    with g.as_default():
        pipelines = _pipelines(mod)
        nexts = {k: ds.make_one_shot_iterator().get_next() for k, ds in pipelines.items()}
        with mod.Session(graph=g) as sess:
            for k, nxt in nexts.items():
                results[k] = _drain_mod(mod, sess, nxt)
    return results


def _drain_mod(mod, sess, nxt):
    out = []
    while True:
        try:
            out.append(sess.run(nxt))
        except mod.errors.OutOfRangeError:
            return out


def _flatten(v):
    if isinstance(v, dict):
        return [np.asarray(v[k]) for k in sorted(v)]
    if isinstance(v, (list, tuple)):
        return [np.asarray(x) for x in v]
    return [np.asarray(v)]


def test_pipelines_give_the_expected_elements():
    got = _run_all(tf)
    batches = got["slices_map_batch"]
    assert [b[0].shape for b in batches] == [(4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), X * 2)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), Y + 1)
    np.testing.assert_array_equal(np.stack(got["dict_filter"]), X[::2])
    assert [b.shape for b in got["drop_remainder"]] == [(4, 2)]
    assert [int(v) for v in got["repeat_take_skip"]] == [2, 3, 4, 0, 1, 2, 3]
    assert [(int(a), int(b)) for a, b in got["zip"]] == [(0, 0), (1, 1), (2, 2)]
    assert len(got["from_tensors"]) == 2


def test_static_types_and_shapes():
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    assert ds.output_types == (tf.float32, tf.int64)
    assert ds.output_shapes[0].as_list() == [None, 2]
    a, b = ds.make_one_shot_iterator().get_next()
    assert a.shape.as_list() == [None, 2] and b.dtype is tf.int64


def test_shuffle_is_seeded_and_reshuffles_each_epoch():
    def epochs(reshuffle):
        with tf.Graph().as_default():
            ds = (
                tf.data.Dataset.range(20)
                .shuffle(20, seed=3, reshuffle_each_iteration=reshuffle)
                .repeat(2)
            )
            nxt = ds.make_one_shot_iterator().get_next()
            with tf.Session() as sess:
                vals = [int(v) for v in _drain(sess, nxt)]
        return vals[:20], vals[20:]

    first, second = epochs(True)
    assert sorted(first) == list(range(20)) and first != list(range(20)) and first != second
    assert epochs(True) == (first, second)  # the same seed, the same order
    a, b = epochs(False)
    assert a == b


def test_initializable_iterator_with_a_placeholder():
    ph = tf.placeholder(tf.float32, [None, 2])
    it = tf.data.Dataset.from_tensor_slices(ph).batch(2).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
            sess.run(nxt)
        sess.run(it.initializer, {ph: X})
        assert len(_drain(sess, nxt)) == 3
        sess.run(it.initializer, {ph: X[:1]})  # re-initialized with other data
        got = _drain(sess, nxt)
    assert len(got) == 1 and got[0].shape == (1, 2)
    with pytest.raises(ValueError, match="one-shot"):
        tf.data.Dataset.range(2).make_one_shot_iterator().initializer  # noqa: B018


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="first dimensions differ"):
        tf.data.Dataset.from_tensor_slices((X, Y[:3]))
    with pytest.raises(ValueError, match="scalar"):
        tf.data.Dataset.from_tensor_slices(np.float32(1.0))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        tf.data.Dataset.range(3).batch(0)
    with pytest.raises(TypeError, match="bool scalar"):
        tf.data.Dataset.range(3).filter(lambda v: v + 1)
    with pytest.raises(TypeError, match="not iterable in graph mode"):
        iter(tf.data.Dataset.range(3))


def test_training_from_a_dataset_and_the_compat_names():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 3)).astype(np.float32)
    ys = xs @ np.array([[1.0], [2.0], [-1.0]], np.float32)
    ds = tf.data.Dataset.from_tensor_slices((xs, ys)).shuffle(64, seed=0).repeat().batch(16)
    bx, by = tf.compat.v1.data.make_one_shot_iterator(ds).get_next()
    w = tf.Variable(tf.zeros([3, 1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(bx, w) - by))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(200):
            sess.run(train)
        np.testing.assert_allclose(sess.run(w).ravel(), [1.0, 2.0, -1.0], atol=1e-4)


def test_a_dataset_graph_round_trips_through_a_graph_file():
    ds = tf.data.Dataset.from_tensor_slices(X).map(lambda v: v * 2.0).batch(4)
    ds.make_one_shot_iterator().get_next(name="next")
    ph = tf.placeholder(tf.float32, [None, 2], name="ph")
    it = (
        tf.data.Dataset.from_tensor_slices(ph)
        .filter(lambda v: v[0] > 4.0)
        .make_initializable_iterator()
    )
    it.get_next(name="next2")
    init_name = it.initializer.name
    doc = serialization.graph_to_dict(tf.get_default_graph())
    g2 = serialization.graph_from_dict(doc.doc, doc.arrays)
    with tf.Session(graph=g2) as sess:
        got = [sess.run("next:0"), sess.run("next:0")]
        sess.run(init_name, {"ph:0": X})
        got2 = _drain(sess, "next2:0")
    np.testing.assert_array_equal(np.concatenate(got), X * 2)
    np.testing.assert_array_equal(np.stack(got2), X[3:])


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
def test_matches_tensorflow():
    import tensorflow as real_tf

    ours, theirs = _run_all(tf), _run_all(real_tf.compat.v1)
    assert ours.keys() == theirs.keys()
    for k in ours:
        assert len(ours[k]) == len(theirs[k]), k
        for a, b in zip(ours[k], theirs[k]):
            for x, y in zip(_flatten(a), _flatten(b)):
                np.testing.assert_array_equal(x, y, err_msg=k)


@pytest.mark.parametrize("repeat, drop", [(1, False), (2, False), (2, True), (3, True)])
def test_batches_cut_as_ranges_equal_the_element_by_element_ones(repeat, drop):
    def run(identity_map):
        with tf.Graph().as_default():
            ds = tf.data.Dataset.from_tensor_slices((X, Y))
            if identity_map:  # a map forces the element-by-element path
                ds = ds.map(lambda a, b: (a, b))
            nxt = (
                ds.repeat(repeat).batch(4, drop_remainder=drop).make_one_shot_iterator().get_next()
            )
            with tf.Session() as sess:
                return _drain(sess, nxt)

    fast, slow = run(False), run(True)
    assert len(fast) == len(slow) > 0
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_a_fetched_batch_is_a_copy():
    nxt = (
        tf.data.Dataset.from_tensor_slices(X).repeat(2).batch(6).make_one_shot_iterator().get_next()
    )
    with tf.Session() as sess:
        first = sess.run(nxt)
        first *= 100  # must not reach the dataset
        np.testing.assert_array_equal(sess.run(nxt), X)


def test_a_reinitializable_iterator_switches_between_datasets():
    train = tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    val = tf.data.Dataset.from_tensor_slices((X[:2] + 100, Y[:2])).batch(4)
    it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    nxt = it.get_next()
    train_init, val_init = it.make_initializer(train), it.make_initializer(val)
    with tf.Session() as sess:
        sess.run(train_init)
        assert len(_drain(sess, nxt)) == 2
        sess.run(val_init)
        (got,) = _drain(sess, nxt)
        np.testing.assert_array_equal(got[0], X[:2] + 100)
    with pytest.raises(TypeError, match="do not match"):
        it.make_initializer(tf.data.Dataset.range(3))
    with pytest.raises(ValueError, match="make_initializer"):
        it.initializer  # noqa: B018


def test_padded_batch_pads_to_the_longest_or_the_given_shape():
    seqs = [[1, 2, 3], [4], [5, 6]]
    lens = np.array([3, 1, 2], np.int64)
    padded = np.zeros((3, 3), np.int64)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    ds = (
        tf.data.Dataset.from_tensor_slices((padded, lens))
        .map(lambda row, n: (row[: tf.cast(n, tf.int32)], n))
        .padded_batch(2, padded_shapes=([None], []), padding_values=(-1, 0))
    )
    nxt = ds.make_one_shot_iterator().get_next()
    assert nxt[0].shape.as_list() == [None, None]
    with tf.Session() as sess:
        got = _drain(sess, nxt)
    np.testing.assert_array_equal(got[0][0], [[1, 2, 3], [4, -1, -1]])
    np.testing.assert_array_equal(got[1][0], [[5, 6]])
    fixed = tf.data.Dataset.from_tensor_slices(padded[:, :2]).padded_batch(3, [4])
    with tf.Session() as sess:
        np.testing.assert_array_equal(
            sess.run(fixed.make_one_shot_iterator().get_next()),
            np.pad(padded[:, :2], ((0, 0), (0, 2))),
        )
    too_small = tf.data.Dataset.from_tensor_slices(padded).padded_batch(3, [2])
    with (
        tf.Session() as sess,
        pytest.raises(tf.errors.InvalidArgumentError, match="more than its padded shape"),
    ):
        sess.run(too_small.make_one_shot_iterator().get_next())


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
def test_padded_batch_matches_tensorflow():
    import tensorflow as real_tf

    rows = np.array([[1, 2, 3], [4, 0, 0], [5, 6, 0]], np.int64)
    lens = np.array([3, 1, 2], np.int64)

    def run(mod):
        g = mod.Graph()
        with g.as_default():
            ds = (
                mod.data.Dataset.from_tensor_slices((rows, lens))
                .map(lambda r, n: (r[: mod.cast(n, mod.int32)], n))
                .padded_batch(
                    2,
                    padded_shapes=([None], []),
                    padding_values=(mod.constant(-1, mod.int64), mod.constant(0, mod.int64)),
                )
            )
            nxt = mod.compat.v1.data.make_one_shot_iterator(ds).get_next()
            with mod.Session(graph=g) as sess:
                return _drain_mod(mod, sess, nxt)

    for a, b in zip(run(tf), run(real_tf.compat.v1)):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_from_generator_converts_and_checks_each_element():
    def gen(n):
        for i in range(int(n)):
            yield [i] * (i + 1), float(i)

    n = tf.placeholder(tf.int64, [])
    ds = tf.data.Dataset.from_generator(gen, (tf.int32, tf.float32), ([None], []), args=[n])
    it = ds.padded_batch(2, ([None], [])).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {n: 3})
        got = _drain(sess, nxt)
    np.testing.assert_array_equal(got[0][0], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(got[1][0], [[2, 2, 2]])
    assert got[0][1].dtype == np.float32

    bad = tf.data.Dataset.from_generator(lambda: iter([[1, 2]]), tf.int32, [3])
    with (
        tf.Session() as sess,
        pytest.raises(tf.errors.InvalidArgumentError, match=r"element 0.*shape \(2,\).*declared"),
    ):
        sess.run(bad.make_one_shot_iterator().get_next())
    with pytest.raises(TypeError, match="callable"):
        tf.data.Dataset.from_generator(3, tf.int32)


def test_interleave_is_tfs_documented_order_and_checks_its_arguments():
    ds = tf.data.Dataset.range(1, 6).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4
    )
    with tf.Session() as sess:
        got = _drain(sess, ds.make_one_shot_iterator().get_next())
    assert got == [
        1,
        1,
        1,
        1,
        2,
        2,
        2,
        2,
        1,
        1,
        2,
        2,
        3,
        3,
        3,
        3,
        4,
        4,
        4,
        4,
        3,
        3,
        4,
        4,
        5,
        5,
        5,
        5,
        5,
        5,
    ]
    with pytest.raises(ValueError, match="cycle_length and block_length must be >= 1"):
        tf.data.Dataset.range(3).interleave(lambda x: tf.data.Dataset.from_tensors(x), 0)
    with pytest.raises(TypeError, match="flat_map: map_func must return a Dataset; got Tensor"):
        tf.data.Dataset.range(3).flat_map(lambda x: x * 2)
