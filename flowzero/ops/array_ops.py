"""Array ops: constants, placeholders, shape/size/rank, broadcast_to/sum_to, fills, stack.

The rest of TF's array_ops is split by family: reshape_ops (reshape, expand_dims, squeeze,
transpose), manip_ops (concat, split, tile, reverse), slicing_ops (slice, strided_slice, pad,
Tensor.__getitem__), indexing_ops (gather, scatter_nd, one_hot, where, boolean_mask) and
range_ops (range, lin_space).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, register_conversion
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops.common import (
    _as_list,
    _axis_in,
    _convert_list,
    _graph_for,
    _has_tensor,
    _is_tensorish,
    _plain,
    _require_same_dtype,
    _static_shape_value,
)


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
            raise TypeError(
                f"{op}: cannot convert {value!r} to a Tensor: mixed or unsupported element types."
            )
        return arr
    if dtype is dtypes.string:
        return dtypes.infer_numpy(value).astype(object)
    src = np.asarray(value)
    if src.dtype.kind == "O" or src.dtype.kind in "SU":
        raise TypeError(f"{op}: cannot convert {value!r} to a Tensor of dtype {dtype.name}.")
    if (
        (dtype.is_integer or dtype.is_bool)
        and src.dtype.kind in "fc"
        and src.size
        and not np.all(src == np.round(src))
    ):
        raise TypeError(
            f"{op}: expected {dtype.name}, got {value!r} of type '{type(value).__name__}' "
            "instead (non-integral values would be truncated)."
        )
    if (
        dtype.is_integer
        and src.size
        and src.dtype.kind in "iu"
        and (src.max() > np.iinfo(dtype.np).max or src.min() < np.iinfo(dtype.np).min)
    ):
        raise ValueError(f"{op}: value {value!r} is out of range for dtype {dtype.name}.")
    return src.astype(dtype.np)


def constant(
    value: Any,
    dtype: Any = None,
    shape: Any = None,
    name: str = "Const",
    verify_shape: bool = False,
) -> Tensor:
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
        >>> sess = tf.Session()
        >>> sess.run(tf.constant([[3., 3.]]))
        array([[3., 3.]], dtype=float32)
    """
    dt = None if dtype is None else dtypes.as_dtype(dtype)
    arr = _to_array(value, dt, "Const")
    if shape is not None:
        given = as_shape(shape)
        if not given.is_fully_defined():
            raise TypeError(f"Const '{name}': shape must be fully defined; got {given}.")
        target = tuple(int(d) for d in given)
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
    return apply_op(
        Const,
        [],
        {"value": arr, "dtype": dtypes.as_dtype(arr.dtype) if dt is None else dt},
        name=name,
    )


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
        >>> sess = tf.Session()
        >>> x = tf.placeholder(tf.float32, [None, 2])
        >>> sess.run(x * 2, feed_dict={x: [[1, 2]]})
        array([[2., 4.]], dtype=float32)
    """
    return apply_op(
        Placeholder,
        [],
        {"dtype": dtypes.as_dtype(dtype), "shape": _placeholder_shape(shape, name)},
        name=name,
    )


def _placeholder_shape(shape: Any, name: str | None) -> Any:
    """as_shape(shape), refusing dimensions below -1 (-1 and None: unknown)."""
    if shape is not None and not isinstance(shape, TensorShape):
        dims = [shape] if isinstance(shape, (int, np.integer)) else shape
        try:
            bad = [d for d in dims if isinstance(d, (int, np.integer)) and d < -1]
        except TypeError:
            bad = []
        if bad:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Placeholder '{name or 'Placeholder'}': shape {list(dims)} has "
                f"dimension {int(bad[0])}; each dimension must be >= 0, or None / -1 for an "
                "unknown size.",
            )
    return as_shape(shape)


@register_op("PlaceholderWithDefault")
class PlaceholderWithDefault(OpDef):
    """y = the fed value if fed, else `input`."""

    forwards_input = True

    def infer(self, x: Tensor) -> TensorSpec:
        shape = as_shape(self.attrs["shape"])
        if not shape.is_compatible_with(x.shape):
            raise self.error(
                f"default value of shape {x.shape} is incompatible with the "
                f"placeholder shape {shape}."
            )
        return spec(shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy]


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """A placeholder that yields `input` when it is not fed."""
    return apply_op(
        PlaceholderWithDefault, [input], {"shape": _placeholder_shape(shape, name)}, name=name
    )


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
    if isinstance(shape_, (list, tuple)) and _has_tensor(shape_):  # [tf.shape(x)[0], 1]
        return _int_operand(shape_, "shape")
    return constant(
        [int(shape_)] if np.ndim(shape_) == 0 else [int(d) for d in shape_],
        dtype=dtypes.int32,
        name="shape",
    )


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
        target = tuple(shape_.tolist())
        if x.shape == target:
            return x
        lead = x.ndim - len(target)
        if lead > 0 and x.size and x.shape[lead:] == target:  # a bias gradient: leading axes
            return np.asarray(np.add.reduce(x.reshape((-1,) + target), axis=0, dtype=x.dtype))
        axes = tuple(range(lead)) + tuple(
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
        return [None, sum_to(dy, [])]


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A tensor of shape `dims` filled with `value`."""
    return apply_op(Fill, [_shape_operand(dims), value], name=name)


