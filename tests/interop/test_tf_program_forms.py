"""NodeDef forms met in artifacts of other people's TF1 programs: nested TF1 conds
(`tf.nn.static_rnn` with a `sequence_length`), gradients holding ShapeN and ConcatOffset
(a `.meta` resumed for training), reductions over a scalar axis. The fixtures are written by
real TensorFlow (scripts/make_tf_interop_fixtures.py); the small graphs are built here."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import read_graph_def
from flowzero.interop.importer import import_graph_def
from flowzero.proto import graph_pb2
from tests.interop.helpers import FIXTURES

DIR = FIXTURES.parent / "tf_interop"


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _gd(text: str) -> graph_pb2.GraphDef:
    return text_format.Parse(text, graph_pb2.GraphDef())


def _const(name: str, value: list[int], dtype: str = "DT_INT32") -> str:
    body = " ".join(f"int_val: {v}" for v in value)
    return (
        f'node {{ name: "{name}" op: "Const" attr {{ key: "dtype" value {{ type: {dtype} }} }} '
        f'attr {{ key: "value" value {{ tensor {{ dtype: {dtype} tensor_shape {{ dim {{ size: '
        f"{len(value)} }} }} {body} }} }} }} }}"
    )


def test_static_rnn_with_sequence_length_imports_its_nested_conds():
    with np.load(DIR / "static_rnn_expected.npz") as z:
        xs, lens, want = z["x"], z["seqlen"], z["y"]
    gd = read_graph_def(str(DIR / "static_rnn_frozen.pb"))
    (y,) = import_graph_def(gd, return_elements=["y:0"], name="")
    ops = tf.get_default_graph().get_operations()
    assert "Switch" not in {op.type for op in ops}
    assert [op.type for op in ops].count("If") == 8  # per step: a cond and one inside it
    with tf.Session() as sess:
        got = sess.run(y, {"x:0": xs, "seqlen:0": lens})
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert np.all(got[2, 1:] == 0)  # past its length a sequence's outputs are zeros
        # the other branches: every sequence at full length, none
        full = sess.run(y, {"x:0": xs, "seqlen:0": np.full(3, 4, np.int32)})
        np.testing.assert_allclose(full[0], want[0], rtol=1e-5, atol=1e-6)
        assert np.all(sess.run(y, {"x:0": xs, "seqlen:0": np.zeros(3, np.int32)}) == 0)


def test_tf_training_meta_graph_resumes_with_shape_n_and_concat_offset_gradients():
    with np.load(DIR / "train_grads_expected.npz") as z:
        xs, want = z["x"], z["loss"]
    tf.train.import_meta_graph(str(DIR / "train_grads.meta"))
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert "Conv2DBackpropInput" in types and "ConcatV2" in types
    with tf.Session() as sess:
        sess.run("init")
        got = []
        for _ in range(2):
            got.append(sess.run("loss:0", {"x:0": xs}))
            sess.run("train", {"x:0": xs})
        got.append(sess.run("loss:0", {"x:0": xs}))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_shape_n_gives_one_shape_per_input_in_its_out_type():
    gd = _gd(
        _const("a", [1, 2, 3])
        + 'node { name: "b" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }'
        ' node { name: "s" op: "ShapeN" input: "a" input: "b"'
        ' attr { key: "N" value { i: 2 } } attr { key: "T" value { type: DT_INT32 } }'
        ' attr { key: "out_type" value { type: DT_INT64 } } }'
    )
    s0, s1 = import_graph_def(gd, return_elements=["s:0", "s:1"], name="")
    assert s0.dtype == tf.int64 and s1.dtype == tf.int64
    with tf.Session() as sess:
        a, b = sess.run([s0, s1], {"b:0": np.zeros((4, 5, 6), np.float32)})
    np.testing.assert_array_equal(a, [3])
    np.testing.assert_array_equal(b, [4, 5, 6])


@pytest.mark.parametrize("axis", [1, -2])
def test_concat_offset_is_where_each_input_starts(axis):
    gd = _gd(
        'node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }'
        ' attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { }'
        f" int_val: {axis} }} }} }} }}"
        + 'node { name: "s0" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } }'
        ' attr { key: "shape" value { shape { dim { size: 3 } } } } }'
        + _const("s1", [2, 5, 4])
        + _const("s2", [2, 1, 4])
        + ' node { name: "off" op: "ConcatOffset" input: "axis" input: "s0" input: "s1"'
        ' input: "s2" attr { key: "N" value { i: 3 } } }'
    )
    outs = import_graph_def(gd, return_elements=["off:0", "off:1", "off:2"], name="")
    with tf.Session() as sess:
        got = sess.run(outs, {"s0:0": np.array([2, 3, 4], np.int32)})
    np.testing.assert_array_equal(got, [[0, 0, 0], [0, 3, 0], [0, 8, 0]])


def test_reduction_over_a_scalar_axis_of_a_known_shape():
    gd = _gd(
        'node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }'
        ' attr { key: "shape" value { shape { dim { size: -1 } dim { size: 3 } } } } }'
        ' node { name: "axis" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }'
        ' attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 1 } } } }'
        ' node { name: "s" op: "Sum" input: "x" input: "axis"'
        ' attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } }'
        ' attr { key: "keep_dims" value { b: false } } }'
    )
    (s,) = import_graph_def(gd, return_elements=["s:0"], name="")
    assert s.shape.as_list() == [None]
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(s, {"x:0": xs}), [3.0, 12.0])


def test_merge_of_two_conds_is_refused_by_name():
    text = (
        'node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }'
        ' node { name: "q" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }'
        ' node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }'
        ' node { name: "a/pred_id" op: "Identity" input: "p"'
        ' attr { key: "T" value { type: DT_BOOL } } }'
        ' node { name: "b/pred_id" op: "Identity" input: "q"'
        ' attr { key: "T" value { type: DT_BOOL } } }'
        ' node { name: "a/Switch" op: "Switch" input: "x" input: "a/pred_id"'
        ' attr { key: "T" value { type: DT_FLOAT } } }'
        ' node { name: "b/Switch" op: "Switch" input: "x" input: "b/pred_id"'
        ' attr { key: "T" value { type: DT_FLOAT } } }'
        ' node { name: "m" op: "Merge" input: "a/Switch" input: "b/Switch:1"'
        ' attr { key: "T" value { type: DT_FLOAT } } attr { key: "N" value { i: 2 } } }'
    )
    with pytest.raises(errors.UnimplementedError, match="Merge 'm' is not the result of one"):
        import_graph_def(_gd(text))


def test_saved_model_of_a_training_session_loads_whole_with_its_loop_gradients(caplog):
    """simple_save from a dynamic_rnn's training session: the graph holds the while loop's
    gradients (a counter, stacks, a backward loop, TensorArrayGradV3); all of it loads, with no
    warning, and the signature gives TF's outputs."""
    import logging

    with np.load(DIR / "rnn_train_expected.npz") as z:
        xs, want = z["x"], z["y"]
    path = DIR / "rnn_train_saved" / "1"
    with tf.Session(graph=tf.Graph()) as sess:
        with caplog.at_level(logging.WARNING, logger="flowzero"):
            meta = tf.saved_model.loader.load(sess, ["serve"], str(path))
        assert not [r for r in caplog.records if "import" in r.getMessage()]
        sig = meta.signature_def["serving_default"]
        got = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: xs})
        names = {op.name for op in sess.graph.get_operations()}
        assert "GradientDescent" in names
        assert not {"StackV2", "StackPushV2", "StackPopV2"} & {
            op.type for op in sess.graph.get_operations()
        }
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _rnn_grads():
    z = np.load(DIR / "rnn_grads_expected.npz")
    names = [str(n) for n in z["grad_names"]]
    return z, names, {"x:0": z["x"], "lengths:0": z["lengths"]}


