"""SparseTensor and SparseTensorValue: a sparse value as three dense tensors (COO form).

A SparseTensor is not a node of its own: it bundles three Tensors of one graph,

- `indices`      int64 [N, rank]: the coordinates of the N stored values (row-major order,
                 where an op requires it; tf.sparse.reorder sorts them);
- `values`       [N]: the stored values, any dtype;
- `dense_shape`  int64 [rank]: the shape of the dense tensor it stands for.

Fetching one from a Session returns a SparseTensorValue (a namedtuple of the three arrays);
feeding one feeds its three tensors (runtime/session.py knows this class, not the reverse).
"""

from __future__ import annotations

import collections
from typing import Any

from flowzero.framework import dtypes as _dtypes
from flowzero.framework.graph import Graph, Operation, Tensor, _hook, convert_to_tensor, graph_of
from flowzero.framework.shapes import TensorShape

SparseTensorValue = collections.namedtuple(
    "SparseTensorValue", ["indices", "values", "dense_shape"]
)
SparseTensorValue.__doc__ = """A fetched sparse value: `indices` [N, rank] int64, `values` [N],
`dense_shape` [rank] int64 (NumPy arrays after Session.run, anything array-like before)."""


def _static_dims(t: Tensor) -> TensorShape:
    """The dense shape a 1-D int tensor holds, as far as it is known at build time."""
    n = t.shape.known[0] if t.shape.known else None
    op = t.op
    if op.type == "Const":
        return TensorShape([int(d) if d >= 0 else None for d in op.get_attr("value").tolist()])
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type in ("Identity", "PlaceholderWithDefault"):
        inner = _static_dims(op.inputs[0])
        if op.type == "Identity" or inner.ndims is None:
            return inner
    return TensorShape(None) if n is None else TensorShape([None] * n)


class SparseTensor:
    """`tf.SparseTensor(indices, values, dense_shape)`: a sparse tensor in COO form.

    Args:
        indices: int64 [N, rank] coordinates of the stored values (converted to int64).
        values: [N] stored values.
        dense_shape: int64 [rank], the dense shape.

    Raises:
        ValueError: indices is not a matrix, values not a vector, dense_shape not a vector,
            or their static sizes disagree.
        TypeError: indices or dense_shape is not integer.

    Example:
        >>> sp = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
        >>> sess.run(tf.sparse.to_dense(sp))   # [[1, 0, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]]
    """

    __slots__ = ("_indices", "_values", "_dense_shape", "_shape")

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        g = graph_of([indices, values, dense_shape], "SparseTensor")
        with g.as_default(), g.name_scope("SparseTensor"):
            ind = _as_int64(indices, "indices")
            vals = convert_to_tensor(values, name="values")
            shp = _as_int64(dense_shape, "dense_shape")
        if ind.shape.ndims not in (None, 2):
            raise ValueError(
                f"SparseTensor: indices must be a matrix [N, rank]; got shape {ind.shape}."
            )
        if vals.shape.ndims not in (None, 1):
            raise ValueError(f"SparseTensor: values must be a vector [N]; got shape {vals.shape}.")
        if shp.shape.ndims not in (None, 1):
            raise ValueError(
                f"SparseTensor: dense_shape must be a vector [rank]; got shape {shp.shape}."
            )
        if ind.shape.ndims == 2 and vals.shape.ndims == 1:
            if not ind.shape[:1].is_compatible_with(vals.shape):
                raise ValueError(
                    f"SparseTensor: indices and values must hold the same number of entries; "
                    f"got indices: {ind.shape}, values: {vals.shape}."
                )
        if ind.shape.ndims == 2 and shp.shape.ndims == 1:
            if not ind.shape[1:].is_compatible_with(shp.shape):
                raise ValueError(
                    f"SparseTensor: indices' second dimension must equal the rank, the length "
                    f"of dense_shape; got indices: {ind.shape}, dense_shape: {shp.shape}."
                )
        self._indices = ind
        self._values = vals
        self._dense_shape = shp
        self._shape = _static_dims(shp)

    @classmethod
    def from_value(cls, sparse_tensor_value: Any) -> SparseTensor:
        """A SparseTensor as is, or a new one holding a SparseTensorValue's arrays as constants."""
        if isinstance(sparse_tensor_value, SparseTensor):
            return sparse_tensor_value
        if not is_sparse(sparse_tensor_value):
            raise TypeError(
                f"Neither a SparseTensor nor SparseTensorValue: {sparse_tensor_value!r}."
            )
        v = sparse_tensor_value
        return cls(indices=v.indices, values=v.values, dense_shape=v.dense_shape)

    # -- the three tensors and what follows from them -----------------------------------------
    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def dense_shape(self) -> Tensor:
        return self._dense_shape

    @property
    def dtype(self) -> _dtypes.DType:
        """The dtype of the values."""
        return self._values.dtype

    @property
    def op(self) -> Operation:
        """The op producing the values (TF's choice)."""
        return self._values.op

    @property
    def graph(self) -> Graph:
        return self._indices.graph

    @property
    def shape(self) -> TensorShape:
        """The static dense shape: exact where dense_shape is a constant, else its rank."""
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def _set_static_shape(self, shape: TensorShape) -> None:
        # sparse_placeholder: a partly known shape beyond what the dense_shape tensor says.
        self._shape = self._shape.merge_with(shape)

    def consumers(self) -> list[Operation]:
        """The ops reading any of the three tensors (each once)."""
        out: list[Operation] = []
        for t in (self._indices, self._values, self._dense_shape):
            out.extend(op for op in t.consumers() if op not in out)
        return out

    def eval(self, feed_dict: Any = None, session: Any = None) -> SparseTensorValue:
        """Runs the three tensors in `session` (default: the default session)."""
        return _hook("session_for")(self.graph, session, "eval()").run(self, feed_dict)

    def _components(self) -> tuple[Tensor, Tensor, Tensor]:
        return (self._indices, self._values, self._dense_shape)

    def _as_tensor(self, dtype: Any) -> Tensor:
        raise TypeError(
            f"Failed to convert elements of {self} to Tensor: a SparseTensor is not a Tensor. "
            "Use tf.sparse.to_dense(sp) for its dense value, or ops that take SparseTensors "
            "(tf.sparse.*)."
        )

    def __str__(self) -> str:
        return (
            f"SparseTensor(indices={self._indices}, values={self._values}, "
            f"dense_shape={self._dense_shape})"
        )

    __repr__ = __str__

    def __bool__(self) -> bool:
        raise TypeError("Using a tf.SparseTensor as a Python `bool` is not allowed.")


