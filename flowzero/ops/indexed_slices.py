"""tf.IndexedSlices: some rows of a dense tensor (TF's form for the gradient of a gather), and
the functions that take or make one: tf.convert_to_tensor_or_indexed_slices, tf.sparse.mask.

Like a SparseTensor it is not a node of its own but bundles tensors of one graph: `values`
[N, ...] (the rows), `indices` [N] (which rows), and optionally `dense_shape` (the dense
tensor's shape). tf.convert_to_tensor densifies it, summing rows given twice (as TF does);
fetching one from a Session returns an IndexedSlicesValue.
"""

from __future__ import annotations

import collections
from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import Graph, Operation, Tensor, convert_to_tensor, graph_of
from flowzero.framework.shapes import TensorShape
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue, _static_dims
from flowzero.ops.common import _graph_for

IndexedSlicesValue = collections.namedtuple(
    "IndexedSlicesValue", ["values", "indices", "dense_shape"]
)
IndexedSlicesValue.__doc__ = """A fetched IndexedSlices: `values`, `indices` and `dense_shape`
(None where the IndexedSlices has none) as NumPy arrays."""


class IndexedSlices:
    """`tf.IndexedSlices(values, indices, dense_shape=None)`: the rows `indices` of a dense
    tensor, holding `values` (row k of values is row indices[k] of the dense tensor).

    Args:
        values: [N, d1, ...] the rows.
        indices: int32 or int64 [N], which rows.
        dense_shape: int [rank] (optional), the dense tensor's shape; needed to densify.

    Raises:
        TypeError: indices or dense_shape not integer.
        ValueError: indices is not a vector.

    Example:
        >>> x = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([2]), tf.constant([4, 2]))
        >>> sess = tf.Session()
        >>> print(sess.run(tf.convert_to_tensor(x)))
        [[0. 0.]
         [0. 0.]
         [1. 2.]
         [0. 0.]]
    """

    __slots__ = ("_values", "_indices", "_dense_shape")

    def __init__(self, values: Any, indices: Any, dense_shape: Any = None) -> None:
        parts = [values, indices] + ([] if dense_shape is None else [dense_shape])
        with graph_of(parts, "IndexedSlices").as_default():
            self._values = convert_to_tensor(values, name="values")
            self._indices = convert_to_tensor(indices, name="indices")
            self._dense_shape = (
                None if dense_shape is None else convert_to_tensor(dense_shape, name="dense_shape")
            )
        for what, t in (("indices", self._indices), ("dense_shape", self._dense_shape)):
            if t is not None and not t.dtype.is_integer:
                raise TypeError(f"IndexedSlices: {what} must be integer; got {t.dtype.name}.")
        if self._indices.shape.ndims not in (None, 1):
            raise ValueError(
                f"IndexedSlices: indices must be a vector; got shape {self._indices.shape}."
            )

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def dense_shape(self) -> Tensor | None:
        return self._dense_shape

    @property
    def dtype(self) -> dtypes.DType:
        return self._values.dtype

    @property
    def name(self) -> str:
        return self._values.name

    @property
    def op(self) -> Operation:
        return self._values.op

    @property
    def graph(self) -> Graph:
        return self._values.graph

    @property
    def device(self) -> str:
        return getattr(self._values, "device", "")

    @property
    def shape(self) -> Any:
        """The static shape of the dense tensor, as far as known."""
        if self._dense_shape is None:
            return TensorShape(None)
        return _static_dims(self._dense_shape)

    def consumers(self) -> list[Operation]:
        out: list[Operation] = []
        for t in (self._values, self._indices, self._dense_shape):
            if t is not None:
                out.extend(op for op in t.consumers() if op not in out)
        return out

    def __neg__(self) -> IndexedSlices:
        from flowzero.ops.math_ops import negative

        return IndexedSlices(negative(self._values), self._indices, self._dense_shape)

    def _as_tensor(self, dtype: Any) -> Tensor:
        """The dense tensor: rows summed into zeros of dense_shape."""
        from flowzero.ops import segment_ops, slicing_ops

        if dtype is not None and dtypes.as_dtype(dtype) is not self.dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for "
                f"IndexedSlices with dtype {self.dtype.name}: {self}"
            )
        if self._dense_shape is None:
            raise ValueError(
                f"Tensor conversion requested for IndexedSlices without dense_shape: {self}. "
                "Give IndexedSlices a dense_shape to densify it."
            )
        with _graph_for(self._values):
            rows = slicing_ops.strided_slice(self._dense_shape, [0], [1], shrink_axis_mask=1)
            return segment_ops.unsorted_segment_sum(self._values, self._indices, rows)

    # Session.run fetches an IndexedSlices as an IndexedSlicesValue of its tensors.
    def _fetch_components(self) -> list[Tensor]:
        return [t for t in (self._values, self._indices, self._dense_shape) if t is not None]

    def _fetch_value(self, *arrays: Any) -> IndexedSlicesValue:
        return IndexedSlicesValue(arrays[0], arrays[1], arrays[2] if len(arrays) > 2 else None)

    def __str__(self) -> str:
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape}"
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    __repr__ = __str__


