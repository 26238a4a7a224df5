"""tf.train.RMSPropOptimizer and its update ops, ApplyRMSProp and ApplyCenteredRMSProp and their
sparse forms."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops.indexed_slices import IndexedSlices
from flowzero.runtime.state import VarCell
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of
from flowzero.train.sparse_apply import SparseApplyOp
from flowzero.variables import Ones


def _rmsprop_step(
    var: np.ndarray,
    ms: np.ndarray,
    mom: np.ndarray,
    grad: np.ndarray,
    lr: Any,
    rho: Any,
    momentum: Any,
    epsilon: Any,
) -> None:
    ms += (np.square(grad) - ms) * (var.dtype.type(1) - rho)
    mom *= momentum
    mom += (grad * lr) / np.sqrt(ms + epsilon)
    var -= mom


def _centered_rmsprop_step(
    var: np.ndarray,
    mg: np.ndarray,
    ms: np.ndarray,
    mom: np.ndarray,
    grad: np.ndarray,
    lr: Any,
    rho: Any,
    momentum: Any,
    epsilon: Any,
) -> None:
    one_minus_rho = var.dtype.type(1) - rho
    ms += (np.square(grad) - ms) * one_minus_rho
    mg += (grad - mg) * one_minus_rho
    denom = (ms - np.square(mg)) + epsilon
    mom *= momentum
    mom += (grad * lr) / np.sqrt(denom)
    var -= mom


def _scalars(dt: np.dtype, *xs: np.ndarray) -> list[Any]:
    return [scalar_of(x, dt) for x in xs]


@register_op("ApplyRMSProp")
class ApplyRMSProp(ApplyOp):
    """ms += (grad^2 - ms) * (1 - rho); mom = mom * momentum + lr * grad / sqrt(ms + epsilon);
    var -= mom, in place."""

    n_refs = 3
    args = ("lr", "rho", "momentum", "epsilon", "grad")

    def compute(
        self,
        var_cell: VarCell,
        ms_cell: VarCell,
        mom_cell: VarCell,
        lr: np.ndarray,
        rho: np.ndarray,
        momentum: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, ms, mom = var_cell.read(), ms_cell.read(), mom_cell.read()
        self.check_grad(var, grad)
        _rmsprop_step(var, ms, mom, grad, *_scalars(var.dtype, lr, rho, momentum, epsilon))
        return var


@register_op("SparseApplyRMSProp")
class SparseApplyRMSProp(SparseApplyOp):
    """ApplyRMSProp on the rows `indices` of var, ms and mom only (a repeated index once per
    occurrence), in place."""

    n_refs = 3
    args = ("lr", "rho", "momentum", "epsilon", "grad", "indices")

    def compute(
        self,
        var_cell: VarCell,
        ms_cell: VarCell,
        mom_cell: VarCell,
        lr: np.ndarray,
        rho: np.ndarray,
        momentum: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
        indices: np.ndarray,
    ) -> np.ndarray:
        var, ms, mom = var_cell.read(), ms_cell.read(), mom_cell.read()
        s = _scalars(var.dtype, lr, rho, momentum, epsilon)
        self.apply_rows(
            lambda v, a, b, g: _rmsprop_step(v, a, b, g, *s), [var, ms, mom], grad, indices
        )
        return var


@register_op("ApplyCenteredRMSProp")
class ApplyCenteredRMSProp(ApplyOp):
    """ms += (grad^2 - ms) * (1 - rho); mg += (grad - mg) * (1 - rho);
    mom = mom * momentum + lr * grad / sqrt(ms - mg^2 + epsilon); var -= mom, in place."""

    n_refs = 4
    args = ("lr", "rho", "momentum", "epsilon", "grad")

    def compute(
        self,
        var_cell: VarCell,
        mg_cell: VarCell,
        ms_cell: VarCell,
        mom_cell: VarCell,
        lr: np.ndarray,
        rho: np.ndarray,
        momentum: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
    ) -> np.ndarray:
        var, mg = var_cell.read(), mg_cell.read()
        ms, mom = ms_cell.read(), mom_cell.read()
        self.check_grad(var, grad)
        s = _scalars(var.dtype, lr, rho, momentum, epsilon)
        _centered_rmsprop_step(var, mg, ms, mom, grad, *s)
        return var


@register_op("SparseApplyCenteredRMSProp")
class SparseApplyCenteredRMSProp(SparseApplyOp):
    """ApplyCenteredRMSProp on the rows `indices` of var, mg, ms and mom only (a repeated
    index once per occurrence), in place."""

    n_refs = 4
    args = ("lr", "rho", "momentum", "epsilon", "grad", "indices")

    def compute(
        self,
        var_cell: VarCell,
        mg_cell: VarCell,
        ms_cell: VarCell,
        mom_cell: VarCell,
        lr: np.ndarray,
        rho: np.ndarray,
        momentum: np.ndarray,
        epsilon: np.ndarray,
        grad: np.ndarray,
        indices: np.ndarray,
    ) -> np.ndarray:
        var, mg = var_cell.read(), mg_cell.read()
        ms, mom = ms_cell.read(), mom_cell.read()
        s = _scalars(var.dtype, lr, rho, momentum, epsilon)
        self.apply_rows(
            lambda v, a, b, c, g: _centered_rmsprop_step(v, a, b, c, g, *s),
            [var, mg, ms, mom],
            grad,
            indices,
        )
        return var


class RMSPropOptimizer(Optimizer):
    """RMSProp (Hinton's lecture 6e) as TF1 implements it::

        ms = decay * ms + (1 - decay) * grad^2          # the "rms" slot starts at ONES
        mom = momentum * mom + learning_rate * grad / sqrt(ms + epsilon)
        variable -= mom

    centered=True also tracks mg, the mean gradient, and divides by sqrt(ms - mg^2 + epsilon).

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one.
        decay: discounting factor of the gradient history (TF calls it rho in the op).
        momentum: momentum factor.
        epsilon: added inside the square root (TF1's default 1e-10).
        use_locking: accepted for TF compatibility.
        centered: normalize by the gradient's estimated variance instead of its second moment.
        name: name scope of the update ops (default "RMSProp"); slots are `<var>/RMSProp`
            (rms), `<var>/RMSProp_1` (mg if centered, else momentum), ...
    """

    def __init__(
        self,
        learning_rate: Any,
        decay: Any = 0.9,
        momentum: Any = 0.0,
        epsilon: Any = 1e-10,
        use_locking: bool = False,
        centered: bool = False,
        name: str = "RMSProp",
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = bool(centered)

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._get_or_make_slot_with_initializer(
                v, Ones(dtype=v.dtype), v.shape.as_list(), v.dtype, "rms", self._name
            )
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return self._apply(grad, None, var)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        return self._apply(grad.values, grad.indices, var)

    def _apply(self, grad: Tensor, indices: Tensor | None, var: Any) -> Tensor:
        rms, mom = self.get_slot(var, "rms"), self.get_slot(var, "momentum")
        tail = [grad] if indices is None else [grad, indices]
        scalars = [
            self._hyper("learning_rate", self._learning_rate, var),
            self._hyper("decay", self._decay, var),
            self._hyper("momentum", self._momentum, var),
            self._hyper("epsilon", self._epsilon, var),
        ]
        if self._centered:
            mg = self.get_slot(var, "mg")
            return apply_op(
                ApplyCenteredRMSProp if indices is None else SparseApplyCenteredRMSProp,
                [var._ref(), mg._ref(), rms._ref(), mom._ref()],
                [*scalars, *tail],
                use_locking=self._use_locking,
            )
        return apply_op(
            ApplyRMSProp if indices is None else SparseApplyRMSProp,
            [var._ref(), rms._ref(), mom._ref()],
            [*scalars, *tail],
            use_locking=self._use_locking,
        )


__all__ = ["RMSPropOptimizer"]
