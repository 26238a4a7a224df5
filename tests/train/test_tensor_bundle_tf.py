"""Checkpoints between flowzero and real TensorFlow: TF reads and restores what flowzero's
Saver writes (a fresh prefix and an overwritten one), and flowzero restores what TF's Saver
writes. Runs where TensorFlow is installed (e.g. the tfvenv), skipped elsewhere."""

from __future__ import annotations

import os

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")

import flowzero as fz  # noqa: E402
from flowzero.train.tensor_bundle import write_bundle  # noqa: E402

tf1 = tf_real.compat.v1


def _values() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "dense/kernel": rng.standard_normal((4, 3)).astype(np.float32),
        "dense/bias": rng.standard_normal(3).astype(np.float32),
        "f64": rng.standard_normal((2, 2)),
        "f16": rng.standard_normal(5).astype(np.float16),
        "i32": np.array([1, -2, 3], np.int32),
        "global_step": np.array(12, np.int64),
        "flags": np.array([True, False]),
        "u8": np.arange(256, dtype=np.uint8),
        "c64": np.array([1 + 2j, -3j], np.complex64),
        "empty": np.zeros((0, 2), np.float32),
        "big": rng.standard_normal((256, 300)).astype(np.float32),
        "words": np.array([b"abc", b"", "é".encode()], dtype=object),
    }


def test_tensorflow_reads_a_bundle_flowzero_wrote(tmp_path):
    vals = _values()
    prefix = str(tmp_path / "m.ckpt")
    write_bundle(prefix, vals)
    reader = tf_real.train.load_checkpoint(prefix)
    assert reader.get_variable_to_shape_map() == {k: list(v.shape) for k, v in vals.items()}
    for k, v in vals.items():
        got = reader.get_tensor(k)
        assert got.dtype == v.dtype and got.shape == v.shape, k
        np.testing.assert_array_equal(got, v, err_msg=k)
    assert reader.debug_string() == fz.train.NewCheckpointReader(prefix).debug_string()


def _flowzero_model(value: float):
    g = fz.Graph()
    with g.as_default():
        w = fz.Variable(np.full((3, 2), value, np.float32), name="layer/W")
        b = fz.Variable(np.arange(2, dtype=np.float64) + value, name="layer/b")
        step = fz.train.get_or_create_global_step()
        sess = fz.Session(graph=g)
        sess.run(fz.global_variables_initializer())
        sess.run(step.assign(5))
        saver = fz.train.Saver()
    return g, sess, saver, {"layer/W": w, "layer/b": b, "global_step": step}


def _tf_restore(prefix: str) -> dict[str, np.ndarray]:
    g = tf1.Graph()
    with g.as_default():
        w = tf1.get_variable("layer/W", [3, 2], tf1.float32, tf1.zeros_initializer())
        b = tf1.get_variable("layer/b", [2], tf1.float64, tf1.zeros_initializer())
        step = tf1.train.get_or_create_global_step()
        with tf1.Session(graph=g) as sess:
            tf1.train.Saver().restore(sess, prefix)
            return dict(zip(["layer/W", "layer/b", "global_step"], sess.run([w, b, step])))


def test_tensorflow_restores_flowzero_saver_checkpoints_fresh_and_overwritten(tmp_path):
    g, sess, saver, variables = _flowzero_model(1.5)
    p = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=5, write_meta_graph=False)
    want = {k: sess.run(v) for k, v in variables.items()}
    got = _tf_restore(p)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
        assert got[k].dtype == want[k].dtype, k
    assert tf_real.train.latest_checkpoint(str(tmp_path)) == p
    state = tf1.train.get_checkpoint_state(str(tmp_path))  # flowzero's state file, read by TF
    assert state.model_checkpoint_path == p and list(state.all_model_checkpoint_paths) == [p]
    # Saved again under the same prefix: the data moves to the other shard naming; TF reads it.
    with g.as_default():
        sess.run(variables["layer/W"].assign(np.full((3, 2), -7.0, np.float32)))
    saver.save(sess, str(tmp_path / "model.ckpt"), global_step=5, write_meta_graph=False)
    assert os.path.exists(p + ".data-00000-of-00002")
    np.testing.assert_array_equal(_tf_restore(p)["layer/W"], np.full((3, 2), -7.0))


def test_flowzero_restores_a_tensorflow_saver_checkpoint(tmp_path):
    g = tf1.Graph()
    with g.as_default():
        w = tf1.get_variable("layer/W", [3, 2], tf1.float32, tf1.random_normal_initializer(seed=1))
        b = tf1.get_variable("layer/b", [2], tf1.float64, tf1.ones_initializer())
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            want = {"layer/W": sess.run(w), "layer/b": sess.run(b)}
            path = tf1.train.Saver(save_relative_paths=True).save(
                sess, str(tmp_path / "tf.ckpt"), global_step=3
            )
    assert fz.train.latest_checkpoint(str(tmp_path)) == path
    g2, sess2, saver2, variables = _flowzero_model(0.0)
    with g2.as_default():
        fz.train.Saver({k: variables[k] for k in want}).restore(sess2, path)
    for k, v in want.items():
        np.testing.assert_array_equal(sess2.run(variables[k]), v, err_msg=k)


def test_flowzero_reads_tensorflow_partitioned_variables_with_large_extents(tmp_path):
    g = tf1.Graph()
    with g.as_default():
        v = tf1.get_variable(
            "table/emb",
            [20000, 3],
            tf1.float32,
            tf1.random_normal_initializer(seed=2),
            partitioner=tf1.fixed_size_partitioner(3),
        )
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            want = sess.run(tf1.convert_to_tensor(v))
            path = tf1.train.Saver().save(sess, str(tmp_path / "p.ckpt"))
    reader = fz.train.NewCheckpointReader(path)
    assert reader.get_variable_to_shape_map() == {"table/emb": [20000, 3]}
    np.testing.assert_array_equal(reader.get_tensor("table/emb"), want)
