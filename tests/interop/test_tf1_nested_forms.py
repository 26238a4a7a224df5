"""Control flow inside control flow written in TensorFlow 1.x's graph form (tf1_export.py): a
tf.cond inside a while loop's body (a Switch / Merge inside the frame), a loop inside a loop
(an inner frame whose Enters read the outer frame's nodes), a cond inside a cond's branch.
flowzero reads each back; with TensorFlow installed, TF runs each with flowzero's results."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import NO_TF_FORM_ATTR, to_graph_def
from flowzero.proto import meta_graph_pb2
from tests.interop.test_tf1_loop_grads import _frames

FEEDS = [
    np.array(a, np.float32)
    for a in ([1.0, 2.0, -3.0], [-1.0, 2.0, 0.5], [1.0, -2.0, 3.0], [5.0, 1.0, 1.0])
]


def _nested(kind: str):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        if kind == "cond_in_loop":

            def body(i, v):
                v = tf.cond(tf.reduce_sum(v) > 0, lambda: v * 0.5 - 1.0, lambda: v + 2.0)
                return i + 1, v

            _, y = tf.while_loop(lambda i, v: i < 5, body, [0, x])
        elif kind == "loop_in_loop":

            def body(i, v):
                _, u = tf.while_loop(
                    lambda j, u: j < i,
                    lambda j, u: (j + 1, u * 1.5 + 0.1),
                    [0, v],
                    maximum_iterations=3,  # (its counter's zero hangs on the outer pivot)
                )
                return i + 1, u

            _, y = tf.while_loop(lambda i, v: i < 4, body, [0, x])
        else:  # cond_in_cond
            y = tf.cond(
                x[0] > 0,
                lambda: tf.cond(x[1] > 0, lambda: x * 2.0, lambda: x - 1.0),
                lambda: x * 3.0 + 1.0,
            )
        tf.identity(y, name="y")
    return g


def _want(g):
    with tf.Session(graph=g) as s:
        return [s.run("y:0", {"x:0": f}) for f in FEEDS]


KINDS = ["cond_in_loop", "loop_in_loop", "cond_in_cond"]


@pytest.mark.parametrize("kind", KINDS)
def test_nested_control_flow_is_written_in_tfs_form_and_read_back(kind):
    g = _nested(kind)
    gd = to_graph_def(g)
    ops = [n.op for n in gd.node]
    assert "While" not in ops and "If" not in ops
    frame = _frames(gd)  # TF's frame rules hold
    frames = {f for f in frame.values() if f}
    assert len(frames) == {"cond_in_loop": 1, "loop_in_loop": 2, "cond_in_cond": 0}[kind]
    if kind == "cond_in_loop":  # the cond's Switches and Merge are in the loop's frame
        for n in gd.node:
            if n.name.startswith("while/body/cond/tf1/"):
                assert frame[n.name] == "while/while_context", n.name
    want = _want(g)
    if kind == "cond_in_loop":  # NumPy
        for f, w in zip(FEEDS, want):
            v = f.copy()
            for _ in range(5):
                v = v * 0.5 - 1.0 if v.sum() > 0 else v + 2.0
            np.testing.assert_allclose(w, v, rtol=1e-6)
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as s:
            got = [s.run("y:0", {"x:0": f}) for f in FEEDS]
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_tensorflow_runs_nested_control_flow_with_flowzeros_results(kind):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g = _nested(kind)
    gd = v1.GraphDef.FromString(to_graph_def(g).SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as s:
            got = [s.run("y:0", {"x:0": f}) for f in FEEDS]
    np.testing.assert_allclose(got, _want(g), rtol=1e-6)


def _loop_in_cond_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        w = tf.Variable(np.array([0.5, 1.5, -1.0], np.float32), name="w")
        y = tf.cond(
            x[0] > 0,
            lambda: tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * w), [0, x])[1],
            lambda: -x,
        )
        tf.identity(y, name="y")
        init = tf.global_variables_initializer()
    feeds = [np.array([1.0, 2.0, 3.0], np.float32), np.array([-1.0, 2.0, 3.0], np.float32)]
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = [sess.run("y:0", {"x:0": f}) for f in feeds]
        frozen = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y"])
    return g, frozen, feeds, want


def test_loop_in_a_cond_branch_is_written_in_tf_form_and_read_back():
    """A loop inside a cond's branch: the frame's Enters read the branch's Switch outputs; the
    frame rules hold and flowzero reads it back to the same values, branch taken or not."""
    g, frozen, feeds, want = _loop_in_cond_graph()
    frames = _frames(frozen)
    assert any(f.endswith("while_context") for f in frames.values())
    with tf.Graph().as_default():
        tf.import_graph_def(frozen, name="")
        with tf.Session() as sess:
            got = [sess.run("y:0", {"x:0": f}) for f in feeds]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_tensorflow_runs_a_loop_in_a_cond_branch():
    tf_real = pytest.importorskip("tensorflow")
    v1 = tf_real.compat.v1
    _, frozen, feeds, want = _loop_in_cond_graph()
    with tf_real.Graph().as_default():
        gd = v1.GraphDef()
        gd.ParseFromString(frozen.SerializeToString())
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            got = [sess.run("y:0", {"x:0": f}) for f in feeds]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_gradient_through_a_loop_in_a_cond_branch_is_refused_naming_the_op():
    g, _, _, _ = _loop_in_cond_graph()
    with g.as_default():
        tf.gradients(g.get_tensor_by_name("y:0"), [g.get_tensor_by_name("w:0")])
    with pytest.raises(errors.UnimplementedError, match="a gradient through the While"):
        to_graph_def(g)


def _cond_loop_training_graph(dtype=tf.float32):
    """A loop whose body holds a cond on the loop's state, trained: the loop's gradient runs
    the cond's gradient per iteration, in reverse."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(dtype, [3], name="x")
        w = tf.Variable(np.array([0.9, 1.1, -0.5]), dtype=dtype, name="w")

        def body(i, v):
            return i + 1, tf.cond(tf.reduce_sum(v) > 0, lambda: tf.tanh(v * w), lambda: v + w * v)

        _, y = tf.while_loop(lambda i, v: i < 4, body, [0, x])
        y = tf.identity(y, name="y")
        loss = tf.reduce_sum(y * y, name="loss")
        names = [t.name for t in tf.gradients(loss, [w, x])]
        tf.train.GradientDescentOptimizer(0.01).minimize(loss, name="train")
        init = tf.global_variables_initializer()
    return g, init, names


