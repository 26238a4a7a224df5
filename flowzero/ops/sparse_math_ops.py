"""Arithmetic on SparseTensors: sparse x dense matmul, reductions, add, softmax, maximum and
minimum (TensorFlow's kernels of the same names, each taking a SparseTensor as its three
tensors: indices [N, rank] int64, values [N], dense_shape [rank] int64).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.framework.sparse_tensor import SparseTensor
from flowzero.ops.array_ops import shape as shape_of
from flowzero.ops.array_ops import size
from flowzero.ops.cast_ops import cast
from flowzero.ops.common import DTypeError, _graph_for, _static_shape_value, scatter_add_rows
from flowzero.ops.indexing_ops import gather, gather_nd
from flowzero.ops.linalg_ops import matmul
from flowzero.ops.logic_ops import equal
from flowzero.ops.range_ops import range as range_
from flowzero.ops.reduction_ops import reduce_sum
from flowzero.ops.reshape_ops import reshape, transpose
from flowzero.ops.sparse_ops import _sparse, check_sparse_indices


def _check_sparse(op: OpDef, ind: np.ndarray, val: np.ndarray, shp: np.ndarray, **kw: Any) -> None:
    if val.ndim != 1 or val.shape[0] != ind.shape[0]:
        raise op.error(
            f"values must be a vector as long as indices; got indices: {ind.shape}, values: "
            f"{val.shape}."
        )
    check_sparse_indices(op, ind, np.asarray(shp, np.int64), **kw)


def _sparse_specs(ind: Tensor, val: Tensor, shp: Tensor) -> list[TensorSpec]:
    return [spec([None, ind.shape.as_list()[1] if ind.shape.ndims == 2 else None], dtypes.int64),
            spec([None], val.dtype), spec(shp.shape, dtypes.int64)]  # fmt: skip


# -- sparse x dense matmul ---------------------------------------------------------------------
@register_op("SparseTensorDenseMatMul")
class SparseTensorDenseMatMul(OpDef):
    """y = op(A) @ op(B), A sparse (rank 2), op = adjoint where asked."""

    def infer(self, ind: Tensor, val: Tensor, shp: Tensor, b: Tensor) -> TensorSpec:
        if val.dtype is not b.dtype:
            raise self.error(
                f"sparse values and b must have the same dtype; got {val.dtype.name} and "
                f"{b.dtype.name}.",
                cls=DTypeError,
            )
        if b.shape.ndims not in (None, 2):
            raise self.error(f"b must be a matrix; got shape {b.shape}.")
        a_dims = _static_shape_value(shp)
        if a_dims.ndims not in (None, 2):
            raise self.error(f"the SparseTensor must have rank 2; got dense shape {a_dims}.")
        rows = cols = None
        if a_dims.ndims == 2:
            rows = a_dims.known[1 if self.attrs["adjoint_a"] else 0]  # type: ignore[index]
            inner_a = a_dims.known[0 if self.attrs["adjoint_a"] else 1]  # type: ignore[index]
        if b.shape.ndims == 2:
            cols = b.shape.known[0 if self.attrs["adjoint_b"] else 1]  # type: ignore[index]
            inner_b = b.shape.known[1 if self.attrs["adjoint_b"] else 0]  # type: ignore[index]
            if a_dims.ndims == 2 and None not in (inner_a, inner_b) and inner_a != inner_b:
                raise self.error(
                    f"inner dimensions must match; got a: {a_dims}, b: {b.shape} "
                    f"(adjoint_a={self.attrs['adjoint_a']}, adjoint_b={self.attrs['adjoint_b']})."
                )
        return spec([rows, cols], b.dtype)

    def compute(self, ind: np.ndarray, val: np.ndarray, shp: np.ndarray, b: np.ndarray) -> Any:
        if shp.size != 2:
            raise self.error(f"the SparseTensor must have rank 2; got dense shape {shp.tolist()}.")
        _check_sparse(self, ind, val, shp, ordered=False, unique=False)
        r, c = (ind[:, 1], ind[:, 0]) if self.attrs["adjoint_a"] else (ind[:, 0], ind[:, 1])
        n_rows, inner = (int(shp[1]), int(shp[0])) if self.attrs["adjoint_a"] else map(int, shp)
        bb = np.conj(b.T) if self.attrs["adjoint_b"] else b
        if bb.shape[0] != inner:
            raise self.error(
                f"inner dimensions must match; got a: {shp.tolist()}, b: {b.shape} "
                f"(adjoint_a={self.attrs['adjoint_a']}, adjoint_b={self.attrs['adjoint_b']})."
            )
        v = np.conj(val) if self.attrs["adjoint_a"] else val
        out = np.zeros((n_rows, bb.shape[1]), dtype=b.dtype)
        scatter_add_rows(out, r, v[:, None] * bb[c])
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        ind, val, shp, b = op.inputs
        adj_a, adj_b = self.attrs["adjoint_a"], self.attrs["adjoint_b"]
        a = SparseTensor(ind, val, shp)
        # dB: op(A)^T dy, transposed back where b was used transposed.
        db = sparse_tensor_dense_matmul(a, dy, adjoint_a=not adj_a)
        if adj_b:
            db = transpose(db)
        # dA at each stored (i, k) of op(A): dy[i, :] . op(B)[k, :].
        rows, cols = ind[:, 0], ind[:, 1]
        i, k = (cols, rows) if adj_a else (rows, cols)
        bb = transpose(b) if adj_b else b
        dval = reduce_sum(gather(dy, i) * gather(bb, k), axis=1)
        return [None, dval, None, db]


def sparse_tensor_dense_matmul(
    sp_a: Any,
    b: Any,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    name: str | None = None,
) -> Tensor:
    """Dense `op(sp_a) @ op(b)` for a rank-2 SparseTensor sp_a (op = adjoint where asked).

    Duplicate or unordered indices are summed. Differentiable wrt sp_a.values and b.

    Raises:
        InvalidArgumentError: inner dimensions differ, or an index is out of range.

    Example:
        >>> a = tf.SparseTensor([[0, 1]], [2.0], [2, 2])
        >>> sess = tf.Session()
        >>> sess.run(tf.sparse.matmul(a, [[1.0, 0.0], [0.0, 3.0]]))  # [[0, 6], [0, 0]]
        array([[0., 6.],
               [0., 0.]], dtype=float32)
    """
    sp = _sparse(sp_a, "sparse_tensor_dense_matmul")
    with _graph_for(sp.values, b):
        b = convert_to_tensor(b, dtype=sp.dtype)
        return apply_op(
            SparseTensorDenseMatMul,
            [sp.indices, sp.values, sp.dense_shape, b],
            {"adjoint_a": bool(adjoint_a), "adjoint_b": bool(adjoint_b)},
            name=name,
        )


def sparse_matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    name: str | None = None,
) -> Tensor:
    """`tf.sparse_matmul`: a dense matmul of two dense matrices; the sparsity flags are hints
    (TensorFlow's kernel may use them for speed) and change no result."""
    return matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b, name=name)


