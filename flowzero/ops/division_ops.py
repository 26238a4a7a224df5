"""Division ops: realdiv, truediv/divide, div, floordiv, floormod, truncatediv, truncatemod.

Integer division by zero is an error, as in TF; floating division by zero is inf/NaN, silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import register_op
from flowzero.ops.cast_ops import cast
from flowzero.ops.common import BinaryOp, _binary, _quiet, binary_operands


class _IntDivision(BinaryOp):
    """Base of the division family: integer division by zero is an error, as in TF."""

    def _check_divisor(self, y: np.ndarray) -> None:
        y = np.asarray(y)
        if y.dtype.kind in "iu" and not np.all(y):
            raise self.error(
                "integer division by zero; got a zero in y. Mask or offset the "
                "divisor, or cast both operands to float."
            )


@register_op("RealDiv")
class RealDiv(BinaryOp):
    """z = x / y (floating point)."""

    kinds = "fc"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.true_divide(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # Tensor operators (bound by math_ops) keep this module below math_ops and unary_ops.
        x, y = op.inputs
        return [realdiv(dy, y), -(dy * realdiv(realdiv(x, y), y))]


def realdiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y elementwise for floating-point tensors (no integer conversion).

    Args:
        x: a floating-point Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(RealDiv, x, y, name)


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y, casting integer inputs to float first (int8/16 -> float32, int32/64 -> float64).

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.constant(7) / 2))  # float64 3.5, as TF (the `/` operator)
        3.5
    """
    x, y = binary_operands(x, y, "truediv")
    if x.dtype.is_integer and x.dtype is y.dtype:
        target = dtypes.float32 if x.dtype.size <= 2 else dtypes.float64
        x, y = cast(x, target), cast(y, target)
    return apply_op(RealDiv, [x, y], name=name or "truediv")


@register_op("FloorDiv")
class FloorDiv(_IntDivision):
    """z = floor(x / y) (Python's //)."""

    kinds = "fiu"
    differentiable = False  # piecewise constant (TF returns None for both inputs)

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self._check_divisor(y)
        with _quiet():
            return np.floor_divide(x, y)


def floordiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x // y elementwise: division rounded toward negative infinity (Python semantics).

    Args:
        x: a numeric Tensor (or convertible value).
        y: a Tensor of the same dtype, broadcast-compatible with x.
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.

    Raises:
        InvalidArgumentError: at run time, on an integer division by zero.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.floordiv(tf.constant([7, -7]), 2))
        array([ 3, -4], dtype=int32)
    """
    return _binary(FloorDiv, x, y, name)


floor_div = floordiv


def div(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y with Python 2 semantics (TF 0.x/1.x `tf.div`).

    Floor division for integer inputs, true division for floating-point ones.

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.div(tf.constant(-7), 2)), sess.run(tf.div(tf.constant(-7.), 2.)))
        -4 -3.5
    """
    x, y = binary_operands(x, y, "div")
    if x.dtype.is_floating or x.dtype.is_complex:
        return apply_op(RealDiv, [x, y], name=name or "div")
    return apply_op(FloorDiv, [x, y], name=name or "div")


@register_op("FloorMod")
class FloorMod(_IntDivision):
    """z = x - floor(x / y) * y (Python's %; the result has the sign of y)."""

    kinds = "fiu"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self._check_divisor(y)
        with _quiet():
            return np.mod(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs
        return [dy, -dy * floordiv(x, y)]


def floormod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x % y elementwise with Python semantics (the result takes the sign of y).

    Args:
        x: a numeric Tensor (or convertible value).
        y: a Tensor of the same dtype, broadcast-compatible with x.
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.mod(tf.constant([7, -7]), 3))
        array([1, 2], dtype=int32)
    """
    return _binary(FloorMod, x, y, name)


mod = floormod


@register_op("TruncateDiv")
class TruncateDiv(_IntDivision):
    """z = trunc(x / y) for integers (C semantics: rounds toward zero)."""

    kinds = "iu"
    differentiable = False

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self._check_divisor(y)
        q = np.floor_divide(x, y)
        # floor and trunc differ by one where the remainder is nonzero and the signs differ
        fix = (np.mod(x, y) != 0) & ((np.asarray(x) < 0) != (np.asarray(y) < 0))
        return np.add(q, fix, dtype=q.dtype)


def truncatediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Integer x / y rounded toward zero (C semantics), e.g. -7 / 2 -> -3.

    Args:
        x: an integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(TruncateDiv, x, y, name)


@register_op("TruncateMod")
class TruncateMod(_IntDivision):
    """z = x - trunc(x / y) * y for integers (C's %; the result has the sign of x)."""

    kinds = "iu"
    differentiable = False

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        self._check_divisor(y)
        return np.fmod(x, y)


def truncatemod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Integer remainder with C semantics (the sign of x), e.g. -7 % 3 -> -1.

    Args:
        x: an integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(TruncateMod, x, y, name)


divide = truediv

__all__ = [
    "realdiv",
    "truediv",
    "divide",
    "div",
    "floordiv",
    "floor_div",
    "floormod",
    "mod",
    "truncatediv",
    "truncatemod",
]