COND_LOOP_FEEDS = [[1.0, 2.0, -3.0], [-1.0, -2.0, 0.5]]


def test_gradient_through_a_cond_in_a_loop_is_written_in_tfs_form():
    """TF's form: the cond's branch values are pushed inside their branch (a push of the
    branch not taken is dead), the counter waits on them through a ControlTrigger (f_sync);
    the backward frame pops them inside the gradient cond's branch, after the count's Sub."""
    g, _, _ = _cond_loop_training_graph()
    gd = to_graph_def(g)
    ops = [n.op for n in gd.node]
    assert not {"If", "IfSaved", "WhileGrad"} & set(ops)
    frame = _frames(gd)
    nodes = {n.name: n for n in gd.node}
    pushes = [n for n in gd.node if n.op == "StackPushV2"]
    in_branch = [n for n in pushes if nodes[n.input[1].split(":")[0]].name.startswith("while/")]
    syncs = [n for n in gd.node if n.op == "ControlTrigger" and n.name.endswith("f_sync")]
    assert len(syncs) == 2  # one per gradient (tf.gradients and minimize)
    for s in syncs:
        assert frame[s.name] == "while/while_context"
        assert all(nodes[i[1:]].op == "StackPushV2" for i in s.input)
    branch_pushes = {i[1:] for s in syncs for i in s.input}
    assert branch_pushes and branch_pushes <= {n.name for n in in_branch}
    for name in branch_pushes:  # each reads a value of one of the cond's branches
        src = nodes[name].input[1].split(":")[0]
        assert "/cond/true/" in src or "/cond/false/" in src or "/cond/tf1/Switch" in src
    pops = [n for n in gd.node if n.op == "StackPopV2"]
    branch_pops = [n for n in pops if any("tf1_grad/switch_" in i for i in n.input)]
    assert len(branch_pops) == len(branch_pushes)
    for n in branch_pops:
        assert frame[n.name] not in ("", "while/while_context")


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_flowzero_resumes_training_through_a_cond_in_a_loop(dtype, tmp_path, caplog):
    g, init, names = _cond_loop_training_graph(dtype)
    feeds = {"x:0": np.array(COND_LOOP_FEEDS[0])}
    with tf.Session(graph=g) as sess:
        sess.run(init)
        with caplog.at_level(logging.WARNING, logger="flowzero"):
            with g.as_default():
                prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
        assert not [r for r in caplog.records if "JSON" in r.getMessage()]
        want_grads = sess.run(names, feeds)
        want = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    with tf.Graph().as_default() as g2:
        saver = tf.train.import_meta_graph(prefix + ".meta")
        with tf.Session(graph=g2) as sess:
            saver.restore(sess, prefix)
            for name, got, w in zip(names, sess.run(names, feeds), want_grads):
                np.testing.assert_allclose(got, w, rtol=1e-5, err_msg=name)
            got = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("start", COND_LOOP_FEEDS)
