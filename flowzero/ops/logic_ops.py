"""Comparison and logical ops: equal, not_equal, less, less_equal, greater, greater_equal,
logical_and, logical_or, logical_not, logical_xor (bool results, never differentiable)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops.common import BinaryOp, UnaryOp, _binary, _unary, binary_operands


# -- comparisons -------------------------------------------------------------------------------
class _Compare(BinaryOp):
    """z = x <op> y elementwise, a bool tensor of the broadcast shape."""

    kinds = "fiu"
    out_dtype = dtypes.bool
    differentiable = False


@register_op("Equal")
class Equal(_Compare):
    """z = (x == y)."""

    kinds = None

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(np.equal(x, y), dtype=bool)


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x == y elementwise, as a bool tensor (the `==` operator compares tensor identity).

    Args:
        x: a Tensor of any dtype (or convertible value).
        y: a Tensor of the same dtype, broadcast-compatible with x.
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.

    Example:
        >>> tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))   # correct predictions
    """
    return _binary(Equal, x, y, name)


@register_op("NotEqual")
class NotEqual(_Compare):
    """z = (x != y)."""

    kinds = None

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(np.not_equal(x, y), dtype=bool)


def not_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x != y elementwise, as a bool tensor.

    Args:
        x: a Tensor of any dtype (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.
    """
    return _binary(NotEqual, x, y, name)


@register_op("Less")
class Less(_Compare):
    """z = (x < y)."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.less(x, y)


def less(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x < y elementwise, as a bool tensor (also the `<` operator).

    Args:
        x: a float or integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.
    """
    return _binary(Less, x, y, name)


@register_op("LessEqual")
class LessEqual(_Compare):
    """z = (x <= y)."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.less_equal(x, y)


def less_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x <= y elementwise, as a bool tensor (also the `<=` operator).

    Args:
        x: a float or integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.
    """
    return _binary(LessEqual, x, y, name)


@register_op("Greater")
class Greater(_Compare):
    """z = (x > y)."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.greater(x, y)


def greater(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x > y elementwise, as a bool tensor (also the `>` operator).

    Args:
        x: a float or integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.
    """
    return _binary(Greater, x, y, name)


@register_op("GreaterEqual")
class GreaterEqual(_Compare):
    """z = (x >= y)."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.greater_equal(x, y)


def greater_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x >= y elementwise, as a bool tensor (also the `>=` operator).

    Args:
        x: a float or integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.
    """
    return _binary(GreaterEqual, x, y, name)


# -- logic -------------------------------------------------------------------------------------
@register_op("LogicalAnd")
class LogicalAnd(BinaryOp):
    """z = x AND y (bool)."""

    kinds = "b"
    differentiable = False

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.logical_and(x, y)


def logical_and(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x AND y elementwise for bool tensors, with broadcasting (also `x & y`).

    Args:
        x: a bool Tensor (or convertible value).
        y: a bool Tensor, broadcast-compatible with x.
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.
    """
    return _binary(LogicalAnd, x, y, name)


@register_op("LogicalOr")
class LogicalOr(BinaryOp):
    """z = x OR y (bool)."""

    kinds = "b"
    differentiable = False

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.logical_or(x, y)


def logical_or(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x OR y elementwise for bool tensors, with broadcasting (also `x | y`).

    Args:
        x: a bool Tensor (or convertible value).
        y: a bool Tensor, broadcast-compatible with x.
        name: optional node name.

    Returns:
        A bool Tensor of the broadcast shape.
    """
    return _binary(LogicalOr, x, y, name)


@register_op("LogicalNot")
class LogicalNot(UnaryOp):
    """y = NOT x (bool)."""

    kinds = "b"
    differentiable = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.logical_not(x)


def logical_not(x: Any, name: str | None = None) -> Tensor:
    """NOT x elementwise for a bool tensor (also `~x`).

    Args:
        x: a bool Tensor (or convertible value).
        name: optional node name.

    Returns:
        A bool Tensor of x's shape.
    """
    return _unary(LogicalNot, x, name)


def logical_xor(x: Any, y: Any, name: str = "LogicalXor") -> Tensor:
    """x XOR y elementwise for bool tensors (also `x ^ y`); (x | y) & ~(x & y), as TF1.

    Args:
        x: a bool Tensor (or convertible value).
        y: a bool Tensor, broadcast-compatible with x.
        name: name scope (default "LogicalXor").

    Returns:
        A bool Tensor of the broadcast shape.
    """
    x, y = binary_operands(x, y, "LogicalXor")
    with x.graph.name_scope(name):
        return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


__all__ = [
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "logical_xor",
]