# -- reductions ---------------------------------------------------------------------------------
def _reduction_axes(self: OpDef, axes: np.ndarray, rank: int) -> list[int]:
    ax = np.asarray(axes, np.int64).reshape(-1)
    if ((ax < -rank) | (ax >= rank)).any():
        raise self.error(f"reduction axes {ax.tolist()} are out of range for rank {rank}.")
    return sorted({int(a) % rank for a in ax})  # none (TF's kernel): no reduction


class _SparseReduce(OpDef):
    """Reduces the stored values over `axes` (none when empty, as TF's kernel: the builders pass
    every axis for axis=None); implicit zeros are ignored."""

    kind: ClassVar[str] = "sum"
    sparse_out: ClassVar[bool] = False

    def infer(self, ind: Tensor, val: Tensor, shp: Tensor, axes: Tensor) -> Any:
        if self.sparse_out:
            if self.attrs["keep_dims"]:
                return _sparse_specs(ind, val, shp)
            return [
                spec([None, None], dtypes.int64),
                spec([None], val.dtype),
                spec([None], dtypes.int64),
            ]
        return spec(TensorShape(None), val.dtype)

    def compute(self, ind: np.ndarray, val: np.ndarray, shp: np.ndarray, axes: np.ndarray) -> Any:
        _check_sparse(self, ind, val, shp, ordered=False, unique=False)
        rank = shp.size
        red = _reduction_axes(self, axes, rank)
        keep = [d for d in range(rank) if d not in red]
        kept_dims = tuple(int(shp[d]) for d in keep)
        flat = (
            np.ravel_multi_index(ind[:, keep].T, kept_dims)
            if keep
            else np.zeros(len(ind), np.int64)
        )
        groups, pos = np.unique(flat, return_inverse=True)
        ufunc = np.add if self.kind == "sum" else np.maximum
        init = 0 if self.kind == "sum" else _lowest(val.dtype)
        out = np.full(len(groups), init, dtype=val.dtype)
        ufunc.at(out, pos.reshape(-1), val)
        if self.sparse_out:
            out_shape = [1 if d in red else int(shp[d]) for d in range(rank)]
            coords = np.zeros((len(groups), rank), np.int64)
            if keep:
                coords[:, keep] = np.stack(np.unravel_index(groups, kept_dims), axis=1)
            if not self.attrs["keep_dims"]:
                coords, out_shape = coords[:, keep], [out_shape[d] for d in keep]
            return [coords, out, np.array(out_shape, np.int64)]
        dense = np.zeros(int(np.prod(kept_dims)), dtype=val.dtype)
        dense[groups] = out
        if self.attrs["keep_dims"]:
            return dense.reshape([1 if d in red else int(shp[d]) for d in range(rank)])
        return dense.reshape(kept_dims)


def _lowest(dt: np.dtype) -> Any:
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min


@register_op("SparseReduceSum")
class SparseReduceSum(_SparseReduce):
    """y = sum of the stored values over `axes` (a dense tensor)."""

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        ind, _, shp, axes = op.inputs
        # Every stored value gets dy at its position with the reduced coordinates at 0 (dy
        # reshaped to keep the reduced dims as 1s).
        kept = apply_op(SparseReduceSum, [ind, op.inputs[1], shp, axes], {"keep_dims": True})
        dy_kept = reshape(dy, shape_of(kept))
        zero_reduced = ind * _keep_mask(op, shape_of(kept, out_type=dtypes.int64), shp)
        return [None, gather_nd(dy_kept, zero_reduced), None, None]


