"""Segment reductions: segment_sum/mean/max/min/prod over sorted ids, and the
unsorted_segment_* family over any ids (with num_segments).

Sorted: `segment_ids` is a 1-D, non-decreasing, non-negative vector as long as data's first
dimension; the output has max(id) + 1 rows and empty segments hold 0 (1 for prod).
Unsorted: `segment_ids` has a prefix of data's shape; ids < 0 are dropped; the output has
`num_segments` rows and an empty segment holds the reduction's identity (the dtype's lowest
finite value for max, its highest for min, 0 for sum, 1 for prod).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, broadcast_to, ones_like, shape, zeros_like
from flowzero.ops.cast_ops import cast
from flowzero.ops.common import (
    DTypeError,
    _graph_for,
    _require_int,
    _scalar_int,
    scatter_add_rows,
)
from flowzero.ops.indexing_ops import gather, where
from flowzero.ops.logic_ops import equal, greater, greater_equal, logical_and
from flowzero.ops.manip_ops import concat
from flowzero.ops.math_ops import maximum
from flowzero.ops.reshape_ops import reshape
from flowzero.ops.unary_ops import sqrt

_UFUNC = {"sum": np.add, "max": np.maximum, "min": np.minimum, "prod": np.multiply}


def _identity(kind: str, dt: np.dtype) -> Any:
    if kind in ("sum", "mean"):
        return 0
    if kind == "prod":
        return 1
    info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)  # finite, as TF's lowest()
    return info.min if kind == "max" else info.max


def _reduce(kind: str, data: np.ndarray, ids: np.ndarray, n: int, empty: Any) -> np.ndarray:
    """Rows of `data` (first ids.ndim dims flattened) reduced into n segments by `ids` (ids < 0
    dropped); segments no row reached hold `empty`."""
    k = ids.ndim
    rows = data.reshape((ids.size,) + data.shape[k:])
    flat = ids.reshape(-1)
    keep = flat >= 0
    if not keep.all():
        rows, flat = rows[keep], flat[keep]
    ufunc = _UFUNC["sum" if kind == "mean" else kind]
    out = np.full((n,) + data.shape[k:], _identity(kind, data.dtype), dtype=data.dtype)
    if ufunc is np.add:
        scatter_add_rows(out, flat, rows)
    else:
        ufunc.at(out, flat, rows)
    if kind == "mean":
        count = np.bincount(flat, minlength=n)[:n].reshape((n,) + (1,) * (data.ndim - k))
        out = np.where(count > 0, out / np.maximum(count, 1).astype(out.dtype), 0)
        out = out.astype(data.dtype, copy=False)
    if empty is not None and kind in ("max", "min"):
        hit = np.zeros(n, bool)
        hit[flat] = True
        out[~hit] = empty
    return out


class _Segment(OpDef):
    """Sorted segment reduction (see the module docstring)."""

    kind: ClassVar[str] = ""

    def infer(self, data: Tensor, ids: Tensor) -> TensorSpec:
        _require_int(self, ids, "segment_ids")
        if data.dtype.np.kind not in "fiu":
            raise self.error(f"data must be real numeric; got {data.dtype.name}.", cls=DTypeError)
        if ids.shape.ndims not in (None, 1):
            raise self.error(f"segment_ids must be a vector; got shape {ids.shape}.")
        if data.shape.ndims == 0:
            raise self.error("data must have rank >= 1; got a scalar.")
        if data.shape.ndims and not data.shape[:1].is_compatible_with(ids.shape):
            raise self.error(
                f"segment_ids must be as long as data's first dimension; got "
                f"data: {data.shape}, segment_ids: {ids.shape}."
            )
        if data.shape.ndims is None:
            return spec(TensorShape(None), data.dtype)
        return spec([None, *data.shape.as_list()[1:]], data.dtype)

    def compute(self, data: np.ndarray, ids: np.ndarray) -> np.ndarray:
        if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
            raise self.error(
                f"segment_ids must be a vector as long as data's first dimension; "
                f"got data: {data.shape}, segment_ids: {ids.shape}."
            )
        if ids.size and ids[0] < 0:
            raise self.error(f"segment ids must be non-negative; got segment_ids[0] = {ids[0]}.")
        if ids.size > 1 and (np.diff(ids) < 0).any():
            i = int(np.argmax(np.diff(ids) < 0)) + 1
            raise self.error(
                f"segment ids are not increasing: segment_ids[{i - 1}] = "
                f"{ids[i - 1]} > segment_ids[{i}] = {ids[i]}."
            )
        n = int(ids[-1]) + 1 if ids.size else 0
        return _reduce(self.kind, data, ids, n, 0)


class _Unsorted(OpDef):
    """Unsorted segment reduction (see the module docstring)."""

    kind: ClassVar[str] = ""

    def infer(self, data: Tensor, ids: Tensor, num: Tensor) -> TensorSpec:
        _require_int(self, ids, "segment_ids")
        _require_int(self, num, "num_segments")
        if data.dtype.np.kind not in "fiu":
            raise self.error(f"data must be real numeric; got {data.dtype.name}.", cls=DTypeError)
        if num.shape.ndims not in (None, 0):
            raise self.error(f"num_segments must be a scalar; got shape {num.shape}.")
        n = _scalar_int(num)
        ds, ks = data.shape, ids.shape
        if ds.ndims is None or ks.ndims is None:
            return spec(TensorShape(None), data.dtype)
        if ks.ndims > ds.ndims or not ds[: ks.ndims].is_compatible_with(ks):
            raise self.error(
                f"segment_ids.shape must be a prefix of data.shape; got data: "
                f"{ds}, segment_ids: {ks}."
            )
        return spec([n] + list(ds.known[ks.ndims :]), data.dtype)  # type: ignore[index]

    def compute(self, data: np.ndarray, ids: np.ndarray, num: np.ndarray) -> np.ndarray:
        n = int(num)
        if ids.shape != data.shape[: ids.ndim]:
            raise self.error(
                f"segment_ids.shape must be a prefix of data.shape; got data: "
                f"{data.shape}, segment_ids: {ids.shape}."
            )
        if n < 0:
            raise self.error(f"num_segments must be non-negative; got {n}.")
        if ids.size and ids.max() >= n:
            pos = np.unravel_index(int(np.argmax(ids)), ids.shape)
            at = ",".join(str(int(p)) for p in pos)
            raise self.error(f"segment_ids[{at}] = {int(ids[pos])} is out of range [0, {n}).")
        return _reduce(self.kind, data, ids, n, None)


def _keep_mask(ids: Tensor, like: Tensor) -> Tensor:
    """ids >= 0, broadcast over the trailing dims of `like` (shape ids.shape + inner)."""
    k, r = ids.shape.ndims, like.shape.ndims
    if k is None or r is None:
        raise NotImplementedError(
            "the gradient of an unsorted segment reduction needs segment_ids and data of known rank"
        )
    keep = greater_equal(ids, 0)
    if r > k:
        keep = reshape(keep, concat([shape(ids), [1] * (r - k)], 0))
    return broadcast_to(keep, shape(like))


def _gather_drop_negatives(values: Tensor, ids: Tensor) -> tuple[Tensor, Tensor]:
    """values[ids] with the rows of negative ids zeroed, and the mask of kept entries."""
    gathered = gather(values, maximum(ids, 0))
    keep = _keep_mask(ids, gathered)
    return where(keep, gathered, zeros_like(gathered)), keep


def _min_max_grad(op: Any, dy: Tensor, unsorted: bool) -> Tensor:
    # The gradient goes to the entries equal to their segment's result, split among ties.
    data, ids = op.inputs[0], op.inputs[1]
    if unsorted:
        gathered, keep = _gather_drop_negatives(op.outputs[0], ids)
        chosen = logical_and(equal(data, gathered), keep)
        count = unsorted_segment_sum(cast(chosen, dy.dtype), ids, op.inputs[2])
        g, _ = _gather_drop_negatives(dy / count, ids)
    else:
        chosen = equal(data, gather(op.outputs[0], ids))
        count = segment_sum(cast(chosen, dy.dtype), ids)
        g = gather(dy / count, ids)
    return where(chosen, g, zeros_like(g))


def _prod_grad(op: Any, dy: Tensor, unsorted: bool) -> Tensor:
    # d prod / d x_i = prod of the others: prod / x_i, or the product of the non-zero
    # entries where x_i is the segment's only zero (0 where there are two zeros or more).
    data, ids = op.inputs[0], op.inputs[1]
    num = op.inputs[2] if unsorted else shape(dy, out_type=ids.dtype)[0]
    zero = equal(data, zeros_like(data))
    n_zeros = unsorted_segment_sum(cast(zero, dy.dtype), ids, num)
    dy = where(greater(n_zeros, 1), zeros_like(dy), dy)
    nonzero_prod = unsorted_segment_prod(where(zero, ones_like(data), data), ids, num)
    g_prod, _ = _gather_drop_negatives(op.outputs[0], ids)
    g_nonzero, _ = _gather_drop_negatives(nonzero_prod, ids)
    partial = where(zero, g_nonzero, g_prod / data)
    g_dy, _ = _gather_drop_negatives(dy, ids)
    return g_dy * partial


@register_op("SegmentSum")
class SegmentSum(_Segment):
    """y[j] = sum of data[i] with segment_ids[i] == j (ids sorted)."""

    kind = "sum"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [gather(dy, op.inputs[1]), None]


@register_op("SegmentMean")
class SegmentMean(_Segment):
    """y[j] = mean of data[i] with segment_ids[i] == j (ids sorted; 0 for an empty one)."""

    kind = "mean"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        data, ids = op.inputs
        count = segment_sum(ones_like(data), ids)
        return [gather(dy / count, ids), None]


@register_op("SegmentMax")
class SegmentMax(_Segment):
    """y[j] = max of data[i] with segment_ids[i] == j (ids sorted; 0 for an empty one)."""

    kind = "max"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_min_max_grad(op, dy, False), None]


@register_op("SegmentMin")
class SegmentMin(_Segment):
    """y[j] = min of data[i] with segment_ids[i] == j (ids sorted; 0 for an empty one)."""

    kind = "min"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_min_max_grad(op, dy, False), None]


@register_op("SegmentProd")
class SegmentProd(_Segment):
    """y[j] = product of data[i] with segment_ids[i] == j (ids sorted; 1 for an empty one)."""

    kind = "prod"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_prod_grad(op, dy, False), None]


@register_op("UnsortedSegmentSum")
class UnsortedSegmentSum(_Unsorted):
    """y[j] = sum of data[i...] with segment_ids[i...] == j (ids < 0 dropped)."""

    kind = "sum"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_gather_drop_negatives(dy, op.inputs[1])[0], None, None]


@register_op("UnsortedSegmentMax")
class UnsortedSegmentMax(_Unsorted):
    """y[j] = max of data[i...] with segment_ids[i...] == j (lowest finite value if empty)."""

    kind = "max"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_min_max_grad(op, dy, True), None, None]


@register_op("UnsortedSegmentMin")
class UnsortedSegmentMin(_Unsorted):
    """y[j] = min of data[i...] with segment_ids[i...] == j (highest finite value if empty)."""

    kind = "min"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_min_max_grad(op, dy, True), None, None]


@register_op("UnsortedSegmentProd")
class UnsortedSegmentProd(_Unsorted):
    """y[j] = product of data[i...] with segment_ids[i...] == j (1 when empty)."""

    kind = "prod"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_prod_grad(op, dy, True), None, None]


# -- public functions --------------------------------------------------------------------------
def _segment(cls: type[OpDef], data: Any, ids: Any, name: str | None) -> Tensor:
    with _graph_for(data, ids):
        return apply_op(cls, [data, _int_operand(ids, "segment_ids")], name=name)


def _unsorted(cls: type[OpDef], data: Any, ids: Any, num: Any, name: str | None) -> Tensor:
    with _graph_for(data, ids, num):
        return apply_op(
            cls,
            [data, _int_operand(ids, "segment_ids"), _int_operand(num, "num_segments")],
            name=name,
        )


def segment_sum(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Sums of the rows of `data` per segment; `segment_ids` sorted, one id per row.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.segment_sum([[1, 2], [3, 4], [5, 6]], [0, 0, 1]))
        array([[4, 6],
               [5, 6]], dtype=int32)
    """
    return _segment(SegmentSum, data, segment_ids, name)


