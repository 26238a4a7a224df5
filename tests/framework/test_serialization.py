"""Graph serialization: every op of the op table (forward and gradient graphs), the book's
networks with optimizers, seeded random ops and collections round-trip through JSON + .npz into
a fresh Graph and give identical Session.run results; names, shapes and dtypes are preserved;
bad documents and unknown attr types fail clearly."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.framework.registry import OpDef, register_op, registered_ops, spec
from flowzero.framework.serialization import (
    GraphDocument,
    graph_from_dict,
    graph_to_dict,
    load_graph,
    read_graph,
    write_npz,
)
from flowzero.framework.serialization import write_graph as write_json_graph
from flowzero.models import SimpleConvNet, TwoLayerNet
from flowzero.ops import checkpoint_ops
from tests.ops.test_op_table import CASES, _ids


def _through_files(doc: GraphDocument) -> GraphDocument:
    """What a reader in another process sees: JSON text and an .npz loaded without pickle."""
    text = json.dumps(doc.doc, allow_nan=False)
    buf = io.BytesIO()
    write_npz(buf, doc.arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return GraphDocument(json.loads(text), arrays)


def _round_trip(g: tf.Graph, **kw) -> tf.Graph:
    return graph_from_dict(*_through_files(graph_to_dict(g)), **kw)


def _assert_same_structure(g: tf.Graph, g2: tf.Graph) -> None:
    ops, ops2 = g.get_operations(), g2.get_operations()
    # graph_to_dict writes control-flow bodies' _Arg nodes (no inputs) first.
    ops = [o for o in ops if o.type == "_Arg"] + [o for o in ops if o.type != "_Arg"]
    assert [o.name for o in ops] == [o.name for o in ops2]
    for a, b in zip(ops, ops2):
        assert a.type == b.type, a.name
        assert [t.name for t in a.inputs] == [t.name for t in b.inputs], a.name
        assert [c.name for c in a.control_inputs] == [c.name for c in b.control_inputs], a.name
        assert [(t.dtype, t.shape.known) for t in a.outputs] == [
            (t.dtype, t.shape.known) for t in b.outputs
        ], a.name
        assert sorted(a.opdef.attrs) == sorted(b.opdef.attrs), a.name


# -- every op --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_every_op_table_row_round_trips_with_its_gradients(case):
    arrays = case.arrays()
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(7)  # random rows get fixed seeds, so both graphs draw the same
        phs = [
            tf.placeholder(tf.as_dtype(a.dtype), a.shape, name=f"x{i}")
            for i, a in enumerate(arrays)
        ]
        out = case.build(*phs)
        outs = [
            o
            for o in (out if isinstance(out, (list, tuple)) else [out])
            if isinstance(o, tf.Tensor)
        ]
        floats = [o for o in outs if o.dtype.is_floating]
        wrt = [p for p in phs if p.dtype.is_floating]
        if case.grad and floats and wrt:
            outs += [d for d in tf.gradients(floats, wrt) if d is not None]
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    outs2 = [g2.get_tensor_by_name(o.name) for o in outs]
    with tf.Session(graph=g) as s:
        want = s.run(outs, dict(zip(phs, arrays)))
    with tf.Session(graph=g2) as s:
        got = s.run(outs2, {g2.get_tensor_by_name(p.name): a for p, a in zip(phs, arrays)})
    for o, w, v in zip(outs, want, got):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(w), err_msg=o.name)


def _every_optimizer_state_and_random_op_graph():
    """The op types the op table leaves out: optimizers' Apply*, state and random ops."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(5)
        x = tf.placeholder_with_default(np.ones((2, 3), np.float32), [None, 3], name="x")
        counter = tf.Variable(0, trainable=False, name="counter")
        bump = tf.group(tf.assign_add(counter, 2), name="bump")
        with tf.control_dependencies([bump]):
            down = tf.assign_sub(counter, 1, name="down")
        noise = (
            tf.random_gamma([2], alpha=[1.0, 2.0], seed=1)
            + tf.cast(tf.multinomial(tf.log([[0.5, 0.5]]), 3, seed=2), tf.float32)[0, :2]
        )
        extra = [
            tf.no_op(name="nothing"),
            tf.is_variable_initialized(counter),
            tf.report_uninitialized_variables(),
            noise,
            tf.random_uniform([2], 0, 5, dtype=tf.int32),
            tf.random_shuffle([1, 2, 3]),
            tf.random_normal([2]),
            tf.truncated_normal([2]),
            tf.random_uniform([2]),
        ]
        tf.placeholder(tf.float32, [2], name="unfed")
        try:
            import flowzero.summary as summary  # another package's ops; built, not run here
        except ImportError:  # pragma: no cover
            summary = None
        if summary is not None:
            summary.scalar("noise_sum", tf.reduce_sum(noise))
            summary.histogram("noise", noise)
            summary.image("picture", tf.zeros([1, 4, 4, 1]), max_outputs=1)
            summary.text("note", tf.constant("n"))
            summary.tensor_summary("noise_tensor", noise)
            summary.audio("sound", tf.zeros([1, 4, 1]), 8000)
            summary.merge_all()
        trains = []
        opts = [
            tf.train.GradientDescentOptimizer(0.1),
            tf.train.MomentumOptimizer(0.1, 0.9),
            tf.train.AdagradOptimizer(0.1),
            tf.train.AdadeltaOptimizer(1.0),
            tf.train.RMSPropOptimizer(0.01),
            tf.train.RMSPropOptimizer(0.01, centered=True),
            tf.train.AdamOptimizer(0.01),
            tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01),
            tf.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.01),
            tf.train.ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.01),
            tf.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01),
            tf.train.AdagradDAOptimizer(0.1, tf.train.get_or_create_global_step()),
            tf.train.book.Momentum(),
            tf.train.book.Nesterov(),
            tf.train.book.AdaGrad(),
            tf.train.book.RMSprop(),
            tf.train.book.Adam(),
        ]
        for i, opt in enumerate(opts):
            w = tf.Variable(np.linspace(-1, 1, 3).astype(np.float32), name=f"w{i}")
            loss = tf.reduce_sum(tf.square(tf.reduce_sum(x * w, axis=1) - 1.0))
            trains.append(opt.minimize(loss, var_list=[w]))
        sparse_opts = [  # a gather's gradient: the SparseApply* updates
            tf.train.MomentumOptimizer(0.1, 0.9),
            tf.train.AdagradOptimizer(0.1),
            tf.train.AdadeltaOptimizer(1.0),
            tf.train.RMSPropOptimizer(0.01),
            tf.train.RMSPropOptimizer(0.01, centered=True),
            tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01),
            tf.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.01),
            tf.train.ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.01),
            tf.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01),
            tf.train.AdagradDAOptimizer(0.1, tf.train.get_or_create_global_step()),
        ]
        for i, opt in enumerate(sparse_opts):
            e = tf.Variable(np.linspace(-1, 1, 12).reshape(4, 3).astype(np.float32), name=f"e{i}")
            loss = tf.reduce_sum(tf.square(tf.gather(e, [0, 2, 2]) - 1.0))
            trains.append(opt.minimize(loss, var_list=[e]))
        # Image kernels whose gradient ops the op table's forward rows do not build.
        v = tf.Variable(np.linspace(0, 1, 32).reshape(1, 4, 4, 2).astype(np.float32), name="v")
        dw = tf.Variable(np.ones((2, 2, 2, 1), np.float32), name="dw")
        image_loss = (
            tf.reduce_sum(tf.nn.depthwise_conv2d(v, dw, [1, 1, 1, 1], "SAME"))
            + tf.reduce_sum(tf.nn.lrn(v, 1))
            + tf.reduce_sum(tf.image.resize_bilinear(v, [3, 3]))
            + tf.reduce_sum(tf.image.resize_nearest_neighbor(v, [5, 5]))
            + tf.reduce_sum(tf.image.resize_bicubic(v, [3, 5]))
            + tf.reduce_sum(tf.image.crop_and_resize(v, [[0.1, 0.2, 0.9, 0.7]], [0], [2, 2]))
        )
        v3 = tf.Variable(np.linspace(0, 1, 54).reshape(1, 3, 3, 3, 2).astype(np.float32))
        w3 = tf.Variable(np.full((2, 2, 2, 2, 1), 0.1, np.float32), name="w3")
        mp3 = tf.nn.max_pool3d(v3, [1, 2, 2, 2, 1], [1, 1, 1, 1, 1], "VALID")
        image_loss += (
            tf.reduce_sum(tf.nn.conv3d(v3, w3, [1, 1, 1, 1, 1], "SAME") ** 2)
            + tf.reduce_sum(mp3**2)
            + tf.reduce_sum(tf.nn.avg_pool3d(v3, [1, 2, 2, 2, 1], [1, 1, 1, 1, 1], "SAME"))
        )
        (dv3,) = tf.gradients(tf.reduce_sum(mp3**2), [v3])
        extra += tf.gradients(tf.reduce_sum(dv3**2), [v3])  # MaxPool3DGradGrad
        trains.append(tf.train.GradientDescentOptimizer(0.1).minimize(image_loss))
        classes = tf.constant([[1], [3]], tf.int64)
        extra += [
            tf.nn.log_uniform_candidate_sampler(classes, 1, 2, True, 5, seed=3)[0],
            tf.nn.uniform_candidate_sampler(classes, 1, 2, False, 5, seed=4)[0],
            tf.nn.fixed_unigram_candidate_sampler(
                classes, 1, 2, True, 5, unigrams=[1.0, 2.0, 3.0], num_reserved_ids=2, seed=5
            )[1],
            tf.nn.learned_unigram_candidate_sampler(classes, 1, 2, False, 5, seed=6)[0],
            tf.nn.all_candidate_sampler(classes, 1, 4, True)[0],
        ]
    return g, [down] + extra, trains


