"""tf.train.ProximalGradientDescentOptimizer and ProximalAdagradOptimizer, and their update
ops ApplyProximalGradientDescent and ApplyProximalAdagrad and their sparse forms (FOBOS: a
gradient step, then the L1/L2 proximal operator)."""

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


def _prox(var: np.ndarray, prox_var: np.ndarray, step: Any, l1: Any, l2: Any) -> None:
    """var = sign(p) * max(|p| - step * l1, 0) / (1 + step * l2) (p = prox_var), in place."""
    one = var.dtype.type(1)
    if l1 > 0:
        shrunk = np.maximum(np.abs(prox_var) - step * l1, var.dtype.type(0))
        var[...] = np.sign(prox_var) * shrunk / (one + step * l2)
    else:
        var[...] = prox_var / (one + step * l2)


def _proximal_adagrad_step(
    var: np.ndarray, accum: np.ndarray, grad: np.ndarray, lr: Any, l1: Any, l2: Any
) -> None:
    accum += np.square(grad)
    rate = lr / np.sqrt(accum)
    _prox(var, var - grad * rate, rate, l1, l2)


@register_op("ApplyProximalGradientDescent")
class ApplyProximalGradientDescent(ApplyOp):
    """p = var - alpha * delta; var = sign(p) * max(|p| - alpha * l1, 0) / (1 + alpha * l2),
    in place."""

    args = ("alpha", "l1", "l2", "delta")
    grad_arg = "delta"

    def compute(
        self, var_cell: VarCell, alpha: np.ndarray, l1: np.ndarray, l2: np.ndarray, delta: Any
    ) -> np.ndarray:
        var = var_cell.read()
        self.check_grad(var, delta)
        dt = var.dtype
        alpha, l1, l2 = scalar_of(alpha, dt), scalar_of(l1, dt), scalar_of(l2, dt)
        _prox(var, var - alpha * delta, alpha, l1, l2)
        return var


@register_op("SparseApplyProximalGradientDescent")
class SparseApplyProximalGradientDescent(SparseApplyOp):
    """ApplyProximalGradientDescent on the rows `indices` of var only (a repeated index once
    per occurrence), in place."""

    args = ("alpha", "l1", "l2", "grad", "indices")

    def compute(
        self,
        var_cell: VarCell,
        alpha: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        grad: np.ndarray,
        indices: np.ndarray,
    ) -> np.ndarray:
        var = var_cell.read()
        dt = var.dtype
        alpha, l1, l2 = scalar_of(alpha, dt), scalar_of(l1, dt), scalar_of(l2, dt)
        self.apply_rows(lambda v, g: _prox(v, v - alpha * g, alpha, l1, l2), [var], grad, indices)
        return var


@register_op("ApplyProximalAdagrad")
class ApplyProximalAdagrad(ApplyOp):
    """accum += grad^2; r = lr / sqrt(accum); p = var - r * grad;
    var = sign(p) * max(|p| - r * l1, 0) / (1 + r * l2), in place."""

    n_refs = 2
    args = ("lr", "l1", "l2", "grad")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, accum = var_cell.read(), accum_cell.read()
        self.check_grad(var, grad)
        dt = var.dtype
        lr, l1, l2 = scalar_of(lr, dt), scalar_of(l1, dt), scalar_of(l2, dt)
        _proximal_adagrad_step(var, accum, grad, lr, l1, l2)
        return var


@register_op("SparseApplyProximalAdagrad")
class SparseApplyProximalAdagrad(SparseApplyOp):
    """ApplyProximalAdagrad on the rows `indices` of var and accum only (a repeated index
    once per occurrence), in place."""

    n_refs = 2
    args = ("lr", "l1", "l2", "grad", "indices")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        grad: np.ndarray,
        indices: np.ndarray,
    ) -> np.ndarray:
        var, accum = var_cell.read(), accum_cell.read()
        dt = var.dtype
        lr, l1, l2 = scalar_of(lr, dt), scalar_of(l1, dt), scalar_of(l2, dt)
        self.apply_rows(
            lambda v, a, g: _proximal_adagrad_step(v, a, g, lr, l1, l2),
            [var, accum],
            grad,
            indices,
        )
        return var


class ProximalGradientDescentOptimizer(Optimizer):
    """Gradient descent followed by the proximal operator of l1 * |w| + l2 / 2 * w^2 (FOBOS).

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "ProximalGradientDescent").
    """

    def __init__(
        self,
        learning_rate: Any,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "ProximalGradientDescent",
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return self._apply(ApplyProximalGradientDescent, [grad], var)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        return self._apply(SparseApplyProximalGradientDescent, [grad.values, grad.indices], var)

    def _apply(self, cls: Any, grad: list[Tensor], var: Any) -> Tensor:
        return apply_op(
            cls,
            [var._ref()],
            [
                self._hyper("learning_rate", self._learning_rate, var),
                self._hyper("l1_regularization_strength", self._l1, var),
                self._hyper("l2_regularization_strength", self._l2, var),
                *grad,
            ],
            use_locking=self._use_locking,
        )


class ProximalAdagradOptimizer(Optimizer):
    """Adagrad's per-coordinate step followed by the L1/L2 proximal operator (FOBOS).

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one.
        initial_accumulator_value: the accumulators' starting value; must be positive.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "ProximalAdagrad"); slots are
            `<var>/ProximalAdagrad` ("accumulator").

    Raises:
        ValueError: initial_accumulator_value is not positive.
    """

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "ProximalAdagrad",
    ) -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            init = Constant(self._initial_accumulator_value, dtype=v.dtype)
            self._get_or_make_slot_with_initializer(
                v, init, v.shape.as_list(), v.dtype, "accumulator", self._name
            )

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return self._apply(ApplyProximalAdagrad, [grad], var)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        return self._apply(SparseApplyProximalAdagrad, [grad.values, grad.indices], var)

    def _apply(self, cls: Any, grad: list[Tensor], var: Any) -> Tensor:
        acc = self.get_slot(var, "accumulator")
        return apply_op(
            cls,
            [var._ref(), acc._ref()],
            [
                self._hyper("learning_rate", self._learning_rate, var),
                self._hyper("l1_regularization_strength", self._l1, var),
                self._hyper("l2_regularization_strength", self._l2, var),
                *grad,
            ],
            use_locking=self._use_locking,
        )


__all__ = ["ProximalGradientDescentOptimizer", "ProximalAdagradOptimizer"]
