"""SimpleConvNet (the book's ch. 7): conv -> ReLU -> pool -> affine -> ReLU -> affine."""

from __future__ import annotations

from typing import Any

import numpy as np

import flowzero as tf


class SimpleConvNet:
    """The book's convolutional network (NHWC here; the book's NCHW input is transposed once).

    Defaults are the book's: 30 filters of 5x5, stride 1, no padding, 2x2 max-pool, a hidden
    affine layer of 100, 10 outputs, weights `weight_init_std * N(0, 1)` seeded by `seed`.

    Attributes:
        x: placeholder (None, 28, 28, 1) images; t: (None,) int32 labels.
        logits, loss, accuracy, params.
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (1, 28, 28),
        filter_num: int = 30,
        filter_size: int = 5,
        hidden_size: int = 100,
        output_size: int = 10,
        weight_init_std: float = 0.01,
        seed: int | None = 0,
        dtype: Any = tf.float32,
    ) -> None:
        c, hgt, wid = input_dim
        conv_out = hgt - filter_size + 1
        pool_out = filter_num * (conv_out // 2) * (conv_out // 2)
        rng = np.random.default_rng(seed)
        npdt = tf.as_dtype(dtype).as_numpy_dtype

        def randn(*shape: int) -> np.ndarray:
            return (weight_init_std * rng.standard_normal(shape)).astype(npdt)

        init = {
            "W1": randn(filter_size, filter_size, c, filter_num),  # HWIO
            "b1": np.zeros(filter_num, npdt),
            "W2": randn(pool_out, hidden_size),
            "b2": np.zeros(hidden_size, npdt),
            "W3": randn(hidden_size, output_size),
            "b3": np.zeros(output_size, npdt),
        }
        with tf.name_scope("simple_conv_net"):
            self.x = tf.placeholder(dtype, [None, hgt, wid, c], name="x")
            self.t = tf.placeholder(tf.int32, [None], name="t")
            self.params = {k: tf.Variable(v, name=k) for k, v in init.items()}
            p = self.params
            with tf.name_scope("conv1"):
                h = tf.nn.conv2d(self.x, p["W1"], strides=[1, 1, 1, 1], padding="VALID")
                h = tf.nn.relu(tf.nn.bias_add(h, p["b1"]))
            with tf.name_scope("pool1"):
                h = tf.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
            h = tf.reshape(h, [-1, pool_out])
            with tf.name_scope("affine1"):
                h = tf.nn.relu(tf.matmul(h, p["W2"]) + p["b2"])
            with tf.name_scope("affine2"):
                self.logits = tf.matmul(h, p["W3"]) + p["b3"]
            self.loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.t, logits=self.logits),
                name="loss",
            )
            correct = tf.equal(tf.argmax(self.logits, 1, output_type=tf.int32), self.t)
            self.accuracy = tf.reduce_mean(tf.cast(correct, dtype), name="accuracy")