def test_optimizers_state_and_random_ops_round_trip():
    g, fetches, trains = _every_optimizer_state_and_random_op_graph()
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    results = []
    for graph in (g, g2):
        with graph.as_default(), tf.Session(graph=graph) as sess:
            first = sess.run(tf.report_uninitialized_variables())
            sess.run(tf.global_variables_initializer())
            names = [f.name for f in fetches]
            for _ in range(3):
                sess.run([t.name for t in trains])
            results.append(
                [
                    first,
                    sess.run(names),
                    sess.run(names),
                    [sess.run(v) for v in tf.global_variables()],
                ]
            )
    for a, b in zip(results[0], results[1]):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(np.asarray(y), np.asarray(x))


def _control_flow_graph():
    """Control flow the op table's rows leave out: an Operation returned from a branch, the
    printing and checking ops, and the gradient-only If/While/TensorArray ops."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder_with_default(np.array([0.5, -1.0, 2.0], np.float32), [3], name="x")
        bump = tf.cond(
            x[0] > 0,
            lambda: tf.group(tf.print("pos", output_stream=sys.stdout)),
            lambda: tf.group(tf.print("neg", output_stream=sys.stdout)),
        )
        ok = tf.Assert(tf.reduce_all(x < 10.0), ["x:", x])
        shown = tf.print("x:", x, output_stream=sys.stdout)
        ta = tf.TensorArray(tf.float32, size=3, clear_after_read=False).unstack(x)
        pieces = tf.TensorArray(tf.float32, size=2).split(x, [1, 2])
        out = tf.TensorArray(tf.float32, size=3).scatter([2, 0, 1], x * x)
        _, y, done = tf.while_loop(
            lambda i, y, t: i < 3,
            lambda i, y, t: (i + 1, y * x, t.write(i, y)),
            [tf.constant(0), x, tf.TensorArray(tf.float32, size=3)],
        )
        z = tf.cond(x[1] > 0, lambda: x * 2.0, lambda: tf.sin(x))
        loss = (
            tf.reduce_sum(ta.read(0) * ta.read(2) + ta.gather([1, 2]))
            + tf.reduce_sum(pieces.concat())
            + tf.reduce_sum(out.stack())
            + tf.reduce_sum(y)
            + tf.reduce_sum(z)
        )
        (dx,) = tf.gradients(loss, [x])
        (dflow,) = tf.gradients(loss, [done.flow], unconnected_gradients="zero")
    return g, [dx, loss], [bump, ok, shown], dflow


def test_control_flow_graph_round_trips_and_runs_the_same(capfd):
    g, fetches, ops, _ = _control_flow_graph()
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    results = []
    for graph in (g, g2):
        with tf.Session(graph=graph) as sess:
            for op in ops:
                sess.run(op.name)
            results.append(sess.run([f.name for f in fetches]))
    assert capfd.readouterr().out == "pos\nx: [0.5 -1 2]\n" * 2
    for x, y in zip(*results):
        np.testing.assert_array_equal(np.asarray(y), np.asarray(x))


def test_assignment_inside_a_cond_branch_round_trips():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(0.0, name="v")
        r = tf.cond(tf.constant(True), lambda: tf.assign_add(v, 1.0), lambda: tf.identity(v))
    g2 = _round_trip(g)
    with tf.Session(graph=g2) as sess:
        sess.run("v/Assign")
        assert sess.run(r.name) == 1.0


def _lstm_training_graph():
    """dynamic_rnn LSTMs with their Adam step: the fused sequence kernel and its gradient, and
    the fused step kernel and its gradient inside a while loop and its gradient loop."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
        # One sequence kernel (BlockLSTM), and a while loop of step kernels (LSTMBlockCell),
        # which dynamic_rnn builds when it has sequence lengths.
        _, state = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.BasicLSTMCell(5), x, dtype=tf.float32, scope="fused"
        )
        _, state2 = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.BasicLSTMCell(5),
            x,
            dtype=tf.float32,
            sequence_length=[4, 2],
            scope="loop",
        )
        loss = tf.reduce_mean(tf.square(state.h) + tf.square(state2.h), name="loss")
        tf.train.AdamOptimizer(0.01).minimize(loss, name="train")
    return g


