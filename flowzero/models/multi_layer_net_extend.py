"""MultiLayerNetExtend (the book's ch. 6): MultiLayerNet plus batch normalization and dropout.

Layers: for each hidden width, Affine -> [BatchNorm] -> activation -> [Dropout]; then Affine.
Both switch on the `training` bool tensor (the book's `train_flg`), a
placeholder_with_default(False): feed `{net.training: True}` when training.

Batch norm is the book's: batch mean and biased variance over the batch axis in training,
epsilon 1e-6 (the book's 10e-7), running averages `running = 0.9 * running + 0.1 * batch`
starting from zeros (mean and variance alike, as the book) and used at test time. The running
averages are updated by assign ops in tf.GraphKeys.UPDATE_OPS, which flowzero's optimizers'
minimize() runs with every step; they change only when `training` is True.

Dropout is the book's, NOT TF's inverted dropout: in training each unit is kept when a uniform
draw exceeds `dropout_ration` and the kept values are left unscaled; at test time every value is
multiplied by (1 - dropout_ration). Same expected value, and weights trained by the book's NumPy
code behave the same here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import flowzero as tf
from flowzero.models.multi_layer_net import (
    affine_init,
    check_activation,
    classifier_outputs,
    weight_decay_term,
)

BN_MOMENTUM = 0.9
BN_EPSILON = 1e-6  # the book's 10e-7


def select(flag: Any, if_true: Any, if_false: Any) -> Any:
    """`if_true` where the bool scalar `flag` holds, else `if_false`: t * c + f * (1 - c), exact
    for c in {0, 1} and finite values (there is no tf.cond yet)."""
    c = tf.cast(flag, if_true.dtype)
    return if_true * c + if_false * (1.0 - c)


def book_dropout(h: Any, ratio: float, training: Any, seed: int | None) -> Any:
    """The book's Dropout: `h * (uniform > ratio)` when training, `h * (1 - ratio)` otherwise."""
    with tf.name_scope("dropout"):
        keep = tf.cast(
            tf.random_uniform(tf.shape(h), dtype=h.dtype, seed=seed) > ratio, h.dtype, name="mask"
        )
        return select(training, h * keep, h * (1.0 - ratio))


def book_batch_norm(
    h: Any,
    gamma: Any,
    beta: Any,
    running_mean: Any,
    running_var: Any,
    training: Any,
    axes: Sequence[int] = (0,),
) -> Any:
    """The book's BatchNormalization over `axes`, adding its running-average updates to
    tf.GraphKeys.UPDATE_OPS (they leave the averages unchanged when `training` is False)."""
    with tf.name_scope("batch_norm"):
        batch_mean, batch_var = tf.nn.moments(h, list(axes))
        mean = select(training, batch_mean, running_mean.value())
        var = select(training, batch_var, running_var.value())
        out = tf.nn.batch_normalization(h, mean, var, beta, gamma, BN_EPSILON)
        for running, batch in ((running_mean, batch_mean), (running_var, batch_var)):
            # running -= (running - batch) * (1 - momentum), i.e. 0.9 * running + 0.1 * batch;
            # `target` is the running value itself (a zero step) when not training.
            target = select(training, batch, running.value())
            step = (running.value() - target) * (1.0 - BN_MOMENTUM)
            tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_sub(running, step))
        return out


class MultiLayerNetExtend:
    """The book's extended fully connected network: weight decay, dropout, batch norm.

    Arguments as MultiLayerNet, plus `use_dropout`, `dropout_ration` (the book's spelling:
    the fraction of units dropped) and `use_batchnorm`. Initial weights are MultiLayerNet's
    for the same seed; gamma starts at ones and beta at zeros.

    Attributes:
        x, t, logits, data_loss, weight_decay, loss, accuracy: as MultiLayerNet.
        training: bool scalar, placeholder_with_default(False); feed True to train.
        params: dict W1, b1, ..., W{n}, b{n}, then gamma1, beta1, gamma2, beta2, ... (the
            book's order) -> trainable Variable.
        running_stats: dict running_mean1, running_var1, ... -> non-trainable Variable.

    Example:
        >>> from flowzero.models import MultiLayerNetExtend
        >>> net = MultiLayerNetExtend(784, [100] * 5, 10, use_batchnorm=True)
        >>> update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)   # the running stats
        >>> len(update_ops)
        10
        >>> with tf.control_dependencies(update_ops):
        ...     train = tf.train.GradientDescentOptimizer(0.01).minimize(net.loss)
        >>> xb = np.random.default_rng(0).random((8, 784), dtype=np.float32)
        >>> tb = np.arange(8, dtype=np.int32)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train, {net.x: xb, net.t: tb, net.training: True})
        >>> print(sess.run(net.running_stats["running_mean1"]).any())   # moved off zero
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
        use_dropout: bool = False,
        dropout_ration: float = 0.5,
        use_batchnorm: bool = False,
        seed: int | None = 0,
        dtype: Any = tf.float32,
    ) -> None:
        act = check_activation(activation)
        if not 0.0 <= dropout_ration < 1.0:
            raise ValueError(f"dropout_ration must be in [0, 1); got {dropout_ration}.")
        self.hidden_size_list = list(hidden_size_list)
        self.weight_decay_lambda = weight_decay_lambda
        self.use_dropout, self.dropout_ration = use_dropout, dropout_ration
        self.use_batchnorm = use_batchnorm
        npdt = tf.as_dtype(dtype).as_numpy_dtype
        sizes = [input_size, *self.hidden_size_list, output_size]
        init = affine_init(sizes, weight_init_std, seed, npdt)
        n_hidden = len(self.hidden_size_list)
        stats: dict[str, np.ndarray] = {}
        if use_batchnorm:
            for i, width in enumerate(self.hidden_size_list, start=1):
                init[f"gamma{i}"] = np.ones(width, npdt)
                init[f"beta{i}"] = np.zeros(width, npdt)
                stats[f"running_mean{i}"] = np.zeros(width, npdt)
                stats[f"running_var{i}"] = np.zeros(width, npdt)
        with tf.name_scope("multi_layer_net_extend"):
            self.x = tf.placeholder(dtype, [None, input_size], name="x")
            self.t = tf.placeholder(tf.int32, [None], name="t")
            self.training = tf.placeholder_with_default(False, [], name="training")
            self.params = {k: tf.Variable(v, name=k) for k, v in init.items()}
            self.running_stats = {
                k: tf.Variable(v, trainable=False, name=k) for k, v in stats.items()
            }
            p, s = self.params, self.running_stats
            h = self.x
            for i in range(1, n_hidden + 1):
                with tf.name_scope(f"layer{i}"):
                    h = tf.matmul(h, p[f"W{i}"]) + p[f"b{i}"]
                    if use_batchnorm:
                        h = book_batch_norm(
                            h,
                            p[f"gamma{i}"],
                            p[f"beta{i}"],
                            s[f"running_mean{i}"],
                            s[f"running_var{i}"],
                            self.training,
                        )
                    h = act(h)
                    if use_dropout:
                        op_seed = None if seed is None else seed * 1000 + i
                        h = book_dropout(h, dropout_ration, self.training, op_seed)
            last = n_hidden + 1
            with tf.name_scope(f"affine{last}"):
                self.logits = tf.matmul(h, p[f"W{last}"]) + p[f"b{last}"]
            self.data_loss, self.accuracy = classifier_outputs(
                self.logits, self.t, dtype, "data_loss"
            )
            self.weight_decay = weight_decay_term(p, weight_decay_lambda, dtype)
            self.loss = tf.add(self.data_loss, self.weight_decay, name="loss")
