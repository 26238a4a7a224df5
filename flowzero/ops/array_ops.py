"""Array ops: constants, placeholders, shape/layout manipulation, slicing, gathering.

Also installs `Tensor.__getitem__` (NumPy-style indexing through StridedSlice), so the graph
layer itself knows nothing about slicing.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Operation, Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops.common import TypeError_, static_value

# NOTE: this module defines tf.range and tf.slice, which shadow the builtins inside it.
_range = builtins.range
_slice = builtins.slice


# -- Const -------------------------------------------------------------------------------------
@register_op("Const")
class Const(OpDef):
    """y = value (a constant baked into the graph)."""

    differentiable = False
    aliases_state = True  # the stored array must not be handed out to be mutated

    def infer(self) -> TensorSpec:
        v = self.attrs["value"]
        return spec(v.shape, self.attrs["dtype"])

    def compute(self) -> np.ndarray:
        return self.attrs["value"]


def _to_array(value: Any, dtype: dtypes.DType | None, op: str) -> np.ndarray:
    if dtype is None:
        arr = dtypes.infer_numpy(value)
        if arr.dtype.kind == "O" and not all(isinstance(x, bytes) for x in arr.flat):
            raise TypeError(f"{op}: cannot convert {value!r} to a Tensor: mixed or unsupported "
                            "element types.")
        return arr
    if dtype is dtypes.string:
        return dtypes.infer_numpy(value).astype(object)
    src = np.asarray(value)
    if src.dtype.kind == "O" or src.dtype.kind in "SU":
        raise TypeError(f"{op}: cannot convert {value!r} to a Tensor of dtype {dtype.name}.")
    if (dtype.is_integer or dtype.is_bool) and src.dtype.kind in "fc" and src.size and not \
            np.all(src == np.round(src)):
        raise TypeError(
            f"{op}: expected {dtype.name}, got {value!r} of type '{type(value).__name__}' "
            "instead (non-integral values would be truncated)."
        )
    if dtype.is_integer and src.size and src.dtype.kind in "iu" and (
        src.max() > np.iinfo(dtype.np).max or src.min() < np.iinfo(dtype.np).min
    ):
        raise ValueError(f"{op}: value {value!r} is out of range for dtype {dtype.name}.")
    return src.astype(dtype.np)


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const",
             verify_shape: bool = False) -> Tensor:
    """A constant tensor.

    Args:
        value: a Python scalar, (nested) list or NumPy array. Python floats default to float32
            and ints to int32, as in TF.
        dtype: the element type; the value is converted to it.
        shape: optional shape; a scalar value fills it, a value of the same size is reshaped.
        name: node name.

    Returns:
        A Tensor.

    Example:
        >>> sess.run(tf.constant([[3., 3.]]))
        array([[3., 3.]], dtype=float32)
    """
    dt = None if dtype is None else dtypes.as_dtype(dtype)
    arr = _to_array(value, dt, "Const")
    if shape is not None:
        target = tuple(as_shape(shape).as_list())
        if arr.shape != target:
            if verify_shape:
                raise TypeError(f"Const '{name}': expected shape {target}; got {arr.shape}.")
            if arr.size == 1:
                arr = np.full(target, arr.reshape(()), dtype=arr.dtype)
            elif arr.size == int(np.prod(target)):
                arr = arr.reshape(target)
            else:
                raise TypeError(
                    f"Const '{name}': cannot build a constant of shape {target} from a value "
                    f"with {arr.size} elements; give 1 element (to fill) or exactly "
                    f"{int(np.prod(target))}."
                )
    arr = np.array(arr, copy=True)  # own the storage: later changes to `value` do not leak in
    arr.flags.writeable = False
    return apply_op(Const, [], {"value": arr, "dtype": dtypes.as_dtype(arr.dtype) if dt is None
                                else dt}, name=name)


# -- Placeholder -------------------------------------------------------------------------------
@register_op("Placeholder")
class Placeholder(OpDef):
    """y = the value fed for it in Session.run(feed_dict=...)."""

    differentiable = False
    requires_feed = True

    def infer(self) -> TensorSpec:
        return spec(self.attrs["shape"], self.attrs["dtype"])


def placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor that must be fed at run time.

    Args:
        dtype: element type of the fed values (they are converted to it).
        shape: optional (partial) shape, e.g. `[None, 784]`; fed values must match it.
        name: node name (default "Placeholder").

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 2])
        >>> sess.run(x * 2, feed_dict={x: [[1, 2]]})
        array([[2., 4.]], dtype=float32)
    """
    return apply_op(Placeholder, [], {"dtype": dtypes.as_dtype(dtype),
                                      "shape": as_shape(shape)}, name=name)


@register_op("PlaceholderWithDefault")
class PlaceholderWithDefault(OpDef):
    """y = the fed value if fed, else `input`."""

    forwards_input = True

    def infer(self, x: Tensor) -> TensorSpec:
        shape = as_shape(self.attrs["shape"])
        if not shape.is_compatible_with(x.shape):
            raise self.error(f"default value of shape {x.shape} is incompatible with the "
                             f"placeholder shape {shape}.")
        return spec(shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy]


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """A placeholder that yields `input` when it is not fed."""
    return apply_op(PlaceholderWithDefault, [input], {"shape": as_shape(shape)}, name=name)


# -- shape queries -----------------------------------------------------------------------------
@register_op("Shape")
class Shape(OpDef):
    """y = the dynamic shape of x as a 1-D int tensor."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        return spec([x.shape.ndims], self.attrs["out_type"])

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.array(x.shape, dtype=self.attrs["out_type"].np)


def shape(input: Any, name: str | None = None, out_type: Any = dtypes.int32) -> Tensor:  # noqa: A002
    """The shape of `input` as a 1-D tensor, known at run time."""
    return apply_op(Shape, [input], {"out_type": dtypes.as_dtype(out_type)}, name=name)


def _shape_operand(shape_: Any) -> Any:
    """A shape argument as a Tensor or an int32 constant (accepts lists, TensorShape, Dims)."""
    if isinstance(shape_, Tensor):
        return shape_
    if isinstance(shape_, TensorShape):
        shape_ = shape_.as_list()
    return constant([int(d) for d in shape_] if not np.isscalar(shape_) else [int(shape_)],
                    dtype=dtypes.int32, name="shape")


def _static_shape_value(t: Tensor) -> TensorShape:
    """What a 1-D shape tensor says statically (unknown entries where it is computed)."""
    if t.op.type == "Shape":
        return t.op.inputs[0].shape
    p = _partial_ints(t)
    if p is None:
        return TensorShape(None)
    return TensorShape([d if d is not None and d >= 0 else None for d in p])


def _partial_ints(t: Tensor) -> list[int | None] | None:
    """The elements of a 0-D/1-D int tensor as far as they are known at build time: an int where
    static, None where computed; None when even the number of elements is unknown.

    Sees through Pack, ConcatV2 and StridedSlice of shapes, so `[tf.shape(x)[0], -1]` keeps
    what is known of x's first dimension.
    """
    v = static_value(t)
    if v is not None:
        return [int(d) for d in np.asarray(v).reshape(-1)]
    op = t.op
    if op.type == "Shape" and op.inputs[0].shape.known is not None:
        return list(op.inputs[0].shape.known)
    if op.type == "Identity":
        return _partial_ints(op.inputs[0])
    if op.type == "Rank":
        return [op.inputs[0].shape.ndims]
    if op.type == "Size":
        return [op.inputs[0].shape.num_elements()]
    if op.type == "Pack" and op.get_attr("axis") in (0, -1) and all(
            i.shape.ndims == 0 for i in op.inputs):
        out: list[int | None] = []
        for i in op.inputs:
            p = _partial_ints(i)
            out.append(p[0] if p is not None and len(p) == 1 else None)
        return out
    if op.type == "ConcatV2" and all(i.shape.ndims == 1 for i in op.inputs[:-1]):
        parts = [_partial_ints(i) for i in op.inputs[:-1]]
        if all(p is not None for p in parts):
            return [d for p in parts for d in p]  # type: ignore[union-attr]
    if op.type == "StridedSlice" and op.inputs[0].shape.ndims == 1:
        src = _partial_ints(op.inputs[0])
        bes = [static_value(i) for i in op.inputs[1:]]
        if src is not None and all(b is not None for b in bes):
            try:
                picked = np.array(src, dtype=object)[_strided_index(*bes, op.opdef.attrs)]
            except (IndexError, ValueError):
                picked = None
            if picked is not None:
                return [None if d is None else int(d)
                        for d in np.asarray(picked, dtype=object).reshape(-1)]
    nd = t.shape.ndims
    if nd == 0:
        return [None]
    if nd == 1 and t.shape.known[0] is not None:  # type: ignore[index]
        return [None] * t.shape.known[0]  # type: ignore[index]
    return None


def _scalar_int(t: Tensor) -> int | None:
    """The value of a scalar (or 1-element) int tensor if static, else None."""
    p = _partial_ints(t)
    return p[0] if p is not None and len(p) == 1 else None


# -- broadcasting pair used by autodiff ---------------------------------------------------------
@register_op("BroadcastTo")
class BroadcastTo(OpDef):
    """y = x broadcast (NumPy rules) to `shape`."""

    forwards_input = True

    def infer(self, x: Tensor, shape_: Tensor) -> TensorSpec:
        target = _static_shape_value(shape_)
        if target.known is not None and x.shape.known is not None:
            from flowzero.framework.shapes import broadcast_shapes

            b = broadcast_shapes(x.shape, target)
            if b is None or (target.is_fully_defined() and b != target):
                raise self.error(f"cannot broadcast x of shape {x.shape} to {target}.")
        return spec(target, x.dtype)

    def compute(self, x: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, tuple(shape_))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        return [sum_to(dy, _shape_like(x)), None]


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Broadcasts `input` to `shape` (NumPy rules)."""
    return apply_op(BroadcastTo, [input, _shape_operand(shape)], name=name)