def test_lstm_training_step_round_trips():
    g = _lstm_training_graph()
    g2 = _round_trip(g)
    xv = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    results = []
    for graph in (g, g2):
        with graph.as_default(), tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run("train", {"x:0": xv})
            results.append(sess.run("loss:0", {"x:0": xv}))
    np.testing.assert_array_equal(results[0], results[1])


def _scatter_and_gradient_only_graph():
    """The in-place variable scatters, and ops only a gradient builds."""
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2) + 1, name="v")
        rows, upd = [2, 0], np.array([[2.0, 3.0], [4.0, 5.0]], np.float32)
        steps = [
            lambda: tf.scatter_update(v, [1], [[7.0, 8.0]]),
            lambda: tf.scatter_add(v, rows, upd),
            lambda: tf.scatter_sub(v, rows, upd),
            lambda: tf.scatter_mul(v, rows, upd),
            lambda: tf.scatter_div(v, rows, upd),
            lambda: tf.scatter_max(v, rows, upd),
            lambda: tf.scatter_min(v, rows, upd),
            lambda: tf.scatter_nd_update(v, [[0, 1]], [9.0]),
            lambda: tf.scatter_nd_add(v, [[3, 0]], [1.5]),
            lambda: tf.scatter_nd_sub(v, [[1]], [[1.0, 1.0]]),
        ]
        counter = tf.Variable(0, name="counter")
        steps.append(lambda: tf.cast(tf.count_up_to(counter, 5), tf.float32) + v)
        out = tf.no_op()
        for step in steps:  # one after the other
            with tf.control_dependencies([out]):
                out = tf.identity(step())
        x = tf.placeholder_with_default(np.ones((1, 4, 4, 1), np.float32), [1, 4, 4, 1], name="img")
        p = tf.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        (dx,) = tf.gradients(tf.reduce_sum(p * p), [x])
    return g, [out, dx]