def test_tf_written_rnn_training_graph_gives_tfs_gradients_and_losses():
    """import_meta_graph of TF's dynamic_rnn (LSTM, sequence_length) + Adam training graph:
    the gradients TF's backward loop gives, fetched by TF's names (the accumulators
    `..._grad/b_acc_3`, the TensorArray gradient of `x`), and three training steps equal TF's."""
    z, names, feed = _rnn_grads()
    tf.train.import_meta_graph(str(DIR / "rnn_grads_train.meta"))
    assert any(n.endswith("_grad/b_acc_3:0") for n in names)
    with tf.Session() as sess:
        sess.run("init")
        got = sess.run(names, feed)
        for i, (name, g) in enumerate(zip(names, got)):
            np.testing.assert_allclose(g, z[f"grad_{i}"], rtol=1e-5, atol=1e-6, err_msg=name)
        losses = [sess.run(["loss:0", "train"], feed)[0] for _ in range(3)]
        losses.append(sess.run("loss:0", feed))
    np.testing.assert_allclose(losses, z["loss"], rtol=1e-5)


def test_tf_written_loop_with_a_cond_inside_gives_tfs_gradients_and_losses():
    """A TF1 while loop whose body holds a tf.cond (a TensorArray read in one branch) and a
    GRU cell: imported with the cond inside the loop, and its gradients (TF's backward loop,
    which holds the cond's gradient) give TF's values and Adam losses."""
    z = np.load(DIR / "loop_cond_expected.npz")
    names = [str(n) for n in z["grad_names"]]
    tf.train.import_meta_graph(str(DIR / "loop_cond_train.meta"))
    body = next(op for op in tf.get_default_graph().get_operations() if op.type == "While")
    assert "If" in {op.type for op in body.opdef.attrs["body"].ops}
    with tf.Session() as sess:
        sess.run("init")
        got = sess.run(names, {"x:0": z["x"]})
        for i, (name, g) in enumerate(zip(names, got)):
            np.testing.assert_allclose(g, z[f"grad_{i}"], rtol=1e-5, atol=1e-6, err_msg=name)
        losses = [sess.run(["loss:0", "train"], {"x:0": z["x"]})[0] for _ in range(3)]
        losses.append(sess.run("loss:0", {"x:0": z["x"]}))
    np.testing.assert_allclose(losses, z["loss"], rtol=1e-5)


def test_loop_gradient_import_leaves_out_tfs_counter_and_stacks():
    _, names, _ = _rnn_grads()
    tf.train.import_meta_graph(str(DIR / "rnn_grads_train.meta"))
    g = tf.get_default_graph()
    types = {op.type for op in g.get_operations()}
    assert "WhileGrad" in types and not types & {"StackV2", "StackPushV2", "ControlTrigger"}
    # One forward loop (its counter left out) and one WhileGrad per backward loop.
    whiles = [op for op in g.get_operations() if op.type == "While"]
    assert len(whiles) == 1
    assert all(v.dtype.name != "int32" or "f_count" not in v.op.name for v in whiles[0].inputs)


