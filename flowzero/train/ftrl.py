"""tf.train.FtrlOptimizer and its update ops, ApplyFtrl and ApplyFtrlV2 (with L2 shrinkage) and
their sparse forms."""

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


def _ftrl_step(
    var: np.ndarray,
    accum: np.ndarray,
    linear: np.ndarray,
    grad: np.ndarray,
    shrunk_grad: np.ndarray,
    lr: Any,
    l1: Any,
    l2: Any,
    lr_power: Any,
) -> None:
    """TF's FTRL-Proximal step, in place; `shrunk_grad` feeds `linear`, `grad` the accumulator."""
    dt = var.dtype
    new_accum = accum + np.square(grad)
    if lr_power == dt.type(-0.5):
        sigma = (np.sqrt(new_accum) - np.sqrt(accum)) / lr
        quadratic = np.sqrt(new_accum) / lr + dt.type(2) * l2
    else:
        sigma = (np.power(new_accum, -lr_power) - np.power(accum, -lr_power)) / lr
        quadratic = np.power(new_accum, -lr_power) / lr + dt.type(2) * l2
    linear += shrunk_grad - sigma * var
    pre_shrink = (l1 * np.sign(linear) - linear) / quadratic
    var[...] = np.where(np.abs(linear) > l1, pre_shrink, dt.type(0))
    accum[...] = new_accum


@register_op("ApplyFtrl")
class ApplyFtrl(ApplyOp):
    """accum' = accum + grad^2; linear += grad - (accum'^-p - accum^-p) / lr * var;
    var = |linear| > l1 ? (l1 * sign(linear) - linear) / (accum'^-p / lr + 2 * l2) : 0, in place
    (p = lr_power)."""

    n_refs = 3
    args = ("grad", "lr", "l1", "l2", "lr_power")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        linear_cell: VarCell,
        grad: np.ndarray,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        lr_power: np.ndarray,
    ) -> np.ndarray:
        var, accum, linear = var_cell.read(), accum_cell.read(), linear_cell.read()
        self.check_grad(var, grad)
        dt = var.dtype
        s = [scalar_of(x, dt) for x in (lr, l1, l2, lr_power)]
        _ftrl_step(var, accum, linear, grad, grad, *s)
        return var


@register_op("ApplyFtrlV2")
class ApplyFtrlV2(ApplyOp):
    """ApplyFtrl with L2 shrinkage: `linear` sees grad + 2 * l2_shrinkage * var (the
    accumulator still sums grad^2), in place."""

    n_refs = 3
    args = ("grad", "lr", "l1", "l2", "l2_shrinkage", "lr_power")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        linear_cell: VarCell,
        grad: np.ndarray,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        l2_shrinkage: np.ndarray,
        lr_power: np.ndarray,
    ) -> np.ndarray:
        var, accum, linear = var_cell.read(), accum_cell.read(), linear_cell.read()
        self.check_grad(var, grad)
        dt = var.dtype
        shrunk = grad + dt.type(2) * scalar_of(l2_shrinkage, dt) * var
        s = [scalar_of(x, dt) for x in (lr, l1, l2, lr_power)]
        _ftrl_step(var, accum, linear, grad, shrunk, *s)
        return var


def _check_linear_by_lr(self: ApplyOp) -> None:
    if self.attrs.get("multiply_linear_by_lr", False):  # (TF 2.x's attr)
        raise self.error("multiply_linear_by_lr=True is not supported; TF 1.15 has no such attr.")


@register_op("SparseApplyFtrl")
class SparseApplyFtrl(SparseApplyOp):
    """ApplyFtrl on the rows `indices` of var, accum and linear only (a repeated index once
    per occurrence), in place."""

    n_refs = 3
    args = ("grad", "indices", "lr", "l1", "l2", "lr_power")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        linear_cell: VarCell,
        grad: np.ndarray,
        indices: np.ndarray,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        lr_power: np.ndarray,
    ) -> np.ndarray:
        _check_linear_by_lr(self)
        var, accum, linear = var_cell.read(), accum_cell.read(), linear_cell.read()
        s = [scalar_of(x, var.dtype) for x in (lr, l1, l2, lr_power)]
        self.apply_rows(
            lambda v, a, n, g: _ftrl_step(v, a, n, g, g, *s), [var, accum, linear], grad, indices
        )
        return var


