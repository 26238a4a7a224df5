"""tf.TensorArray: a list of tensors written and read by index inside graphs (and loops).

A TensorArray handle is a `variant` tensor whose run-time value is a TensorArrayValue, a
mutable list of arrays, as TF1's TensorArray is a resource: `write` fills an index of the same
array (each index once) and returns its handle again, so a loop that writes one row per
iteration costs no copies. The Python `TensorArray` wraps a handle and the static facts (dtype,
element shape) that every wrapper of the same array shares, so a shape learnt from a write
inside a loop body is known to `stack()` after the loop.

Gradients are TensorArrays too (sparse: a missing index is zero): the gradient of `read(i)`
is an array holding dy at i, of `write(i, v)` the gradient array's entry i, of `stack` an
unstacked gradient. Sums of gradient arrays merge them (TensorArrayGradAdd).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops import array_ops, range_ops
from flowzero.ops.common import static_value
from flowzero.ops.control_ops import no_op


class TensorArrayValue:
    """The run-time value of a TensorArray handle: `items[i]` is an array or None (unset)."""

    __slots__ = (
        "items",
        "dtype",
        "element_shape",
        "dynamic_size",
        "clear_after_read",
        "name",
        "cleared",
        "grad",
    )

    def __init__(
        self,
        size: int,
        dtype: np.dtype,
        element_shape: TensorShape,
        dynamic_size: bool,
        clear_after_read: bool,
        name: str,
        grad: bool = False,
    ) -> None:
        self.items: list[Any] = [None] * size
        self.dtype = dtype
        self.element_shape = element_shape
        self.dynamic_size = dynamic_size
        self.clear_after_read = clear_after_read
        self.name = name
        self.cleared: set[int] | None = None
        self.grad = grad  # a gradient array: unset entries are zeros, writes add up

    def __repr__(self) -> str:
        return f"<TensorArray '{self.name}' size={len(self.items)}>"

    def _error(self, msg: str) -> errors.OpError:
        return errors.InvalidArgumentError(None, None, f"TensorArray {self.name}: {msg}")

    def write(self, i: int, v: np.ndarray) -> None:
        n = len(self.items)
        if i < 0:
            raise self._error(f"Tried to write to index {i} but it is negative.")
        if i >= n:
            if not (self.dynamic_size or self.grad):
                raise self._error(
                    f"Tried to write to index {i} but array is not resizeable and size is: {n}"
                )
            self.items.extend([None] * (i + 1 - n))
        if v.dtype != self.dtype and not self.grad:
            v = v.astype(self.dtype)
        old = self.items[i]
        if old is not None:
            if not self.grad:
                raise self._error(
                    f"Could not write to TensorArray index {i} because it has "
                    "already been written to."
                )
            v = old + v
        elif not _fits(self.element_shape, v.shape):
            raise self._error(
                f"Could not write to TensorArray index {i}: value shape "
                f"{v.shape} is incompatible with the element shape "
                f"{self.element_shape}."
            )
        self.items[i] = v

    def read(self, i: int, like: np.ndarray | None = None) -> np.ndarray:
        n = len(self.items)
        if i < 0 or (i >= n and not self.grad):
            raise self._error(f"Tried to read from index {i} but array size is: {n}")
        v = self.items[i] if i < n else None
        if v is None:
            if self.cleared is not None and i in self.cleared:
                raise self._error(
                    f"Could not read index {i} twice because it was cleared "
                    "after a previous read (perhaps try setting "
                    "clear_after_read = false?)"
                )
            if like is None and self.grad:  # (unset entries of a gradient array are zeros)
                like = next((x for x in self.items if x is not None), None)
            if like is not None:
                return np.zeros(like.shape, like.dtype)
            if self.element_shape.is_fully_defined():
                return np.zeros(self.element_shape.as_list(), self.dtype)
            raise self._error(
                f"Could not read from TensorArray index {i}: it has not yet "
                "been written to, and the element shape is not fully defined."
            )
        if self.clear_after_read and not self.grad:
            self.items[i] = None
            if self.cleared is None:
                self.cleared = set()
            self.cleared.add(i)
        return v

    def merge(self, other: TensorArrayValue) -> TensorArrayValue:
        """Adds a gradient array into this one, in place."""
        for i, v in enumerate(other.items):
            if v is not None:
                self.write(i, v)
        return self

    def copy(self) -> TensorArrayValue:
        c = TensorArrayValue(
            0,
            self.dtype,
            self.element_shape,
            self.dynamic_size,
            self.clear_after_read,
            self.name,
            self.grad,
        )
        c.items = list(self.items)
        return c


def _fits(element_shape: TensorShape, shape: tuple[int, ...]) -> bool:
    """element_shape.is_compatible_with(shape) without building a TensorShape (a loop body
    writes once per iteration)."""
    dims = element_shape.known
    if dims is None:
        return True
    return len(dims) == len(shape) and all(d is None or d == n for d, n in zip(dims, shape))


_UNKNOWN = TensorShape(None)


def grad_array(like: TensorArrayValue | None = None, dtype: Any = np.float32) -> TensorArrayValue:
    """An empty gradient array (all zeros) for a forward array `like`."""
    if like is None:
        return TensorArrayValue(0, np.dtype(dtype), _UNKNOWN, True, False, "grad", True)
    return TensorArrayValue(
        0, like.dtype, like.element_shape, True, False, f"{like.name}/grad", True
    )


def accumulate(acc: Any, g: Any) -> Any:
    """acc + g for gradient values that are arrays or gradient TensorArrays (`acc` is owned:
    updated in place where it can be)."""
    if isinstance(acc, TensorArrayValue):
        return acc.merge(g)
    if isinstance(acc, np.ndarray) and acc.shape == np.shape(g) and acc.dtype == g.dtype:
        acc += g
        return acc
    return acc + g


def own(g: Any) -> Any:
    """A copy of a gradient value that `accumulate` may update in place."""
    if isinstance(g, TensorArrayValue):
        return g.copy()
    return np.array(g, copy=True)


# Op types whose array result is their first input's array, updated (written in place): what
# the importers and exporters follow back to the op that made an array.
ARRAY_UPDATES = frozenset(
    {
        "TensorArrayWriteV3",
        "TensorArrayScatterV3",
        "TensorArraySplitV3",
        "TensorArrayPopBack",
        "TensorArraySetItem",
    }
)


# -- ops ---------------------------------------------------------------------------------------
class _TAOp(OpDef):
    differentiable = False

    def _ta(self, h: Any) -> TensorArrayValue:
        if not isinstance(h, TensorArrayValue):
            raise self.error(f"expected a TensorArray handle; got {type(h).__name__}.")
        return h

    def _index(self, i: Any) -> int:
        return int(i)

    def _element_shape(self, ta: TensorArrayValue) -> TensorShape:
        """The run-time element shape, completed by the one the Python wrapper learnt at build
        time (from writes inside a loop body, which the creating op never saw)."""
        es = ta.element_shape
        static = self.attrs.get("element_shape")
        if not es.is_fully_defined() and static is not None and static.is_compatible_with(es):
            es = es.merge_with(static)
        return es


def _check_handle(self: OpDef, handle: Tensor) -> None:
    if handle.dtype is not dtypes.variant:
        raise self.error(
            f"the handle must be a TensorArray (variant) tensor; got "
            f"{handle.dtype.name} tensor '{handle.name}'."
        )


def _check_index(self: OpDef, index: Tensor, what: str = "index") -> None:
    if not index.dtype.is_integer:
        raise self.error(f"{what} must be an integer tensor; got {index.dtype.name}.")


@register_op("TensorArrayV3")
class TensorArrayV3(_TAOp):
    """y = a new TensorArray of `size` unset elements."""

    stateful = True  # a fresh array per run; never shared or folded

    def infer(self, size: Tensor) -> TensorSpec:
        _check_index(self, size, "size")
        return spec([], dtypes.variant)

    def compute(self, size: np.ndarray) -> TensorArrayValue:
        a = self.attrs
        return TensorArrayValue(
            int(size),
            a["dtype"].np,
            a["element_shape"],
            a["dynamic_size"],
            a["clear_after_read"],
            a["tensor_array_name"] or self.node_name,
        )


@register_op("TensorArrayWriteV3")
class TensorArrayWriteV3(_TAOp):
    """ta[index] = value (in place); y = the handle."""

    differentiable = True
    forwards_input = True

    def infer(self, handle: Tensor, index: Tensor, value: Tensor) -> TensorSpec:
        _check_handle(self, handle)
        _check_index(self, index)
        return spec([], dtypes.variant)

    def compute(self, h: Any, i: np.ndarray, v: np.ndarray) -> TensorArrayValue:
        ta = self._ta(h)
        ta.write(self._index(i), np.asarray(v))
        return ta

    def gradient(self, op: Any, dh: Tensor) -> list[Any]:
        return [dh, None, apply_op(TensorArrayGradRead, [dh, op.inputs[1], op.inputs[2]])]


@register_op("TensorArrayReadV3")
class TensorArrayReadV3(_TAOp):
    """y = ta[index]."""

    differentiable = True

    def infer(self, handle: Tensor, index: Tensor) -> TensorSpec:
        _check_handle(self, handle)
        _check_index(self, index)
        return spec(self.attrs["element_shape"], self.attrs["dtype"])

    def compute(self, h: Any, i: np.ndarray) -> np.ndarray:
        return self._ta(h).read(self._index(i))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(TensorArrayGradWrite, [op.inputs[1], dy]), None]


@register_op("TensorArrayGatherV3")
class TensorArrayGatherV3(_TAOp):
    """y = stack(ta[i] for i in indices)."""

    differentiable = True

    def infer(self, handle: Tensor, indices: Tensor) -> TensorSpec:
        _check_handle(self, handle)
        _check_index(self, indices, "indices")
        n = indices.shape.known[0] if indices.shape.known else None
        return spec(TensorShape([n]).concatenate(self.attrs["element_shape"]), self.attrs["dtype"])

    def compute(self, h: Any, idx: np.ndarray) -> np.ndarray:
        ta = self._ta(h)
        items = [ta.read(int(i)) for i in idx.reshape(-1)]
        if not items:
            es = self._element_shape(ta)
            if not es.is_fully_defined():
                raise ta._error(
                    "Tried to gather 0 elements with an element shape that is not fully defined."
                )
            return np.zeros([0] + es.as_list(), ta.dtype)
        first = items[0].shape
        for k, v in enumerate(items):
            if v.shape != first:
                raise ta._error(
                    f"Could not stack elements of different shapes: element "
                    f"{int(idx[0])} has shape {first} but element {int(idx[k])} "
                    f"has shape {v.shape}."
                )
        return np.stack(items)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(TensorArrayGradScatter, [op.inputs[1], dy]), None]


@register_op("TensorArrayScatterV3")
class TensorArrayScatterV3(_TAOp):
    """ta[indices[k]] = value[k] for every k (in place); y = the handle."""

    differentiable = True
    forwards_input = True

    def infer(self, handle: Tensor, indices: Tensor, value: Tensor) -> TensorSpec:
        _check_handle(self, handle)
        _check_index(self, indices, "indices")
        return spec([], dtypes.variant)

    def compute(self, h: Any, idx: np.ndarray, v: np.ndarray) -> TensorArrayValue:
        ta = self._ta(h)
        idx = idx.reshape(-1)
        if v.ndim == 0 or v.shape[0] != idx.shape[0]:
            raise ta._error(
                f"value's first dimension must match the number of indices "
                f"({idx.shape[0]}); got value shape {v.shape}."
            )
        for k, i in enumerate(idx):
            ta.write(int(i), v[k])
        return ta

    def gradient(self, op: Any, dh: Tensor) -> list[Any]:
        return [dh, None, apply_op(TensorArrayGradGather, [dh, op.inputs[1], op.inputs[2]])]


@register_op("TensorArrayConcatV3")
class TensorArrayConcatV3(_TAOp):
    """y = concat(ta[0], ..., ta[n-1]) along axis 0; lengths = each element's first dim."""

    differentiable = True

    def infer(self, handle: Tensor) -> list[TensorSpec]:
        _check_handle(self, handle)
        es = self.attrs["element_shape"]
        rest = TensorShape(None) if es.known is None else TensorShape([None, *es.known[1:]])
        return [spec(rest, self.attrs["dtype"]), spec([None], dtypes.int64)]

    def compute(self, h: Any) -> list[np.ndarray]:
        ta = self._ta(h)
        items = [ta.read(i) for i in range(len(ta.items))]
        if not items:
            # TF: the shape after the first dimension, where it is known.
            rest = (self._element_shape(ta).known or (None,))[1:]
            if any(d is None for d in rest):
                rest = ()
            return [np.zeros([0, *rest], ta.dtype), np.zeros([0], np.int64)]
        return [np.concatenate(items), np.array([v.shape[0] for v in items], np.int64)]

    def gradient(self, op: Any, dy: Tensor, dlengths: Tensor) -> list[Any]:
        return [apply_op(TensorArrayGradSplit, [dy, op.outputs[1]])]


