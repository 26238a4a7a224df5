"""MetaGraphDef both ways: TF-written `.meta` + checkpoint import and restore to TF's
predictions; flowzero's `.meta` is TF's protobuf with a saver subgraph and collections and
round-trips; flowzero's older JSON meta graphs still import; bad files fail clearly."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.framework.serialization import variables_by_name
from flowzero.interop.meta_graph import read_meta_graph
from flowzero.proto import meta_graph_pb2, variable_pb2
from flowzero.train import saver as saver_module
from tests.interop.helpers import FIXTURES, IMPORTABLE, expected, io_spec


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


@pytest.mark.parametrize("model", IMPORTABLE)
def test_tf_meta_graph_and_checkpoint_restore_to_tfs_predictions(model):
    spec, want = io_spec(model), expected(model)
    prefix = str(FIXTURES / model / spec["checkpoint"])
    saver = tf.train.import_meta_graph(prefix + ".meta")
    g = tf.get_default_graph()
    assert [v.op.name for v in g.get_collection("global_step")] == ["global_step"]
    assert all(v.trainable for v in tf.trainable_variables())
    assert "global_step" not in {v.op.name for v in tf.trainable_variables()}
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        got = sess.run(list(spec["outputs"].values()), {spec["inputs"]["x"]: want["x"]})
        assert sess.run("global_step:0") == 7
    for key, value in zip(spec["outputs"], got):
        np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-5, err_msg=key)


def _train_model():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    y_ = tf.placeholder(tf.int32, [None], name="labels")
    step = tf.train.get_or_create_global_step()
    h = tf.layers.dense(x, 8, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(h, 3, name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(y_, logits)
    train = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=step, name="train")
    tf.add_to_collection("my_numbers", 3)
    tf.add_to_collection("my_floats", 0.5)
    tf.add_to_collection("my_names", "hello")
    tf.summary.scalar("loss", loss)
    probs = tf.nn.softmax(logits, name="probs")
    return x, y_, probs, train


def test_flowzero_meta_graph_is_tfs_protobuf_and_round_trips(tmp_path):
    x, y_, probs, train = _train_model()
    rng = np.random.RandomState(0)
    xs, ys = rng.randn(6, 4).astype(np.float32), rng.randint(0, 3, 6).astype(np.int32)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train, {x: xs, y_: ys})
        want = sess.run(probs, {x: xs})
        prefix = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=3)
    mg = meta_graph_pb2.MetaGraphDef.FromString(open(prefix + ".meta", "rb").read())
    assert mg.saver_def.restore_op_name == "save/restore_all"
    assert mg.saver_def.filename_tensor_name == "save/Const:0"
    assert mg.saver_def.version == 2 and mg.saver_def.max_to_keep == 5
    ops = {n.name: n.op for n in mg.graph_def.node}
    assert ops["save/SaveV2"] == "SaveV2" and ops["save/RestoreV2"] == "RestoreV2"
    vd = variable_pb2.VariableDef.FromString(mg.collection_def["variables"].bytes_list.value[0])
    assert vd.variable_name.endswith(":0") and vd.initializer_name.endswith("/Assign")
    assert list(mg.collection_def["train_op"].node_list.value) == ["train"]
    assert list(mg.collection_def["my_numbers"].int64_list.value) == [3]
    assert list(mg.collection_def["my_names"].bytes_list.value) == [b"hello"]
    assert read_meta_graph(prefix + ".meta") == mg

    tf.reset_default_graph()
    saver2 = tf.train.import_meta_graph(prefix + ".meta")
    g = tf.get_default_graph()
    assert g.get_collection("train_op")[0].name == "train"
    assert g.get_collection("my_numbers") == [3] and g.get_collection("my_floats") == [0.5]
    assert len(g.get_collection("summaries")) == 1
    assert {v.op.name for v in tf.trainable_variables()} == {
        "hidden/kernel",
        "hidden/bias",
        "logits/kernel",
        "logits/bias",
    }
    with tf.Session() as sess:
        saver2.restore(sess, prefix)
        np.testing.assert_allclose(sess.run("probs:0", {"x:0": xs}), want, rtol=1e-6)
        sess.run("train", {"x:0": xs, "labels:0": ys})  # training goes on in the import
        assert sess.run("global_step:0") == 4


def test_import_scope_prefixes_names_and_keeps_checkpoint_keys(tmp_path):
    x, _, probs, _ = _train_model()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(probs, {x: np.ones((1, 4), np.float32)})
        prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
    tf.reset_default_graph()
    saver = tf.train.import_meta_graph(prefix + ".meta", import_scope="net")
    assert "net/hidden/kernel" in variables_by_name(tf.get_default_graph())
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        np.testing.assert_allclose(sess.run("net/probs:0", {"net/x:0": np.ones((1, 4))}), want)


def test_loops_and_conds_are_tf1_form_other_graphs_keep_json(tmp_path):
    i = tf.constant(0)
    v = tf.Variable(2.0, name="v")
    out = tf.while_loop(lambda k, a: k < 3, lambda k, a: (k + 1, a * v), [i, tf.constant(1.0)])
    tf.identity(tf.cond(v > 1.0, lambda: out[1], lambda: v), name="out")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        flow = tf.train.Saver().save(sess, str(tmp_path / "flow"))
    mg = read_meta_graph(flow + ".meta")  # TF's protobuf: the loop and the cond in TF1's form
    assert {"Enter", "Merge", "Switch", "LoopCond", "NextIteration", "Exit"} <= {
        n.op for n in mg.graph_def.node
    }
    tf.reset_default_graph()
    c = tf.Variable([[2.0, 1.0]], name="c")
    tf.reduce_sum(tf.nn.softmax(c, axis=0) * 8.0, name="out")  # no TF form: softmax on axis 0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        other = tf.train.Saver().save(sess, str(tmp_path / "other"))
    assert open(other + ".meta", "rb").read(1) == b"{"  # flowzero's JSON meta graph
    old = str(tmp_path / "old.meta")
    saver_module.export_meta_graph(old, graph=tf.get_default_graph())
    for path, prefix in ((flow + ".meta", flow), (other + ".meta", other), (old, other)):
        tf.reset_default_graph()
        saver = tf.train.import_meta_graph(path)
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            assert sess.run("out:0") == (8.0 if prefix == flow else 16.0)


def test_export_meta_graph_as_text_and_without_file(tmp_path):
    tf.Variable([1.0], name="w")
    mg = tf.train.export_meta_graph()
    assert isinstance(mg, meta_graph_pb2.MetaGraphDef) and mg.saver_def.restore_op_name
    path = str(tmp_path / "m.meta")
    tf.train.export_meta_graph(path, as_text=True)
    assert open(path).read().startswith("meta_info_def")
    assert read_meta_graph(path) == mg


def test_bad_meta_graph_files(tmp_path):
    data = (FIXTURES / "convnet" / "ckpt" / "model.ckpt-7.meta").read_bytes()
    cut = tmp_path / "cut.meta"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(errors.DataLossError, match="cut.meta is not a valid MetaGraphDef"):
        tf.train.import_meta_graph(str(cut))
    with pytest.raises(errors.NotFoundError, match="does not exist"):
        tf.train.import_meta_graph(str(tmp_path / "absent.meta"))
    mg = meta_graph_pb2.MetaGraphDef.FromString(data)
    mg.collection_def["train_op"].node_list.value.append("no_such_op")
    with pytest.raises(errors.DataLossError, match="collection 'train_op' refers to"):
        tf.train.import_meta_graph(mg)
