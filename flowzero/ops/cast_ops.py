"""Casts and clipping: cast, to_float/to_double/to_int32/to_int64, saturate_cast,
clip_by_value."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import broadcast_shapes
from flowzero.ops.common import DTypeError, _quiet, binary_operands
from flowzero.ops.logic_ops import greater, less, logical_not, logical_or


def _mask(cond: Tensor, dtype: dtypes.DType) -> Tensor:
    """1 where `cond` holds, else 0, in `dtype` (selects gradient entries without `where`)."""
    return cast(cond, dtype)


# -- casts -------------------------------------------------------------------------------------
@register_op("Cast")
class Cast(OpDef):
    """y = x converted to DstT (floats to ints truncate toward zero; nonzero to bool is True)."""

    def infer(self, x: Tensor) -> TensorSpec:
        dst = self.attrs["DstT"]
        if (x.dtype is dtypes.string) != (dst is dtypes.string):
            raise self.error(
                f"cannot cast between string and numbers; got {x.dtype.name} to "
                f"{dst.name}. Parse strings with a string op instead.",
                cls=DTypeError,
            )
        return spec(x.shape, dst)

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.asarray(x).astype(self.attrs["DstT"].np)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        src = op.inputs[0].dtype
        if (src.is_floating or src.is_complex) and (dy.dtype.is_floating or dy.dtype.is_complex):
            return [cast(dy, src)]
        return [None]  # no gradient into integers or bools


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """Converts a tensor to `dtype` (returns `x` itself when it already has it, as TF).

    Args:
        x: a Tensor (or convertible value).
        dtype: the target type, e.g. tf.float32.
        name: optional node name.

    Returns:
        A Tensor of x's shape and type `dtype`. Floats cast to integers truncate toward zero.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.cast(tf.constant([1.8, -1.8]), tf.int32))
        array([ 1, -1], dtype=int32)
    """
    dst = dtypes.as_dtype(dtype)
    with graph_of([x], "Cast").as_default():
        x = convert_to_tensor(x)
    if x.dtype is dst:
        return x
    return apply_op(Cast, [x], {"SrcT": x.dtype, "DstT": dst}, name=name or "Cast")


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """cast(x, tf.float32).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToFloat").

    Returns:
        A Tensor of x's shape and type float32 (x itself if it has it).
    """
    return cast(x, dtypes.float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    """cast(x, tf.float64).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToDouble").

    Returns:
        A Tensor of x's shape and type float64 (x itself if it has it).
    """
    return cast(x, dtypes.float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    """cast(x, tf.int32).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToInt32").

    Returns:
        A Tensor of x's shape and type int32 (x itself if it has it).
    """
    return cast(x, dtypes.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    """cast(x, tf.int64).

    Args:
        x: a Tensor (or convertible value).
        name: node name (default "ToInt64").

    Returns:
        A Tensor of x's shape and type int64 (x itself if it has it).
    """
    return cast(x, dtypes.int64, name=name)


# -- clipping ----------------------------------------------------------------------------------
@register_op("ClipByValue")
class ClipByValue(OpDef):
    """y = min(max(t, clip_value_min), clip_value_max) (t's shape)."""

    def infer(self, t: Tensor, lo: Tensor, hi: Tensor) -> TensorSpec:
        for nm, v in (("clip_value_min", lo), ("clip_value_max", hi)):
            if v.dtype is not t.dtype:
                raise self.error(
                    f"t and {nm} must have the same dtype; got t: {t.dtype.name}, "
                    f"{nm}: {v.dtype.name}. Use tf.cast.",
                    cls=DTypeError,
                )
        if t.dtype.np.kind not in "fiu":
            raise self.error(f"t must be a real number tensor; got {t.dtype.name}.", cls=DTypeError)
        b = broadcast_shapes(t.shape, lo.shape, hi.shape)
        if b is None or not b.is_compatible_with(t.shape):
            raise self.error(
                f"clip_value_min and clip_value_max must be scalars or broadcast to "
                f"t's shape; got t: {t.shape}, clip_value_min: {lo.shape}, "
                f"clip_value_max: {hi.shape}."
            )
        return spec(t.shape.merge_with(b) if b.ndims is not None else t.shape, t.dtype)

    def compute(self, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        out = np.maximum(np.minimum(t, hi), lo)  # lo wins if lo > hi, as TF1's composite
        if out.shape != np.shape(t):
            raise self.error(
                f"clip_value_min and clip_value_max must broadcast to t's shape; "
                f"got t: {np.shape(t)}, clip_value_min: {np.shape(lo)}, "
                f"clip_value_max: {np.shape(hi)}."
            )
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        t, lo, hi = op.inputs
        below, above = less(t, lo), greater(t, hi)
        inside = logical_not(logical_or(below, above))
        return [
            dy * _mask(inside, dy.dtype),
            dy * _mask(below, dy.dtype),
            dy * _mask(above, dy.dtype),
        ]


def clip_by_value(
    t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None
) -> Tensor:
    """Clips values of `t` to [clip_value_min, clip_value_max].

    Args:
        t: a real-valued Tensor (or convertible value).
        clip_value_min: a scalar or a tensor broadcastable to t's shape, of t's dtype.
        clip_value_max: likewise.
        name: optional node name.

    Returns:
        A Tensor of t's shape and dtype. Its gradient passes dy where min <= t <= max.

    Raises:
        InvalidArgumentError: the bounds would broadcast t to a bigger shape.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.clip_by_value(tf.constant([-2., 0.5, 3.]), 0., 1.))
        array([0. , 0.5, 1. ], dtype=float32)
    """
    with graph_of([t, clip_value_min, clip_value_max], "ClipByValue").as_default():
        t = convert_to_tensor(t)
        _, lo = binary_operands(t, clip_value_min, "ClipByValue")
        _, hi = binary_operands(t, clip_value_max, "ClipByValue")
    return apply_op(ClipByValue, [t, lo, hi], name=name)


__all__ = [
    "cast",
    "to_float",
    "to_double",
    "to_int32",
    "to_int64",
    "clip_by_value",
]
