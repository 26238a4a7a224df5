"""Shared building blocks for op definitions: elementwise base classes and input checks."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, spec
from flowzero.framework.shapes import TensorShape, broadcast_shapes


class TypeError_(errors.InvalidArgumentError, TypeError):  # noqa: N801
    """A dtype mismatch found while building an op.

    NOTE: TF raises TypeError for these ('Input y of Add has type int32 that does not match
    float32'); this is both an InvalidArgumentError and a TypeError so either catches it.
    """


def shape_str(t: Any) -> str:
    return str(t.shape) if isinstance(t, Tensor) else str(np.shape(t))


class UnaryOp(OpDef):
    """y = f(x) elementwise; output has x's shape and dtype (unless `out_dtype` says otherwise)."""

    # None = any dtype; else a tuple of dtype kinds that x may have ("f", "i", "u", "b", "c").
    kinds: ClassVar[str | None] = None
    out_dtype: ClassVar[dtypes.DType | None] = None

    def infer(self, x: Tensor) -> TensorSpec:
        if self.kinds is not None and x.dtype.np.kind not in self.kinds:
            raise self.error(
                f"x must have a {_kind_words(self.kinds)} dtype; got {x.dtype.name}.",
                cls=TypeError_,
            )
        return spec(x.shape, self.out_dtype or x.dtype)


class BinaryOp(OpDef):
    """z = f(x, y) elementwise with NumPy broadcasting; x and y must share a dtype."""

    kinds: ClassVar[str | None] = None
    out_dtype: ClassVar[dtypes.DType | None] = None

    def infer(self, x: Tensor, y: Tensor) -> TensorSpec:
        if x.dtype is not y.dtype:
            raise self.error(
                f"x and y must have the same dtype; got x: {x.dtype.name}, y: {y.dtype.name}. "
                "Use tf.cast to convert one of them.",
                cls=TypeError_,
            )
        if self.kinds is not None and x.dtype.np.kind not in self.kinds:
            raise self.error(
                f"inputs must have a {_kind_words(self.kinds)} dtype; got {x.dtype.name}.",
                cls=TypeError_,
            )
        shape = broadcast_shapes(x.shape, y.shape)
        if shape is None:
            raise self.error(
                f"shapes must be broadcast-compatible; got x: {x.shape}, y: {y.shape}."
            )
        return spec(shape, self.out_dtype or x.dtype)


_KIND_WORDS = {"f": "floating", "i": "signed integer", "u": "unsigned integer", "b": "bool",
               "c": "complex", "O": "string"}


def _kind_words(kinds: str) -> str:
    return " or ".join(_KIND_WORDS[k] for k in kinds)


def binary_operands(x: Any, y: Any, op_name: str) -> tuple[Tensor, Tensor]:
    """Converts a pair of operands, giving a Python/NumPy operand the other Tensor's dtype."""
    g = graph_of([x, y], op_name)
    with g.as_default():
        if isinstance(x, Tensor) or hasattr(x, "_as_tensor"):
            x = convert_to_tensor(x)
            y = convert_to_tensor(y, dtype=x.dtype) if not _is_tensorish(y) else \
                convert_to_tensor(y)
        elif _is_tensorish(y):
            y = convert_to_tensor(y)
            x = convert_to_tensor(x, dtype=y.dtype)
        else:
            x = convert_to_tensor(x)
            y = convert_to_tensor(y, dtype=x.dtype)
    return x, y


def _is_tensorish(v: Any) -> bool:
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")


def static_value(t: Tensor) -> np.ndarray | None:
    """The value of `t` if it is known at build time (a Const, or a shape of known dims)."""
    op = t.op
    if op.type == "Const":
        return op.get_attr("value")
    if op.type == "Shape":
        s = op.inputs[0].shape
        if s.is_fully_defined():
            return np.array(s.as_list(), dtype=t.dtype.np)
    if op.type == "Identity":
        return static_value(op.inputs[0])
    if op.type == "Pack":
        parts = [static_value(i) for i in op.inputs]
        if all(p is not None for p in parts):
            return np.stack(parts, axis=op.get_attr("axis")).astype(t.dtype.np)
    return None


def unknown(t: Tensor) -> TensorShape:
    return TensorShape(None)
