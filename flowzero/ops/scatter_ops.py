"""Scatter ops: tensor_scatter_nd_update/add/sub/max/min (new tensors), and the in-place
updates of a variable's rows (scatter_update/add/sub/mul/div/max/min) and of its elements
addressed by index tuples (scatter_nd_update/add/sub).

Row scatters: `updates` has shape indices.shape + ref.shape[1:]. N-d scatters: the last
dimension of `indices` (K) addresses ref's first K dimensions, and `updates` has shape
indices.shape[:-1] + ref.shape[K:]. Repeated indices accumulate for add/sub/mul/div/max/min;
for update the last one wins.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, zeros_like
from flowzero.ops.common import DTypeError, _graph_for, _require_int
from flowzero.ops.indexing_ops import _check_indices, gather_nd
from flowzero.ops.state_ops import _check_ref, _ref_of
from flowzero.ops.unary_ops import negative
from flowzero.runtime.state import VarCell

_UFUNCS: dict[str, Any] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "max": np.maximum,
    "min": np.minimum,
}


def _nd_infer(self: OpDef, target: TensorShape, indices: Tensor, updates: Tensor) -> None:
    """Build-time check: updates.shape == indices.shape[:-1] + target.shape[K:]."""
    _require_int(self, indices, "indices")
    ish = indices.shape
    if ish.ndims == 0:
        raise self.error("indices must have rank >= 1; got a scalar.")
    if target.ndims is None or ish.ndims is None or ish.known[-1] is None:  # type: ignore
        return
    k = ish.known[-1]  # type: ignore[index]
    if k > target.ndims:
        raise self.error(
            f"index depth {k} (indices.shape[-1]) must be <= the rank of the "
            f"target {target.ndims}; got target: {target}, indices: {ish}."
        )
    want = ish[:-1].concatenate(target[k:])
    if not want.is_compatible_with(updates.shape):
        raise self.error(
            f"updates must have shape indices.shape[:-1] + shape[{k}:] = {want}; "
            f"got {updates.shape}."
        )


def _nd_apply(
    self: OpDef, mode: str, out: np.ndarray, indices: np.ndarray, updates: np.ndarray
) -> None:
    """out[indices] (mode)= updates, in place, with TF's index and shape checks."""
    k = indices.shape[-1]
    if k > out.ndim:
        raise self.error(f"index depth {k} must be <= the rank of the target {out.ndim}.")
    want = indices.shape[:-1] + out.shape[k:]
    if updates.shape != want:
        raise self.error(
            f"updates must have shape indices.shape[:-1] + shape[{k}:] = {want}; "
            f"got {updates.shape}."
        )
    for j in range(k):
        _check_indices(self, indices[..., j], out.shape[j], f"indices[..., {j}]")
    at = tuple(indices[..., j] for j in range(k))
    if k == 0:  # every update addresses the whole target
        for u in updates.reshape((-1,) + out.shape):
            _apply_at(mode, out, (), u)
        return
    _apply_at(mode, out, at, updates)


def _apply_at(mode: str, out: np.ndarray, at: Any, updates: np.ndarray) -> None:
    if mode == "update":
        out[at] = updates
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            _UFUNCS[mode].at(out, at, updates)


# -- tensor_scatter_nd_* (new tensors) ---------------------------------------------------------
class _TensorScatter(OpDef):
    mode: ClassVar[str] = ""

    def infer(self, tensor: Tensor, indices: Tensor, updates: Tensor) -> TensorSpec:
        if updates.dtype is not tensor.dtype:
            raise self.error(
                f"updates must have the tensor's dtype {tensor.dtype.name}; got "
                f"{updates.dtype.name}.",
                cls=DTypeError,
            )
        _nd_infer(self, tensor.shape, indices, updates)
        return spec(tensor.shape, tensor.dtype)

    def compute(self, tensor: np.ndarray, indices: np.ndarray, updates: np.ndarray) -> np.ndarray:
        out = np.array(tensor, copy=True)
        _nd_apply(self, self.mode, out, indices, updates)
        return out


@register_op("TensorScatterUpdate")
class TensorScatterUpdate(_TensorScatter):
    """y = tensor with y[indices[i..., :]] = updates[i...]."""

    mode = "update"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        _, indices, updates = op.inputs
        return [
            tensor_scatter_nd_update(dy, indices, zeros_like(updates)),
            None,
            gather_nd(dy, indices),
        ]


@register_op("TensorScatterAdd")
class TensorScatterAdd(_TensorScatter):
    """y = tensor with y[indices[i..., :]] += updates[i...]."""

    mode = "add"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, None, gather_nd(dy, op.inputs[1])]


@register_op("TensorScatterSub")
class TensorScatterSub(_TensorScatter):
    """y = tensor with y[indices[i..., :]] -= updates[i...]."""

    mode = "sub"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, None, negative(gather_nd(dy, op.inputs[1]))]


