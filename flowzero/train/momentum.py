"""tf.train.MomentumOptimizer and its update ops, ApplyMomentum and SparseApplyMomentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops.indexed_slices import IndexedSlices
from flowzero.runtime.state import VarCell
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of
from flowzero.train.sparse_apply import SparseApplyOp


def _momentum_step(
    var: np.ndarray, accum: np.ndarray, grad: np.ndarray, lr: Any, mu: Any, nesterov: bool
) -> None:
    accum *= mu
    accum += grad
    if nesterov:
        var -= grad * lr + accum * mu * lr
    else:
        var -= accum * lr


@register_op("ApplyMomentum")
class ApplyMomentum(ApplyOp):
    """accum = accum * momentum + grad; var -= lr * accum (nesterov: var -= grad * lr +
    accum * momentum * lr), in place."""

    n_refs = 2
    args = ("lr", "grad", "momentum")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        lr: np.ndarray,
        grad: np.ndarray,
        momentum: np.ndarray,
    ) -> np.ndarray:
        var, accum = var_cell.read(), accum_cell.read()
        self.check_grad(var, grad)
        lr, mu = scalar_of(lr, var.dtype), scalar_of(momentum, var.dtype)
        _momentum_step(var, accum, grad, lr, mu, self.attrs.get("use_nesterov", False))
        return var


@register_op("SparseApplyMomentum")
class SparseApplyMomentum(SparseApplyOp):
    """ApplyMomentum on the rows `indices` of var and accum only (grad row i updates row
    indices[i]; a repeated index once per occurrence), in place."""

    n_refs = 2
    args = ("lr", "grad", "indices", "momentum")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        lr: np.ndarray,
        grad: np.ndarray,
        indices: np.ndarray,
        momentum: np.ndarray,
    ) -> np.ndarray:
        var, accum = var_cell.read(), accum_cell.read()
        lr, mu = scalar_of(lr, var.dtype), scalar_of(momentum, var.dtype)
        nesterov = self.attrs.get("use_nesterov", False)
        self.apply_rows(
            lambda v, a, g: _momentum_step(v, a, g, lr, mu, nesterov), [var, accum], grad, indices
        )
        return var


class MomentumOptimizer(Optimizer):
    """Gradient descent with momentum (TF's formulation: the learning rate scales the
    accumulated velocity, not the gradient)::

        accumulation = momentum * accumulation + gradient
        variable -= learning_rate * accumulation

    With use_nesterov=True: variable -= learning_rate * (gradient + momentum * accumulation).

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one.
        momentum: a float, a scalar Tensor or a callable returning one.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "Momentum"); slots are `<var>/Momentum`.
        use_nesterov: use Nesterov momentum.

    Example:
        >>> w = tf.Variable(5.0)
        >>> loss = tf.square(w)
        >>> train_op = tf.train.MomentumOptimizer(0.01, momentum=0.9).minimize(loss)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train_op)
        >>> print(sess.run(w))   # 5 - 0.01 * 10
        4.9
    """

    def __init__(
        self,
        learning_rate: Any,
        momentum: Any,
        use_locking: bool = False,
        name: str = "Momentum",
        use_nesterov: bool = False,
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = bool(use_nesterov)

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        mom = self.get_slot(var, "momentum")
        return apply_op(
            ApplyMomentum,
            [var._ref(), mom._ref()],
            [
                self._hyper("learning_rate", self._learning_rate, var),
                grad,
                self._hyper("momentum", self._momentum, var),
            ],
            use_locking=self._use_locking,
            use_nesterov=self._use_nesterov,
        )

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        mom = self.get_slot(var, "momentum")
        return apply_op(
            SparseApplyMomentum,
            [var._ref(), mom._ref()],
            [
                self._hyper("learning_rate", self._learning_rate, var),
                grad.values,
                grad.indices,
                self._hyper("momentum", self._momentum, var),
            ],
            use_locking=self._use_locking,
            use_nesterov=self._use_nesterov,
        )


__all__ = ["MomentumOptimizer"]