def test_scatters_and_gradient_only_ops_round_trip():
    g, fetches = _scatter_and_gradient_only_graph()
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    results = []
    for graph in (g, g2):
        with graph.as_default(), tf.Session(graph=graph) as sess:
            sess.run(["v/Assign", "counter/Assign"])
            results.append(sess.run([f.name for f in fetches]))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_file_ops_round_trip(tmp_path):
    g = tf.Graph()
    with g.as_default():
        path = tf.placeholder_with_default(str(tmp_path / "a.txt"), [], name="path")
        write = tf.io.write_file(path, tf.constant(b"hello"))
        with tf.control_dependencies([write]):
            read = tf.io.read_file(path)
        found = tf.io.matching_files(str(tmp_path / "*.txt"))
        prefix = str(tmp_path / "ckpt" / "part")
        save = checkpoint_ops.save_v2(prefix, ["w"], [""], [tf.constant([1.5, 2.5])])
        with tf.control_dependencies([save]):
            merge = checkpoint_ops.merge_v2_checkpoints([prefix], str(tmp_path / "model"))
        with tf.control_dependencies([merge]):
            (restored,) = checkpoint_ops.restore_v2(
                str(tmp_path / "model"), ["w"], [""], [tf.float32]
            )
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    for graph in (g, g2):
        with tf.Session(graph=graph) as sess:
            got, names, w = sess.run([read.name, found.name, restored.name])
        assert got == b"hello" and [n.decode() for n in names] == [str(tmp_path / "a.txt")]
        np.testing.assert_array_equal(w, np.array([1.5, 2.5], np.float32))


def test_every_registered_op_type_is_round_tripped_by_this_file():
    g, _, _ = _every_optimizer_state_and_random_op_graph()
    covered = {c.op for c in CASES} | {o.type for o in g.get_operations()}
    covered |= {o.type for o in _control_flow_graph()[0].get_operations()}
    covered |= {o.type for o in _lstm_training_graph().get_operations()}
    covered |= {o.type for o in _scatter_and_gradient_only_graph()[0].get_operations()}
    # Built only by a gradient: the 'wide' MatrixDiagPart row's gradient round-trips it.
    covered |= {"MatrixSetDiagLike"}
    # tests/data/test_dataset.py round-trips one-shot and initializable iterators.
    covered |= {"MakeIterator", "IteratorGetNext"}
    # tests/data/test_dataset_more.py round-trips string handles (and ReduceDataset).
    covered |= {"IteratorToStringHandle"}
    covered |= {"ReadFile", "WriteFile", "MatchingFiles"}  # test_file_ops_round_trip
    covered |= {"SaveV2", "MergeV2Checkpoints", "RestoreV2"}  # test_file_ops_round_trip
    # tests/train/test_queues.py round-trips the reader ops (loaded with tf.TextLineReader).
    covered |= {
        "ReaderReadV2",
        "ReaderReadUpToV2",
        "ReaderNumRecordsProducedV2",
        "ReaderNumWorkUnitsCompletedV2",
        "ReaderResetV2",
    }
    # tests/train/test_queues.py round-trips the queue ops and CountUpTo.
    covered |= {
        "CountUpTo",
        "QueueEnqueueV2",
        "QueueEnqueueManyV2",
        "QueueDequeueV2",
        "QueueDequeueManyV2",
        "QueueDequeueUpToV2",
        "QueueCloseV2",
        "QueueSizeV2",
        "QueueIsClosedV2",
    }
    product = {k for k in registered_ops() if not k.startswith("TestOnly")}
    # A Python function cannot be stored; writing its graph is a clear TypeError
    # (tests/test_script_ops.py), as TF cannot restore a py_func in another process either.
    product -= {"PyFunc"}
    assert not product - covered, (
        f"op types that no test round-trips: {sorted(product - covered)}. Give them an op-table "
        "row or use them in _every_optimizer_state_and_random_op_graph."
    )


