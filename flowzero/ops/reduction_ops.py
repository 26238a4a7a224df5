"""Reductions: reduce_sum/mean/max/min/prod/any/all, argmax/argmin."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import reduced_shape


def _norm_axes(axis: Any) -> tuple[int, ...] | None:
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        from flowzero.ops.common import static_value

        v = static_value(axis)
        if v is None:
            raise ValueError("reduction axis must be known when the graph is built (a Python "
                             f"int/list or a constant); got {axis!r}.")
        axis = v
    a = np.asarray(axis).reshape(-1)
    return tuple(int(i) for i in a)


class _Reduce(OpDef):
    """Base: reduce x over attrs['axis'] (None = all), keeping dims when attrs['keepdims']."""

    def infer(self, x: Tensor) -> TensorSpec:
        axes = self.attrs["axis"]
        nd = x.shape.ndims
        if axes is not None and nd is not None:
            for a in axes:
                if not -max(nd, 1) <= a < max(nd, 1):
                    raise self.error(f"axis {a} is out of range for input of rank {nd} "
                                     f"(shape {x.shape}).")
        return spec(reduced_shape(x.shape, axes, self.attrs["keepdims"]), x.dtype)

    def _axes(self, x: np.ndarray) -> tuple[int, ...] | None:
        axes = self.attrs["axis"]
        if axes is None or x.ndim == 0:
            return None
        return axes


@register_op("Sum")
class Sum(_Reduce):
    """y = sum of x over axis."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.sum(x, axis=self._axes(x), keepdims=self.attrs["keepdims"],
                                 dtype=x.dtype))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops import array_ops

        x = op.inputs[0]
        return [array_ops.broadcast_to(_restore_dims(dy, x, self.attrs), array_ops._shape_like(x))]


def _restore_dims(dy: Tensor, x: Tensor, attrs: dict[str, Any]) -> Tensor:
    """dy with the reduced axes put back as size-1 dims (so it broadcasts against x)."""
    from flowzero.ops import array_ops

    axes = attrs["axis"]
    if attrs["keepdims"] or axes is None:
        return dy  # already broadcastable: same rank, or a scalar
    nd = x.shape.ndims
    if nd is None:
        raise NotImplementedError("gradient of a reduction over an input of unknown rank")
    if axes is None:
        axes = tuple(range(nd))
    kept = reduced_shape(x.shape, axes, True)
    if kept.is_fully_defined():
        return array_ops.reshape(dy, kept.as_list())
    return array_ops.reshape(dy, _kept_shape_tensor(x, axes))


def _kept_shape_tensor(x: Tensor, axes: tuple[int, ...]) -> Tensor:
    from flowzero.ops import array_ops, math_ops

    nd = x.shape.ndims or 0
    mask = np.ones(nd, dtype=np.int32)
    for a in axes:
        mask[a % nd] = 0
    # shape * mask + (1 - mask): the reduced dims become 1
    return math_ops.add(math_ops.multiply(array_ops.shape(x), mask), 1 - mask)


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool | None = None,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: bool | None = None) -> Tensor:
    """Sum of elements across `axis` (all when None).

    `reduction_indices` and `keep_dims` are the TF 0.x/1.x spellings of `axis`/`keepdims`.
    """
    return _reduce(Sum, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def _reduce(cls: type[OpDef], x: Any, axis: Any, keepdims: Any, name: str | None,
            reduction_indices: Any, keep_dims: Any) -> Tensor:
    if axis is None:
        axis = reduction_indices
    kd = keepdims if keepdims is not None else keep_dims
    return apply_op(cls, [x], {"axis": _norm_axes(axis), "keepdims": bool(kd)}, name=name)


__all__ = ["reduce_sum"]
