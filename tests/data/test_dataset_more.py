"""tf.data's remaining names: Options (+ with_options/options), the cardinality constants and
cardinality(), element_spec / DatasetSpec, the get_output_* functions, feedable iterators
(string_handle / from_string_handle), unbatch, and tf.data.experimental's transformations,
each run end to end; as_numpy_iterator in eager mode (a fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import flowzero as tf

E = tf.data.experimental
D = tf.data.Dataset
X = np.arange(12, dtype=np.float32).reshape(6, 2)


def _drain(sess, nxt, feed=None):
    out = []
    while True:
        try:
            out.append(sess.run(nxt, feed))
        except tf.errors.OutOfRangeError:
            return out


def _elements(ds):
    with tf.Session() as s:
        return _drain(s, ds.make_one_shot_iterator().get_next())


def test_options_are_typed_merged_and_carried():
    o = tf.data.Options()
    assert o.experimental_deterministic is None and o.threading.private_threadpool_size is None
    o.experimental_deterministic = False
    o.experimental_threading.max_intra_op_parallelism = 1
    assert o.deterministic is False and o.threading.max_intra_op_parallelism == 1
    with pytest.raises(AttributeError, match="Cannot set the property foo on Options"):
        o.foo = 1
    with pytest.raises(TypeError, match='"private_threadpool_size" must be of type'):
        o.threading.private_threadpool_size = "4"
    o2 = tf.data.Options()
    o2.threading.private_threadpool_size = 4
    o2.experimental_optimization.map_fusion = True
    with tf.Graph().as_default():
        ds = D.range(3).with_options(o).with_options(o2).map(lambda x: x + 1).batch(2)
        got = ds.options()
        assert got.deterministic is False and got.threading.private_threadpool_size == 4
        assert got.experimental_optimization.map_fusion is True
        assert got == o.merge(o2) and got != o
        assert D.zip((ds, D.range(2))).options() == got
        assert D.range(2).options() == tf.data.Options()
        assert [v.tolist() for v in _elements(ds)] == [[1, 2], [3]]  # elements unchanged
    assert isinstance(tf.data.ThreadingOptions(), type(o.threading))


def test_cardinality():
    assert (E.AUTOTUNE, tf.data.AUTOTUNE) == (-1, -1)
    assert (tf.data.INFINITE_CARDINALITY, E.UNKNOWN_CARDINALITY) == (-1, -2)
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int64, [])
        x = tf.placeholder(tf.float32, [None, 2])
        cases = {
            D.from_tensor_slices(x).batch(4): 2,
            D.from_tensor_slices(x).batch(4, drop_remainder=True): 1,
            D.range(n).repeat(2).skip(1): 13,
            D.range(3).repeat().take(5): 5,
            D.range(3).repeat(): tf.data.INFINITE_CARDINALITY,
            D.range(0).repeat(): 0,
            D.zip((D.range(3), D.range(5).repeat())): 3,
            D.range(3).filter(lambda v: v > 0): tf.data.UNKNOWN_CARDINALITY,
            D.range(3).map(lambda v: v): tf.data.UNKNOWN_CARDINALITY,  # TF1's map: unknown
            D.range(10).shuffle(4).skip(-1): 0,
        }
        with tf.Session() as s:
            got = s.run([ds.cardinality() for ds in cases], {n: 7, x: X})
            assert s.run(E.cardinality(D.range(10, 0, -3))) == 4
    assert got == list(cases.values())
    with pytest.raises(TypeError, match="cardinality: expected a tf.data.Dataset"):
        E.cardinality([1, 2])


def test_element_spec_dataset_spec_and_output_getters():
    with tf.Graph().as_default():
        ds = D.from_tensor_slices({"x": X, "y": np.arange(6)}).batch(2)
        spec = ds.element_spec
        assert spec["x"] == tf.TensorSpec([None, 2], tf.float32)
        assert spec["y"] == tf.TensorSpec([None], tf.int64)
        ds_spec = tf.data.DatasetSpec.from_value(ds)
        assert ds_spec.element_spec == spec and ds_spec.value_type is D
        assert ds_spec == tf.data.DatasetSpec(spec) and ds_spec.shape.as_list() == []
        other = D.from_tensor_slices({"x": X, "y": np.arange(6)})
        assert ds_spec.is_compatible_with(other.batch(3))
        assert not ds_spec.is_compatible_with(other)  # rank 1 vs rank 2 parts
        assert not ds_spec.is_compatible_with(D.range(3))
        it = ds.make_initializable_iterator()
        for what in (ds, it):
            assert tf.data.get_output_types(what) == {"x": tf.float32, "y": tf.int64}
            assert tf.data.get_output_shapes(what)["x"].as_list() == [None, 2]
            assert tf.data.get_output_classes(what) == {"x": tf.Tensor, "y": tf.Tensor}
        assert it.element_spec == spec
    with pytest.raises(TypeError, match="get_output_types"):
        tf.data.get_output_types(3)


def test_feedable_iterator_switches_between_datasets():
    with tf.Graph().as_default():
        train, val = D.range(100).repeat(), D.range(10, 12)
        h = tf.placeholder(tf.string, [])
        it = tf.data.Iterator.from_string_handle(h, train.output_types, train.output_shapes)
        nxt = it.get_next()
        assert nxt.dtype == tf.int64 and nxt.shape.as_list() == []
        ti, vi = train.make_one_shot_iterator(), val.make_initializable_iterator()
        other = D.from_tensors(np.float32(1)).make_one_shot_iterator()
        with tf.Session() as s:
            th, vh, oh = s.run([ti.string_handle(), vi.string_handle(), other.string_handle()])
            assert isinstance(th, bytes) and th != vh
            assert [s.run(nxt, {h: th}) for _ in range(3)] == [0, 1, 2]
            with pytest.raises(tf.errors.FailedPreconditionError, match="handle"):
                s.run(nxt, {h: vh})  # not initialized yet
            s.run(vi.initializer)
            assert _drain(s, nxt, {h: vh}) == [10, 11]
            assert s.run(nxt, {h: th}) == 3  # the training iterator kept its place
            with pytest.raises(tf.errors.InvalidArgumentError, match="expects.*int64"):
                s.run(nxt, {h: oh})
    with pytest.raises(ValueError, match="string_handle must be a scalar"):
        tf.data.Iterator.from_string_handle(["a", "b"], tf.int64)


def test_unbatch_and_experimental_transformations():
    with tf.Graph().as_default():
        y = np.arange(6)
        assert [v.tolist() for v in _elements(D.from_tensor_slices(X).batch(4).unbatch())] == (
            X.tolist()
        )
        pairs = _elements(D.from_tensor_slices((X, y)).batch(4).apply(E.unbatch()))
        assert [(a.tolist(), int(b)) for a, b in pairs] == list(zip(X.tolist(), y.tolist()))
        mapped = _elements(D.range(7).apply(E.map_and_batch(lambda v: v * 2, 3)))
        assert [v.tolist() for v in mapped] == [[0, 2, 4], [6, 8, 10], [12]]
        dropped = D.range(7).apply(E.map_and_batch(lambda v: v, 3, drop_remainder=True))
        assert len(_elements(dropped)) == 2
        inter = D.range(1, 5).apply(
            E.parallel_interleave(lambda v: D.range(v).map(lambda w: w * 10 + v), cycle_length=2)
        )
        assert _elements(inter) == [1, 2, 12, 3, 13, 4, 23, 14, 24, 34]
        bad = np.array([1.0, np.inf, 3.0, np.nan, 5.0], np.float32)
        checked = D.from_tensor_slices(bad).map(lambda v: tf.check_numerics(v, "bad"))
        assert _elements(checked.apply(E.ignore_errors())) == [1.0, 3.0, 5.0]
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad"):
            _elements(checked)  # without ignore_errors the error ends the pipeline
        shuffled = _elements(D.range(5).apply(E.shuffle_and_repeat(5, count=3, seed=1)))
        epochs = [sorted(shuffled[k : k + 5]) for k in (0, 5, 10)]
        assert len(shuffled) == 15 and epochs == [[0, 1, 2, 3, 4]] * 3
        assert _elements(D.range(3).apply(E.prefetch_to_device("/gpu:0"))) == [0, 1, 2]
        got = _elements(D.from_tensor_slices(np.array([5, 6])).apply(E.enumerate_dataset(3)))
        assert [(int(a), int(b)) for a, b in got] == [(3, 5), (4, 6)]
        assert _elements(E.Counter(2, 3).take(3)) == [2, 5, 8]
        with tf.Session() as s:
            one = E.get_single_element(D.range(5).skip(4).map(lambda v: (v, v * 2)))
            assert s.run(one) == (4, 8)
            with pytest.raises(tf.errors.InvalidArgumentError, match="Dataset was empty"):
                s.run(E.get_single_element(D.range(0)))
            with pytest.raises(tf.errors.InvalidArgumentError, match="more than one element"):
                s.run(E.get_single_element(D.range(2)))
    with pytest.raises(TypeError, match="must return a Dataset"):
        D.range(3).apply(lambda ds: 3)
    with pytest.raises(ValueError, match="scalar"):
        D.range(3).unbatch()
    with tf.Graph().as_default():
        ragged = D.from_tensors((np.zeros(2), np.zeros(3))).unbatch()
        with pytest.raises(tf.errors.InvalidArgumentError, match="different first"):
            _elements(ragged)


def test_as_numpy_iterator_is_eager_only():
    with tf.Graph().as_default():
        with pytest.raises(RuntimeError, match="only supported in eager mode"):
            D.range(3).as_numpy_iterator()
    code = """
        import numpy as np
        import flowzero as tf
        tf.enable_eager_execution()
        ds = tf.data.Dataset.from_tensor_slices({"a": np.arange(4), "b": np.arange(4.0)}).batch(3)
        got = list(ds.as_numpy_iterator())
        assert [g["a"].tolist() for g in got] == [[0, 1, 2], [3]], got
        assert isinstance(got[0]["b"], np.ndarray)
        assert list(tf.data.NumpyIterator(tf.data.Dataset.range(2))) == [0, 1]
        sp = tf.SparseTensor([[0, 1], [1, 0]], [5, 6], [2, 3])
        rows = list(tf.data.Dataset.from_tensor_slices(sp).as_numpy_iterator())
        assert [r.values.tolist() for r in rows] == [[5], [6]], rows
        assert isinstance(rows[0], tf.SparseTensorValue)
        print("ok")
    """
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_choose_sample_scan_take_while_unique():
    with tf.Graph().as_default():
        choice = D.from_tensor_slices(np.array([0, 1, 2, 2, 0, 1, 0, 0, 1], np.int64))
        chosen = E.choose_from_datasets([D.range(3), D.range(10, 13), D.range(20, 21)], choice)
        # a choice of an exhausted dataset is skipped
        assert _elements(chosen) == [0, 10, 20, 1, 11, 2, 12]
        bad = E.choose_from_datasets([D.range(3)], D.from_tensor_slices(np.array([0, 3])))
        with pytest.raises(tf.errors.InvalidArgumentError, match="choice 3 is not in \\[0, 1\\)"):
            _elements(bad)
        ones = D.from_tensors(np.int64(1)).repeat()
        sampled = E.sample_from_datasets(
            [D.from_tensors(np.int64(0)).repeat(), ones], [0.8, 0.2], 1
        )
        draws = _elements(sampled.take(4000))
        assert abs(np.mean(draws) - 0.2) < 0.03
        assert sorted(_elements(E.sample_from_datasets([D.range(3), D.range(10, 15)], seed=2))) == [
            0, 1, 2, 10, 11, 12, 13, 14
        ]  # fmt: skip
        running = D.range(5).apply(E.scan(np.int64(0), lambda st, x: (st + x, st * 10 + x)))
        assert _elements(running) == [0, 1, 12, 33, 64]
        pair = D.range(4).apply(
            E.scan(
                (np.int64(1), np.float32(0.5)),
                lambda st, x: ((st[0] * 2, st[1] + 1.0), (st[0] + x, st[1])),
            )
        )
        assert [(int(a), float(b)) for a, b in _elements(pair)] == [
            (1, 0.5), (3, 1.5), (6, 2.5), (11, 3.5)
        ]  # fmt: skip
        assert _elements(D.range(10).apply(E.take_while(lambda x: x < 4))) == [0, 1, 2, 3]
        repeats = D.from_tensor_slices(np.array([3, 1, 3, 2, 1, 5], np.int64))
        assert _elements(repeats.apply(E.unique())) == [3, 1, 2, 5]
        with tf.Session() as s:
            n = s.run([E.cardinality(repeats.apply(E.unique())), E.cardinality(chosen)])
        assert n == [tf.data.UNKNOWN_CARDINALITY] * 2
    with pytest.raises(TypeError, match="same structure and types"):
        E.sample_from_datasets([D.range(3), D.from_tensors(1.0)])
    with pytest.raises(ValueError, match="weights must be 2 non-negative"):
        E.sample_from_datasets([D.range(3), D.range(2)], [1.0, -1.0])
    with pytest.raises(TypeError, match="choice_dataset must yield int64 scalars"):
        E.choose_from_datasets([D.range(3)], D.from_tensors(np.float32(0)))
    with pytest.raises(TypeError, match="scan_func must return a pair"):
        D.range(3).apply(E.scan(np.int64(0), lambda st, x: st + x))
    with pytest.raises(TypeError, match="new state's types"):
        D.range(3).apply(E.scan(np.int64(0), lambda st, x: (tf.cast(st, tf.float32), x)))
    with pytest.raises(TypeError, match="take_while: predicate must return a bool scalar"):
        D.range(3).apply(E.take_while(lambda x: x))
    with pytest.raises(TypeError, match="unique: elements must be one int32"):
        D.from_tensors(1.0).apply(E.unique())


def test_dataset_reduce():
    with tf.Graph().as_default():
        total = D.range(5).reduce(np.int64(0), lambda st, x: st + x)
        pair = D.from_tensor_slices((np.arange(4.0), np.arange(4))).reduce(
            (np.float64(0), np.int64(1)), lambda st, e: (st[0] + e[0], st[1] * (e[1] + 1))
        )
        empty = D.range(0).reduce(np.int64(7), lambda st, x: st + x)
        mapped = D.range(4).map(lambda x: x * 2).reduce(np.int64(0), lambda st, x: st + x)
        with tf.Session() as s:
            assert s.run([total, pair, empty]) == [10, (6.0, 24), 7]
            assert [s.run(mapped) for _ in range(3)] == [12, 12, 12]  # each run starts over
    with pytest.raises(TypeError, match="reduce_func must return the state's types"):
        D.range(3).reduce(np.int64(0), lambda st, x: tf.cast(st, tf.float32))


def test_handles_reduce_and_sparse_elements_round_trip_through_a_graph_file():
    from flowzero.framework import serialization

    with tf.Graph().as_default() as g:
        h = tf.placeholder(tf.string, [], name="h")
        feedable = tf.data.Iterator.from_string_handle(h, tf.int64, tf.TensorShape([]))
        feedable.get_next(name="fed")
        D.range(3, 6).make_one_shot_iterator().string_handle(name="handle")
        D.range(5).reduce(np.int64(0), lambda st, x: st + x)
        tf.identity(D.range(7).batch(2).cardinality(), name="n")
        sp = D.range(3).map(lambda x: tf.SparseTensor([[0]], tf.reshape(x, [1]), [2])).batch(2)
        nxt = sp.make_one_shot_iterator().get_next()
        tf.identity(nxt.values, name="sp_values")
        reduced = [op.name for op in g.get_operations() if op.type == "ReduceDataset"][0]
        doc = serialization.graph_to_dict(g)
    g2 = serialization.graph_from_dict(doc.doc, doc.arrays)
    with tf.Session(graph=g2) as s:
        handle = s.run("handle:0")
        assert [s.run("fed:0", {"h:0": handle}) for _ in range(3)] == [3, 4, 5]
        assert s.run(f"{reduced}:0") == 10 and s.run("n:0") == 4
        assert s.run("sp_values:0").tolist() == [0, 1]
