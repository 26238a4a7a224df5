"""The tf.layers base class, Layer, and the argument helpers the layers share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from flowzero.framework.shapes import TensorShape
from flowzero.layers.utils import normalize_data_format, normalize_padding, normalize_tuple
from flowzero.ops import activation_ops, cast_ops, math_ops, reshape_ops
from flowzero.variables import Variable, get_variable, variable_scope, zeros_initializer

_ZEROS = zeros_initializer()  # TF's default bias initializer (stateless, so one is shared)


# -- argument helpers --------------------------------------------------------------------------


def _tuple(value: Any, n: int, what: str) -> tuple[int, ...]:
    """An int or n ints as an n-tuple (TF's normalize_tuple, flowzero/layers/utils.py)."""
    return normalize_tuple(value, n, what)


def _padding(padding: str) -> str:
    """'valid' / 'same' (any case) as the ops' 'VALID' / 'SAME'."""
    return normalize_padding(padding).upper()


def _data_format(data_format: str) -> str:
    """'channels_last' / 'channels_first' as the ops' 'NHWC' / 'NCHW'."""
    return "NHWC" if normalize_data_format(data_format) == "channels_last" else "NCHW"


def _static_bool(flag: Any) -> bool | None:
    """A Python bool when `flag` is known at build time (bool or constant), else None."""
    if isinstance(flag, (bool, np.bool_)):
        return bool(flag)
    if isinstance(flag, Tensor):
        from flowzero.ops.common import static_value

        v = static_value(flag)
        return None if v is None else bool(np.asarray(v))
    if isinstance(flag, Variable):
        return None
    return bool(flag)


def _select(flag: Tensor, if_true: Tensor, if_false: Tensor) -> Tensor:
    """`if_true` where the bool scalar `flag` holds, else `if_false`, as t * c + f * (1 - c):
    exact for c in {0, 1} and finite values, and cheaper than a tf.cond of two tensors that are
    computed anyway. `flag` is reshaped to a scalar, so the result keeps the branches' static
    shape even when `flag` is a placeholder of unknown shape (`tf.placeholder(tf.bool)`), and a
    non-scalar flag is an error when the run feeds it."""
    c = reshape_ops.reshape(cast_ops.cast(flag, if_true.dtype), [], name="training_flag_scalar")
    return math_ops.add(if_true * c, if_false * (1.0 - c), name="cond")


def _check_training(training: Any) -> Any:
    if isinstance(training, (Tensor, Variable)):
        t = convert_to_tensor(training)
        if t.dtype is not dtypes.bool:
            raise TypeError(
                f"`training` must be a Python bool or a bool Tensor; got a "
                f"{t.dtype.name} tensor {t.name}."
            )
        if t.shape.ndims not in (None, 0):
            raise ValueError(
                f"`training` must be a scalar (a Python bool or a bool Tensor of shape []); "
                f"got {t.name} of shape {t.shape}."
            )
        return t
    return training


def _nn() -> Any:
    from flowzero import nn

    return nn


def _bias_add(x: Tensor, bias: Any, data_format: str = "NHWC") -> Tensor:
    nn = _nn()
    return nn.bias_add(x, bias, data_format=data_format, name="BiasAdd")


# -- the base class ----------------------------------------------------------------------------
class Layer:
    """TF1's tf.layers.Layer: a callable owning variables made under its variable scope.

    The first call opens `variable_scope(name, default_name=<layer type>, reuse=reuse)`,
    builds the variables there and remembers the scope; later calls re-enter it with reuse.
    """

    _base_name = "layer"

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
        activity_regularizer: Callable[[Any], Any] | None = None,
        _reuse: Any = None,
        **kwargs: Any,
    ) -> None:
        self.trainable = bool(trainable)
        self._given_name = name
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype)
        self.activity_regularizer = activity_regularizer
        self._reuse = _reuse
        self._scope: Any = None
        self.built = False
        self._trainable_weights: list[Variable] = []
        self._non_trainable_weights: list[Variable] = []
        self._updates: list[Any] = []
        self._losses: list[Tensor] = []

    @property
    def name(self) -> str:
        if self._scope is not None:
            return self._scope.name
        return self._given_name or self._base_name

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def trainable_weights(self) -> list[Variable]:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self) -> list[Variable]:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def updates(self) -> list[Any]:
        return list(self._updates)

    @property
    def losses(self) -> list[Tensor]:
        return list(self._losses)

    def add_weight(
        self,
        name: str,
        shape: Any,
        dtype: Any = None,
        initializer: Any = None,
        regularizer: Any = None,
        trainable: bool = True,
        constraint: Any = None,
    ) -> Variable:
        """get_variable in the layer's scope; tracks it (and its regularization loss)."""
        g = get_default_graph()
        n_before = len(g.get_collection(GraphKeys.REGULARIZATION_LOSSES))
        v = get_variable(
            name,
            shape,
            dtype=dtype or self._dtype,
            initializer=initializer,
            regularizer=regularizer,
            trainable=trainable and self.trainable,
            constraint=constraint,
        )
        (self._trainable_weights if trainable else self._non_trainable_weights).append(v)
        self._losses.extend(g.get_collection(GraphKeys.REGULARIZATION_LOSSES)[n_before:])
        return v

    def add_update(self, update: Any) -> None:
        self._updates.append(update)
        get_default_graph().add_to_collection(GraphKeys.UPDATE_OPS, update)

    def add_loss(self, loss: Tensor) -> None:
        self._losses.append(loss)
        get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)

    def build(self, input_shape: TensorShape) -> None:
        """Creates the variables (subclasses); runs once, inside the layer's scope."""

    def call(self, inputs: Tensor, **kwargs: Any) -> Tensor:
        raise NotImplementedError

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Tensor:
        x = convert_to_tensor(inputs)
        if self._dtype is None:
            self._dtype = x.dtype if x.dtype.is_floating else dtypes.float32
        if self._scope is None:
            scope_cm = variable_scope(
                self._given_name, default_name=self._base_name, reuse=self._reuse
            )
        else:
            scope_cm = variable_scope(self._scope, reuse=True)
        with x.graph.as_default(), scope_cm as scope:
            if self._scope is None:
                self._scope = scope
            if not self.built:
                self.build(x.shape)
                self.built = True
            out = self.call(x, *args, **kwargs)
            if self.activity_regularizer is not None:
                with get_default_graph().name_scope("ActivityRegularizer"):
                    loss = self.activity_regularizer(out)
                if loss is not None:
                    self.add_loss(loss)
        return out

    apply = __call__


class _KernelLayer(Layer):
    """What Dense and the convolution layers share: `activation(op(inputs, kernel) + bias)`,
    with the kernel's and bias's initializer, regularizer and constraint."""

    def __init__(
        self,
        activation: Callable[[Any], Any] | None,
        use_bias: bool,
        kernel_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        kernel_constraint: Any,
        bias_constraint: Any,
        trainable: bool,
        name: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs
        )
        self.activation = activation_ops.resolve(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel: Variable | None = None
        self.bias: Variable | None = None

    def _build_kernel_and_bias(self, kernel_shape: list[int], units: int) -> None:
        """The `kernel` variable, then (with use_bias) `bias` [units]."""
        self.kernel = self.add_weight(
            "kernel",
            kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._build_bias(units)

    def _build_bias(self, units: int) -> None:
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                [units],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _bias_and_activation(self, out: Tensor, data_format: str = "NHWC") -> Tensor:
        if self.bias is not None:
            out = _bias_add(out, self.bias, data_format=data_format)
        return self.activation(out) if self.activation is not None else out


__all__ = ["Layer"]
