"""Two SparseTensors (or one and a dense tensor) combined: add, maximum, minimum; softmax over
a SparseTensor's last dimension; the sparse_segment_* reductions (gathered rows of dense data,
reduced by segment ids), as TF's SparseSegmentSum family composes gather and segment ops.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowzero.ops.array_ops import ones_like, size
from flowzero.ops.cast_ops import cast
from flowzero.ops.common import DTypeError, _graph_for
from flowzero.ops.indexing_ops import gather, gather_nd, one_hot, scatter_nd
from flowzero.ops.math_ops import maximum
from flowzero.ops.reshape_ops import reshape
from flowzero.ops.segment_ops import (
    segment_mean,
    segment_sum,
    unsorted_segment_mean,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,
)
from flowzero.ops.sparse_math_ops import SparseReduceSum
from flowzero.ops.sparse_ops import _sparse, check_sparse_indices
from flowzero.ops.unary_ops import sqrt


def _positions(op: OpDef, ind: np.ndarray, shp: np.ndarray) -> np.ndarray:
    check_sparse_indices(op, ind, shp, ordered=False, unique=False)
    dims = tuple(int(d) for d in shp)
    return np.ravel_multi_index(ind.T, dims) if dims else np.zeros(len(ind), np.int64)


def _same_shapes(op: OpDef, a_shape: np.ndarray, b_shape: np.ndarray) -> None:
    if a_shape.tolist() != b_shape.tolist():
        raise op.error(
            f"operands' dense shapes do not match; got {a_shape.tolist()} and {b_shape.tolist()}."
        )


def _check_pair(op: OpDef, a_val: Tensor, b_val: Tensor) -> None:
    if a_val.dtype is not b_val.dtype:
        raise op.error(
            f"both SparseTensors must have the same dtype; got {a_val.dtype.name} and "
            f"{b_val.dtype.name}.",
            cls=DTypeError,
        )


# -- SparseAdd ----------------------------------------------------------------------------------
@register_op("SparseAdd")
class SparseAdd(OpDef):
    """a + b over the union of their entries; sums with |sum| < thresh are dropped."""

    def infer(self, a_i: Tensor, a_v: Tensor, a_s: Tensor, b_i: Tensor, b_v: Tensor,
              b_s: Tensor, thresh: Tensor) -> list[TensorSpec]:  # fmt: skip
        _check_pair(self, a_v, b_v)
        cols = a_i.shape.known[1] if a_i.shape.ndims == 2 else None  # type: ignore[index]
        return [spec([None, cols], dtypes.int64), spec([None], a_v.dtype),
                spec(a_s.shape, dtypes.int64)]  # fmt: skip

    def compute(self, a_i: Any, a_v: Any, a_s: Any, b_i: Any, b_v: Any, b_s: Any, th: Any) -> Any:
        _same_shapes(self, a_s, b_s)
        flat = np.concatenate([_positions(self, a_i, a_s), _positions(self, b_i, b_s)])
        groups, pos = np.unique(flat, return_inverse=True)
        out = np.zeros(len(groups), a_v.dtype)
        np.add.at(out, pos.reshape(-1), np.concatenate([a_v, b_v]))
        keep = np.abs(out) >= th
        ind = np.stack(np.unravel_index(groups[keep], tuple(int(d) for d in a_s)), axis=1)
        return [ind.astype(np.int64).reshape(-1, a_s.size), out[keep], a_s.astype(np.int64)]

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        a_i, _, a_s, b_i, _, _, _ = op.inputs
        da, db = apply_op(SparseAddGrad, [dys[1], a_i, b_i, op.outputs[0], a_s])
        return [None, da, None, None, db, None, None]


@register_op("SparseAddGrad")
class SparseAddGrad(OpDef):
    """(da, db): the upstream gradient of each sum entry, routed to the a and b entries in it
    (0 for an entry whose sum was dropped). The dense shape (input 4) is optional: TF's op
    has four inputs, and any box bounding the indices orders them as the shape does."""

    differentiable = False

    def infer(
        self, dy: Tensor, a_i: Tensor, b_i: Tensor, s_i: Tensor, shp: Tensor | None = None
    ) -> Any:
        return [spec([a_i.shape.known[0] if a_i.shape.ndims else None], dy.dtype),
                spec([b_i.shape.known[0] if b_i.shape.ndims else None], dy.dtype)]  # fmt: skip

    def compute(self, dy: Any, a_i: Any, b_i: Any, s_i: Any, shp: Any = None) -> list[np.ndarray]:
        if shp is None:
            every = np.concatenate([a_i, b_i, s_i]).reshape(-1, s_i.shape[-1])
            shp = every.max(axis=0) + 1 if len(every) else np.zeros(s_i.shape[-1], np.int64)
        s_flat = _positions(self, s_i, shp)
        out = []
        for ind in (a_i, b_i):
            flat = _positions(self, ind, shp)
            at = np.searchsorted(s_flat, flat)
            hit = (at < len(s_flat)) & (s_flat[np.minimum(at, max(len(s_flat) - 1, 0))] == flat)
            g = np.zeros(len(ind), dy.dtype)
            g[hit] = dy[at[hit]]
            out.append(g)
        return out


def sparse_add(a: Any, b: Any, threshold: Any = 0, thresh: Any = None) -> Any:
    """a + b where at least one is a SparseTensor: a SparseTensor for two (entries with
    |sum| < threshold dropped), a dense Tensor for a SparseTensor and a dense one.

    Differentiable wrt the values (and the dense operand).

    Raises:
        TypeError: neither operand is sparse.
        InvalidArgumentError: the dense shapes differ (at run time).
    """
    threshold = thresh if thresh is not None else threshold
    sparse_a = isinstance(a, (SparseTensor, SparseTensorValue))
    sparse_b = isinstance(b, (SparseTensor, SparseTensorValue))
    if not (sparse_a or sparse_b):
        raise TypeError("sparse_add: at least one operand must be a SparseTensor.")
    if sparse_a and sparse_b:
        sa, sb = _sparse(a, "sparse_add"), _sparse(b, "sparse_add")
        with _graph_for(sa.values, sb.values):
            th = convert_to_tensor(threshold, dtype=sa.dtype.real_dtype
                                   if hasattr(sa.dtype, "real_dtype") else sa.dtype)  # fmt: skip
            ind, val, shp = apply_op(
                SparseAdd,
                [sa.indices, sa.values, sa.dense_shape, sb.indices, sb.values, sb.dense_shape, th],
            )
        out = SparseTensor(ind, val, shp)
        if sa.shape.is_compatible_with(sb.shape):
            out._set_static_shape(sa.shape.merge_with(sb.shape))
        return out
    sp, dense = (_sparse(a, "sparse_add"), b) if sparse_a else (_sparse(b, "sparse_add"), a)
    with _graph_for(sp.values, dense):
        dense = convert_to_tensor(dense, dtype=sp.dtype)
        # duplicates accumulate, as TF's SparseTensorDenseAdd
        return dense + scatter_nd(sp.indices, sp.values, cast(sp.dense_shape, dtypes.int64))


# -- SparseSoftmax ------------------------------------------------------------------------------
@register_op("SparseSoftmax")
class SparseSoftmax(OpDef):
    """softmax of the stored values of each innermost row (the entries sharing all but their
    last coordinate); the implicit zeros take no part."""

    def infer(self, ind: Tensor, val: Tensor, shp: Tensor) -> TensorSpec:
        if not val.dtype.is_floating:
            raise self.error(f"values must be floating; got {val.dtype.name}.", cls=DTypeError)
        return spec(val.shape, val.dtype)

    def compute(self, ind: np.ndarray, val: np.ndarray, shp: np.ndarray) -> np.ndarray:
        if shp.size < 2:
            raise self.error(f"the SparseTensor must have rank >= 2; got {shp.tolist()}.")
        check_sparse_indices(self, ind, shp, ordered=False, unique=False)
        rows = np.ravel_multi_index(ind[:, :-1].T, tuple(int(d) for d in shp[:-1]))
        _, g = np.unique(rows, return_inverse=True)
        g = g.reshape(-1)
        top = np.full(g.max() + 1 if g.size else 0, -np.inf, val.dtype)
        np.maximum.at(top, g, val)
        e = np.exp(val - top[g])
        total = np.zeros_like(top)
        np.add.at(total, g, e)
        return (e / total[g]).astype(val.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        ind, _, shp = op.inputs
        y = op.outputs[0]
        # d = (dy - sum over the row of dy * y) * y; the row sums, kept as [..., 1], are read
        # back at each entry's coordinates with the last one set to 0.
        rank = size(shp, out_type=dtypes.int64)
        last = reshape(cast(rank - 1, dtypes.int64), [1])
        sums = apply_op(SparseReduceSum, [ind, dy * y, shp, last], {"keep_dims": True})
        not_last = ones_like(shp) - one_hot(rank - 1, rank, dtype=dtypes.int64)
        return [None, (dy - gather_nd(sums, ind * reshape(not_last, [1, -1]))) * y, None]


def sparse_softmax(sp_input: Any, name: str | None = None) -> SparseTensor:
    """Softmax over each innermost row of a SparseTensor (rank >= 2), of the stored values
    only: the result has the same indices. Differentiable wrt the values.

    Example:
        >>> sess = tf.Session()
        >>> sp = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, 2.0, 3.0], [2, 3])
        >>> sess.run(tf.sparse.softmax(sp)).values   # [0.269, 0.731, 1.0]
        array([0.2689414, 0.7310586, 1.       ], dtype=float32)
    """
    sp = _sparse(sp_input, "sparse_softmax")
    with _graph_for(sp.values):
        val = apply_op(SparseSoftmax, [sp.indices, sp.values, sp.dense_shape], name=name)
    out = SparseTensor(sp.indices, val, sp.dense_shape)
    out._set_static_shape(sp.shape)
    return out


# -- SparseSparseMaximum / Minimum --------------------------------------------------------------
class _SparseSparseMinMax(OpDef):
    """Elementwise max/min over the union of both operands' entries (a missing one is 0)."""

    differentiable = False
    ufunc: ClassVar[Any] = np.maximum

    def infer(self, a_i: Tensor, a_v: Tensor, a_s: Tensor, b_i: Tensor, b_v: Tensor,
              b_s: Tensor) -> list[TensorSpec]:  # fmt: skip
        _check_pair(self, a_v, b_v)
        cols = a_i.shape.known[1] if a_i.shape.ndims == 2 else None  # type: ignore[index]
        return [spec([None, cols], dtypes.int64), spec([None], a_v.dtype)]

    def compute(self, a_i: Any, a_v: Any, a_s: Any, b_i: Any, b_v: Any, b_s: Any) -> Any:
        _same_shapes(self, a_s, b_s)
        fa, fb = _positions(self, a_i, a_s), _positions(self, b_i, b_s)
        groups = np.union1d(fa, fb)
        va = np.zeros(len(groups), a_v.dtype)
        vb = np.zeros(len(groups), b_v.dtype)
        va[np.searchsorted(groups, fa)] = a_v
        vb[np.searchsorted(groups, fb)] = b_v
        ind = np.stack(np.unravel_index(groups, tuple(int(d) for d in a_s)), axis=1)
        return [ind.astype(np.int64).reshape(-1, a_s.size), type(self).ufunc(va, vb)]


