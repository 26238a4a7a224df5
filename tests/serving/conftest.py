"""Shared fixtures: a briefly trained TwoLayerNet, its checkpoint, and its export under
BASE/mnist/1, plus the Session that trained it (the reference every served answer must equal)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import flowzero as tf
from flowzero import saved_model
from flowzero.datasets import mnist
from flowzero.models import TwoLayerNet


@dataclass
class Trained:
    graph: Any
    sess: Any
    net: Any
    outputs: dict[str, Any]
    checkpoint: str  # prefix
    base: str  # model base path holding mnist/1
    x_test: np.ndarray
    t_test: np.ndarray

    def reference(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Session.run of the export's outputs on `x`, in the training session."""
        return self.sess.run(self.outputs, {self.net.x: x})


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    (x, t), (xt, tt) = mnist.load_mnist(normalize=True, flatten=True, source="subset")
    x, t = x.astype(np.float32), t.astype(np.int32)
    g = tf.Graph()
    with g.as_default():
        net = TwoLayerNet(seed=0)
        train = tf.train.GradientDescentOptimizer(0.1).minimize(net.loss)
        with tf.name_scope("serving"):
            outputs = {
                "logits": net.logits,
                "probabilities": tf.nn.softmax(net.logits, name="probabilities"),
                "classes": tf.argmax(net.logits, 1, output_type=tf.int32, name="classes"),
            }
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        rng = np.random.default_rng(0)
        for _ in range(150):
            idx = rng.integers(0, len(x), 100)
            sess.run(train, {net.x: x[idx], net.t: t[idx]})
        root = tmp_path_factory.mktemp("trained")
        ckpt = tf.train.Saver().save(sess, str(root / "ckpt" / "model.ckpt"), global_step=150)
        base = root / "models"
        saved_model.simple_save(
            sess, str(base / "mnist" / "1"), inputs={"x": net.x}, outputs=outputs
        )
    return Trained(
        g, sess, net, outputs, ckpt, str(base), xt.astype(np.float32), tt.astype(np.int32)
    )


def copy_export(src: str, dst: str) -> None:
    """Copies an export directory (hard links are not used: tests modify copies)."""
    import shutil

    shutil.copytree(src, dst)
    assert os.path.isfile(os.path.join(dst, "saved_model.pb"))
