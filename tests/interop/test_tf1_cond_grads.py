"""tf.cond gradients written in TensorFlow 1.x's graph form (tf1_cond_grads.py): the emitted
structure (`<Merge>_grad/cond_grad` Switches, `<Switch>_grad/cond_grad` Merges, gradient ops
reading the forward branch) checked here; flowzero re-imports its own `.meta` and trains on;
with TensorFlow installed, TF imports flowzero's `.meta`, restores its checkpoint and trains on
with flowzero's numbers (skipped otherwise)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import NO_TF_FORM_ATTR, to_graph_def
from flowzero.interop.tf1_conds import grad_target
from flowzero.proto import meta_graph_pb2


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _model(kind: str, opt: str = "adam"):
    """A small training graph with a tf.cond switched by a `training` placeholder (or by the
    data): batch norm (fused or not), dropout, or a cond between two dense paths."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        training = tf.placeholder_with_default(False, [], name="training")
        h = tf.layers.dense(x, 5, name="fc1")
        if kind in ("bn", "bn_fused"):
            h = tf.layers.batch_normalization(
                h, training=training, fused=kind == "bn_fused", name="bn"
            )
            h = tf.nn.relu(h)
        elif kind == "dropout":
            h = tf.layers.dropout(tf.nn.relu(h), 0.5, training=training, name="drop")
        elif kind == "bn_cond":  # the classic TF1 idiom: batch moments or their EMAs
            mean, var = tf.nn.moments(h, [0], name="moments")
            ema = tf.train.ExponentialMovingAverage(decay=0.5)
            update = ema.apply([mean, var])

            def with_update():
                with tf.control_dependencies([update]):
                    return tf.identity(mean), tf.identity(var)

            m, v = tf.cond(
                training, with_update, lambda: (ema.average(mean), ema.average(var)), name="bn"
            )
            beta = tf.get_variable("beta", [5], initializer=tf.zeros_initializer())
            gamma = tf.get_variable("gamma", [5], initializer=tf.ones_initializer())
            h = tf.nn.relu(tf.nn.batch_normalization(h, m, v, beta, gamma, 1e-3))
        elif kind == "dropout_cond":
            h = tf.cond(training, lambda: tf.nn.dropout(h, keep_prob=0.5), lambda: h, name="drop")
        elif kind == "cond":
            w = tf.get_variable("w", [5, 5])
            h = tf.cond(
                training,
                lambda: tf.nn.relu(tf.matmul(h, w)) + h,
                lambda: tf.tanh(h) * 2.0,
                name="branch",
            )
        else:  # a cond on the data, both branches reading a weight
            w = tf.get_variable("w", [5, 5])
            h = tf.cond(
                tf.reduce_sum(x) > 0,
                lambda: tf.nn.relu(tf.matmul(h, w)),
                lambda: tf.sigmoid(tf.matmul(h, w * 0.5)),
            )
        logits = tf.layers.dense(h, 3, name="fc2")
        loss = tf.identity(tf.losses.sparse_softmax_cross_entropy(y, logits), name="loss")
        gd = tf.train.GradientDescentOptimizer(0.5)
        o = tf.train.AdamOptimizer(0.05) if opt == "adam" else gd
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            gv = o.compute_gradients(loss, gate_gradients=tf.train.Optimizer.GATE_GRAPH)
            o.apply_gradients(gv, name="train")
        init = tf.global_variables_initializer()
    rng = np.random.RandomState(0)
    feeds = {"x:0": rng.randn(6, 4).astype(np.float32), "y:0": rng.randint(0, 3, 6)}
    return g, init, [gr.name for gr, _ in gv if gr is not None], feeds


# (flowzero's tf.layers batch norm and dropout blend by the `training` flag: no tf.cond)
KINDS = ["bn", "bn_fused", "dropout", "cond", "data_cond", "bn_cond", "dropout_cond"]
COND_KINDS = ["cond", "data_cond", "bn_cond", "dropout_cond"]


