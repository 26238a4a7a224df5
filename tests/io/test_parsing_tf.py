"""Differential tests against TensorFlow (skipped where it is not installed): VarLenFeature,
SparseFeature and SequenceExample parsing agree with TF's on protos serialized by TF."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
v1 = tf_real.compat.v1

import flowzero as tf  # noqa: E402


def _run(m, build):
    if m is tf:
        with tf.Graph().as_default(), tf.Session() as s:
            return s.run(build(m))
    g = v1.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        return s.run(build(v1))


def _flat(x, out):
    """Every array of a nest of dicts/tuples/SparseTensorValues, in a fixed order."""
    if isinstance(x, dict):
        for k in sorted(x):
            _flat(x[k], out)
    elif hasattr(x, "dense_shape"):
        out.extend([x.indices, x.values, x.dense_shape])
    elif isinstance(x, (tuple, list)):
        for y in x:
            _flat(y, out)
    else:
        out.append(np.asarray(x))
    return out


def _assert_same(ours, theirs):
    a, b = _flat(ours, []), _flat(theirs, [])
    assert len(a) == len(b)
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape
        assert x.tolist() == y.tolist()


def _example(**kw):
    e = tf_real.train.Example()
    for k, v in kw.items():
        f = e.features.feature[k]
        kind = {float: "float_list", int: "int64_list", bytes: "bytes_list"}[type(v[0])]
        getattr(f, kind).value.extend(v)
    return e.SerializeToString()


def _sequence(context, lists):
    se = tf_real.train.SequenceExample()
    for k, v in context.items():
        kind = {float: "float_list", int: "int64_list", bytes: "bytes_list"}[type(v[0])]
        getattr(se.context.feature[k], kind).value.extend(v)
    for k, steps in lists.items():
        fl = se.feature_lists.feature_list[k]
        for v in steps:
            f = fl.feature.add()
            if v:
                kind = {float: "float_list", int: "int64_list", bytes: "bytes_list"}[type(v[0])]
                getattr(f, kind).value.extend(v)
    return se.SerializeToString()


RECS = [
    _example(ix=[3, 1], iy=[0, 2], val=[1.5, 2.5], v=[b"a"]),
    _example(ix=[0], iy=[1], val=[7.0]),
    _example(v=[b"b", b"c"]),
]


def _features(m):
    return {
        "sp": m.io.SparseFeature("ix", "val", m.float32, 4),
        "sp2": m.io.SparseFeature(["ix", "iy"], "val", m.float32, [5, 3]),
        "v": m.io.VarLenFeature(m.string),
        "iy": m.io.VarLenFeature(m.int64),
    }


def test_sparse_parse_example_matches_tf():
    def build(m):
        return [m.io.parse_example(RECS, _features(m))] + [
            m.io.parse_single_example(r, _features(m)) for r in RECS
        ]

    _assert_same(_run(tf, build), _run(v1, build))


SEQS = [
    _sequence(
        {"c": [3], "v": [1.0, 2.0], "t": [b"x", b"y"]},
        {"s": [[1.0, 2.0], [3.0, 4.0]], "w": [[1], [], [2, 3], []], "b": [[b"q"]]},
    ),
    _sequence({"v": [5.0], "t": [b"z", b"w"]}, {"s": [[9.0, 8.0]], "w": []}),
]


def _seq_features(m):
    ctx = {
        "c": m.io.FixedLenFeature([], m.int64, default_value=-1),
        "v": m.io.VarLenFeature(m.float32),
        "t": m.io.FixedLenFeature([2], m.string),
    }
    seq = {
        "s": m.io.FixedLenSequenceFeature([2], m.float32),
        "w": m.io.VarLenFeature(m.int64),
        "b": m.io.FixedLenSequenceFeature([], m.string, allow_missing=True),
        "m": m.io.FixedLenSequenceFeature([1, 2], m.float32, allow_missing=True),
    }
    return ctx, seq


def test_sequence_example_parsing_matches_tf():
    def build(m):
        ctx, seq = _seq_features(m)
        return [
            m.io.parse_sequence_example(SEQS, ctx, seq),
            m.io.parse_single_sequence_example(SEQS[0], ctx, seq),
            m.io.parse_single_sequence_example(SEQS[1], sequence_features={"w": seq["w"]}),
            m.io.parse_single_sequence_example(SEQS[1], context_features={"v": ctx["v"]}),
        ]

    _assert_same(_run(tf, build), _run(v1, build))


def test_sequence_example_static_shapes_match_tf():
    for m in (tf, v1):
        with (tf.Graph() if m is tf else v1.Graph()).as_default():
            ctx, seq = _seq_features(m)
            c, s, n = m.io.parse_sequence_example(SEQS, ctx, seq)
            shapes = [
                x.shape.as_list() if not hasattr(x, "dense_shape") else x.dense_shape.shape[0]
                for d in (c, s, n)
                for _, x in sorted(d.items())
            ]
            if m is tf:
                ours = shapes
    assert ours == shapes
