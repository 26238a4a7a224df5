"""Math ops: elementwise arithmetic with broadcasting, comparisons, logic, matmul, casts.

Also installs the Python operators on Tensor (+ - * / // % ** @, unary -, abs, comparisons),
so the graph layer itself knows nothing about arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, broadcast_shapes
from flowzero.ops.common import BinaryOp, TypeError_, UnaryOp, binary_operands


def _binary(cls: type[OpDef], x: Any, y: Any, name: str | None) -> Tensor:
    x, y = binary_operands(x, y, cls.type)
    return apply_op(cls, [x, y], name=name)


# -- arithmetic --------------------------------------------------------------------------------
@register_op("Add")
class Add(BinaryOp):
    """z = x + y."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.add(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, dy]


def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x + y elementwise, with broadcasting."""
    return _binary(Add, x, y, name)


@register_op("Sub")
class Sub(BinaryOp):
    """z = x - y."""

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.subtract(x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, negative(dy)]


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x - y elementwise, with broadcasting."""
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
    """x * y elementwise, with broadcasting."""
    return _binary(Mul, x, y, name)


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
    return _binary(RealDiv, x, y, name)


@register_op("Neg")
class Neg(UnaryOp):
    """y = -x."""

    kinds = "fiuc"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.negative(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [negative(dy)]


def negative(x: Any, name: str | None = None) -> Tensor:
    """-x elementwise."""
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
    """Sums a list of tensors of the same shape and dtype."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors.")
    return apply_op(AddN, list(inputs), name=name)


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


# -- Python operators on Tensor ----------------------------------------------------------------
def _r(fn: Any) -> Any:
    return lambda self, other: fn(other, self)


def _install_operators() -> None:
    ops: dict[str, Any] = {
        "__add__": add, "__radd__": _r(add),
        "__sub__": subtract, "__rsub__": _r(subtract),
        "__mul__": multiply, "__rmul__": _r(multiply),
        "__truediv__": lambda a, b: truediv(a, b), "__rtruediv__": _r(lambda a, b: truediv(a, b)),
        "__neg__": negative,
        "__matmul__": matmul, "__rmatmul__": _r(matmul),
    }
    for k, v in ops.items():
        setattr(Tensor, k, v)


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y, casting integer inputs to float first (int8/16 -> float32, int32/64 -> float64)."""
    x, y = binary_operands(x, y, "truediv")
    if x.dtype.is_integer:
        target = dtypes.float32 if x.dtype.size <= 2 else dtypes.float64
        from flowzero.ops import math_ops as _m

        x, y = _m.cast(x, target), _m.cast(y, target)
    return apply_op(RealDiv, [x, y], name=name or "truediv")


divide = truediv
sub = subtract
mul = multiply
neg = negative

_install_operators()

__all__ = ["add_n", "add", "subtract", "multiply", "truediv", "divide", "realdiv", "matmul", "negative",
           "sub", "mul", "neg"]
