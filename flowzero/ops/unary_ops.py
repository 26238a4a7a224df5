"""Elementwise functions of one tensor: negative, abs, sign, square, sqrt, rsqrt, reciprocal,
exp, expm1, log, log1p, sin, cos, floor, ceil, round."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import register_op
from flowzero.ops.common import UnaryOp, _quiet, _unary
from flowzero.ops.division_ops import realdiv


# -- negative ----------------------------------------------------------------------------------
@register_op("Neg")
class Neg(UnaryOp):
    """y = -x."""

    kinds = "fiuc"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.negative(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [negative(dy)]


def negative(x: Any, name: str | None = None) -> Tensor:
    """-x elementwise.

    Args:
        x: a numeric Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return apply_op(Neg, [x], name=name)


# -- elementwise functions ---------------------------------------------------------------------
@register_op("Abs")
class Abs(UnaryOp):
    """y = |x|."""

    kinds = "fi"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * sign(op.inputs[0])]


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """|x| elementwise (for a float or signed integer tensor).

    Example:
        >>> tf.abs(tf.constant([-1.5, 2.]))   # -> [1.5, 2.]
    """
    return _unary(Abs, x, name)


@register_op("Sign")
class Sign(UnaryOp):
    """y = -1 if x < 0, 0 if x == 0, 1 if x > 0."""

    kinds = "fi"
    differentiable = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.sign(x)


def sign(x: Any, name: str | None = None) -> Tensor:
    """The sign of x elementwise (-1, 0 or 1, in x's dtype; NaN stays NaN).

    Args:
        x: a float or signed integer Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Sign, x, name)


@register_op("Square")
class Square(UnaryOp):
    """y = x * x."""

    kinds = "fi"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.square(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * (op.inputs[0] * 2)]


def square(x: Any, name: str | None = None) -> Tensor:
    """x * x elementwise.

    Args:
        x: a float or signed integer Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Square, x, name)


@register_op("Sqrt")
class Sqrt(UnaryOp):
    """y = sqrt(x)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.sqrt(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [realdiv(dy * 0.5, op.outputs[0])]


def sqrt(x: Any, name: str | None = None) -> Tensor:
    """Square root elementwise (NaN for negative x, as in TF).

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.

    Example:
        >>> tf.sqrt(tf.constant([4., 9.]))   # -> [2., 3.]
    """
    return _unary(Sqrt, x, name)


@register_op("Rsqrt")
class Rsqrt(UnaryOp):
    """y = 1 / sqrt(x)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.reciprocal(np.sqrt(x))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y = op.outputs[0]
        return [dy * (square(y) * y) * -0.5]


def rsqrt(x: Any, name: str | None = None) -> Tensor:
    """1 / sqrt(x) elementwise.

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Rsqrt, x, name)


@register_op("Reciprocal")
class Reciprocal(UnaryOp):
    """y = 1 / x."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.reciprocal(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [negative(dy * square(op.outputs[0]))]


def reciprocal(x: Any, name: str | None = None) -> Tensor:
    """1 / x elementwise, for a floating-point tensor (TF 0.x name: `tf.inv`).

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Reciprocal, x, name)


inv = reciprocal


@register_op("Exp")
class Exp(UnaryOp):
    """y = e ** x."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.exp(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * op.outputs[0]]


def exp(x: Any, name: str | None = None) -> Tensor:
    """e ** x elementwise.

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Exp, x, name)


@register_op("Expm1")
class Expm1(UnaryOp):
    """y = e ** x - 1 (accurate near 0)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.expm1(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * exp(op.inputs[0])]


def expm1(x: Any, name: str | None = None) -> Tensor:
    """exp(x) - 1 elementwise, accurate for small x.

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Expm1, x, name)


@register_op("Log")
class Log(UnaryOp):
    """y = ln(x)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.log(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [realdiv(dy, op.inputs[0])]


def log(x: Any, name: str | None = None) -> Tensor:
    """Natural logarithm elementwise (-inf at 0, NaN below, as in TF).

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Log, x, name)


@register_op("Log1p")
class Log1p(UnaryOp):
    """y = ln(1 + x) (accurate near 0)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.log1p(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [realdiv(dy, op.inputs[0] + 1)]


def log1p(x: Any, name: str | None = None) -> Tensor:
    """log(1 + x) elementwise, accurate for small x.

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Log1p, x, name)


@register_op("Sin")
class Sin(UnaryOp):
    """y = sin(x)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.sin(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * cos(op.inputs[0])]


def sin(x: Any, name: str | None = None) -> Tensor:
    """Sine elementwise (radians).

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Sin, x, name)


@register_op("Cos")
class Cos(UnaryOp):
    """y = cos(x)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.cos(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [negative(dy * sin(op.inputs[0]))]


def cos(x: Any, name: str | None = None) -> Tensor:
    """Cosine elementwise (radians).

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Cos, x, name)


@register_op("Floor")
class Floor(UnaryOp):
    """y = the largest integer <= x (as a float)."""

    kinds = "f"
    differentiable = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.floor(x)


def floor(x: Any, name: str | None = None) -> Tensor:
    """Rounds down elementwise, keeping the floating-point dtype.

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Floor, x, name)


@register_op("Ceil")
class Ceil(UnaryOp):
    """y = the smallest integer >= x (as a float)."""

    kinds = "f"
    differentiable = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.ceil(x)


def ceil(x: Any, name: str | None = None) -> Tensor:
    """Rounds up elementwise, keeping the floating-point dtype.

    Args:
        x: a floating-point Tensor (or convertible value).
        name: optional node name.

    Returns:
        A Tensor of x's shape and dtype.
    """
    return _unary(Ceil, x, name)


@register_op("Round")
class Round(UnaryOp):
    """y = x rounded to the nearest integer, halves to even (banker's rounding)."""

    kinds = "fi"
    differentiable = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.round(x)


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """Rounds to the nearest integer elementwise; halves go to the even one, as TF.

    Example:
        >>> tf.round(tf.constant([0.5, 1.5, 2.5, -0.5]))   # -> [0., 2., 2., -0.]
    """
    return _unary(Round, x, name)


__all__ = [
    "negative", "abs", "sign", "square", "sqrt", "rsqrt", "reciprocal", "inv", "exp", "expm1",
    "log", "log1p", "sin", "cos", "floor", "ceil", "round",
]
