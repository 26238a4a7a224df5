"""TensorFlow in TF1 graph mode (tf.compat.v1 with v2 behaviour disabled): the same graphs as
flowzero's models, NHWC, one `sess.run(train_op, feed_dict)` per step, intra/inter-op threads
set in the session config.

NOTE: W7's tf.nn.rnn_cell.BasicLSTMCell exists with TF 2.16+ only where TF_USE_LEGACY_KERAS=1
was set before TensorFlow was imported (and tf_keras is installed): the worker sets it for W7
only (bench.common.WORKLOAD_ENV), so that W1-W6 measure TensorFlow as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as _tf

from bench.common import W7_FORGET_BIAS

tf = _tf.compat.v1
tf.disable_v2_behavior()

NAME = "tf1"
_THREADS = 2


def info() -> dict[str, Any]:
    return {"tensorflow": _tf.__version__, "numpy": np.__version__,
            "onednn": str(_tf.sysconfig.get_build_info().get("is_mkl_build", "default"))}


def setup(threads: int) -> None:
    global _THREADS
    _THREADS = threads


def _session(graph: Any) -> Any:
    if _THREADS <= 0:  # a user's script: TensorFlow's own thread pools
        return tf.Session(graph=graph)
    cfg = tf.ConfigProto(intra_op_parallelism_threads=_THREADS,
                         inter_op_parallelism_threads=_THREADS)
    return tf.Session(graph=graph, config=cfg)


def _head(logits: Any, t: Any) -> tuple[Any, Any]:
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t,
                                                                         logits=logits))
    correct = tf.equal(tf.argmax(logits, 1, output_type=tf.int32), t)
    return loss, tf.reduce_mean(tf.cast(correct, tf.float32))


class TwoLayer:
    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = tf.placeholder(tf.float32, [None, 784])
            self.t = tf.placeholder(tf.int32, [None])
            p = {k: tf.Variable(v, name=k) for k, v in w.items()}
            h = tf.nn.relu(tf.matmul(self.x, p["W1"]) + p["b1"])
            logits = tf.matmul(h, p["W2"]) + p["b2"]
            self._finish(logits, tf.train.GradientDescentOptimizer(lr))

    def _finish(self, logits: Any, opt: Any) -> None:
        self.loss_t, self.acc_t = _head(logits, self.t)
        self.train_op = opt.minimize(self.loss_t)
        init = tf.global_variables_initializer()
        self.sess = _session(self.graph)
        self.sess.run(init)

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return {self.x: x, self.t: t}

    def step(self, batch: Any) -> None:
        self.sess.run(self.train_op, batch)

    def sync(self) -> None:
        pass

    def loss(self, batch: Any) -> float:
        return float(self.sess.run(self.loss_t, batch))

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return float(self.sess.run(self.acc_t, {self.x: x, self.t: t}))


class Conv(TwoLayer):
    def __init__(self, w: dict[str, np.ndarray], optimizer: str, lr: float) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = tf.placeholder(tf.float32, [None, 28, 28, 1])
            self.t = tf.placeholder(tf.int32, [None])
            p = {k: tf.Variable(v, name=k) for k, v in w.items()}
            h = tf.nn.conv2d(self.x, p["W1"], strides=[1, 1, 1, 1], padding="VALID")
            h = tf.nn.relu(tf.nn.bias_add(h, p["b1"]))
            h = tf.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
            h = tf.reshape(h, [-1, 4320])
            h = tf.nn.relu(tf.matmul(h, p["W2"]) + p["b2"])
            logits = tf.matmul(h, p["W3"]) + p["b3"]
            opt = (tf.train.GradientDescentOptimizer(lr) if optimizer == "sgd"
                   else tf.train.AdamOptimizer(lr))
            self._finish(logits, opt)


class LSTM(TwoLayer):
    """W7: BasicLSTMCell (forget_bias 1.0) + dynamic_rnn over the 28 rows, Adam; the cell's
    kernel and bias are loaded after the initializer ran (they are created by the cell)."""

    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        hidden = w["W"].shape[0]
        depth = w["kernel"].shape[0] - hidden
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.x = tf.placeholder(tf.float32, [None, 784])
            self.t = tf.placeholder(tf.int32, [None])
            rows = tf.reshape(self.x, [-1, 784 // depth, depth])
            try:
                cell = tf.nn.rnn_cell.BasicLSTMCell(hidden, forget_bias=W7_FORGET_BIAS)
            except (AttributeError, ImportError) as e:
                raise RuntimeError(
                    "tf1 W7: tf.compat.v1.nn.rnn_cell.BasicLSTMCell is unavailable; set "
                    "TF_USE_LEGACY_KERAS=1 before importing tensorflow and install tf_keras "
                    f"({type(e).__name__}: {e})") from e
            _, state = tf.nn.dynamic_rnn(cell, rows, dtype=tf.float32)
            p = {k: tf.Variable(w[k], name=k) for k in ("W", "b")}
            logits = tf.matmul(state.h, p["W"]) + p["b"]
            self._finish(logits, tf.train.AdamOptimizer(lr))
            cell_vars = {v.op.name.rsplit("/", 1)[-1]: v for v in cell.variables}
        for k in ("kernel", "bias"):
            cell_vars[k].load(w[k], self.sess)


def w1(kind: str) -> Any:
    g = tf.Graph()
    with g.as_default():
        if kind == "matmul":
            product = tf.matmul(tf.constant([[3.0, 3.0]]), tf.constant([[2.0], [2.0]]))
            sess = _session(g)
            return lambda: sess.run(product)
        input1 = tf.placeholder(tf.float32)
        input2 = tf.placeholder(tf.float32)
        output = tf.multiply(input1, input2)
    sess = _session(g)
    feed = {input1: np.array([7.0], np.float32), input2: np.array([2.0], np.float32)}
    return lambda: sess.run(output, feed_dict=feed)


def w9(kind: str) -> Any:
    raise NotImplementedError("TF1 graph mode (v2 behaviour disabled) has no eager ops")


def w10_restore(values: dict[str, np.ndarray], directory: str) -> tuple[Any, str]:
    """W10: variables saved by tf.train.Saver (V2 checkpoint); returns (restore, data file)."""
    import glob
    import os

    graph = tf.Graph()
    with graph.as_default():
        for name, v in values.items():
            tf.Variable(v, name=name)
        saver = tf.train.Saver()
        sess = _session(graph)
        sess.run(tf.global_variables_initializer())
    prefix = saver.save(sess, os.path.join(directory, "model.ckpt"), write_meta_graph=False)
    return (lambda: saver.restore(sess, prefix)), glob.glob(prefix + ".data-*")[0]


def w11(
    w: dict[str, np.ndarray], lr: float, x: np.ndarray, t: np.ndarray, batch: int, kind: str
) -> tuple[Any, float]:
    """W11: W2's network on placeholders (kind "feed") or on a tf.data iterator's get_next
    ("dataset"); returns (one train step, the first batch's loss)."""
    graph = tf.Graph()
    with graph.as_default():
        if kind == "feed":
            xs = tf.placeholder(tf.float32, [None, 784])
            ts = tf.placeholder(tf.int32, [None])
        else:
            ds = tf.data.Dataset.from_tensor_slices((x, t.astype(np.int32)))
            xs, ts = ds.batch(batch).repeat().make_one_shot_iterator().get_next()
        p = {k: tf.Variable(v, name=k) for k, v in w.items()}
        h = tf.nn.relu(tf.matmul(xs, p["W1"]) + p["b1"])
        logits = tf.matmul(h, p["W2"]) + p["b2"]
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ts, logits=logits)
        )
        train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss)
        sess = _session(graph)
        sess.run(tf.global_variables_initializer())
    if kind == "feed":
        feeds = [
            {xs: x[i : i + batch], ts: t[i : i + batch].astype(np.int32)}
            for i in range(0, len(x), batch)
        ]
        loss0 = float(sess.run(loss, feeds[0]))
        it = [0]

        def step() -> None:
            sess.run(train_op, feeds[it[0] % len(feeds)])
            it[0] += 1

        return step, loss0
    loss0 = float(sess.run(loss))  # consumes batch 0, as a feed of batch 0 would be
    return (lambda: sess.run(train_op)), loss0
