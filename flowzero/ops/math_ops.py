"""Math ops: elementwise arithmetic with broadcasting, comparisons, logic, matmul, casts.

Also installs the Python operators on Tensor (+ - * / // % ** @, unary -, abs, ~, & | ^ and the
ordering comparisons), so the graph layer itself knows nothing about arithmetic.

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
from flowzero.framework.shapes import TensorShape, broadcast_shapes
from flowzero.ops.common import BinaryOp, TypeError_, UnaryOp, binary_operands


def _binary(cls: type[OpDef], x: Any, y: Any, name: str | None) -> Tensor:
    x, y = binary_operands(x, y, cls.type)
    return apply_op(cls, [x, y], name=name)


def _unary(cls: type[OpDef], x: Any, name: str | None) -> Tensor:
    return apply_op(cls, [x], name=name)


def _quiet() -> Any:
    # A fresh errstate per call: one shared instance is not safe across threads in NumPy 2.
    return np.errstate(all="ignore")


def _mask(cond: Tensor, dtype: dtypes.DType) -> Tensor:
    """1 where `cond` holds, else 0, in `dtype` (selects gradient entries without `where`)."""
    return cast(cond, dtype)


class _IntDivision(BinaryOp):
    """Base of the division family: integer division by zero is an error, as in TF."""

    def _check_divisor(self, y: np.ndarray) -> None:
        y = np.asarray(y)
        if y.dtype.kind in "iu" and not np.all(y):
            raise self.error("integer division by zero; got a zero in y. Mask or offset the "
                             "divisor, or cast both operands to float.")


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
        raise ValueError(f"scalar_mul: only scalar multiply works; got scalar of shape "
                         f"{scalar.shape}. Use tf.multiply for elementwise products.")
    return multiply(scalar, x, name=name)


@register_op("RealDiv")
class RealDiv(BinaryOp):
    """z = x / y (floating point)."""

    kinds = "fc"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.true_divide(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs
        return [realdiv(dy, y), negative(multiply(dy, realdiv(realdiv(x, y), y)))]


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
        >>> tf.constant(7) / 2   # float64 3.5, as TF (the `/` operator)
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
        >>> tf.floordiv(tf.constant([7, -7]), 2)   # -> [3, -4]
    """
    return _binary(FloorDiv, x, y, name)


floor_div = floordiv