def test_tensorflow_trains_through_a_cond_in_a_loop(start, tmp_path):
    """float64: TF's float32 tanh rounds differently from NumPy's."""
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, init, names = _cond_loop_training_graph(tf.float64)
    feeds = {"x:0": np.array(start)}
    with tf.Session(graph=g) as sess:
        sess.run(init)
        with g.as_default():
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
        want = sess.run(names, feeds)
        want_losses = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    with real.Graph().as_default(), v1.Session() as sess:
        saver = v1.train.import_meta_graph(path + ".meta")
        saver.restore(sess, path)
        got = sess.run(names, feeds)
        losses = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=n)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)


def test_gradient_through_a_cond_in_a_cond_is_refused_and_the_forward_conds_written(
    tmp_path, caplog
):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        w = tf.Variable(np.float32(0.9), name="w")
        y = tf.cond(
            x[0] > 0,
            lambda: tf.cond(x[1] > 0, lambda: x * w, lambda: x + w),
            lambda: x - w,
        )
        y = tf.identity(y, name="y")
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y * y))
    with pytest.raises(errors.UnimplementedError, match="a gradient through the If 'cond/true/"):
        to_graph_def(g)
    gd = g.as_graph_def()
    marked = [n.op for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    assert sorted(marked) == ["If", "IfSaved"]  # the gradient (the forward conds are TF's)
    with caplog.at_level(logging.WARNING, logger="flowzero"):
        doc = tf.train.export_meta_graph(str(tmp_path / "m.meta"), graph=g)
    assert not isinstance(doc, meta_graph_pb2.MetaGraphDef)  # flowzero's JSON: round-trips
    assert any("JSON" in r.getMessage() for r in caplog.records)


def test_tensor_arrays_entering_conds_and_a_seq2seq_decoder_in_tfs_form():
    """A TensorArray read in a cond's branch enters as its handle and flow, each switched; so
    contrib.seq2seq's TrainingHelper (a cond reading the inputs' TensorArray in the decoder
    loop's body) decodes in TensorFlow with flowzero's outputs, and flowzero reads it back."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [4, 5, 3], name="x")
        cell = tf.nn.rnn_cell.GRUCell(6)
        helper = tf.contrib.seq2seq.TrainingHelper(x, tf.constant([5, 3, 4, 2]))
        dec = tf.contrib.seq2seq.BasicDecoder(
            cell, helper, cell.zero_state(4, tf.float32), output_layer=tf.layers.Dense(3)
        )
        out, _, _ = tf.contrib.seq2seq.dynamic_decode(dec)
        tf.identity(out.rnn_output, name="y")
        ta = tf.TensorArray(tf.float32, 5).unstack(tf.transpose(x, [1, 0, 2]))
        p = tf.placeholder(tf.bool, [], name="p")
        tf.identity(tf.cond(p, lambda: ta.read(0), lambda: ta.read(3) * 2.0), name="z")
        init = tf.global_variables_initializer()
    gd = to_graph_def(g)
    _frames(gd)
    xs = np.random.RandomState(0).randn(4, 5, 3).astype(np.float32)
    feeds = [{"x:0": xs, "p:0": v} for v in (True, False)]
    with tf.Session(graph=g) as s:
        s.run(init)
        frozen = tf.graph_util.convert_variables_to_constants(s, gd, ["y", "z"])
        want = [s.run(["y:0", "z:0"], f) for f in feeds]
    np.testing.assert_allclose(want[0][1], xs[:, 0], rtol=0)
    np.testing.assert_allclose(want[1][1], xs[:, 3] * 2.0, rtol=1e-6)
    with tf.Graph().as_default():
        tf.import_graph_def(frozen, name="")
        with tf.Session() as s:
            got = [s.run(["y:0", "z:0"], f) for f in feeds]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
        np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    with real.Graph().as_default(), v1.Session() as s:
        v1.import_graph_def(v1.GraphDef.FromString(frozen.SerializeToString()), name="")
        got = [s.run(["y:0", "z:0"], f) for f in feeds]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
