"""flowzero's files read by real TensorFlow: every op-table row's GraphDef runs in TensorFlow
with flowzero's results. Runs only where TensorFlow is installed (skipped otherwise)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import refuse_marked
from tests.interop.helpers import op_table_graph
from tests.ops.test_op_table import CASES, _ids

real = pytest.importorskip("tensorflow")
v1 = real.compat.v1

# Random numbers are NumPy's in flowzero, Philox in TF: such rows cannot agree.
_RANDOM = {
    "RandomStandardNormal",
    "RandomUniform",
    "TruncatedNormal",
    "RandomShuffle",
    "RandomGamma",
    "Multinomial",
    "RandomUniformInt",
}

# Rows where flowzero's op is more general than TensorFlow's CPU kernel (TF refuses them).
_TF_REFUSES = {
    "Round-int": "TF's Round has no integer kernel",
    "Where-scalar": "TF's Where has no 0-d kernel",
    "ClipByValue-broadcast_bounds": "TF's ClipByValue needs bounds of x's shape or scalars",
    "SoftmaxCrossEntropyWithLogits-v1_3d": "TF's op is rank 2 only",
    # (TF 2.x's op; TF 1.15 has none) flowzero broadcasts the parameters as NumPy does
    "StatelessParameterizedTruncatedNormal-symmetric": "TF's kernel needs the output shape to "
    "end with the parameters' broadcast shape ([20000] vs means [1])",
}
# Rows that TF's CPU kernels refuse by rule (see _tf_refuses_dtype, _NCHW_REFUSALS): an input
# dtype outside the list TF's op allows (e.g. NonMaxSuppressionV3 is half / float only, a
# float64 row fails at import), or an NCHW data_format (TF's CPU kernels are NHWC only).
_NCHW_REFUSALS = ("No OpKernel was registered", "only supports NHWC")


def _tf_refuses_dtype(g, gd) -> str | None:
    """Why TF's op cannot take an input of one of gd's nodes: its dtype (flowzero's tensor's,
    not the attr written) is not in the allowed list of the type attr TF binds it to."""
    from tensorflow.python.framework import op_def_registry

    for node in gd.node:
        op_def = op_def_registry.get(node.op)
        try:
            op = g.get_operation_by_name(node.name)
        except KeyError:  # a node the export adds (an axis Const, ...)
            continue
        if op_def is None or op.type != node.op:
            continue
        allowed = {a.name: set(a.allowed_values.list.type) for a in op_def.attr if a.type == "type"}
        for arg, x in zip(op_def.input_arg, op.inputs):
            if arg.number_attr or arg.type_list_attr:
                break  # input lists: positions no longer line up
            ok = allowed.get(arg.type_attr)
            if ok and real.as_dtype(x.dtype.name).as_datatype_enum not in ok:
                return f"TF's {node.op} has no {x.dtype.name} kernel for {arg.name}"
    return None


def _nchw(gd) -> list[str]:
    fmt = {b"NCHW", b"NCDHW"}
    return [n.op for n in gd.node if "data_format" in n.attr and n.attr["data_format"].s in fmt]


def _tf_has(op_type: str) -> bool:
    from tensorflow.python.framework import op_def_registry

    return op_def_registry.get(op_type) is not None


def _tf_name(t) -> str:
    """The name of flowzero's tensor `t` in its exported graph: a BlockLSTM's last cs and h
    (outputs 7 and 8; TF's op has 7) are slices of its sequences there."""
    if t.op.type == "BlockLSTM" and t.value_index in (7, 8):
        return f"{t.op.name}/last_{'cs' if t.value_index == 7 else 'h'}:0"
    return t.name


def run_in_tf(graph_def, fetches, feeds):
    """Imports `graph_def` (flowzero's message) into a new TF graph and runs it."""
    tg = real.Graph()
    with tg.as_default():
        v1.import_graph_def(v1.GraphDef.FromString(graph_def.SerializeToString()), name="")
        with v1.Session(graph=tg) as sess:
            return sess.run(fetches, feeds)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(reason=_TF_REFUSES[i], strict=True))
        if i in _TF_REFUSES
        else c
        for c, i in zip(CASES, _ids(CASES))
    ],
    ids=_ids(CASES),
)
def test_op_table_rows_run_in_tensorflow_with_flowzeros_results(case):
    g, phs, outs, arrays = op_table_graph(case)
    try:
        gd = g.as_graph_def()
        refuse_marked(gd)  # (as_graph_def marks an op without a TF form)
    except errors.UnimplementedError as e:
        pytest.skip(f"no TensorFlow GraphDef form: {e.message}")
    types = {n.op for n in gd.node}
    if types & _RANDOM:
        pytest.skip("random numbers differ by design")
    missing = sorted(t for t in types if not _tf_has(t))
    if missing:
        pytest.skip(f"flowzero-only op types {missing}")
    # a BlockLSTM's outputs 9 and 10 are factors for flowzero's own gradient kernel
    outs = [o for o in outs if o.op.type != "BlockLSTM" or o.value_index < 9]
    refused = _tf_refuses_dtype(g, gd)
    if refused:
        pytest.skip(refused)
    with tf.Session(graph=g) as s:
        want = s.run(outs, dict(zip(phs, arrays)))
    try:
        got = run_in_tf(gd, [_tf_name(o) for o in outs], {p.name: a for p, a in zip(phs, arrays)})
    except real.errors.InvalidArgumentError as e:
        if _nchw(gd) and any(m in e.message for m in _NCHW_REFUSALS):
            pytest.skip(f"TF's CPU kernels of {sorted(set(_nchw(gd)))} are NHWC only")
        raise
    for o, w, v in zip(outs, want, got):
        w, v = np.asarray(w), np.asarray(v)
        assert v.dtype == w.dtype, o.name
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(
                v, w, rtol=max(case.rtol, 1e-5), atol=max(case.atol, 1e-6), err_msg=o.name
            )
        else:
            np.testing.assert_array_equal(v, w, err_msg=o.name)


