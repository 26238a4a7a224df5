"""Core layers: Dense, Flatten, Dropout (TF's tf.layers core), and l2_regularizer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, get_default_graph
from flowzero.framework.shapes import TensorShape
from flowzero.layers.base import (
    _ZEROS,
    Layer,
    _check_training,
    _data_format,
    _KernelLayer,
    _nn,
    _select,
    _static_bool,
)
from flowzero.layers.regularizers import l2_regularizer
from flowzero.ops import array_ops, control_ops, linalg_ops, reshape_ops


# -- dense -------------------------------------------------------------------------------------
def _dense_matmul(x: Tensor, kernel: Any, units: int) -> Tensor:
    """x @ kernel on x's last axis; rank > 2 is flattened to a matrix and back (TF's
    tensordot), or broadcast when more than one leading dimension is unknown."""
    dims = x.shape.as_list() if x.shape.ndims is not None else None
    if dims is None or len(dims) <= 2:
        return linalg_ops.matmul(x, kernel, name="MatMul")
    lead = dims[:-1]
    if sum(d is None for d in lead) > 1:
        return linalg_ops.matmul(x, kernel, name="Tensordot")
    with get_default_graph().name_scope("Tensordot"):
        flat = reshape_ops.reshape(x, [-1, dims[-1]])
        y = linalg_ops.matmul(flat, kernel, name="MatMul")
        return reshape_ops.reshape(y, [-1 if d is None else d for d in lead] + [units])


class Dense(_KernelLayer):
    """Densely-connected layer: `activation(inputs @ kernel + bias)` on the last axis.

    Variables: `kernel` [in_units, units] (glorot uniform unless kernel_initializer) and `bias`
    [units] (zeros unless bias_initializer), in the scope `name` (default "dense", "dense_1",
    ...).
    """

    _base_name = "dense"

    def __init__(
        self,
        units: int,
        activation: Callable[[Any], Any] | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = _ZEROS,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            trainable,
            name,
            **kwargs,
        )
        self.units = int(units)

    def build(self, input_shape: TensorShape) -> None:
        ndims = input_shape.ndims
        if ndims is not None and ndims < 2:
            raise ValueError(
                f"Input 0 of layer {self.name} is incompatible with the layer: "
                f"expected min_ndim=2, found ndim={ndims}. Full shape received: "
                f"{input_shape}"
            )
        last = input_shape[-1].value if ndims else None
        if last is None:
            raise ValueError(
                "The last dimension of the inputs to `Dense` should be defined. "
                f"Found `None`. (layer '{self.name}', inputs of shape "
                f"{input_shape})"
            )
        self._build_kernel_and_bias([last, self.units], self.units)

    def call(self, inputs: Tensor) -> Tensor:
        return self._bias_and_activation(_dense_matmul(inputs, self.kernel, self.units))


def dense(
    inputs: Any,
    units: int,
    activation: Callable[[Any], Any] | None = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = _ZEROS,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Functional Dense: `activation(inputs @ kernel + bias)`; inputs of rank > 2 are
    multiplied on their last axis.

    Args:
        inputs: a float Tensor whose last dimension is statically known.
        units: the output size.
        activation: e.g. tf.nn.relu; None for linear.
        kernel_regularizer, bias_regularizer: fn(weights) -> loss, added to
            REGULARIZATION_LOSSES (e.g. tf.contrib.layers.l2_regularizer(1e-4)).
        activity_regularizer: fn(outputs) -> loss, also added there.
        trainable: add the variables to TRAINABLE_VARIABLES.
        name: the variable scope (default "dense", uniquified: "dense_1", ...).
        reuse: True to reuse the variables of a previous layer of the same name.

    Raises:
        ValueError: the last dimension of `inputs` is unknown, or rank < 2.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 784])
        >>> h = tf.layers.dense(x, 64, activation=tf.nn.relu, name="fc1")
        >>> [v.name for v in tf.trainable_variables()]
        ['fc1/kernel:0', 'fc1/bias:0']
    """
    layer = Dense(
        units,
        activation,
        use_bias,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer,
        bias_regularizer,
        activity_regularizer,
        kernel_constraint,
        bias_constraint,
        trainable,
        name,
        _reuse=reuse,
    )
    return layer(inputs)


# -- flatten -----------------------------------------------------------------------------------
def _flatten_tensor(x: Tensor, name: str = "Reshape") -> Tensor:
    """x as [batch, prod(other dims)], the static shape kept where known."""
    if x.shape.ndims is None:
        raise ValueError(
            f"flatten: the inputs' rank must be known; got {x.name} of shape {x.shape}."
        )
    dims = x.shape.as_list()
    if not dims:
        raise ValueError(f"flatten: inputs must have a batch dimension; got a scalar {x.name}.")
    rest = dims[1:]
    k = int(np.prod(rest, dtype=np.int64)) if None not in rest else None
    if k is not None and k > 0:
        target: Any = [-1, k]
    elif dims[0] is not None:
        target = [dims[0], -1 if k is None else k]
    else:  # the batch size must come from the run-time shape
        target = array_ops.stack([array_ops.shape(x)[0], -1 if k is None else k])
    out = reshape_ops.reshape(x, target, name=name)
    out.set_shape([dims[0], k])
    return out


class Flatten(Layer):
    """Flattens all but the batch dimension (scope "flatten")."""

    _base_name = "flatten"

    def __init__(
        self, data_format: str = "channels_last", name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.data_format = _data_format(data_format)

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs
        if self.data_format == "NCHW" and x.shape.ndims is not None and x.shape.ndims > 2:
            # Flatten in channels-last order so that the result does not depend on the layout.
            x = reshape_ops.transpose(x, [0, *range(2, x.shape.ndims), 1])
        return _flatten_tensor(x)


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Tensor:
    """Flattens `inputs` to [batch, k] keeping the batch dimension (static shape where known).

    Example:
        >>> tf.layers.flatten(tf.placeholder(tf.float32, [None, 7, 7, 64])).shape
        TensorShape([None, 3136])
    """
    return Flatten(data_format, name)(inputs)


# -- dropout -----------------------------------------------------------------------------------
class Dropout(Layer):
    """Dropout at `rate` (the fraction dropped) when training; identity otherwise."""

    _base_name = "dropout"

    def __init__(
        self,
        rate: float = 0.5,
        noise_shape: Any = None,
        seed: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        training = _check_training(training)
        flag = _static_bool(training)
        if flag is False:
            return control_ops.identity(inputs)
        dropped = _nn().dropout(
            inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self.seed
        )
        if flag is True:
            return dropped
        return _select(training, dropped, inputs)


def dropout(
    inputs: Any,
    rate: float = 0.5,
    noise_shape: Any = None,
    seed: int | None = None,
    training: Any = False,
    name: str | None = None,
) -> Tensor:
    """Randomly zeroes a fraction `rate` of the inputs and scales the rest by 1 / (1 - rate),
    when `training` (a Python bool or a bool Tensor, e.g. a placeholder fed per run).

    Example:
        >>> h = tf.ones([2, 3])
        >>> is_training = tf.placeholder(tf.bool, [])
        >>> h = tf.layers.dropout(h, rate=0.3, training=is_training)
        >>> sess = tf.Session()
        >>> sess.run(h, {is_training: False})   # the identity when not training
        array([[1., 1., 1.],
               [1., 1., 1.]], dtype=float32)
    """
    return Dropout(rate, noise_shape, seed, name)(inputs, training=training)


__all__ = ["Dense", "Flatten", "Dropout", "dense", "flatten", "dropout", "l2_regularizer"]