@register_op("TensorArraySplitV3")
class TensorArraySplitV3(_TAOp):
    """ta[k] = the k-th piece of value split along axis 0 by `lengths`; y = the handle."""

    differentiable = True
    forwards_input = True

    def infer(self, handle: Tensor, value: Tensor, lengths: Tensor) -> TensorSpec:
        _check_handle(self, handle)
        _check_index(self, lengths, "lengths")
        return spec([], dtypes.variant)

    def compute(self, h: Any, v: np.ndarray, lengths: np.ndarray) -> TensorArrayValue:
        ta = self._ta(h)
        lengths = lengths.reshape(-1).astype(np.int64)
        if v.ndim == 0 or int(lengths.sum()) != v.shape[0]:
            raise ta._error(
                f"Expected sum of lengths to be equal to values.shape[0], but sum "
                f"of lengths is {int(lengths.sum())} and value's shape is {v.shape}."
            )
        start = 0
        for k, n in enumerate(lengths):
            ta.write(k, v[start : start + int(n)])
            start += int(n)
        return ta

    def gradient(self, op: Any, dh: Tensor) -> list[Any]:
        return [dh, apply_op(TensorArrayGradConcat, [dh, op.inputs[1], op.inputs[2]]), None]


@register_op("TensorArraySizeV3")
class TensorArraySizeV3(_TAOp):
    """y = the number of elements of ta."""

    def infer(self, handle: Tensor) -> TensorSpec:
        _check_handle(self, handle)
        return spec([], dtypes.int32)

    def compute(self, h: Any) -> np.ndarray:
        return np.array(len(self._ta(h).items), np.int32)