def div(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y with Python 2 semantics (TF 0.x/1.x `tf.div`).

    Floor division for integer inputs, true division for floating-point ones.

    Example:
        >>> tf.div(tf.constant(-7), 2), tf.div(tf.constant(-7.), 2.)   # -> -4, -3.5
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
        return [dy, negative(dy) * floordiv(x, y)]


def floormod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x % y elementwise with Python semantics (the result takes the sign of y).

    Args:
        x: a numeric Tensor (or convertible value).
        y: a Tensor of the same dtype, broadcast-compatible with x.
        name: optional node name.

    Returns:
        A Tensor of the broadcast shape and x's dtype.

    Example:
        >>> tf.mod(tf.constant([7, -7]), 3)   # -> [1, 2]
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


@register_op("Pow")
class Pow(BinaryOp):
    """z = x ** y."""

    kinds = "fi"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if np.asarray(y).dtype.kind in "iu" and np.any(np.asarray(y) < 0):
            raise self.error("integers to negative integer powers are not allowed; got a "
                             "negative y. Cast x and y to float.")
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
        >>> tf.pow(tf.constant([2., 3.]), 2.)   # -> [4., 9.]
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


@register_op("AddN")
class AddN(OpDef):
    """y = x_1 + x_2 + ... + x_n (same shapes and dtypes)."""

    def infer(self, *xs: Tensor) -> TensorSpec:
        if not xs:
            raise self.error("needs at least one input.")
        shape = xs[0].shape
        for i, x in enumerate(xs[1:], 1):
            if x.dtype is not xs[0].dtype:
                raise self.error(f"all inputs must have the same dtype; got inputs[0]: "
                                 f"{xs[0].dtype.name}, inputs[{i}]: {x.dtype.name}.",
                                 cls=TypeError_)
            if not shape.is_compatible_with(x.shape):
                raise self.error(f"all inputs must have the same shape; got inputs[0]: "
                                 f"{xs[0].shape}, inputs[{i}]: {x.shape}.")
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


# -- casts -------------------------------------------------------------------------------------
@register_op("Cast")
class Cast(OpDef):
    """y = x converted to DstT (floats to ints truncate toward zero; nonzero to bool is True)."""

    def infer(self, x: Tensor) -> TensorSpec:
        dst = self.attrs["DstT"]
        if (x.dtype is dtypes.string) != (dst is dtypes.string):
            raise self.error(f"cannot cast between string and numbers; got {x.dtype.name} to "
                             f"{dst.name}. Parse strings with a string op instead.",
                             cls=TypeError_)
        return spec(x.shape, dst)

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.asarray(x).astype(self.attrs["DstT"].np)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        src = op.inputs[0].dtype
        if (src.is_floating or src.is_complex) and (dy.dtype.is_floating or dy.dtype.is_complex):
            return [cast(dy, src)]
        return [None]  # no gradient into integers or bools


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """Converts a tensor to `dtype` (returns `x` itself when it already has it, as TF).

    Args:
        x: a Tensor (or convertible value).
        dtype: the target type, e.g. tf.float32.
        name: optional node name.

    Returns:
        A Tensor of x's shape and type `dtype`. Floats cast to integers truncate toward zero.

    Example:
        >>> tf.cast(tf.constant([1.8, -1.8]), tf.int32)   # -> [1, -1]
    """
    dst = dtypes.as_dtype(dtype)
    with graph_of([x], "Cast").as_default():
        x = convert_to_tensor(x)
    if x.dtype is dst:
        return x
    return apply_op(Cast, [x], {"SrcT": x.dtype, "DstT": dst}, name=name or "Cast")


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """cast(x, tf.float32).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToFloat").

    Returns:
        A Tensor of x's shape and type float32 (x itself if it has it).
    """
    return cast(x, dtypes.float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    """cast(x, tf.float64).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToDouble").

    Returns:
        A Tensor of x's shape and type float64 (x itself if it has it).
    """
    return cast(x, dtypes.float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    """cast(x, tf.int32).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToInt32").

    Returns:
        A Tensor of x's shape and type int32 (x itself if it has it).
    """
    return cast(x, dtypes.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    """cast(x, tf.int64).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToInt64").

    Returns:
        A Tensor of x's shape and type int64 (x itself if it has it).
    """
    return cast(x, dtypes.int64, name=name)


def saturate_cast(value: Any, dtype: Any, name: str | None = None) -> Tensor:
    """Casts to `dtype`, first clamping values to its range (no integer wrap-around).

    Example:
        >>> tf.saturate_cast(tf.constant([300., -5.]), tf.uint8)   # -> [255, 0]
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
    return cast(value, dst, name=name)


# -- clipping ----------------------------------------------------------------------------------
@register_op("ClipByValue")
class ClipByValue(OpDef):
    """y = min(max(t, clip_value_min), clip_value_max) (t's shape)."""

    def infer(self, t: Tensor, lo: Tensor, hi: Tensor) -> TensorSpec:
        for nm, v in (("clip_value_min", lo), ("clip_value_max", hi)):
            if v.dtype is not t.dtype:
                raise self.error(f"t and {nm} must have the same dtype; got t: {t.dtype.name}, "
                                 f"{nm}: {v.dtype.name}. Use tf.cast.", cls=TypeError_)
        if t.dtype.np.kind not in "fiu":
            raise self.error(f"t must be a real number tensor; got {t.dtype.name}.",
                             cls=TypeError_)
        b = broadcast_shapes(t.shape, lo.shape, hi.shape)
        if b is None or not b.is_compatible_with(t.shape):
            raise self.error(f"clip_value_min and clip_value_max must be scalars or broadcast to "
                             f"t's shape; got t: {t.shape}, clip_value_min: {lo.shape}, "
                             f"clip_value_max: {hi.shape}.")
        return spec(t.shape.merge_with(b) if b.ndims is not None else t.shape, t.dtype)

    def compute(self, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        out = np.maximum(np.minimum(t, hi), lo)  # lo wins if lo > hi, as TF1's composite
        if out.shape != np.shape(t):
            raise self.error(f"clip_value_min and clip_value_max must broadcast to t's shape; "
                             f"got t: {np.shape(t)}, clip_value_min: {np.shape(lo)}, "
                             f"clip_value_max: {np.shape(hi)}.")
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        t, lo, hi = op.inputs
        below, above = less(t, lo), greater(t, hi)
        inside = logical_not(logical_or(below, above))
        return [dy * _mask(inside, dy.dtype), dy * _mask(below, dy.dtype),
                dy * _mask(above, dy.dtype)]


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: str | None = None) -> Tensor:
    """Clips values of `t` to [clip_value_min, clip_value_max].

    Args:
        t: a real-valued Tensor (or convertible value).
        clip_value_min: a scalar or a tensor broadcastable to t's shape, of t's dtype.
        clip_value_max: likewise.
        name: optional node name.

    Returns:
        A Tensor of t's shape and dtype. Its gradient passes dy where min <= t <= max.

    Raises:
        InvalidArgumentError: the bounds would broadcast t to a bigger shape.

    Example:
        >>> tf.clip_by_value(tf.constant([-2., 0.5, 3.]), 0., 1.)   # -> [0., 0.5, 1.]
    """
    with graph_of([t, clip_value_min, clip_value_max], "ClipByValue").as_default():
        t = convert_to_tensor(t)
        _, lo = binary_operands(t, clip_value_min, "ClipByValue")
        _, hi = binary_operands(t, clip_value_max, "ClipByValue")
    return apply_op(ClipByValue, [t, lo, hi], name=name)


# -- matmul ------------------------------------------------------------------------------------
@register_op("MatMul")
class MatMul(OpDef):
    """z = op(a) @ op(b), op = transpose where transpose_a / transpose_b (batched over leading
    dims)."""

    def infer(self, a: Tensor, b: Tensor) -> TensorSpec:
        ta, tb = self.attrs["transpose_a"], self.attrs["transpose_b"]
        if a.dtype is not b.dtype:
            raise self.error(f"a and b must have the same dtype; got a: {a.dtype.name}, "
                             f"b: {b.dtype.name}. Use tf.cast.", cls=TypeError_)
        if a.dtype.np.kind not in "fic":
            raise self.error(f"a must be numeric; got {a.dtype.name}.", cls=TypeError_)
        sa, sb = a.shape.known, b.shape.known
        for nm, s in (("a", sa), ("b", sb)):
            if s is not None and len(s) < 2:
                raise self.error(f"{nm} must be at least rank 2; got {nm}: {TensorShape(s)}. "
                                 "Use tf.reshape or tf.expand_dims to make a matrix.")
        if sa is None or sb is None:
            return spec(TensorShape(None), a.dtype)
        m, ka = (sa[-1], sa[-2]) if ta else (sa[-2], sa[-1])
        kb, n = (sb[-1], sb[-2]) if tb else (sb[-2], sb[-1])
        if ka is not None and kb is not None and ka != kb:
            hint = ""
            if not tb and (sb[-1] == ka):
                hint = " Did you mean transpose_b=True?"
            elif not ta and sa[-2] == kb:
                hint = " Did you mean transpose_a=True?"
            raise self.error(
                f"inner dimensions must match; got a: {a.shape}, b: {b.shape}"
                f"{' (transpose_a)' if ta else ''}{' (transpose_b)' if tb else ''}.{hint}"
            )
        batch = broadcast_shapes(TensorShape(sa[:-2]), TensorShape(sb[:-2]))
        if batch is None:
            raise self.error(f"batch dimensions must broadcast; got a: {a.shape}, b: {b.shape}.")
        return spec(TensorShape(tuple(batch.known or ()) + (m, n)), a.dtype)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.attrs["transpose_a"]:
            a = np.swapaxes(a, -1, -2)
        if self.attrs["transpose_b"]:
            b = np.swapaxes(b, -1, -2)
        return np.matmul(a, b)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        a, b = op.inputs
        ta, tb = self.attrs["transpose_a"], self.attrs["transpose_b"]
        if not ta and not tb:
            return [matmul(dy, b, transpose_b=True), matmul(a, dy, transpose_a=True)]
        if not ta and tb:
            return [matmul(dy, b), matmul(dy, a, transpose_a=True)]
        if ta and not tb:
            return [matmul(b, dy, transpose_b=True), matmul(a, dy)]
        return [matmul(b, dy, transpose_a=True, transpose_b=True),
                matmul(dy, a, transpose_a=True, transpose_b=True)]


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, a_is_sparse: bool = False,
           b_is_sparse: bool = False, name: str | None = None) -> Tensor:
    """Matrix product `a @ b` (batched over leading dimensions).

    Raises:
        InvalidArgumentError: at build time, when the inner dimensions do not match.

    Example:
        >>> tf.matmul(tf.constant([[3., 3.]]), tf.constant([[2.], [2.]]))  # -> [[12.]]
    """
    a, b = binary_operands(a, b, "MatMul")
    return apply_op(MatMul, [a, b], {"transpose_a": bool(transpose_a or adjoint_a),
                                     "transpose_b": bool(transpose_b or adjoint_b)}, name=name)


def _tensordot_axes(axes: Any, ra: int, rb: int) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(ra, rb):
            raise ValueError(f"tensordot: axes must be in [0, {min(ra, rb)}] for inputs of rank "
                             f"{ra} and {rb}; got {axes}.")
        return list(range(ra - axes, ra)), list(range(axes))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise ValueError(f"tensordot: axes must be an int or a pair of axis lists; got "
                         f"{axes!r}.") from None
    a_axes = [int(a_axes)] if np.isscalar(a_axes) else [int(i) for i in a_axes]
    b_axes = [int(b_axes)] if np.isscalar(b_axes) else [int(i) for i in b_axes]
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: the two axis lists must have the same length; got "
                         f"{a_axes} and {b_axes}.")
    for axs, r in ((a_axes, ra), (b_axes, rb)):
        if any(not -r <= i < r for i in axs):
            raise ValueError(f"tensordot: axis out of range in {axs} for a rank-{r} input.")
    return [i % ra for i in a_axes], [i % rb for i in b_axes]


def _flat_dims(dims: list[int | None]) -> int:
    """The product of `dims`, or -1 (for reshape to infer) when one is unknown."""
    if any(d is None for d in dims):
        return -1
    return int(np.prod(dims, dtype=np.int64))


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Contracts `a` and `b` over the given axes (as numpy.tensordot), via one matmul.

    Args:
        a: a float or integer Tensor of known rank.
        b: a Tensor of a's dtype and known rank.
        axes: an int N (the last N axes of a with the first N of b), or a pair of axis lists
            `[a_axes, b_axes]`.
        name: optional name scope.

    Returns:
        A Tensor of shape a's free dims + b's free dims.

    Raises:
        ValueError: bad axes, unknown ranks, or more than one unknown dimension in a flattened
            group (the reshapes need all but one of them).

    Example:
        >>> tf.tensordot(x, w, axes=1)   # x: (batch, t, d), w: (d, k) -> (batch, t, k)
    """
    from flowzero.ops import array_ops

    a, b = binary_operands(a, b, "tensordot")
    sa, sb = a.shape.known, b.shape.known
    if sa is None or sb is None:
        raise ValueError(f"tensordot: inputs must have known ranks; got a: {a.shape}, "
                         f"b: {b.shape}.")
    a_axes, b_axes = _tensordot_axes(axes, len(sa), len(sb))
    for i, j in zip(a_axes, b_axes):
        if sa[i] is not None and sb[j] is not None and sa[i] != sb[j]:
            raise ValueError(f"tensordot: contracted dimensions must match; got a: {a.shape} "
                             f"axis {i}, b: {b.shape} axis {j}.")
    free_a = [i for i in range(len(sa)) if i not in a_axes]
    free_b = [i for i in range(len(sb)) if i not in b_axes]
    k_dims = [sa[i] if sa[i] is not None else sb[j] for i, j in zip(a_axes, b_axes)]
    out_dims = [sa[i] for i in free_a] + [sb[i] for i in free_b]
    groups = ([sa[i] for i in free_a], k_dims, [sb[i] for i in free_b], out_dims)
    if any(sum(d is None for d in g) > 1 for g in groups) or (
        None in k_dims and (None in groups[0] or None in groups[2])
    ):
        raise ValueError(f"tensordot: too many unknown dimensions to flatten statically; got "
                         f"a: {a.shape}, b: {b.shape}. Give the placeholders more static dims.")
    with a.graph.name_scope(name or "Tensordot"):
        perm_a, perm_b = free_a + a_axes, b_axes + free_b
        at = a if perm_a == list(range(len(sa))) else array_ops.transpose(a, perm_a)
        bt = b if perm_b == list(range(len(sb))) else array_ops.transpose(b, perm_b)
        k = _flat_dims(k_dims)  # when unknown (-1), both free groups are fully known
        a2 = array_ops.reshape(at, [_flat_dims(groups[0]), k])
        b2 = array_ops.reshape(bt, [k, _flat_dims(groups[2])])
        return array_ops.reshape(matmul(a2, b2), [-1 if d is None else d for d in out_dims])


# -- Python operators on Tensor ----------------------------------------------------------------
def _r(fn: Any) -> Any:
    return lambda self, other: fn(other, self)


def _install_operators() -> None:
    ops: dict[str, Any] = {
        "__add__": add, "__radd__": _r(add),
        "__sub__": subtract, "__rsub__": _r(subtract),
        "__mul__": multiply, "__rmul__": _r(multiply),
        "__truediv__": truediv, "__rtruediv__": _r(truediv),
        "__floordiv__": floordiv, "__rfloordiv__": _r(floordiv),
        "__mod__": floormod, "__rmod__": _r(floormod),
        "__pow__": pow, "__rpow__": _r(pow),
        "__matmul__": matmul, "__rmatmul__": _r(matmul),
        "__neg__": negative, "__abs__": abs,
        # NOTE: not __eq__/__ne__, which compare identity (tensors are dict keys in feeds).
        "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
        "__and__": logical_and, "__rand__": _r(logical_and),
        "__or__": logical_or, "__ror__": _r(logical_or),
        "__xor__": logical_xor, "__rxor__": _r(logical_xor),
        "__invert__": logical_not,
    }
    for k, v in ops.items():
        setattr(Tensor, k, v)


_install_operators()

divide = truediv
sub = subtract
mul = multiply
neg = negative

__all__ = [
    # arithmetic
    "add", "subtract", "multiply", "scalar_mul", "realdiv", "truediv", "divide", "div",
    "floordiv", "floor_div", "floormod", "mod", "truncatediv", "truncatemod", "pow",
    "squared_difference", "maximum", "minimum", "negative", "add_n",
    # elementwise functions
    "abs", "sign", "square", "sqrt", "rsqrt", "reciprocal", "inv", "exp", "expm1", "log",
    "log1p", "sin", "cos", "floor", "ceil", "round",
    # comparisons and logic
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "logical_xor",
    # casts and clipping
    "cast", "to_float", "to_double", "to_int32", "to_int64", "saturate_cast", "clip_by_value",
    # products
    "matmul", "tensordot",
    # TF 0.x aliases
    "sub", "mul", "neg",
]
