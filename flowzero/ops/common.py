"""Shared building blocks for op definitions: elementwise base classes, input checks, argument
conversion, and what an int tensor says at build time."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import (
    Operation,
    Tensor,
    apply_op,
    convert_to_tensor,
    get_default_graph,
    graph_of,
)
from flowzero.framework.registry import OpDef, TensorSpec, spec
from flowzero.framework.shapes import TensorShape, broadcast_shapes


class DTypeError(errors.InvalidArgumentError, TypeError):
    """A dtype mismatch found while building an op.

    NOTE: TF raises TypeError for these ('Input y of Add has type int32 that does not match
    float32'); this is both an InvalidArgumentError and a TypeError so either catches it.
    """


def shape_str(t: Any) -> str:
    return str(t.shape) if isinstance(t, Tensor) else str(np.shape(t))


class UnaryOp(OpDef):
    # An elementwise function of one input: dy has x's shape, so every gradient does too.
    grads_match_inputs = True
    """y = f(x) elementwise; output has x's shape and dtype (unless `out_dtype` says otherwise)."""

    # None = any dtype; else a tuple of dtype kinds that x may have ("f", "i", "u", "b", "c").
    kinds: ClassVar[str | None] = None
    out_dtype: ClassVar[dtypes.DType | None] = None

    def infer(self, x: Tensor) -> TensorSpec:
        if self.kinds is not None and x.dtype.np.kind not in self.kinds:
            raise self.error(
                f"x must have a {_kind_words(self.kinds)} dtype; got {x.dtype.name}.",
                cls=DTypeError,
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
                cls=DTypeError,
            )
        if self.kinds is not None and x.dtype.np.kind not in self.kinds:
            raise self.error(
                f"inputs must have a {_kind_words(self.kinds)} dtype; got {x.dtype.name}.",
                cls=DTypeError,
            )
        shape = broadcast_shapes(x.shape, y.shape)
        if shape is None:
            raise self.error(
                f"shapes must be broadcast-compatible; got x: {x.shape}, y: {y.shape}."
            )
        return spec(shape, self.out_dtype or x.dtype)


_KIND_WORDS = {
    "f": "floating",
    "i": "signed integer",
    "u": "unsigned integer",
    "b": "bool",
    "c": "complex",
    "O": "string",
}


def _kind_words(kinds: str) -> str:
    return " or ".join(_KIND_WORDS[k] for k in kinds)


def binary_operands(x: Any, y: Any, op_name: str) -> tuple[Tensor, Tensor]:
    """Converts a pair of operands, giving a Python/NumPy operand the other Tensor's dtype."""
    if x.__class__ is y.__class__ and isinstance(x, Tensor):
        return x, y  # the common case, nothing to convert (apply_op checks their graphs)
    g = graph_of([x, y], op_name)
    if g is get_default_graph():  # (an eager program's every call: no graph to switch to)
        return _convert_pair(x, y)
    with g.as_default():
        return _convert_pair(x, y)


def _convert_pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """binary_operands' conversions, in the default graph."""
    if isinstance(x, Tensor) or hasattr(x, "_as_tensor"):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=x.dtype) if not _is_tensorish(y) else convert_to_tensor(y)
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
        known = [p for p in parts if p is not None]
        if len(known) == len(parts):
            return np.stack(known, axis=op.get_attr("axis")).astype(t.dtype.np)
    return None


def unknown(t: Tensor) -> TensorShape:
    return TensorShape(None)


# -- elementwise op helpers --------------------------------------------------------------------
def _binary(cls: type[OpDef], x: Any, y: Any, name: str | None) -> Tensor:
    x, y = binary_operands(x, y, cls.type)
    return apply_op(cls, [x, y], name=name)


def _unary(cls: type[OpDef], x: Any, name: str | None) -> Tensor:
    return apply_op(cls, [x], name=name)


def _quiet() -> Any:
    # A fresh errstate per call: one shared instance is not safe across threads in NumPy 2.
    return np.errstate(all="ignore")


def _quiet_underflow() -> Any:
    # Underflow of exp(-large) to 0 is expected and harmless in activations; never let it warn.
    return np.errstate(under="ignore")