@register_op("TensorArrayPopBack")
class TensorArrayPopBack(_TAOp):
    """y = ta[size - 1], removed from ta (in place); h = the handle. What TF's TensorListPopBack
    does to a TensorList (import maps TF 2.x's TensorLists onto TensorArrays)."""

    forwards_input = True

    def infer(self, handle: Tensor) -> list[TensorSpec]:
        _check_handle(self, handle)
        return [spec([], dtypes.variant), spec(self.attrs["element_shape"], self.attrs["dtype"])]

    def compute(self, h: Any) -> list[Any]:
        ta = self._ta(h)
        if not ta.items:
            raise ta._error("Trying to pop from an empty list.")
        n = len(ta.items) - 1
        value = ta.read(n)
        del ta.items[n]
        if ta.cleared is not None:
            ta.cleared.discard(n)
        return [ta, value]


@register_op("TensorArraySetItem")
class TensorArraySetItem(_TAOp):
    """ta[index] = value, replacing what was there (in place); y = the handle. What TF's
    TensorListSetItem does to a TensorList (a TensorArray's write sets an index once)."""

    forwards_input = True

    def infer(self, handle: Tensor, index: Tensor, value: Tensor) -> TensorSpec:
        _check_handle(self, handle)
        _check_index(self, index)
        return spec([], dtypes.variant)

    def compute(self, h: Any, i: np.ndarray, v: np.ndarray) -> TensorArrayValue:
        ta = self._ta(h)
        i = self._index(i)
        if not 0 <= i < len(ta.items):
            raise ta._error(
                f"Trying to modify element {i} in a list with {len(ta.items)} elements."
            )
        ta.items[i] = None
        ta.write(i, np.asarray(v))
        return ta


