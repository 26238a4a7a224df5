"""MultiLayerNet (the book's ch. 6): (Affine -> activation) x N -> Affine -> Softmax-with-loss,
with the book's weight initialisations ('he' / 'xavier' / a fixed std) and weight decay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import flowzero as tf

ACTIVATIONS = {"relu": tf.nn.relu, "sigmoid": tf.sigmoid}


def init_scale(weight_init_std: float | str, fan_in: int) -> float:
    """The book's std for a weight matrix whose units each see `fan_in` inputs.

    'relu' / 'he': He, sqrt(2 / fan_in); 'sigmoid' / 'xavier': Xavier, sqrt(1 / fan_in);
    a number: that std.

    Raises:
        ValueError: an unknown name.
    """
    if isinstance(weight_init_std, str):
        key = weight_init_std.lower()
        if key in ("relu", "he"):
            return float(np.sqrt(2.0 / fan_in))
        if key in ("sigmoid", "xavier"):
            return float(np.sqrt(1.0 / fan_in))
        raise ValueError(
            f"weight_init_std must be 'relu'/'he', 'sigmoid'/'xavier' or a number; "
            f"got {weight_init_std!r}."
        )
    return float(weight_init_std)


def affine_init(
    sizes: Sequence[int], weight_init_std: float | str, seed: int | None, npdt: Any
) -> dict[str, np.ndarray]:
    """The book's W1, b1, W2, b2, ... for layer widths `sizes` (input first, output last):
    `init_scale(...) * N(0, 1)` from a NumPy generator seeded with `seed`, biases zero."""
    rng = np.random.default_rng(seed)
    init: dict[str, np.ndarray] = {}
    for i in range(1, len(sizes)):
        scale = init_scale(weight_init_std, sizes[i - 1])
        init[f"W{i}"] = (scale * rng.standard_normal((sizes[i - 1], sizes[i]))).astype(npdt)
        init[f"b{i}"] = np.zeros(sizes[i], npdt)
    return init


def check_activation(activation: str) -> Any:
    """The activation function named `activation` ('relu' or 'sigmoid')."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}.")
    return ACTIVATIONS[activation]


def weight_decay_term(params: dict[str, Any], weight_decay_lambda: float, dtype: Any) -> Any:
    """The book's weight decay, 0.5 * lambda * sum(W**2) over the weight matrices W1, W2, ...
    (biases and batch-norm parameters excluded); a constant 0 when lambda is 0."""
    if not weight_decay_lambda:
        return tf.constant(0.0, dtype, name="weight_decay")
    with tf.name_scope("weight_decay"):
        squares = [tf.reduce_sum(tf.square(v)) for k, v in params.items() if k.startswith("W")]
        return tf.multiply(0.5 * weight_decay_lambda, tf.add_n(squares), name="value")


def classifier_outputs(
    logits: Any,
    t: Any,
    dtype: Any,
    loss_name: str = "loss",
) -> tuple[Any, Any]:
    """(mean softmax cross-entropy, accuracy) of `logits` against int labels `t`."""
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t, logits=logits), name=loss_name
    )
    correct = tf.equal(tf.argmax(logits, 1, output_type=tf.int32), t)
    return loss, tf.reduce_mean(tf.cast(correct, dtype), name="accuracy")


class MultiLayerNet:
    """The book's fully connected network as a flowzero graph.

    Layers: for each width in `hidden_size_list`, Affine -> activation; then Affine to
    `output_size`. Weights start as `scale * N(0, 1)` from a NumPy generator seeded with `seed`
    (He scale sqrt(2 / n_in) for 'relu'/'he', Xavier sqrt(1 / n_in) for 'sigmoid'/'xavier',
    or the given number), biases as zeros, so the same seed gives the same initial weights in
    flowzero and in any other framework.

    Attributes:
        x: placeholder (None, input_size) for the images.
        t: placeholder (None,) int32 for the labels.
        logits: the last affine layer's output.
        data_loss: mean softmax cross-entropy.
        weight_decay: 0.5 * weight_decay_lambda * sum of W**2 over W1, W2, ...
        loss: data_loss + weight_decay (what the book's `loss` returns).
        accuracy: fraction of argmax(logits) == t.
        params: dict W1, b1, W2, b2, ... -> Variable, in that order.

    Example:
        >>> from flowzero.models import MultiLayerNet
        >>> net = MultiLayerNet(784, [100, 100], 10, weight_decay_lambda=0.1)
        >>> train = tf.train.GradientDescentOptimizer(0.01).minimize(net.loss)
        >>> sorted(net.params)
        ['W1', 'W2', 'W3', 'b1', 'b2', 'b3']
        >>> xb = np.random.default_rng(0).random((8, 784), dtype=np.float32)
        >>> tb = np.arange(8, dtype=np.int32)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> before = sess.run(net.loss, {net.x: xb, net.t: tb})
        >>> for _ in range(5):
        ...     sess.run(train, {net.x: xb, net.t: tb})
        >>> print(sess.run(net.loss, {net.x: xb, net.t: tb}) < before)
        True
    """

    def __init__(
        self,
        input_size: int = 784,
        hidden_size_list: Sequence[int] = (100, 100, 100),
        output_size: int = 10,
        activation: str = "relu",
        weight_init_std: float | str = "relu",
        weight_decay_lambda: float = 0.0,
        seed: int | None = 0,
        dtype: Any = tf.float32,
    ) -> None:
        act = check_activation(activation)
        self.hidden_size_list = list(hidden_size_list)
        self.weight_decay_lambda = weight_decay_lambda
        sizes = [input_size, *self.hidden_size_list, output_size]
        init = affine_init(sizes, weight_init_std, seed, tf.as_dtype(dtype).as_numpy_dtype)
        with tf.name_scope("multi_layer_net"):
            self.x = tf.placeholder(dtype, [None, input_size], name="x")
            self.t = tf.placeholder(tf.int32, [None], name="t")
            self.params = {k: tf.Variable(v, name=k) for k, v in init.items()}
            p = self.params
            h = self.x
            n_layers = len(sizes) - 1
            for i in range(1, n_layers):
                with tf.name_scope(f"affine{i}"):
                    h = act(tf.matmul(h, p[f"W{i}"]) + p[f"b{i}"])
            with tf.name_scope(f"affine{n_layers}"):
                self.logits = tf.matmul(h, p[f"W{n_layers}"]) + p[f"b{n_layers}"]
            self.data_loss, self.accuracy = classifier_outputs(
                self.logits, self.t, dtype, "data_loss"
            )
            self.weight_decay = weight_decay_term(p, weight_decay_lambda, dtype)
            self.loss = tf.add(self.data_loss, self.weight_decay, name="loss")