@register_op("SparseSparseMaximum")
class SparseSparseMaximum(_SparseSparseMinMax):
    """max(a, b) elementwise over the union of entries."""


@register_op("SparseSparseMinimum")
class SparseSparseMinimum(_SparseSparseMinMax):
    """min(a, b) elementwise over the union of entries."""

    ufunc = np.minimum


def _minmax(cls: type[OpDef], sp_a: Any, sp_b: Any, name: str | None, fn: str) -> SparseTensor:
    a, b = _sparse(sp_a, fn), _sparse(sp_b, fn)
    with _graph_for(a.values, b.values):
        ind, val = apply_op(
            cls, [a.indices, a.values, a.dense_shape, b.indices, b.values, b.dense_shape], name=name
        )
    out = SparseTensor(ind, val, a.dense_shape)
    out._set_static_shape(a.shape)
    return out


def sparse_maximum(sp_a: Any, sp_b: Any, name: str | None = None) -> SparseTensor:
    """Elementwise max of two SparseTensors of one dense shape (missing entries count as 0)."""
    return _minmax(SparseSparseMaximum, sp_a, sp_b, name, "sparse_maximum")


def sparse_minimum(sp_a: Any, sp_b: Any, name: str | None = None) -> SparseTensor:
    """Elementwise min of two SparseTensors of one dense shape (missing entries count as 0)."""
    return _minmax(SparseSparseMinimum, sp_a, sp_b, name, "sparse_minimum")


