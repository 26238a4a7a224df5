"""While-loop gradients (WhileGrad) written in TensorFlow 1.x's graph form (tf1_loop_grads.py):
the emitted structure (counter, stacks, a backward frame) checked here; with TensorFlow
installed, TF imports flowzero's `.meta`, restores its checkpoint and trains on with
flowzero's numbers (skipped otherwise)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import NO_TF_FORM_ATTR, to_graph_def
from flowzero.interop.graph_util import extract_sub_graph
from flowzero.interop.importer import import_graph_def
from flowzero.proto import meta_graph_pb2


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


XS = np.array([0.5, -1.0, 2.0], np.float32)


def _power_graph(opt: str = "gd"):
    """r = x * w^4 by a while loop with a captured weight w; loss = sum(r^2)."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        w = tf.Variable(np.array([1.1, 0.9, 1.3], np.float32), name="w")
        _, r = tf.while_loop(lambda i, v: i < 4, lambda i, v: (i + 1, v * w), [tf.constant(0), x])
        r = tf.identity(r, name="r")
        loss = tf.reduce_sum(r * r, name="loss")
        gw, gx = tf.gradients(loss, [w, x])
        o = tf.train.GradientDescentOptimizer(0.01) if opt == "gd" else tf.train.AdamOptimizer(0.1)
        o.minimize(loss, name="train")
        init = tf.global_variables_initializer()
    return g, init, [gw.name, gx.name]