def _keep_mask(op: Any, kept_shape: Tensor, shp: Tensor) -> Tensor:
    """1 for the kept axes, 0 for the reduced (kept shape equals the dense one there)."""
    return reshape(cast(equal(kept_shape, shp), dtypes.int64), [1, -1])


@register_op("SparseReduceMax")
class SparseReduceMax(_SparseReduce):
    """y = max of the stored values over `axes` (a dense tensor; 0 where none is stored)."""

    kind = "max"
    differentiable = False


@register_op("SparseReduceSumSparse")
class SparseReduceSumSparse(_SparseReduce):
    """The sum of the stored values over `axes`, as a SparseTensor of the non-empty groups."""

    sparse_out = True
    differentiable = False


@register_op("SparseReduceMaxSparse")
class SparseReduceMaxSparse(_SparseReduce):
    """The max of the stored values over `axes`, as a SparseTensor of the non-empty groups."""

    kind = "max"
    sparse_out = True
    differentiable = False


def _reduce(
    cls: type[OpDef], sp_input: Any, axis: Any, keepdims: Any, name: str | None, fn: str
) -> Any:
    sp = _sparse(sp_input, fn)
    with _graph_for(sp.values):
        if axis is None:  # every axis, as TF's _ReductionDims (an empty axes reduces none)
            rank = sp.shape.ndims
            axes = (
                convert_to_tensor(list(range(rank)), dtype=dtypes.int32)
                if rank is not None
                else range_(0, size(sp.dense_shape))
            )
        else:
            axes = convert_to_tensor(axis, dtype=dtypes.int32)
        out = apply_op(
            cls,
            [sp.indices, sp.values, sp.dense_shape, reshape(axes, [-1])],
            {"keep_dims": bool(keepdims)},
            name=name,
        )
    if isinstance(out, list):
        return SparseTensor(*out)
    rank = sp.shape.ndims
    if (
        rank is not None
        and axis is not None
        and np.ndim(axis) <= 1
        and not isinstance(axis, Tensor)
    ):
        red = {int(a) % rank for a in np.reshape(axis, -1)} if rank else set()
        dims = sp.shape.known
        out.set_shape(
            [1 if d in red else dims[d] for d in range(rank)]  # type: ignore[index]
            if keepdims
            else [dims[d] for d in range(rank) if d not in red]  # type: ignore[index]
        )
    elif axis is None and not keepdims:
        out.set_shape([])
    return out


def sparse_reduce_sum(
    sp_input: Any,
    axis: Any = None,
    keepdims: Any = None,
    reduction_axes: Any = None,
    keep_dims: Any = None,
    name: str | None = None,
) -> Tensor:
    """Sum of a SparseTensor's values over `axis` (all axes when None), as a dense tensor.

    Differentiable wrt the values.

    Example:
        >>> sp = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, 2.0, 3.0], [2, 3])
        >>> sess = tf.Session()
        >>> sess.run(tf.sparse.reduce_sum(sp, axis=1))   # [3, 3]
        array([3., 3.], dtype=float32)
    """
    axis = reduction_axes if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    return _reduce(SparseReduceSum, sp_input, axis, keep, name, "sparse_reduce_sum")


def sparse_reduce_max(
    sp_input: Any,
    axis: Any = None,
    keepdims: Any = None,
    reduction_axes: Any = None,
    keep_dims: Any = None,
    name: str | None = None,
) -> Tensor:
    """Max of a SparseTensor's stored values over `axis` (all when None), as a dense tensor;
    the implicit zeros are not counted, and a position no value reduces to holds 0."""
    axis = reduction_axes if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    return _reduce(SparseReduceMax, sp_input, axis, keep, name, "sparse_reduce_max")


def sparse_reduce_sum_sparse(
    sp_input: Any,
    axis: Any = None,
    keepdims: Any = None,
    reduction_axes: Any = None,
    keep_dims: Any = None,
) -> SparseTensor:
    """sparse_reduce_sum with a SparseTensor result (only the groups holding values)."""
    axis = reduction_axes if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    return _reduce(SparseReduceSumSparse, sp_input, axis, keep, None, "sparse_reduce_sum_sparse")


def sparse_reduce_max_sparse(
    sp_input: Any,
    axis: Any = None,
    keepdims: Any = None,
    reduction_axes: Any = None,
    keep_dims: Any = None,
) -> SparseTensor:
    """sparse_reduce_max with a SparseTensor result (only the groups holding values)."""
    axis = reduction_axes if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    return _reduce(SparseReduceMaxSparse, sp_input, axis, keep, None, "sparse_reduce_max_sparse")


__all__ = [
    "sparse_tensor_dense_matmul",
    "sparse_matmul",
    "sparse_reduce_sum",
    "sparse_reduce_max",
    "sparse_reduce_sum_sparse",
    "sparse_reduce_max_sparse",
]
