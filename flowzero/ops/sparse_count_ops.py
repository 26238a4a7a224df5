"""tf.sparse.bincount: how often each value occurs (per row with axis=-1), as a SparseTensor;
DenseCountSparseOutput counts a dense tensor's values, SparseCountSparseOutput a
SparseTensor's (TF's two ops)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, get_default_graph
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowzero.ops.common import DTypeError, _graph_for


class _Count(OpDef):
    differentiable = False

    def _specs(self, values: Tensor, weights: Tensor, rank: int | None) -> list[TensorSpec]:
        if not values.dtype.is_integer:
            raise self.error(
                f"values must be int32 or int64; got {values.dtype.name}.", cls=DTypeError
            )
        # without the attr (TF's NodeDef): TF's output_type, the weights' dtype (TF writes an
        # empty weights tensor of the values' dtype when unweighted)
        out = values.dtype if self.attrs.get("weighted") is False else weights.dtype
        return [spec([None, rank], dtypes.int64), spec([None], out), spec([rank], dtypes.int64)]

    def _count(
        self, rows: np.ndarray, vals: np.ndarray, weights: np.ndarray | None, n_rows: int | None
    ) -> list[np.ndarray]:
        """Counts of `vals` by (row, value), weighted unless `weights` is None; n_rows None:
        one flat count (rank 1)."""
        a = self.attrs
        if vals.size and vals.min() < 0:
            raise self.error(f"Input values must all be non-negative; got {int(vals.min())}.")
        if a["maxlength"] >= 0:
            size = a["maxlength"]
        else:
            size = max(int(vals.max()) + 1 if vals.size else 0, a["minlength"])
        keep = vals < size
        rows, vals = rows[keep], vals[keep].astype(np.int64)
        w = weights[keep] if weights is not None else None
        key = rows.astype(np.int64) * max(size, 1) + vals
        uniq, inverse = np.unique(key, return_inverse=True)
        if a["binary_output"]:
            counts = np.ones(len(uniq))
        else:
            counts = np.bincount(inverse, weights=w, minlength=len(uniq))
        out_dtype = weights.dtype if weights is not None else self.attrs["T"].np
        col = uniq % max(size, 1)
        if n_rows is None:
            return [col[:, None], counts.astype(out_dtype), np.array([size], np.int64)]
        ind = np.stack([uniq // max(size, 1), col], axis=1)
        return [ind.reshape(-1, 2), counts.astype(out_dtype), np.array([n_rows, size], np.int64)]

    def _weights(self, weights: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
        """The flat weights, or None when unweighted (the attr; without it, TF's rule: an
        empty weights tensor)."""
        weighted = self.attrs.get("weighted")
        if weighted is None:
            weighted = weights.size > 0
        if not weighted:
            return None
        if weights.shape != shape:
            raise self.error(
                f"Weights and values must have the same shape; got weights {weights.shape}, "
                f"values {shape}."
            )
        return weights.reshape(-1)


@register_op("DenseCountSparseOutput")
class DenseCountSparseOutput(_Count):
    """(indices, counts, dense_shape) of how often each value occurs in x (per row of a
    matrix)."""

    def infer(self, values: Tensor, weights: Tensor) -> list[TensorSpec]:
        if values.shape.ndims not in (None, 1, 2):
            raise self.error(f"values must have rank 1 or 2; got shape {values.shape}.")
        return self._specs(values, weights, values.shape.ndims)

    def compute(self, values: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        if values.ndim not in (1, 2):
            raise self.error(f"values must have rank 1 or 2; got shape {list(values.shape)}.")
        w = self._weights(weights, values.shape)
        if values.ndim == 1:
            return self._count(np.zeros(values.size, np.int64), values, w, None)
        rows = np.repeat(np.arange(values.shape[0]), values.shape[1])
        return self._count(rows, values.reshape(-1), w, values.shape[0])


@register_op("SparseCountSparseOutput")
class SparseCountSparseOutput(_Count):
    """(indices, counts, dense_shape) of how often each stored value of a SparseTensor occurs
    (per row where it is a matrix)."""

    def infer(self, ind: Tensor, values: Tensor, shp: Tensor, weights: Tensor) -> list[TensorSpec]:
        rank = shp.shape.known[0] if shp.shape.known else None  # type: ignore[index]
        if rank is not None and rank not in (1, 2):
            raise self.error(f"the SparseTensor must have rank 1 or 2; got rank {rank}.")
        return self._specs(values, weights, rank)

    def compute(
        self, ind: np.ndarray, values: np.ndarray, shp: np.ndarray, weights: np.ndarray
    ) -> list[np.ndarray]:
        if shp.size not in (1, 2):
            raise self.error(f"the SparseTensor must have rank 1 or 2; got rank {shp.size}.")
        w = self._weights(weights, values.shape)
        if shp.size == 1:
            return self._count(np.zeros(values.size, np.int64), values, w, None)
        return self._count(ind[:, 0], values, w, int(shp[0]))


def _weights_or_none(weights: Any, dtype: Any) -> Tensor:
    """The weights tensor; none given: an empty one of the values' dtype (TF's form)."""
    if weights is None:
        return convert_to_tensor(np.zeros([0], dtype.np))
    return convert_to_tensor(weights)


def sparse_bincount(
    values: Any,
    weights: Any = None,
    axis: int = 0,
    minlength: int | None = None,
    maxlength: int | None = None,
    binary_output: bool = False,
    name: str | None = None,
) -> SparseTensor:
    """How often each value occurs, as a SparseTensor: entry [v] (axis=0, every value) or
    [row, v] (axis=-1, a matrix row by row) holds the count of v (or the sum of its
    `weights`, or 1 with binary_output).

    Args:
        values: a non-negative int32/int64 Tensor or SparseTensor (rank <= 2 for axis=-1).
        weights: optional, the same shape as values (its dtype is the counts').
        axis: 0 (count over everything) or -1 (per row).
        minlength: the last dimension is at least this.
        maxlength: the last dimension is exactly this (larger values are not counted).
        binary_output: 1 for each value present, instead of its count.
        name: a name for the op.

    Raises:
        ValueError: an axis other than 0 or -1, or both weights and binary_output.

    Example:
        >>> counts = tf.Session().run(tf.sparse.bincount([[1, 3, 3], [0, 5, 1]], axis=-1))
        >>> print(counts.indices.tolist())
        [[0, 1], [0, 3], [1, 0], [1, 1], [1, 5]]
        >>> print(counts.values, counts.dense_shape)
        [1 2 1 1 1] [2 6]
    """
    from flowzero.ops import reshape_ops, sparse_array_ops

    if axis not in (0, -1):
        raise ValueError(
            f"Unsupported value for argument axis={axis}. Only 0 and -1 are currently supported."
        )
    if weights is not None and binary_output:
        raise ValueError(
            "Arguments `binary_output` and `weights` are mutually exclusive. Please specify "
            "only one."
        )
    attrs = {
        "minlength": -1 if minlength is None else int(minlength),
        "maxlength": -1 if maxlength is None else int(maxlength),
        "binary_output": bool(binary_output),
        "weighted": weights is not None,
    }
    if isinstance(values, SparseTensorValue):
        values = SparseTensor.from_value(values)
    parts = [values.values] if isinstance(values, SparseTensor) else [values]
    with _graph_for(*parts):
        with get_default_graph().name_scope(name or "count"):
            if isinstance(values, SparseTensor):
                sp = values
                if axis == 0:
                    sp = sparse_array_ops.sparse_reshape(sp, [-1])
                w = _weights_or_none(weights, sp.dtype)
                attrs["T"] = sp.dtype
                outs = apply_op(SparseCountSparseOutput, [*sp._components(), w], attrs)
            else:
                v = convert_to_tensor(values)
                if axis == 0:
                    v = reshape_ops.reshape(v, [-1])
                w = _weights_or_none(weights, v.dtype)
                if weights is not None and axis == 0:
                    w = reshape_ops.reshape(w, [-1])
                attrs["T"] = v.dtype
                outs = apply_op(DenseCountSparseOutput, [v, w], attrs)
            return SparseTensor(*outs)


__all__: list[str] = []  # tf.sparse.bincount only (tf.bincount is the dense one)