def _rnn_graph(cell: str = "lstm", opt: str = "gd", feature: str = "output", seed: int = 1):
    """dynamic_rnn + a dense layer + softmax loss + an optimizer. Gradients are gated
    (GATE_GRAPH): TF's executor runs independent ops in parallel, and an update of a variable
    racing a gradient that still reads it would make TF's step differ from flowzero's."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        cells = {
            "lstm": lambda: tf.nn.rnn_cell.LSTMCell(6),
            "gru": lambda: tf.nn.rnn_cell.GRUCell(6),
            "rnn": lambda: tf.nn.rnn_cell.BasicRNNCell(6),
        }
        out, state = tf.nn.dynamic_rnn(cells[cell](), x, dtype=tf.float32)
        if feature == "output":
            feat = out[:, -1]
        else:  # the final state only: the outputs' gradient arrays stay empty
            feat = state.h if cell == "lstm" else state
        logits = tf.layers.dense(feat, 3, name="fc")
        loss = tf.identity(tf.losses.sparse_softmax_cross_entropy(y, logits), name="loss")
        adam = opt == "adam"
        o = tf.train.AdamOptimizer(0.05) if adam else tf.train.GradientDescentOptimizer(0.5)
        gv = o.compute_gradients(loss, gate_gradients=tf.train.Optimizer.GATE_GRAPH)
        o.apply_gradients(gv, name="train")
        names = [gr.name for gr, _ in gv if gr is not None]
        names.append(tf.gradients(loss, x)[0].name)  # a second backward loop, into a TensorArray
        init = tf.global_variables_initializer()
    rng = np.random.RandomState(0)
    feeds = {"x:0": rng.randn(4, 5, 3).astype(np.float32), "y:0": rng.randint(0, 3, 4)}
    return g, init, names, feeds


def _frames(gd) -> dict[str, str]:
    """Each node's frame ('' outside loops), checking TF's rules: an op's inputs are in its
    frame, an Enter's input in the parent frame, an Exit's output in the parent frame."""
    nodes = {n.name: n for n in gd.node}
    parent: dict[str, str] = {}
    frame: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for n in gd.node:
            if n.name in frame:
                continue
            ins = [i.lstrip("^").split(":")[0] for i in n.input]
            known = [frame[i] for i in ins if i in frame]
            if n.op == "Enter":
                if len(known) == len(ins):  # (constants outside loops have no inputs)
                    f = n.attr["frame_name"].s.decode()
                    parent.setdefault(f, known[0] if known else "")
                    frame[n.name] = f
                    changed = True
            elif n.op == "Exit":
                if known:
                    frame[n.name] = parent[known[0]]
                    changed = True
            elif not ins:
                frame[n.name] = ""
                changed = True
            elif known:
                frame[n.name] = known[0]
                changed = True
    assert set(frame) == set(nodes), sorted(set(nodes) - set(frame))[:5]
    for n in gd.node:
        for i in n.input:
            src = i.lstrip("^").split(":")[0]
            if n.op == "Enter":
                want = parent[frame[n.name]]
            elif n.op == "Exit":
                want = [f for f, p in parent.items() if p == frame[n.name]]
                assert frame[src] in want, (n.name, src)
                continue
            else:
                want = frame[n.name]
            assert frame[src] == want, f"{n.name} ({frame[n.name]!r}) reads {src} ({frame[src]!r})"
    return frame


def test_while_loop_gradient_is_written_as_tfs_stacks_and_backward_frame():
    g, _, _ = _power_graph()
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    ops = [n.op for n in gd.node]
    assert "WhileGrad" not in ops
    for op_type in ("StackV2", "StackPushV2", "StackPopV2", "ControlTrigger", "GreaterEqual"):
        assert op_type in ops, op_type
    assert ops.count("LoopCond") == 3  # the forward loop, one backward loop per gradient call
    frame = _frames(gd)
    fwd = "while/while_context"
    backs = {f for f in frame.values() if f and f != fwd}
    assert len(backs) == 2
    nodes = {n.name: n for n in gd.node}
    for n in gd.node:
        if n.op == "StackPushV2":
            assert frame[n.name] == fwd
            assert nodes[n.input[0]].op == "Enter" and nodes[n.input[0]].attr["is_constant"].b
            assert any(i.startswith("^") for i in n.input)  # after the counter's Add
        elif n.op == "StackPopV2":
            assert frame[n.name] in backs
        elif n.op == "StackV2":
            assert frame[n.name] == "" and n.attr["elem_type"].type  # outside the loops
    # The backward count starts at the forward count's Exit.
    b_enters = [n for n in gd.node if n.op == "Enter" and n.name.endswith("/b_count")]
    assert len(b_enters) == 2
    for e in b_enters:
        src = nodes[e.input[0]]
        assert src.op == "Exit" and frame[src.name] == ""
    # Named in the gradients' scopes, as TF names them (an import leaving out the training
    # part leaves them out).
    for n in gd.node:
        if n.op.startswith("Stack") or "f_count" in n.name or "b_count" in n.name:
            assert n.name.startswith("gradients"), n.name
    # v * w: dv pops v (w is loop-invariant: entered, not pushed); dw accumulates (b_acc).
    assert ops.count("StackPushV2") == 2  # v, once per gradient loop
    assert sum(1 for n in gd.node if "b_acc/Add" in n.name) == 2


def test_gradient_free_loop_export_is_unchanged_by_the_gradient_machinery():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        tf.while_loop(lambda i, v: i < 4, lambda i, v: (i + 1, v * 2.0), [tf.constant(0), x])
    ops = [n.op for n in g.as_graph_def().node]
    assert "StackV2" not in ops and ops.count("LoopCond") == 1 and ops.count("Enter") == 2


def test_rnn_training_graph_has_tfs_form_with_tensor_array_gradients():
    g, _, _, _ = _rnn_graph("lstm", "adam")
    gd = to_graph_def(g)  # strict: raises on anything without TF's form
    ops = [n.op for n in gd.node]
    assert not any(o.startswith("TensorArrayGrad") and o != "TensorArrayGradV3" for o in ops)
    grads = [n for n in gd.node if n.op == "TensorArrayGradV3"]
    assert grads and {n.attr["source"].s for n in grads} == {b"gradients", b"gradients_1"}
    frame = _frames(gd)
    assert len({f for f in frame.values() if f}) == 3
    nodes = {n.name: n for n in gd.node}
    for n in grads:  # each names a forward TensorArrayV3 (entered where inside a loop)
        h = nodes[n.input[0]]
        h = nodes[h.input[0]] if h.op == "Enter" else h
        assert h.op == "TensorArrayV3"


def test_export_meta_graph_of_a_loop_training_graph_is_tfs_protobuf(tmp_path, caplog):
    g, init, _, _ = _rnn_graph("gru", "gd")
    with caplog.at_level(logging.WARNING, logger="flowzero"):
        mg = tf.train.export_meta_graph(str(tmp_path / "m.meta"), graph=g)
        with tf.Session(graph=g) as sess:
            sess.run(init)
            with g.as_default():
                prefix = tf.train.Saver().save(sess, str(tmp_path / "ckpt"))
    assert not [r for r in caplog.records if "JSON" in r.getMessage()]
    assert isinstance(mg, meta_graph_pb2.MetaGraphDef)
    for path in (tmp_path / "m.meta", prefix + ".meta"):
        with open(path, "rb") as f:
            data = f.read()
        assert not data.lstrip().startswith(b"{")
        parsed = meta_graph_pb2.MetaGraphDef.FromString(data)
        assert "StackPopV2" in {n.op for n in parsed.graph_def.node}


def test_flowzero_reimports_the_forward_part_of_the_exported_graph():
    g, init, _, feeds = _rnn_graph("rnn", "gd")
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run("loss:0", feeds)
        gd = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["loss"])
    sub = extract_sub_graph(gd, ["loss"])
    assert "StackPushV2" not in {n.op for n in sub.node}
    with tf.Graph().as_default() as g2:
        (loss,) = import_graph_def(sub, return_elements=["loss:0"], name="")
        with tf.Session(graph=g2) as sess:
            np.testing.assert_allclose(sess.run(loss, feeds), want, rtol=1e-6)


@pytest.mark.parametrize("cell,opt", [("lstm", "adam"), ("gru", "gd"), ("rnn", "gd")])
def test_flowzero_resumes_training_from_its_own_loop_training_meta_graph(
    cell, opt, tmp_path, caplog
):
    """flowzero's `.meta` of a loop training graph (TF's form: stacks, backward frames named
    after the forward loop's Enters and Exits) imports whole in flowzero: the gradients by
    name and three training steps equal the original graph's, with no warning."""
    g, init, names, feeds = _rnn_graph(cell, opt)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        with g.as_default():
            prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
        want_grads = sess.run(names, feeds)
        want = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    with tf.Graph().as_default() as g2:
        with caplog.at_level(logging.WARNING, logger="flowzero"):
            saver = tf.train.import_meta_graph(prefix + ".meta")
        assert not [r for r in caplog.records if "import" in r.getMessage()]
        assert "StackPopV2" not in {op.type for op in g2.get_operations()}
        with tf.Session(graph=g2) as sess:
            saver.restore(sess, prefix)
            for name, got, w in zip(names, sess.run(names, feeds), want_grads):
                np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-7, err_msg=name)
            got = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_nested_loop_gradient_has_no_tf_form_and_meta_graph_falls_back(tmp_path, caplog):
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(1.5, name="w")

        def outer(i, v):
            _, v2 = tf.while_loop(lambda j, u: j < 2, lambda j, u: (j + 1, u * w), [0, v])
            return i + 1, v2

        _, r = tf.while_loop(lambda i, v: i < 2, outer, [0, tf.constant(1.0)])
        tf.train.GradientDescentOptimizer(0.1).minimize(r)
    with pytest.raises(
        errors.UnimplementedError,
        match="WhileGrad '.*': a gradient through the While 'while/body/while' in its body",
    ):
        to_graph_def(g)
    # The forward loops are written (TF's nested frames); only the gradient is marked.
    marked = [n.op for n in g.as_graph_def().node if NO_TF_FORM_ATTR in n.attr]
    assert marked == ["WhileGrad"]
    with caplog.at_level(logging.WARNING, logger="flowzero"):
        doc = tf.train.export_meta_graph(str(tmp_path / "m.meta"), graph=g)
    assert not isinstance(doc, meta_graph_pb2.MetaGraphDef)
    assert any("JSON" in r.getMessage() for r in caplog.records)


