"""Comparison and logical ops, as one table (see ops/elementwise.py): equal, not_equal, less,
less_equal, greater, greater_equal, logical_and, logical_or, logical_not — bool results, never
differentiable — and logical_xor, a composite as in TF1."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.ops.common import binary_operands
from flowzero.ops.elementwise import Row, binary, build, unary


def _compare(
    op_type: str,
    name: str,
    fn: Any,
    sym: str,
    kinds: str | None = "fiu",
    note: str = "",
    example: str = "",
) -> Row:
    return Row(
        op_type,
        name,
        fn,
        kinds,
        f"(x {sym} y)",
        bool_out=True,
        example=example,
        summary=f"x {sym} y elementwise, as a bool tensor{note}.",
    )


def _logic(op_type: str, name: str, fn: Any, word: str, sym: str) -> Row:
    return Row(
        op_type,
        name,
        fn,
        "b",
        f"x {word} y (bool)",
        bool_out=True,
        summary=f"x {word} y elementwise for bool tensors, with broadcasting (also `x {sym} y`).",
    )


COMPARISONS = [
    _compare(
        "Equal",
        "equal",
        np.equal,
        "==",
        None,
        " (the `==` operator compares tensor identity)",
        ">>> tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))   # correct predictions",
    ),
    _compare("NotEqual", "not_equal", np.not_equal, "!=", None),
    _compare("Less", "less", np.less, "<", note=" (also the `<` operator)"),
    _compare("LessEqual", "less_equal", np.less_equal, "<=", note=" (also the `<=` operator)"),
    _compare("Greater", "greater", np.greater, ">", note=" (also the `>` operator)"),
    _compare(
        "GreaterEqual", "greater_equal", np.greater_equal, ">=", note=" (also the `>=` operator)"
    ),
    _logic("LogicalAnd", "logical_and", np.logical_and, "AND", "&"),
    _logic("LogicalOr", "logical_or", np.logical_or, "OR", "|"),
]
NOT = Row(
    "LogicalNot",
    "logical_not",
    np.logical_not,
    "b",
    "NOT x (bool)",
    bool_out=True,
    summary="NOT x elementwise for a bool tensor (also `~x`).",
)

_MADE = build(COMPARISONS, binary) | build([NOT], unary)
equal = _MADE["equal"]
not_equal = _MADE["not_equal"]
less = _MADE["less"]
less_equal = _MADE["less_equal"]
greater = _MADE["greater"]
greater_equal = _MADE["greater_equal"]
logical_and = _MADE["logical_and"]
logical_or = _MADE["logical_or"]
logical_not = _MADE["logical_not"]


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


__all__ = [*_MADE, "logical_xor"]
