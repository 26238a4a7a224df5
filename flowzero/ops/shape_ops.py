"""Shapes as values and checks: ensure_shape (a run-time check), broadcast_dynamic_shape
(BroadcastArgs) and broadcast_static_shape, shape_n, parallel_stack, and bitcast (the same
bytes read as another dtype)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape, broadcast_shapes
from flowzero.ops.array_ops import _int_operand, shape, stack
from flowzero.ops.common import DTypeError, _graph_for, _partial_ints, _require_int


# -- ensure_shape ------------------------------------------------------------------------------
@register_op("EnsureShape")
class EnsureShape(OpDef):
    """y = x, after checking at run time that x's shape is compatible with `shape`."""

    forwards_input = True
    grads_match_inputs = True

    def infer(self, x: Tensor) -> TensorSpec:
        want = as_shape(self.attrs["shape"])
        if not x.shape.is_compatible_with(want):
            raise self.error(
                f"shape of x {x.shape} is not compatible with the expected shape {want}."
            )
        return spec(x.shape.merge_with(want), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        want = as_shape(self.attrs["shape"])
        if not want.is_compatible_with(x.shape):
            raise self.error(
                f"Shape of tensor x {list(x.shape)} is not compatible with expected shape {want}."
            )
        return x

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy]


def ensure_shape(x: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`x` unchanged, with its static shape refined by `shape`; running it checks that x's
    actual shape is compatible with `shape` (None entries match any size).

    Raises:
        InvalidArgumentError (a ValueError): x's static shape already contradicts `shape`.
        InvalidArgumentError: at run time, x's shape does not match.

    Example:
        >>> y = tf.ensure_shape(tf.placeholder(tf.float32, [None, None]), [None, 3])
        >>> y.shape
        TensorShape([None, 3])
    """
    with _graph_for(x):
        return apply_op(EnsureShape, [convert_to_tensor(x)], {"shape": as_shape(shape)}, name=name)


# -- broadcast shapes --------------------------------------------------------------------------
@register_op("BroadcastArgs")
class BroadcastArgs(OpDef):
    """y = the shape that arrays of shapes s0 and s1 broadcast to (NumPy's rules)."""

    differentiable = False

    def infer(self, s0: Tensor, s1: Tensor) -> TensorSpec:
        _require_int(self, s0, "s0")
        _require_int(self, s1, "s1")
        if s0.dtype is not s1.dtype:
            raise self.error(
                f"s0 and s1 must have the same dtype; got {s0.dtype.name} and {s1.dtype.name}.",
                cls=DTypeError,
            )
        for t, what in ((s0, "s0"), (s1, "s1")):
            if t.shape.ndims not in (None, 1):
                raise self.error(f"{what} must be a vector; got shape {t.shape}.")
        p0, p1 = _partial_ints(s0), _partial_ints(s1)
        if p0 is None or p1 is None:
            return spec([None], s0.dtype)
        if None not in p0 and None not in p1:
            if broadcast_shapes(TensorShape(p0), TensorShape(p1)) is None:
                raise self.error(f"Incompatible shapes: {p0} vs. {p1}.")
        return spec([max(len(p0), len(p1))], s0.dtype)

    def compute(self, s0: np.ndarray, s1: np.ndarray) -> np.ndarray:
        try:
            out = np.broadcast_shapes(tuple(int(d) for d in s0), tuple(int(d) for d in s1))
        except ValueError:
            raise self.error(f"Incompatible shapes: {s0.tolist()} vs. {s1.tolist()}.") from None
        return np.array(out, dtype=s0.dtype)


@register_op("BroadcastGradientArgs")
class BroadcastGradientArgs(OpDef):
    """r0, r1 = the axes of the broadcast result along which a gradient is summed to get back
    to shape s0 / s1: the axes where s0 / s1 (padded with leading 1s) is 1; none when s0 and
    s1 are equal. (TF's gradients of broadcasting ops; flowzero's own gradients un-broadcast
    in the autodiff walk instead, so only imported graphs hold it.)"""

    differentiable = False

    def infer(self, s0: Tensor, s1: Tensor) -> list[TensorSpec]:
        BroadcastArgs(self.attrs, self.node_name).infer(s0, s1)
        return [spec([None], s0.dtype), spec([None], s0.dtype)]

    def compute(self, s0: np.ndarray, s1: np.ndarray) -> list[np.ndarray]:
        a, b = [int(d) for d in s0], [int(d) for d in s1]
        if a == b:
            return [np.zeros(0, s0.dtype), np.zeros(0, s0.dtype)]
        n = max(len(a), len(b))
        a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
        if any(x != y and x != 1 and y != 1 for x, y in zip(a, b)):
            raise self.error(f"Incompatible shapes: {s0.tolist()} vs. {s1.tolist()}.")
        return [np.array([i for i, d in enumerate(dims) if d == 1], s0.dtype) for dims in (a, b)]


def broadcast_dynamic_shape(shape_x: Any, shape_y: Any) -> Tensor:
    """The shape (an int vector) that tensors of shapes `shape_x` and `shape_y` broadcast to.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.broadcast_dynamic_shape([2, 1, 3], [4, 1]))
        array([2, 4, 3], dtype=int32)
    """
    with _graph_for(shape_x, shape_y):
        sx, sy = _int_operand(shape_x, "shape_x"), _int_operand(shape_y, "shape_y")
        if sx.dtype is not sy.dtype:  # a Python list next to an int64 tensor takes its dtype
            if not isinstance(shape_x, Tensor):
                sx = convert_to_tensor(np.asarray(shape_x), dtype=sy.dtype)
            elif not isinstance(shape_y, Tensor):
                sy = convert_to_tensor(np.asarray(shape_y), dtype=sx.dtype)
        return apply_op(BroadcastArgs, [sx, sy], name="BroadcastArgs")


def broadcast_static_shape(shape_x: Any, shape_y: Any) -> TensorShape:
    """The TensorShape that tensors of static shapes `shape_x` and `shape_y` broadcast to
    (unknown dimensions stay unknown where they decide the result).

    Raises:
        ValueError: the shapes cannot broadcast.

    Example:
        >>> tf.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([3]))
        TensorShape([2, 3])
    """
    sx, sy = as_shape(shape_x), as_shape(shape_y)
    out = broadcast_shapes(sx, sy)
    if out is None:
        raise ValueError(f"Incompatible shapes for broadcasting: {sx} and {sy}")
    return out


# -- lists of shapes / tensors -----------------------------------------------------------------
def shape_n(input: Any, out_type: Any = dtypes.int32, name: str | None = None) -> list[Tensor]:  # noqa: A002
    """The shape of each tensor in the list `input` (a list of int vectors).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.shape_n([tf.zeros([2, 3]), tf.zeros([4])]))
        [array([2, 3], dtype=int32), array([4], dtype=int32)]
    """
    with _graph_for(list(input)):
        ts = [convert_to_tensor(x) for x in input]
        g = ts[0].graph if ts else convert_to_tensor(0).graph
        with g.name_scope(name or "ShapeN"):
            return [shape(t, out_type=out_type) for t in ts]


def parallel_stack(values: Any, name: str = "parallel_stack") -> Tensor:
    """Stacks the list `values` along a new first axis (as tf.stack with axis=0); TF copies
    the inputs in parallel, which is why every input's shape must be fully known.

    Raises:
        ValueError: an input shape is not fully defined, or the shapes differ.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.parallel_stack([[1, 2], [3, 4]]))
        array([[1, 2],
               [3, 4]], dtype=int32)
    """
    with _graph_for(list(values)):
        ts = [convert_to_tensor(v) for v in values]
        for t in ts:
            if not t.shape.is_fully_defined():
                raise ValueError(
                    f"parallel_stack: all input shapes must be fully defined; got "
                    f"{t.shape} for '{t.name}'."
                )
        if len({tuple(t.shape.as_list()) for t in ts}) > 1:
            raise ValueError(
                f"parallel_stack: all inputs must have the same shape; got "
                f"{[t.shape.as_list() for t in ts]}."
            )
        return stack(ts, axis=0, name=name)


# -- bitcast -----------------------------------------------------------------------------------
_BITCAST_KINDS = "biufc"


@register_op("Bitcast")
class Bitcast(OpDef):
    """y = the bytes of x read as dtype `type`: the same shape for equal sizes; a new last
    dimension of size(x.dtype) / size(type) when narrowing; the last dimension (which must be
    size(type) / size(x.dtype)) folded away when widening."""

    differentiable = False

    def _sizes(self, x: Tensor) -> tuple[int, int, dtypes.DType]:
        dst = dtypes.as_dtype(self.attrs["type"])
        for dt in (x.dtype, dst):
            if dt.np.kind not in _BITCAST_KINDS or dt is dtypes.bool:
                raise self.error(
                    f"cannot bitcast from {x.dtype.name} to {dst.name}: only numeric dtypes.",
                    cls=DTypeError,
                )
        return x.dtype.np.itemsize, dst.np.itemsize, dst

    def infer(self, x: Tensor) -> TensorSpec:
        a, b, dst = self._sizes(x)
        if x.shape.ndims is None:
            return spec(TensorShape(None), dst)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        if a == b:
            return spec(dims, dst)
        if a > b:
            return spec(dims + [a // b], dst)
        if not dims or (dims[-1] is not None and dims[-1] != b // a):
            raise self.error(
                f"cannot bitcast from {x.dtype.name} to {dst.name}: the last dimension of x "
                f"must be {b // a}; got shape {x.shape}."
            )
        return spec(dims[:-1], dst)

    def compute(self, x: np.ndarray) -> np.ndarray:
        dst = dtypes.as_dtype(self.attrs["type"]).np
        a, b = x.dtype.itemsize, dst.itemsize
        if a < b and (x.ndim == 0 or x.shape[-1] != b // a):
            raise self.error(
                f"cannot bitcast from {x.dtype} to {dst}: the last dimension of x must be "
                f"{b // a}; got shape {x.shape}."
            )
        y = np.ascontiguousarray(x).view(dst)
        if a > b:
            return y.reshape(x.shape + (a // b,))
        if a < b:
            return y.reshape(x.shape[:-1])
        return y.reshape(x.shape)


def bitcast(input: Any, type: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The bytes of `input` reinterpreted as dtype `type` (no conversion of values).

    Raises:
        InvalidArgumentError: widening needs a last dimension of the size ratio.

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.bitcast(tf.constant(1.0), tf.int32)))
        1065353216
    """
    with _graph_for(input):
        return apply_op(
            Bitcast, [convert_to_tensor(input)], {"type": dtypes.as_dtype(type)}, name=name
        )


__all__ = [
    "ensure_shape",
    "broadcast_dynamic_shape",
    "broadcast_static_shape",
    "shape_n",
    "parallel_stack",
    "bitcast",
]
