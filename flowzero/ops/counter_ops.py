"""count_up_to: a variable used as a counter that stops at a limit (TF1's input pipelines and
epoch counters)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError
from flowzero.ops.state_ops import _ref_of
from flowzero.runtime.state import VarCell


@register_op("CountUpTo")
class CountUpTo(OpDef):
    """y = ref; then ref += 1. OutOfRangeError once ref has reached `limit`."""

    stateful = True
    differentiable = False

    def infer(self, ref: Tensor) -> TensorSpec:
        if ref.op.type not in ("VariableV2", "_Arg"):
            raise self.error(
                f"the input must be a Variable; got {ref.op.type} '{ref.op.name}'.",
                cls=DTypeError,
            )
        if ref.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(
                f"the variable must be int32 or int64; got {ref.dtype.name}.", cls=DTypeError
            )
        if ref.shape.ndims not in (None, 0):
            raise self.error(f"the variable must be a scalar; got shape {ref.shape}.")
        return spec([], ref.dtype)

    def compute(self, cell: VarCell) -> np.ndarray:
        cur = cell.read()
        before = cur.copy()
        if int(before) >= self.attrs["limit"]:
            raise self.error(f"Reached limit of {self.attrs['limit']}", cls=errors.OutOfRangeError)
        cur += 1
        return before


def count_up_to(ref: Any, limit: int, name: str | None = None) -> Tensor:
    """Increments the int variable `ref` until it reaches `limit`; each run returns the value
    before the increment, and the run after the limit raises tf.errors.OutOfRangeError.

    Example:
        >>> step = tf.count_up_to(counter, 3)   # runs give 0, 1, 2, then OutOfRangeError
    """
    return apply_op(CountUpTo, [_ref_of(ref)], {"limit": int(limit)}, name=name)


__all__ = ["count_up_to"]