# -- the book's networks, trained ----------------------------------------------------------
def _train_and_compare(g, g2, net_x, net_t, train_name, loss_name, feeds, steps=3):
    losses = []
    for graph in (g, g2):
        with graph.as_default(), tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            x = graph.get_tensor_by_name(net_x)
            t = graph.get_tensor_by_name(net_t)
            loss = graph.get_tensor_by_name(loss_name)
            train = graph.get_operation_by_name(train_name)
            run = []
            for _ in range(steps):
                run.append(sess.run([loss, train], {x: feeds[0], t: feeds[1]})[0])
            run.append({v.op.name: sess.run(v) for v in tf.global_variables()})
            losses.append(run)
    for a, b in zip(losses[0][:-1], losses[1][:-1]):
        assert a == b  # bit-identical
    assert losses[0][-1].keys() == losses[1][-1].keys()
    for k in losses[0][-1]:
        np.testing.assert_array_equal(losses[1][-1][k], losses[0][-1][k], err_msg=k)


def test_two_layer_net_with_adam_and_global_step_round_trips():
    g = tf.Graph()
    with g.as_default():
        net = TwoLayerNet(input_size=20, hidden_size=8, output_size=3, seed=0)
        step = tf.train.get_or_create_global_step()
        train = tf.train.AdamOptimizer(0.01).minimize(net.loss, global_step=step)
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    rng = np.random.default_rng(0)
    feeds = (rng.random((6, 20), dtype=np.float32), np.arange(6, dtype=np.int32) % 3)
    _train_and_compare(g, g2, net.x.name, net.t.name, train.name, net.loss.name, feeds)


def test_simple_conv_net_with_momentum_round_trips():
    g = tf.Graph()
    with g.as_default():
        net = SimpleConvNet(
            input_dim=(1, 10, 10), filter_num=4, filter_size=3, hidden_size=8, output_size=3, seed=0
        )
        train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(net.loss)
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    rng = np.random.default_rng(1)
    feeds = (rng.random((2, 10, 10, 1), dtype=np.float32), np.array([0, 2], np.int32))
    _train_and_compare(g, g2, net.x.name, net.t.name, train.name, net.loss.name, feeds)


def test_layers_with_batch_norm_dropout_and_get_variable_round_trip():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(11)
        x = tf.placeholder(tf.float32, [None, 5], name="x")
        t = tf.placeholder(tf.int32, [None], name="t")
        with tf.variable_scope("mlp"):
            h = tf.layers.dense(x, 6, activation=tf.nn.relu)
            h = tf.layers.batch_normalization(h, training=True)
            h = tf.nn.dropout(h, keep_prob=0.7, seed=3)
            logits = tf.layers.dense(h, 3)
        loss = tf.losses.sparse_softmax_cross_entropy(t, logits)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.RMSPropOptimizer(0.01).minimize(loss)
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    assert [o.name for o in g2.get_collection(tf.GraphKeys.UPDATE_OPS)] == [
        o.name for o in g.get_collection(tf.GraphKeys.UPDATE_OPS)
    ]
    rng = np.random.default_rng(2)
    feeds = (rng.random((4, 5), dtype=np.float32), np.array([0, 1, 2, 1], np.int32))
    _train_and_compare(g, g2, x.name, t.name, train.name, loss.name, feeds)


# -- random ops ----------------------------------------------------------------------------
def test_random_ops_keep_their_seeds_and_streams():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1234)
        ops = [
            tf.random_normal([3, 4]),
            tf.random_normal([3, 4], seed=5),
            tf.truncated_normal([5], stddev=2.0, seed=6),
            tf.random_uniform([2, 2], 1, 9),
            tf.random_uniform([4], 0, 10, dtype=tf.int32, seed=2),
            tf.random_shuffle(tf.range(10), seed=9),
        ]
    g2 = _round_trip(g)
    assert g2.seed == 1234
    kinds = (
        "RandomStandardNormal",
        "TruncatedNormal",
        "RandomUniform",
        "RandomUniformInt",
        "RandomShuffle",
    )
    random_ops = [o for o in g.get_operations() if o.type in kinds]
    assert len(random_ops) == len(ops)
    for o in random_ops:
        o2 = g2.get_operation_by_name(o.name)
        assert (
            (o2.get_attr("seed"), o2.get_attr("seed2"))
            == (o.get_attr("seed"), o.get_attr("seed2"))
            != (None, None)
        )
    with tf.Session(graph=g) as s:
        want = [s.run(ops), s.run(ops)]  # the stream continues: two different draws
    with tf.Session(graph=g2) as s:
        names = [o.name for o in ops]
        got = [s.run(names), s.run(names)]
    for w, v in zip(sum(want, []), sum(got, [])):
        np.testing.assert_array_equal(v, w)
    assert not np.array_equal(want[0][0], want[1][0])
    # A new random op after import gets seeds from the restored graph seed, as in the original.
    with g.as_default():
        late = tf.random_uniform([2], name="late")
    with g2.as_default():
        late2 = tf.random_uniform([2], name="late")
    seeds = [
        [
            (o.get_attr("seed"), o.get_attr("seed2"))
            for o in t.graph.get_operations()
            if o.type == "RandomUniform" and o.name.startswith("late/")
        ][0]
        for t in (late, late2)
    ]
    assert seeds[0] == seeds[1] and seeds[0][0] == 1234


