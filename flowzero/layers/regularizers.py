"""Weight regularizers (TF1's tf.contrib.layers regularizers, which tf.layers users pass as
`kernel_regularizer`): shared by flowzero.layers and flowzero.contrib.layers, below both.

Example:
    >>> x = tf.placeholder(tf.float32, [None, 784])
    >>> h = tf.layers.dense(x, 100, kernel_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
    >>> loss = tf.reduce_mean(tf.square(h))
    >>> loss += tf.losses.get_regularization_loss()
    >>> tf.losses.get_regularization_losses()
    [<tf.Tensor 'dense/kernel/Regularizer/l2_regularizer:0' shape=() dtype=float32>]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from flowzero.framework import graph as _graph
from flowzero.framework.graph import GraphKeys, Tensor, convert_to_tensor, name_scope
from flowzero.ops import array_ops, math_ops, nn_ops, reduction_ops, unary_ops

Regularizer = Callable[[Any], Any]


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
            return _scaled(scale, nn_ops.l2_loss(w), w, name)

    return l2


def l1_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """A regularizer `fn(weights) = scale * sum(|weights|)`; 0 disables it (see l2_regularizer)."""
    if _check_scale(scale):
        return lambda _: None

    def l1(weights: Any) -> Tensor:
        w = convert_to_tensor(weights)
        with name_scope(scope, "l1_regularizer") as name:
            total = reduction_ops.reduce_sum(unary_ops.abs(w))
            return _scaled(scale, total, w, name)

    return l1


def l1_l2_regularizer(
    scale_l1: float = 1.0, scale_l2: float = 1.0, scope: str | None = None
) -> Regularizer:
    """The sum of l1_regularizer(scale_l1) and l2_regularizer(scale_l2)."""
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def sum_regularizer(
    regularizer_list: list[Regularizer | None], scope: str | None = None
) -> Regularizer:
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


def apply_regularization(regularizer: Regularizer, weights_list: list[Any] | None = None) -> Tensor:
    """Sums `regularizer(w)` over `weights_list` (default: the WEIGHTS collection) and adds the
    sum to REGULARIZATION_LOSSES."""
    g = _graph.get_default_graph()
    if weights_list is None:
        weights_list = g.get_collection(GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with name_scope("get_regularization_penalty"):
        parts = [p for p in (regularizer(w) for w in weights_list) if p is not None]
        penalty = (
            math_ops.add_n(parts, name="get_regularization_penalty")
            if parts
            else array_ops.constant(0.0)
        )
    g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, penalty)
    return penalty
