"""Array ops: constants, placeholders, and shape/layout manipulation."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape


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
    from flowzero.ops.common import static_value

    if t.op.type == "Shape":
        return t.op.inputs[0].shape
    v = static_value(t)
    if v is not None:
        return TensorShape([int(d) if d >= 0 else None for d in np.asarray(v).reshape(-1)])
    n = t.shape[0].value if t.shape.ndims == 1 else None
    return TensorShape(None if n is None else [None] * n)


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


# -- reshape -----------------------------------------------------------------------------------
@register_op("Reshape")
class Reshape(OpDef):
    """y = x with the given shape (one dim may be -1: inferred from the size)."""

    forwards_input = True

    def infer(self, x: Tensor, shape_: Tensor) -> TensorSpec:
        from flowzero.ops.common import static_value

        v = static_value(shape_)
        if v is None:
            return spec(_static_shape_value(shape_), x.dtype)
        dims = [int(d) for d in np.asarray(v).reshape(-1)]
        if sum(d == -1 for d in dims) > 1:
            raise self.error(f"only one dimension may be -1; got shape {dims}.")
        if any(d < -1 for d in dims):
            raise self.error(f"dimensions must be >= -1; got shape {dims}.")
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


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tensor` with a new shape of the same size; one entry of `shape` may be -1.

    Raises:
        InvalidArgumentError: at build time when the sizes are statically incompatible.
    """
    if not isinstance(shape, Tensor):
        if isinstance(shape, TensorShape):
            shape = shape.as_list()
        shape = constant([int(-1 if d is None else d) for d in np.asarray(
            [getattr(d, "value", d) for d in (shape if not np.isscalar(shape) else [shape])],
            dtype=object)], dtype=dtypes.int32, name="shape")
    return apply_op(Reshape, [tensor, shape], name=name)


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


__all__ = ["reshape", "constant", "placeholder", "placeholder_with_default", "shape", "broadcast_to",
           "sum_to", "fill", "zeros", "ones", "zeros_like", "ones_like"]
