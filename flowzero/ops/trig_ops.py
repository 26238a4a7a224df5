"""The trigonometric and hyperbolic functions and the float predicates, as one table.

Each row is an op that only applies a NumPy function elementwise: its TF op type, public name,
NumPy function, derivative (graph ops of x, y = f(x) and the upstream gradient dy) and a
one-line formula. `_make` turns a row into the OpDef registered under the TF name (shape rule:
x's shape; float inputs only) and the public function; ops with real logic stay classes in
their own families.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, register_op
from flowzero.ops.common import UnaryOp, _quiet
from flowzero.ops.unary_ops import negative, reciprocal, rsqrt, square


class Row(NamedTuple):
    op_type: str
    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    # d f / d x times dy, as graph ops of (x, y, dy); None: no gradient (a predicate).
    grad: Callable[[Tensor, Tensor, Tensor], Tensor] | None
    formula: str


def _make(row: Row) -> tuple[type[OpDef], Callable[..., Tensor]]:
    fn, grad = row.fn, row.grad

    class _Op(UnaryOp):
        kinds = "f"
        out_dtype = None if grad is not None else dtypes.bool
        differentiable = grad is not None

        def compute(self, x: np.ndarray) -> np.ndarray:
            with _quiet():  # NaN outside the domain, as TF
                return np.asarray(fn(x))

        def gradient(self, op: Any, dy: Tensor) -> list[Any]:
            assert grad is not None
            return [grad(op.inputs[0], op.outputs[0], dy)]

    _Op.__name__ = _Op.__qualname__ = row.op_type
    _Op.__doc__ = f"y = {row.formula}, elementwise."
    if grad is None:
        _Op.grads_match_inputs = False
    cls = register_op(row.op_type)(_Op)

    def public(x: Any, name: str | None = None) -> Tensor:
        return apply_op(cls, [x], name=name)

    public.__name__ = public.__qualname__ = row.name
    public.__doc__ = (
        f"{row.formula}, elementwise, for a floating-point tensor.\n\n"
        f"Args:\n    x: a float Tensor (or convertible value).\n"
        f"    name: optional node name.\n\nReturns:\n    A Tensor of x's shape "
        f"and {'dtype' if grad is not None else 'bool dtype'}."
    )
    return cls, public


ROWS = [
    Row("Tan", "tan", np.tan, lambda x, y, dy: dy * (1 + square(y)), "tan(x)"),
    Row("Asin", "asin", np.arcsin, lambda x, y, dy: dy * rsqrt(1 - square(x)), "asin(x)"),
    Row("Acos", "acos", np.arccos, lambda x, y, dy: negative(dy) * rsqrt(1 - square(x)), "acos(x)"),
    Row("Atan", "atan", np.arctan, lambda x, y, dy: dy * reciprocal(1 + square(x)), "atan(x)"),
    Row("Sinh", "sinh", np.sinh, lambda x, y, dy: dy * cosh(x), "sinh(x)"),
    Row("Cosh", "cosh", np.cosh, lambda x, y, dy: dy * sinh(x), "cosh(x)"),
    Row("Asinh", "asinh", np.arcsinh, lambda x, y, dy: dy * rsqrt(square(x) + 1), "asinh(x)"),
    Row("Acosh", "acosh", np.arccosh, lambda x, y, dy: dy * rsqrt(square(x) - 1), "acosh(x)"),
    Row("Atanh", "atanh", np.arctanh, lambda x, y, dy: dy * reciprocal(1 - square(x)), "atanh(x)"),
    Row("IsNan", "is_nan", np.isnan, None, "x is NaN"),
    Row("IsInf", "is_inf", np.isinf, None, "x is +-inf"),
    Row("IsFinite", "is_finite", np.isfinite, None, "x is neither NaN nor +-inf"),
]

_MADE = {row.name: _make(row)[1] for row in ROWS}
tan = _MADE["tan"]
asin = _MADE["asin"]
acos = _MADE["acos"]
atan = _MADE["atan"]
sinh = _MADE["sinh"]
cosh = _MADE["cosh"]
asinh = _MADE["asinh"]
acosh = _MADE["acosh"]
atanh = _MADE["atanh"]
is_nan = _MADE["is_nan"]
is_inf = _MADE["is_inf"]
is_finite = _MADE["is_finite"]

__all__ = [row.name for row in ROWS]
