"""TensorFlow in TF1 graph mode (tf.compat.v1 with v2 behaviour disabled): the same graphs as
flowzero's models, NHWC, one `sess.run(train_op, feed_dict)` per step, intra/inter-op threads
set in the session config."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as _tf

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
