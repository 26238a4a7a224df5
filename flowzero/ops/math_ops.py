"""Math ops: binary arithmetic with broadcasting (add, subtract, multiply, pow, maximum, ...),
add_n, and the Python operators on Tensor.

The other math families live beside it: division_ops, unary_ops (abs, exp, log, ...), logic_ops
(comparisons and logical ops), cast_ops (casts and clipping) and linalg_ops (matmul, tensordot).
This module installs the Python operators on Tensor (+ - * / // % ** @, unary -, abs, ~, & | ^
and the ordering comparisons), so the graph layer itself knows nothing about arithmetic.

NOTE: every kernel returns exactly the dtype its `infer` promised: inputs of one op share a dtype
(Python scalars are converted to the tensor's dtype by `binary_operands`), so NumPy never
promotes. Floating kernels run under `np.errstate(all="ignore")`: as in TF, log(-1) is NaN and
1/0 is inf, silently. Integer division by zero is an error, as in TF.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops import cast_ops, unary_ops
from flowzero.ops.cast_ops import _mask
from flowzero.ops.common import BinaryOp, DTypeError, _binary, _quiet, binary_operands
from flowzero.ops.division_ops import floordiv, floormod, truediv
from flowzero.ops.linalg_ops import matmul
from flowzero.ops.logic_ops import (
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
)
from flowzero.ops.unary_ops import log, negative


# -- arithmetic --------------------------------------------------------------------------------
@register_op("Add")
class Add(BinaryOp):
    """z = x + y."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.add(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, dy]


def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x + y elementwise, with broadcasting.

    Args:
        x: a numeric Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(Add, x, y, name)


@register_op("Sub")
class Sub(BinaryOp):
    """z = x - y."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.subtract(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, negative(dy)]


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x - y elementwise, with broadcasting.

    Args:
        x: a numeric Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(Sub, x, y, name)


@register_op("Mul")
class Mul(BinaryOp):
    """z = x * y."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.multiply(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs
        if dy.dtype.is_complex:  # TF's convention for complex values: dy * conj(y)
            from flowzero.ops.complex_ops import conj

            return [multiply(dy, conj(y)), multiply(conj(x), dy)]
        return [multiply(dy, y), multiply(x, dy)]


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x * y elementwise, with broadcasting.

    Args:
        x: a numeric Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(Mul, x, y, name)


def scalar_mul(scalar: Any, x: Any, name: str | None = None) -> Tensor:
    """Multiplies the tensor `x` by a scalar.

    Args:
        scalar: a 0-d Tensor or Python number (converted to x's dtype).
        x: a Tensor.
        name: optional node name.

    Returns:
        scalar * x, of x's shape and dtype.

    Raises:
        ValueError: `scalar` is not 0-d.
    """
    scalar, x = binary_operands(scalar, x, "scalar_mul")
    if scalar.shape.ndims != 0:
        raise ValueError(
            f"scalar_mul: only scalar multiply works; got scalar of shape "
            f"{scalar.shape}. Use tf.multiply for elementwise products."
        )
    return multiply(scalar, x, name=name)


