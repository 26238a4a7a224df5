"""Writes the TensorFlow-made fixtures in tests/fixtures/tf/ (see the README written there).

Run with a Python that has real TensorFlow (tensorflow-cpu 2.x with tf-keras), in TF1 graph
mode through tf.compat.v1:

    TF_USE_LEGACY_KERAS=1 /path/to/tfvenv/bin/python scripts/make_tf_fixtures.py

Everything is seeded, so a rerun gives the same values (the protobuf files may differ in
byte order of maps, not in content). The fixtures are small on purpose (well under 1 MB) so
that they can be committed and the tests run without TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf_root  # noqa: E402

tf = tf_root.compat.v1
tf.disable_v2_behavior()

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tf"


def _savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez(path, **arrays)


# -- the models ---------------------------------------------------------------------------------
def build_convnet() -> tuple[dict[str, Any], dict[str, Any], np.ndarray]:
    """8x8x1 images: conv 3x3x4 + bias + relu, 2x2 max pool, dense 10, softmax."""
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
    init = tf.random_normal_initializer(stddev=0.5, seed=1)
    with tf.variable_scope("conv1"):
        w = tf.get_variable("weights", [3, 3, 1, 4], initializer=init)
        b = tf.get_variable("biases", [4], initializer=tf.random_normal_initializer(seed=2))
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME"), b))
    p = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="pool1")
    flat = tf.reshape(p, [-1, 4 * 4 * 4], name="flatten")
    with tf.variable_scope("fc"):
        w2 = tf.get_variable("weights", [64, 10], initializer=init)
        b2 = tf.get_variable("biases", [10], initializer=tf.random_normal_initializer(seed=3))
        logits = tf.add(tf.matmul(flat, w2), b2, name="logits")
    probs = tf.nn.softmax(logits, name="probs")
    feed = np.random.RandomState(0).randn(3, 8, 8, 1).astype(np.float32)
    return {"x": x}, {"probs": probs, "logits": logits}, feed


def build_lstm() -> tuple[dict[str, Any], dict[str, Any], np.ndarray]:
    """Sequences [batch, 5, 3]: an LSTMCell(6) through dynamic_rnn, then a dense layer."""
    x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
    cell = tf.nn.rnn_cell.LSTMCell(6, initializer=tf.glorot_uniform_initializer(seed=4))
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, scope="rnn")
    last = outputs[:, -1, :]
    with tf.variable_scope("out"):
        w = tf.get_variable("weights", [6, 2], initializer=tf.random_normal_initializer(seed=5))
        b = tf.get_variable("biases", [2], initializer=tf.random_normal_initializer(seed=6))
    y = tf.add(tf.matmul(last, w), b, name="y")
    feed = np.random.RandomState(1).randn(2, 5, 3).astype(np.float32)
    return {"x": x}, {"y": y, "final_c": tf.identity(state.c, name="final_c")}, feed


def build_batchnorm() -> tuple[dict[str, Any], dict[str, Any], np.ndarray]:
    """Dense 5 -> 4, batch normalization (inference path: moving averages), relu."""
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    h = tf.layers.dense(x, 4, kernel_initializer=tf.random_normal_initializer(seed=7), name="dense")
    bn = tf.layers.batch_normalization(
        h,
        training=False,
        name="bn",
        beta_initializer=tf.random_normal_initializer(seed=8),
        gamma_initializer=tf.random_uniform_initializer(0.5, 1.5, seed=9),
        moving_mean_initializer=tf.random_normal_initializer(seed=10),
        moving_variance_initializer=tf.random_uniform_initializer(0.5, 2.0, seed=11),
    )
    y = tf.nn.relu(bn, name="y")
    feed = np.random.RandomState(2).randn(4, 5).astype(np.float32)
    return {"x": x}, {"y": y}, feed


MODELS: dict[str, Callable[[], tuple[dict[str, Any], dict[str, Any], np.ndarray]]] = {
    "convnet": build_convnet,
    "lstm": build_lstm,
    "batchnorm": build_batchnorm,
}


def write_model(name: str, out: Path) -> None:
    d = out / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        inputs, outputs, feed = MODELS[name]()
        global_step = tf.train.get_or_create_global_step()
        saver = tf.train.Saver(save_relative_paths=True)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.assign(global_step, 7))
            result = sess.run(outputs, {inputs["x"]: feed})
            # The checkpoint with its meta graph and the `checkpoint` state file.
            saver.save(sess, str(d / "ckpt" / "model.ckpt"), global_step=global_step)
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
            # The frozen graph, binary and text.
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), [t.op.name for t in outputs.values()]
            )
            tf.train.write_graph(frozen, str(d), "frozen.pb", as_text=False)
            tf.train.write_graph(frozen, str(d), "frozen.pbtxt", as_text=True)
            tf.saved_model.simple_save(sess, str(d / "saved_model"), inputs, outputs)
    _savez(d / "expected.npz", {"x": feed, **result})
    _savez(d / "variables.npz", values)
    io = {
        "inputs": {k: t.name for k, t in inputs.items()},
        "outputs": {k: t.name for k, t in outputs.items()},
        "checkpoint": "ckpt/model.ckpt-7",
        "tensorflow": tf_root.__version__,
    }
    (d / "io.json").write_text(json.dumps(io, indent=1, sort_keys=True) + "\n")


# -- checkpoints with many dtypes, and a partitioned variable -----------------------------------
def many_values() -> dict[str, np.ndarray]:
    """Enough keys (with long shared prefixes) that the index spans several data blocks."""
    return {
        f"many/layer_{i:03d}/a_rather_long_variable_name_for_the_index": np.array(
            [i, -i], dtype=np.int32
        )
        for i in range(300)
    }


def dtype_values() -> dict[str, np.ndarray]:
    rs = np.random.RandomState(3)
    vals: dict[str, np.ndarray] = {
        "f32": rs.randn(3, 4).astype(np.float32),
        "f64": rs.randn(5).astype(np.float64),
        "f16": rs.randn(2, 3).astype(np.float16),
        "i8": rs.randint(-128, 128, size=(7,)).astype(np.int8),
        "u8": rs.randint(0, 256, size=(2, 2)).astype(np.uint8),
        "i16": rs.randint(-30000, 30000, size=(3,)).astype(np.int16),
        "u16": rs.randint(0, 65536, size=(3,)).astype(np.uint16),
        "i32": rs.randint(-(2**31), 2**31 - 1, size=(2, 3)).astype(np.int32),
        "i64": np.array([-(2**62), 0, 2**62 + 5], dtype=np.int64),
        "c64": (rs.randn(2) + 1j * rs.randn(2)).astype(np.complex64),
        "flag": np.array([True, False, True, True]),
        "scalar": np.array(3.25, dtype=np.float32),
        "scalar_int": np.array(-42, dtype=np.int64),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "big": rs.randn(100, 100).astype(np.float32),
        "scope/nested/name": rs.randn(2).astype(np.float64),
    }
    return vals


def write_dtypes(out: Path) -> None:
    d = out / "dtypes"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    vals = dtype_values()
    g = tf.Graph()
    with g.as_default():
        variables = {k: tf.Variable(v, name=k) for k, v in {**vals, **many_values()}.items()}
        text = tf.Variable([b"hello", b"", b"\x00bytes\xff"], name="text")
        saver = tf.train.Saver({**variables, "text": text}, save_relative_paths=True)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, str(d / "model.ckpt"), write_meta_graph=False)
    # np.savez keeps '/' in keys. The string tensor and many_values() are not stored here:
    # the README lists the strings, and the tests rebuild many_values() themselves.
    _savez(d / "values.npz", vals)


def write_partitioned(out: Path) -> None:
    d = out / "partitioned"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    g = tf.Graph()
    with g.as_default():
        init = tf.random_normal_initializer(seed=12)
        v = tf.get_variable(
            "emb", [10, 3], initializer=init, partitioner=tf.fixed_size_partitioner(3)
        )
        w = tf.get_variable("plain", [2], initializer=tf.constant_initializer([1.0, 2.0]))
        saver = tf.train.Saver(save_relative_paths=True)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, str(d / "model.ckpt"), write_meta_graph=False)
            _savez(
                d / "values.npz", {"emb": sess.run(tf.convert_to_tensor(v)), "plain": sess.run(w)}
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        write_model(name, out)
    write_dtypes(out)
    write_partitioned(out)
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
