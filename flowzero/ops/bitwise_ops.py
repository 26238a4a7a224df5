"""tf.bitwise: bitwise AND / OR / XOR / NOT and shifts of integer tensors, as a table of rows
(flowzero/ops/elementwise.py). TF has these names only in tf.bitwise (no root aliases); none is
differentiable. Shifting by a negative amount or by the type's width or more is undefined in TF;
here it is NumPy's (C's) result."""

from __future__ import annotations

import numpy as np

from flowzero.ops.elementwise import Row, binary, build, unary


def _bits(op_type: str, name: str, fn: np.ufunc, formula: str, example: str = "") -> Row:
    return Row(
        op_type, name, fn, "iu", formula, summary=f"{formula}, elementwise.", example=example
    )


_MADE = build(
    [
        _bits(
            "BitwiseAnd",
            "bitwise_and",
            np.bitwise_and,
            "x & y bit by bit",
            ">>> tf.bitwise.bitwise_and(tf.constant([12, 10]), tf.constant([10, 6]))  # [8, 2]",
        ),
        _bits("BitwiseOr", "bitwise_or", np.bitwise_or, "x | y bit by bit"),
        _bits("BitwiseXor", "bitwise_xor", np.bitwise_xor, "x ^ y bit by bit"),
        _bits("LeftShift", "left_shift", np.left_shift, "x << y"),
        _bits("RightShift", "right_shift", np.right_shift, "x >> y (arithmetic for signed x)"),
    ],
    binary,
) | build([_bits("Invert", "invert", np.invert, "~x (every bit flipped)")], unary)

bitwise_and = _MADE["bitwise_and"]
bitwise_or = _MADE["bitwise_or"]
bitwise_xor = _MADE["bitwise_xor"]
left_shift = _MADE["left_shift"]
right_shift = _MADE["right_shift"]
invert = _MADE["invert"]

__all__: list[str] = []  # tf.bitwise only (flowzero/compat/__init__.py)