# -- gradient arrays ---------------------------------------------------------------------------
# Each is linear in its array-valued input, and its gradient is its transposed partner
# (GradWrite <-> GradRead, GradScatter <-> GradGather, GradSplit <-> GradConcat), so second
# derivatives through TensorArray reads and writes come from the same ops.
@register_op("TensorArrayGradWrite")
class TensorArrayGradWrite(_TAOp):
    """y = a gradient array holding dy at `index` (the gradient of a read)."""

    differentiable = True

    def infer(self, index: Tensor, dy: Tensor) -> TensorSpec:
        return spec([], dtypes.variant)

    def compute(self, i: np.ndarray, dy: np.ndarray) -> TensorArrayValue:
        g = grad_array(dtype=dy.dtype)
        g.write(int(i), np.asarray(dy))
        return g

    def gradient(self, op: Any, dh: Tensor) -> list[Any]:
        return [None, apply_op(TensorArrayGradRead, [dh, op.inputs[0], op.inputs[1]])]


@register_op("TensorArrayGradScatter")
class TensorArrayGradScatter(_TAOp):
    """y = a gradient array holding dy[k] at indices[k] (the gradient of a gather)."""

    differentiable = True

    def infer(self, indices: Tensor, dy: Tensor) -> TensorSpec:
        return spec([], dtypes.variant)

    def compute(self, idx: np.ndarray, dy: np.ndarray) -> TensorArrayValue:
        g = grad_array(dtype=dy.dtype)
        for k, i in enumerate(idx.reshape(-1)):
            g.write(int(i), dy[k])
        return g

    def gradient(self, op: Any, dh: Tensor) -> list[Any]:
        return [None, apply_op(TensorArrayGradGather, [dh, op.inputs[0], op.inputs[1]])]


