"""Elementwise functions of one tensor, as one table: negative, abs, sign, square, sqrt, rsqrt,
reciprocal, exp, expm1, log, log1p, sin, cos, floor, ceil, round.

Each row is a whole op (see ops/elementwise.py): TF op type, public name, NumPy kernel, input
dtype kinds, formula, derivative as graph ops of (x, y = f(x), dy), and the public docstring.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.ops.division_ops import realdiv
from flowzero.ops.elementwise import Row, build, unary

ROWS = [
    Row(
        "Neg",
        "negative",
        np.negative,
        "fiuc",
        "-x",
        lambda x, y, dy: negative(dy),
        summary="-x elementwise.",
    ),
    Row(
        "Abs",
        "abs",
        np.abs,
        "fi",
        "|x|",
        lambda x, y, dy: dy * sign(x),
        summary="|x| elementwise (for a float or signed integer tensor).",
        example=">>> tf.abs(tf.constant([-1.5, 2.]))   # -> [1.5, 2.]",
    ),
    Row(
        "Sign",
        "sign",
        np.sign,
        "fi",
        "-1 if x < 0, 0 if x == 0, 1 if x > 0",
        summary="The sign of x elementwise (-1, 0 or 1, in x's dtype; NaN stays NaN).",
    ),
    Row(
        "Square",
        "square",
        np.square,
        "fi",
        "x * x",
        lambda x, y, dy: dy * (x * 2),
        summary="x * x elementwise.",
    ),
    Row(
        "Sqrt",
        "sqrt",
        np.sqrt,
        "f",
        "sqrt(x)",
        lambda x, y, dy: realdiv(dy * 0.5, y),
        summary="Square root elementwise (NaN for negative x, as in TF).",
        example=">>> tf.sqrt(tf.constant([4., 9.]))   # -> [2., 3.]",
        quiet=True,
    ),
    Row(
        "Rsqrt",
        "rsqrt",
        lambda x: np.reciprocal(np.sqrt(x)),
        "f",
        "1 / sqrt(x)",
        lambda x, y, dy: dy * (square(y) * y) * -0.5,
        quiet=True,
    ),
    Row(
        "Reciprocal",
        "reciprocal",
        np.reciprocal,
        "f",
        "1 / x",
        lambda x, y, dy: negative(dy * square(y)),
        summary="1 / x elementwise, for a floating-point tensor (TF 0.x name: `tf.inv`).",
        quiet=True,
    ),
    Row("Exp", "exp", np.exp, "f", "e ** x", lambda x, y, dy: dy * y, quiet=True),
    Row(
        "Expm1",
        "expm1",
        np.expm1,
        "f",
        "e ** x - 1",
        lambda x, y, dy: dy * exp(x),
        summary="exp(x) - 1 elementwise, accurate for small x.",
        quiet=True,
    ),
    Row(
        "Log",
        "log",
        np.log,
        "f",
        "ln(x)",
        lambda x, y, dy: realdiv(dy, x),
        summary="Natural logarithm elementwise (-inf at 0, NaN below, as in TF).",
        quiet=True,
    ),
    Row(
        "Log1p",
        "log1p",
        np.log1p,
        "f",
        "ln(1 + x)",
        lambda x, y, dy: realdiv(dy, x + 1),
        summary="log(1 + x) elementwise, accurate for small x.",
        quiet=True,
    ),
    Row(
        "Sin",
        "sin",
        np.sin,
        "f",
        "sin(x)",
        lambda x, y, dy: dy * cos(x),
        summary="Sine elementwise (radians).",
        quiet=True,
    ),
    Row(
        "Cos",
        "cos",
        np.cos,
        "f",
        "cos(x)",
        lambda x, y, dy: negative(dy * sin(x)),
        summary="Cosine elementwise (radians).",
        quiet=True,
    ),
    Row(
        "Floor",
        "floor",
        np.floor,
        "f",
        "the largest integer <= x (as a float)",
        summary="Rounds down elementwise, keeping the floating-point dtype.",
    ),
    Row(
        "Ceil",
        "ceil",
        np.ceil,
        "f",
        "the smallest integer >= x (as a float)",
        summary="Rounds up elementwise, keeping the floating-point dtype.",
    ),
    Row(
        "Round",
        "round",
        np.round,
        "fi",
        "x rounded to the nearest integer, halves to even",
        summary="Rounds to the nearest integer elementwise; halves go to the even one, as TF.",
        example=">>> tf.round(tf.constant([0.5, 1.5, 2.5, -0.5]))   # -> [0., 2., 2., -0.]",
    ),
]

_Op = Callable[..., Tensor]  # each public function the table makes
_MADE = build(ROWS, unary)
negative: _Op = _MADE["negative"]
abs: _Op = _MADE["abs"]  # noqa: A001
sign: _Op = _MADE["sign"]
square: _Op = _MADE["square"]
sqrt: _Op = _MADE["sqrt"]
rsqrt: _Op = _MADE["rsqrt"]
reciprocal: _Op = _MADE["reciprocal"]
inv = reciprocal  # TF 0.x
exp: _Op = _MADE["exp"]
expm1: _Op = _MADE["expm1"]
log: _Op = _MADE["log"]
log1p: _Op = _MADE["log1p"]
sin: _Op = _MADE["sin"]
cos: _Op = _MADE["cos"]
floor: _Op = _MADE["floor"]
ceil: _Op = _MADE["ceil"]
round: _Op = _MADE["round"]  # noqa: A001

__all__ = [row.name for row in ROWS] + ["inv"]