def _as_int64(v: Any, what: str) -> Tensor:
    if isinstance(v, Tensor):
        if v.dtype is not _dtypes.int64:
            raise TypeError(f"SparseTensor: {what} must be int64; got a {v.dtype.name} tensor.")
        return v
    try:
        return convert_to_tensor(v, dtype=_dtypes.int64, name=what)
    except (TypeError, ValueError) as e:
        raise TypeError(f"SparseTensor: {what} must be int64 values; got {v!r} ({e}).") from None


def is_sparse(x: Any) -> bool:
    """Whether `x` is a SparseTensor or a SparseTensorValue."""
    return isinstance(x, (SparseTensor, SparseTensorValue))


def convert_to_tensor_or_sparse_tensor(
    value: Any, dtype: Any = None, name: str | None = None
) -> Any:
    """A SparseTensor for a SparseTensor or SparseTensorValue, else `tf.convert_to_tensor`.

    Raises:
        ValueError: `dtype` is given and differs from the sparse tensor's.
    """
    if dtype is not None:
        dtype = _dtypes.as_dtype(dtype)
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype is not None and value.dtype is not dtype:
            raise ValueError(
                f"Sparse dtype: requested = {dtype.name}, actual = {value.dtype.name}."
            )
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


class SparseTensorSpec:
    """`tf.SparseTensorSpec(shape=None, dtype=tf.float32)`: the type of a SparseTensor (its
    dense shape, as far as known, and its values' dtype).

    Example:
        >>> tf.SparseTensorSpec.from_value(sp)   # SparseTensorSpec(TensorShape([2, 5]), tf.float32)
    """

    def __init__(self, shape: Any = None, dtype: Any = _dtypes.float32) -> None:
        self._shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
        self._dtype = _dtypes.as_dtype(dtype)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> _dtypes.DType:
        return self._dtype

    @property
    def value_type(self) -> type:
        return SparseTensor

    @classmethod
    def from_value(cls, value: Any) -> SparseTensorSpec:
        """The spec of a SparseTensor (or SparseTensorValue)."""
        if isinstance(value, SparseTensorValue):
            import numpy as np

            return cls(np.asarray(value.dense_shape).tolist(), np.asarray(value.values).dtype)
        if not isinstance(value, SparseTensor):
            raise TypeError(f"SparseTensorSpec.from_value: expected a SparseTensor; got {value!r}.")
        return cls(value.shape, value.dtype)

    def is_compatible_with(self, spec_or_value: Any) -> bool:
        """Same dtype and a compatible dense shape."""
        other = spec_or_value
        if isinstance(other, (SparseTensor, SparseTensorValue)):
            other = SparseTensorSpec.from_value(other)
        return (
            isinstance(other, SparseTensorSpec)
            and other.dtype is self._dtype
            and self._shape.is_compatible_with(other.shape)
        )

    def _key(self) -> tuple[Any, str]:
        return (
            None if self._shape.ndims is None else tuple(self._shape.as_list()),
            self._dtype.name,
        )

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, SparseTensorSpec) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"SparseTensorSpec({self._shape!r}, tf.{self._dtype.name})"


__all__ = [
    "SparseTensor",
    "SparseTensorSpec",
    "SparseTensorValue",
    "convert_to_tensor_or_sparse_tensor",
]