def test_loop_gradient_of_a_gathered_variable_gives_tfs_indexed_slices_steps():
    """A gather of a variable inside a TF1 loop: TF accumulates its gradient as IndexedSlices
    (three accumulators: indices, values, dense_shape), which sparse Adam reads; imported,
    three steps give TF's losses and variable."""
    z = np.load(DIR / "loop_gather_expected.npz")
    tf.train.import_meta_graph(str(DIR / "loop_gather_train.meta"))
    with tf.Session() as sess:
        sess.run("init")
        losses = [sess.run(["loss:0", "train"], {"ids:0": z["ids"]})[0] for _ in range(3)]
        losses.append(sess.run("loss:0", {"ids:0": z["ids"]}))
        np.testing.assert_allclose(sess.run("emb:0"), z["emb"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(losses, z["loss"], rtol=1e-5)


def test_tf_written_nested_loops_give_tfs_gradients_and_losses():
    """A TF1 loop inside a loop (its trip count set by the outer counter): built inside the
    outer loop's body; its gradients (TF's nested backward loops, the inner counter on a
    stack) give TF's values and SGD losses."""
    z = np.load(DIR / "nested_loop_expected.npz")
    names = [str(n) for n in z["grad_names"]]
    tf.train.import_meta_graph(str(DIR / "nested_loop_train.meta"))
    ops = tf.get_default_graph().get_operations()
    outer = [op for op in ops if op.type == "While" and "/body/" not in op.name]
    assert len(outer) == 1
    assert "While" in {op.type for op in outer[0].opdef.attrs["body"].ops}
    with tf.Session() as sess:
        sess.run("init")
        got = sess.run(names, {"x:0": z["x"]})
        for i, (name, g) in enumerate(zip(names, got)):
            np.testing.assert_allclose(g, z[f"grad_{i}"], rtol=1e-5, atol=1e-7, err_msg=name)
        losses = [sess.run(["loss:0", "train"], {"x:0": z["x"]})[0] for _ in range(3)]
        losses.append(sess.run("loss:0", {"x:0": z["x"]}))
    np.testing.assert_allclose(losses, z["loss"], rtol=1e-5)


def test_meta_graph_whose_model_itself_cannot_be_imported_raises_the_first_error():
    gd = _gd(
        'node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }'
        ' node { name: "y" op: "NoSuchOpAnywhere" input: "x" }'
    )
    from flowzero.proto import meta_graph_pb2

    mg = meta_graph_pb2.MetaGraphDef()
    mg.graph_def.CopyFrom(gd)
    with pytest.raises(errors.NotFoundError, match="'NoSuchOpAnywhere', which flowzero"):
        tf.train.import_meta_graph(mg)
    assert tf.get_default_graph().get_operations() == []


@pytest.mark.parametrize("shape", ["", "shape { dim { size: 2 } dim { size: 3 } }"])
def test_reduction_over_range_of_rank_reduces_every_axis(shape):
    """TF's reduce_mean(x) of a tensor of unknown rank: axes = range(0, rank(x), 1)."""
    gd = _gd(
        'node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }'
        + (f' attr {{ key: "shape" value {{ {shape} }} }}' if shape else "")
        + " }"
        ' node { name: "rank" op: "Rank" input: "x" attr { key: "T" value { type: DT_FLOAT } } }'
        ' node { name: "start" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }'
        ' attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 0 } } } }'
        ' node { name: "delta" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }'
        ' attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 1 } } } }'
        ' node { name: "axes" op: "Range" input: "start" input: "rank" input: "delta"'
        ' attr { key: "Tidx" value { type: DT_INT32 } } }'
        ' node { name: "m" op: "Mean" input: "x" input: "axes"'
        ' attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } }'
        ' attr { key: "keep_dims" value { b: false } } }'
    )
    (m,) = import_graph_def(gd, return_elements=["m:0"], name="")
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(m, {"x:0": xs}), 2.5)


def _fused_bn_graph(factor: float) -> graph_pb2.GraphDef:
    ph = 'node {{ name: "{0}" op: "Placeholder"'
    ph += ' attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} }}'
    rank4 = ' attr { key: "shape" value { shape { dim { size: -1 } dim { size: 3 } dim {'
    rank4 += " size: 3 } dim { size: 2 } } } } }"
    return _gd(
        ph.format("x")[:-2]
        + rank4
        + "".join(ph.format(k) for k in ("scale", "offset", "mean", "var"))
        + ' node { name: "bn" op: "FusedBatchNormV3" input: "x" input: "scale" input: "offset"'
        ' input: "mean" input: "var" attr { key: "T" value { type: DT_FLOAT } }'
        ' attr { key: "U" value { type: DT_FLOAT } } attr { key: "epsilon" value { f: 0.001 } }'
        f' attr {{ key: "exponential_avg_factor" value {{ f: {factor} }} }}'
        ' attr { key: "data_format" value { s: "NHWC" } }'
        ' attr { key: "is_training" value { b: true } } }'
    )


@pytest.mark.parametrize("factor", [1.0, 0.25])
def test_fused_batch_norm_in_training_mode_uses_the_batch_statistics(factor):
    rng = np.random.RandomState(0)
    feeds = {
        "x:0": (rng.randn(4, 3, 3, 2) * 2 + 1).astype(np.float32),
        "scale:0": np.array([1.5, 0.5], np.float32),
        "offset:0": np.array([0.1, -0.2], np.float32),
        "mean:0": np.array([0.3, -0.3], np.float32),
        "var:0": np.array([2.0, 0.5], np.float32),
    }
    outs = import_graph_def(
        _fused_bn_graph(factor), return_elements=["bn:0", "bn:1", "bn:2"], name=""
    )
    with tf.Session() as sess:
        y, m, v = sess.run(outs, feeds)
    x = feeds["x:0"].astype(np.float64)
    bm, bv = x.mean((0, 1, 2)), x.var((0, 1, 2))
    want_y = (x - bm) / np.sqrt(bv + 1e-3) * feeds["scale:0"] + feeds["offset:0"]
    unbiased = bv * 36 / 35
    np.testing.assert_allclose(y, want_y, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(m, (1 - factor) * feeds["mean:0"] + factor * bm, rtol=1e-5)
    np.testing.assert_allclose(v, (1 - factor) * feeds["var:0"] + factor * unbiased, rtol=1e-5)


def _unbroadcast_graph():
    """A gradient that un-broadcasts to a shape known only at run time ((?, 1))."""
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, [None, 3], name="a")
        b = tf.placeholder(tf.float32, [None, 1], name="b")
        (db,) = tf.gradients(tf.reduce_sum(a * b * b), [b])
        tf.identity(db, name="db")
    feeds = {"a:0": np.arange(6, dtype=np.float32).reshape(2, 3), "b:0": np.array([[1.0], [2.0]])}
    want = 2 * feeds["b:0"] * feeds["a:0"].sum(1, keepdims=True)
    return g, feeds, want


def test_unbroadcast_to_a_run_time_shape_is_written_as_tfs_gradient_form():
    g, feeds, want = _unbroadcast_graph()
    gd = g.as_graph_def()
    ops = {n.op for n in gd.node}
    assert "BroadcastGradientArgs" in ops and "SumTo" not in ops
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="")
        assert "SumTo" in {op.type for op in g2.get_operations()}  # read back as one op
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run("db:0", feeds), want, rtol=1e-6)