@register_op("TensorArrayGradSplit")
class TensorArrayGradSplit(_TAOp):
    """y = a gradient array holding the pieces of dy split by lengths (gradient of concat)."""

    differentiable = True

    def infer(self, dy: Tensor, lengths: Tensor) -> TensorSpec:
        return spec([], dtypes.variant)

    def compute(self, dy: np.ndarray, lengths: np.ndarray) -> TensorArrayValue:
        g = grad_array(dtype=dy.dtype)
        start = 0
        for k, n in enumerate(lengths.reshape(-1)):
            g.write(k, dy[start : start + int(n)])
            start += int(n)
        return g

    def gradient(self, op: Any, dh: Tensor) -> list[Any]:
        return [apply_op(TensorArrayGradConcat, [dh, op.inputs[0], op.inputs[1]]), None]


@register_op("TensorArrayGradRead")
class TensorArrayGradRead(_TAOp):
    """y = dh[index], zeros shaped like `value` where dh has nothing (gradient of a write)."""

    differentiable = True

    def infer(self, dh: Tensor, index: Tensor, value: Tensor) -> TensorSpec:
        return spec(value.shape, value.dtype)

    def compute(self, dh: Any, i: np.ndarray, value: np.ndarray) -> np.ndarray:
        if dh is None:
            return np.zeros_like(value)
        return self._ta(dh).read(int(i), like=np.asarray(value))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(TensorArrayGradWrite, [op.inputs[1], dy]), None, None]