def _check_cond_gradient_names(gd):
    """Every gradient Merge is `<forward Switch>_grad/cond_grad`, every upstream Switch
    `<forward Merge>_grad/cond_grad` (the names TF gives them), under `gradients`."""
    nodes = {n.name: n for n in gd.node}
    fwd_switches = [n.name for n in gd.node if n.op == "Switch" and "_grad/" not in n.name]
    fwd_merges = [n.name for n in gd.node if n.op == "Merge" and "_grad/" not in n.name]
    grad_merges = [n for n in gd.node if n.op == "Merge" and n.name.endswith("_grad/cond_grad")]
    grad_switches = [n for n in gd.node if n.op == "Switch" and n.name.endswith("_grad/cond_grad")]
    assert grad_merges and grad_switches
    for n in grad_merges:
        assert n.name.startswith("gradients"), n.name
        assert grad_target(n.name, fwd_switches) is not None, n.name
    for n in grad_switches:
        assert grad_target(n.name, fwd_merges) is not None, n.name
        assert nodes[n.input[1]].name.endswith("/pred_id")  # the forward cond's pred_id
    return grad_merges, grad_switches


@pytest.mark.parametrize("kind", COND_KINDS)
def test_cond_gradient_is_written_in_tfs_form(kind):
    g, _, _, _ = _model(kind)
    gd = to_graph_def(g)  # strict: raises on anything without TF's form
    ops = {n.op for n in gd.node}
    assert not ops & {"If", "IfSaved", "BranchZeros"}
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    merges, switches = _check_cond_gradient_names(gd)
    # The gradient ops read the forward branch's tensors directly (no stacks, no copies).
    fwd_branch = {n.name for n in gd.node if "/true/" in n.name or "/false/" in n.name}
    fwd_branch = {s for s in fwd_branch if not s.startswith("gradients")}
    reads = {
        i.lstrip("^").split(":")[0]
        for n in gd.node
        if n.name.startswith("gradients")
        for i in n.input
    }
    assert bool(reads & fwd_branch) == (kind != "bn_cond")  # (bn_cond's branches: identities)
    assert "StackV2" not in ops


