"""TwoLayerNet (the book's ch. 4/5): Affine -> ReLU -> Affine -> Softmax-with-loss."""

from __future__ import annotations

from typing import Any

import numpy as np

import flowzero as tf


class TwoLayerNet:
    """The book's two-layer network as a flowzero graph.

    Weights start as `weight_init_std * N(0, 1)` drawn from a NumPy generator seeded with
    `seed` (as the book's `np.random.randn`), biases as zeros, so the same seed gives the same
    initial weights in flowzero and in any other framework.

    Attributes:
        x: placeholder (None, input_size) for the images.
        t: placeholder (None,) int32 for the labels.
        logits, loss (mean softmax cross-entropy), accuracy, params (dict name -> Variable).
    """

    def __init__(
        self,
        input_size: int = 784,
        hidden_size: int = 50,
        output_size: int = 10,
        weight_init_std: float = 0.01,
        seed: int | None = 0,
        dtype: Any = tf.float32,
    ) -> None:
        rng = np.random.default_rng(seed)
        npdt = tf.as_dtype(dtype).as_numpy_dtype
        init = {
            "W1": (weight_init_std * rng.standard_normal((input_size, hidden_size))).astype(npdt),
            "b1": np.zeros(hidden_size, npdt),
            "W2": (weight_init_std * rng.standard_normal((hidden_size, output_size))).astype(npdt),
            "b2": np.zeros(output_size, npdt),
        }
        with tf.name_scope("two_layer_net"):
            self.x = tf.placeholder(dtype, [None, input_size], name="x")
            self.t = tf.placeholder(tf.int32, [None], name="t")
            self.params = {k: tf.Variable(v, name=k) for k, v in init.items()}
            p = self.params
            with tf.name_scope("affine1"):
                h = tf.nn.relu(tf.matmul(self.x, p["W1"]) + p["b1"])
            with tf.name_scope("affine2"):
                self.logits = tf.matmul(h, p["W2"]) + p["b2"]
            self.loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.t, logits=self.logits),
                name="loss",
            )
            correct = tf.equal(tf.argmax(self.logits, 1, output_type=tf.int32), self.t)
            self.accuracy = tf.reduce_mean(tf.cast(correct, dtype), name="accuracy")
