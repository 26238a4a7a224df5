"""The trigonometric and hyperbolic functions and the float predicates, as one table (see
ops/elementwise.py): TF op type, public name, NumPy kernel, input dtype kinds, formula and
derivative as graph ops of (x, y = f(x), dy); the predicates have bool results and no
gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.ops.elementwise import Row, build, unary
from flowzero.ops.unary_ops import negative, reciprocal, rsqrt, square


def _f(op_type: str, name: str, fn: Any, formula: str, grad: Any) -> Row:
    return Row(op_type, name, fn, "f", formula, grad, quiet=True)  # NaN outside the domain


def _pred(op_type: str, name: str, fn: Any, formula: str) -> Row:
    return Row(
        op_type, name, fn, "f", formula, summary=f"Whether {formula}, elementwise.", bool_out=True
    )


ROWS = [
    _f("Tan", "tan", np.tan, "tan(x)", lambda x, y, dy: dy * (1 + square(y))),
    _f("Asin", "asin", np.arcsin, "asin(x)", lambda x, y, dy: dy * rsqrt(1 - square(x))),
    _f("Acos", "acos", np.arccos, "acos(x)", lambda x, y, dy: negative(dy) * rsqrt(1 - square(x))),
    _f("Atan", "atan", np.arctan, "atan(x)", lambda x, y, dy: dy * reciprocal(1 + square(x))),
    _f("Sinh", "sinh", np.sinh, "sinh(x)", lambda x, y, dy: dy * cosh(x)),
    _f("Cosh", "cosh", np.cosh, "cosh(x)", lambda x, y, dy: dy * sinh(x)),
    _f("Asinh", "asinh", np.arcsinh, "asinh(x)", lambda x, y, dy: dy * rsqrt(square(x) + 1)),
    _f("Acosh", "acosh", np.arccosh, "acosh(x)", lambda x, y, dy: dy * rsqrt(square(x) - 1)),
    _f("Atanh", "atanh", np.arctanh, "atanh(x)", lambda x, y, dy: dy * reciprocal(1 - square(x))),
    _pred("IsNan", "is_nan", np.isnan, "x is NaN"),
    _pred("IsInf", "is_inf", np.isinf, "x is +-inf"),
    _pred("IsFinite", "is_finite", np.isfinite, "x is neither NaN nor +-inf"),
]

_MADE = build(ROWS, unary)
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