# -- names, shapes, dtypes, collections ----------------------------------------------------
def test_names_shapes_dtypes_and_refined_shapes_are_preserved():
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float64, None, name="free")
        a.set_shape([None, 3])  # refined after creation: must survive re-inference
        b = tf.placeholder(tf.int64, [2, None], name="scope/ints")
        with tf.name_scope("block"):
            c = tf.reduce_sum(a, axis=(0,), keepdims=True, name="sum")
            d = tf.cast(b, tf.float32)
            tf.constant(["x", "yz"], name="strings")
            tf.constant([np.nan, np.inf, -np.inf, 1e-45], tf.float32, name="specials")
            with tf.control_dependencies([c.op]):
                e = tf.identity(d, name="after")
    g2 = _round_trip(g)
    _assert_same_structure(g, g2)
    assert g2.get_tensor_by_name("free:0").shape.as_list() == [None, 3]
    assert g2.get_operation_by_name("block/after").control_inputs[0].name == "block/sum"
    with tf.Session(graph=g2) as sess:
        strs, specials = sess.run(["block/strings:0", "block/specials:0"])
        out = sess.run(e.name, {"scope/ints:0": [[1], [2]], "free:0": np.ones((1, 3))})
    assert list(strs) == [b"x", b"yz"]
    np.testing.assert_array_equal(specials, np.array([np.nan, np.inf, -np.inf, 1e-45], np.float32))
    np.testing.assert_array_equal(out, [[1.0], [2.0]])
    # New ops get fresh names and scopes, not the imported ones.
    with g2.as_default():
        assert tf.constant(1.0, name="block/after").op.name == "block/after_1"
        with tf.name_scope("block") as scope:
            assert scope == "block_1/"


def test_collections_and_variables_come_back_as_variables():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.ones((2, 2), np.float32), name="w")
        tf.Variable(3, trainable=False, name="frozen")
        loss = tf.reduce_sum(w * w, name="loss")
        tf.add_to_collection(tf.GraphKeys.LOSSES, loss)
        tf.add_to_collection("notes", "hello")
        tf.add_to_collection("notes", 3.5)
        tf.add_to_collection("notes", (1, [2, tf.float32]))
        tf.add_to_collection("extra_vars", w)
        init = tf.global_variables_initializer()
        tf.add_to_collection(tf.GraphKeys.INIT_OP, init)
    g2 = _round_trip(g)
    for key in g.get_all_collection_keys():
        names = [getattr(x, "name", x) for x in g.get_collection(key)]
        assert [getattr(x, "name", x) for x in g2.get_collection(key)] == names, key
    gv = g2.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
    assert all(isinstance(v, tf.Variable) for v in gv)
    assert [v.name for v in g2.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)] == ["w:0"]
    w2 = gv[0]
    assert g2.get_collection("extra_vars")[0] is w2 and not gv[1].trainable
    assert g2.get_collection("notes") == ["hello", 3.5, (1, [2, tf.float32])]
    # The rebuilt Variables work like the originals: initializer, read, assign, ops, training.
    with g2.as_default():
        before = g2.version
        _ = [w2.initializer, w2.value(), w2.op, w2.initial_value]
        assert g2.version == before  # wrapping added no ops
        train = tf.train.GradientDescentOptimizer(0.25).minimize(g2.get_tensor_by_name("loss:0"))
        with tf.Session(graph=g2) as sess:
            sess.run(g2.get_collection(tf.GraphKeys.INIT_OP)[0])
            np.testing.assert_array_equal(w2.eval(sess), np.ones((2, 2)))
            sess.run(train)
            np.testing.assert_array_equal(sess.run(w2), np.full((2, 2), 0.5))
            sess.run(w2.assign(w2 + 1))
            assert sess.run(w2 * 2)[0, 0] == 3.0
            assert sess.run(gv[1]) == 3


def test_import_into_an_existing_graph_needs_a_scope():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(2.0, name="v")
        y = tf.multiply(v, 3.0, name="y")
    doc = graph_to_dict(g)
    with pytest.raises(ValueError, match="already has an op of that name.*import_scope"):
        graph_from_dict(*doc, graph=g)
    graph_from_dict(*doc, graph=g, import_scope="copy")
    assert g.get_operation_by_name("copy/y").inputs[0].name == "copy/v/read:0"
    copy_v = [x for x in tf.Graph.get_collection(g, "variables") if x.op.name == "copy/v"]
    assert len(copy_v) == 1
    with tf.Session(graph=g) as sess:
        sess.run([v.initializer, copy_v[0].initializer])
        assert sess.run("copy/y:0") == sess.run(y) == 6.0


