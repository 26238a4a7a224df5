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


# -- fused LSTM ----------------------------------------------------------------------------------
_RNG = np.random.default_rng(5)
_XS = _RNG.standard_normal((4, 3, 2)).astype(np.float32)  # [batch, time, depth]


def _lstm_graph(kind):
    """A BasicLSTMCell over a sequence (flowzero's BlockLSTM, last state from outputs 7 / 8)
    or tf.contrib.rnn.LSTMBlockCell steps (LSTMBlockCell), with a loss and the gradients of
    the loss by the input and the weights (BlockLSTMGrad / LSTMBlockCellGrad)."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 3, 2], name="x")
        if kind == "sequence":
            cell = tf.nn.rnn_cell.BasicLSTMCell(5, forget_bias=0.5)
            out, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            h = out[:, -1]
        else:
            cell = tf.contrib.rnn.LSTMBlockCell(5, forget_bias=0.5)
            state = cell.zero_state(tf.shape(x)[0], tf.float32)
            for t in range(3):
                h, state = cell(x[:, t], state)
        loss = tf.reduce_sum(tf.square(h)) + tf.reduce_sum(state.c * 0.3)
        tf.identity(loss, name="loss")
        grads = tf.gradients(loss, [x, *tf.trainable_variables()])
        for k, gr in enumerate(grads):
            tf.identity(gr, name=f"grad_{k}")
        init = tf.global_variables_initializer()
        sess = tf.Session(graph=g)
        sess.run(init)
        names = ["loss:0", "c:0", *(f"grad_{k}:0" for k in range(len(grads)))]
        tf.identity(state.c, name="c")
        want = sess.run(names, {x: _XS})
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, g.as_graph_def(), [n[:-2] for n in names]
        )
    return frozen, names, want


@pytest.mark.parametrize("kind", ["sequence", "cell"])
def test_fused_lstm_training_graph_exports_as_tensorflows_ops_and_imports_back(kind):
    """(TF's LSTMBlockCellGrad returns dicfo, which flowzero's kernel does not: it imports as
    flowzero's elementwise ops over the forward cell's gate values, and the MatMuls TF's
    gradient adds after it import as they are.)"""
    frozen, names, want = _lstm_graph(kind)
    types = {n.op for n in frozen.node}
    fwd, grad = (
        ("BlockLSTM", "BlockLSTMGrad")
        if kind == "sequence"
        else (
            "LSTMBlockCell",
            "LSTMBlockCellGrad",
        )
    )
    assert {fwd, grad} <= types
    node = next(n for n in frozen.node if n.op == fwd)
    assert len(node.input) == (9 if kind == "sequence" else 8)
    assert node.attr["cell_clip"].f == -1 and not node.attr["use_peephole"].b
    assert node.attr["forget_bias"].f == 0.5
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(frozen, name="")
        with tf.Session(graph=g2) as sess:
            got = sess.run(names, {"x:0": _XS})
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=n)


@pytest.mark.parametrize("kind", ["sequence", "cell"])
def test_tensorflow_runs_flowzeros_fused_lstm_training_graph(kind):
    frozen, names, want = _lstm_graph(kind)
    got = _run_in_tf(frozen, names, {"x:0": _XS})
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=n)


def _tf_block_lstm(real, v1, seq_len_max=None, cell_clip=-1.0, grads=True):
    """A TF graph of raw BlockLSTM over x [time, batch, depth] (+ its gradients)."""
    rng = np.random.default_rng(9)
    x = v1.placeholder(real.float32, [3, None, 2], name="x")
    w = real.constant(rng.standard_normal((7, 20)).astype(np.float32) * 0.5)
    b = real.constant(rng.standard_normal(20).astype(np.float32) * 0.1)
    zeros = real.zeros([5])
    c0 = real.zeros([real.shape(x)[1], 5])
    limit = real.constant(3, real.int64) if seq_len_max is None else seq_len_max
    outs = real.raw_ops.BlockLSTM(
        seq_len_max=limit,
        x=x,
        cs_prev=c0,
        h_prev=c0,
        w=w,
        wci=zeros,
        wcf=zeros,
        wco=zeros,
        b=b,
        forget_bias=0.7,
        cell_clip=cell_clip,
        use_peephole=False,
    )
    real.identity(outs[1], name="cs")
    real.identity(outs[6], name="h")
    if grads:
        loss = real.reduce_sum(real.square(outs[6])) + real.reduce_sum(outs[1])
        for k, gr in enumerate(real.gradients(loss, [x, w, b])):
            real.identity(gr, name=f"grad_{k}")


_XT = np.random.default_rng(3).standard_normal((3, 4, 2)).astype(np.float32)


def test_tensorflows_block_lstm_and_its_gradient_import():
    gd, _ = _tf_graph_def(_tf_block_lstm)
    assert {"BlockLSTM", "BlockLSTMGrad"} <= {n.op for n in gd.node}
    names = ["cs:0", "h:0", "grad_0:0", "grad_1:0", "grad_2:0"]
    want = _run_in_tf(gd, names, {"x:0": _XT})
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            got = sess.run(names, {"x:0": _XT})
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=n)


def test_tensorflows_block_lstm_stops_at_seq_len_max():
    def build(real, v1):
        _tf_block_lstm(real, v1, v1.placeholder(real.int64, [], name="limit"), grads=False)

    gd, _ = _tf_graph_def(build)
    feeds = {"x:0": _XT, "limit:0": 2}
    want = _run_in_tf(gd, ["cs:0", "h:0"], feeds)
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            got = sess.run(["cs:0", "h:0"], feeds)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a[2:], 0)
        np.testing.assert_allclose(a[:2], b[:2], rtol=1e-5, atol=1e-6)


def test_tensorflows_lstm_block_cell_imports_and_a_clipped_cell_is_refused():
    def build(real, v1, clip=-1.0):
        rng = np.random.default_rng(4)
        x = v1.placeholder(real.float32, [None, 2], name="x")
        c = real.constant(rng.standard_normal((4, 3)).astype(np.float32))
        w = real.constant(rng.standard_normal((5, 12)).astype(np.float32))
        b = real.constant(rng.standard_normal(12).astype(np.float32))
        z = real.zeros([3])
        outs = real.raw_ops.LSTMBlockCell(
            x=x, cs_prev=c, h_prev=c, w=w, wci=z, wcf=z, wco=z, b=b, cell_clip=clip
        )
        for k, o in enumerate(outs):
            real.identity(o, name=f"out_{k}")

    gd, _ = _tf_graph_def(build)
    xs = np.random.default_rng(6).standard_normal((4, 2)).astype(np.float32)
    names = [f"out_{k}:0" for k in range(7)]
    want = _run_in_tf(gd, names, {"x:0": xs})
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            got = sess.run(names, {"x:0": xs})
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=n)
    clipped, _ = _tf_graph_def(lambda real, v1: build(real, v1, 3.0))
    with tf.Graph().as_default(), pytest.raises(errors.UnimplementedError, match="cell_clip=3"):
        tf.import_graph_def(clipped, name="")


def test_a_block_lstm_output_read_by_another_op_has_no_tf_form():
    from flowzero.ops import rnn_ops

    with tf.Graph().as_default() as g:
        x = tf.zeros([2, 1, 3])
        c = tf.zeros([1, 4])
        outs = rnn_ops.block_lstm(x, c, c, tf.zeros([7, 16]), tf.zeros([16]))
        tf.identity(outs[9], name="factors")
        from flowzero.interop.graph_def import NO_TF_FORM_ATTR, to_graph_def

        with pytest.raises(errors.UnimplementedError, match="BlockLSTM.*output 9 is read by"):
            to_graph_def(g)
        marked = [n for n in g.as_graph_def().node if NO_TF_FORM_ATTR in n.attr]
        assert [n.op for n in marked] == ["BlockLSTM"]
