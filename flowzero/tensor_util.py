"""Values of tensors outside a Session: get_static_value (constant folding of what is known at
build time), is_tensor, make_tensor_proto / make_ndarray (TF's TensorProto; protobuf is loaded
only when they are called), dimension_value and dimension_at_index."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Operation, Tensor
from flowzero.framework.shapes import Dimension, as_shape


def is_tensor(x: Any) -> bool:
    """Whether `x` is a tensor-like object (a Tensor, a Variable, or anything that converts
    itself to a Tensor) rather than a Python or NumPy value."""
    return (
        isinstance(x, Tensor) or hasattr(x, "_as_tensor") or bool(getattr(x, "is_tensor_like", 0))
    )


def _static_leaf(t: Tensor) -> np.ndarray | None:
    """A value known without running anything: a shape-like op of a static shape."""
    op = t.op
    if op.type in ("Shape", "Size", "Rank") and op.inputs:
        s = op.inputs[0].shape
        if op.type == "Rank":
            return None if s.ndims is None else np.array(s.ndims, t.dtype.np)
        if s.is_fully_defined():
            dims = s.as_list()
            v = dims if op.type == "Shape" else int(np.prod(dims, dtype=np.int64))
            return np.array(v, t.dtype.np)
    return None


def _foldable(op: Operation) -> bool:
    od = op.opdef
    return not (
        od.stateful
        or od.requires_feed
        or od.needs_context
        or od.aliases_state
        or op.control_inputs
        or op.type in ("Placeholder", "PlaceholderWithDefault", "VariableV2")
    )


def get_static_value(tensor: Any, partial: bool = False) -> Any:
    """The value of `tensor` if it can be computed at build time, else None.

    A value is static when every op it depends on is a pure function of constants (no
    placeholder, variable, random or stateful op) - the shape, size or rank of a tensor
    whose static shape is known counts as a constant. Such values are computed by running
    just that subgraph; non-tensors are returned as they are.

    Args:
        tensor: a Tensor (or any value).
        partial: accepted for TF's signature (partially known shape vectors are not returned).

    Example:
        >>> tf.get_static_value(tf.shape(tf.zeros([2, 3])) * 2)
        array([4, 6], dtype=int32)
    """
    del partial
    if hasattr(tensor, "_as_tensor") and not isinstance(tensor, Tensor):
        return None  # a Variable: its value is session state
    if not isinstance(tensor, Tensor):
        return tensor
    leaves: dict[Tensor, np.ndarray] = {}
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        v = _static_leaf(t)
        if v is not None:
            leaves[t] = v
            continue
        if t.op.type == "Const":
            continue
        if not _foldable(t.op):
            return None
        stack.extend(t.op.inputs)
    if tensor in leaves:
        return leaves[tensor]
    if tensor.op.type == "Const":
        return np.array(tensor.op.get_attr("value"))
    from flowzero.runtime.session import Session

    try:
        with Session(graph=tensor.graph) as sess:
            return sess.run(tensor, feed_dict=leaves)
    except Exception:  # noqa: BLE001 - a subgraph that fails to run has no static value
        return None


def make_tensor_proto(
    values: Any,
    dtype: Any = None,
    shape: Any = None,
    verify_shape: bool = False,
    allow_broadcast: bool = False,
) -> Any:
    """A TensorProto (TF's protobuf message) holding `values`, optionally as `dtype` and
    reshaped to `shape` (one value fills the shape).

    Raises:
        TypeError: values that do not fit `dtype`, or `shape` differs with verify_shape=True.
        ValueError: the number of values does not fit `shape`.
    """
    from flowzero.interop import convert
    from flowzero.ops.array_ops import _to_array

    if isinstance(values, Tensor):
        raise TypeError(
            f"make_tensor_proto: expected a Python or NumPy value; got the Tensor "
            f"'{values.name}'. Use tf.get_static_value or Session.run to get its value."
        )
    dt = None if dtype is None else dtypes.as_dtype(dtype)
    arr = _to_array(values, dt, "make_tensor_proto")
    if shape is not None:
        target = tuple(as_shape(shape).as_list())
        n = int(np.prod(target, dtype=np.int64))
        if arr.shape != target:
            if verify_shape:
                raise TypeError(
                    f"make_tensor_proto: expected shape {list(target)}; got {list(arr.shape)}."
                )
            if arr.size == 1 or (allow_broadcast and arr.size):
                arr = np.broadcast_to(arr.reshape(()) if arr.size == 1 else arr, target)
            elif arr.size == n:
                arr = arr.reshape(target)
            else:
                raise ValueError(
                    f"make_tensor_proto: {arr.size} values cannot fill shape {list(target)} "
                    f"({n} elements); give 1 value or exactly {n}."
                )
    return convert.tensor_proto(arr, dt if dt is not None else None)


def make_ndarray(tensor: Any) -> np.ndarray:
    """The NumPy array a TensorProto holds (a new array).

    Raises:
        TypeError: `tensor` is not a TensorProto.
    """
    from flowzero.interop import convert

    if not hasattr(tensor, "tensor_shape") or not hasattr(tensor, "dtype"):
        raise TypeError(f"make_ndarray expects a TensorProto; got {type(tensor).__name__}.")
    return convert.array_from_tensor_proto(tensor, "make_ndarray")


def dimension_value(dimension: Any) -> int | None:
    """A dimension as an int (or None when unknown), whether it is a tf.Dimension or an int
    already."""
    if isinstance(dimension, Dimension):
        return dimension.value
    return dimension


def dimension_at_index(shape: Any, index: int) -> Dimension:
    """Dimension `index` of `shape` as a tf.Dimension; unknown (Dimension(None)) when the rank
    of `shape` is unknown."""
    s = as_shape(shape)
    if s.ndims is None:
        return Dimension(None)
    return Dimension(s.as_list()[index])


__all__ = [
    "is_tensor",
    "get_static_value",
    "make_tensor_proto",
    "make_ndarray",
    "dimension_value",
    "dimension_at_index",
]