# -- argument helpers --------------------------------------------------------------------------
def _flat(values: Any) -> list[Any]:
    if isinstance(values, (list, tuple)):
        return [v for x in values for v in _flat(x)]
    return [values]


def _has_tensor(v: Any) -> bool:
    return any(_is_tensorish(x) for x in _flat(v))


def op_input(x: Any, dtype: Any, op_type: str, what: str) -> Tensor:
    """`x` as an input of dtype `dtype` to an op of type `op_type`: a value is converted; a
    Tensor of another dtype is a DTypeError (a TypeError) naming the op and the input, as TF's
    "Input 'contents' of 'DecodeWav' Op has type int32 that does not match ..."."""
    want = dtypes.as_dtype(dtype)
    if isinstance(x, Tensor) and x.dtype is not want:
        raise DTypeError(
            None,
            None,
            f"{op_type}: {what} must be a {want.name} tensor; got {x.dtype.name} ({x!r}).",
        )
    return convert_to_tensor(x, dtype=want)


def _graph_for(*values: Any) -> Any:
    """`with` context: the graph of the Tensors among `values` (the default graph if none), so
    the constants an op function makes land next to its inputs."""
    return graph_of(_flat(list(values)), "array_ops").as_default()


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _plain(v: Any, unknown: int | None, name: str) -> Any:
    """Nested ints with Dimensions unwrapped and None mapped to `unknown`."""
    if isinstance(v, (list, tuple)):
        return [_plain(x, unknown, name) for x in v]
    v = getattr(v, "value", v)  # tf.Dimension
    if v is None:
        if unknown is None:
            raise ValueError(f"{name}: cannot convert an unknown dimension (None) to an int.")
        return unknown
    return v


def _convert_list(values: list[Any]) -> list[Tensor]:
    """Converts values to Tensors, giving Python/NumPy values the dtype of the first Tensor."""
    dt = next((convert_to_tensor(v).dtype for v in values if _is_tensorish(v)), None)
    return [
        convert_to_tensor(v) if _has_tensor(v) else convert_to_tensor(v, dtype=dt) for v in values
    ]


def _dtype_of(v: Any) -> dtypes.DType:
    """The dtype `v` has (a Tensor) or would get from convert_to_tensor (TF's defaults)."""
    if _is_tensorish(v):
        return convert_to_tensor(v).dtype
    return dtypes.as_dtype(dtypes.infer_numpy(_plain(v, None, "value")).dtype)


def _as_list(out: Any) -> list[Tensor]:
    """apply_op's result for a multi-output op as a list (1 output: a Tensor; 0: an Operation)."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, Operation):
        return []
    return list(out)


def _require_int(self: OpDef, t: Tensor, what: str) -> None:
    if t.dtype is not dtypes.int32 and t.dtype is not dtypes.int64:
        raise self.error(f"{what} must be int32 or int64; got {t.dtype.name}.", cls=DTypeError)


def _require_same_dtype(self: OpDef, ts: Any, what: str = "values") -> None:
    for i, t in enumerate(ts[1:], 1):
        if t.dtype is not ts[0].dtype:
            raise self.error(
                f"all {what} must have the same dtype; got {what}[0]: "
                f"{ts[0].dtype.name}, {what}[{i}]: {t.dtype.name}. Use tf.cast.",
                cls=DTypeError,
            )


def _axis_in(self: OpDef, a: int, r: int, what: str = "axis") -> int:
    """`a` normalized into [0, r), or the op's InvalidArgumentError."""
    if not -r <= a < r:
        raise self.error(
            f"{what} {a} is out of range for a tensor of rank {r}; expected {what} in [{-r}, {r})."
        )
    return a % r


# -- what an int tensor says at build time -----------------------------------------------------
def _static_shape_value(t: Tensor) -> TensorShape:
    """What a 1-D shape tensor says statically (unknown entries where it is computed)."""
    if t.op.type == "Shape":
        return t.op.inputs[0].shape
    p = _partial_ints(t)
    if p is None:
        return TensorShape(None)
    return TensorShape([d if d is not None and d >= 0 else None for d in p])


