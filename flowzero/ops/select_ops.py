"""where_v2: elementwise selection with NumPy broadcasting of the condition and both branches
(TF 2's tf.where, available in TF 1.15 as tf.where_v2; tf.where keeps TF1's rules)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import broadcast_shapes
from flowzero.ops.array_ops import zeros_like
from flowzero.ops.common import DTypeError, _graph_for, binary_operands


@register_op("SelectV2")
class SelectV2(OpDef):
    """y = x where condition else y, with condition, x and y broadcast against each other."""

    def infer(self, cond: Tensor, x: Tensor, y: Tensor) -> TensorSpec:
        if cond.dtype is not dtypes.bool:
            raise self.error(f"condition must be bool; got {cond.dtype.name}.", cls=DTypeError)
        if x.dtype is not y.dtype:
            raise self.error(
                f"x and y must have the same dtype; got x: {x.dtype.name}, y: "
                f"{y.dtype.name}. Use tf.cast.",
                cls=DTypeError,
            )
        xy = broadcast_shapes(x.shape, y.shape)
        out = None if xy is None else broadcast_shapes(cond.shape, xy)
        if out is None:
            raise self.error(
                f"condition, x and y must be broadcast-compatible; got condition: "
                f"{cond.shape}, x: {x.shape}, y: {y.shape}."
            )
        return spec(out, x.dtype)

    def compute(self, cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        try:
            return np.where(cond, x, y)
        except ValueError:
            raise self.error(
                f"condition, x and y must be broadcast-compatible; got condition: "
                f"{cond.shape}, x: {x.shape}, y: {y.shape}."
            ) from None

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        cond = op.inputs[0]
        zeros = zeros_like(dy)
        # autodiff sums each branch's gradient down to that branch's shape
        return [None, where_v2(cond, dy, zeros), where_v2(cond, zeros, dy)]


def where_v2(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """`x if condition else y` elementwise, broadcasting condition, x and y together; with
    neither x nor y, the int64 coordinates of condition's true entries (as tf.where).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.where_v2([[True], [False]], [1, 2], 0))   # [[1, 2], [0, 0]]
        array([[1, 2],
               [0, 0]], dtype=int32)
    """
    if x is None and y is None:
        from flowzero.ops.indexing_ops import where

        return where(condition, name=name)
    if x is None or y is None:
        raise ValueError("where_v2: x and y must both be given or both be None.")
    with _graph_for(condition, x, y):
        xt, yt = binary_operands(x, y, "SelectV2")
        c = convert_to_tensor(condition)
        return apply_op(SelectV2, [c, xt, yt], name=name)


__all__ = ["where_v2"]
