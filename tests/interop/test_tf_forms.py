"""TensorFlow forms of TensorArray split / concat and of the fused LSTM ops: a flowzero graph
exported as a GraphDef imports back into flowzero with the same results, and (where
TensorFlow is installed) runs in TensorFlow with the same results; TensorFlow's graphs import
into flowzero the same way."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.proto import graph_pb2


def _round_trip(graph, fetches, feeds):
    """Exports `graph`, imports it into a new flowzero graph, runs `fetches` (names) there."""
    gd = graph_pb2.GraphDef.FromString(graph.as_graph_def().SerializeToString())
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g2) as sess:
            return gd, sess.run(fetches, feeds)


def _run_in_tf(gd, fetches, feeds):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    tg = real.Graph()
    with tg.as_default():
        v1.import_graph_def(v1.GraphDef.FromString(gd.SerializeToString()), name="")
        with v1.Session(graph=tg) as sess:
            return sess.run(fetches, feeds)


def _tf_graph_def(build, control_flow_v2=False):
    """The GraphDef of what `build(tf, v1)` makes in a fresh TensorFlow graph (as flowzero's
    message), with build's return value. Without control flow v2 (TF 1.x's default), a
    TensorArray is TF1's TensorArrayV3 ops; with it, TensorList ops."""
    real = pytest.importorskip("tensorflow")
    from tensorflow.python.ops import control_flow_util

    v1 = real.compat.v1
    saved = control_flow_util.ENABLE_CONTROL_FLOW_V2
    control_flow_util.ENABLE_CONTROL_FLOW_V2 = control_flow_v2
    try:
        tg = real.Graph()
        with tg.as_default():
            out = build(real, v1)
    finally:
        control_flow_util.ENABLE_CONTROL_FLOW_V2 = saved
    return graph_pb2.GraphDef.FromString(tg.as_graph_def().SerializeToString()), out


# -- TensorArray split / concat ---------------------------------------------------------------
def _split_concat_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        lengths = tf.placeholder(tf.int64, [None], name="lengths")
        ta = tf.TensorArray(
            tf.float32, size=3, element_shape=tf.TensorShape([None, 3]), clear_after_read=False
        )
        ta = ta.split(x, lengths)
        tf.identity(ta.read(1), name="second")
        tf.identity(ta.concat() * 2.0, name="doubled")
    return g


_X = np.arange(18, dtype=np.float32).reshape(6, 3)
_LENGTHS = np.array([1, 3, 2], np.int64)


def test_tensor_array_split_and_concat_export_as_tensorflows_ops_and_import_back():
    g = _split_concat_graph()
    feeds = {"x:0": _X, "lengths:0": _LENGTHS}
    with tf.Session(graph=g) as sess:
        want = sess.run(["second:0", "doubled:0"], feeds)
    gd, got = _round_trip(g, ["second:0", "doubled:0"], feeds)
    nodes = {n.op: n for n in gd.node}
    assert len(nodes["TensorArraySplitV3"].input) == 4  # handle, value, lengths, flow
    assert len(nodes["TensorArrayConcatV3"].input) == 2  # handle, flow
    assert nodes["TensorArrayConcatV3"].attr["element_shape_except0"].shape.dim[0].size == 3
    np.testing.assert_array_equal(got[0], _X[1:4])
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_tensor_array_split_with_bad_lengths_is_invalid_argument_after_import():
    g = _split_concat_graph()
    gd = g.as_graph_def()
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="")
        with (
            tf.Session(graph=g2) as sess,
            pytest.raises(errors.InvalidArgumentError, match="sum of lengths"),
        ):
            sess.run("doubled:0", {"x:0": _X, "lengths:0": np.array([1, 1, 1], np.int64)})


def test_tensorflow_runs_flowzeros_tensor_array_split_and_concat():
    g = _split_concat_graph()
    feeds = {"x:0": _X, "lengths:0": _LENGTHS}
    with tf.Session(graph=g) as sess:
        want = sess.run(["second:0", "doubled:0"], feeds)
    got = _run_in_tf(g.as_graph_def(), ["second:0", "doubled:0"], feeds)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_tensorflows_tensor_array_split_and_concat_import():
    def build(real, v1):
        x = v1.placeholder(real.float32, [None, 3], name="x")
        lengths = v1.placeholder(real.int64, [None], name="lengths")
        ta = real.TensorArray(
            real.float32, size=3, element_shape=real.TensorShape([None, 3]), clear_after_read=False
        )
        ta = ta.split(x, lengths)
        real.identity(ta.read(2), name="third")
        real.identity(ta.concat() + 1.0, name="plus_one")

    gd, _ = _tf_graph_def(build)
    assert {"TensorArraySplitV3", "TensorArrayConcatV3"} <= {n.op for n in gd.node}
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            third, plus = sess.run(["third:0", "plus_one:0"], {"x:0": _X, "lengths:0": _LENGTHS})
    np.testing.assert_array_equal(third, _X[4:])
    np.testing.assert_array_equal(plus, _X + 1)
