"""tf.nn.embedding_lookup_sparse and safe_embedding_lookup_sparse: embeddings of the ids in
each row of a SparseTensor, combined per row ("sum", "mean", "sqrtn"), as compositions of
embedding_lookup, unique, gather and segment sums (differentiable wrt params)."""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, name_scope
from flowzero.ops.array_ops import shape, zeros_like
from flowzero.ops.cast_ops import cast
from flowzero.ops.indexing_ops import gather, where
from flowzero.ops.logic_ops import greater, greater_equal, logical_and, logical_not
from flowzero.ops.manip_ops import concat, tile
from flowzero.ops.more_math_ops import div_no_nan
from flowzero.ops.nn_impl import embedding_lookup
from flowzero.ops.reshape_ops import expand_dims, reshape
from flowzero.ops.segment_ops import segment_sum
from flowzero.ops.sort_ops import unique
from flowzero.ops.sparse_array_ops import (
    sparse_fill_empty_rows,
    sparse_reshape,
    sparse_retain,
)
from flowzero.ops.sparse_binary_ops import (
    sparse_segment_mean,
    sparse_segment_sqrt_n,
    sparse_segment_sum,
)
from flowzero.ops.sparse_ops import _sparse
from flowzero.ops.unary_ops import sqrt

_COMBINERS = ("sum", "mean", "sqrtn")


def embedding_lookup_sparse(
    params: Any,
    sp_ids: Any,
    sp_weights: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    combiner: str | None = None,
    max_norm: Any = None,
) -> Tensor:
    """Per row r of `sp_ids` (a [batch, ...] int SparseTensor), the embeddings
    params[ids of row r] combined by `combiner`, weighted by `sp_weights` (a SparseTensor of
    the same indices) or 1 where it is None.

    Args:
        combiner: "mean" (default), "sum" or "sqrtn" (sum / sqrt of the summed squared weights).

    Returns:
        [max row id + 1, dim] (rows without ids hold 0).

    Raises:
        ValueError: an unknown combiner.
        TypeError: sp_ids / sp_weights are not SparseTensors.
    """
    combiner = "mean" if combiner is None else combiner
    if combiner not in _COMBINERS:
        raise ValueError(f"embedding_lookup_sparse: combiner must be one of {_COMBINERS}; got "
                         f"{combiner!r}.")  # fmt: skip
    ids_sp = _sparse(sp_ids, "embedding_lookup_sparse")
    w_sp = None if sp_weights is None else _sparse(sp_weights, "embedding_lookup_sparse")
    with name_scope(name, "embedding_lookup_sparse"):
        segment_ids = cast(ids_sp.indices[:, 0], dtypes.int32)
        ids, idx = unique(ids_sp.values)
        emb = embedding_lookup(params, ids, partition_strategy=partition_strategy,
                               max_norm=max_norm)  # fmt: skip
        if w_sp is None:
            fn = {"sum": sparse_segment_sum, "mean": sparse_segment_mean,
                  "sqrtn": sparse_segment_sqrt_n}[combiner]  # fmt: skip
            return fn(emb, idx, segment_ids)
        w = w_sp.values
        rows = gather(emb, idx)
        extra = rows.shape.ndims - 1 if rows.shape.ndims is not None else 1
        wb = reshape(w, concat([shape(w), [1] * extra], 0))
        total = segment_sum(rows * cast(wb, rows.dtype), segment_ids)
        if combiner == "sum":
            return total
        norm = segment_sum(w if combiner == "mean" else w * w, segment_ids)
        norm = norm if combiner == "mean" else sqrt(norm)
        # an empty row divides 0 by 0: 0, as TensorFlow (div_no_nan)
        return div_no_nan(
            total, reshape(cast(norm, total.dtype), concat([shape(norm), [1] * extra], 0))
        )


def safe_embedding_lookup_sparse(
    embedding_weights: Any,
    sparse_ids: Any,
    sparse_weights: Any = None,
    combiner: str = "mean",
    default_id: Any = None,
    name: str | None = None,
    partition_strategy: str = "div",
    max_norm: Any = None,
) -> Tensor:
    """embedding_lookup_sparse that tolerates bad input: ids < 0 (and weights <= 0) are
    dropped, a row left empty gets default_id's embedding (zeros when None), and ids of rank
    > 2 ([d0, ..., dn, ids]) give [d0, ..., dn, dim].

    Raises:
        ValueError: an unknown combiner.
    """
    ids_sp = _sparse(sparse_ids, "safe_embedding_lookup_sparse")
    w_sp = None if sparse_weights is None else _sparse(sparse_weights, "safe_embedding_lookup")
    if isinstance(embedding_weights, (list, tuple)) and len(embedding_weights) == 0:
        raise ValueError("safe_embedding_lookup_sparse: embedding_weights must be non-empty.")
    with name_scope(name, "embedding_lookup"):
        orig_shape = ids_sp.dense_shape
        rank = ids_sp.shape.ndims
        batch = orig_shape[:-1]
        if rank is None or rank != 2:
            flat = [-1, orig_shape[-1]]
            ids_sp = sparse_reshape(ids_sp, flat)
            if w_sp is not None:
                w_sp = sparse_reshape(w_sp, flat)
        keep = greater_equal(ids_sp.values, zeros_like(ids_sp.values))
        if w_sp is not None:
            keep = logical_and(keep, greater(w_sp.values, zeros_like(w_sp.values)))
        ids_sp = sparse_retain(ids_sp, keep)
        if w_sp is not None:
            w_sp = sparse_retain(w_sp, keep)
        ids_sp, empty = sparse_fill_empty_rows(ids_sp, 0 if default_id is None else default_id)
        if w_sp is not None:
            w_sp, _ = sparse_fill_empty_rows(w_sp, 1.0)
        out = embedding_lookup_sparse(embedding_weights, ids_sp, w_sp, partition_strategy,
                                      combiner=combiner, max_norm=max_norm)  # fmt: skip
        if default_id is None:
            mask = tile(expand_dims(logical_not(empty), 1), [1, shape(out)[1]])
            out = where(mask, out, zeros_like(out))
        return reshape(out, concat([cast(batch, dtypes.int32), shape(out)[1:]], 0))


__all__ = ["embedding_lookup_sparse", "safe_embedding_lookup_sparse"]