class _TensorScatterMinMax(_TensorScatter):
    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # TF's rule: the gradient goes to whichever of tensor and updates won, split on ties.
        from flowzero.ops.array_ops import shape
        from flowzero.ops.cast_ops import cast
        from flowzero.ops.indexing_ops import scatter_nd
        from flowzero.ops.logic_ops import equal

        x, indices, u = op.inputs
        out = op.outputs[0]
        x_won = cast(equal(x, out), dy.dtype)
        u_won = cast(equal(u, gather_nd(out, indices)), dy.dtype)
        winners = x_won + scatter_nd(indices, u_won, shape(x, out_type=indices.dtype))
        return [dy * x_won / winners, None, gather_nd(dy / winners, indices) * u_won]


@register_op("TensorScatterMax")
class TensorScatterMax(_TensorScatterMinMax):
    """y = tensor with y[indices[i..., :]] = max(y[...], updates[i...])."""

    mode = "max"


@register_op("TensorScatterMin")
class TensorScatterMin(_TensorScatterMinMax):
    """y = tensor with y[indices[i..., :]] = min(y[...], updates[i...])."""

    mode = "min"


def _tensor_scatter(
    cls: type[OpDef], tensor: Any, indices: Any, updates: Any, name: str | None
) -> Tensor:
    with _graph_for(tensor, indices, updates):
        t = convert_to_tensor(tensor)
        u = updates if isinstance(updates, Tensor) else convert_to_tensor(updates, dtype=t.dtype)
        return apply_op(cls, [t, _int_operand(indices, "indices"), u], name=name)


