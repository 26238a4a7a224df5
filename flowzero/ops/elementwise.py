"""Op families as tables: the elementwise ops that only apply a NumPy function.

A family module (unary_ops, trig_ops, logic_ops) lists its ops as `Row`s — TF op type, public
name, NumPy function, the input dtype kinds, the derivative and a one-line summary — and
`unary`/`binary` turn each row into the OpDef registered under the TF name (shape rule: x's
shape, or the broadcast shape; dtype: x's, or bool) and the public function with its TF
signature and docstring. Ops with real logic (broadcasting gradients, attributes, several
outputs) stay classes in their families.

Example (a whole op, kernel and derivative included):
    Row("Exp", "exp", np.exp, "f", "e ** x", lambda x, y, dy: dy * y, summary="e ** x elementwise.")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, register_op
from flowzero.ops.common import BinaryOp, UnaryOp, _binary, _quiet


class Row(NamedTuple):
    """One elementwise op."""

    op_type: str  # TF's op type, the registry key
    name: str  # the public function (tf.<name>)
    fn: Callable[..., Any]  # the NumPy kernel
    kinds: str | None  # dtype kinds the input may have ("f", "i", "u", "b", "c"); None: any
    formula: str  # y = <formula>, for the op's docstring
    # d f / d x times dy as graph ops of (x, y, dy); None: not differentiable.
    grad: Callable[[Tensor, Tensor, Tensor], Tensor] | None = None
    summary: str = ""  # the public docstring's first line (default: "<formula>, elementwise.")
    example: str = ""  # a `>>>` line for the public docstring
    bool_out: bool = False  # a predicate: the result is a bool tensor
    quiet: bool = False  # NaN/inf outside the domain without NumPy warnings (as TF)


_WORDS = {
    "f": "floating-point",
    "i": "integer",
    "u": "unsigned integer",
    "b": "bool",
    "c": "complex",
}


def _input_words(kinds: str | None) -> str:
    if kinds is None:
        return "a Tensor of any dtype"
    return "a " + " or ".join(_WORDS[k] for k in kinds) + " Tensor"


def _doc(row: Row, args: str, returns: str) -> str:
    doc = (
        f"{row.summary or row.formula + ', elementwise.'}\n\n"
        f"Args:\n{args}    name: optional node name.\n\n"
        f"Returns:\n    {returns}"
    )
    if row.example:
        doc += f"\n\nExample:\n    {row.example}"
    return doc


def unary(row: Row) -> tuple[type[OpDef], Callable[..., Tensor]]:
    """The OpDef and the public function `name(x, name=None)` of a one-input row."""
    fn, grad, quiet = row.fn, row.grad, row.quiet

    class _Op(UnaryOp):
        kinds = row.kinds
        out_dtype = dtypes.bool if row.bool_out else None
        differentiable = grad is not None

        def compute(self, x: np.ndarray) -> np.ndarray:
            if quiet:
                with _quiet():
                    return np.asarray(fn(x))
            return np.asarray(fn(x))

        def gradient(self, op: Any, dy: Tensor) -> list[Any]:
            assert grad is not None
            return [grad(op.inputs[0], op.outputs[0], dy)]

    _Op.__name__ = _Op.__qualname__ = row.op_type
    _Op.__doc__ = f"y = {row.formula}."
    if row.bool_out:
        _Op.grads_match_inputs = False
    cls = register_op(row.op_type)(_Op)

    def public(x: Any, name: str | None = None) -> Tensor:
        return apply_op(cls, [x], name=name)

    public.__name__ = public.__qualname__ = row.name
    public.__doc__ = _doc(
        row,
        f"    x: {_input_words(row.kinds)} (or convertible value).\n",
        f"A Tensor of x's shape and {'bool dtype' if row.bool_out else 'dtype'}.",
    )
    return cls, public


def binary(row: Row) -> tuple[type[OpDef], Callable[..., Tensor]]:
    """The OpDef and the public function `name(x, y, name=None)` of a two-input row with no
    gradient (comparisons and logical ops); x and y share a dtype and broadcast."""
    fn = row.fn
    if row.grad is not None:
        raise ValueError(f"{row.op_type}: a differentiable binary op needs a class of its own.")

    class _Op(BinaryOp):
        kinds = row.kinds
        out_dtype = dtypes.bool if row.bool_out else None
        differentiable = False

        def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.asarray(fn(x, y), dtype=bool if row.bool_out else None)

    _Op.__name__ = _Op.__qualname__ = row.op_type
    _Op.__doc__ = f"z = {row.formula}."
    cls = register_op(row.op_type)(_Op)

    def public(x: Any, y: Any, name: str | None = None) -> Tensor:
        return _binary(cls, x, y, name)

    public.__name__ = public.__qualname__ = row.name
    public.__doc__ = _doc(
        row,
        f"    x: {_input_words(row.kinds)} (or convertible value).\n"
        "    y: a Tensor of x's dtype, broadcast-compatible with x (a Python number takes x's "
        "dtype).\n",
        f"A {'bool ' if row.bool_out else ''}Tensor of the broadcast shape.",
    )
    return cls, public


def build(
    rows: list[Row], make: Callable[[Row], tuple[type[OpDef], Callable[..., Tensor]]]
) -> dict[str, Callable[..., Tensor]]:
    """name -> public function, for every row (each op registered once)."""
    return {row.name: make(row)[1] for row in rows}