class IndexedSlicesSpec:
    """`tf.IndexedSlicesSpec(shape=None, dtype=tf.float32, indices_dtype=tf.int64,
    dense_shape_dtype=None, indices_shape=None)`: the type of an IndexedSlices."""

    def __init__(
        self,
        shape: Any = None,
        dtype: Any = dtypes.float32,
        indices_dtype: Any = dtypes.int64,
        dense_shape_dtype: Any = None,
        indices_shape: Any = None,
    ) -> None:
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._indices_dtype = dtypes.as_dtype(indices_dtype)
        self._dense_shape_dtype = (
            None if dense_shape_dtype is None else dtypes.as_dtype(dense_shape_dtype)
        )
        self._indices_shape = TensorShape([None] if indices_shape is None else indices_shape)
        if self._indices_shape.ndims != 1:
            raise ValueError(
                f"IndexedSlicesSpec: indices_shape must be a vector's; got {self._indices_shape}."
            )

    @property
    def value_type(self) -> type:
        return IndexedSlices

    def _key(self) -> tuple[Any, ...]:
        def dims(s: TensorShape) -> Any:
            return None if s.ndims is None else tuple(s.as_list())

        return (
            dims(self._shape),
            self._dtype,
            self._indices_dtype,
            self._dense_shape_dtype,
            dims(self._indices_shape),
        )

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, IndexedSlicesSpec) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        ds = None if self._dense_shape_dtype is None else f"tf.{self._dense_shape_dtype.name}"
        return (
            f"IndexedSlicesSpec({self._shape!r}, tf.{self._dtype.name}, "
            f"tf.{self._indices_dtype.name}, {ds}, {self._indices_shape!r})"
        )


def convert_to_tensor_or_indexed_slices(
    value: Any, dtype: Any = None, name: str | None = None
) -> Any:
    """An IndexedSlices or SparseTensor as is (an IndexedSlicesValue / SparseTensorValue made
    into one), anything else through tf.convert_to_tensor.

    Raises:
        ValueError: `dtype` is given and differs from an IndexedSlices' or SparseTensor's.
    """
    if isinstance(value, IndexedSlicesValue):
        value = IndexedSlices(value.values, value.indices, value.dense_shape)
    elif isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, (IndexedSlices, SparseTensor)):
        if dtype is not None and dtypes.as_dtype(dtype) is not value.dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for "
                f"{type(value).__name__} with dtype {value.dtype.name}: {value}"
            )
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def sparse_mask(a: Any, mask_indices: Any, name: str | None = None) -> IndexedSlices:
    """The rows of IndexedSlices `a` whose index is not in `mask_indices` (a vector).

    Example:
        >>> values = tf.zeros([4, 10])
        >>> a = tf.IndexedSlices(values, indices=[12, 26, 37, 45], dense_shape=[1000, 10])
        >>> print(tf.Session().run(tf.sparse.mask(a, [12, 45]).indices))
        [26 37]
    """
    from flowzero.ops.indexing_ops import gather
    from flowzero.ops.sort_ops import setdiff1d

    if not isinstance(a, IndexedSlices):
        raise TypeError(f"sparse_mask: a must be a tf.IndexedSlices; got {a!r}.")
    with _graph_for(a.values), a.graph.name_scope(name or "sparse_mask"):
        mask = convert_to_tensor(mask_indices, dtype=a.indices.dtype)
        kept, where = setdiff1d(a.indices, mask)
        return IndexedSlices(gather(a.values, where), kept, a.dense_shape)


__all__ = [  # IndexedSlicesValue is no root name of TF's: import it from here
    "IndexedSlices",
    "IndexedSlicesSpec",
    "convert_to_tensor_or_indexed_slices",
    "sparse_mask",
]
