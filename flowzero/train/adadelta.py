"""tf.train.AdadeltaOptimizer and its update ops, ApplyAdadelta and SparseApplyAdadelta."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops.indexed_slices import IndexedSlices
from flowzero.runtime.state import VarCell
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of
from flowzero.train.sparse_apply import SparseApplyOp


def _adadelta_step(
    var: np.ndarray,
    accum: np.ndarray,
    accum_update: np.ndarray,
    grad: np.ndarray,
    lr: Any,
    rho: Any,
    epsilon: Any,
) -> None:
    one_minus_rho = var.dtype.type(1) - rho
    accum *= rho
    accum += np.square(grad) * one_minus_rho
    update = np.sqrt(accum_update + epsilon) / np.sqrt(accum + epsilon) * grad
    accum_update *= rho
    accum_update += np.square(update) * one_minus_rho
    var -= update * lr


@register_op("ApplyAdadelta")
class ApplyAdadelta(ApplyOp):
    """accum = rho * accum + (1 - rho) * grad^2;
    update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad;
    accum_update = rho * accum_update + (1 - rho) * update^2; var -= lr * update, in place."""

    n_refs = 3
    args = ("lr", "rho", "epsilon", "grad")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        accum_update_cell: VarCell,
        lr: np.ndarray,
        rho: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, accum, accum_update = var_cell.read(), accum_cell.read(), accum_update_cell.read()
        self.check_grad(var, grad)
        s = [scalar_of(x, var.dtype) for x in (lr, rho, epsilon)]
        _adadelta_step(var, accum, accum_update, grad, *s)
        return var


@register_op("SparseApplyAdadelta")
class SparseApplyAdadelta(SparseApplyOp):
    """ApplyAdadelta on the rows `indices` of var, accum and accum_update only (a repeated
    index once per occurrence), in place."""

    n_refs = 3
    args = ("lr", "rho", "epsilon", "grad", "indices")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        accum_update_cell: VarCell,
        lr: np.ndarray,
        rho: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
        indices: np.ndarray,
    ) -> np.ndarray:
        var, accum, accum_update = var_cell.read(), accum_cell.read(), accum_update_cell.read()
        s = [scalar_of(x, var.dtype) for x in (lr, rho, epsilon)]
        self.apply_rows(
            lambda v, a, u, g: _adadelta_step(v, a, u, g, *s),
            [var, accum, accum_update],
            grad,
            indices,
        )
        return var


class AdadeltaOptimizer(Optimizer):
    """Adadelta (Zeiler 2012) as TF1 implements it, with a learning rate scaling the step.

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one (TF1's default
            0.001; the paper's method corresponds to 1.0).
        rho: decay rate of both accumulators.
        epsilon: added inside both square roots.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "Adadelta"); slots are `<var>/Adadelta`
            (accum) and `<var>/Adadelta_1` (accum_update), both starting at zero.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: Any = 0.95,
        epsilon: Any = 1e-8,
        use_locking: bool = False,
        name: str = "Adadelta",
    ) -> None:
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return self._apply(ApplyAdadelta, [grad], var)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        return self._apply(SparseApplyAdadelta, [grad.values, grad.indices], var)

    def _apply(self, cls: Any, grad: list[Tensor], var: Any) -> Tensor:
        accum, accum_update = self.get_slot(var, "accum"), self.get_slot(var, "accum_update")
        return apply_op(
            cls,
            [var._ref(), accum._ref(), accum_update._ref()],
            [
                self._hyper("lr", self._lr, var),
                self._hyper("rho", self._rho, var),
                self._hyper("epsilon", self._epsilon, var),
                *grad,
            ],
            use_locking=self._use_locking,
        )


__all__ = ["AdadeltaOptimizer"]