def test_tensor_array_split_gradient_has_no_tf_form_naming_the_op():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [5], name="x")
        ta = tf.TensorArray(tf.float32, 2).split(x, [2, 3])
        (dx,) = tf.gradients(tf.reduce_sum(tf.reshape(ta.concat(), [5]) ** 2), [x])
    with pytest.raises(errors.UnimplementedError, match="TensorArrayGrad(Split|Concat)"):
        to_graph_def(g)
    marked = {n.op for n in g.as_graph_def().node if NO_TF_FORM_ATTR in n.attr}
    assert marked and all(t.startswith("TensorArrayGrad") for t in marked)


# -- TensorFlow runs flowzero's files ----------------------------------------------------------
def _tf():
    real = pytest.importorskip("tensorflow")
    return real, real.compat.v1  # (graph mode inside `Graph.as_default()`)


def _flowzero_run(g, init, fetch_names, feeds, prefix, steps=3):
    with tf.Session(graph=g) as sess:
        sess.run(init)
        grads = sess.run(fetch_names, feeds)
        with g.as_default():
            path = tf.train.Saver().save(sess, prefix)
        losses = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(steps)]
    return grads, path, losses


def _tensorflow_run(path, fetch_names, feeds, steps=3):
    real, v1 = _tf()
    tg = real.Graph()
    with tg.as_default(), v1.Session(graph=tg) as sess:
        saver = v1.train.import_meta_graph(path + ".meta")
        saver.restore(sess, path)
        grads = sess.run(fetch_names, feeds)
        losses = [sess.run(["loss:0", "train"], feeds)[0] for _ in range(steps)]
    return grads, losses


