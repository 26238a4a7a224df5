"""tf.data.experimental's transformations, cardinality, get_single_element and feedable
iterators, run by flowzero and by TensorFlow (skipped where it is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
v1 = tf_real.compat.v1

import flowzero as tf  # noqa: E402

X = np.arange(12, dtype=np.float32).reshape(6, 2)


def _drain(s, nxt, feed=None):
    out = []
    while True:
        try:
            out.append(s.run(nxt, feed))
        except (tf.errors.OutOfRangeError, tf_real.errors.OutOfRangeError):
            return out


def _pipelines(m, experimental):
    d, e = m.data.Dataset, experimental
    bad = np.array([1.0, 2.0, np.inf, 4.0], np.float32)
    return {
        "unbatch": d.from_tensor_slices(X).batch(4).unbatch(),
        "unbatch_tuple": d.from_tensor_slices((X, np.arange(6))).batch(4).apply(e.unbatch()),
        "map_and_batch": d.range(7).apply(e.map_and_batch(lambda x: x * 2, 3)),
        "map_and_batch_drop": d.range(7).apply(
            e.map_and_batch(lambda x: x * 2, 3, drop_remainder=True)
        ),
        "parallel_interleave": d.range(1, 5).apply(
            e.parallel_interleave(lambda x: d.range(x).map(lambda v: v * 10 + x), cycle_length=2)
        ),
        "ignore_errors": d.from_tensor_slices(bad)
        .map(lambda x: m.debugging.check_numerics(x, "bad"))
        .apply(e.ignore_errors()),
        "enumerate": d.from_tensor_slices(np.array([5, 6, 7])).apply(e.enumerate_dataset(3)),
        "prefetch_to_device": d.range(3).apply(e.prefetch_to_device("/cpu:0")),
        "choose": e.choose_from_datasets(
            [d.range(3), d.range(10, 13), d.range(20, 21)],
            d.from_tensor_slices(np.array([0, 1, 2, 2, 0, 1, 0, 0, 1], np.int64)),
        ),
        "scan": d.range(5).apply(e.scan(np.int64(0), lambda st, x: (st + x, st * 10 + x))),
        "take_while": d.range(10).apply(e.take_while(lambda x: x < 4)),
        "scan_tuple": d.from_tensor_slices((np.arange(3), np.arange(3) * 10)).apply(
            e.scan(np.int64(0), lambda st, el: (st + el[0], (st, el[1])))
        ),
        "take_while_tuple": d.from_tensor_slices((np.arange(3), np.arange(3))).apply(
            e.take_while(lambda a, b: a < 2)
        ),
        "unique": d.from_tensor_slices(np.array([b"a", b"b", b"a"], object)).apply(e.unique()),
    }


def _cardinalities(m, e):
    d = m.data.Dataset
    return {
        "slices": d.from_tensor_slices(X),
        "batch": d.from_tensor_slices(X).batch(4),
        "batch_drop": d.from_tensor_slices(X).batch(4, True),
        "repeat": d.range(3).repeat(),
        "repeat2": d.range(3).repeat(2),
        "take_inf": d.range(3).repeat().take(5),
        "filter": d.range(3).filter(lambda x: x > 0),
        "skip": d.range(5).skip(2),
        "skip_all": d.range(5).skip(-1),
        "zip": d.zip((d.range(3), d.range(5).repeat())),
        "map": d.range(3).map(lambda x: x + 1),
        "shuffle": d.range(10).shuffle(3),
        "take": d.range(10).take(3),
        "empty_repeat": d.range(0).repeat(),
        "range_step": d.range(10, 0, -3),
        "unbatch": d.range(4).batch(2).unbatch(),
        "tensors": d.from_tensors(X),
        "generator": d.from_generator(lambda: iter([1]), m.int64),
    }


def _run(m, e):
    with m.Graph().as_default():
        nexts = {
            k: m.data.make_one_shot_iterator(ds).get_next() for k, ds in _pipelines(m, e).items()
        }
        cards = {k: e.cardinality(ds) for k, ds in _cardinalities(m, e).items()}
        single = [
            e.get_single_element(m.data.Dataset.range(5).skip(4).map(lambda x: (x, x * 2))),
            m.data.Dataset.from_tensor_slices((np.arange(4.0), np.arange(4))).reduce(
                (np.float64(0), np.int64(1)), lambda st, e: (st[0] + e[0], st[1] * (e[1] + 1))
            ),
        ]
        with m.Session() as s:
            out = {k: _drain(s, n) for k, n in nexts.items()}
            return out, s.run(cards), s.run(single)


def _plain(x):
    if isinstance(x, (tuple, list)):
        return [_plain(y) for y in x]
    return np.asarray(x).tolist()


def test_experimental_pipelines_match_tf():
    ours = _run(tf, tf.data.experimental)
    theirs = _run(v1, tf_real.data.experimental)
    for k in theirs[0]:
        assert _plain(ours[0][k]) == _plain(theirs[0][k]), k
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]


def test_feedable_iterator_matches_tf():
    def run(m):
        d = m.data.Dataset
        with m.Graph().as_default():
            train, val = d.range(100).repeat(), d.range(10, 13)
            h = m.placeholder(m.string, [])
            it = m.data.Iterator.from_string_handle(h, train.output_types, train.output_shapes)
            nxt = it.get_next()
            ti = m.data.make_one_shot_iterator(train)
            vi = m.data.make_initializable_iterator(val)
            with m.Session() as s:
                th, vh = s.run([ti.string_handle(), vi.string_handle()])
                out = [s.run(nxt, {h: th}) for _ in range(3)]
                s.run(vi.initializer)
                out += _drain(s, nxt, {h: vh}) + [s.run(nxt, {h: th})]
                s.run(vi.initializer)
                return out + [s.run(nxt, {h: vh})]

    assert run(tf) == run(v1)


def test_csv_datasets_match_tf(tmp_path):
    f1, f2, big = tmp_path / "f1.csv", tmp_path / "f2.csv", tmp_path / "big.csv"
    f1.write_text('a,b,name,y\n1,2.5,x,0\n3,,"q,r",1\n5,7.25,z,0\n')
    f2.write_text("a,b,name,y\n9,1e3,w,1\n11,0.5,v,1\n")
    big.write_text("i,l,f,d,s\n1,3000000000,0.5,1e300,x\n2,4,7,2,3\n")

    def run(m, e):
        with m.Graph().as_default():
            dss = [
                e.CsvDataset([str(f1), str(f2)], [m.int32, 0.0, "?", m.int64], header=True),
                e.CsvDataset(str(f1), [m.constant(-1.0, m.float64), "?"], header=True,
                             select_cols=[1, 2]),
                e.make_csv_dataset(str(tmp_path / "f*.csv"), 2, label_name="y", num_epochs=1,
                                   shuffle=False),
                e.make_csv_dataset([str(f2), str(f1)], 3, num_epochs=2, shuffle=False,
                                   select_columns=["a", "name"]),
                e.make_csv_dataset(str(big), 1, num_epochs=1, shuffle=False),
                e.make_csv_dataset(str(big), 2, num_epochs=1, num_rows_for_inference=0,
                                   shuffle=False),
            ]  # fmt: skip
            nexts = [m.data.make_one_shot_iterator(d).get_next() for d in dss]
            with m.Session() as s:
                return [_drain(s, n) for n in nexts]

    def plain(x):
        if isinstance(x, dict):
            return {k: plain(v) for k, v in sorted(x.items())}
        if isinstance(x, (tuple, list)):
            return [plain(v) for v in x]
        a = np.asarray(x)
        return (a.dtype.name if a.dtype.kind not in "OS" else "string", a.tolist())

    assert plain(run(tf, tf.data.experimental)) == plain(run(v1, tf_real.data.experimental))


def test_sparse_elements_match_tf(tmp_path):
    def example(ids, label):
        e = tf_real.train.Example()
        e.features.feature["ids"].int64_list.value.extend(ids)
        e.features.feature["y"].float_list.value.append(label)
        return e.SerializeToString()

    path = str(tmp_path / "sparse.tfrecord")
    with tf_real.io.TFRecordWriter(path) as w:
        for ids, y in [([1, 2], 0.5), ([], 1.0), ([3, 4, 5], 2.0), ([6], 3.0), ([7, 8], 4.0)]:
            w.write(example(ids, y))

    def run(m):
        feats = {"ids": m.io.VarLenFeature(m.int64), "y": m.io.FixedLenFeature([], m.float32)}
        with m.Graph().as_default():
            parsed = m.data.TFRecordDataset(path).map(lambda r: m.io.parse_single_example(r, feats))
            batched = m.data.make_one_shot_iterator(parsed.batch(2)).get_next()
            pairs = parsed.map(lambda d: (d["ids"], d["y"] * 2)).filter(lambda sp, y: y > 1.5)
            paired = m.data.make_one_shot_iterator(pairs).get_next()
            made = m.data.experimental.make_batched_features_dataset(
                path, 2, feats, label_key="y", num_epochs=2, shuffle=False
            ).map(lambda f, y: {"ids": f["ids"], "y": y})
            made = m.data.make_one_shot_iterator(made).get_next()
            out = []
            with m.Session() as s:
                for nxt in (batched, paired, made):
                    for v in _drain(s, nxt):
                        sp = v["ids"] if isinstance(v, dict) else v[0]
                        rest = v["y"] if isinstance(v, dict) else v[1]
                        out.append(
                            [sp.indices.tolist(), sp.values.tolist(), sp.dense_shape.tolist()]
                            + [np.asarray(rest).tolist()]
                        )
            return out

    assert run(tf) == run(v1)