def tensor_scatter_nd_update(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """A copy of `tensor` with the slices at `indices` replaced by `updates`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.tensor_scatter_nd_update([1, 2, 3, 4], [[1], [3]], [9, 10]))
        array([ 1,  9,  3, 10], dtype=int32)
    """
    return _tensor_scatter(TensorScatterUpdate, tensor, indices, updates, name)


def tensor_scatter_nd_add(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """A copy of `tensor` with `updates` added at `indices` (repeats accumulate)."""
    return _tensor_scatter(TensorScatterAdd, tensor, indices, updates, name)


def tensor_scatter_nd_sub(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """A copy of `tensor` with `updates` subtracted at `indices` (repeats accumulate)."""
    return _tensor_scatter(TensorScatterSub, tensor, indices, updates, name)


def tensor_scatter_nd_max(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """A copy of `tensor` with each slice at `indices` the maximum of itself and `updates`."""
    return _tensor_scatter(TensorScatterMax, tensor, indices, updates, name)


def tensor_scatter_nd_min(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """A copy of `tensor` with each slice at `indices` the minimum of itself and `updates`."""
    return _tensor_scatter(TensorScatterMin, tensor, indices, updates, name)


# -- variable scatters (in place) --------------------------------------------------------------
class _VarScatter(OpDef):
    """ref[...] (mode)= updates in place; y = the variable's new value."""

    aliases_state = True
    stateful = True
    differentiable = False
    mode: ClassVar[str] = ""
    nd: ClassVar[bool] = False

    def infer(self, ref: Tensor, indices: Tensor, updates: Tensor) -> TensorSpec:
        _check_ref(self, ref, updates, False)
        if self.nd:
            _nd_infer(self, ref.shape, indices, updates)
        else:
            _require_int(self, indices, "indices")
            if ref.shape.ndims == 0:
                raise self.error("the variable must have rank >= 1; got a scalar.")
            if indices.shape.ndims is not None and ref.shape.ndims is not None:
                want = indices.shape.concatenate(ref.shape[1:])
                if not want.is_compatible_with(updates.shape):
                    raise self.error(
                        f"updates must have shape indices.shape + "
                        f"ref.shape[1:] = {want}; got {updates.shape}."
                    )
        return spec(ref.shape, ref.dtype)

    def compute(self, cell: VarCell, indices: np.ndarray, updates: np.ndarray) -> np.ndarray:
        cur = cell.read()
        if self.nd:
            _nd_apply(self, self.mode, cur, indices, updates)
            return cur
        want = indices.shape + cur.shape[1:]
        if updates.shape != want:
            raise self.error(
                f"updates must have shape indices.shape + ref.shape[1:] = {want}; "
                f"got {updates.shape}."
            )
        _check_indices(self, indices, cur.shape[0])
        _apply_at(self.mode, cur, indices, updates)
        return cur


def _make_scatter(op_type: str, mode: str, nd: bool, doc: str) -> type[OpDef]:
    cls = type(op_type, (_VarScatter,), {"mode": mode, "nd": nd, "__doc__": doc})
    return register_op(op_type)(cls)


ScatterUpdate = _make_scatter("ScatterUpdate", "update", False, "ref[indices] = updates.")
ScatterAdd = _make_scatter("ScatterAdd", "add", False, "ref[indices] += updates.")
ScatterSub = _make_scatter("ScatterSub", "sub", False, "ref[indices] -= updates.")
ScatterMul = _make_scatter("ScatterMul", "mul", False, "ref[indices] *= updates.")
ScatterDiv = _make_scatter("ScatterDiv", "div", False, "ref[indices] /= updates.")
ScatterMax = _make_scatter("ScatterMax", "max", False, "ref[indices] = max(ref, updates).")
ScatterMin = _make_scatter("ScatterMin", "min", False, "ref[indices] = min(ref, updates).")
ScatterNdUpdate = _make_scatter(
    "ScatterNdUpdate", "update", True, "ref[indices[i..., :]] = updates[i...]."
)
ScatterNdAdd = _make_scatter("ScatterNdAdd", "add", True, "ref[indices[i..., :]] += updates[i...].")
ScatterNdSub = _make_scatter("ScatterNdSub", "sub", True, "ref[indices[i..., :]] -= updates[i...].")


def _var_scatter(
    cls: type[OpDef], ref: Any, indices: Any, updates: Any, name: str | None
) -> Tensor:
    r = _ref_of(ref)
    with r.graph.as_default():
        u = updates if isinstance(updates, Tensor) else convert_to_tensor(updates, dtype=r.dtype)
        return apply_op(cls, [r, _int_operand(indices, "indices"), u], name=name)


def scatter_update(
    ref: Any, indices: Any, updates: Any, use_locking: bool = True, name: str | None = None
) -> Tensor:
    """Writes `updates` into the rows `indices` of the variable `ref`; returns its new value
    once run.

    Example:
        >>> sess = tf.Session()
        >>> v = tf.Variable([1., 2., 3., 4.])
        >>> sess.run(v.initializer)
        >>> sess.run(tf.scatter_update(v, [0, 2], [10., 30.]))   # [10., 2., 30., 4.]
        array([10.,  2., 30.,  4.], dtype=float32)
    """
    return _var_scatter(ScatterUpdate, ref, indices, updates, name)


def scatter_add(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Adds `updates` to the rows `indices` of the variable `ref` (repeats accumulate)."""
    return _var_scatter(ScatterAdd, ref, indices, updates, name)


def scatter_sub(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Subtracts `updates` from the rows `indices` of the variable `ref`."""
    return _var_scatter(ScatterSub, ref, indices, updates, name)


def scatter_mul(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Multiplies the rows `indices` of the variable `ref` by `updates`."""
    return _var_scatter(ScatterMul, ref, indices, updates, name)


def scatter_div(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Divides the rows `indices` of the variable `ref` by `updates`."""
    return _var_scatter(ScatterDiv, ref, indices, updates, name)


def scatter_max(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Sets the rows `indices` of the variable `ref` to their maximum with `updates`."""
    return _var_scatter(ScatterMax, ref, indices, updates, name)


def scatter_min(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Sets the rows `indices` of the variable `ref` to their minimum with `updates`."""
    return _var_scatter(ScatterMin, ref, indices, updates, name)


def scatter_nd_update(
    ref: Any, indices: Any, updates: Any, use_locking: bool = True, name: str | None = None
) -> Tensor:
    """Writes `updates` into the variable `ref` at the index tuples `indices`.

    Example:
        >>> sess = tf.Session()
        >>> v = tf.Variable([[1, 2], [3, 4]])
        >>> sess.run(v.initializer)
        >>> sess.run(tf.scatter_nd_update(v, [[0, 1], [1, 0]], [20, 30]))  # [[1, 20], [30, 4]]
        array([[ 1, 20],
               [30,  4]], dtype=int32)
    """
    return _var_scatter(ScatterNdUpdate, ref, indices, updates, name)


def scatter_nd_add(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Adds `updates` to the variable `ref` at the index tuples `indices`."""
    return _var_scatter(ScatterNdAdd, ref, indices, updates, name)


def scatter_nd_sub(
    ref: Any, indices: Any, updates: Any, use_locking: bool = False, name: str | None = None
) -> Tensor:
    """Subtracts `updates` from the variable `ref` at the index tuples `indices`."""
    return _var_scatter(ScatterNdSub, ref, indices, updates, name)


# TF 1.15's shorter names for the same functions.
tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub

__all__ = [
    "tensor_scatter_nd_update",
    "tensor_scatter_nd_add",
    "tensor_scatter_nd_sub",
    "tensor_scatter_nd_max",
    "tensor_scatter_nd_min",
    "tensor_scatter_update",
    "tensor_scatter_add",
    "tensor_scatter_sub",
    "scatter_update",
    "scatter_add",
    "scatter_sub",
    "scatter_mul",
    "scatter_div",
    "scatter_max",
    "scatter_min",
    "scatter_nd_update",
    "scatter_nd_add",
    "scatter_nd_sub",
]