def _filled_like(tensor: Any, value: float, dtype: Any, name: str | None, default: str) -> Tensor:
    from flowzero.framework.graph import convert_to_tensor

    t = convert_to_tensor(tensor)
    dt = dtypes.as_dtype(dtype) if dtype is not None else t.dtype
    with t.graph.as_default():
        if t.shape.is_fully_defined():
            return constant(
                np.full(t.shape.as_list(), value, dtype=dt.np), dtype=dt, name=name or default
            )
        return fill(shape(t), constant(value, dtype=dt), name=name or default)


def zeros_like(
    tensor: Any, dtype: Any = None, name: str | None = None, optimize: bool = True
) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `tensor`."""
    return _filled_like(tensor, 0, dtype, name, "zeros_like")


def ones_like(
    tensor: Any, dtype: Any = None, name: str | None = None, optimize: bool = True
) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `tensor`."""
    return _filled_like(tensor, 1, dtype, name, "ones_like")


def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:  # noqa: A002
    """A tensor of zeros of `shape`."""
    if isinstance(shape, Tensor):
        return fill(shape, constant(0, dtype=dtype), name=name or "zeros")
    if isinstance(shape, (list, tuple)) and _has_tensor(shape):  # e.g. [n] with n a Tensor
        return fill(_int_operand(shape, "shape"), constant(0, dtype=dtype), name=name or "zeros")
    return constant(0, dtype=dtype, shape=shape, name=name or "zeros")


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:  # noqa: A002
    """A tensor of ones of `shape`."""
    if isinstance(shape, Tensor):
        return fill(shape, constant(1, dtype=dtype), name=name or "ones")
    if isinstance(shape, (list, tuple)) and _has_tensor(shape):  # e.g. [n] with n a Tensor
        return fill(_int_operand(shape, "shape"), constant(1, dtype=dtype), name=name or "ones")
    return constant(1, dtype=dtype, shape=shape, name=name or "ones")


# -- argument helpers --------------------------------------------------------------------------
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
        >>> sess = tf.Session()
        >>> print(sess.run(tf.size(tf.zeros([2, 3]))))
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
        >>> sess = tf.Session()
        >>> print(sess.run(tf.rank(tf.zeros([2, 3]))))
        2
    """
    return apply_op(Rank, [input], name=name)


# -- stack / unstack ---------------------------------------------------------------------------
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
                raise self.error(
                    f"all values must have the same shape; got values[0]: "
                    f"{values[0].shape}, values[{i}]: {v.shape}."
                )
            s = s.merge_with(v.shape)
        if s.ndims is None:
            return spec(TensorShape(None), values[0].dtype)
        a = _axis_in(self, self.attrs["axis"], s.ndims + 1)
        dims = list(s.known)  # type: ignore[arg-type]
        return spec(dims[:a] + [len(values)] + dims[a:], values[0].dtype)

    def compute(self, *values: np.ndarray) -> np.ndarray:
        for i, v in enumerate(values[1:], 1):
            if v.shape != values[0].shape:
                raise self.error(
                    f"all values must have the same shape; got values[0]: "
                    f"{values[0].shape}, values[{i}]: {v.shape}."
                )
        return np.stack(values, axis=_axis_in(self, self.attrs["axis"], values[0].ndim + 1))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return unstack(dy, num=len(op.inputs), axis=self.attrs["axis"])


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """Stacks a list of rank-R tensors into one rank-(R+1) tensor along a new `axis`.

    Python values in the list take the dtype of the Tensors in it.

    Raises:
        InvalidArgumentError: the values' shapes differ, or `axis` is out of range.

    Example:
        >>> sess = tf.Session()
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
        return apply_op(
            Pack, _convert_list(values), {"axis": int(axis), "N": len(values)}, name=name
        )


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
            raise self.error(
                f"num must equal dimension {a} of value; got num {num}, value shape {x.shape}."
            )
        return [spec(dims[:a] + dims[a + 1 :], x.dtype)] * num

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        a = _axis_in(self, self.attrs["axis"], x.ndim)
        if x.shape[a] != self.attrs["num"]:
            raise self.error(
                f"num must equal dimension {a} of value; got num "
                f"{self.attrs['num']}, value shape {x.shape}."
            )
        return list(np.moveaxis(x, a, 0))

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return [stack(list(dys), axis=self.attrs["axis"])]


def unstack(
    value: Any, num: int | None = None, axis: int = 0, name: str = "unstack"
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
                raise ValueError(
                    f"unstack: cannot infer num from shape {value.shape} (axis {axis}); pass num=."
                )
            num = value.shape.known[axis]  # type: ignore[index]
        return _as_list(apply_op(Unpack, [value], {"num": int(num), "axis": int(axis)}, name=name))


__all__ = [
    "constant",
    "placeholder",
    "placeholder_with_default",
    "shape",
    "size",
    "rank",
    "broadcast_to",
    "sum_to",
    "fill",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "stack",
    "unstack",
]


register_conversion(constant, stack)