@register_op("SparseApplyFtrlV2")
class SparseApplyFtrlV2(SparseApplyOp):
    """ApplyFtrlV2 on the rows `indices` of var, accum and linear only (a repeated index once
    per occurrence), in place."""

    n_refs = 3
    args = ("grad", "indices", "lr", "l1", "l2", "l2_shrinkage", "lr_power")

    def compute(
        self,
        var_cell: VarCell,
        accum_cell: VarCell,
        linear_cell: VarCell,
        grad: np.ndarray,
        indices: np.ndarray,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        l2_shrinkage: np.ndarray,
        lr_power: np.ndarray,
    ) -> np.ndarray:
        _check_linear_by_lr(self)
        var, accum, linear = var_cell.read(), accum_cell.read(), linear_cell.read()
        dt = var.dtype
        twice_shrink = dt.type(2) * scalar_of(l2_shrinkage, dt)
        s = [scalar_of(x, dt) for x in (lr, l1, l2, lr_power)]

        def step(v: np.ndarray, a: np.ndarray, n: np.ndarray, g: np.ndarray) -> None:
            _ftrl_step(v, a, n, g, g + twice_shrink * v, *s)

        self.apply_rows(step, [var, accum, linear], grad, indices)
        return var


class FtrlOptimizer(Optimizer):
    """FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches"), TF1's
    formulation with L1, L2 and optional L2 shrinkage (applied to the gradient only).

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one.
        learning_rate_power: how the per-coordinate rate falls with the accumulator (<= 0;
            -0.5 is Adagrad-like, 0 a constant rate).
        initial_accumulator_value: the accumulators' starting value (>= 0).
        l1_regularization_strength, l2_regularization_strength: >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "Ftrl").
        accum_name, linear_name: the slots' name suffixes (default: `name`, so the slots are
            `<var>/Ftrl` (accum) and `<var>/Ftrl_1` (linear), as TF names them).
        l2_shrinkage_regularization_strength: > 0 uses ApplyFtrlV2.

    Raises:
        ValueError: a hyper-parameter out of its range.

    Example:
        >>> w = tf.Variable(5.0)
        >>> loss = tf.square(w)
        >>> train_op = tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01).minimize(loss)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train_op)
        >>> print(sess.run(w))
        4.7419147
    """

    def __init__(
        self,
        learning_rate: Any,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "Ftrl",
        accum_name: str | None = None,
        linear_name: str | None = None,
        l2_shrinkage_regularization_strength: float = 0.0,
    ) -> None:
        super().__init__(use_locking, name)
        checks = [
            (initial_accumulator_value, "initial_accumulator_value", "positive or zero"),
            (l1_regularization_strength, "l1_regularization_strength", "positive or zero"),
            (l2_regularization_strength, "l2_regularization_strength", "positive or zero"),
            (
                l2_shrinkage_regularization_strength,
                "l2_shrinkage_regularization_strength",
                "positive or zero",
            ),
        ]
        for value, what, need in checks:
            if value < 0.0:
                raise ValueError(f"{what} {value} needs to be {need}")
        if learning_rate_power > 0.0:
            raise ValueError(
                f"learning_rate_power {learning_rate_power} needs to be negative or zero"
            )
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            init = Constant(self._initial_accumulator_value, dtype=v.dtype)
            self._get_or_make_slot_with_initializer(
                v, init, v.shape.as_list(), v.dtype, "accum", self._accum_name or self._name
            )
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return self._apply([grad], var)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        return self._apply([grad.values, grad.indices], var)

    def _apply(self, grad: list[Tensor], var: Any) -> Tensor:
        sparse = len(grad) == 2
        accum, linear = self.get_slot(var, "accum"), self.get_slot(var, "linear")
        h = [
            self._hyper("learning_rate", self._learning_rate, var),
            self._hyper("l1_regularization_strength", self._l1, var),
            self._hyper("l2_regularization_strength", self._l2, var),
        ]
        power = self._hyper("learning_rate_power", self._learning_rate_power, var)
        refs = [var._ref(), accum._ref(), linear._ref()]
        if self._l2_shrinkage <= 0.0:
            cls: Any = SparseApplyFtrl if sparse else ApplyFtrl
            return apply_op(cls, refs, [*grad, *h, power], use_locking=self._use_locking)
        shrink = self._hyper("l2_shrinkage_regularization_strength", self._l2_shrinkage, var)
        cls = SparseApplyFtrlV2 if sparse else ApplyFtrlV2
        return apply_op(cls, refs, [*grad, *h, shrink, power], use_locking=self._use_locking)


__all__ = ["FtrlOptimizer"]