def test_cond_gradient_structure_matches_tensorflows():
    """The same cond in flowzero and (as TF 1.x writes it) TF's own rules: each forward
    Switch that a branch read a float through has one gradient Merge; each forward Merge one
    upstream Switch; the Merges' inputs are (false side, true side)."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        w = tf.Variable([1.0, -2.0], name="w")
        p = tf.placeholder(tf.bool, [], name="p")
        y = tf.cond(p, lambda: tf.nn.relu(x * w) + 1.0, lambda: x * 2.0)
        tf.gradients(tf.reduce_sum(y), [x, w])
    gd = to_graph_def(g)
    merges, switches = _check_cond_gradient_names(gd)
    assert len(merges) == 3 and len(switches) == 1  # x (true), w (true), x (false); one result
    nodes = {n.name: n for n in gd.node}
    sw = switches[0].name
    for m in merges:
        false_in, true_in = (nodes[i.split(":")[0]] for i in m.input[:2])
        # each side comes from that side of the upstream Switch or of a zeros Switch
        assert false_in.op in ("ZerosLike", "Mul") and true_in.op in ("ZerosLike", "Mul")
    assert any(i == f"{sw}:1" for n in gd.node for i in n.input)  # the true side
    assert any(i == sw for n in gd.node for i in n.input)  # the false side


def test_cond_gradient_of_flowzero_and_its_reimport_agree():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        w = tf.Variable([1.0, -2.0], name="w")
        p = tf.placeholder(tf.bool, [], name="p")
        y = tf.cond(p, lambda: tf.nn.relu(x * w) + 1.0, lambda: x * 2.0)
        grads = [tf.identity(t, name=f"g{i}") for i, t in enumerate(tf.gradients(y * y, [x, w]))]
        init = tf.global_variables_initializer()
    gd = to_graph_def(g)
    feeds = [{"x:0": np.array([1.0, 3.0], np.float32), "p:0": v} for v in (True, False)]
    with tf.Session(graph=g) as s:
        s.run(init)
        want = [s.run([t.name for t in grads], f) for f in feeds]
    # NumPy: true: y = relu(x w) + 1, false: y = 2x
    xv, wv = np.array([1.0, 3.0]), np.array([1.0, -2.0])
    yt = np.maximum(xv * wv, 0) + 1
    np.testing.assert_allclose(want[0][0], 2 * yt * (xv * wv > 0) * wv)
    np.testing.assert_allclose(want[0][1], 2 * yt * (xv * wv > 0) * xv)
    np.testing.assert_allclose(want[1], [8 * xv, 0 * wv])
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as s:
            s.run("w/Assign")
            for f, w_ in zip(feeds, want):
                for a, b in zip(s.run(["g0:0", "g1:0"], f), w_):
                    np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_flowzero_resumes_training_from_its_own_cond_training_meta_graph(kind, tmp_path, caplog):
    """The `.meta` is TF's protobuf (no JSON fallback); flowzero imports it whole, and the
    gradients and three training steps (training=True; dropout: False, its masks are random)
    equal the original graph's."""
    g, init, names, feeds = _model(kind)
    feeds = dict(feeds, **{"training:0": not kind.startswith("dropout")})
    with tf.Session(graph=g) as sess:
        sess.run(init)
        with caplog.at_level(logging.WARNING, logger="flowzero"):
            with g.as_default():
                prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
        assert not [r for r in caplog.records if "JSON" in r.getMessage()]
        want_grads = sess.run(names, feeds)
        want = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    with open(prefix + ".meta", "rb") as f:
        data = f.read()
    assert not data.lstrip().startswith(b"{")
    meta_graph_pb2.MetaGraphDef.FromString(data)
    with tf.Graph().as_default() as g2:
        with caplog.at_level(logging.WARNING, logger="flowzero"):
            saver = tf.train.import_meta_graph(prefix + ".meta")
        assert not [r for r in caplog.records if "import" in r.getMessage()]
        with tf.Session(graph=g2) as sess:
            saver.restore(sess, prefix)
            for name, got, w in zip(names, sess.run(names, feeds), want_grads):
                np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-7, err_msg=name)
            got = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert want[-1] < want[0]


def test_second_derivative_through_a_cond_is_refused_naming_the_op():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.tanh(x), lambda: x * x)
        (dx,) = tf.gradients(tf.reduce_sum(y), [x])
        tf.gradients(tf.reduce_sum(dx * dx), [x])
    with pytest.raises(errors.UnimplementedError, match="second derivative through tf.cond"):
        to_graph_def(g)
    marked = {n.op for n in g.as_graph_def().node if NO_TF_FORM_ATTR in n.attr}
    assert marked == {"If", "IfSaved"}


# -- TensorFlow runs flowzero's files ----------------------------------------------------------
def _tensorflow_run(path, fetch_names, feeds, steps=3):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    tg = real.Graph()
    with tg.as_default(), v1.Session(graph=tg) as sess:
        saver = v1.train.import_meta_graph(path + ".meta")
        saver.restore(sess, path)
        grads = sess.run(fetch_names, feeds)
        losses = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(steps)]
    return grads, losses


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("training", [True, False])
def test_tensorflow_trains_flowzeros_cond_gradients(kind, training, tmp_path):
    pytest.importorskip("tensorflow")
    if kind.startswith("dropout") and training:
        pytest.skip("dropout's masks are random in both (see the mask test)")
    g, init, names, feeds = _model(kind)
    feeds = dict(feeds, **{"training:0": training})
    with tf.Session(graph=g) as sess:
        sess.run(init)
        with g.as_default():  # (before any run: bn_cond's runs update its averages)
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
        want = sess.run(names, feeds)
        want_losses = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    got, losses = _tensorflow_run(path, names, feeds)
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=n)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)