def _strided_index(begin: Any, end: Any, strides: Any, attrs: dict[str, Any]) -> tuple:
    """The NumPy index equal to a TF strided-slice spec (values as ints)."""
    idx: list[Any] = []
    for i in range(len(begin)):
        bit = 1 << i
        if attrs["ellipsis_mask"] & bit:
            idx.append(Ellipsis)
        elif attrs["new_axis_mask"] & bit:
            idx.append(None)
        elif attrs["shrink_axis_mask"] & bit:
            idx.append(int(begin[i]))
        else:
            if int(strides[i]) == 0:
                raise ValueError(f"strides[{i}] must be non-zero")
            idx.append(
                slice(
                    None if attrs["begin_mask"] & bit else int(begin[i]),
                    None if attrs["end_mask"] & bit else int(end[i]),
                    int(strides[i]),
                )
            )
    return tuple(idx)


def _partial_ints(t: Tensor) -> list[int | None] | None:
    """The elements of a 0-D/1-D int tensor as far as they are known at build time: an int where
    static, None where computed; None when even the number of elements is unknown.

    Sees through Pack, ConcatV2 and StridedSlice of shapes, so `[tf.shape(x)[0], -1]` keeps
    what is known of x's first dimension.
    """
    v = static_value(t)
    if v is not None:
        return [int(d) for d in np.asarray(v).reshape(-1)]
    op = t.op
    if op.type == "Shape" and op.inputs[0].shape.known is not None:
        return list(op.inputs[0].shape.known)
    if op.type == "Identity":
        return _partial_ints(op.inputs[0])
    if op.type == "Rank":
        return [op.inputs[0].shape.ndims]
    if op.type == "Size":
        return [op.inputs[0].shape.num_elements()]
    if (
        op.type == "Pack"
        and op.get_attr("axis") in (0, -1)
        and all(i.shape.ndims == 0 for i in op.inputs)
    ):
        out: list[int | None] = []
        for i in op.inputs:
            p = _partial_ints(i)
            out.append(p[0] if p is not None and len(p) == 1 else None)
        return out
    if op.type == "ConcatV2" and all(i.shape.ndims == 1 for i in op.inputs[:-1]):
        parts = [_partial_ints(i) for i in op.inputs[:-1]]
        if all(p is not None for p in parts):
            return [d for p in parts for d in p]  # type: ignore[union-attr]
    if op.type == "StridedSlice" and op.inputs[0].shape.ndims == 1:
        src = _partial_ints(op.inputs[0])
        bes = [static_value(i) for i in op.inputs[1:]]
        if src is not None and all(b is not None for b in bes):
            try:
                index = _strided_index(bes[0], bes[1], bes[2], op.opdef.attrs)
                picked = np.array(src, dtype=object)[index]
            except (IndexError, ValueError):
                picked = None
            if picked is not None:
                return [
                    None if d is None else int(d)
                    for d in np.asarray(picked, dtype=object).reshape(-1)
                ]
    nd = t.shape.ndims
    if nd == 0:
        return [None]
    if nd == 1 and t.shape.known[0] is not None:  # type: ignore[index]
        return [None] * t.shape.known[0]  # type: ignore[index]
    return None


def _scalar_int(t: Tensor) -> int | None:
    """The value of a scalar (or 1-element) int tensor if static, else None."""
    p = _partial_ints(t)
    return p[0] if p is not None and len(p) == 1 else None


def scatter_add_rows(out: np.ndarray, idx: np.ndarray, rows: np.ndarray) -> None:
    """out[idx[i]] += rows[i] for every i, repeated indices accumulating: np.add.at(out, idx,
    rows) for `idx` 1-D and rows of shape (len(idx), *out.shape[1:]).

    np.add.at adds one row element at a time; for rows of many elements this sorts the rows by
    index and sums each run with np.add.reduceat (16x faster for 3,500 rows of 784 into 25
    segments, 1.2-1.8x for sparse embedding gradients). The sums are the same up to rounding
    (another order of additions), deterministic as before. Small inputs, 1-D rows and
    negative indices keep np.add.at."""
    if rows.ndim < 2 or idx.size < 32 or rows[0].size < 8 or idx.min() < 0:
        np.add.at(out, idx, rows)
        return
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    out[s[starts]] += np.add.reduceat(rows[order], starts, axis=0)
