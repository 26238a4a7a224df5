"""The layout of SparseTensors: reorder, reshape, fill_empty_rows (kernels), and as composites
of them and dense ops: retain, reset_shape, expand_dims, eye, transpose, merge, to_indicator,
concat, slice and split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import (
    Tensor,
    apply_op,
    control_dependencies,
    convert_to_tensor,
    name_scope,
)
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.sparse_tensor import SparseTensor
from flowzero.ops.array_ops import fill, ones_like, shape, stack, zeros_like
from flowzero.ops.cast_ops import cast
from flowzero.ops.common import _graph_for, static_value
from flowzero.ops.control_ops import identity
from flowzero.ops.indexing_ops import gather, one_hot, where
from flowzero.ops.logging_ops import Assert
from flowzero.ops.logic_ops import greater_equal, less, logical_and
from flowzero.ops.manip_ops import concat
from flowzero.ops.math_ops import maximum, minimum
from flowzero.ops.range_ops import range as range_
from flowzero.ops.reduction_ops import reduce_all, reduce_max, reduce_sum
from flowzero.ops.reshape_ops import reshape
from flowzero.ops.segment_ops import unsorted_segment_sum
from flowzero.ops.sparse_ops import _sparse, check_sparse_indices, sparse_tensor_to_dense


def _flat_positions(op: OpDef, ind: np.ndarray, shp: np.ndarray) -> np.ndarray:
    check_sparse_indices(op, ind, shp, ordered=False, unique=False)
    if not shp.size:
        return np.zeros(len(ind), np.int64)
    return np.ravel_multi_index(ind.T, tuple(int(d) for d in shp))


# -- SparseReorder ------------------------------------------------------------------------------
@register_op("SparseReorder")
class SparseReorder(OpDef):
    """(indices, values) sorted into row-major order (stable for repeated indices)."""

    def infer(self, ind: Tensor, val: Tensor, shp: Tensor) -> list[TensorSpec]:
        return [spec(ind.shape, dtypes.int64), spec(val.shape, val.dtype)]

    def compute(self, ind: np.ndarray, val: np.ndarray, shp: np.ndarray) -> list[np.ndarray]:
        if val.shape != ind.shape[:1]:
            raise self.error(
                f"values must be as long as indices; got indices: {ind.shape}, values: {val.shape}."
            )
        perm = np.argsort(_flat_positions(self, ind, shp), kind="stable")
        return [ind[perm], val[perm]]

    def gradient(self, op: Any, d_ind: Any, d_val: Tensor) -> list[Any]:
        ind, val, shp = op.inputs
        n = shape(val, out_type=dtypes.int64)[0]
        # where each input entry went: reorder the positions 0..N-1 along with the indices.
        perm = apply_op(SparseReorder, [ind, range_(n), shp])[1]
        return [None, unsorted_segment_sum(d_val, perm, n), None]


def sparse_reorder(sp_input: Any, name: str | None = None) -> SparseTensor:
    """The same SparseTensor with its entries in row-major (canonical) order.

    Example:
        >>> sess = tf.Session()
        >>> sp = tf.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2])
        >>> sess.run(tf.sparse.reorder(sp)).indices   # [[0, 1], [1, 0]]
        array([[0, 1],
               [1, 0]])
    """
    sp = _sparse(sp_input, "sparse_reorder")
    with _graph_for(sp.values):
        ind, val = apply_op(SparseReorder, [sp.indices, sp.values, sp.dense_shape], name=name)
    out = SparseTensor(ind, val, sp.dense_shape)
    out._set_static_shape(sp.shape)
    return out


# -- SparseReshape ------------------------------------------------------------------------------
@register_op("SparseReshape")
class SparseReshape(OpDef):
    """The indices of the same row-major positions in a dense tensor of `new_shape`."""

    differentiable = False

    def infer(self, ind: Tensor, shp: Tensor, new_shape: Tensor) -> list[TensorSpec]:
        n = new_shape.shape.known[0] if new_shape.shape.ndims == 1 else None  # type: ignore[index]
        return [spec([ind.shape.known[0] if ind.shape.ndims else None, n], dtypes.int64),
                spec([n], dtypes.int64)]  # fmt: skip

    def compute(self, ind: np.ndarray, shp: np.ndarray, new_shape: np.ndarray) -> list[Any]:
        total = int(np.prod(shp))
        want = [int(d) for d in np.reshape(new_shape, -1)]
        if want.count(-1) > 1:
            raise self.error(f"at most one dimension of new_shape may be -1; got {want}.")
        known = int(np.prod([d for d in want if d != -1]))
        if -1 in want:
            if known == 0 or total % known:
                raise self.error(
                    f"Input to reshape is a SparseTensor with {total} dense values, which "
                    f"new_shape {want} cannot hold."
                )
            want[want.index(-1)] = total // known
        elif known != total:
            raise self.error(
                f"Input to reshape is a SparseTensor with {total} dense values, but the "
                f"requested shape has {known}; got dense shape {shp.tolist()}, new_shape {want}."
            )
        flat = _flat_positions(self, ind, shp)
        out = np.stack(np.unravel_index(flat, want), axis=1) if want else flat[:, None][:, :0]
        return [out.astype(np.int64).reshape(len(ind), len(want)), np.array(want, np.int64)]


def sparse_reshape(sp_input: Any, shape: Any, name: str | None = None) -> SparseTensor:
    """The SparseTensor of the same values in a dense shape `shape` (one dim may be -1).

    Raises:
        InvalidArgumentError: the shapes hold different numbers of dense values.
    """
    sp = _sparse(sp_input, "sparse_reshape")
    with _graph_for(sp.values):
        new = convert_to_tensor(shape, dtype=dtypes.int64)
        ind, out_shape = apply_op(SparseReshape, [sp.indices, sp.dense_shape, new], name=name)
    out = SparseTensor(ind, sp.values, out_shape)
    v = static_value(new)
    if v is not None and -1 not in v.tolist():
        out._set_static_shape(v.tolist())
    return out


# -- SparseFillEmptyRows ------------------------------------------------------------------------
@register_op("SparseFillEmptyRows")
class SparseFillEmptyRows(OpDef):
    """Adds `default_value` at [r, 0, ..., 0] for every row r holding no value."""

    def infer(self, ind: Tensor, val: Tensor, shp: Tensor, default: Tensor) -> list[TensorSpec]:
        if default.shape.ndims not in (None, 0):
            raise self.error(f"default_value must be a scalar; got shape {default.shape}.")
        cols = ind.shape.known[1] if ind.shape.ndims == 2 else None  # type: ignore[index]
        return [spec([None, cols], dtypes.int64), spec([None], val.dtype),
                spec([None], dtypes.bool), spec(val.shape, dtypes.int64)]  # fmt: skip

    def compute(self, ind: np.ndarray, val: np.ndarray, shp: np.ndarray, default: Any) -> Any:
        check_sparse_indices(self, ind, shp, ordered=False, unique=False)
        if shp.size == 0:
            raise self.error("the SparseTensor must have rank >= 1; got a scalar dense shape.")
        n_rows = int(shp[0])
        empty = np.ones(n_rows, bool)
        empty[ind[:, 0]] = False
        rows = np.flatnonzero(empty)
        new_ind = np.zeros((len(rows), shp.size), np.int64)
        new_ind[:, 0] = rows
        all_ind = np.concatenate([ind.astype(np.int64), new_ind])
        all_val = np.concatenate([val, np.full(len(rows), default, val.dtype)])
        order = np.argsort(all_ind[:, 0], kind="stable")
        where_now = np.empty(len(order), np.int64)
        where_now[order] = np.arange(len(order))
        return [all_ind[order], all_val[order], empty, where_now[: len(ind)]]

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        d_val = dys[1]
        d_in = gather(d_val, op.outputs[3])
        return [None, d_in, None, reduce_sum(d_val) - reduce_sum(d_in)]


def sparse_fill_empty_rows(
    sp_input: Any, default_value: Any, name: str | None = None
) -> tuple[SparseTensor, Tensor]:
    """Fills each row (first dimension) holding no value with one `default_value` at column 0.

    Returns:
        (the filled SparseTensor, a bool vector marking the rows that were empty).

    Example:
        >>> sp = tf.SparseTensor([[0, 1]], [5.0], [2, 3])
        >>> out, was_empty = tf.sparse.fill_empty_rows(sp, -1.0)  # adds -1 at [1, 0]
    """
    sp = _sparse(sp_input, "sparse_fill_empty_rows")
    with _graph_for(sp.values):
        default = convert_to_tensor(default_value, dtype=sp.dtype)
        ind, val, empty, _ = apply_op(
            SparseFillEmptyRows, [sp.indices, sp.values, sp.dense_shape, default], name=name
        )
    out = SparseTensor(ind, val, sp.dense_shape)
    out._set_static_shape(sp.shape)
    return out, empty


# -- composites ---------------------------------------------------------------------------------
def _like(sp: SparseTensor, ind: Any, val: Any, dense_shape: Any = None) -> SparseTensor:
    out = SparseTensor(ind, val, sp.dense_shape if dense_shape is None else dense_shape)
    if dense_shape is None:
        out._set_static_shape(sp.shape)
    return out


def sparse_retain(sp_input: Any, to_retain: Any) -> SparseTensor:
    """The entries of `sp_input` where the bool vector `to_retain` is True (dense shape kept).

    Raises:
        ValueError: to_retain is not a vector as long as the number of entries.
    """
    sp = _sparse(sp_input, "sparse_retain")
    with _graph_for(sp.values, to_retain):
        keep = convert_to_tensor(to_retain, dtype=dtypes.bool)
        if keep.shape.ndims != 1:
            raise ValueError(f"sparse_retain: to_retain must be a vector; got {keep.shape}.")
        if not keep.shape.is_compatible_with(sp.values.shape):
            raise ValueError(
                f"sparse_retain: to_retain must be as long as the values; got to_retain "
                f"{keep.shape}, values {sp.values.shape}."
            )
        where_true = reshape(where(keep), [-1])
        return _like(sp, gather(sp.indices, where_true), gather(sp.values, where_true))


def sparse_reset_shape(sp_input: Any, new_shape: Any = None) -> SparseTensor:
    """The same entries with dense shape `new_shape`, or when None the tightest shape holding
    them (max index + 1 along each dimension)."""
    sp = _sparse(sp_input, "sparse_reset_shape")
    with _graph_for(sp.values, new_shape):
        if new_shape is None:
            low = reduce_max(sp.indices, axis=0) + 1
            return SparseTensor(sp.indices, sp.values, maximum(low, zeros_like(sp.dense_shape)))
        new = convert_to_tensor(new_shape, dtype=dtypes.int64)
        old_v, new_v = static_value(sp.dense_shape), static_value(new)
        if old_v is not None and new_v is not None:
            if old_v.shape != new_v.shape or (new_v < old_v).any():
                raise ValueError(
                    f"sparse_reset_shape: new_shape {new_v.tolist()} must have the rank of "
                    f"the dense shape {old_v.tolist()} and be no smaller in any dimension."
                )
            return SparseTensor(sp.indices, sp.values, new)
        check = Assert(
            reduce_all(greater_equal(new, sp.dense_shape)),
            [
                "sparse_reset_shape: new_shape must be no smaller than the dense shape; got",
                new,
                "and",
                sp.dense_shape,
            ],  # fmt: skip
        )
        with control_dependencies([check]):
            return SparseTensor(sp.indices, sp.values, identity(new))


def sparse_expand_dims(sp_input: Any, axis: Any = None, name: str | None = None) -> SparseTensor:
    """The SparseTensor with a dimension of size 1 inserted at `axis` (-rank-1 <= axis <= rank;
    needs a known rank)."""
    sp = _sparse(sp_input, "sparse.expand_dims")
    rank = sp.shape.ndims
    if rank is None:
        raise ValueError("sparse.expand_dims: the SparseTensor's rank must be known.")
    a = int(-1 if axis is None else axis)
    if not -rank - 1 <= a <= rank:
        raise ValueError(f"sparse.expand_dims: axis {a} is out of range [{-rank - 1}, {rank}].")
    a = a % (rank + 1)
    with _graph_for(sp.values), name_scope(name, "ExpandDims"):
        ind, shp = sp.indices, sp.dense_shape
        col = zeros_like(ind[:, :1])
        new_ind = concat([ind[:, :a], col, ind[:, a:]], axis=1)
        new_shape = concat([shp[:a], ones_like(shp[:1]), shp[a:]], axis=0)
        out = SparseTensor(new_ind, sp.values, new_shape)
    dims = sp.shape.as_list()
    out._set_static_shape(dims[:a] + [1] + dims[a:])
    return out


def sparse_eye(
    num_rows: Any, num_columns: Any = None, dtype: Any = dtypes.float32, name: str | None = None
) -> SparseTensor:
    """A SparseTensor identity matrix [num_rows, num_columns] (square when num_columns is
    None): ones at [i, i]."""
    with name_scope(name, "eye"):
        rows = cast(convert_to_tensor(num_rows), dtypes.int64)
        cols = rows if num_columns is None else cast(convert_to_tensor(num_columns), dtypes.int64)
        diag = range_(minimum(rows, cols))
        return SparseTensor(
            stack([diag, diag], axis=1), ones_like(diag, dtype=dtype), stack([rows, cols])
        )


def sparse_transpose(sp_input: Any, perm: Any = None, name: str | None = None) -> SparseTensor:
    """The SparseTensor with its dimensions permuted by `perm` (reversed when None), its
    entries in row-major order."""
    sp = _sparse(sp_input, "sparse_transpose")
    with _graph_for(sp.values), name_scope(name, "SparseTranspose"):
        if perm is None:
            rank = sp.shape.ndims
            if rank is None:
                perm = range_(shape(sp.dense_shape)[0] - 1, -1, -1)
            else:
                perm = list(range(rank))[::-1]
        p = convert_to_tensor(perm, dtype=dtypes.int32)
        ind = gather(sp.indices, p, axis=1)
        out = sparse_reorder(SparseTensor(ind, sp.values, gather(sp.dense_shape, p)))
    pv = static_value(p)
    if pv is not None and sp.shape.ndims is not None:
        out._set_static_shape([sp.shape.as_list()[int(i)] for i in pv])
    return out


def sparse_merge(
    sp_ids: Any, sp_values: Any, vocab_size: Any, name: str | None = None,
    already_sorted: bool = False,
) -> SparseTensor:  # fmt: skip
    """Combines ids and values into one SparseTensor whose last dimension is the id: entry
    [..., ids[k]] = values[k], where [...] are sp_ids' indices but the last (dense shape
    [..., vocab_size])."""
    ids = _sparse(sp_ids, "sparse_merge")
    vals = _sparse(sp_values, "sparse_merge")
    if not ids.dtype.is_integer:
        raise TypeError(f"sparse_merge: sp_ids.values must be integer; got {ids.dtype.name}.")
    with _graph_for(ids.values, vals.values), name_scope(name, "SparseMerge"):
        new_col = reshape(cast(ids.values, dtypes.int64), [-1, 1])
        ind = concat([ids.indices[:, :-1], new_col], axis=1)
        vocab = reshape(cast(convert_to_tensor(vocab_size), dtypes.int64), [-1])
        out = SparseTensor(ind, vals.values, concat([ids.dense_shape[:-1], vocab], axis=0))
        return out if already_sorted else sparse_reorder(out)


def sparse_to_indicator(sp_input: Any, vocab_size: Any, name: str | None = None) -> Tensor:
    """A dense bool tensor [..., vocab_size]: True at [..., id] for each id stored in a row of
    the int SparseTensor `sp_input`."""
    sp = _sparse(sp_input, "sparse_to_indicator")
    with _graph_for(sp.values), name_scope(name, "SparseToIndicator"):
        flags = SparseTensor(sp.indices, fill(shape(sp.values), True), sp.dense_shape)
        merged = sparse_merge(sp, flags, vocab_size)
        return sparse_tensor_to_dense(merged, default_value=False, validate_indices=False)


def sparse_concat(
    axis: Any,
    sp_inputs: Any,
    name: str | None = None,
    expand_nonconcat_dim: bool = False,
    concat_dim: Any = None,
    expand_nonconcat_dims: Any = None,
) -> SparseTensor:
    """SparseTensors joined along `axis` (their entries in row-major order).

    Args:
        axis: the dimension to join along (negative counts from the end).
        sp_inputs: SparseTensors of one rank.
        expand_nonconcat_dim: allow different sizes in the other dimensions (the result takes
            the largest); else they must be equal.

    Raises:
        ValueError: fewer than one input, mixed ranks, or (static) other dimensions differ.
    """
    axis = concat_dim if concat_dim is not None else axis
    expand = bool(expand_nonconcat_dims if expand_nonconcat_dims is not None
                  else expand_nonconcat_dim)  # fmt: skip
    sps = [_sparse(s, "sparse_concat") for s in sp_inputs]
    if not sps:
        raise ValueError("sparse_concat: sp_inputs must hold at least one SparseTensor.")
    ranks = {s.shape.ndims for s in sps} - {None}
    if len(ranks) > 1:
        raise ValueError(f"sparse_concat: inputs must share a rank; got ranks {sorted(ranks)}.")
    if not ranks:
        raise ValueError("sparse_concat: the inputs' ranks must be known.")
    rank = ranks.pop()
    a = int(axis)
    if not -rank <= a < rank:
        raise ValueError(f"sparse_concat: axis {a} is out of range for rank {rank}.")
    a %= rank
    if not expand:
        for s in sps[1:]:
            for d in range(rank):
                x, y = sps[0].shape.as_list()[d], s.shape.as_list()[d]
                if d != a and x is not None and y is not None and x != y:
                    raise ValueError(
                        f"sparse_concat: dimension {d} differs between inputs ({x} vs {y}); "
                        "pass expand_nonconcat_dim=True to take the largest."
                    )
    with _graph_for(*[s.values for s in sps]), name_scope(name, "SparseConcat"):
        along = one_hot(a, rank, dtype=dtypes.int64)
        offset: Any = 0
        parts = []
        for s in sps:
            parts.append(s.indices + reshape(along, [1, -1]) * offset)
            offset = offset + s.dense_shape[a]
        shapes = stack([s.dense_shape for s in sps])
        others = reduce_max(shapes, axis=0) if expand else sps[0].dense_shape
        dense_shape = others * (1 - along) + along * offset
        out = SparseTensor(concat(parts, 0), concat([s.values for s in sps], 0), dense_shape)
        return sparse_reorder(out)


def sparse_slice(sp_input: Any, start: Any, size: Any, name: str | None = None) -> SparseTensor:
    """The entries inside the box [start, start + size) (clipped to the dense shape), with
    indices relative to `start`; the dense shape is min(size, dense_shape - start)."""
    sp = _sparse(sp_input, "sparse_slice")
    with _graph_for(sp.values, start, size), name_scope(name, "SparseSlice"):
        lo = convert_to_tensor(start, dtype=dtypes.int64)
        end = minimum(lo + convert_to_tensor(size, dtype=dtypes.int64), sp.dense_shape)
        inside = reduce_all(
            logical_and(greater_equal(sp.indices, lo), less(sp.indices, end)), axis=1
        )
        kept = sparse_retain(sp, inside)
        return SparseTensor(kept.indices - lo, kept.values, maximum(end - lo, 0))


def sparse_split(
    keyword_required: Any = None,
    sp_input: Any = None,
    num_split: Any = None,
    axis: Any = None,
    name: str | None = None,
    split_dim: Any = None,
) -> list[SparseTensor]:
    """Splits a SparseTensor into `num_split` along `axis`: the first dim % num_split pieces
    are one larger (TF's rule). Arguments by keyword, as TF requires."""
    if keyword_required is not None:
        raise ValueError(
            "sparse_split: pass the arguments by keyword (sp_input=, num_split=, axis=)."
        )
    axis = split_dim if axis is None else axis
    if sp_input is None or num_split is None or axis is None:
        raise ValueError("sparse_split: sp_input, num_split and axis are required.")
    sp = _sparse(sp_input, "sparse_split")
    n, rank = int(num_split), sp.shape.ndims
    if rank is None:
        raise ValueError("sparse_split: the SparseTensor's rank must be known.")
    a = int(axis) % rank
    with _graph_for(sp.values), name_scope(name, "SparseSplit"):
        dim = sp.dense_shape[a]
        base, extra = dim // n, dim % n
        along = one_hot(a, rank, dtype=dtypes.int64)
        out = []
        for i in range(n):
            begin = i * base + minimum(cast(i, dtypes.int64), extra)
            width = base + cast(less(cast(i, dtypes.int64), extra), dtypes.int64)
            size = sp.dense_shape * (1 - along) + along * width
            out.append(sparse_slice(sp, along * begin, size))
        return out


__all__ = [
    "sparse_reorder",
    "sparse_reshape",
    "sparse_fill_empty_rows",
    "sparse_retain",
    "sparse_reset_shape",
    "sparse_transpose",
    "sparse_merge",
    "sparse_to_indicator",
    "sparse_concat",
    "sparse_slice",
    "sparse_split",
]