def test_tensorflow_runs_the_unbroadcast_form():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, feeds, want = _unbroadcast_graph()
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            np.testing.assert_allclose(sess.run("db:0", feeds), want, rtol=1e-6)


def _rnn_training_graph():
    """A dynamic_rnn with its training op: the while loop's gradient has no TF form."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3, 2], name="x")
        cell = tf.nn.rnn_cell.BasicRNNCell(2)  # (an LSTM would be one BlockLSTM op)
        outs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        y = tf.identity(outs[:, -1], name="y")
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y * y), name="train")
        init = tf.global_variables_initializer()
    xs = np.random.RandomState(0).randn(2, 3, 2).astype(np.float32)
    return g, init, xs


def _cond_training_graph():
    """A tf.cond in a model trained with a gradient penalty: the second derivative through
    the cond has no TF form (its first derivative has)."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        h = tf.layers.dense(x, 2, name="fc")
        h = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.nn.tanh(h), lambda: h * 2.0)
        y = tf.identity(h, name="y")
        (dx,) = tf.gradients(tf.reduce_sum(y), [x])
        penalty = tf.reduce_sum(dx * dx)
        tf.train.GradientDescentOptimizer(0.1).minimize(
            tf.reduce_sum(y * y) + penalty, name="train"
        )
        init = tf.global_variables_initializer()
    xs = np.random.RandomState(0).randn(2, 2).astype(np.float32)
    return g, init, xs


def test_as_graph_def_of_a_training_graph_marks_what_has_no_tf_form(tmp_path):
    from flowzero.interop.graph_def import NO_TF_FORM_ATTR

    g, init, xs = _cond_training_graph()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run("y:0", {"x:0": xs})
        gd = sess.graph.as_graph_def()
        marked = [n for n in gd.node if NO_TF_FORM_ATTR in n.attr]
        assert sorted(n.op for n in marked) == ["If", "If", "IfSaved"]
        assert all(b"second derivative" in n.attr[NO_TF_FORM_ATTR].s for n in marked)
        frozen = tf.graph_util.convert_variables_to_constants(sess, gd, ["y"])
        with pytest.raises(errors.UnimplementedError, match="If.*has no TensorFlow form"):
            tf.graph_util.convert_variables_to_constants(sess, gd, ["train"])
    assert not any(NO_TF_FORM_ATTR in n.attr for n in frozen.node)
    with pytest.raises(errors.UnimplementedError, match="has no TensorFlow form"):
        tf.train.write_graph(gd, str(tmp_path), "g.pb", as_text=False)
    with pytest.raises(errors.UnimplementedError, match="has no TensorFlow form"):
        import_graph_def(gd, name="again")
    with tf.Graph().as_default():
        (y,) = import_graph_def(frozen, return_elements=["y:0"], name="")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(y, {"x:0": xs}), want, rtol=1e-6)


