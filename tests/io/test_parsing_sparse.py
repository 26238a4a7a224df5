"""VarLenFeature and SparseFeature in parse_example / parse_single_example (SparseTensor
results), and tf.train.SequenceExample parsing (parse_sequence_example,
parse_single_sequence_example): values and error paths, NumPy only."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def _run(fetch, feed=None):
    with tf.Session() as s:
        return s.run(fetch, feed)


def _example(**kw):
    e = tf.train.Example()
    for k, v in kw.items():
        f = e.features.feature[k]
        lst = f.float_list if isinstance(v[0], float) else f.int64_list
        lst = f.bytes_list if isinstance(v[0], bytes) else lst
        lst.value.extend(v)
    return e.SerializeToString()


def _seq(context, lists):
    se = tf.train.SequenceExample()
    for k, v in context.items():
        f = se.context.feature[k]
        (f.float_list if isinstance(v[0], float) else f.int64_list).value.extend(v)
    for k, steps in lists.items():
        fl = se.feature_lists.feature_list[k]
        for v in steps:
            f = fl.feature.add()  # an empty step sets no list
            if v:
                (f.bytes_list if isinstance(v[0], bytes) else f.int64_list).value.extend(v)
    return se.SerializeToString()


def _assert_sparse(got, indices, values, shape):
    np.testing.assert_array_equal(got.indices, np.array(indices, np.int64).reshape(-1, len(shape)))
    assert np.asarray(got.values).tolist() == values
    np.testing.assert_array_equal(got.dense_shape, shape)


RECS = [
    _example(ix=[3, 1], iy=[0, 2], val=[1.5, 2.5], v=[b"a"]),
    _example(ix=[0], iy=[1], val=[7.0]),
]


def test_varlen_and_sparse_features_parse_to_sparse_tensors():
    with tf.Graph().as_default():
        out = tf.io.parse_example(
            RECS,
            {
                "v": tf.VarLenFeature(tf.string),
                "sp": tf.io.SparseFeature("ix", "val", tf.float32, 4),
                "sp2": tf.SparseFeature(["ix", "iy"], "val", tf.float32, [5, 3]),
            },
        )
        assert sorted(out) == ["sp", "sp2", "v"]  # the index/value parts are not returned
        assert all(isinstance(v, tf.SparseTensor) for v in out.values())
        assert out["sp2"].dtype == tf.float32 and out["v"].shape.ndims == 2
        got = _run(out)
    _assert_sparse(got["v"], [[0, 0]], [b"a"], [2, 1])
    # sorted into row-major order, the last dimension the index, the dense shape the size
    _assert_sparse(got["sp"], [[0, 1], [0, 3], [1, 0]], [2.5, 1.5, 7.0], [2, 4])
    _assert_sparse(got["sp2"], [[0, 1, 2], [0, 3, 0], [1, 0, 1]], [2.5, 1.5, 7.0], [2, 5, 3])


def test_parse_single_example_drops_the_batch_of_sparse_results():
    with tf.Graph().as_default():
        out = tf.parse_single_example(
            RECS[0],
            {
                "ix": tf.VarLenFeature(tf.int64),
                "sp2": tf.SparseFeature(["ix", "iy"], "val", tf.float32, [5, 3]),
                "none": tf.VarLenFeature(tf.float32),
            },
        )
        got = _run(out)
    _assert_sparse(got["ix"], [[0], [1]], [3, 1], [2])
    _assert_sparse(got["sp2"], [[1, 2], [3, 0]], [2.5, 1.5], [5, 3])
    _assert_sparse(got["none"], [], [], [0])


def test_sparse_feature_config_errors():
    with pytest.raises(ValueError, match="'sp'.*key 'ix'.*VarLenFeature of int64"):
        tf.parse_example(
            ["x"],
            {"sp": tf.SparseFeature("ix", "v", tf.float32, 3), "ix": tf.VarLenFeature(tf.string)},
        )
    with pytest.raises(ValueError, match="'sp'.*size as an int or a list"):
        tf.parse_example(["x"], {"sp": tf.SparseFeature(["a", "b"], "v", tf.float32, [3])})
    with tf.Graph().as_default():
        out = tf.parse_example([_example(v=[b"a"])], {"v": tf.VarLenFeature(tf.int64)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Feature: v.*string.*int64"):
            _run(out["v"].values)


SEQ_A = _seq({"n": [3]}, {"tok": [[1], [2]], "w": [[b"a"], [], [b"b", b"c"]]})
SEQ_B = _seq({}, {"tok": [[5]]})
CONTEXT = {"n": tf.FixedLenFeature([], tf.int64, default_value=-1)}
SEQUENCE = {"tok": tf.FixedLenSequenceFeature([], tf.int64), "w": tf.VarLenFeature(tf.string)}


def test_parse_single_sequence_example():
    with tf.Graph().as_default():
        ctx, seq = tf.io.parse_single_sequence_example(SEQ_A, CONTEXT, SEQUENCE)
        assert seq["tok"].shape.as_list() == [None] and ctx["n"].shape.as_list() == []
        got_ctx, got_seq = _run([ctx, seq])
    assert got_ctx["n"] == 3
    np.testing.assert_array_equal(got_seq["tok"], [1, 2])
    # steps are the second index; an empty step still counts towards the dense shape
    _assert_sparse(got_seq["w"], [[0, 0], [2, 0], [2, 1]], [b"a", b"b", b"c"], [3, 2])


def test_parse_sequence_example_pads_and_reports_lengths():
    with tf.Graph().as_default():
        ctx, seq, lengths = tf.io.parse_sequence_example([SEQ_A, SEQ_B], CONTEXT, SEQUENCE)
        assert sorted(lengths) == ["tok"] and seq["tok"].shape.as_list() == [2, None]
        got = _run([ctx, seq, lengths])
    np.testing.assert_array_equal(got[0]["n"], [3, -1])
    np.testing.assert_array_equal(got[1]["tok"], [[1, 2], [5, 0]])
    _assert_sparse(got[1]["w"], [[0, 0, 0], [0, 2, 0], [0, 2, 1]], [b"a", b"b", b"c"], [2, 3, 2])
    np.testing.assert_array_equal(got[2]["tok"], [2, 1])


def test_sequence_example_missing_lists():
    with tf.Graph().as_default():
        z = {"z": tf.FixedLenSequenceFeature([2], tf.float32, allow_missing=True)}
        _, seq, n = tf.io.parse_sequence_example([SEQ_B], sequence_features=z)
        got = _run([seq["z"], n["z"]])
        assert got[0].shape == (1, 0, 2) and got[1].tolist() == [0]
        _, seq = tf.parse_single_sequence_example(
            SEQ_B, sequence_features={"z": tf.FixedLenSequenceFeature([2], tf.float32)}
        )
        with pytest.raises(tf.errors.InvalidArgumentError, match="Feature list 'z' is required"):
            _run(seq)


def test_sequence_example_errors():
    cases = [
        ({"q": tf.FixedLenFeature([], tf.int64)}, {}, "Context feature 'q' is required"),
        ({}, {"tok": tf.FixedLenSequenceFeature([], tf.float32)}, "Feature list: tok, Index: 0"),
        ({}, {"w": tf.FixedLenSequenceFeature([], tf.string)}, "Key: w, Index: 1.*size: 0"),
        ({}, {"tok": tf.FixedLenSequenceFeature([3], tf.int64)}, "Total values size: 2"),
    ]
    with tf.Graph().as_default():
        for ctx, seq, msg in cases:
            out = tf.parse_single_sequence_example(SEQ_A, ctx or None, seq or None)
            with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                _run(out)
        with pytest.raises(tf.errors.InvalidArgumentError, match="ParseSequenceExample.*parse"):
            _run(tf.parse_single_sequence_example(b"\xff\xff", CONTEXT))
    with pytest.raises(ValueError, match="Missing features"):
        tf.parse_single_sequence_example(SEQ_A)
    with pytest.raises(ValueError, match="Context feature 'n'.*unsupported"):
        tf.parse_single_sequence_example(
            SEQ_A, {"n": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True)}
        )
    with pytest.raises(ValueError, match="'tok'.*default_value must be None"):
        tf.io.parse_sequence_example(
            [SEQ_A], sequence_features={"tok": tf.FixedLenSequenceFeature([], tf.int64, True, 0)}
        )
    with pytest.raises(ValueError, match="scalar"):
        tf.parse_single_sequence_example([SEQ_A], CONTEXT)