# -- sparse_segment_* ---------------------------------------------------------------------------
def _gathered(data: Any, indices: Any, segment_ids: Any) -> tuple[Tensor, Tensor]:
    return gather(data, indices), convert_to_tensor(segment_ids)


def sparse_segment_sum(
    data: Any, indices: Any, segment_ids: Any, name: str | None = None, num_segments: Any = None
) -> Tensor:
    """y[j] = sum of data[indices[i]] over i with segment_ids[i] == j (ids sorted unless
    num_segments is given). Differentiable wrt data.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.sparse.segment_sum([[1., 2.], [3., 4.]], [0, 1, 1], [0, 0, 1]))
        array([[4., 6.], [3., 4.]], dtype=float32)
    """
    with _graph_for(data, indices, segment_ids):
        rows, ids = _gathered(data, indices, segment_ids)
        if num_segments is not None:
            return unsorted_segment_sum(rows, ids, num_segments, name=name)
        return segment_sum(rows, ids, name=name)


def sparse_segment_mean(
    data: Any, indices: Any, segment_ids: Any, name: str | None = None, num_segments: Any = None
) -> Tensor:
    """y[j] = mean of data[indices[i]] over i with segment_ids[i] == j (0 for an empty one)."""
    with _graph_for(data, indices, segment_ids):
        rows, ids = _gathered(data, indices, segment_ids)
        if num_segments is not None:
            return unsorted_segment_mean(rows, ids, num_segments, name=name)
        return segment_mean(rows, ids, name=name)


def sparse_segment_sqrt_n(
    data: Any, indices: Any, segment_ids: Any, name: str | None = None, num_segments: Any = None
) -> Tensor:
    """y[j] = sum of data[indices[i]] over segment j divided by sqrt(its size) (0 if empty)."""
    with _graph_for(data, indices, segment_ids):
        rows, ids = _gathered(data, indices, segment_ids)
        if num_segments is not None:
            return unsorted_segment_sqrt_n(rows, ids, num_segments, name=name)
        total = segment_sum(rows, ids)
        count = segment_sum(ones_like(ids, dtype=rows.dtype), ids)
        extra = [1] * (rows.shape.ndims - 1) if rows.shape.ndims else []
        scale = reshape(sqrt(maximum(count, ones_like(count))), [-1, *extra])
        return total / scale


__all__ = [
    "sparse_add",
    "sparse_softmax",
    "sparse_maximum",
    "sparse_minimum",
    "sparse_segment_sum",
    "sparse_segment_mean",
    "sparse_segment_sqrt_n",
]