# -- files and errors ------------------------------------------------------------------------
def test_write_graph_files_are_json_and_npz_without_pickle(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        tf.matmul(x, tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2)), name="y")
    # flowzero's own JSON graph files (tf.train.write_graph writes TensorFlow's GraphDef).
    path = write_json_graph(g, str(tmp_path / "sub" / "dir"), "graph.json")
    assert path == str(tmp_path / "sub" / "dir" / "graph.json")
    doc = json.loads(open(path).read())
    assert doc["format"] == "flowzero.graph" and doc["version"] == 1
    assert doc["arrays_file"] == "graph.json.npz"
    node = next(n for n in doc["nodes"] if n["op"] == "Const")
    assert node["attrs"]["value"]["$type"] == "ndarray"
    with np.load(path + ".npz", allow_pickle=False) as z:
        np.testing.assert_array_equal(z[node["attrs"]["value"]["key"]], np.arange(6).reshape(3, 2))
    compact = write_json_graph(g, str(tmp_path), "c.json", as_text=False)
    assert "\n" not in open(compact).read().strip()
    g2 = load_graph(path)
    with tf.Session(graph=g2) as sess:
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": np.ones((1, 3))}), [[6.0, 9.0]])
    assert read_graph(compact).doc["nodes"] == read_graph(path).doc["nodes"]
    # A damaged array file is data loss, not a wrong graph.
    raw = bytearray(open(path + ".npz", "rb").read())
    raw[-30] ^= 1
    open(path + ".npz", "wb").write(bytes(raw))
    with pytest.raises(errors.DataLossError, match="SHA-256"):
        read_graph(path)


if "TestOnlySerializationAttrs" not in registered_ops():

    @register_op("TestOnlySerializationAttrs")
    class _AnyAttrs(OpDef):
        """y = 0 (a node that only carries attrs)."""

        def infer(self):
            return spec([], tf.float32)

        def compute(self):
            return np.float32(0)


def _attr_node(**attrs):
    g = tf.Graph()
    op = g.create_op(registered_ops()["TestOnlySerializationAttrs"], [], attrs, "carrier")
    return g, op


def test_attr_values_of_every_supported_type_round_trip():
    attrs = {
        "none": None,
        "flag": True,
        "int": -(2**70),
        "float": 0.1,
        "nan": float("nan"),
        "inf": float("-inf"),
        "complex": 1 + 2j,
        "str": "ünïcode",
        "bytes": b"\x00\xff",
        "dtype": tf.int64,
        "shape": tf.TensorShape([None, 3]),
        "unknown": tf.TensorShape(None),
        "dim": tf.Dimension(4),
        "np_dtype": np.dtype("float16"),
        "np_scalars": [np.float32(1.5), np.int8(-3), np.bool_(True), np.float64(np.inf)],
        "array": np.arange(6, dtype=np.uint16).reshape(2, 3),
        "empty": np.zeros((0, 2)),
        "objects": np.array([b"a", b"bc"], dtype=object),
        "nested": {"k": (1, [2.5, {"deep": tf.float32}]), 3: "int key", (1, 2): None},
    }
    g, op = _attr_node(**attrs)
    g2 = _round_trip(g)
    got = g2.get_operation_by_name("carrier").opdef.attrs
    assert got.keys() == attrs.keys()
    assert np.isnan(got.pop("nan")) and got.pop("inf") == float("-inf")
    for k in ("array", "empty", "objects"):
        a, b = attrs[k], got.pop(k)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    for k, v in got.items():
        want = attrs[k]
        if k == "np_scalars":
            assert [type(x) for x in v] == [type(x) for x in want]
        if k == "dim":
            assert isinstance(v, tf.Dimension) and v.value == 4
            continue
        assert v == want and type(v) is type(want), k


def test_unknown_attr_type_is_a_type_error_naming_op_and_attr():
    g, _ = _attr_node(callback=lambda: 1)
    with pytest.raises(
        TypeError,
        match="TestOnlySerializationAttrs 'carrier': attr "
        "'callback' holds a .*function.*cannot store",
    ):
        graph_to_dict(g)
    g, _ = _attr_node(deep=[1, {"x": object()}])
    with pytest.raises(TypeError, match="attr 'deep' holds a builtins.object"):
        graph_to_dict(g)


def test_unserializable_collection_items_are_skipped_with_a_warning():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0, name="c")
        tf.add_to_collection("mixed", object())
        tf.add_to_collection("mixed", "kept")
    with pytest.warns(RuntimeWarning, match="collection 'mixed'"):
        doc = graph_to_dict(g)
    assert graph_from_dict(*doc).get_collection("mixed") == ["kept"]


