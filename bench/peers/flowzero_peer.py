"""flowzero: the book's networks (and W7's LSTMClassifier) from flowzero.models, one
`sess.run(train_op, feed)` per step."""

from __future__ import annotations

from typing import Any

import numpy as np

import flowzero as tf
from flowzero.models.lstm_classifier import LSTMClassifier
from flowzero.models.simple_conv_net import SimpleConvNet
from flowzero.models.two_layer_net import TwoLayerNet

NAME = "flowzero"


def info() -> dict[str, Any]:
    return {"flowzero": getattr(tf, "__version__", "0.1.0"), "numpy": np.__version__}


def setup(threads: int) -> None:
    """flowzero's kernels are NumPy; the BLAS pool is sized by the environment."""


def _load(params: dict[str, Any], w: dict[str, np.ndarray], sess: Any) -> None:
    for k, v in params.items():
        v.load(w[k], sess)


class TwoLayer:
    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = TwoLayerNet(hidden_size=w["W1"].shape[1], seed=0)
            self.train_op = tf.train.GradientDescentOptimizer(lr).minimize(self.net.loss)
            init = tf.global_variables_initializer()
        self.sess = tf.Session(graph=self.graph)
        self.sess.run(init)
        _load(self.net.params, w, self.sess)

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return {self.net.x: x, self.net.t: t}

    def step(self, batch: Any) -> None:
        self.sess.run(self.train_op, batch)

    def sync(self) -> None:
        pass

    def loss(self, batch: Any) -> float:
        return float(self.sess.run(self.net.loss, batch))

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        return float(self.sess.run(self.net.accuracy, {self.net.x: x, self.net.t: t}))


class Conv(TwoLayer):
    """SimpleConvNet in NHWC, weights HWIO (the canonical layout)."""

    def __init__(self, w: dict[str, np.ndarray], optimizer: str, lr: float) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = SimpleConvNet(seed=0)
            opt = (tf.train.GradientDescentOptimizer(lr) if optimizer == "sgd"
                   else tf.train.AdamOptimizer(lr))
            self.train_op = opt.minimize(self.net.loss)
            init = tf.global_variables_initializer()
        self.sess = tf.Session(graph=self.graph)
        self.sess.run(init)
        _load(self.net.params, w, self.sess)


class LSTM(TwoLayer):
    """W7: LSTMClassifier (BasicLSTMCell + dynamic_rnn over the 28 rows), Adam."""

    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = LSTMClassifier(hidden_size=w["W"].shape[0], seed=0)
            self.train_op = tf.train.AdamOptimizer(lr).minimize(self.net.loss)
            init = tf.global_variables_initializer()
        self.sess = tf.Session(graph=self.graph)
        self.sess.run(init)
        _load(self.net.params, w, self.sess)


def w1(kind: str) -> Any:
    """The tutorial's graphs; the returned callable is one cached `Session.run`."""
    g = tf.Graph()
    with g.as_default():
        if kind == "matmul":
            product = tf.matmul(tf.constant([[3.0, 3.0]]), tf.constant([[2.0], [2.0]]))
            sess = tf.Session(graph=g)
            return lambda: sess.run(product)
        input1 = tf.placeholder(tf.float32)
        input2 = tf.placeholder(tf.float32)
        output = tf.multiply(input1, input2)
    sess = tf.Session(graph=g)
    feed = {input1: np.array([7.0], np.float32), input2: np.array([2.0], np.float32)}
    return lambda: sess.run(output, feed_dict=feed)


def w9(kind: str) -> Any:
    """One eager op: the worker process has built nothing in the default graph before."""
    tf.enable_eager_execution()
    if kind == "matmul":
        a = tf.constant([[3.0, 3.0]])
        b = tf.constant([[2.0], [2.0]])
        return lambda: tf.matmul(a, b)
    x1 = tf.constant([7.0])
    x2 = tf.constant([2.0])
    return lambda: tf.multiply(x1, x2)


def w10_restore(values: dict[str, np.ndarray], directory: str) -> tuple[Any, str]:
    """W10: variables saved by tf.train.Saver (V2 checkpoint); returns (restore, data file)."""
    import os

    from flowzero.train.tensor_bundle import data_files

    graph = tf.Graph()
    with graph.as_default():
        for name, v in values.items():
            tf.Variable(v, name=name)
        saver = tf.train.Saver()
        sess = tf.Session(graph=graph)
        sess.run(tf.global_variables_initializer())
    prefix = saver.save(sess, os.path.join(directory, "model.ckpt"), write_meta_graph=False)
    return (lambda: saver.restore(sess, prefix)), data_files(prefix)[0]


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
        sess = tf.Session(graph=graph)
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
