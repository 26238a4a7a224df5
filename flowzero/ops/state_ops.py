"""State ops: variable storage, reads and assignments.

A VariableV2 node outputs the variable's storage cell in the running Session (a "ref"); reading
it is an explicit ReadVariableOp (`v/read`), and assignments write the cell in place. Variable
values therefore live in the Session, as in TF1: two sessions on one graph hold two values.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops.common import DTypeError
from flowzero.runtime.state import RunContext, VarCell


@register_op("VariableV2")
class VariableV2(OpDef):
    """y = this session's storage cell of the variable (a reference, read by ReadVariableOp)."""

    needs_context = True
    aliases_state = True
    stateful = True

    def infer(self) -> TensorSpec:
        return spec(self.attrs["shape"], self.attrs["dtype"])

    def compute(self, ctx: RunContext) -> VarCell:
        return ctx.cell(self.node_name)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return []


@register_op("ReadVariableOp")
class ReadVariableOp(OpDef):
    """y = the current value of the variable `ref`."""

    aliases_state = True

    def infer(self, ref: Tensor) -> TensorSpec:
        return spec(ref.shape, ref.dtype)

    def compute(self, cell: VarCell) -> np.ndarray:
        v = cell.value
        return v if v is not None else cell.read()

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy]


def _check_ref(self: OpDef, ref: Tensor, value: Tensor, validate_shape: bool) -> None:
    # A body's capture of a variable's storage (an _Arg) is fed the same cell at run time.
    if ref.op.type not in ("VariableV2", "_Arg"):
        raise self.error(
            f"the first input must be a Variable; got {ref.op.type} '{ref.op.name}'.",
            cls=DTypeError,
        )
    if value.dtype is not ref.dtype:
        raise self.error(
            f"value must have the variable's dtype {ref.dtype.name}; got "
            f"{value.dtype.name}. Use tf.cast.",
            cls=DTypeError,
        )
    if validate_shape and not ref.shape.is_compatible_with(value.shape):
        raise self.error(
            f"value shape must match the variable's; got variable "
            f"'{ref.op.name}': {ref.shape}, value: {value.shape}. Pass "
            "validate_shape=False to change the variable's shape."
        )


@register_op("Assign")
class Assign(OpDef):
    """ref = value; y = the new value."""

    aliases_state = True
    stateful = True
    differentiable = False

    def infer(self, ref: Tensor, value: Tensor) -> TensorSpec:
        validate = self.attrs.get("validate_shape", True)
        _check_ref(self, ref, value, validate)
        return spec(ref.shape if validate else value.shape, ref.dtype)

    def compute(self, cell: VarCell, value: np.ndarray) -> np.ndarray:
        cur = cell.value
        if cur is not None and cur.shape == value.shape:
            np.copyto(cur, value)
            return cur
        if self.attrs.get("validate_shape", True) and cur is None:
            want = self.attrs.get("var_shape")
            if want is not None and not as_shape(want).is_compatible_with(value.shape):
                raise self.error(
                    f"value shape {value.shape} does not match the variable's "
                    f"shape {as_shape(want)}."
                )
        # Own a fresh, writable copy: a fed or constant array must never become the storage.
        cell.value = np.array(value, dtype=self.attrs["dtype"].np, copy=True)
        return cell.value


class _AssignUpdate(OpDef):
    aliases_state = True
    stateful = True
    differentiable = False

    def infer(self, ref: Tensor, value: Tensor) -> TensorSpec:
        _check_ref(self, ref, value, True)
        return spec(ref.shape, ref.dtype)


@register_op("AssignAdd")
class AssignAdd(_AssignUpdate):
    """ref += value; y = the new value."""

    def compute(self, cell: VarCell, value: np.ndarray) -> np.ndarray:
        cur = cell.read()
        cur += value
        return cur


@register_op("AssignSub")
class AssignSub(_AssignUpdate):
    """ref -= value; y = the new value."""

    def compute(self, cell: VarCell, value: np.ndarray) -> np.ndarray:
        cur = cell.read()
        cur -= value
        return cur


_count_lock = threading.Lock()