def test_tensorflow_runs_the_frozen_forward_part_of_a_training_graph():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, init, xs = _rnn_training_graph()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run("y:0", {"x:0": xs})
        frozen = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y"])
    gd = v1.GraphDef.FromString(frozen.SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            np.testing.assert_allclose(sess.run("y:0", {"x:0": xs}), want, rtol=1e-5)


def _gather_grad_graph(axis: int, rank: int):
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.float32, [None, 3, 4][:rank], name="p")
        (dp,) = tf.gradients(tf.reduce_sum(tf.gather(p, [2, 0, 2], axis=axis) ** 2), [p])
        tf.identity(dp, name="dp")
    dims = (4, 3, 4)[:rank]
    ps = np.arange(int(np.prod(dims)), dtype=np.float32).reshape(dims)
    # NumPy: d/dp sum(gather(p)^2) = 2 p times how often each slice along the axis is taken
    counts = np.bincount([2, 0, 2], minlength=ps.shape[axis]).astype(np.float32)
    shape = [1] * rank
    shape[axis] = -1
    return g, ps, 2 * ps * counts.reshape(shape)


@pytest.mark.parametrize("axis, rank", [(0, 2), (1, 2), (-1, 2), (1, 3), (2, 3), (0, 3)])
def test_gather_gradient_is_written_as_unsorted_segment_sum(axis, rank):
    """tf.gather's gradient (flowzero's GatherGrad) has TF's form along any axis: along axis 0
    (an embedding lookup's gradient) an UnsortedSegmentSum, along another one as TF's GatherV2
    gradient writes it, with the axis transposed to the front and back."""
    from flowzero.interop.graph_def import NO_TF_FORM_ATTR

    g, ps, want = _gather_grad_graph(axis, rank)
    with tf.Session(graph=g) as sess:
        np.testing.assert_allclose(sess.run("dp:0", {"p:0": ps}), want)
    gd = g.as_graph_def()
    assert not [n.op for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    assert "UnsortedSegmentSum" in {n.op for n in gd.node}
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run("dp:0", {"p:0": ps}), want)


@pytest.mark.parametrize("axis, rank", [(1, 2), (-1, 3), (1, 3)])
def test_tensorflow_runs_the_gather_gradient_along_another_axis(axis, rank):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, ps, want = _gather_grad_graph(axis, rank)
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            np.testing.assert_allclose(sess.run("dp:0", {"p:0": ps}), want)


def test_simple_save_of_a_cond_training_session_writes_the_serving_part_in_tfs_layout(
    tmp_path, caplog
):
    """A second derivative through a cond has no TF form: simple_save writes the signature's
    part of the graph in TensorFlow's layout (not flowzero's JSON one), with a warning."""
    import logging

    from flowzero.interop.graph_def import NO_TF_FORM_ATTR
    from flowzero.interop.saved_model import find_meta_graph, read_saved_model

    g, init, xs = _cond_training_graph()
    path = str(tmp_path / "1")
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run("y:0", {"x:0": xs})
        x, y = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("y:0")
        with caplog.at_level(logging.WARNING, logger="flowzero"):
            tf.saved_model.simple_save(sess, path, inputs={"x": x}, outputs={"y": y})
    said = [r.getMessage() for r in caplog.records if "wrote only" in r.getMessage()]
    assert len(said) == 1 and "second derivative through tf.cond" in said[0]
    mg = find_meta_graph(read_saved_model(path), ["serve"], path)
    types = {n.op for n in mg.graph_def.node}
    assert "SaveV2" in types and "Switch" in types and "ApplyGradientDescent" not in types
    assert not any(NO_TF_FORM_ATTR in n.attr for n in mg.graph_def.node)
    with tf.Session(graph=tf.Graph()) as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        sig = meta.signature_def["serving_default"]
        got = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: xs})
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_tensorflow_loads_the_serving_part_of_an_rnn_training_session(tmp_path):
    real = pytest.importorskip("tensorflow")
    g, init, xs = _rnn_training_graph()
    path = str(tmp_path / "1")
    with tf.Session(graph=g) as sess:
        sess.run(init)
        want = sess.run("y:0", {"x:0": xs})
        x, y = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("y:0")
        tf.saved_model.simple_save(sess, path, inputs={"x": x}, outputs={"y": y})
    with real.Graph().as_default(), real.compat.v1.Session() as sess:
        real.compat.v1.saved_model.loader.load(sess, ["serve"], path)
        np.testing.assert_allclose(sess.run("y:0", {"x:0": xs}), want, rtol=1e-5)


def test_tf_data_pipeline_of_a_meta_graph_imports_as_flowzeros():
    """TF's dataset nodes (TensorSliceDataset -> ShuffleDatasetV3 -> RepeatDataset ->
    BatchDatasetV2 -> PrefetchDataset), IteratorV2, MakeIterator and IteratorGetNext import as
    flowzero's tf.data pipeline; the model on its batches trains."""
    with np.load(DIR / "dataset_expected.npz") as z:
        xs, tf_x, tf_y = z["x"], z["first_x"], z["first_y"]
    tf.train.import_meta_graph(str(DIR / "dataset.meta"))
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert {"MakeIterator", "IteratorGetNext"} <= types and "TensorSliceDataset" not in types
    with tf.Session() as sess:
        sess.run(["init", "MakeIterator"])
        w = sess.run("w:0")
        np.testing.assert_allclose(tf_x @ w, tf_y, rtol=1e-5)  # the same initial w as TF's
        seen = []
        for _ in range(3):  # 12 elements: all 10 once (shuffled), then the repeat begins
            x, y, label = sess.run(["IteratorGetNext:0", "y:0", "label:0"])
            assert x.shape == (4, 3)
            np.testing.assert_allclose(x, xs[label], rtol=0)
            seen += list(label)
        assert sorted(seen[:10]) == list(range(10))
        before = sess.run("w:0")
        sess.run("train")
        assert not np.allclose(sess.run("w:0"), before)