@register_op("Pow")
class Pow(BinaryOp):
    """z = x ** y."""

    kinds = "fi"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if np.asarray(y).dtype.kind in "iu" and np.any(np.asarray(y) < 0):
            raise self.error(
                "integers to negative integer powers are not allowed; got a "
                "negative y. Cast x and y to float."
            )
        with _quiet():
            return np.power(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs
        if not x.dtype.is_floating:
            return [None, None]
        z = op.outputs[0]
        dx = dy * y * pow(x, y - 1)
        # NOTE: dz/dy = z * log(x) only where x > 0; TF defines it as 0 elsewhere. log(1) = 0,
        # so taking the log of x with the other entries replaced by 1 avoids NaN (and where).
        m = _mask(greater(x, 0), x.dtype)
        log_x = log(x * m + (1 - m))
        return [dx, dy * z * log_x]


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """x ** y elementwise, with broadcasting.

    Args:
        x: a float or integer Tensor (or convertible value).
        y: the exponent, of x's dtype (a Python number is converted to it).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.

    Raises:
        InvalidArgumentError: at run time, an integer x raised to a negative integer power.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.pow(tf.constant([2., 3.]), 2.))
        array([4., 9.], dtype=float32)
    """
    return _binary(Pow, x, y, name)


@register_op("SquaredDifference")
class SquaredDifference(BinaryOp):
    """z = (x - y) ** 2."""

    kinds = "fi"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.square(np.subtract(x, y))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs
        d = dy * ((x - y) * 2)
        return [d, negative(d)]


def squared_difference(x: Any, y: Any, name: str | None = None) -> Tensor:
    """(x - y) ** 2 elementwise, with broadcasting.

    Args:
        x: a float or signed integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(SquaredDifference, x, y, name)


@register_op("Maximum")
class Maximum(BinaryOp):
    """z = max(x, y)."""

    kinds = "fiu"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.maximum(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs
        m = _mask(greater_equal(x, y), dy.dtype)  # ties go to x, as in TF
        return [dy * m, dy * (1 - m)]


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """max(x, y) elementwise, with broadcasting (the gradient goes to x on ties).

    Args:
        x: a float or integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(Maximum, x, y, name)


@register_op("Minimum")
class Minimum(BinaryOp):
    """z = min(x, y)."""

    kinds = "fiu"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.minimum(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs
        m = _mask(less_equal(x, y), dy.dtype)  # ties go to x, as in TF
        return [dy * m, dy * (1 - m)]


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """min(x, y) elementwise, with broadcasting (the gradient goes to x on ties).

    Args:
        x: a float or integer Tensor (or convertible value).
        y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's dtype).
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.
    """
    return _binary(Minimum, x, y, name)


@register_op("AddN")
class AddN(OpDef):
    """y = x_1 + x_2 + ... + x_n (same shapes and dtypes)."""

    def infer(self, *xs: Tensor) -> TensorSpec:
        if not xs:
            raise self.error("needs at least one input.")
        shape = xs[0].shape
        for i, x in enumerate(xs[1:], 1):
            if x.dtype is not xs[0].dtype:
                raise self.error(
                    f"all inputs must have the same dtype; got inputs[0]: "
                    f"{xs[0].dtype.name}, inputs[{i}]: {x.dtype.name}.",
                    cls=DTypeError,
                )
            if not shape.is_compatible_with(x.shape):
                raise self.error(
                    f"all inputs must have the same shape; got inputs[0]: "
                    f"{xs[0].shape}, inputs[{i}]: {x.shape}."
                )
            shape = shape.merge_with(x.shape)
        return spec(shape, xs[0].dtype)

    def compute(self, *xs: np.ndarray) -> np.ndarray:
        out = np.add(xs[0], xs[1]) if len(xs) > 1 else np.array(xs[0], copy=True)
        for x in xs[2:]:
            out += x
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy] * len(op.inputs)


def add_n(inputs: list[Any], name: str | None = None) -> Tensor:
    """Sums a list of tensors of the same shape and dtype.

    Args:
        inputs: a non-empty list of Tensors, all of one shape and dtype.
        name: optional node name.

    Returns:
        A Tensor of that shape and dtype.

    Raises:
        ValueError: `inputs` is not a non-empty list.
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors.")
    return apply_op(AddN, list(inputs), name=name)


# -- Python operators on Tensor ----------------------------------------------------------------
def _r(fn: Any) -> Any:
    return lambda self, other: fn(other, self)


def _install_operators() -> None:
    ops: dict[str, Any] = {
        "__add__": add,
        "__radd__": _r(add),
        "__sub__": subtract,
        "__rsub__": _r(subtract),
        "__mul__": multiply,
        "__rmul__": _r(multiply),
        "__truediv__": truediv,
        "__rtruediv__": _r(truediv),
        "__floordiv__": floordiv,
        "__rfloordiv__": _r(floordiv),
        "__mod__": floormod,
        "__rmod__": _r(floormod),
        "__pow__": pow,
        "__rpow__": _r(pow),
        "__matmul__": matmul,
        "__rmatmul__": _r(matmul),
        "__neg__": negative,
        "__abs__": unary_ops.abs,
        # NOTE: not __eq__/__ne__, which compare identity (tensors are dict keys in feeds).
        "__lt__": less,
        "__le__": less_equal,
        "__gt__": greater,
        "__ge__": greater_equal,
        "__and__": logical_and,
        "__rand__": _r(logical_and),
        "__or__": logical_or,
        "__ror__": _r(logical_or),
        "__xor__": logical_xor,
        "__rxor__": _r(logical_xor),
        "__invert__": logical_not,
    }
    for k, v in ops.items():
        setattr(Tensor, k, v)


_install_operators()

sub = subtract
mul = multiply
neg = negative


# -- a cast that clamps first ---------------------------------------------------------------
def saturate_cast(value: Any, dtype: Any, name: str | None = None) -> Tensor:
    """Casts to `dtype`, first clamping values to its range (no integer wrap-around).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.saturate_cast(tf.constant([300., -5.]), tf.uint8))
        array([255,   0], dtype=uint8)
    """
    dst = dtypes.as_dtype(dtype)
    with graph_of([value], "saturate_cast").as_default():
        value = convert_to_tensor(value)
    src = value.dtype
    if src.is_numeric and dst.is_numeric and not src.is_complex and not dst.is_complex:
        with value.graph.name_scope(name or "saturate_cast"):
            lo, hi = np.array(dst.min).astype(src.np), np.array(dst.max).astype(src.np)
            if src.is_floating:
                # NOTE: float32(int32.max) rounds up past the range; step back below it.
                if float(hi) > float(dst.max):
                    hi = np.nextafter(hi, np.array(0, src.np))
                if float(lo) < float(dst.min):
                    lo = np.nextafter(lo, np.array(0, src.np))
            if float(src.min) < float(dst.min):
                value = maximum(value, lo)
            if float(src.max) > float(dst.max):
                value = minimum(value, hi)
    return cast_ops.cast(value, dst, name=name)


__all__ = [
    "add",
    "subtract",
    "multiply",
    "scalar_mul",
    "pow",
    "squared_difference",
    "maximum",
    "minimum",
    "add_n",
    "saturate_cast",
    # TF 0.x aliases
    "sub",
    "mul",
    "neg",
]