@register_op("CountUpTo")
class CountUpTo(OpDef):
    """y = ref; ref += 1, unless ref >= limit: then OutOfRangeError (an epoch counter)."""

    stateful = True
    differentiable = False

    def infer(self, ref: Tensor) -> TensorSpec:
        if ref.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(
                f"ref must be an int32 or int64 variable; got {ref.dtype.name}.", cls=DTypeError
            )
        if ref.shape.ndims not in (None, 0):
            raise self.error(f"ref must be a scalar variable; got shape {ref.shape}.")
        return spec([], ref.dtype)

    def compute(self, cell: VarCell) -> np.ndarray:
        with _count_lock:  # queue-runner threads count the same epochs
            cur = cell.read()
            if cur >= self.attrs["limit"]:
                raise errors.OutOfRangeError(None, None, f"Reached limit of {self.attrs['limit']}")
            old = cur.copy()
            cur += 1
        return old


def count_up_to(ref: Any, limit: int, name: str | None = None) -> Tensor:
    """Increments the integer variable `ref` until it reaches `limit`; returns its value
    before the increment. Past the limit, running it raises OutOfRangeError."""
    r = _ref_of(ref)
    with r.graph.as_default():
        return apply_op(CountUpTo, [r], {"limit": int(limit)}, name=name or "CountUpTo")


@register_op("IsVariableInitialized")
class IsVariableInitialized(OpDef):
    """y = whether the variable `ref` holds a value in this session."""

    differentiable = False

    def infer(self, ref: Tensor) -> TensorSpec:
        return spec([], dtypes.bool)

    def compute(self, cell: VarCell) -> np.ndarray:
        return np.array(cell.value is not None)


@register_op("ReportUninitializedVariables")
class ReportUninitializedVariables(OpDef):
    """y = the names of the input variables that hold no value yet (1-D string)."""

    differentiable = False

    def infer(self, *refs: Tensor) -> TensorSpec:
        return spec([None], dtypes.string)

    def compute(self, *cells: VarCell) -> np.ndarray:
        names = [c.name.encode() for c in cells if c.value is None]
        out = np.empty(len(names), dtype=object)
        out[:] = names
        return out


def report_uninitialized(refs: list[Tensor], name: str | None = None) -> Tensor:
    """A 1-D string tensor naming the variables among `refs` that are not initialized."""
    return apply_op(ReportUninitializedVariables, refs, name=name)


def _ref_of(ref: Any) -> Tensor:
    if hasattr(ref, "_ref"):
        return ref._ref()
    if isinstance(ref, Tensor):
        if ref.op.type == "ReadVariableOp":
            return ref.op.inputs[0]
        return ref
    raise TypeError(f"Expected a Variable to assign to; got {type(ref).__name__}.")


def _value_for(ref: Tensor, value: Any) -> Tensor:
    return convert_to_tensor(value, dtype=ref.dtype) if not isinstance(value, Tensor) else value


def assign(
    ref: Any,
    value: Any,
    validate_shape: Any = None,
    use_locking: Any = None,
    name: str | None = None,
) -> Tensor:
    """Assigns `value` to the variable `ref`; returns the new value once run.

    Example:
        >>> state = tf.Variable(0, name="counter")
        >>> update = tf.assign(state, state + 1)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> print(sess.run(update))
        1
    """
    r = _ref_of(ref)
    validate = True if validate_shape is None else bool(validate_shape)
    with r.graph.as_default():
        v = _value_for(r, value)
    return apply_op(
        Assign,
        [r, v],
        {"validate_shape": validate, "dtype": r.dtype, "var_shape": r.shape},
        name=name,
    )


def assign_add(ref: Any, value: Any, use_locking: Any = None, name: str | None = None) -> Tensor:
    """ref += value; returns the new value once run."""
    r = _ref_of(ref)
    with r.graph.as_default():
        v = _value_for(r, value)
    return apply_op(AssignAdd, [r, v], name=name)


def assign_sub(ref: Any, value: Any, use_locking: Any = None, name: str | None = None) -> Tensor:
    """ref -= value; returns the new value once run."""
    r = _ref_of(ref)
    with r.graph.as_default():
        v = _value_for(r, value)
    return apply_op(AssignSub, [r, v], name=name)


def is_variable_initialized(variable: Any) -> Tensor:
    """A bool scalar: whether `variable` has been initialized in the running session."""
    return apply_op(IsVariableInitialized, [_ref_of(variable)])


def variable_op(shape: Any, dtype: Any, name: str) -> Tensor:
    return apply_op(
        VariableV2, [], {"shape": as_shape(shape), "dtype": dtypes.as_dtype(dtype)}, name=name
    )


def read_variable(ref: Tensor, name: str = "read") -> Tensor:
    return apply_op(ReadVariableOp, [ref], name=name)


__all__ = [
    "assign",
    "assign_add",
    "assign_sub",
    "count_up_to",
    "is_variable_initialized",
    "TensorShape",
]