@register_op("SumTo")
class SumTo(OpDef):
    """y = x summed over the axes that broadcasting to x's shape added or stretched, so that y
    has `shape` (the inverse of BroadcastTo; autodiff's one un-broadcasting step)."""

    def infer(self, x: Tensor, shape_: Tensor) -> TensorSpec:
        return spec(_static_shape_value(shape_), x.dtype)

    def compute(self, x: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        target = tuple(int(d) for d in shape_)
        if x.shape == target:
            return x
        lead = x.ndim - len(target)
        axes = tuple(_range(lead)) + tuple(
            lead + i for i, d in enumerate(target) if d == 1 and x.shape[lead + i] != 1
        )
        y = np.sum(x, axis=axes, keepdims=True, dtype=x.dtype) if axes else x
        if lead:
            y = y.reshape(y.shape[lead:])
        return y.reshape(target)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [broadcast_to(dy, _shape_like(op.inputs[0])), None]


def sum_to(x: Any, shape_: Any, name: str | None = None) -> Tensor:
    """Sums `x` down to `shape_` (undoing a broadcast)."""
    return apply_op(SumTo, [x, _shape_operand(shape_)], name=name)


def _shape_like(x: Tensor) -> Any:
    """x's shape as a constant when static, else as a Shape op."""
    if x.shape.is_fully_defined():
        return _shape_operand(x.shape)
    return shape(x)


# -- reshape -----------------------------------------------------------------------------------
@register_op("Reshape")
class Reshape(OpDef):
    """y = x with the given shape (one dim may be -1: inferred from the size)."""

    forwards_input = True

    def infer(self, x: Tensor, shape_: Tensor) -> TensorSpec:
        dims_p = _partial_ints(shape_)
        if dims_p is None:
            return spec(TensorShape(None), x.dtype)
        given = [d for d in dims_p if d is not None]
        if sum(d == -1 for d in given) > 1:
            raise self.error(f"only one dimension may be -1; got shape {dims_p}.")
        if any(d < -1 for d in given):
            raise self.error(f"dimensions must be >= -1; got shape {dims_p}.")
        if None in dims_p:
            return spec(_reshape_partial(x, shape_, dims_p), x.dtype)
        dims = [int(d) for d in dims_p]  # type: ignore[arg-type]
        n = x.shape.num_elements()
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        if -1 in dims:
            if n is not None:
                if known == 0 or n % known:
                    raise self.error(f"cannot reshape a tensor of {n} elements (shape {x.shape})"
                                     f" to {dims}: {n} is not divisible by {known}.")
                dims = [n // known if d == -1 else d for d in dims]
            return spec([None if d == -1 else d for d in dims], x.dtype)
        if n is not None and n != known:
            raise self.error(f"cannot reshape a tensor with {n} elements (shape {x.shape}) to "
                             f"shape {dims} ({known} elements).")
        return spec(dims, x.dtype)

    def compute(self, x: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        try:
            return x.reshape(tuple(shape_))
        except ValueError:
            raise self.error(f"cannot reshape a tensor with {x.size} elements (shape "
                             f"{x.shape}) to shape {list(shape_)}.") from None

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reshape(dy, _shape_like(op.inputs[0])), None]


def _dim_source(t: Tensor, i: int) -> tuple[Tensor, int] | None:
    """(x, k) when element i of the shape vector t is `tf.shape(x)[k]`, else None."""
    op = t.op
    if op.type != "Pack" or i >= len(op.inputs):
        return None
    e = op.inputs[i].op
    if e.type != "StridedSlice" or e.inputs[0].op.type != "Shape" or \
            e.get_attr("shrink_axis_mask") != 1:
        return None
    k = static_value(e.inputs[1])
    x = e.inputs[0].op.inputs[0]
    if k is None or x.shape.ndims is None:
        return None
    return x, int(np.asarray(k).reshape(-1)[0]) % max(x.shape.ndims, 1)


def _reshape_partial(x: Tensor, shape_: Tensor, dims: list[int | None]) -> list[int | None]:
    """Static output dims when some target entries are computed. As TF, an entry that is
    `tf.shape(x)[k]` of the reshaped x itself cancels x's dimension k, so the -1 in
    `reshape(x, [tf.shape(x)[0], -1])` is still known when x's other dimensions are."""
    out = [None if d is None or d == -1 else d for d in dims]
    if -1 not in dims or x.shape.ndims is None:
        return out
    x_dims = list(x.shape.known)  # type: ignore[arg-type]
    for i, d in enumerate(dims):
        if d is None:
            src = _dim_source(shape_, i)
            # (a known dim of x would have been read as an int already)
            if src is None or src[0] is not x or x_dims[src[1]] is not None:
                return out
            x_dims[src[1]] = 1  # cancels: the same unknown size on both sides
    if None in x_dims:
        return out
    known_out = int(np.prod([d for d in dims if d is not None and d != -1], dtype=np.int64))
    n = int(np.prod(x_dims, dtype=np.int64))
    if known_out and n % known_out == 0:
        out[dims.index(-1)] = n // known_out
    return out


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tensor` with a new shape of the same size.

    Args:
        tensor: a Tensor (or convertible value).
        shape: a list/tuple/TensorShape/1-D int Tensor; one entry may be -1 (inferred from the
            size). A list may mix ints and scalar Tensors, e.g. `[tf.shape(x)[0], -1]`.
        name: node name.

    Returns:
        A Tensor with `tensor`'s values in row-major order and the new shape.

    Raises:
        InvalidArgumentError: at build time when the sizes are statically incompatible (at run
            time otherwise).

    Example:
        >>> sess.run(tf.reshape(tf.range(6), [2, -1]))
        array([[0, 1, 2],
               [3, 4, 5]], dtype=int32)
    """
    with _graph_for(tensor, shape):
        return apply_op(Reshape, [tensor, _int_operand(shape, "shape", unknown=-1)], name=name)


# -- fills -------------------------------------------------------------------------------------
@register_op("Fill")
class Fill(OpDef):
    """y = an array of shape `dims` filled with the scalar `value`."""

    def infer(self, dims: Tensor, value: Tensor) -> TensorSpec:
        if value.shape.ndims not in (None, 0):
            raise self.error(f"value must be a scalar; got shape {value.shape}.")
        return spec(_static_shape_value(dims), value.dtype)

    def compute(self, dims: np.ndarray, value: np.ndarray) -> np.ndarray:
        return np.full(tuple(int(d) for d in dims), value, dtype=value.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops import reduction_ops

        return [None, reduction_ops.reduce_sum(dy)]


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A tensor of shape `dims` filled with `value`."""
    return apply_op(Fill, [_shape_operand(dims), value], name=name)


def _filled_like(tensor: Any, value: float, dtype: Any, name: str | None, default: str
                 ) -> Tensor:
    from flowzero.framework.graph import convert_to_tensor

    t = convert_to_tensor(tensor)
    dt = dtypes.as_dtype(dtype) if dtype is not None else t.dtype
    with t.graph.as_default():
        if t.shape.is_fully_defined():
            return constant(np.full(t.shape.as_list(), value, dtype=dt.np), dtype=dt,
                            name=name or default)
        return fill(shape(t), constant(value, dtype=dt), name=name or default)


def zeros_like(tensor: Any, dtype: Any = None, name: str | None = None,
               optimize: bool = True) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `tensor`."""
    return _filled_like(tensor, 0, dtype, name, "zeros_like")


def ones_like(tensor: Any, dtype: Any = None, name: str | None = None,
              optimize: bool = True) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `tensor`."""
    return _filled_like(tensor, 1, dtype, name, "ones_like")


def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:  # noqa: A002
    """A tensor of zeros of `shape`."""
    if isinstance(shape, Tensor):
        return fill(shape, constant(0, dtype=dtype), name=name or "zeros")
    return constant(0, dtype=dtype, shape=shape, name=name or "zeros")


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:  # noqa: A002
    """A tensor of ones of `shape`."""
    if isinstance(shape, Tensor):
        return fill(shape, constant(1, dtype=dtype), name=name or "ones")
    return constant(1, dtype=dtype, shape=shape, name=name or "ones")


# -- argument helpers --------------------------------------------------------------------------
def _flat(values: Any) -> list[Any]:
    if isinstance(values, (list, tuple)):
        return [v for x in values for v in _flat(x)]
    return [values]


def _is_tensorish(v: Any) -> bool:
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")


def _has_tensor(v: Any) -> bool:
    return any(_is_tensorish(x) for x in _flat(v))


def _graph_for(*values: Any) -> Any:
    """`with` context: the graph of the Tensors among `values` (the default graph if none), so
    the constants an op function makes land next to its inputs."""
    return graph_of(_flat(list(values)), "array_ops").as_default()


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _plain(v: Any, unknown: int | None, name: str) -> Any:
    """Nested ints with Dimensions unwrapped and None mapped to `unknown`."""
    if isinstance(v, (list, tuple)):
        return [_plain(x, unknown, name) for x in v]
    v = getattr(v, "value", v)  # tf.Dimension
    if v is None:
        if unknown is None:
            raise ValueError(f"{name}: cannot convert an unknown dimension (None) to an int.")
        return unknown
    return v


def _int_operand(v: Any, name: str, unknown: int | None = None) -> Tensor:
    """An int argument (axis, shape, perm, begin, ...) as a Tensor.

    Tensors pass through; Python ints, lists and TensorShapes become an int32 constant (int64
    when a value needs it; None becomes `unknown`); lists mixing ints and scalar Tensors are
    packed with tf.stack.
    """
    if _is_tensorish(v):
        return convert_to_tensor(v)
    if isinstance(v, TensorShape):
        if v.known is None:
            raise ValueError(f"{name}: cannot use a shape of unknown rank.")
        v = list(v.known)
    if isinstance(v, (list, tuple)) and _has_tensor(v):
        return stack([e if _is_tensorish(e) else _plain(e, unknown, name) for e in v], name=name)
    arr = np.asarray(_plain(v, unknown, name))
    if arr.size == 0:
        arr = arr.astype(np.int32)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers; got {v!r}.")
    big = arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min)
    return constant(arr.astype(np.int64 if big else np.int32), name=name)


def _convert_list(values: list[Any]) -> list[Tensor]:
    """Converts values to Tensors, giving Python/NumPy values the dtype of the first Tensor."""
    dt = next((convert_to_tensor(v).dtype for v in values if _is_tensorish(v)), None)
    return [convert_to_tensor(v) if _has_tensor(v) else convert_to_tensor(v, dtype=dt)
            for v in values]


def _outputs(arrays: list[np.ndarray]) -> Any:
    """A multi-output kernel's result: the plan stores a 1-output op's result as is, so a list
    of one array is returned as that array."""
    return arrays[0] if len(arrays) == 1 else arrays


def _dtype_of(v: Any) -> dtypes.DType:
    """The dtype `v` has (a Tensor) or would get from convert_to_tensor (TF's defaults)."""
    if _is_tensorish(v):
        return convert_to_tensor(v).dtype
    return dtypes.as_dtype(dtypes.infer_numpy(_plain(v, None, "value")).dtype)


def _as_list(out: Any) -> list[Tensor]:
    """apply_op's result for a multi-output op as a list (1 output: a Tensor; 0: an Operation)."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, Operation):
        return []
    return list(out)


def _require_int(self: OpDef, t: Tensor, what: str) -> None:
    if t.dtype is not dtypes.int32 and t.dtype is not dtypes.int64:
        raise self.error(f"{what} must be int32 or int64; got {t.dtype.name}.", cls=TypeError_)


def _require_same_dtype(self: OpDef, ts: Any, what: str = "values") -> None:
    for i, t in enumerate(ts[1:], 1):
        if t.dtype is not ts[0].dtype:
            raise self.error(f"all {what} must have the same dtype; got {what}[0]: "
                             f"{ts[0].dtype.name}, {what}[{i}]: {t.dtype.name}. Use tf.cast.",
                             cls=TypeError_)


def _axis_in(self: OpDef, a: int, r: int, what: str = "axis") -> int:
    """`a` normalized into [0, r), or the op's InvalidArgumentError."""
    if not -r <= a < r:
        raise self.error(f"{what} {a} is out of range for a tensor of rank {r}; expected "
                         f"{what} in [{-r}, {r}).")
    return a % r


def _index_dtype_const(value: Any, like: Tensor) -> Tensor:
    """A constant int vector with the dtype of the int tensor `like` (int32 or int64)."""
    return constant(np.asarray(value, dtype=like.dtype.np), dtype=like.dtype)


# -- shape queries: size, rank -----------------------------------------------------------------
@register_op("Size")
class Size(OpDef):
    """y = the number of elements of x."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        return spec([], self.attrs["out_type"])

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.array(x.size, dtype=self.attrs["out_type"].np)


def size(input: Any, name: str | None = None, out_type: Any = dtypes.int32) -> Tensor:  # noqa: A002
    """The number of elements of `input`, as a scalar int tensor.

    Example:
        >>> sess.run(tf.size(tf.zeros([2, 3])))
        6
    """
    return apply_op(Size, [input], {"out_type": dtypes.as_dtype(out_type)}, name=name)


@register_op("Rank")
class Rank(OpDef):
    """y = the number of dimensions of x (int32 scalar)."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        return spec([], dtypes.int32)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.array(x.ndim, dtype=np.int32)


def rank(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The rank (number of dimensions) of `input`, as a scalar int32 tensor.

    Example:
        >>> sess.run(tf.rank(tf.zeros([2, 3])))
        2
    """
    return apply_op(Rank, [input], name=name)


# -- transpose ---------------------------------------------------------------------------------
@register_op("Transpose")
class Transpose(OpDef):
    """y[i_perm[0], ..., i_perm[n-1]] = x[i_0, ..., i_{n-1}]: y.shape[k] = x.shape[perm[k]]."""

    forwards_input = True

    def infer(self, x: Tensor, perm: Tensor) -> TensorSpec:
        _require_int(self, perm, "perm")
        p = _partial_ints(perm)
        r = x.shape.ndims
        if p is None:
            return spec(TensorShape(None if r is None else [None] * r), x.dtype)
        if r is not None and len(p) != r:
            raise self.error(f"perm must have one entry per dimension of x; got perm {p} for x "
                             f"of shape {x.shape}.")
        if None not in p and sorted(p) != list(_range(len(p))):  # type: ignore[type-var]
            raise self.error(f"perm must be a permutation of [0, ..., {len(p) - 1}]; got {p}.")
        if r is None:
            return spec([None] * len(p), x.dtype)
        dims = x.shape.known
        return spec([None if i is None else dims[i] for i in p], x.dtype)  # type: ignore[index]

    def compute(self, x: np.ndarray, perm: np.ndarray) -> np.ndarray:
        p = [int(i) for i in perm]
        if sorted(p) != list(_range(x.ndim)):
            raise self.error(f"perm must be a permutation of [0, ..., {x.ndim - 1}]; got {p} "
                             f"for x of shape {x.shape}.")
        return np.transpose(x, p)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        perm = op.inputs[1]
        p = static_value(perm)
        inv = (_index_dtype_const(np.argsort(np.asarray(p).reshape(-1)), perm) if p is not None
               else invert_permutation(perm))
        return [transpose(dy, inv), None]


def transpose(a: Any, perm: Any = None, name: str = "transpose", conjugate: bool = False
              ) -> Tensor:
    """Permutes the dimensions of `a`: output dimension k is input dimension perm[k].

    Args:
        a: a Tensor.
        perm: a permutation of [0, ..., rank(a)-1]; default reversed (a matrix transpose for
            rank 2).
        name: node name.
        conjugate: accepted for TF compatibility (real dtypes only have nothing to conjugate).

    Raises:
        InvalidArgumentError: `perm` is not a permutation of a's dimensions.

    Example:
        >>> sess.run(tf.transpose([[1, 2, 3]]))
        array([[1], [2], [3]], dtype=int32)
    """
    with _graph_for(a, perm):
        a = convert_to_tensor(a)
        if perm is None:
            r = a.shape.ndims
            perm = (constant(np.arange(r)[::-1].astype(np.int32), name="perm") if r is not None
                    else range(rank(a) - 1, -1, -1, name="perm"))
        return apply_op(Transpose, [a, _int_operand(perm, "perm")], name=name)


@register_op("InvertPermutation")
class InvertPermutation(OpDef):
    """y[x[i]] = i (the inverse of the permutation x)."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        _require_int(self, x, "x")
        if x.shape.ndims not in (None, 1):
            raise self.error(f"x must be a vector; got shape {x.shape}.")
        return spec(x.shape.with_rank(1), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        if sorted(x.tolist()) != list(_range(n)):
            raise self.error(f"x must be a permutation of [0, ..., {n - 1}]; got {x.tolist()}.")
        y = np.empty_like(x)
        y[x] = np.arange(n, dtype=x.dtype)
        return y


def invert_permutation(x: Any, name: str | None = None) -> Tensor:
    """The inverse permutation of the int vector `x`: y[x[i]] = i."""
    with _graph_for(x):
        return apply_op(InvertPermutation, [_int_operand(x, "x")], name=name)


# -- expand_dims / squeeze ---------------------------------------------------------------------
@register_op("ExpandDims")
class ExpandDims(OpDef):
    """y = x with a dimension of size 1 inserted at `axis`."""

    forwards_input = True

    def infer(self, x: Tensor, axis: Tensor) -> TensorSpec:
        _require_int(self, axis, "axis")
        r = x.shape.ndims
        if r is None:
            return spec(TensorShape(None), x.dtype)
        a = _scalar_int(axis)
        if a is None:
            return spec([None] * (r + 1), x.dtype)
        a = _axis_in(self, a, r + 1)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        return spec(dims[:a] + [1] + dims[a:], x.dtype)

    def compute(self, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        a = int(np.asarray(axis).reshape(-1)[0])
        return np.expand_dims(x, _axis_in(self, a, x.ndim + 1))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reshape(dy, _shape_like(op.inputs[0])), None]


def expand_dims(input: Any, axis: Any = None, name: str | None = None, dim: Any = None  # noqa: A002
                ) -> Tensor:
    """Inserts a dimension of size 1 at `axis` (in [-rank-1, rank]; `dim` is the old name).

    Example:
        >>> tf.expand_dims(tf.zeros([2, 3]), 0).shape    # (1, 2, 3)
        >>> tf.expand_dims(tf.zeros([2, 3]), -1).shape   # (2, 3, 1)
    """
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("expand_dims: axis must be given.")
    with _graph_for(input, axis):
        return apply_op(ExpandDims, [input, _int_operand(axis, "dim")], name=name)


@register_op("Squeeze")
class Squeeze(OpDef):
    """y = x without its size-1 dimensions (only those in `squeeze_dims` when given)."""

    forwards_input = True

    def infer(self, x: Tensor) -> TensorSpec:
        r = x.shape.ndims
        if r is None:
            return spec(TensorShape(None), x.dtype)
        dims = x.shape.known
        axes = self.attrs["squeeze_dims"]
        if not axes:
            if None in dims:  # type: ignore[operator]
                return spec(TensorShape(None), x.dtype)  # unknown which dims are 1
            return spec([d for d in dims if d != 1], x.dtype)  # type: ignore[union-attr]
        norm = {_axis_in(self, a, r) for a in axes}
        for a in sorted(norm):
            if dims[a] is not None and dims[a] != 1:  # type: ignore[index]
                raise self.error(f"can not squeeze dim[{a}], expected a dimension of 1; got "
                                 f"{dims[a]} (x has shape {x.shape}).")  # type: ignore[index]
        return spec([d for i, d in enumerate(dims) if i not in norm], x.dtype)  # type: ignore

    def compute(self, x: np.ndarray) -> np.ndarray:
        axes = self.attrs["squeeze_dims"]
        if not axes:
            return np.squeeze(x)
        norm = tuple(sorted({_axis_in(self, a, x.ndim) for a in axes}))
        for a in norm:
            if x.shape[a] != 1:
                raise self.error(f"can not squeeze dim[{a}], expected a dimension of 1; got "
                                 f"{x.shape[a]} (x has shape {x.shape}).")
        return np.squeeze(x, axis=norm)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reshape(dy, _shape_like(op.inputs[0]))]


def squeeze(input: Any, axis: Any = None, name: str | None = None,  # noqa: A002
            squeeze_dims: Any = None) -> Tensor:
    """Removes dimensions of size 1 (all of them, or those listed in `axis`).

    Raises:
        InvalidArgumentError: a dimension listed in `axis` is not of size 1.

    Example:
        >>> tf.squeeze(tf.zeros([1, 2, 1, 3])).shape            # (2, 3)
        >>> tf.squeeze(tf.zeros([1, 2, 1, 3]), [2]).shape       # (1, 2, 3)
    """
    if axis is None:
        axis = squeeze_dims
    axes = [] if axis is None else [int(a) for a in np.asarray(axis).reshape(-1)]
    return apply_op(Squeeze, [input], {"squeeze_dims": axes}, name=name)


# -- concat / stack / unstack / split -----------------------------------------------------------
@register_op("ConcatV2")
class ConcatV2(OpDef):
    """y = values[0] ++ values[1] ++ ... along `axis` (the last input)."""

    def infer(self, *inputs: Tensor) -> TensorSpec:
        values, axis = inputs[:-1], inputs[-1]
        if not values:
            raise self.error("needs at least one value to concatenate.")
        _require_int(self, axis, "axis")
        _require_same_dtype(self, values)
        known = [(i, v) for i, v in enumerate(values) if v.shape.ndims is not None]
        if not known:
            return spec(TensorShape(None), values[0].dtype)
        i0, v0 = known[0]
        r = v0.shape.ndims
        for i, v in known[1:]:
            if v.shape.ndims != r:
                raise self.error(f"all values must have the same rank; got values[{i0}]: "
                                 f"{v0.shape} (rank {r}), values[{i}]: {v.shape} (rank "
                                 f"{v.shape.ndims}). Use tf.reshape or tf.expand_dims first.")
        a = _scalar_int(axis)
        if a is None:
            return spec([None] * r, values[0].dtype)  # type: ignore[operator]
        if r == 0:
            raise self.error(f"can not concatenate scalars (rank 0); got values[{i0}]: "
                             f"{v0.shape}. Use tf.stack to join scalars into a vector.")
        a = _axis_in(self, a, r)  # type: ignore[arg-type]
        out: list[int | None] = list(v0.shape.known)  # type: ignore[arg-type]
        for i, v in known[1:]:
            for k, d in enumerate(v.shape.known):  # type: ignore[arg-type]
                if k == a:
                    continue
                if out[k] is not None and d is not None and out[k] != d:
                    raise self.error(
                        f"dimension {k} of all values must match (all but the concat axis "
                        f"{a}); got values[{i0}]: {v0.shape}, values[{i}]: {v.shape}.")
                out[k] = out[k] if out[k] is not None else d
        sizes = [v.shape.known[a] if v.shape.ndims is not None else None for v in values]
        out[a] = None if None in sizes else sum(sizes)  # type: ignore[arg-type]
        return spec(out, values[0].dtype)

    def compute(self, *arrays: np.ndarray) -> np.ndarray:
        values, axis = arrays[:-1], int(arrays[-1])
        r = values[0].ndim
        a = _axis_in(self, axis, r) if r else axis
        for i, v in enumerate(values[1:], 1):
            if v.ndim != r or v.shape[:a] + v.shape[a + 1:] != values[0].shape[:a] + \
                    values[0].shape[a + 1:]:
                raise self.error(f"all dimensions but the concat axis {a} must match; got "
                                 f"values[0]: {values[0].shape}, values[{i}]: {v.shape}.")
        return np.concatenate(values, axis=a)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        values, axis = op.inputs[:-1], op.inputs[-1]
        a = _scalar_int(axis)
        r = next((v.shape.ndims for v in values if v.shape.ndims is not None), None)
        if a is None or (a < 0 and r is None):
            raise NotImplementedError("gradient of ConcatV2 needs a static axis (and a known "
                                      "rank for a negative axis)")
        if a < 0:
            a += r  # type: ignore[operator]
        dims = [v.shape.known[a] if v.shape.ndims is not None else None for v in values]
        if None not in dims:
            sizes: Any = constant(np.asarray(dims, np.int32), name="sizes")
        else:
            sizes = stack([d if d is not None else shape(v)[a] for d, v in zip(dims, values)],
                          name="sizes")
        return _as_list(apply_op(SplitV, [dy, sizes, _int_operand(a, "axis")],
                                 {"num_split": len(values)})) + [None]


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """Concatenates tensors along one dimension.

    Also accepts the TF 0.x argument order `concat(concat_dim, values)`.

    Args:
        values: a list of Tensors of the same dtype and rank, equal in all but `axis`.
        axis: the dimension to join along (negative counts from the end).
        name: node name.

    Raises:
        InvalidArgumentError: ranks differ, or other dimensions do not match.

    Example:
        >>> sess.run(tf.concat([[[1, 2]], [[3, 4]]], 0))
        array([[1, 2],
               [3, 4]], dtype=int32)
    """
    if _is_int(values) and isinstance(axis, (list, tuple)):
        values, axis = axis, values  # TF 0.x: concat(concat_dim, values)
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if len(values) == 1:
        from flowzero.ops import control_ops

        return control_ops.identity(values[0], name=name)
    with _graph_for(values, axis):
        return apply_op(ConcatV2, _convert_list(values) + [_int_operand(axis, "axis")],
                        name=name)


@register_op("Pack")
class Pack(OpDef):
    """y = the N values (of equal shape) stacked along a new dimension `axis`."""

    def infer(self, *values: Tensor) -> TensorSpec:
        if not values:
            raise self.error("needs at least one value to stack.")
        _require_same_dtype(self, values)
        s = values[0].shape
        for i, v in enumerate(values[1:], 1):
            if not s.is_compatible_with(v.shape):
                raise self.error(f"all values must have the same shape; got values[0]: "
                                 f"{values[0].shape}, values[{i}]: {v.shape}.")
            s = s.merge_with(v.shape)
        if s.ndims is None:
            return spec(TensorShape(None), values[0].dtype)
        a = _axis_in(self, self.attrs["axis"], s.ndims + 1)
        dims = list(s.known)  # type: ignore[arg-type]
        return spec(dims[:a] + [len(values)] + dims[a:], values[0].dtype)

    def compute(self, *values: np.ndarray) -> np.ndarray:
        for i, v in enumerate(values[1:], 1):
            if v.shape != values[0].shape:
                raise self.error(f"all values must have the same shape; got values[0]: "
                                 f"{values[0].shape}, values[{i}]: {v.shape}.")
        return np.stack(values, axis=_axis_in(self, self.attrs["axis"], values[0].ndim + 1))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return unstack(dy, num=len(op.inputs), axis=self.attrs["axis"])


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """Stacks a list of rank-R tensors into one rank-(R+1) tensor along a new `axis`.

    Python values in the list take the dtype of the Tensors in it.

    Raises:
        InvalidArgumentError: the values' shapes differ, or `axis` is out of range.

    Example:
        >>> sess.run(tf.stack([tf.constant([1, 2]), tf.constant([3, 4])], axis=1))
        array([[1, 3],
               [2, 4]], dtype=int32)
    """
    values = list(values)
    if not values:
        raise ValueError("stack: values must be a non-empty list.")
    if not _has_tensor(values):  # as TF: a list of plain values is one constant
        arr = dtypes.infer_numpy(_plain(values, None, "stack"))
        if not -arr.ndim <= axis < arr.ndim:
            raise ValueError(f"stack: axis {axis} is out of range for {arr.ndim - 1}-D values.")
        return constant(np.moveaxis(arr, 0, axis), name=name)
    with _graph_for(values):
        return apply_op(Pack, _convert_list(values), {"axis": int(axis), "N": len(values)},
                        name=name)


@register_op("Unpack")
class Unpack(OpDef):
    """y_i = value[..., i, ...] (index i along `axis`), for i in 0..num-1."""

    forwards_input = True

    def infer(self, x: Tensor) -> list[TensorSpec]:
        num = self.attrs["num"]
        r = x.shape.ndims
        if r is None:
            return [spec(TensorShape(None), x.dtype)] * num
        a = _axis_in(self, self.attrs["axis"], r)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        if dims[a] is not None and dims[a] != num:
            raise self.error(f"num must equal dimension {a} of value; got num {num}, value "
                             f"shape {x.shape}.")
        return [spec(dims[:a] + dims[a + 1:], x.dtype)] * num

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        a = _axis_in(self, self.attrs["axis"], x.ndim)
        if x.shape[a] != self.attrs["num"]:
            raise self.error(f"num must equal dimension {a} of value; got num "
                             f"{self.attrs['num']}, value shape {x.shape}.")
        return _outputs(list(np.moveaxis(x, a, 0)))

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return [stack(list(dys), axis=self.attrs["axis"])]


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack"
            ) -> list[Tensor]:
    """Splits `value` along `axis` into a list of tensors of one rank less.

    Args:
        value: a Tensor of rank R > 0.
        num: the length of dimension `axis`; inferred from the static shape when None.
        axis: the dimension to unpack along.

    Raises:
        ValueError: `num` is None and the dimension is not known statically.

    Example:
        >>> a, b = tf.unstack(tf.constant([[1, 2], [3, 4]]))   # a = [1, 2], b = [3, 4]
    """
    with _graph_for(value):
        value = convert_to_tensor(value)
        if num is None:
            r = value.shape.ndims
            if r is None or not -r <= axis < r or value.shape.known[axis] is None:  # type: ignore
                raise ValueError(f"unstack: cannot infer num from shape {value.shape} (axis "
                                 f"{axis}); pass num=.")
            num = value.shape.known[axis]  # type: ignore[index]
        return _as_list(apply_op(Unpack, [value], {"num": int(num), "axis": int(axis)},
                                 name=name))


@register_op("Split")
class Split(OpDef):
    """y_i = the i-th of `num_split` equal pieces of value along `axis` (the first input)."""

    forwards_input = True

    def infer(self, axis: Tensor, x: Tensor) -> list[TensorSpec]:
        _require_int(self, axis, "axis")
        n = self.attrs["num_split"]
        r = x.shape.ndims
        if r is None:
            return [spec(TensorShape(None), x.dtype)] * n
        a = _scalar_int(axis)
        if a is None:
            return [spec([None] * r, x.dtype)] * n
        a = _axis_in(self, a, r)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        if dims[a] is not None:
            if dims[a] % n:
                raise self.error(f"num_split {n} must evenly divide dimension {a} of value; "
                                 f"got value shape {x.shape}.")
            dims[a] //= n
        return [spec(dims, x.dtype)] * n

    def compute(self, axis: np.ndarray, x: np.ndarray) -> list[np.ndarray]:
        a = _axis_in(self, int(axis), x.ndim)
        n = self.attrs["num_split"]
        if x.shape[a] % n:
            raise self.error(f"num_split {n} must evenly divide dimension {a} of value; got "
                             f"value shape {x.shape}.")
        return _outputs(np.split(x, n, axis=a))

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return [None, concat(list(dys), op.inputs[0])]


@register_op("SplitV")
class SplitV(OpDef):
    """y_i = value[..., offset_i : offset_i + size_splits[i], ...] along `axis`."""

    forwards_input = True

    def _sizes(self, sizes: list[int | None], d: int | None) -> list[int | None]:
        """size_splits with a -1 resolved where possible; checks them against dimension d."""
        if any(s is not None and s < -1 for s in sizes) or sum(s == -1 for s in sizes) > 1:
            raise self.error(f"size_splits must be >= 0 with at most one -1; got {sizes}.")
        if None in sizes or d is None:
            return [None if s == -1 else s for s in sizes]
        total = sum(s for s in sizes if s != -1)  # type: ignore[misc]
        if -1 in sizes:
            if total > d:
                raise self.error(f"size_splits {sizes} add up to more than the dimension size "
                                 f"{d}.")
            return [d - total if s == -1 else s for s in sizes]
        if total != d:
            raise self.error(f"size_splits must add up to the dimension size; got "
                             f"size_splits {sizes} (sum {total}) for dimension size {d}.")
        return sizes

    def infer(self, x: Tensor, size_splits: Tensor, axis: Tensor) -> list[TensorSpec]:
        _require_int(self, size_splits, "size_splits")
        _require_int(self, axis, "axis")
        n = self.attrs["num_split"]
        sizes = _partial_ints(size_splits)
        if sizes is not None and len(sizes) != n:
            raise self.error(f"size_splits must have num_split = {n} entries; got {sizes}.")
        r = x.shape.ndims
        if r is None:
            return [spec(TensorShape(None), x.dtype)] * n
        a = _scalar_int(axis)
        if a is None:
            return [spec([None] * r, x.dtype)] * n
        a = _axis_in(self, a, r)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        resolved = self._sizes(sizes if sizes is not None else [None] * n, dims[a])
        return [spec(dims[:a] + [s] + dims[a + 1:], x.dtype) for s in resolved]

    def compute(self, x: np.ndarray, size_splits: np.ndarray, axis: np.ndarray
                ) -> list[np.ndarray]:
        a = _axis_in(self, int(axis), x.ndim)
        sizes = self._sizes([int(s) for s in size_splits], x.shape[a])
        return _outputs(np.split(x, np.cumsum(sizes)[:-1], axis=a))

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return [concat(list(dys), op.inputs[2]), None, None]


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: int | None = None,
          name: str = "split") -> list[Tensor]:
    """Splits `value` along `axis` into equal pieces (an int) or pieces of given sizes (a list).

    Also accepts the TF 0.x order `split(split_dim, num_split, value)`.

    Args:
        value: the Tensor to split.
        num_or_size_splits: the number of equal pieces, or a list/1-D Tensor of sizes (one may
            be -1: the rest).
        axis: the dimension to split.
        num: the number of pieces when `num_or_size_splits` is a Tensor of unknown length.

    Raises:
        InvalidArgumentError: the pieces do not add up to the dimension.

    Example:
        >>> a, b = tf.split(tf.zeros([4, 6]), 2, axis=1)          # two (4, 3)
        >>> a, b = tf.split(tf.zeros([4, 6]), [1, -1], axis=1)    # (4, 1) and (4, 5)
    """
    if _is_int(value) and _is_int(num_or_size_splits) and not _is_int(axis):
        value, axis = axis, value  # TF 0.x: split(split_dim, num_split, value)
    with _graph_for(value, num_or_size_splits, axis):
        value = convert_to_tensor(value)
        axis_t = _int_operand(axis, "split_dim")
        n = num_or_size_splits
        if isinstance(n, Tensor) and n.shape.ndims == 0 and static_value(n) is not None:
            n = int(static_value(n))  # type: ignore[arg-type]
        if _is_int(n):
            if n <= 0:
                raise ValueError(f"split: num_or_size_splits must be positive; got {n}.")
            return _as_list(apply_op(Split, [axis_t, value], {"num_split": int(n)}, name=name))
        sizes = _int_operand(n, "size_splits")
        if num is None:
            if sizes.shape.ndims != 1 or sizes.shape.known[0] is None:  # type: ignore[index]
                raise ValueError(f"split: cannot infer num from size_splits of shape "
                                 f"{sizes.shape}; pass num=.")
            num = sizes.shape.known[0]  # type: ignore[index]
        return _as_list(apply_op(SplitV, [value, sizes, axis_t], {"num_split": int(num)},
                                 name=name))


# -- slice / strided_slice / __getitem__ -------------------------------------------------------
@register_op("Slice")
class Slice(OpDef):
    """y = x[begin[0] : begin[0] + size[0], ...] (size[i] = -1: to the end of dimension i)."""

    forwards_input = True

    def _check(self, i: int, b: int | None, s: int | None, d: int | None) -> None:
        if b is not None and b < 0:
            raise self.error(f"begin must be >= 0; got begin[{i}] = {b}.")
        if s is not None and s < -1:
            raise self.error(f"size must be >= -1; got size[{i}] = {s}.")
        if d is not None and b is not None and (b > d or (s is not None and s != -1 and
                                                          b + s > d)):
            raise self.error(f"expected begin[{i}] + size[{i}] <= {d} (dimension {i}); got "
                             f"begin[{i}] = {b}, size[{i}] = {s}.")

    def infer(self, x: Tensor, begin: Tensor, size_: Tensor) -> TensorSpec:
        _require_int(self, begin, "begin")
        _require_int(self, size_, "size")
        b, s = _partial_ints(begin), _partial_ints(size_)
        r = x.shape.ndims
        lengths = {len(v) for v in (b, s) if v is not None} | ({r} if r is not None else set())
        if len(lengths) > 1:
            raise self.error(f"begin and size must have one entry per dimension of x; got "
                             f"begin {b}, size {s} for x of shape {x.shape}.")
        if not lengths:
            return spec(TensorShape(None), x.dtype)
        n = lengths.pop()
        b, s = b or [None] * n, s or [None] * n
        dims = x.shape.known if r is not None else (None,) * n
        out: list[int | None] = []
        for i, (bi, si, d) in enumerate(zip(b, s, dims)):  # type: ignore[arg-type]
            self._check(i, bi, si, d)
            if si == -1:
                out.append(None if d is None or bi is None else d - bi)
            else:
                out.append(si)
        return spec(out, x.dtype)

    def compute(self, x: np.ndarray, begin: np.ndarray, size_: np.ndarray) -> np.ndarray:
        if len(begin) != x.ndim or len(size_) != x.ndim:
            raise self.error(f"begin and size must have one entry per dimension of x; got "
                             f"begin {begin.tolist()}, size {size_.tolist()} for x of shape "
                             f"{x.shape}.")
        idx = []
        for i, (b, s, d) in enumerate(zip(begin.tolist(), size_.tolist(), x.shape)):
            self._check(i, b, s, d)
            idx.append(_slice(b, d if s == -1 else b + s))
        return x[tuple(idx)]

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, begin = op.inputs[0], op.inputs[1]
        bv = static_value(begin)
        if bv is not None and x.shape.is_fully_defined() and dy.shape.is_fully_defined():
            b = np.asarray(bv).reshape(-1)
            after = np.asarray(x.shape.as_list()) - np.asarray(dy.shape.as_list()) - b
            paddings: Any = constant(np.stack([b, after], axis=1).astype(np.int32),
                                     name="paddings")
        else:
            before = begin
            after_t = shape(x, out_type=begin.dtype) - shape(dy, out_type=begin.dtype) - before
            paddings = stack([before, after_t], axis=1, name="paddings")
        return [pad(dy, paddings), None, None]


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """Extracts the block of `size` starting at `begin` (size -1: to the end).

    Raises:
        InvalidArgumentError: begin < 0 or begin + size beyond a dimension.

    Example:
        >>> sess.run(tf.slice([[1, 2, 3], [4, 5, 6]], [1, 0], [1, 2]))
        array([[4, 5]], dtype=int32)
    """
    with _graph_for(input_, begin, size):
        return apply_op(Slice, [input_, _int_operand(begin, "begin"),
                                _int_operand(size, "size")], name=name)


_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _strided_index(begin: Any, end: Any, strides: Any, attrs: dict[str, Any]) -> tuple:
    """The NumPy index equal to a TF strided-slice spec (values as ints)."""
    idx: list[Any] = []
    for i in _range(len(begin)):
        bit = 1 << i
        if attrs["ellipsis_mask"] & bit:
            idx.append(Ellipsis)
        elif attrs["new_axis_mask"] & bit:
            idx.append(None)
        elif attrs["shrink_axis_mask"] & bit:
            idx.append(int(begin[i]))
        else:
            if int(strides[i]) == 0:
                raise ValueError(f"strides[{i}] must be non-zero")
            idx.append(_slice(None if attrs["begin_mask"] & bit else int(begin[i]),
                              None if attrs["end_mask"] & bit else int(end[i]),
                              int(strides[i])))
    return tuple(idx)


def _strided_shape(self: OpDef, x: TensorShape, b: list[int | None], e: list[int | None],
                   s: list[int | None]) -> TensorShape:
    """Static output shape of a strided slice; None entries (and unknown dims) give None."""
    at = self.attrs
    n = len(b)
    has = [[bool(at[m] >> i & 1) for i in _range(n)] for m in _MASKS]
    bm, em, ell, new, shrink = has
    if sum(ell) > 1:
        raise self.error(f"only one ellipsis may appear in a slice spec; got ellipsis_mask "
                         f"{at['ellipsis_mask']}.")
    for i in _range(n):
        if not ell[i] and not new[i] and not shrink[i] and s[i] == 0:
            raise self.error(f"strides must be non-zero; got strides[{i}] = 0.")
    if x.ndims is None:
        return TensorShape(None)
    r = x.ndims
    dims = list(x.known)  # type: ignore[arg-type]
    consumed = sum(1 for i in _range(n) if not ell[i] and not new[i])
    if consumed > r:
        raise self.error(f"the slice spec indexes {consumed} dimensions but the input has shape "
                         f"{x} (rank {r}).")
    out: list[int | None] = []
    k = 0  # the input dimension the next spec entry consumes
    for i in _range(n):
        if ell[i]:
            m = r - consumed
            out.extend(dims[k:k + m])
            k += m
        elif new[i]:
            out.append(1)
        elif shrink[i]:
            d, bi = dims[k], b[i]
            if d is not None and bi is not None and not -d <= bi < d:
                raise self.error(f"index {bi} is out of bounds for dimension {k} of size {d} "
                                 f"(input shape {x}).")
            k += 1
        else:
            d = dims[k]
            lo = None if bm[i] else b[i]
            hi = None if em[i] else e[i]
            if d is None or s[i] is None or (lo is None and not bm[i]) or \
                    (hi is None and not em[i]):
                out.append(None)
            else:
                out.append(len(_range(*_slice(lo, hi, s[i]).indices(d))))
            k += 1
    out.extend(dims[k:])
    return TensorShape(out)


@register_op("StridedSlice")
class StridedSlice(OpDef):
    """y = x[begin:end:strides] per dimension, with TF's begin/end/ellipsis/new-axis/shrink
    masks (the NumPy basic-indexing semantics of `x[...]`)."""

    forwards_input = True

    def infer(self, x: Tensor, begin: Tensor, end: Tensor, strides: Tensor) -> TensorSpec:
        for t, nm in ((begin, "begin"), (end, "end"), (strides, "strides")):
            _require_int(self, t, nm)
        parts = [_partial_ints(t) for t in (begin, end, strides)]
        if any(p is None for p in parts):
            return spec(TensorShape(None), x.dtype)
        if len({len(p) for p in parts}) != 1:  # type: ignore[arg-type]
            raise self.error(f"begin, end and strides must have the same length; got "
                             f"{parts[0]}, {parts[1]}, {parts[2]}.")
        return spec(_strided_shape(self, x.shape, *parts), x.dtype)  # type: ignore[arg-type]

    def compute(self, x: np.ndarray, begin: np.ndarray, end: np.ndarray, strides: np.ndarray
                ) -> np.ndarray:
        try:
            y = x[_strided_index(begin, end, strides, self.attrs)]
        except IndexError as exc:
            raise self.error(f"slice out of range for input of shape {x.shape}: {exc}; got "
                             f"begin {begin.tolist()}, end {end.tolist()}, strides "
                             f"{strides.tolist()}.") from None
        return y if isinstance(y, np.ndarray) else np.asarray(y, dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, begin, end, strides = op.inputs
        sx = _shape_like(x) if begin.dtype is dtypes.int32 else shape(x, out_type=begin.dtype)
        return [apply_op(StridedSliceGrad, [sx, begin, end, strides, dy], dict(self.attrs)),
                None, None, None]


@register_op("StridedSliceGrad")
class StridedSliceGrad(OpDef):
    """y = zeros(shape) with y[begin:end:strides] = dy (the adjoint of StridedSlice)."""

    def infer(self, shape_: Tensor, begin: Tensor, end: Tensor, strides: Tensor, dy: Tensor
              ) -> TensorSpec:
        return spec(_static_shape_value(shape_), dy.dtype)

    def compute(self, shape_: np.ndarray, begin: np.ndarray, end: np.ndarray,
                strides: np.ndarray, dy: np.ndarray) -> np.ndarray:
        out = np.zeros(tuple(int(d) for d in shape_), dtype=dy.dtype)
        out[_strided_index(begin, end, strides, self.attrs)] = dy
        return out

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        _, begin, end, strides, _ = op.inputs
        return [None, None, None, None,
                strided_slice(ddx, begin, end, strides, **{m: self.attrs[m] for m in _MASKS})]


def strided_slice(input_: Any, begin: Any, end: Any, strides: Any = None, begin_mask: int = 0,
                  end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
                  shrink_axis_mask: int = 0, var: Any = None, name: str | None = None
                  ) -> Tensor:
    """`input_[begin:end:strides]` with TF's mask arguments (bit i refers to spec entry i).

    Args:
        begin, end, strides: 1-D int lists/Tensors of equal length (strides default 1).
        begin_mask / end_mask: bit i set = ignore begin[i] / end[i] (slice from the start / to
            the end, as an omitted Python slice bound).
        ellipsis_mask: bit i set = entry i is `...`.
        new_axis_mask: bit i set = entry i inserts a dimension of size 1 (`tf.newaxis`).
        shrink_axis_mask: bit i set = entry i is the single index begin[i] (dimension removed).

    Example:
        >>> x[1:3, ..., ::-1] == tf.strided_slice(x, [1, 0, 0], [3, 0, 0], [1, 1, -1],
        ...                                       ellipsis_mask=2, end_mask=4)
    """
    with _graph_for(input_, begin, end, strides):
        b = _int_operand(begin, "begin")
        e = _int_operand(end, "end")
        s = _int_operand(strides, "strides") if strides is not None else \
            ones_like(b, name="strides")
        attrs = {"begin_mask": int(begin_mask), "end_mask": int(end_mask),
                 "ellipsis_mask": int(ellipsis_mask), "new_axis_mask": int(new_axis_mask),
                 "shrink_axis_mask": int(shrink_axis_mask)}
        return apply_op(StridedSlice, [input_, b, e, s], attrs, name=name)


newaxis = None


def _index_part(v: Any, name: str) -> Any:
    """A slice bound / index: a Python int or a scalar int Tensor."""
    if _is_int(v):
        return int(v)
    if _is_tensorish(v):
        t = convert_to_tensor(v)
        if t.dtype in (dtypes.int32, dtypes.int64) and t.shape.ndims in (None, 0):
            return t
    raise TypeError(
        "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
        f"tf.int32/tf.int64 tensors are valid indices; got {v!r} as {name}.")


def _pack_index(values: list[Any], name: str) -> Tensor:
    if not any(isinstance(v, Tensor) for v in values):
        return _int_operand(values, name)
    return stack(values, name=name)


def _getitem(tensor: Any, key: Any) -> Tensor:
    """`tensor[key]`: NumPy basic indexing (ints, slices incl. negative steps, `...`,
    tf.newaxis, scalar int Tensors) as one StridedSlice."""
    if not isinstance(key, tuple):
        key = (key,)
    begin: list[Any] = []
    end: list[Any] = []
    strides: list[Any] = []
    masks = dict.fromkeys(_MASKS, 0)
    with _graph_for(tensor, *[k for k in key if _is_tensorish(k)]):
        for i, k in enumerate(key):
            bit = 1 << i
            if isinstance(k, _slice):
                lo, hi, st = (None if v is None else _index_part(v, "a slice bound")
                              for v in (k.start, k.stop, k.step))
                if lo is None:
                    masks["begin_mask"] |= bit
                if hi is None:
                    masks["end_mask"] |= bit
                if isinstance(st, int) and st == 0:
                    raise ValueError("slice step cannot be zero")
                begin.append(0 if lo is None else lo)
                end.append(0 if hi is None else hi)
                strides.append(1 if st is None else st)
            elif k is Ellipsis or k is None:
                masks["ellipsis_mask" if k is Ellipsis else "new_axis_mask"] |= bit
                begin.append(0)
                end.append(0)
                strides.append(1)
            else:
                ix = _index_part(k, "an index")
                masks["shrink_axis_mask"] |= bit
                begin.append(ix)
                end.append(ix + 1 if isinstance(ix, int) else ix)  # end is unused for shrink
                strides.append(1)
        return strided_slice(tensor, _pack_index(begin, "stack"), _pack_index(end, "stack_1"),
                             _pack_index(strides, "stack_2"), name="strided_slice", **masks)


Tensor.__getitem__ = _getitem  # type: ignore[attr-defined]


# -- gather / scatter --------------------------------------------------------------------------
def _check_indices(self: OpDef, idx: np.ndarray, n: int, what: str = "indices") -> None:
    """TF's error for an out-of-range index: `indices[i] = v is not in [0, n)`."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        pos = np.argwhere((idx < 0) | (idx >= n))[0]
        at = ",".join(str(int(p)) for p in pos)
        raise self.error(f"{what}[{at}] = {int(idx[tuple(pos)])} is not in [0, {n}).")


@register_op("GatherV2")
class GatherV2(OpDef):
    """y[p..., i..., q...] = params[p..., indices[i...], q...] (indexing along `axis`)."""

    def infer(self, params: Tensor, indices: Tensor, axis: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        _require_int(self, axis, "axis")
        r, ir = params.shape.ndims, indices.shape.ndims
        if r == 0:
            raise self.error("params must be at least rank 1; got a scalar.")
        a = _scalar_int(axis)
        if r is None or ir is None:
            return spec(TensorShape(None), params.dtype)
        if a is None:
            return spec([None] * (r + ir - 1), params.dtype)
        a = _axis_in(self, a, r)
        p = list(params.shape.known)  # type: ignore[arg-type]
        return spec(p[:a] + list(indices.shape.known) + p[a + 1:], params.dtype)  # type: ignore

    def compute(self, params: np.ndarray, indices: np.ndarray, axis: np.ndarray) -> np.ndarray:
        a = _axis_in(self, int(axis), params.ndim)
        _check_indices(self, indices, params.shape[a])
        return np.asarray(np.take(params, indices, axis=a))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        params, indices, axis = op.inputs
        a = _scalar_int(axis)
        if a is None:
            raise NotImplementedError("gradient of GatherV2 needs a static axis")
        return [_gather_grad(dy, indices, _shape_like(params), a), None, None]


@register_op("GatherGrad")
class GatherGrad(OpDef):
    """y = zeros(shape) with y[..., indices[i], ...] += dy[..., i, ...] along `axis` (the
    adjoint of GatherV2: repeated indices accumulate)."""

    def infer(self, dy: Tensor, indices: Tensor, shape_: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        return spec(_static_shape_value(shape_), dy.dtype)

    def compute(self, dy: np.ndarray, indices: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        out = np.zeros(tuple(int(d) for d in shape_), dtype=dy.dtype)
        a = self.attrs["axis"] % out.ndim
        idx = indices.reshape(-1)
        d = dy.reshape(out.shape[:a] + (idx.size,) + out.shape[a + 1:])
        np.add.at(np.moveaxis(out, a, 0), idx, np.moveaxis(d, a, 0))
        return out

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [gather(ddx, op.inputs[1], axis=self.attrs["axis"]), None, None]


def _gather_grad(dy: Any, indices: Any, shape_: Any, axis: int) -> Tensor:
    return apply_op(GatherGrad, [dy, indices, _int_operand(shape_, "shape")], {"axis": int(axis)})


def gather(params: Any, indices: Any, validate_indices: Any = None, name: str | None = None,
           axis: Any = 0) -> Tensor:
    """Gathers slices of `params` along `axis` at `indices`.

    The output shape is params.shape[:axis] + indices.shape + params.shape[axis+1:].

    Raises:
        InvalidArgumentError: at run time, an index outside [0, params.shape[axis]) (the
            message names the op and the offending index).

    Example:
        >>> sess.run(tf.gather([10, 20, 30], [2, 0, 2]))
        array([30, 10, 30], dtype=int32)
    """
    with _graph_for(params, indices, axis):
        return apply_op(GatherV2, [params, _int_operand(indices, "indices"),
                                   _int_operand(axis, "axis")], name=name)


@register_op("GatherNd")
class GatherNd(OpDef):
    """y[i...] = params[indices[i..., 0], ..., indices[i..., K-1], ...]."""

    def infer(self, params: Tensor, indices: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        r, ish = params.shape.ndims, indices.shape
        if ish.ndims == 0:
            raise self.error("indices must be at least rank 1; got a scalar.")
        if r is None or ish.ndims is None or ish.known[-1] is None:  # type: ignore[index]
            return spec(TensorShape(None), params.dtype)
        k = ish.known[-1]  # type: ignore[index]
        if k > r:
            raise self.error(f"index depth {k} (indices.shape[-1]) must be <= rank of params "
                             f"{r}; got params: {params.shape}, indices: {ish}.")
        return spec(list(ish.known[:-1]) + list(params.shape.known[k:]),  # type: ignore
                    params.dtype)

    def compute(self, params: np.ndarray, indices: np.ndarray) -> np.ndarray:
        k = indices.shape[-1]
        if k > params.ndim:
            raise self.error(f"index depth {k} must be <= rank of params {params.ndim}.")
        for j in _range(k):
            _check_indices(self, indices[..., j], params.shape[j], f"indices[..., {j}]")
        if k == 0:
            return np.array(np.broadcast_to(params, indices.shape[:-1] + params.shape))
        return np.asarray(params[tuple(indices[..., j] for j in _range(k))])

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        params, indices = op.inputs
        sx = _shape_like(params) if indices.dtype is dtypes.int32 else \
            shape(params, out_type=indices.dtype)
        return [scatter_nd(indices, dy, sx), None]


def gather_nd(params: Any, indices: Any, name: str | None = None) -> Tensor:
    """Gathers slices of `params` addressed by the last dimension of `indices`.

    Example:
        >>> sess.run(tf.gather_nd([[1, 2], [3, 4]], [[0, 1], [1, 0]]))
        array([2, 3], dtype=int32)
    """
    with _graph_for(params, indices):
        return apply_op(GatherNd, [params, _int_operand(indices, "indices")], name=name)


@register_op("ScatterNd")
class ScatterNd(OpDef):
    """y = zeros(shape) with y[indices[i..., :]] += updates[i...] (duplicates accumulate)."""

    def infer(self, indices: Tensor, updates: Tensor, shape_: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        _require_int(self, shape_, "shape")
        return spec(_static_shape_value(shape_), updates.dtype)

    def compute(self, indices: np.ndarray, updates: np.ndarray, shape_: np.ndarray
                ) -> np.ndarray:
        out = np.zeros(tuple(int(d) for d in shape_), dtype=updates.dtype)
        k = indices.shape[-1]
        want = indices.shape[:-1] + out.shape[k:]
        if updates.shape != want:
            raise self.error(f"updates must have shape indices.shape[:-1] + shape[{k}:] = "
                             f"{want}; got {updates.shape}.")
        for j in _range(k):
            _check_indices(self, indices[..., j], out.shape[j], f"indices[..., {j}]")
        if k == 0:
            out += updates.reshape((-1,) + out.shape).sum(axis=0, dtype=out.dtype)
        else:
            np.add.at(out, tuple(indices[..., j] for j in _range(k)), updates)
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [None, gather_nd(dy, op.inputs[0]), None]


def scatter_nd(indices: Any, updates: Any, shape: Any, name: str | None = None  # noqa: A002
               ) -> Tensor:
    """A tensor of `shape`, zero except for `updates` added at `indices` (duplicates sum).

    Example:
        >>> sess.run(tf.scatter_nd([[1], [3]], [9., 10.], [5]))
        array([ 0.,  9.,  0., 10.,  0.], dtype=float32)
    """
    with _graph_for(indices, updates, shape):
        idx = _int_operand(indices, "indices")
        sh = _int_operand(shape, "shape")
        return apply_op(ScatterNd, [idx, updates, sh], name=name)


# -- one_hot -----------------------------------------------------------------------------------
@register_op("OneHot")
class OneHot(OpDef):
    """y[..., j, ...] = on_value if indices[...] == j else off_value, j in [0, depth), with the
    new dimension at `axis` (-1: last)."""

    differentiable = False  # as TF: NotDifferentiable("OneHot")

    def infer(self, indices: Tensor, depth: Tensor, on: Tensor, off: Tensor) -> TensorSpec:
        if indices.dtype.np.kind not in "iu":
            raise self.error(f"indices must be integers; got {indices.dtype.name}.",
                             cls=TypeError_)
        _require_int(self, depth, "depth")
        if on.dtype is not off.dtype:
            raise self.error(f"on_value and off_value must have the same dtype; got "
                             f"{on.dtype.name} and {off.dtype.name}.", cls=TypeError_)
        for t, nm in ((depth, "depth"), (on, "on_value"), (off, "off_value")):
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        d = _scalar_int(depth)
        if d is not None and d < 0:
            raise self.error(f"depth must be non-negative; got {d}.")
        r = indices.shape.ndims
        if r is None:
            return spec(TensorShape(None), on.dtype)
        a = self.attrs["axis"]
        if not -1 <= a <= r:
            raise self.error(f"axis must be -1 or in [0, {r}] for indices of rank {r}; got "
                             f"{a}.")
        dims = list(indices.shape.known)  # type: ignore[arg-type]
        a = r if a == -1 else a
        return spec(dims[:a] + [d] + dims[a:], on.dtype)

    def compute(self, indices: np.ndarray, depth: np.ndarray, on: np.ndarray, off: np.ndarray
                ) -> np.ndarray:
        d = int(depth)
        if d < 0:
            raise self.error(f"depth must be non-negative; got {d}.")
        hot = indices[..., None] == np.arange(d)  # out-of-range indices match nothing
        out = np.where(hot, on, off).astype(on.dtype, copy=False)
        a = self.attrs["axis"]
        return out if a in (-1, indices.ndim) else np.moveaxis(out, -1, a)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None,
            axis: int | None = None, dtype: Any = None, name: str | None = None) -> Tensor:
    """One-hot encoding of integer `indices` with `depth` classes.

    Args:
        indices: int Tensor; entries outside [0, depth) give an all-`off_value` row.
        depth: number of classes.
        on_value / off_value: values at / off the hot position (default 1 / 0).
        axis: where the new dimension goes (default -1, the last).
        dtype: output dtype; default the dtype of on/off_value if given, else float32.

    Example:
        >>> sess.run(tf.one_hot([0, 2], 3))
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    with _graph_for(indices, depth, on_value, off_value):
        if dtype is not None:
            dt: Any = dtypes.as_dtype(dtype)
        else:  # a Tensor's dtype first, then a Python value's (TF's defaults), else float32
            given = sorted((v for v in (on_value, off_value) if v is not None),
                           key=lambda v: not _is_tensorish(v))
            dt = _dtype_of(given[0]) if given else dtypes.float32
        on = convert_to_tensor(1 if on_value is None else on_value,
                               dtype=None if _is_tensorish(on_value) else dt)
        off = convert_to_tensor(0 if off_value is None else off_value,
                                dtype=None if _is_tensorish(off_value) else dt)
        return apply_op(OneHot, [indices, _int_operand(depth, "depth"), on, off],
                        {"axis": -1 if axis is None else int(axis)}, name=name or "one_hot")


# -- tile / pad / reverse ----------------------------------------------------------------------
@register_op("Tile")
class Tile(OpDef):
    """y = x repeated multiples[i] times along each dimension i."""

    def infer(self, x: Tensor, multiples: Tensor) -> TensorSpec:
        _require_int(self, multiples, "multiples")
        m = _partial_ints(multiples)
        r = x.shape.ndims
        if m is not None and r is not None and len(m) != r:
            raise self.error(f"multiples must have one entry per dimension of x; got "
                             f"multiples {m} for x of shape {x.shape}.")
        if m is not None and any(v is not None and v < 0 for v in m):
            raise self.error(f"multiples must be non-negative; got {m}.")
        if r is None and m is None:
            return spec(TensorShape(None), x.dtype)
        n = r if r is not None else len(m)  # type: ignore[arg-type]
        dims = x.shape.known if r is not None else (None,) * n
        m = m if m is not None else [None] * n
        return spec([None if d is None or k is None else d * k for d, k in zip(dims, m)],
                    x.dtype)  # type: ignore[arg-type]

    def compute(self, x: np.ndarray, multiples: np.ndarray) -> np.ndarray:
        if len(multiples) != x.ndim or (multiples.size and multiples.min() < 0):
            raise self.error(f"multiples must be non-negative with one entry per dimension of "
                             f"x; got multiples {multiples.tolist()} for x of shape {x.shape}.")
        return np.tile(x, tuple(int(m) for m in multiples)) if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops import reduction_ops

        x, multiples = op.inputs
        r = x.shape.ndims
        if r is None:
            m = _partial_ints(multiples)
            if m is None:
                raise NotImplementedError("gradient of Tile needs the input's rank (or the "
                                          "length of multiples)")
            r = len(m)
        if r == 0:
            return [dy, None]
        mv = static_value(multiples)
        if mv is not None and x.shape.is_fully_defined():
            split: Any = constant(np.stack([np.asarray(mv).reshape(-1),
                                            np.asarray(x.shape.as_list())], 1).reshape(-1)
                                  .astype(np.int32), name="split_shape")
        else:  # [m0, d0, m1, d1, ...]
            split = reshape(transpose(stack([multiples, shape(x, out_type=multiples.dtype)])),
                            [-1], name="split_shape")
        return [reduction_ops.reduce_sum(reshape(dy, split), axis=list(_range(0, 2 * r, 2))),
                None]


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Repeats `input` multiples[i] times along dimension i.

    Example:
        >>> sess.run(tf.tile([[1, 2]], [2, 2]))
        array([[1, 2, 1, 2],
               [1, 2, 1, 2]], dtype=int32)
    """
    with _graph_for(input, multiples):
        return apply_op(Tile, [input, _int_operand(multiples, "multiples")], name=name)


class _PadBase(OpDef):
    """Shared shape rule: y.shape[i] = x.shape[i] + paddings[i, 0] + paddings[i, 1]."""

    # how far each side may reach: None = any (constant), 1 = dim-1 (REFLECT), 0 = dim
    def _limit(self) -> int | None:
        return None

    def _check(self, i: int, a: int | None, b: int | None, d: int | None) -> None:
        for v in (a, b):
            if v is not None and v < 0:
                raise self.error(f"paddings must be non-negative; got paddings[{i}] = "
                                 f"[{a}, {b}].")
        lim = self._limit()
        if lim is not None and d is not None:
            for v in (a, b):
                if v is not None and v > d - lim:
                    raise self.error(f"paddings must be at most {d - lim} (dimension {i} of "
                                     f"size {d} in {self.attrs['mode']} mode); got "
                                     f"paddings[{i}] = [{a}, {b}].")

    def infer(self, x: Tensor, paddings: Tensor, *rest: Tensor) -> TensorSpec:
        _require_int(self, paddings, "paddings")
        ps = paddings.shape
        if ps.ndims is not None and (ps.ndims != 2 or ps.known[1] not in (None, 2) or (  # type: ignore
                x.shape.ndims is not None and ps.known[0] not in (None, x.shape.ndims))):  # type: ignore
            raise self.error(f"paddings must have shape [rank(x), 2] = [{x.shape.ndims}, 2]; "
                             f"got {ps}.")
        for t in rest:
            if t.dtype is not x.dtype:
                raise self.error(f"constant_values must have x's dtype {x.dtype.name}; got "
                                 f"{t.dtype.name}.", cls=TypeError_)
            if t.shape.ndims not in (None, 0):
                raise self.error(f"constant_values must be a scalar; got shape {t.shape}.")
        p = _partial_ints(paddings)
        r = x.shape.ndims
        if r is None:
            if p is None or ps.ndims is None:
                return spec(TensorShape(None), x.dtype)
            r = len(p) // 2
        p = p if p is not None and len(p) == 2 * r else [None] * (2 * r)
        dims = x.shape.known if x.shape.ndims is not None else (None,) * r
        out = []
        for i, d in enumerate(dims):  # type: ignore[arg-type]
            a, b = p[2 * i], p[2 * i + 1]
            self._check(i, a, b, d)
            out.append(None if d is None or a is None or b is None else d + a + b)
        return spec(out, x.dtype)

    def _pads(self, x: np.ndarray, paddings: np.ndarray) -> list[tuple[int, int]]:
        if paddings.shape != (x.ndim, 2):
            raise self.error(f"paddings must have shape [rank(x), 2] = [{x.ndim}, 2]; got "
                             f"{list(paddings.shape)}.")
        pads = [(int(a), int(b)) for a, b in paddings]
        for i, ((a, b), d) in enumerate(zip(pads, x.shape)):
            self._check(i, a, b, d)
        return pads


def _pad_grad(x: Tensor, paddings: Tensor, dy: Tensor) -> Tensor:
    """dy with the padding cut off: slice(dy, paddings[:, 0], shape(x))."""
    pv = static_value(paddings)
    if pv is not None:
        begin: Any = constant(np.asarray(pv)[:, 0].astype(np.int32), name="begin")
        return slice(dy, begin, _shape_like(x))
    begin = reshape(slice(paddings, _index_dtype_const([0, 0], paddings),
                          _index_dtype_const([-1, 1], paddings)), [-1], name="begin")
    return slice(dy, begin, shape(x, out_type=paddings.dtype))


@register_op("Pad")
class Pad(_PadBase):
    """y = x with paddings[i, 0] zeros before and paddings[i, 1] after, in each dimension i."""

    def compute(self, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
        pads = self._pads(x, paddings)
        return np.pad(x, pads, mode="constant") if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_pad_grad(op.inputs[0], op.inputs[1], dy), None]


@register_op("PadV2")
class PadV2(_PadBase):
    """y = x padded with `constant_values` (paddings[i, 0] before, paddings[i, 1] after)."""

    def compute(self, x: np.ndarray, paddings: np.ndarray, cv: np.ndarray) -> np.ndarray:
        pads = self._pads(x, paddings)
        return np.pad(x, pads, mode="constant", constant_values=cv) if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops import reduction_ops

        dx = _pad_grad(op.inputs[0], op.inputs[1], dy)
        # NOTE: TF gives constant_values no gradient; the exact one costs two sums.
        dcv = reduction_ops.reduce_sum(dy) - reduction_ops.reduce_sum(dx)
        return [dx, None, dcv]


_MIRROR = {"REFLECT": ("reflect", 1), "SYMMETRIC": ("symmetric", 0)}


@register_op("MirrorPad")
class MirrorPad(_PadBase):
    """y = x padded with its own mirror image: REFLECT excludes the edge, SYMMETRIC repeats it."""

    def _limit(self) -> int | None:
        return _MIRROR[self.attrs["mode"]][1]

    def compute(self, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
        pads = self._pads(x, paddings)
        return np.pad(x, pads, mode=_MIRROR[self.attrs["mode"]][0]) if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(MirrorPadGrad, [dy, op.inputs[1]], {"mode": self.attrs["mode"]}), None]


@register_op("MirrorPadGrad")
class MirrorPadGrad(OpDef):
    """y = dy folded back onto the unpadded region: each mirrored entry adds to its source."""

    def infer(self, dy: Tensor, paddings: Tensor) -> TensorSpec:
        _require_int(self, paddings, "paddings")
        r = dy.shape.ndims
        p = _partial_ints(paddings)
        if r is None:
            return spec(TensorShape(None), dy.dtype)
        p = p if p is not None and len(p) == 2 * r else [None] * (2 * r)
        dims = dy.shape.known
        return spec([None if d is None or p[2 * i] is None or p[2 * i + 1] is None
                     else d - p[2 * i] - p[2 * i + 1]  # type: ignore[operator]
                     for i, d in enumerate(dims)], dy.dtype)  # type: ignore[arg-type]

    def compute(self, dy: np.ndarray, paddings: np.ndarray) -> np.ndarray:
        mode = _MIRROR[self.attrs["mode"]][0]
        g = dy
        for ax, (a, b) in enumerate(paddings.tolist()):
            if a == 0 and b == 0:
                continue
            n = g.shape[ax] - a - b
            src = np.pad(np.arange(n), (a, b), mode=mode)  # padded position -> source index
            out = np.zeros(g.shape[:ax] + (n,) + g.shape[ax + 1:], dtype=dy.dtype)
            np.add.at(np.moveaxis(out, ax, 0), src, np.moveaxis(g, ax, 0))
            g = out
        return g if g is not dy else np.array(dy)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [pad(ddx, op.inputs[1], mode=self.attrs["mode"]), None]


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str | None = None,
        constant_values: Any = 0) -> Tensor:
    """Pads `tensor`: paddings[i] = [before, after] entries added to dimension i.

    Args:
        tensor: the Tensor to pad.
        paddings: int [rank, 2] list/Tensor.
        mode: "CONSTANT" (fill with `constant_values`), "REFLECT" (mirror, edge excluded;
            padding <= dim - 1) or "SYMMETRIC" (mirror, edge included; padding <= dim).
        constant_values: the fill value in CONSTANT mode.

    Raises:
        InvalidArgumentError: negative paddings, paddings not [rank, 2], or a mirror padding
            larger than the mode allows.
        ValueError: an unknown mode.

    Example:
        >>> sess.run(tf.pad([[1, 2]], [[1, 0], [0, 1]]))
        array([[0, 0, 0],
               [1, 2, 0]], dtype=int32)
    """
    m = str(mode).upper()
    with _graph_for(tensor, paddings, constant_values):
        x = convert_to_tensor(tensor)
        p = _int_operand(paddings, "paddings")
        if m == "CONSTANT":
            if not _is_tensorish(constant_values) and np.all(np.asarray(constant_values) == 0):
                return apply_op(Pad, [x, p], name=name)
            cv = convert_to_tensor(constant_values, dtype=None if _is_tensorish(
                constant_values) else x.dtype)
            return apply_op(PadV2, [x, p, cv], name=name)
        if m in _MIRROR:
            return apply_op(MirrorPad, [x, p], {"mode": m}, name=name)
    raise ValueError(f"pad: unknown padding mode {mode!r}; expected CONSTANT, REFLECT or "
                     "SYMMETRIC.")


@register_op("ReverseV2")
class ReverseV2(OpDef):
    """y = x with the order of entries reversed along each dimension in `axis`."""

    forwards_input = True

    def infer(self, x: Tensor, axis: Tensor) -> TensorSpec:
        _require_int(self, axis, "axis")
        if axis.shape.ndims not in (None, 1):
            raise self.error(f"axis must be a vector; got shape {axis.shape}.")
        a = _partial_ints(axis)
        r = x.shape.ndims
        if a is not None and r is not None and None not in a:
            norm = [_axis_in(self, i, r) for i in a]  # type: ignore[arg-type]
            if len(set(norm)) != len(norm):
                raise self.error(f"axis must not repeat a dimension; got {a}.")
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        norm = tuple(_axis_in(self, int(i), x.ndim) for i in axis)
        if len(set(norm)) != len(norm):
            raise self.error(f"axis must not repeat a dimension; got {axis.tolist()}.")
        return np.flip(x, axis=norm)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reverse(dy, op.inputs[1]), None]


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """Reverses `tensor` along each dimension in `axis` (a list of ints; TF 1.x semantics).

    Example:
        >>> sess.run(tf.reverse([[1, 2, 3]], [1]))
        array([[3, 2, 1]], dtype=int32)
    """
    with _graph_for(tensor, axis):
        a = axis if _is_tensorish(axis) else list(np.asarray(axis).reshape(-1))
        return apply_op(ReverseV2, [tensor, _int_operand(a, "axis")], name=name)


reverse_v2 = reverse


# -- where / select ----------------------------------------------------------------------------
@register_op("Select")
class Select(OpDef):
    """y = x where condition else y (condition: same shape as x, a scalar, or a vector
    selecting whole rows of x)."""

    def _cond_ok(self, c: TensorShape, s: TensorShape) -> bool:
        if c.ndims is None or s.ndims is None or c.ndims == 0:
            return True
        if c.ndims == 1 and s.ndims > 1:
            return c.is_compatible_with(s[:1])
        return c.is_compatible_with(s)

    def infer(self, cond: Tensor, x: Tensor, y: Tensor) -> TensorSpec:
        if cond.dtype is not dtypes.bool:
            raise self.error(f"condition must be bool; got {cond.dtype.name}.", cls=TypeError_)
        if x.dtype is not y.dtype:
            raise self.error(f"x and y must have the same dtype; got x: {x.dtype.name}, y: "
                             f"{y.dtype.name}. Use tf.cast.", cls=TypeError_)
        if not x.shape.is_compatible_with(y.shape):
            raise self.error(f"x and y must have the same shape (no broadcasting in TF1 "
                             f"tf.where); got x: {x.shape}, y: {y.shape}.")
        s = x.shape.merge_with(y.shape)
        if not self._cond_ok(cond.shape, s):
            raise self.error(f"condition must have x's shape, be a scalar, or be a vector of "
                             f"length x.shape[0]; got condition: {cond.shape}, x: {s}.")
        return spec(s, x.dtype)

    def compute(self, cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if x.shape != y.shape or not self._cond_ok(TensorShape(cond.shape),
                                                   TensorShape(x.shape)):
            raise self.error(f"condition must have x's shape, be a scalar, or be a vector of "
                             f"length x.shape[0], and x and y the same shape; got condition: "
                             f"{cond.shape}, x: {x.shape}, y: {y.shape}.")
        if cond.ndim == 1 and x.ndim > 1:
            cond = cond.reshape((-1,) + (1,) * (x.ndim - 1))
        return np.where(cond, x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        cond = op.inputs[0]
        zeros = zeros_like(dy)
        return [None, where(cond, dy, zeros), where(cond, zeros, dy)]


@register_op("Where")
class Where(OpDef):
    """y = the coordinates of the true (non-zero) entries of x, one row each, in row-major
    order (int64, shape [num_true, rank(x)])."""

    differentiable = False

    def infer(self, cond: Tensor) -> TensorSpec:
        r = cond.shape.ndims
        return spec(TensorShape(None) if r is None else [None, r], dtypes.int64)

    def compute(self, cond: np.ndarray) -> np.ndarray:
        return np.argwhere(cond).astype(np.int64, copy=False)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """Elementwise selection `x if condition else y`, or the coordinates of true entries.

    With x and y (TF1 semantics, no broadcasting): x and y have the same shape; condition has
    that shape too, or is a scalar, or a vector that picks whole rows (first dimension).
    With neither: the int64 [num_true, rank] coordinates of condition's true entries.

    Raises:
        InvalidArgumentError: shapes do not fit; TypeError-compatible when condition is not bool.
        ValueError: only one of x and y is given.

    Example:
        >>> sess.run(tf.where([True, False], [1, 2], [10, 20]))     # [1, 20]
        >>> sess.run(tf.where([[True, False], [False, True]]))       # [[0, 0], [1, 1]]
    """
    if x is None and y is None:
        return apply_op(Where, [condition], name=name)
    if x is None or y is None:
        raise ValueError("where: x and y must both be given or both be None.")
    from flowzero.ops.common import binary_operands

    with _graph_for(condition, x, y):
        xt, yt = binary_operands(x, y, "Select")
        c = convert_to_tensor(condition)
        return apply_op(Select, [c, xt, yt], name=name)


# -- range / linspace --------------------------------------------------------------------------
_RANGE_DTYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def _static_scalar(t: Tensor) -> Any:
    """A scalar's build-time value (ints also through Shape/Rank/Size/slices), or None."""
    v = static_value(t)
    if v is not None:
        return np.asarray(v).reshape(-1)[0].item()
    return _scalar_int(t) if t.dtype.is_integer else None


def _range_size(self: OpDef, s: Any, limit: Any, d: Any) -> int:
    if d == 0:
        raise self.error("requires delta != 0; got delta 0.")
    if (d > 0 and s > limit) or (d < 0 and s < limit):
        raise self.error(f"requires start <= limit when delta > 0 (start >= limit when delta "
                         f"< 0); got start {s}, limit {limit}, delta {d}.")
    if isinstance(s, (int, np.integer)) and isinstance(limit, (int, np.integer)) and \
            isinstance(d, (int, np.integer)):
        return int((abs(int(limit) - int(s)) + abs(int(d)) - 1) // abs(int(d)))
    return int(np.ceil(abs((float(limit) - float(s)) / float(d))))


@register_op("Range")
class Range(OpDef):
    """y = [start, start + delta, ...] up to but excluding limit."""

    differentiable = False  # as TF: NotDifferentiable("Range")

    def infer(self, start: Tensor, limit: Tensor, delta: Tensor) -> TensorSpec:
        _require_same_dtype(self, [start, limit, delta], "inputs")
        if start.dtype not in _RANGE_DTYPES:
            raise self.error(f"start/limit/delta must be int32, int64, float32 or float64; got "
                             f"{start.dtype.name}.", cls=TypeError_)
        for t, nm in ((start, "start"), (limit, "limit"), (delta, "delta")):
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        vals = [_static_scalar(t) for t in (start, limit, delta)]
        if any(v is None for v in vals):
            return spec([None], start.dtype)
        return spec([_range_size(self, *vals)], start.dtype)

    def compute(self, start: np.ndarray, limit: np.ndarray, delta: np.ndarray) -> np.ndarray:
        s, lim, d = start.item(), limit.item(), delta.item()
        n = _range_size(self, s, lim, d)
        dt = start.dtype
        if dt.kind in "iu":
            return (np.arange(n, dtype=dt) * dt.type(d) + dt.type(s)).astype(dt, copy=False)
        return (np.arange(n, dtype=np.float64) * d + s).astype(dt)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str = "range") -> Tensor:
    """[start, start + delta, ...) up to but excluding `limit` (`range(n)` = [0, n)).

    Dtype: `dtype` if given; else the widest of the arguments' (Python ints int32, floats
    float32), as TF: `tf.range(5)` is int32, `tf.range(0., 1., .25)` float32.

    Raises:
        InvalidArgumentError: delta is 0, or delta's sign points away from limit.

    Example:
        >>> sess.run(tf.range(3, 18, 3))
        array([ 3,  6,  9, 12, 15], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    with _graph_for(args):
        if dtype is not None:
            dt = dtypes.as_dtype(dtype)
        else:
            order = list(_RANGE_DTYPES)
            found = [_dtype_of(a) for a in args]
            dt = max(found, key=lambda d: order.index(d) if d in order else -1)
        ts = []
        for a in args:
            if _is_tensorish(a):
                t = convert_to_tensor(a)
                if t.dtype is not dt:
                    from flowzero.ops import math_ops

                    cast = getattr(math_ops, "cast", None)
                    if cast is None:
                        raise TypeError(f"range: argument {t!r} has dtype {t.dtype.name}, not "
                                        f"{dt.name}; cast it first.")
                    t = cast(t, dt)
                ts.append(t)
            else:
                ts.append(constant(a, dtype=dt))
        return apply_op(Range, ts, name=name)


@register_op("LinSpace")
class LinSpace(OpDef):
    """y[i] = start + i * (stop - start) / (num - 1), i in [0, num) (y = [start] if num = 1)."""

    def infer(self, start: Tensor, stop: Tensor, num: Tensor) -> TensorSpec:
        if start.dtype not in (dtypes.float32, dtypes.float64) or stop.dtype is not start.dtype:
            raise self.error(f"start and stop must both be float32 or both float64; got "
                             f"{start.dtype.name} and {stop.dtype.name}.", cls=TypeError_)
        _require_int(self, num, "num")
        for t, nm in ((start, "start"), (stop, "stop"), (num, "num")):
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        n = _scalar_int(num)
        if n is not None and n <= 0:
            raise self.error(f"requires num > 0; got {n}.")
        return spec([n], start.dtype)

    def compute(self, start: np.ndarray, stop: np.ndarray, num: np.ndarray) -> np.ndarray:
        n = int(num)
        if n <= 0:
            raise self.error(f"requires num > 0; got {n}.")
        return np.linspace(start, stop, n, dtype=start.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops import reduction_ops

        start, _, num = op.inputs
        t = lin_space(zeros_like(start), ones_like(start), num)  # i / (num - 1)
        return [reduction_ops.reduce_sum(dy * (1 - t)), reduction_ops.reduce_sum(dy * t), None]


def lin_space(start: Any, stop: Any, num: Any, name: str | None = None) -> Tensor:
    """`num` evenly spaced values from `start` to `stop`, both included.

    Example:
        >>> sess.run(tf.lin_space(10.0, 12.0, 3))
        array([10., 11., 12.], dtype=float32)
    """
    with _graph_for(start, stop, num):
        s, e = _convert_list([start, stop])
        return apply_op(LinSpace, [s, e, _int_operand(num, "num")], name=name)


linspace = lin_space


# -- boolean_mask / identity_n -----------------------------------------------------------------
def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None
                 ) -> Tensor:
    """The entries of `tensor` where the bool `mask` is true (mask covers dimensions
    [axis, axis + rank(mask)), which collapse into one of unknown size).

    Raises:
        ValueError: the mask's rank is unknown or 0, or its shape does not fit the tensor's.

    Example:
        >>> sess.run(tf.boolean_mask([[1, 2], [3, 4], [5, 6]], [True, False, True]))
        array([[1, 2],
               [5, 6]], dtype=int32)
    """
    with _graph_for(tensor, mask):
        t = convert_to_tensor(tensor)
        m = convert_to_tensor(mask)
        k = m.shape.ndims
        if k is None:
            raise ValueError("boolean_mask: the number of mask dimensions must be known.")
        if k == 0:
            raise ValueError("boolean_mask: mask cannot be a scalar.")
        a = 0 if axis is None else int(axis)
        ts = t.shape
        if ts.ndims is not None:
            if a < 0:
                a += ts.ndims
            if not ts[a:a + k].is_compatible_with(m.shape) or a + k > ts.ndims:
                raise ValueError(f"boolean_mask: mask of shape {m.shape} does not fit tensor "
                                 f"of shape {ts} at axis {a}.")
        elif a < 0:
            raise ValueError("boolean_mask: a negative axis needs the tensor's rank.")
        if ts.ndims is not None and all(d is not None for i, d in enumerate(ts.known)  # type: ignore
                                        if not a <= i < a + k):
            known = list(ts.known)  # type: ignore[arg-type]
            new_shape: Any = known[:a] + [-1] + known[a + k:]
        else:
            s = shape(t)
            new_shape = concat([s[:a], [-1], s[a + k:]], 0)
        flat = reshape(t, new_shape)
        idx = squeeze(where(reshape(m, [-1])), axis=[1])
        return gather(flat, idx, axis=a, name=name)


@register_op("IdentityN")
class IdentityN(OpDef):
    """y_i = x_i for each input."""

    forwards_input = True

    def infer(self, *xs: Tensor) -> list[TensorSpec]:
        return [spec(x.shape, x.dtype) for x in xs]

    def compute(self, *xs: np.ndarray) -> list[np.ndarray]:
        # NOTE: the plan's aliasing check follows input 0 only, so the others are copied.
        return _outputs([xs[0]] + [np.array(x) for x in xs[1:]]) if xs else []

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return list(dys)


def identity_n(input: Any, name: str | None = None) -> list[Tensor]:  # noqa: A002
    """A list of tensors with the same values as the list `input` (one op)."""
    with _graph_for(input):
        return _as_list(apply_op(IdentityN, list(input), name=name))


__all__ = [
    "constant", "placeholder", "placeholder_with_default", "shape", "size", "rank",
    "broadcast_to", "sum_to", "reshape", "fill", "zeros", "ones", "zeros_like", "ones_like",
    "transpose", "invert_permutation", "expand_dims", "squeeze", "concat", "stack", "unstack",
    "split", "slice", "strided_slice", "newaxis", "gather", "gather_nd", "scatter_nd", "one_hot",
    "tile", "pad", "reverse", "reverse_v2", "where", "range", "lin_space", "linspace",
    "boolean_mask", "identity_n",
]