def test_dataset_node_read_by_an_unknown_op_is_refused_by_name():
    gd = _gd(
        _const("c", [1, 2, 3]) + ' node { name: "ds" op: "TensorSliceDataset" input: "c"'
        ' attr { key: "Toutput_types" value { list { type: DT_INT32 } } }'
        ' attr { key: "output_shapes" value { list { shape { } } } } }'
        ' node { name: "n" op: "DatasetCardinality" input: "ds" }'
    )
    with pytest.raises(errors.UnimplementedError, match="takes the dataset handle 'ds'"):
        import_graph_def(gd, name="")


def test_tf1_batch_norm_training_graph_resumes_through_the_conds_gradients(caplog):
    """Batch norm (fused after a conv, not fused after a dense layer) switched by a
    `training` placeholder, UPDATE_OPS before SGD: TF1's gradients of the conds (a Switch on
    the forward's pred_id, Merges of the branch gradients, reading forward branch values),
    FusedBatchNormGradV3 and RsqrtGrad import; two steps give TF's losses."""
    import logging

    with np.load(DIR / "bn_train_expected.npz") as z:
        xs, want, moving = z["x"], z["loss"], z["moving_mean"]
    with caplog.at_level(logging.WARNING, logger="flowzero"):
        tf.train.import_meta_graph(str(DIR / "bn_train.meta"))
    assert not [r for r in caplog.records if "without its training part" in r.getMessage()]
    g = tf.get_default_graph()
    assert "Switch" not in {op.type for op in g.get_operations()}
    assert g.get_operation_by_name("bn2/cond/Merge").type == "Identity"  # TF's names
    feed = {"x:0": xs, "training:0": True}
    with tf.Session() as sess:
        sess.run("init")
        got = []
        for _ in range(2):
            got.append(sess.run("loss:0", feed))
            sess.run("train", feed)
        got.append(sess.run("loss:0", feed))
        np.testing.assert_allclose(sess.run("bn2/moving_mean:0"), moving, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_cond_gradient_through_dropouts_random_mask_uses_the_forwards_mask(caplog):
    """dense -> dropout switched by a `training` placeholder -> SGD, written by TF: the cond's
    gradient is rebuilt with flowzero's own through the imported cond, so it reads the
    forward's random mask (not a second draw): the kernel's gradient in the same run is
    x^T (dL/dy * mask / keep)."""
    import logging

    with np.load(DIR / "dropout_expected.npz") as z:
        xs, want = z["x"], z["y"]
    with caplog.at_level(logging.WARNING, logger="flowzero"):
        tf.train.import_meta_graph(str(DIR / "dropout_train.meta"))
    assert not [r for r in caplog.records if "import" in r.getMessage()]
    with tf.Session() as sess:
        sess.run("init")
        np.testing.assert_allclose(sess.run("y:0", {"x:0": xs}), want, rtol=1e-6)
        feed = {"x:0": xs, "training:0": True}
        for _ in range(3):
            y, h, dw = sess.run(
                ["y:0", "dense/BiasAdd:0", "gradients/dense/MatMul_grad/MatMul_1:0"], feed
            )
            kept = y != 0
            assert 0 < kept.sum() < kept.size
            np.testing.assert_allclose(y[kept], h[kept] / 0.5, rtol=1e-6)
            np.testing.assert_allclose(dw, xs.T @ (2 * y * kept / 0.5), rtol=1e-5, atol=1e-6)
        before = sess.run("dense/kernel:0")
        y, _ = sess.run(["y:0", "train"], feed)
        step = xs.T @ (2 * y * (y != 0) / 0.5)
        np.testing.assert_allclose(sess.run("dense/kernel:0"), before - 0.1 * step, rtol=1e-5)


_SELU = (1.0507009873554805, 1.6732632423543772)
_GRAD_FORMS = {  # TF gradient kernel -> (first input, second input) -> NumPy value
    "RsqrtGrad": lambda y, dy: dy * -0.5 * y**3,
    "SqrtGrad": lambda y, dy: dy * 0.5 / y,
    "ReciprocalGrad": lambda y, dy: -dy * y * y,
    "Relu6Grad": lambda g, x: g * ((x > 0) & (x < 6)),
    "EluGrad": lambda g, y: np.where(y < 0, g * (y + 1), g),
    "SeluGrad": lambda g, y: np.where(y < 0, g * (y + _SELU[0] * _SELU[1]), g * _SELU[0]),
    "SoftplusGrad": lambda g, x: g / (1 + np.exp(-x)),
    "SoftsignGrad": lambda g, x: g / (1 + np.abs(x)) ** 2,
    "LeakyReluGrad": lambda g, x: np.where(x > 0, g, 0.2 * g),
}


@pytest.mark.parametrize("op", sorted(_GRAD_FORMS))
def test_tf_activation_gradient_kernels_import_as_their_arithmetic(op):
    ph = (
        'node {{ name: "{}" op: "Placeholder" attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} }}'
    )
    gd = _gd(
        ph.format("a") + ph.format("b") + f' node {{ name: "g" op: "{op}" input: "a" input: "b"'
        ' attr { key: "T" value { type: DT_FLOAT } } }'
    )
    (g,) = import_graph_def(gd, return_elements=["g:0"], name="")
    rng = np.random.RandomState(0)
    a = rng.uniform(0.5, 2.0, 6).astype(np.float32)
    b = np.array([-7.0, -1.0, -0.2, 0.3, 2.0, 7.0], np.float32)
    if op in ("RsqrtGrad", "SqrtGrad", "ReciprocalGrad"):
        a, b = b.clip(0.3, None), a  # (y, dy): y > 0
    with tf.Session() as sess:
        got = sess.run(g, {"a:0": a, "b:0": b})
    np.testing.assert_allclose(got, _GRAD_FORMS[op](a, b), rtol=1e-5, atol=1e-6)


def _pipeline_graph(one_shot: bool = False):
    g = tf.Graph()
    with g.as_default():
        xs = np.arange(30, dtype=np.float32).reshape(10, 3)
        ds = tf.data.Dataset.from_tensor_slices((xs, np.arange(10))).repeat().batch(4)
        it = ds.make_one_shot_iterator() if one_shot else ds.make_initializable_iterator()
        x, label = it.get_next()
        tf.identity(x * 2.0, name="out")
        tf.identity(label, name="label")
    return g, xs


def test_tf_data_pipeline_is_written_in_tfs_form_and_reads_back():
    from flowzero.interop.graph_def import NO_TF_FORM_ATTR

    g, xs = _pipeline_graph()
    gd = g.as_graph_def()
    types = [n.op for n in gd.node]
    assert not any(NO_TF_FORM_ATTR in n.attr for n in gd.node)
    for t in ("TensorSliceDataset", "RepeatDataset", "BatchDatasetV2", "IteratorV2"):
        assert types.count(t) == 1, t
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            sess.run("MakeIterator")
            labels = [sess.run("label:0") for _ in range(3)]
            np.testing.assert_allclose(sess.run("out:0"), 2 * xs[[2, 3, 4, 5]])
    np.testing.assert_array_equal(np.concatenate(labels), list(range(10)) + [0, 1])


def test_one_shot_iterator_is_written_with_its_dataset_factory():
    from flowzero.interop.graph_def import NO_TF_FORM_ATTR

    g, xs = _pipeline_graph(one_shot=True)
    gd = g.as_graph_def()
    assert not any(NO_TF_FORM_ATTR in n.attr for n in gd.node)
    (it,) = [n for n in gd.node if n.op == "OneShotIterator"]
    (factory,) = gd.library.function
    assert it.attr["dataset_factory"].func.name == factory.signature.name
    assert "TensorSliceDataset" in {n.op for n in factory.node_def}
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            labels = [sess.run("label:0") for _ in range(3)]
            np.testing.assert_allclose(sess.run("out:0"), 2 * xs[[2, 3, 4, 5]])
    np.testing.assert_array_equal(np.concatenate(labels), list(range(10)) + [0, 1])


def test_tensorflow_runs_flowzeros_tf_data_pipeline():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, xs = _pipeline_graph()
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            sess.run("MakeIterator")
            labels = [sess.run("label:0") for _ in range(3)]
            np.testing.assert_allclose(sess.run("out:0"), 2 * xs[[2, 3, 4, 5]])
    np.testing.assert_array_equal(np.concatenate(labels), list(range(10)) + [0, 1])


@pytest.mark.parametrize(
    "training, fmt", [(True, "NHWC"), (False, "NHWC"), (True, "NCHW"), (False, "NCHW")]
)
def test_fused_batch_norm_grad_imports_as_its_arithmetic(training, fmt):
    """TF's FusedBatchNormGradV3 against NumPy, in both modes: in training the batch
    statistics are recomputed from x; in inference reserve_space_1 / _2 are the population
    mean and variance."""
    ph = (
        'node {{ name: "{}" op: "Placeholder" attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} }}'
    )
    names = ("dy", "x", "scale", "r1", "r2", "r3")
    gd = _gd(
        "".join(ph.format(k) for k in names)
        + ' node { name: "g" op: "FusedBatchNormGradV3"'
        + "".join(f' input: "{k}"' for k in names)
        + ' attr { key: "T" value { type: DT_FLOAT } } attr { key: "U" value { type: DT_FLOAT } }'
        ' attr { key: "epsilon" value { f: 0.001 } }'
        f' attr {{ key: "data_format" value {{ s: "{fmt}" }} }}'
        f' attr {{ key: "is_training" value {{ b: {str(training).lower()} }} }} }}'
    )
    outs = import_graph_def(gd, return_elements=["g:0", "g:1", "g:2"], name="")
    rng = np.random.RandomState(1)
    shape = (4, 3, 3, 2) if fmt == "NHWC" else (4, 2, 3, 3)
    c_axis = 3 if fmt == "NHWC" else 1
    axes = tuple(i for i in range(4) if i != c_axis)
    x = (rng.randn(*shape) * 2 + 1).astype(np.float32)
    dy = rng.randn(*shape).astype(np.float32)
    scale = np.array([1.5, 0.5], np.float32)
    pop_mean, pop_var = np.array([0.3, -0.3], np.float32), np.array([2.0, 0.5], np.float32)
    feeds = {"dy:0": dy, "x:0": x, "scale:0": scale, "r1:0": pop_mean, "r2:0": pop_var}
    feeds["r3:0"] = np.zeros(0, np.float32)
    with tf.Session() as sess:
        dx, dscale, doffset = sess.run(outs, feeds)
    per = [1, 1, 1, 1]
    per[c_axis] = 2

    def chan(v):
        return np.asarray(v, np.float64).reshape(per)

    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    mean = x64.mean(axes) if training else pop_mean
    var = x64.var(axes) if training else pop_var
    inv = 1 / np.sqrt(np.asarray(var, np.float64) + 1e-3)
    x_hat = (x64 - chan(mean)) * chan(inv)
    want_doffset = dy64.sum(axes)
    want_dscale = (dy64 * x_hat).sum(axes)
    if training:
        n = x.size / 2
        want_dx = chan(scale * inv / n) * (
            n * dy64 - chan(want_doffset) - x_hat * chan(want_dscale)
        )
    else:
        want_dx = dy64 * chan(scale * inv)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dscale, want_dscale, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(doffset, want_doffset, rtol=1e-5, atol=1e-5)


def test_nested_loops_import_in_any_node_order():
    """The inner loop's nodes listed before the outer loop's: the same loops, the same
    gradients."""
    from flowzero.interop.meta_graph import read_meta_graph
    from flowzero.proto import graph_pb2

    z = np.load(DIR / "nested_loop_expected.npz")
    mg = read_meta_graph(str(DIR / "nested_loop_train.meta"))
    gd = graph_pb2.GraphDef()
    gd.node.extend(reversed(list(mg.graph_def.node)))
    tf.import_graph_def(gd, name="")
    with tf.Session() as sess:
        sess.run("init")
        got = sess.run(str(z["grad_names"][0]), {"x:0": z["x"]})
    np.testing.assert_allclose(got, z["grad_0"], rtol=1e-5, atol=1e-7)


def test_tf1_loop_whose_variable_grows_imports_with_a_relaxed_shape():
    """TF wrote no shapes and the loop variable grows (TF's relaxed shape invariant): the
    initial value's shape does not hold, so the loop is built with the shape left open."""
    want = np.load(DIR / "growing_loop_expected.npz")["y"]
    gd = tf.GraphDef()
    gd.ParseFromString((DIR / "growing_loop.pb").read_bytes())
    tf.import_graph_def(gd, name="")
    with tf.Session() as sess:
        got = sess.run("y:0", {"x:0": np.array([[1.0, -1.0]], np.float32)})
    assert got.shape == (4, 2)
    np.testing.assert_array_equal(got, want)


def test_loop_gradient_whose_exit_names_do_not_map_leaves_the_training_part_out(caplog):
    """A backward Exit not named `<Enter>_grad/...`: which gradient it gives cannot be told,
    so the training part is left out with a warning naming that Exit; the model imports."""
    import logging

    from flowzero.interop.meta_graph import read_meta_graph

    mg = read_meta_graph(str(DIR / "rnn_grads_train.meta"))
    old = next(n.name for n in mg.graph_def.node if n.name.endswith("_grad/b_acc_3"))
    new = "renamed/accumulated"
    for n in mg.graph_def.node:
        if n.name == old:
            n.name = new
        for i, s in enumerate(n.input):
            if s.lstrip("^").split(":")[0] == old:
                n.input[i] = s.replace(old, new)
    with caplog.at_level(logging.WARNING, logger="flowzero"):
        tf.train.import_meta_graph(mg)
    said = [r.getMessage() for r in caplog.records if "without its training part" in r.getMessage()]
    assert len(said) == 1 and f"Exit '{new}'" in said[0]
    names = {op.name for op in tf.get_default_graph().get_operations()}
    assert "train" not in names and "loss" in names


@pytest.mark.parametrize("taken", [1, 0])
def test_tf_written_loop_inside_a_cond_gives_tfs_gradients_and_losses(taken):
    """A TF1 loop inside a tf.cond's branch: built inside the branch; its gradient (TF's
    backward loop inside the gradient cond's branch, the stacks' handles switched into the
    branches) comes from flowzero's own through the cond: TF's values and SGD losses with
    the loop's branch taken and not."""
    z = np.load(DIR / "loop_in_cond_expected.npz")
    names = [str(n) for n in z["grad_names"]]
    tf.train.import_meta_graph(str(DIR / "loop_in_cond_train.meta"))
    feed = {"x:0": z["x"], "p:0": bool(taken)}
    with tf.Session() as sess:
        sess.run("init")
        for i, (name, g) in enumerate(zip(names, sess.run(names, feed))):
            np.testing.assert_allclose(
                g, z[f"grad_{i}_{taken}"], rtol=1e-5, atol=1e-7, err_msg=name
            )
        losses = [sess.run(["loss:0", "train"], feed)[0] for _ in range(3)]
    np.testing.assert_allclose(losses, z[f"loss_{taken}"], rtol=1e-5)