@register_op("TensorArrayGradGather")
class TensorArrayGradGather(_TAOp):
    """y = stack(dh[i] for i in indices), zeros where dh has nothing (gradient of scatter)."""

    differentiable = True

    def infer(self, dh: Tensor, indices: Tensor, value: Tensor) -> TensorSpec:
        return spec(value.shape, value.dtype)

    def compute(self, dh: Any, idx: np.ndarray, value: np.ndarray) -> np.ndarray:
        out = np.zeros_like(value)
        if dh is not None:
            ta = self._ta(dh)
            for k, i in enumerate(idx.reshape(-1)):
                if int(i) < len(ta.items) and ta.items[int(i)] is not None:
                    out[k] = ta.items[int(i)]
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(TensorArrayGradScatter, [op.inputs[1], dy]), None, None]


@register_op("TensorArrayGradConcat")
class TensorArrayGradConcat(_TAOp):
    """y = concat of dh's pieces (split by lengths), zeros where dh has nothing (gradient of
    split)."""

    differentiable = True

    def infer(self, dh: Tensor, value: Tensor, lengths: Tensor) -> TensorSpec:
        return spec(value.shape, value.dtype)

    def compute(self, dh: Any, value: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        out = np.zeros_like(value)
        if dh is not None:
            items = self._ta(dh).items
            start = 0
            for k, n in enumerate(lengths.reshape(-1)):
                n = int(n)
                if k < len(items) and items[k] is not None:
                    out[start : start + n] = items[k]
                start += n
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(TensorArrayGradSplit, [dy, op.inputs[2]]), None, None]


@register_op("TensorArrayGradAdd")
class TensorArrayGradAdd(_TAOp):
    """y = the sum of gradient arrays (a new array; inputs untouched). Also TF's AddN of
    TensorLists on import: the sum of any arrays, element by element (an unset element adds
    nothing), as a gradient array."""

    differentiable = True

    def infer(self, *hs: Tensor) -> TensorSpec:
        return spec([], dtypes.variant)

    def compute(self, *hs: Any) -> TensorArrayValue | None:
        out: TensorArrayValue | None = None
        for h in hs:
            if h is None:
                continue
            if out is None:
                out = own(h)
                out.grad = True  # writes add up (a no-op for flowzero's own gradients)
            else:
                out.merge(h)
        return out

    def gradient(self, op: Any, dh: Tensor) -> list[Any]:
        return [dh] * len(op.inputs)


@register_op("TensorArrayGradZeros")
class TensorArrayGradZeros(_TAOp):
    """y = an empty gradient array (every element zero)."""

    def infer(self) -> TensorSpec:
        return spec([], dtypes.variant)

    def compute(self) -> TensorArrayValue:
        return grad_array()


def add_grads(parts: list[Tensor]) -> Tensor:
    """The sum of variant gradients (autodiff's fan-in for TensorArray handles)."""
    return apply_op(TensorArrayGradAdd, list(parts), name="TensorArrayGradAdd")


def zero_grad() -> Tensor:
    return apply_op(TensorArrayGradZeros, [], name="TensorArrayGradZeros")


# -- the Python wrapper ------------------------------------------------------------------------
class _Meta:
    """Static facts shared by every wrapper of one array (in and out of loop bodies)."""

    __slots__ = (
        "dtype",
        "element_shape",
        "infer_shape",
        "dynamic_size",
        "clear_after_read",
        "name",
    )

    def __init__(
        self,
        dtype: dtypes.DType,
        element_shape: TensorShape,
        infer_shape: bool,
        dynamic_size: bool,
        clear_after_read: bool,
        name: str,
    ) -> None:
        self.dtype = dtype
        self.element_shape = element_shape
        self.infer_shape = infer_shape
        self.dynamic_size = dynamic_size
        self.clear_after_read = clear_after_read
        self.name = name