def segment_mean(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Means of the rows of `data` per segment (sorted ids; an empty segment gives 0)."""
    return _segment(SegmentMean, data, segment_ids, name)


def segment_max(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Maxima of the rows of `data` per segment (sorted ids; an empty segment gives 0)."""
    return _segment(SegmentMax, data, segment_ids, name)


def segment_min(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Minima of the rows of `data` per segment (sorted ids; an empty segment gives 0)."""
    return _segment(SegmentMin, data, segment_ids, name)


def segment_prod(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Products of the rows of `data` per segment (sorted ids; an empty segment gives 1)."""
    return _segment(SegmentProd, data, segment_ids, name)


def unsorted_segment_sum(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Sums per segment, for ids in any order (shape a prefix of data's; ids < 0 dropped).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.unsorted_segment_sum([1., 2., 3.], [1, 0, 1], 3))
        array([2., 4., 0.], dtype=float32)
    """
    return _unsorted(UnsortedSegmentSum, data, segment_ids, num_segments, name)


def unsorted_segment_max(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Maxima per segment, ids in any order (an empty segment gives the dtype's lowest)."""
    return _unsorted(UnsortedSegmentMax, data, segment_ids, num_segments, name)


def unsorted_segment_min(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Minima per segment, ids in any order (an empty segment gives the dtype's highest)."""
    return _unsorted(UnsortedSegmentMin, data, segment_ids, num_segments, name)


def unsorted_segment_prod(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Products per segment, ids in any order (an empty segment gives 1)."""
    return _unsorted(UnsortedSegmentProd, data, segment_ids, num_segments, name)


def _segment_counts(data: Tensor, ids: Tensor, num: Any) -> Tensor:
    """How many entries each segment got (at least 1), as [num_segments, 1, ...] to broadcast
    against the sums."""
    from flowzero.ops.array_ops import fill, rank

    n = maximum(unsorted_segment_sum(ones_like(ids, dtype=data.dtype), ids, num), 1)
    k, r = ids.shape.ndims, data.shape.ndims
    if k is not None and r is not None:
        return reshape(n, [-1] + [1] * (r - k))
    ones = fill(reshape(rank(data) - rank(ids), [1]), 1)
    return reshape(n, concat([[-1], ones], 0))


def unsorted_segment_mean(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Means per segment, ids in any order (an empty segment gives 0)."""
    with _graph_for(data, segment_ids, num_segments):
        d = convert_to_tensor(data)
        ids = _int_operand(segment_ids, "segment_ids")
        total = unsorted_segment_sum(d, ids, num_segments)
        return total / _segment_counts(d, ids, num_segments)


def unsorted_segment_sqrt_n(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """Sums per segment divided by the square root of the segment's size (0 when empty)."""
    with _graph_for(data, segment_ids, num_segments):
        d = convert_to_tensor(data)
        ids = _int_operand(segment_ids, "segment_ids")
        total = unsorted_segment_sum(d, ids, num_segments)
        return total / sqrt(_segment_counts(d, ids, num_segments))


__all__ = [
    "segment_sum",
    "segment_mean",
    "segment_max",
    "segment_min",
    "segment_prod",
    "unsorted_segment_sum",
    "unsorted_segment_max",
    "unsorted_segment_min",
    "unsorted_segment_prod",
    "unsorted_segment_mean",
    "unsorted_segment_sqrt_n",
]
