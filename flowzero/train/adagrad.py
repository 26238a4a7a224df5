"""tf.train.AdagradOptimizer and its update ops, ApplyAdagrad and SparseApplyAdagrad."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops.indexed_slices import IndexedSlices
from flowzero.runtime.state import VarCell
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of
from flowzero.train.sparse_apply import SparseApplyOp
from flowzero.variables import Constant


def _adagrad_step(
    var: np.ndarray, accum: np.ndarray, grad: np.ndarray, lr: Any, update_slots: bool
) -> None:
    if update_slots:
        accum += np.square(grad)
    # NOTE: no epsilon (TF1's ApplyAdagrad); the accumulator starts positive instead.
    var -= grad * lr / np.sqrt(accum)


@register_op("ApplyAdagrad")
class ApplyAdagrad(ApplyOp):
    """accum += grad * grad (unless update_slots=False); var -= lr * grad / sqrt(accum), in
    place."""

    n_refs = 2
    args = ("lr", "grad")

    def compute(
        self, var_cell: VarCell, accum_cell: VarCell, lr: np.ndarray, grad: np.ndarray
    ) -> np.ndarray:
        var, accum = var_cell.read(), accum_cell.read()
        self.check_grad(var, grad)
        lr = scalar_of(lr, var.dtype)
        _adagrad_step(var, accum, grad, lr, self.attrs.get("update_slots", True))
        return var


@register_op("SparseApplyAdagrad")
class SparseApplyAdagrad(SparseApplyOp):
    """ApplyAdagrad on the rows `indices` of var and accum only (a repeated index once per
    occurrence), in place."""

    n_refs = 2
    args = ("lr", "grad", "indices")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        lr: np.ndarray,
        grad: np.ndarray,
        indices: np.ndarray,
    ) -> np.ndarray:
        var, accum = var_cell.read(), accum_cell.read()
        lr = scalar_of(lr, var.dtype)
        update = self.attrs.get("update_slots", True)
        self.apply_rows(
            lambda v, a, g: _adagrad_step(v, a, g, lr, update), [var, accum], grad, indices
        )
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

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        acc = self.get_slot(var, "accumulator")
        return apply_op(
            SparseApplyAdagrad,
            [var._ref(), acc._ref()],
            [
                self._hyper("learning_rate", self._learning_rate, var),
                grad.values,
                grad.indices,
            ],
            use_locking=self._use_locking,
        )


__all__ = ["AdagradOptimizer"]