def test_tensorflow_trains_flowzeros_while_loop_gradient(tmp_path):
    _tf()
    g, init, names = _power_graph()
    feeds = {"x:0": XS}
    want, path, want_losses = _flowzero_run(g, init, names, feeds, str(tmp_path / "m"))
    got, losses = _tensorflow_run(path, names, feeds)
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, err_msg=n)
    # NumPy: d/dw sum((x w^4)^2) = 8 x^2 w^7, d/dx = 2 x w^8
    w = np.array([1.1, 0.9, 1.3], np.float32)
    np.testing.assert_allclose(want[0], 8 * XS**2 * w**7, rtol=1e-5)
    np.testing.assert_allclose(want[1], 2 * XS * w**8, rtol=1e-5)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)


@pytest.mark.parametrize(
    "cell, opt, feature",
    [
        ("lstm", "gd", "output"),
        ("lstm", "adam", "output"),
        ("gru", "adam", "output"),
        ("rnn", "gd", "output"),
        ("lstm", "adam", "state"),
        ("gru", "gd", "state"),
    ],
)
def test_tensorflow_trains_flowzeros_dynamic_rnn(tmp_path, cell, opt, feature):
    _tf()
    g, init, names, feeds = _rnn_graph(cell, opt, feature)
    want, path, want_losses = _flowzero_run(g, init, names, feeds, str(tmp_path / "m"))
    got, losses = _tensorflow_run(path, names, feeds)
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=n)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    assert losses[-1] < losses[0]


