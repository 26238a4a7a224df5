"""A TF graph's own saver subgraph, imported and run: `sess.run(saver_def.restore_op_name,
{saver_def.filename_tensor_name: path})` restores, fetching `save_tensor_name` saves (SaveV2 /
RestoreV2 as flowzero ops), exactly as in TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.interop.meta_graph import read_meta_graph
from flowzero.train import tensor_bundle
from tests.interop.helpers import FIXTURES, expected, io_spec

_CASES = [
    ("tf/convnet/ckpt/model.ckpt-7", "Assign"),  # reference variables (VariableV2 + Assign)
    ("tf_interop/cfv2_ckpt/model.ckpt", "AssignVariableOp"),  # resource variables
]


@pytest.mark.parametrize("prefix, assign", _CASES)
def test_restore_all_and_save_tensor_run_as_in_tf(tmp_path, prefix, assign):
    prefix = str(FIXTURES.parent / prefix)
    mg = read_meta_graph(prefix + ".meta")
    sd = mg.saver_def
    assert assign in {n.op for n in mg.graph_def.node if n.name.startswith("save/")}
    want = tensor_bundle.read_bundle(prefix)
    g = tf.Graph()
    with g.as_default():
        tf.train.import_meta_graph(prefix + ".meta")
        assert g.get_operation_by_name("save/RestoreV2").type == "RestoreV2"
        variables = {v.op.name: v for v in tf.global_variables()}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: prefix})
            for name, v in variables.items():
                np.testing.assert_array_equal(sess.run(v), want[name])
            # Save under a new name, change a variable, restore the new checkpoint.
            out = str(tmp_path / "again")
            saved = sess.run(sd.save_tensor_name, {sd.filename_tensor_name: out})
            assert saved in (out, out.encode())
            got = tensor_bundle.read_bundle(out)
            assert sorted(got) == sorted(want)
            for name in want:
                np.testing.assert_array_equal(got[name], want[name])
            v0 = next(iter(variables.values()))
            sess.run(tf.assign(v0, tf.zeros_like(v0)))
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: out})
            np.testing.assert_array_equal(sess.run(v0), want[v0.op.name])


def test_graph_restore_gives_tf_predictions():
    model = "convnet"
    spec, want = io_spec(model), expected(model)
    prefix = str(FIXTURES / model / spec["checkpoint"])
    sd = read_meta_graph(prefix + ".meta").saver_def
    with tf.Graph().as_default():
        tf.train.import_meta_graph(prefix + ".meta")
        with tf.Session() as sess:
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: prefix})
            got = sess.run(spec["outputs"]["probs"], {spec["inputs"]["x"]: want["x"]})
    np.testing.assert_allclose(got, want["probs"], rtol=1e-5, atol=1e-6)


def test_flowzero_exported_meta_graph_restores_through_its_saver_nodes(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="v")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            path = saver.save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default() as g:
        tf.train.import_meta_graph(path + ".meta")
        sd = read_meta_graph(path + ".meta").saver_def
        with tf.Session() as sess:
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: path})
            np.testing.assert_array_equal(
                sess.run(g.get_tensor_by_name("v:0")), np.arange(6).reshape(2, 3)
            )


def test_restore_from_a_missing_checkpoint_is_not_found(tmp_path):
    prefix = str(FIXTURES / "convnet" / "ckpt" / "model.ckpt-7")
    sd = read_meta_graph(prefix + ".meta").saver_def
    with tf.Graph().as_default():
        tf.train.import_meta_graph(prefix + ".meta")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.NotFoundError, match="RestoreV2"):
                sess.run(sd.restore_op_name, {sd.filename_tensor_name: str(tmp_path / "no")})


def test_tensorflow_restores_what_the_imported_save_op_wrote(tmp_path):
    tf_real = pytest.importorskip("tensorflow")
    prefix = str(FIXTURES / "convnet" / "ckpt" / "model.ckpt-7")
    sd = read_meta_graph(prefix + ".meta").saver_def
    out = str(tmp_path / "fz")
    with tf.Graph().as_default():
        tf.train.import_meta_graph(prefix + ".meta")
        with tf.Session() as sess:
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: prefix})
            sess.run(sd.save_tensor_name, {sd.filename_tensor_name: out})
    v1 = tf_real.compat.v1
    with tf_real.Graph().as_default():
        saver = v1.train.import_meta_graph(prefix + ".meta")
        with v1.Session() as sess:
            saver.restore(sess, out)
            names = [v.op.name for v in v1.global_variables()]
            got = sess.run(v1.global_variables())
    want = tensor_bundle.read_bundle(prefix)
    for name, value in zip(names, got):
        np.testing.assert_array_equal(value, want[name])


_SHARDED = FIXTURES.parent / "tf_interop" / "sharded_ckpt" / "model.ckpt"
_SHARDED_VALUES = {
    "a": np.arange(6, dtype=np.float32).reshape(2, 3),
    "b": np.array([1, -2, 3], np.int64),
}


def test_tf_sharded_saver_subgraph_restores_and_saves(tmp_path):
    """Saver(sharded=True) as TF writes it: the shard's name from ShardedFilename under a
    `_temp` directory (StaticRegexFullMatch / Select / StringJoin), SaveV2, then
    MergeV2Checkpoints into the prefix; restore through RestoreV2."""
    mg = read_meta_graph(str(_SHARDED) + ".meta")
    sd = mg.saver_def
    assert sd.sharded
    types = {n.op for n in mg.graph_def.node}
    assert {"ShardedFilename", "MergeV2Checkpoints", "StringJoin"} <= types
    g = tf.Graph()
    with g.as_default():
        tf.train.import_meta_graph(str(_SHARDED) + ".meta")
        assert g.get_operation_by_name("save/ShardedFilename").type == "ShardedFilename"
        a, b = g.get_tensor_by_name("a:0"), g.get_tensor_by_name("b:0")
        with tf.Session() as sess:
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: str(_SHARDED)})
            np.testing.assert_array_equal(sess.run(a), _SHARDED_VALUES["a"])
            np.testing.assert_array_equal(sess.run(b), _SHARDED_VALUES["b"])
            out = str(tmp_path / "run" / "again")
            saved = sess.run(sd.save_tensor_name, {sd.filename_tensor_name: out})
            assert saved in (out, out.encode())
    # the parts were merged into `again` and the temp directory removed
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "again.data-00000-of-00001",
        "again.index",
    ]
    got = tensor_bundle.read_bundle(out)
    for k, v in _SHARDED_VALUES.items():
        np.testing.assert_array_equal(got[k], v)


def test_tensorflow_restores_what_the_imported_sharded_saver_saved(tmp_path):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    sd = read_meta_graph(str(_SHARDED) + ".meta").saver_def
    out = str(tmp_path / "fz")
    g = tf.Graph()
    with g.as_default():
        tf.train.import_meta_graph(str(_SHARDED) + ".meta")
        a = next(v for v in tf.global_variables() if v.op.name == "a")
        with tf.Session() as sess:
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: str(_SHARDED)})
            sess.run(tf.assign(a, a * 10.0))
            sess.run(sd.save_tensor_name, {sd.filename_tensor_name: out})
    tg = real.Graph()
    with tg.as_default(), v1.Session(graph=tg) as sess:
        saver = v1.train.import_meta_graph(str(_SHARDED) + ".meta")
        saver.restore(sess, out)
        np.testing.assert_array_equal(sess.run("a:0"), _SHARDED_VALUES["a"] * 10.0)
        np.testing.assert_array_equal(sess.run("b:0"), _SHARDED_VALUES["b"])
