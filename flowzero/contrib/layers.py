"""tf.contrib.layers: regularizers, initializers, flatten and fully_connected (TF1 semantics).

Composites of public ops only (no kernels here), as flowzero/layers.py.

Example:
    >>> reg = tf.contrib.layers.l2_regularizer(1e-4)
    >>> w = tf.get_variable("w", [784, 10], regularizer=reg,
    ...                     initializer=tf.contrib.layers.xavier_initializer())
    >>> tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)  # [scale * sum(w**2) / 2]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import (
    GraphKeys,
    Tensor,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from flowzero.ops import array_ops, math_ops, reduction_ops, unary_ops

Regularizer = Callable[[Any], Any]


# -- regularizers ------------------------------------------------------------------------------
def _check_scale(scale: Any) -> bool:
    """Validates `scale` as TF does; True when it is 0 (the regularizer is disabled)."""
    if isinstance(scale, numbers.Integral) and not isinstance(scale, bool):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}.")
        return scale == 0.0
    return False


def _scaled(scale: Any, value: Tensor, weights: Tensor, name: str) -> Tensor:
    my_scale = convert_to_tensor(scale, dtype=weights.dtype, name="scale")
    return math_ops.multiply(my_scale, value, name=name)


def l2_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """A regularizer `fn(weights) = scale * sum(weights ** 2) / 2` (TF's scale * l2_loss).

    Args:
        scale: a non-negative float; 0 disables the regularizer (the function returns None,
            which get_variable ignores).
        scope: name scope of the loss ops (default "l2_regularizer").

    Raises:
        ValueError: `scale` is an integer or negative.
    """
    if _check_scale(scale):
        return lambda _: None

    def l2(weights: Any) -> Tensor:
        w = convert_to_tensor(weights)
        with name_scope(scope, "l2_regularizer") as name:
            from flowzero.ops import nn_ops

            return _scaled(scale, nn_ops.l2_loss(w), w, name)

    return l2


def l1_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """A regularizer `fn(weights) = scale * sum(|weights|)`; 0 disables it (see l2_regularizer).
    """
    if _check_scale(scale):
        return lambda _: None

    def l1(weights: Any) -> Tensor:
        w = convert_to_tensor(weights)
        with name_scope(scope, "l1_regularizer") as name:
            total = reduction_ops.reduce_sum(unary_ops.abs(w))
            return _scaled(scale, total, w, name)

    return l1


def l1_l2_regularizer(scale_l1: float = 1.0, scale_l2: float = 1.0,
                      scope: str | None = None) -> Regularizer:
    """The sum of l1_regularizer(scale_l1) and l2_regularizer(scale_l2)."""
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def sum_regularizer(regularizer_list: list[Regularizer | None],
                    scope: str | None = None) -> Regularizer:
    """A regularizer that adds up the (non-None) results of `regularizer_list`."""
    regs = [r for r in regularizer_list if r is not None]
    if not regs:
        return lambda _: None

    def total(weights: Any) -> Tensor | None:
        with name_scope(scope, "sum_regularizer") as name:
            parts = [p for p in (r(weights) for r in regs) if p is not None]
            if not parts:
                return None
            if len(parts) == 1:
                return parts[0]
            return math_ops.add_n(parts, name=name)

    return total


def apply_regularization(regularizer: Regularizer, weights_list: list[Any] | None = None
                         ) -> Tensor:
    """Sums `regularizer(w)` over `weights_list` (default: the WEIGHTS collection) and adds the
    sum to REGULARIZATION_LOSSES."""
    g = get_default_graph()
    if weights_list is None:
        weights_list = g.get_collection(GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with name_scope("get_regularization_penalty"):
        parts = [p for p in (regularizer(w) for w in weights_list) if p is not None]
        penalty = math_ops.add_n(parts, name="get_regularization_penalty") if parts else \
            array_ops.constant(0.0)
    g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, penalty)
    return penalty


# -- initializers ------------------------------------------------------------------------------
def variance_scaling_initializer(factor: float = 2.0, mode: str = "FAN_IN",
                                 uniform: bool = False, seed: int | None = None,
                                 dtype: Any = dtypes.float32) -> Callable[..., Tensor]:
    """TF contrib's variance scaling: stddev (or limit) from `factor / n`, n = FAN_IN, FAN_OUT
    or FAN_AVG of the shape (conv kernels multiply in the receptive field).

    uniform=True draws from U(-sqrt(3 * factor / n), +sqrt(3 * factor / n)); otherwise from a
    normal truncated at two standard deviations with stddev sqrt(1.3 * factor / n) (1.3
    compensates the truncation, as TF contrib). The defaults are He et al. (2015).

    Raises:
        TypeError: a non-floating dtype or an unknown mode.
    """
    dt = dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")

    def _initializer(shape: Any, dtype: Any = dt, partition_info: Any = None) -> Tensor:
        from flowzero.ops import random_ops

        d = dtypes.as_dtype(dtype)
        if not d.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        dims = [int(s) for s in (shape.as_list() if hasattr(shape, "as_list") else shape)]
        if dims:
            fan_in = float(dims[-2]) if len(dims) > 1 else float(dims[-1])
            fan_out = float(dims[-1])
        else:
            fan_in = fan_out = 1.0
        for s in dims[:-2]:
            fan_in *= float(s)
            fan_out *= float(s)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return random_ops.random_uniform(dims, -limit, limit, d, seed=seed)
        stddev = math.sqrt(1.3 * factor / n)
        return random_ops.truncated_normal(dims, 0.0, stddev, d, seed=seed)

    return _initializer


def xavier_initializer(uniform: bool = True, seed: int | None = None,
                       dtype: Any = dtypes.float32) -> Callable[..., Tensor]:
    """Glorot & Bengio (2010): variance scaling with factor 1 over FAN_AVG (uniform by
    default: U(-sqrt(6 / (fan_in + fan_out)), +sqrt(6 / (fan_in + fan_out))))."""
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer


# -- layers ------------------------------------------------------------------------------------
def flatten(inputs: Any, outputs_collections: Any = None, scope: str | None = None) -> Tensor:
    """Flattens `inputs` to [batch_size, k], keeping the batch dimension (scope "Flatten")."""
    from flowzero.layers.core import _flatten_tensor

    x = convert_to_tensor(inputs)
    with name_scope(scope, "Flatten"):
        out = _flatten_tensor(x)
    _collect(outputs_collections, out)
    return out


def fully_connected(inputs: Any, num_outputs: int, activation_fn: Any = "relu",
                    normalizer_fn: Any = None, normalizer_params: Any = None,
                    weights_initializer: Any = None, weights_regularizer: Any = None,
                    biases_initializer: Any = "zeros", biases_regularizer: Any = None,
                    reuse: Any = None, variables_collections: Any = None,
                    outputs_collections: Any = None, trainable: bool = True,
                    scope: str | None = None) -> Tensor:
    """contrib's dense layer: variables `fully_connected/weights` and `.../biases` (also in
    MODEL_VARIABLES), activation tf.nn.relu by default (pass None for a linear layer).

    `biases_initializer=None` (or a normalizer_fn) drops the bias, as TF.
    """
    from flowzero.layers.base import _bias_add
    from flowzero.layers.core import _dense_matmul
    from flowzero.variables import get_variable, variable_scope, zeros_initializer

    if activation_fn == "relu":
        from flowzero.ops import activation_ops

        activation_fn = activation_ops.relu
    if biases_initializer == "zeros":
        biases_initializer = zeros_initializer()
    x = convert_to_tensor(inputs)
    in_dim = x.shape[-1].value if x.shape.ndims else None
    if in_dim is None:
        raise ValueError(f"fully_connected: the last dimension of the inputs must be defined; "
                         f"got inputs of shape {x.shape}.")
    cols = _var_collections(variables_collections)
    with variable_scope(scope, default_name="fully_connected", reuse=reuse) as sc:
        w = get_variable("weights", [in_dim, num_outputs], dtype=x.dtype,
                         initializer=weights_initializer or xavier_initializer(),
                         regularizer=weights_regularizer, trainable=trainable,
                         collections=cols)
        out = _dense_matmul(x, w, num_outputs)
        if normalizer_fn is not None:
            out = normalizer_fn(out, **(normalizer_params or {}))
        elif biases_initializer is not None:
            b = get_variable("biases", [num_outputs], dtype=x.dtype,
                             initializer=biases_initializer, regularizer=biases_regularizer,
                             trainable=trainable, collections=cols)
            out = _bias_add(out, b)
        if activation_fn is not None:
            out = activation_fn(out)
    _collect(outputs_collections, out, alias=sc.original_name_scope)
    return out


def _var_collections(extra: Any) -> list[str]:
    cols = [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    if isinstance(extra, str):
        cols.append(extra)
    elif extra is not None:
        cols.extend(extra)
    return cols


def _collect(collections: Any, value: Tensor, alias: str | None = None) -> None:
    if collections is None:
        return
    g = get_default_graph()
    for c in [collections] if isinstance(collections, str) else collections:
        g.add_to_collection(c, value)


__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer",
           "apply_regularization", "variance_scaling_initializer", "xavier_initializer",
           "xavier_initializer_conv2d", "flatten", "fully_connected"]