class TensorArray:
    """`tf.TensorArray`: a list of same-dtype tensors written and read by index.

    Args:
        dtype: the elements' dtype.
        size: the number of elements (int or int32 scalar tensor); may grow when
            `dynamic_size`.
        dynamic_size: allow writes past `size`.
        clear_after_read: free an element when it is read (default True; a second read of it
            is an error).
        element_shape: the elements' static shape (learnt from the first write when
            `infer_shape` and not given).
        handle/flow: wrap an existing handle tensor (what while_loop does with loop vars).

    Example:
        >>> sess = tf.Session()
        >>> ta = tf.TensorArray(tf.float32, size=3)
        >>> ta = ta.write(0, 1.0).write(1, 2.0).write(2, 3.0)
        >>> sess.run(ta.stack())  # [1., 2., 3.]
        array([1., 2., 3.], dtype=float32)
    """

    def __init__(
        self,
        dtype: Any,
        size: Any = None,
        dynamic_size: Any = None,
        clear_after_read: Any = None,
        tensor_array_name: str | None = None,
        handle: Any = None,
        flow: Any = None,
        infer_shape: bool = True,
        element_shape: Any = None,
        colocate_with_first_write_call: bool = True,
        name: str | None = None,
        _meta: _Meta | None = None,
    ) -> None:
        dt = dtypes.as_dtype(dtype)
        if _meta is not None:
            self._meta = _meta
        else:
            self._meta = _Meta(
                dt,
                as_shape(element_shape),
                bool(infer_shape),
                bool(dynamic_size),
                True if clear_after_read is None else bool(clear_after_read),
                tensor_array_name or "",
            )
        if handle is None:
            handle = flow
        if handle is not None:
            self._handle = handle
            return
        if size is None:
            raise ValueError("TensorArray: size must be given when no handle or flow is.")
        self._handle = apply_op(
            TensorArrayV3,
            [convert_to_tensor(size, dtype=dtypes.int32)],
            {
                "dtype": dt,
                "element_shape": self._meta.element_shape,
                "dynamic_size": self._meta.dynamic_size,
                "clear_after_read": self._meta.clear_after_read,
                "tensor_array_name": tensor_array_name or "",
            },
            name=name or "TensorArray",
        )

    # -- facts ---------------------------------------------------------------------------------
    @property
    def handle(self) -> Tensor:
        return self._handle

    @property
    def flow(self) -> Tensor:
        return self._handle

    @property
    def dtype(self) -> dtypes.DType:
        return self._meta.dtype

    @property
    def element_shape(self) -> TensorShape:
        return self._meta.element_shape

    @property
    def dynamic_size(self) -> bool:
        return self._meta.dynamic_size

    def _with(self, handle: Tensor) -> TensorArray:
        return TensorArray(self.dtype, handle=handle, _meta=self._meta)

    def _learn_shape(self, shape: TensorShape, what: str) -> None:
        m = self._meta
        if not m.element_shape.is_compatible_with(shape):
            raise ValueError(
                f"TensorArray {what}: inconsistent shapes: saw {shape} but "
                f"expected {m.element_shape} (from an earlier write or "
                "element_shape)."
            )
        if m.infer_shape:
            m.element_shape = m.element_shape.merge_with(shape)

    def _attrs(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "element_shape": self.element_shape}

    def _value(self, value: Any, what: str) -> Tensor:
        v = convert_to_tensor(value, dtype=self.dtype if not isinstance(value, Tensor) else None)
        if v.dtype is not self.dtype:
            raise TypeError(
                f"TensorArray {what}: value has dtype {v.dtype.name} but the "
                f"TensorArray holds {self.dtype.name}."
            )
        return v

    # -- writes --------------------------------------------------------------------------------
    def write(self, index: Any, value: Any, name: str | None = None) -> TensorArray:
        """A TensorArray with `value` at `index` (each index may be written once)."""
        v = self._value(value, "write")
        self._learn_shape(v.shape, "write")
        h = apply_op(
            TensorArrayWriteV3,
            [self._handle, convert_to_tensor(index, dtype=dtypes.int32), v],
            name=name or "TensorArrayWrite",
        )
        return self._with(h)

    def scatter(self, indices: Any, value: Any, name: str | None = None) -> TensorArray:
        """A TensorArray with value[k] at indices[k]."""
        v = self._value(value, "scatter")
        if v.shape.known:
            self._learn_shape(TensorShape(v.shape.known[1:]), "scatter")
        h = apply_op(
            TensorArrayScatterV3,
            [self._handle, convert_to_tensor(indices, dtype=dtypes.int32), v],
            name=name or "TensorArrayScatter",
        )
        return self._with(h)

    def unstack(self, value: Any, name: str | None = None) -> TensorArray:
        """A TensorArray whose element i is value[i]."""
        v = self._value(value, "unstack")
        n = (
            array_ops.shape(v)[0]
            if v.shape.known is None or v.shape.known[0] is None
            else v.shape.known[0]
        )
        return self.scatter(range_ops.range(0, n), v, name=name or "TensorArrayUnstack")

    def split(self, value: Any, lengths: Any, name: str | None = None) -> TensorArray:
        """A TensorArray whose elements are the pieces of `value` split by `lengths` (axis 0)."""
        v = self._value(value, "split")
        h = apply_op(
            TensorArraySplitV3,
            [self._handle, v, convert_to_tensor(lengths, dtype=dtypes.int64)],
            name=name or "TensorArraySplit",
        )
        return self._with(h)

    # -- reads ---------------------------------------------------------------------------------
    def read(self, index: Any, name: str | None = None) -> Tensor:
        """The element at `index`."""
        return apply_op(
            TensorArrayReadV3,
            [self._handle, convert_to_tensor(index, dtype=dtypes.int32)],
            self._attrs(),
            name=name or "TensorArrayRead",
        )

    def gather(self, indices: Any, name: str | None = None) -> Tensor:
        """The elements at `indices`, stacked along a new first axis."""
        return apply_op(
            TensorArrayGatherV3,
            [self._handle, convert_to_tensor(indices, dtype=dtypes.int32)],
            self._attrs(),
            name=name or "TensorArrayGather",
        )

    def stack(self, name: str | None = None) -> Tensor:
        """Every element, stacked along a new first axis."""
        size = self.size()
        n = static_value(size)
        idx = range_ops.range(0, size if n is None else int(n))
        return self.gather(idx, name=name or "TensorArrayStack")

    def concat(self, name: str | None = None) -> Tensor:
        """Every element, concatenated along axis 0."""
        return apply_op(
            TensorArrayConcatV3, [self._handle], self._attrs(), name=name or "TensorArrayConcat"
        )[0]

    def size(self, name: str | None = None) -> Tensor:
        """The number of elements (int32 scalar)."""
        if not self.dynamic_size and self._handle.op.type == "TensorArrayV3":
            n = static_value(self._handle.op.inputs[0])
            if n is not None:
                return array_ops.constant(int(n), dtype=dtypes.int32, name=name or "size")
        return apply_op(TensorArraySizeV3, [self._handle], name=name or "TensorArraySize")

    def identity(self) -> TensorArray:
        return self

    def close(self, name: str | None = None) -> Any:
        return no_op(name=name or "TensorArrayClose")

    def __repr__(self) -> str:
        return f"<tf.TensorArray '{self._handle.name}' dtype={self.dtype.name}>"
