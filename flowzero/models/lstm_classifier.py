"""An LSTM classifier over MNIST rows: each 28x28 digit is a sequence of 28 rows of 28
pixels, read by one LSTM layer (tf.nn.dynamic_rnn over a BasicLSTMCell); the last output goes
through an affine layer to the 10 class scores. The RNN counterpart of the book's networks."""

from __future__ import annotations

from typing import Any

import numpy as np

import flowzero as tf


class LSTMClassifier:
    """MNIST rows -> BasicLSTMCell(hidden_size) -> Affine -> Softmax-with-loss.

    Variables have TF's names (`lstm_classifier/rnn/basic_lstm_cell/kernel` and `/bias`), so a
    TF1 checkpoint of the same network restores into it. Weights start from a NumPy generator
    seeded with `seed`: the LSTM kernel uniform in +-sqrt(6 / (fan_in + fan_out)) (TF's
    glorot_uniform), the output layer `weight_init_std * N(0, 1)`, biases zero.

    Attributes:
        x: placeholder (None, 784) for the images; t: placeholder (None,) int32 labels.
        logits, loss (mean softmax cross-entropy), accuracy, params (dict name -> Variable).
    """

    def __init__(
        self,
        input_size: int = 784,
        hidden_size: int = 128,
        output_size: int = 10,
        steps: int = 28,
        weight_init_std: float = 0.1,
        seed: int | None = 0,
        dtype: Any = tf.float32,
    ) -> None:
        if input_size % steps:
            raise ValueError(
                f"LSTMClassifier: input_size {input_size} is not a multiple of steps {steps}."
            )
        depth = input_size // steps
        rng = np.random.default_rng(seed)
        npdt = tf.as_dtype(dtype).as_numpy_dtype
        limit = np.sqrt(6.0 / (depth + hidden_size + 4 * hidden_size))
        kernel = rng.uniform(-limit, limit, (depth + hidden_size, 4 * hidden_size)).astype(npdt)
        w_out = (weight_init_std * rng.standard_normal((hidden_size, output_size))).astype(npdt)
        # The scope's initializer reaches the one variable the cell creates without its own
        # (the kernel; the bias starts at zeros): the seeded kernel is its initial value.
        with tf.variable_scope("lstm_classifier", initializer=tf.constant_initializer(kernel)):
            self.x = tf.placeholder(dtype, [None, input_size], name="x")
            self.t = tf.placeholder(tf.int32, [None], name="t")
            rows = tf.reshape(self.x, [-1, steps, depth])
            cell = tf.nn.rnn_cell.BasicLSTMCell(hidden_size)
            _, state = tf.nn.dynamic_rnn(cell, rows, dtype=dtype)
            w = tf.Variable(w_out, name="W")
            b = tf.Variable(np.zeros(output_size, npdt), name="b")
            self.logits = tf.matmul(state.h, w) + b
            self.loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.t, logits=self.logits),
                name="loss",
            )
            correct = tf.equal(tf.argmax(self.logits, 1, output_type=tf.int32), self.t)
            self.accuracy = tf.reduce_mean(tf.cast(correct, dtype), name="accuracy")
        lstm_kernel, lstm_bias = cell.trainable_variables
        self.params = {"kernel": lstm_kernel, "bias": lstm_bias, "W": w, "b": b}