def test_tensorflow_restores_flowzeros_meta_graph_and_checkpoint(tmp_path):
    from tests.interop.test_meta_graph import _train_model

    tf.reset_default_graph()
    x, y_, probs, train = _train_model()
    rng = np.random.RandomState(1)
    xs, ys = rng.randn(5, 4).astype(np.float32), rng.randint(0, 3, 5).astype(np.int32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            sess.run(train, {x: xs, y_: ys})
        want = sess.run(probs, {x: xs})
        prefix = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), global_step=4)
    tg = real.Graph()
    with tg.as_default():
        saver = v1.train.import_meta_graph(prefix + ".meta")
        with v1.Session(graph=tg) as sess:
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run("probs:0", {"x:0": xs}), want, rtol=1e-5, atol=1e-6)
            assert sess.run("global_step:0") == 4
            sess.run("train", {"x:0": xs, "labels:0": ys})  # TF trains on from flowzero's state
            assert sess.run("global_step:0") == 5
            assert len(v1.trainable_variables()) == 4


def _flowzero_conv_bn_model(export_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """Trains a small conv net with batch norm in flowzero and exports it (simple_save);
    returns (input, flowzero's probabilities)."""
    rng = np.random.RandomState(3)
    xs = rng.rand(6, 8, 8, 1).astype(np.float32)
    ys = rng.randint(0, 3, 6).astype(np.int32)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        training = tf.placeholder_with_default(False, [], name="training")
        h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu, name="conv")
        h = tf.layers.batch_normalization(h, training=training, name="bn")
        h = tf.layers.max_pooling2d(h, 2, 2)
        logits = tf.layers.dense(tf.layers.flatten(h), 3, name="fc")
        probs = tf.nn.softmax(logits, name="probs")
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.AdamOptimizer(0.01).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(5):
                sess.run(train, {x: xs, labels: ys, training: True})
            want = sess.run(probs, {x: xs})
            tf.saved_model.simple_save(sess, export_dir, inputs={"x": x}, outputs={"probs": probs})
    return xs, want


