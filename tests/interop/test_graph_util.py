"""tf.train.write_graph (TF's GraphDef files), tf.graph_util (freeze, extract, strip) and
tf.gfile on TF-written frozen graphs, as TF1 code uses them."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

import flowzero as tf
from flowzero.interop.graph_def import read_graph_def
from flowzero.proto import graph_pb2
from tests.interop.helpers import FIXTURES, expected, io_spec


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _model():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    b = tf.get_variable("b", initializer=np.array([0.5, -0.5], np.float32))
    h = tf.identity(tf.matmul(x, w) + b, name="h")
    y = tf.nn.softmax(h, name="y")
    loss = tf.reduce_mean(tf.square(y), name="loss")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
    return x, y, train


def test_write_graph_writes_tensorflows_binary_and_text_graph_defs(tmp_path):
    _model()
    g = tf.get_default_graph()
    text = tf.train.write_graph(g, str(tmp_path / "a" / "b"), "g.pbtxt")
    binary = tf.train.write_graph(g.as_graph_def(), str(tmp_path), "g.pb", as_text=False)
    assert text == str(tmp_path / "a" / "b" / "g.pbtxt")
    from_text = text_format.Parse(open(text).read(), graph_pb2.GraphDef())
    from_binary = graph_pb2.GraphDef.FromString(open(binary, "rb").read())
    assert from_text == from_binary == g.as_graph_def()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "g.pb"]  # no temp files left


def test_freeze_then_import_gives_the_sessions_predictions(tmp_path):
    x, y, train = _model()
    xs = np.random.RandomState(0).randn(4, 3).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: xs})
        want = sess.run(y, {x: xs})
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, sess.graph.as_graph_def(), ["y"]
        )
    types = {n.op for n in frozen.node}
    assert "VariableV2" not in types and "Assign" not in types
    assert not any(n.name.startswith("train") or "gradients" in n.name for n in frozen.node)
    path = tf.train.write_graph(frozen, str(tmp_path), "frozen.pb", as_text=False)
    g2 = tf.Graph()
    with g2.as_default():
        with tf.gfile.GFile(path, "rb") as f:
            gd = tf.GraphDef()
            gd.ParseFromString(f.read())
        (y2,) = tf.import_graph_def(gd, return_elements=["y:0"], name="")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(y2, {"x:0": xs}), want, rtol=1e-6)
    assert tf.compat.v1.graph_util is tf.graph_util


def test_freeze_whitelist_and_blacklist():
    x, y, _ = _model()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gd = sess.graph.as_graph_def()
        only_w = tf.graph_util.convert_variables_to_constants(
            sess, gd, ["y"], variable_names_whitelist=["w"]
        )
        not_w = tf.graph_util.convert_variables_to_constants(
            sess, gd, ["y"], variable_names_blacklist=["w"]
        )
    assert {n.name: n.op for n in only_w.node}["b"] == "VariableV2"
    assert {n.name: n.op for n in only_w.node}["w"] == "Const"
    assert {n.name: n.op for n in not_w.node}["w"] == "VariableV2"
    assert {n.name: n.op for n in not_w.node}["b"] == "Const"


def test_extract_sub_graph_and_remove_training_nodes():
    _model()
    gd = tf.get_default_graph().as_graph_def()
    sub = tf.graph_util.extract_sub_graph(gd, ["h"])
    names = [n.name for n in sub.node]
    assert "h" in names and "y" not in names and "x" in names
    assert names == [n.name for n in gd.node if n.name in set(names)]  # original order
    with pytest.raises(ValueError, match="'nope' is not in graph"):
        tf.graph_util.extract_sub_graph(gd, ["nope"])
    with pytest.raises(TypeError, match="expects a GraphDef"):
        tf.graph_util.extract_sub_graph("not a graph", ["h"])
    stripped = tf.graph_util.remove_training_nodes(sub)
    nodes = {n.name: n for n in stripped.node}
    assert "h" not in nodes and "w/read" not in nodes
    kept = tf.graph_util.remove_training_nodes(sub, protected_nodes=["h"])
    assert "h" in {n.name for n in kept.node}


@pytest.mark.parametrize("model", ["convnet", "batchnorm"])
def test_tf_frozen_graph_through_gfile_and_strip_predicts_as_tf(model):
    spec, want = io_spec(model), expected(model)
    with tf.gfile.GFile(str(FIXTURES / model / "frozen.pb"), "rb") as f:
        gd = tf.GraphDef()
        gd.ParseFromString(f.read())
    outs = [name.split(":")[0] for name in spec["outputs"].values()]
    gd = tf.graph_util.remove_training_nodes(gd, protected_nodes=outs)
    assert not any(n.op == "Identity" and n.name not in outs for n in gd.node)
    fetched = tf.import_graph_def(gd, return_elements=list(spec["outputs"].values()), name="")
    with tf.Session() as sess:
        got = sess.run(fetched, {spec["inputs"]["x"]: want["x"]})
    for key, value in zip(spec["outputs"], got):
        np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-5)
    assert read_graph_def(str(FIXTURES / model / "frozen.pbtxt")) == read_graph_def(
        str(FIXTURES / model / "frozen.pb")
    )