def test_bad_documents_fail_clearly():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        tf.reduce_sum(x, axis=1, name="s")
    doc, arrays = graph_to_dict(g)

    bad = json.loads(json.dumps(doc))
    bad["nodes"][1]["outputs"][0]["shape"] = [5]
    with pytest.raises(ValueError, match=r"Sum 's'.*re-inferred with shape \(2,\).*had \(5,\)"):
        graph_from_dict(bad, arrays)
    bad = json.loads(json.dumps(doc))
    bad["nodes"][1]["outputs"][0]["dtype"] = "int32"
    with pytest.raises(ValueError, match="dtype float32; the saved graph had int32"):
        graph_from_dict(bad, arrays)
    bad = json.loads(json.dumps(doc))
    bad["nodes"][1]["op"] = "NoSuchOp"
    with pytest.raises(errors.NotFoundError, match="NoSuchOp"):
        graph_from_dict(bad, arrays)
    bad = json.loads(json.dumps(doc))
    bad["nodes"].reverse()
    with pytest.raises(errors.DataLossError, match="no earlier node produces"):
        graph_from_dict(bad, arrays)
    bad = json.loads(json.dumps(doc))
    bad["version"] = 99
    with pytest.raises(errors.UnimplementedError, match="version 99"):
        graph_from_dict(bad, arrays)
    with pytest.raises(errors.DataLossError, match="not a flowzero.graph"):
        graph_from_dict({"nodes": []}, {})
    bad = json.loads(json.dumps(doc))
    del bad["nodes"][0]["attrs"]
    with pytest.raises(errors.DataLossError, match="'attrs'"):
        graph_from_dict(bad, arrays)
    bad = json.loads(json.dumps(doc))
    bad["nodes"][1]["attrs"]["axis"] = {"$type": "mystery"}
    with pytest.raises(errors.DataLossError, match="mystery"):
        graph_from_dict(bad, arrays)
    gc = tf.Graph()
    with gc.as_default():
        tf.constant(np.ones(3, np.float32), name="k")
    cdoc, carrays = graph_to_dict(gc)
    with pytest.raises(errors.DataLossError, match="missing"):
        graph_from_dict(cdoc, {})


def test_meta_graph_round_trip_in_memory_and_with_import_scope(tmp_path):
    g = tf.Graph()
    with g.as_default():
        net = TwoLayerNet(input_size=4, hidden_size=3, output_size=2, seed=0)
        saver = tf.train.Saver(
            {
                "renamed_W1": net.params["W1"],
                "b1": net.params["b1"],
                "W2": net.params["W2"],
                "b2": net.params["b2"],
            },
            max_to_keep=7,
        )
        meta = saver.export_meta_graph(str(tmp_path / "m.meta"), as_text=True)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "ckpt"), write_meta_graph=False)
            want = sess.run(net.logits, {net.x: np.ones((1, 4), np.float32)})
    # TensorFlow's MetaGraphDef: the keys are the saver subgraph's RestoreV2 tensor names.
    names = {n.name: n for n in meta.graph_def.node}["save/RestoreV2/tensor_names"]
    assert b"renamed_W1" in names.attr["value"].tensor.string_val
    assert meta.saver_def.max_to_keep == 7
    assert "MatMul" in {n.op for n in meta.graph_def.node}
    for source in (str(tmp_path / "m.meta"), meta):
        with tf.Graph().as_default() as g2:
            restored = tf.train.import_meta_graph(source, import_scope="imported")
            assert restored.as_saver_def()["max_to_keep"] == 7
            with tf.Session(graph=g2) as sess:
                restored.restore(sess, path)
                got = sess.run(
                    "imported/" + net.logits.name,
                    {"imported/two_layer_net/x:0": np.ones((1, 4), np.float32)},
                )
            np.testing.assert_array_equal(got, want)
    with tf.Graph().as_default() as no_vars:
        tf.constant(1.0)
    with tf.Graph().as_default():
        assert tf.train.import_meta_graph(tf.train.export_meta_graph(graph=no_vars)) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["nodes"][0]["attrs"].update(dtype={"$type": "dtype"}),
        lambda d: d["nodes"][0]["attrs"].update(dtype={"$type": "dtype", "name": "float99"}),
        lambda d: d["nodes"][0]["outputs"][0].pop("dtype"),
        lambda d: [c[0].pop("snapshot") for c in d["collections"].values()],
        lambda d: d["collections"]["variables"][0].update(name="nowhere"),
        lambda d: d["collections"].update(x=[{"kind": "alien"}]),
        lambda d: d.update(collections=[]),
        lambda d: d["nodes"].__setitem__(0, "not a node"),
    ],
    ids=[
        "tag-field",
        "dtype-name",
        "outputs",
        "variable-field",
        "dangling",
        "kind",
        "collections",
        "node",
    ],
)
def test_malformed_documents_are_data_loss(damage):
    g = tf.Graph()
    with g.as_default():
        tf.Variable(np.zeros(2, np.float32), name="v")
    doc, arrays = graph_to_dict(g)
    doc = json.loads(json.dumps(doc))
    damage(doc)
    with pytest.raises(errors.DataLossError):
        graph_from_dict(doc, arrays)
