"""The trigonometric and hyperbolic functions and the float predicates, as one table (see
ops/elementwise.py): TF op type, public name, NumPy kernel, input dtype kinds, formula and
derivative as graph ops of (x, y = f(x), dy); the predicates have bool results and no
gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
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

_Op = Callable[..., Tensor]  # each public function the table makes
_MADE = build(ROWS, unary)
tan: _Op = _MADE["tan"]
asin: _Op = _MADE["asin"]
acos: _Op = _MADE["acos"]
atan: _Op = _MADE["atan"]
sinh: _Op = _MADE["sinh"]
cosh: _Op = _MADE["cosh"]
asinh: _Op = _MADE["asinh"]
acosh: _Op = _MADE["acosh"]
atanh: _Op = _MADE["atanh"]
is_nan: _Op = _MADE["is_nan"]
is_inf: _Op = _MADE["is_inf"]
is_finite: _Op = _MADE["is_finite"]

__all__ = [row.name for row in ROWS]