@pytest.mark.parametrize("kind", ["dropout", "dropout_cond"])
def test_tensorflow_runs_dropouts_gradient_with_flowzeros_mask(kind, tmp_path):
    """Dropout under training=True: TF draws its own random numbers; fed flowzero's (the
    forward branch's value, by name) the gradients equal flowzero's."""
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, init, names, feeds = _model(kind)
    feeds = dict(feeds, **{"training:0": True})
    mask = [
        op
        for op in g.get_operations()
        if op.type == "RandomUniform" and "Initializer" not in op.name
    ]
    assert len(mask) == 1 and (mask[0]._body is not None) == (kind == "dropout_cond")
    uniform = mask[0].outputs[0].name
    with tf.Session(graph=g) as sess:
        sess.run(init)
        with g.as_default():
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
        if kind == "dropout":
            vals = sess.run([uniform, *names], feeds)
        else:  # (a branch's tensor cannot be fetched: numbers that keep what flowzero kept)
            vals = sess.run(["drop:0", *names], feeds)
            vals[0] = np.where(vals[0] != 0, 0.75, 0.25).astype(np.float32)
    tg = real.Graph()
    with tg.as_default(), v1.Session(graph=tg) as sess:
        saver = v1.train.import_meta_graph(path + ".meta")
        saver.restore(sess, path)
        got = sess.run(names, dict(feeds, **{uniform: vals[0]}))
    for n, a, b in zip(names, got, vals[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=n)


def test_simple_save_of_a_cond_training_session_keeps_the_training_part(tmp_path, caplog):
    """simple_save writes the whole training graph in TensorFlow's form (no "wrote only"
    warning); TensorFlow (if installed) loads it and trains with flowzero's losses."""
    from flowzero.interop.saved_model import find_meta_graph, read_saved_model

    g, init, _, feeds = _model("cond")
    feeds = dict(feeds, **{"training:0": True})
    path = str(tmp_path / "1")
    with tf.Session(graph=g) as sess:
        sess.run(init)
        x, loss = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("loss:0")
        with caplog.at_level(logging.WARNING, logger="flowzero"):
            tf.saved_model.simple_save(sess, path, inputs={"x": x}, outputs={"loss": loss})
        want = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    assert not [r for r in caplog.records if "wrote only" in r.getMessage()]
    mg = find_meta_graph(read_saved_model(path), ["serve"], path)
    names = {n.name for n in mg.graph_def.node}
    assert "train" in names and any(n.endswith("_grad/cond_grad") for n in names)
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    with real.Graph().as_default(), v1.Session() as sess:
        v1.saved_model.loader.load(sess, ["serve"], path)
        got = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_two_results_with_one_upstream_gradient_get_a_switch_each():
    """y1 + y2: both results' upstream gradient is one tensor; TF's form switches it once per
    result (`<Merge>_grad/cond_grad`, `<Merge_1>_grad/cond_grad`), and a re-import (which
    rebuilds the gradient from those names) gives both contributions."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        y1, y2 = tf.cond(p, lambda: (x * 2.0, tf.sin(x)), lambda: (x * x, x + 1.0))
        (gx,) = tf.gradients(y1 + y2, [x])
        tf.identity(gx, name="gx")
    gd = to_graph_def(g)
    _, switches = _check_cond_gradient_names(gd)
    assert len(switches) == 2
    xv = np.array([1.0, 3.0], np.float32)
    feeds = [{"x:0": xv, "p:0": v} for v in (True, False)]
    with tf.Session(graph=g) as s:
        want = [s.run("gx:0", f) for f in feeds]
    np.testing.assert_allclose(want[0], 2 + np.cos(xv), rtol=1e-6)
    np.testing.assert_allclose(want[1], 2 * xv + 1, rtol=1e-6)
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as s:
            got = [s.run("gx:0", f) for f in feeds]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    with real.Graph().as_default():
        v1.import_graph_def(v1.GraphDef.FromString(gd.SerializeToString()), name="")
        with v1.Session() as s:
            got = [s.run("gx:0", f) for f in feeds]
    np.testing.assert_allclose(got, want, rtol=1e-6)
