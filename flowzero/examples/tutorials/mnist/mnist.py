"""The model module of TF1's MNIST tutorial (`tensorflow.examples.tutorials.mnist.mnist`), used
by `fully_connected_feed.py`: a network of two ReLU hidden layers and a linear softmax layer.

- `inference(images, hidden1_units, hidden2_units)` -> logits, with variables
  `hidden1/weights`, `hidden1/biases`, `hidden2/...`, `softmax_linear/...` (weights from a
  truncated normal of stddev 1/sqrt(fan_in), biases zero);
- `loss(logits, labels)` -> the mean sparse softmax cross entropy;
- `training(loss, learning_rate)` -> a gradient-descent train op that counts `global_step`
  and records the loss as a scalar summary;
- `evaluation(logits, labels)` -> how many of the batch's top-1 predictions are right.
"""

from __future__ import annotations

import math
from typing import Any

import flowzero as tf

NUM_CLASSES = 10
IMAGE_SIZE = 28
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE


def _layer(x: Any, fan_in: int, units: int, scope: str, relu: bool) -> Any:
    with tf.name_scope(scope):
        weights = tf.Variable(
            tf.truncated_normal([fan_in, units], stddev=1.0 / math.sqrt(float(fan_in))),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([units]), name="biases")
        y = tf.matmul(x, weights) + biases
        return tf.nn.relu(y) if relu else y


def inference(images: Any, hidden1_units: int, hidden2_units: int) -> Any:
    """Logits [batch, NUM_CLASSES] of `images` [batch, IMAGE_PIXELS]."""
    hidden1 = _layer(images, IMAGE_PIXELS, hidden1_units, "hidden1", relu=True)
    hidden2 = _layer(hidden1, hidden1_units, hidden2_units, "hidden2", relu=True)
    return _layer(hidden2, hidden2_units, NUM_CLASSES, "softmax_linear", relu=False)


def loss(logits: Any, labels: Any) -> Any:
    """The mean cross entropy between `logits` and int `labels` [batch]."""
    labels = tf.to_int64(labels)
    return tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)


def training(loss: Any, learning_rate: float) -> Any:
    """A train op for `loss`: gradient descent at `learning_rate`, counting global_step."""
    tf.summary.scalar("loss", loss)
    optimizer = tf.train.GradientDescentOptimizer(learning_rate)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    return optimizer.minimize(loss, global_step=global_step)


def evaluation(logits: Any, labels: Any) -> Any:
    """The number of examples in the batch whose label is the top-1 prediction (int32)."""
    correct = tf.nn.in_top_k(logits, labels, 1)
    return tf.reduce_sum(tf.cast(correct, tf.int32))