def test_tensorflow_loads_flowzeros_saved_model(tmp_path):
    export = str(tmp_path / "model" / "1")
    xs, want = _flowzero_conv_bn_model(export)
    tg = real.Graph()
    with v1.Session(graph=tg) as sess:
        meta = v1.saved_model.loader.load(sess, ["serve"], export)
        sig = meta.signature_def["serving_default"]
        assert sig.method_name == "tensorflow/serving/predict"
        got = sess.run(sig.outputs["probs"].name, {sig.inputs["x"].name: xs})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # And TF 2's loader (what TF Serving's SavedModel bundle does for TF1 graphs).
    loaded = real.saved_model.load(export, tags=["serve"])
    fn = loaded.signatures["serving_default"]
    np.testing.assert_allclose(fn(x=real.constant(xs))["probs"].numpy(), want, rtol=1e-5, atol=1e-6)


def test_tensorflow_resource_variables_and_fused_batch_norm_import():
    """A TF graph with resource variables (constant initializers) and a fused batch norm:
    flowzero imports it, runs TF's initializers and predicts as TF does."""
    rng = np.random.RandomState(5)
    xs = rng.rand(3, 6, 6, 2).astype(np.float32)
    tg = real.Graph()
    with tg.as_default():
        x = v1.placeholder(real.float32, [None, 6, 6, 2], name="x")
        with v1.variable_scope("net", use_resource=True):
            k = v1.get_variable("k", initializer=rng.randn(3, 3, 2, 4).astype(np.float32))
            h = real.nn.conv2d(x, k, [1, 1, 1, 1], "SAME")
            gamma = v1.get_variable("gamma", initializer=rng.rand(4).astype(np.float32) + 0.5)
            beta = v1.get_variable("beta", initializer=rng.randn(4).astype(np.float32))
            mean = v1.get_variable("mean", initializer=rng.randn(4).astype(np.float32))
            var = v1.get_variable("var", initializer=rng.rand(4).astype(np.float32) + 0.1)
            y, _, _ = v1.nn.fused_batch_norm(
                h, gamma, beta, mean, var, epsilon=0.001, is_training=False
            )
        out = real.identity(real.nn.relu(y), name="out")
        init = v1.global_variables_initializer()
        with v1.Session(graph=tg) as sess:
            sess.run(init)
            want = sess.run(out, {x: xs})
        gd = tg.as_graph_def()
    types = {n.op for n in gd.node}
    assert {"VarHandleOp", "AssignVariableOp", "ReadVariableOp"} <= types
    assert types & {"FusedBatchNormV3", "FusedBatchNormV2", "FusedBatchNorm"}
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd.SerializeToString(), name="")
        with tf.Session() as sess:
            sess.run(init.name)
            got = sess.run("out:0", {"x:0": xs})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_tensorflow_runs_flowzeros_lstm_saved_model_and_meta_graph(tmp_path):
    """flowzero's dynamic_rnn (a While with TensorArrays) written as TF1 dataflow loops."""
    rng = np.random.RandomState(7)
    xs = rng.rand(4, 5, 3).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
        out, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(6), x, dtype=tf.float32)
        y = tf.layers.dense(out[:, -1], 2, name="fc")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            want = sess.run({"y": y, "c": state.c}, {x: xs})
            export = str(tmp_path / "lstm" / "1")
            tf.saved_model.simple_save(
                sess, export, inputs={"x": x}, outputs={"y": y, "c": state.c}
            )
            prefix = tf.train.Saver().save(sess, str(tmp_path / "ckpt" / "m"))
    with v1.Session(graph=real.Graph()) as sess:
        meta = v1.saved_model.loader.load(sess, ["serve"], export)
        sig = meta.signature_def["serving_default"]
        got = sess.run({k: sig.outputs[k].name for k in ("y", "c")}, {sig.inputs["x"].name: xs})
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6, err_msg=k)
    tg = real.Graph()
    with tg.as_default(), v1.Session(graph=tg) as sess:
        saver = v1.train.import_meta_graph(prefix + ".meta")
        saver.restore(sess, prefix)
        np.testing.assert_allclose(sess.run(y.name, {"x:0": xs}), want["y"], rtol=1e-5, atol=1e-6)
