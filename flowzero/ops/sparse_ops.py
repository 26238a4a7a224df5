"""Sparse tensors to and from dense: SparseToDense (tf.sparse.to_dense, tf.sparse_to_dense),
tf.sparse.from_dense, tf.sparse_placeholder.

A SparseTensor (flowzero/framework/sparse_tensor.py) is three dense tensors; the ops here take
them as separate inputs, as TensorFlow's kernels do, and the public functions unpack and pack.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, name_scope
from flowzero.framework.registry import OpDef, register_op, spec
from flowzero.framework.sparse_tensor import (
    SparseTensor,
    SparseTensorValue,
    convert_to_tensor_or_sparse_tensor,
)
from flowzero.ops.array_ops import _placeholder_shape, placeholder, shape, zeros_like
from flowzero.ops.common import DTypeError, _graph_for, _require_int, _static_shape_value
from flowzero.ops.indexing_ops import gather_nd, where
from flowzero.ops.logic_ops import not_equal
from flowzero.ops.reduction_ops import reduce_sum
from flowzero.ops.reshape_ops import reshape


def _sparse(sp_input: Any, fn: str) -> SparseTensor:
    """`sp_input` as a SparseTensor (a SparseTensorValue is made constant)."""
    if isinstance(sp_input, SparseTensorValue):
        return SparseTensor.from_value(sp_input)
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"{fn}: input must be a SparseTensor; got {type(sp_input).__name__}.")
    return sp_input


def _fmt_index(ix: np.ndarray) -> str:
    return "[" + ",".join(str(int(v)) for v in np.atleast_1d(ix)) + "]"


def check_sparse_indices(
    op: OpDef, indices: np.ndarray, dims: np.ndarray, ordered: bool = True, unique: bool = True
) -> None:
    """InvalidArgumentError naming `op` unless every row of `indices` is inside `dims` (and,
    where asked, rows are in row-major order and not repeated)."""
    if indices.ndim != 2 or indices.shape[1] != dims.size:
        raise op.error(
            f"indices must be a matrix [N, {dims.size}] for a rank-{dims.size} dense shape; "
            f"got indices shape {indices.shape}."
        )
    bad = (indices < 0) | (indices >= dims.reshape(1, -1))
    if bad.any():
        i = int(np.argmax(bad.any(axis=1)))
        raise op.error(
            f"indices[{i}] = {_fmt_index(indices[i])} is out of bounds: need 0 <= index < "
            f"{_fmt_index(dims)}."
        )
    if (ordered or unique) and len(indices) > 1:
        flat = np.ravel_multi_index(indices.T, tuple(int(d) for d in dims)) if dims.size else None
        if flat is None:
            return
        step = np.diff(flat)
        if ordered and (step < 0).any():
            i = int(np.argmax(step < 0)) + 1
            raise op.error(
                f"indices[{i}] = {_fmt_index(indices[i])} is out of order. Many sparse ops "
                "require sorted indices; use tf.sparse.reorder to create a correctly ordered "
                "copy."
            )
        if unique and (step == 0).any():
            i = int(np.argmax(step == 0)) + 1
            raise op.error(f"indices[{i}] = {_fmt_index(indices[i])} is repeated.")


# -- SparseToDense ------------------------------------------------------------------------------
@register_op("SparseToDense")
class SparseToDense(OpDef):
    """y = default_value everywhere, y[indices[i]] = values[i] (or the scalar values)."""

    def infer(self, indices: Tensor, out_shape: Tensor, values: Tensor, default: Tensor) -> Any:
        _require_int(self, indices, "sparse_indices")
        _require_int(self, out_shape, "output_shape")
        if indices.shape.ndims is not None and indices.shape.ndims > 2:
            raise self.error(f"sparse_indices must have rank <= 2; got shape {indices.shape}.")
        if out_shape.shape.ndims not in (None, 0, 1):
            raise self.error(f"output_shape must be a vector; got shape {out_shape.shape}.")
        if values.shape.ndims not in (None, 0, 1):
            raise self.error(f"sparse_values must be a scalar or vector; got shape {values.shape}.")
        if default.shape.ndims not in (None, 0):
            raise self.error(f"default_value must be a scalar; got shape {default.shape}.")
        if values.dtype is not default.dtype:
            raise self.error(
                f"sparse_values and default_value must have the same dtype; got "
                f"{values.dtype.name} and {default.dtype.name}.",
                cls=DTypeError,
            )
        return spec(_static_shape_value(out_shape), values.dtype)

    def compute(
        self, indices: np.ndarray, out_shape: np.ndarray, values: np.ndarray, default: np.ndarray
    ) -> np.ndarray:
        dims = np.asarray(out_shape, np.int64).reshape(-1)
        if (dims < 0).any():
            raise self.error(f"output_shape must be non-negative; got {dims.tolist()}.")
        rank = dims.size
        ind = np.asarray(indices, np.int64)
        # TF: a scalar index or a vector of indices addresses a rank-1 output.
        ind = ind.reshape(-1, 1) if ind.ndim < 2 else ind
        if ind.ndim == 2 and ind.shape[1] != rank and not (rank == 0 and ind.shape[0] == 0):
            raise self.error(
                f"sparse_indices must have {rank} columns for output_shape {dims.tolist()}; "
                f"got sparse_indices shape {np.shape(indices)}."
            )
        n = ind.shape[0]
        if values.ndim == 1 and values.shape[0] != n:
            raise self.error(
                f"sparse_values has {values.shape[0]} entries but sparse_indices has {n}; "
                "they must match (or sparse_values be a scalar)."
            )
        if default.ndim != 0:
            raise self.error(f"default_value must be a scalar; got shape {default.shape}.")
        check_sparse_indices(
            self,
            ind,
            dims,
            ordered=self.attrs.get("validate_indices", True),
            unique=self.attrs.get("validate_indices", True),
        )
        out = np.full(tuple(int(d) for d in dims), default, dtype=values.dtype)
        if n:
            out[tuple(ind.T)] = values
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        indices, _, values, _ = op.inputs
        dvalues = gather_nd(dy, indices if indices.shape.ndims == 2 else reshape(indices, [-1, 1]))
        if values.shape.ndims == 0:
            dvalues = reduce_sum(dvalues)
        ddefault = reduce_sum(dy) - reduce_sum(dvalues)
        return [None, None, dvalues, ddefault]


def sparse_to_dense(
    sparse_indices: Any,
    output_shape: Any,
    sparse_values: Any,
    default_value: Any = 0,
    validate_indices: bool = True,
    name: str | None = None,
) -> Tensor:
    """A dense tensor of `output_shape`: `sparse_values` at `sparse_indices`, else
    `default_value` (TF1's tf.sparse_to_dense).

    Args:
        sparse_indices: int [N, rank] (or [N] / scalar for a rank-1 output) coordinates.
        output_shape: int [rank], the dense shape.
        sparse_values: [N] values, or a scalar used at every index.
        default_value: scalar for the other positions.
        validate_indices: check the indices are in row-major order and not repeated.

    Raises:
        InvalidArgumentError: an index is out of range, unordered or repeated (at run time).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.sparse_to_dense([[0, 1], [1, 0]], [2, 2], [5, 6]))  # [[0, 5], [6, 0]]
        array([[0, 5],
               [6, 0]], dtype=int32)
    """
    with _graph_for(sparse_indices, output_shape, sparse_values, default_value):
        values = convert_to_tensor(sparse_values)
        default = convert_to_tensor(default_value, dtype=values.dtype)
        ind = convert_to_tensor(sparse_indices)
        shp = convert_to_tensor(output_shape, dtype=ind.dtype if ind.dtype.is_integer else None)
        return apply_op(
            SparseToDense,
            [ind, shp, values, default],
            {"validate_indices": bool(validate_indices)},
            name=name,
        )


def sparse_tensor_to_dense(
    sp_input: Any, default_value: Any = 0, validate_indices: bool = True, name: str | None = None
) -> Tensor:
    """The dense value of a SparseTensor; unset positions hold `default_value`
    (tf.sparse.to_dense).

    Raises:
        TypeError: sp_input is not a SparseTensor.
        InvalidArgumentError: indices out of range for dense_shape, or (validate_indices)
            not in row-major order or repeated; tf.sparse.reorder sorts them.

    Example:
        >>> sess = tf.Session()
        >>> sp = tf.SparseTensor([[0, 1]], [3.0], [2, 2])
        >>> sess.run(tf.sparse.to_dense(sp))   # [[0, 3], [0, 0]]
        array([[0., 3.],
               [0., 0.]], dtype=float32)
    """
    sp = _sparse(sp_input, "sparse_tensor_to_dense")
    with _graph_for(sp.values):
        default = convert_to_tensor(default_value, dtype=sp.dtype)
        out = apply_op(
            SparseToDense,
            [sp.indices, sp.dense_shape, sp.values, default],
            {"validate_indices": bool(validate_indices)},
            name=name,
        )
    if out.shape.is_compatible_with(sp.shape):
        out.set_shape(sp.shape)  # a sparse_placeholder's partly known shape
    return out


def from_dense(tensor: Any, name: str | None = None) -> SparseTensor:
    """The SparseTensor of `tensor`'s non-zero entries (non-empty strings, True bools).

    Example:
        >>> sess = tf.Session()
        >>> sp = sess.run(tf.sparse.from_dense([[0, 2], [3, 0]]))
        >>> sp.indices.tolist(), sp.values.tolist(), sp.dense_shape.tolist()
        ([[0, 1], [1, 0]], [2, 3], [2, 2])
    """
    with _graph_for(tensor), name_scope(name, "dense_to_sparse"):
        t = convert_to_tensor(tensor)
        indices = where(not_equal(t, zeros_like(t)))
        return SparseTensor(indices, gather_nd(t, indices), shape(t, out_type=dtypes.int64))


def sparse_placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> SparseTensor:
    """A SparseTensor whose three tensors are fed (feed it a tf.SparseTensorValue or an
    (indices, values, dense_shape) tuple).

    Args:
        dtype: the values' dtype.
        shape: optional dense shape; a fully known one becomes a constant dense_shape, else
            dense_shape is fed too (its rank, if given, fixes indices' second dimension).
        name: prefix of the placeholders' names (`name/values`, `name/indices`, `name/shape`).

    Example:
        >>> sess = tf.Session()
        >>> sp = tf.sparse_placeholder(tf.float32, shape=[None, 3])
        >>> print(sess.run(tf.sparse.reduce_sum(sp), {sp: ([[0, 1]], [2.0], [4, 3])}))   # 2.0
        2.0
    """
    part = (lambda s: f"{name}/{s}") if name is not None else (lambda s: None)
    static = None if shape is None else _placeholder_shape(shape, name)
    rank = static.ndims if static is not None else None
    if static is not None and static.is_fully_defined():
        dense_shape: Any = convert_to_tensor(
            static.as_list(), dtype=dtypes.int64, name=part("shape")
        )
    else:
        dense_shape = placeholder(dtypes.int64, [rank], name=part("shape"))
    sp = SparseTensor(
        values=placeholder(dtype, [None], name=part("values")),
        indices=placeholder(dtypes.int64, [None, rank], name=part("indices")),
        dense_shape=dense_shape,
    )
    if static is not None:
        sp._set_static_shape(static)
    return sp


__all__ = [
    "convert_to_tensor_or_sparse_tensor",
    "sparse_placeholder",
    "sparse_tensor_to_dense",
    "sparse_to_dense",
]