def _loop_model_graph(mode: str):
    """Other loop models TF1 programs train: dynamic_rnn with sequence_length (an Assert and
    selects in the body), stacked cells, a bidirectional RNN, tf.scan and tf.map_fn."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        if mode == "sequence_length":
            lengths = tf.constant([5, 3, 4, 2])
            cell = tf.nn.rnn_cell.LSTMCell(6)
            _, st = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
            feat = st.h
        elif mode == "stacked":
            cells = [tf.nn.rnn_cell.GRUCell(4), tf.nn.rnn_cell.LSTMCell(5)]
            out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.MultiRNNCell(cells), x, dtype=tf.float32)
            feat = tf.reduce_mean(out, axis=1)
        elif mode == "bidirectional":
            fw, bw = tf.nn.rnn_cell.LSTMCell(4), tf.nn.rnn_cell.GRUCell(4)
            (o1, o2), _ = tf.nn.bidirectional_dynamic_rnn(fw, bw, x, dtype=tf.float32)
            feat = tf.concat([o1[:, -1], o2[:, 0]], 1)
        elif mode == "scan":
            w = tf.get_variable("w", [3, 3])
            steps = tf.transpose(x, [1, 0, 2])
            o = tf.scan(lambda a, e: tf.tanh(tf.matmul(a, w) + e), steps, tf.zeros([4, 3]))
            feat = o[-1]
        else:  # map_fn
            w = tf.get_variable("w", [3, 3])
            feat = tf.reduce_sum(tf.map_fn(lambda e: tf.tanh(tf.matmul(e, w)), x), 1)
        logits = tf.layers.dense(feat, 3, name="fc")
        loss = tf.identity(tf.losses.sparse_softmax_cross_entropy(y, logits), name="loss")
        o = tf.train.AdamOptimizer(0.05)
        gv = o.compute_gradients(loss, gate_gradients=tf.train.Optimizer.GATE_GRAPH)
        o.apply_gradients(gv, name="train")
        init = tf.global_variables_initializer()
    rng = np.random.RandomState(0)
    feeds = {"x:0": rng.randn(4, 5, 3).astype(np.float32), "y:0": rng.randint(0, 3, 4)}
    return g, init, [gr.name for gr, _ in gv if gr is not None], feeds


@pytest.mark.parametrize("mode", ["sequence_length", "stacked", "bidirectional", "scan", "map"])
def test_loop_models_have_tfs_form(mode):
    g, _, _, _ = _loop_model_graph(mode)
    _frames(to_graph_def(g))


@pytest.mark.parametrize("mode", ["sequence_length", "stacked", "bidirectional", "scan", "map"])
def test_tensorflow_trains_flowzeros_loop_models(tmp_path, mode):
    _tf()
    g, init, names, feeds = _loop_model_graph(mode)
    want, path, want_losses = _flowzero_run(g, init, names, feeds, str(tmp_path / "m"))
    got, losses = _tensorflow_run(path, names, feeds)
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=n)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)


def test_tensorflow_trains_a_loop_reading_its_own_tensor_array(tmp_path):
    """A TensorArray loop variable read inside the loop (each step from the previous one):
    the read's gradient writes into the gradient array the loop carries. float64: TF's
    float32 tanh rounds differently from NumPy's, by more than 1e-5 after a few steps."""
    _tf()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [3], name="x")
        w = tf.Variable(np.array([1.1, 0.9, 1.3]), name="w")
        ta = tf.TensorArray(tf.float64, 5, clear_after_read=False).write(0, x)

        def body(i, ta):
            prev = ta.read(i - 1)
            return i + 1, ta.write(i, tf.tanh(prev * w) + prev)

        _, ta = tf.while_loop(lambda i, ta: i < 5, body, [tf.constant(1), ta])
        loss = tf.reduce_sum(tf.square(ta.stack()), name="loss")
        names = [t.name for t in tf.gradients(loss, [w, x])]
        tf.train.GradientDescentOptimizer(0.01).minimize(loss, name="train")
        init = tf.global_variables_initializer()
    _frames(to_graph_def(g))
    feeds = {"x:0": np.array([0.5, -1.0, 2.0])}
    want, path, want_losses = _flowzero_run(g, init, names, feeds, str(tmp_path / "m"))
    got, losses = _tensorflow_run(path, names, feeds)
    for n, a, b in zip(names, got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=n)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-10)
