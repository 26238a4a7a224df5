"""tf.train.AdagradOptimizer and its update op, ApplyAdagrad."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.runtime.state import VarCell
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of
from flowzero.variables import Constant


@register_op("ApplyAdagrad")
class ApplyAdagrad(ApplyOp):
    """accum += grad * grad; var -= lr * grad / sqrt(accum), in place."""

    n_refs = 2
    args = ("lr", "grad")

    def compute(
        self, var_cell: VarCell, accum_cell: VarCell, lr: np.ndarray, grad: np.ndarray
    ) -> np.ndarray:
        var, accum = var_cell.read(), accum_cell.read()
        self.check_grad(var, grad)
        accum += np.square(grad)
        # NOTE: no epsilon (TF1's ApplyAdagrad); the accumulator starts positive instead.
        var -= grad * scalar_of(lr, var.dtype) / np.sqrt(accum)
        return var


class AdagradOptimizer(Optimizer):
    """Adagrad: accumulator += grad^2; variable -= learning_rate * grad / sqrt(accumulator).

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one.
        initial_accumulator_value: the accumulators' starting value; must be positive.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "Adagrad"); slots are `<var>/Adagrad`.

    Raises:
        ValueError: initial_accumulator_value is not positive.
    """

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        use_locking: bool = False,
        name: str = "Adagrad",
    ) -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            init = Constant(self._initial_accumulator_value, dtype=v.dtype)
            self._get_or_make_slot_with_initializer(
                v, init, v.shape.as_list(), v.dtype, "accumulator", self._name
            )

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        acc = self.get_slot(var, "accumulator")
        return apply_op(
            ApplyAdagrad,
            [var._ref(), acc._ref()],
            [self._hyper("learning_rate", self._learning_rate, var), grad],
            use_locking=self._use_locking,
        )


__all__ = ["AdagradOptimizer"]
