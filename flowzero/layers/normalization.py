"""Batch normalization: BatchNormalization and batch_normalization (the moving averages and
the UPDATE_OPS guard are described in flowzero.layers)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, get_default_graph
from flowzero.framework.shapes import TensorShape
from flowzero.layers.base import Layer, _check_training, _nn, _select, _static_bool
from flowzero.ops import array_ops, cast_ops, math_ops, reshape_ops, state_ops
from flowzero.variables import Variable, zeros_initializer


# -- batch normalization -----------------------------------------------------------------------
class BatchNormalization(Layer):
    """Batch normalization (Ioffe & Szegedy 2015) over the axes other than `axis`.

    Variables: `gamma` (scale, ones) and `beta` (offset, zeros) trainable; `moving_mean`
    (zeros) and `moving_variance` (ones) non-trainable, in GLOBAL_VARIABLES. See
    batch_normalization for the training/inference behaviour and the UPDATE_OPS guard.
    """

    _base_name = "batch_normalization"

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = None,
        gamma_initializer: Any = None,
        moving_mean_initializer: Any = None,
        moving_variance_initializer: Any = None,
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        fused: bool | None = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        from flowzero.variables import ones_initializer

        if not isinstance(axis, (numbers.Integral, np.integer)):
            raise TypeError(f"batch_normalization: axis must be an int; got {axis!r}.")
        self.axis = int(axis)
        self.momentum, self.epsilon = momentum, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = beta_initializer or zeros_initializer()
        self.gamma_initializer = gamma_initializer or ones_initializer()
        self.moving_mean_initializer = moving_mean_initializer or zeros_initializer()
        self.moving_variance_initializer = moving_variance_initializer or ones_initializer()
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.fused = fused
        self.gamma: Variable | None = None
        self.beta: Variable | None = None
        self.moving_mean: Variable | None = None
        self.moving_variance: Variable | None = None

    def build(self, input_shape: TensorShape) -> None:
        ndims = input_shape.ndims
        if not ndims:
            raise ValueError(f"Input has undefined rank: {input_shape} (layer '{self.name}').")
        axis = self.axis + ndims if self.axis < 0 else self.axis
        if not 0 <= axis < ndims:
            raise ValueError(
                f"Invalid axis: {self.axis} for inputs of rank {ndims} (layer '{self.name}')."
            )
        self.axis = axis
        channels = input_shape[axis].value
        if channels is None:
            raise ValueError(
                f"Input has undefined `axis` dimension. Input shape: {input_shape}"
                f" (layer '{self.name}', axis {axis})."
            )
        # TF1 uses its fused kernel for 4-D inputs normalized over the channel axis (1 or 3);
        # that kernel feeds the moving variance the *unbiased* batch variance (n / (n - 1)).
        self._bessel = (self.fused is not False) and ndims == 4 and axis in (1, 3)
        dt = self._dtype if self._dtype not in (dtypes.float16,) else dtypes.float32
        shape = [channels]
        if self.scale:
            self.gamma = self.add_weight(
                "gamma",
                shape,
                dt,
                self.gamma_initializer,
                self.gamma_regularizer,
                True,
                self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                "beta",
                shape,
                dt,
                self.beta_initializer,
                self.beta_regularizer,
                True,
                self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            "moving_mean", shape, dt, self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", shape, dt, self.moving_variance_initializer, trainable=False
        )

    def _assign_moving_average(self, variable: Variable, value: Tensor, decay: Any) -> Tensor:
        # TF: variable -= (variable - value) * (1 - momentum)
        with get_default_graph().name_scope("AssignMovingAvg") as scope:
            delta = math_ops.multiply(math_ops.subtract(variable, value), decay)
            return state_ops.assign_sub(variable, delta, name=scope)

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        nn = _nn()
        training = _check_training(training)
        flag = _static_bool(training)
        ndims = inputs.shape.ndims
        red_axes = [i for i in range(ndims) if i != self.axis]
        bshape = [1] * ndims
        bshape[self.axis] = self.moving_mean.shape[0].value

        def bcast(v: Any) -> Any:
            # Parameters of shape [C] broadcast against the last axis only.
            if v is None or self.axis == ndims - 1:
                return v
            return reshape_ops.reshape(v, bshape)

        if flag is False:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            mean, variance = nn.moments(inputs, red_axes)
            moving_var_in = variance
            if self._bessel:
                moving_var_in = variance * self._bessel_factor(inputs, red_axes)
            decay = 1.0 - self.momentum
            if flag is None:
                mean = _select(training, mean, self.moving_mean.value())
                variance = _select(training, variance, self.moving_variance.value())
                moving_var_in = _select(training, moving_var_in, self.moving_variance.value())
            self.add_update(self._assign_moving_average(self.moving_mean, mean, decay))
            self.add_update(self._assign_moving_average(self.moving_variance, moving_var_in, decay))
        out = nn.batch_normalization(
            inputs, bcast(mean), bcast(variance), bcast(self.beta), bcast(self.gamma), self.epsilon
        )
        out.set_shape(inputs.shape)
        return out

    def _bessel_factor(self, inputs: Tensor, red_axes: list[int]) -> Any:
        """n / (n - 1), n = the number of values averaged per channel."""
        known = [inputs.shape[i].value for i in red_axes]
        if None not in known:
            n: Any = float(np.prod(known))
            return n / max(n - 1.0, 1.0)
        channels = float(self.moving_mean.shape[0].value)
        n = cast_ops.cast(array_ops.size(inputs), inputs.dtype) / channels
        return n / math_ops.maximum(n - 1.0, 1.0)


def batch_normalization(
    inputs: Any,
    axis: int = -1,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
    center: bool = True,
    scale: bool = True,
    beta_initializer: Any = None,
    gamma_initializer: Any = None,
    moving_mean_initializer: Any = None,
    moving_variance_initializer: Any = None,
    beta_regularizer: Any = None,
    gamma_regularizer: Any = None,
    beta_constraint: Any = None,
    gamma_constraint: Any = None,
    training: Any = False,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
    renorm: bool = False,
    renorm_clipping: Any = None,
    renorm_momentum: float = 0.99,
    fused: bool | None = None,
    virtual_batch_size: Any = None,
    adjustment: Any = None,
) -> Tensor:
    """Batch normalization: `gamma * (x - mean) / sqrt(var + epsilon) + beta` per channel.

    With training=True the batch's mean and (biased) variance over every axis but `axis` are
    used; with training=False the moving averages. `training` may also be a bool Tensor (e.g.
    a placeholder), selecting between the two at run time.

    Moving averages: when training is True or a Tensor, two assign ops are added to
    tf.GraphKeys.UPDATE_OPS, computing as TF `moving = moving * momentum + batch * (1 -
    momentum)` (written `moving -= (moving - batch) * (1 - momentum)`; with a Tensor that is
    False they leave the averages unchanged). As in TF1, for 4-D inputs normalized over axis 1
    or 3 (where TF1 uses its fused kernel) the moving variance receives the unbiased batch
    variance (times n / (n - 1)); pass fused=False for the biased one.

    UPDATE_OPS guard: flowzero's optimizers' minimize() runs UPDATE_OPS automatically, so
    `opt.minimize(loss)` updates the moving averages. The TF1 idiom
    `with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train_op = opt.minimize(loss)` still works. Without an optimizer, run the collection's ops
    yourself next to your training step.

    Args:
        inputs: a float Tensor of known rank whose `axis` dimension is known.
        axis: the channel axis (-1 for channels_last, 1 for channels_first).
        momentum, epsilon: as above.
        center, scale: whether to create and use `beta` / `gamma`.
        training: Python bool or bool Tensor.
        name, reuse: variable scope (default "batch_normalization") and sharing.
        renorm, virtual_batch_size, adjustment: not supported (ValueError if set).

    Example:
        >>> h = tf.layers.dense(tf.placeholder(tf.float32, [None, 8]), 4)
        >>> is_training = tf.placeholder(tf.bool, [])
        >>> h = tf.layers.batch_normalization(h, training=is_training)
        >>> loss = tf.reduce_mean(tf.square(h))
        >>> with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        ...     train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)   # also runs UPDATE_OPS
    """
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise ValueError(
            "batch_normalization: renorm, virtual_batch_size and adjustment are "
            "not supported by flowzero."
        )
    layer = BatchNormalization(
        axis,
        momentum,
        epsilon,
        center,
        scale,
        beta_initializer,
        gamma_initializer,
        moving_mean_initializer,
        moving_variance_initializer,
        beta_regularizer,
        gamma_regularizer,
        beta_constraint,
        gamma_constraint,
        fused,
        trainable,
        name,
        _reuse=reuse,
    )
    return layer(inputs, training=training)


__all__ = ["BatchNormalization", "batch_normalization"]
