"""tf.train.AdagradDAOptimizer (Adagrad dual averaging) and its update ops, ApplyAdagradDA and
SparseApplyAdagradDA."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops import cast_ops, control_ops
from flowzero.ops.indexed_slices import IndexedSlices
from flowzero.runtime.state import VarCell
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of
from flowzero.train.sparse_apply import SparseApplyOp
from flowzero.variables import Constant, Variable


def _adagrad_da_step(
    var: np.ndarray,
    g: np.ndarray,
    gg: np.ndarray,
    grad: np.ndarray,
    lr: Any,
    l1: Any,
    l2: Any,
    t: Any,
) -> None:
    g += grad
    gg += np.square(grad)
    den = l2 * t * lr + np.sqrt(gg)
    if l1 > 0:
        shrunk = np.maximum(np.abs(g) - t * l1, var.dtype.type(0))
        var[...] = -lr * np.sign(g) * shrunk / den
    else:
        var[...] = -lr * g / den


@register_op("ApplyAdagradDA")
class ApplyAdagradDA(ApplyOp):
    """g += grad; gg += grad^2; var = -sign(g) * lr * max(|g| - l1 * T, 0) /
    (l2 * T * lr + sqrt(gg)) (T = global_step; no shrinkage when l1 = 0), in place."""

    n_refs = 3
    args = ("grad", "lr", "l1", "l2", "global_step")

    def compute(
        self,
        var_cell: VarCell,
        g_cell: VarCell,
        gg_cell: VarCell,
        grad: np.ndarray,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        global_step: np.ndarray,
    ) -> np.ndarray:
        var, g, gg = var_cell.read(), g_cell.read(), gg_cell.read()
        self.check_grad(var, grad)
        s = [scalar_of(x, var.dtype) for x in (lr, l1, l2, global_step)]
        _adagrad_da_step(var, g, gg, grad, *s)
        return var


@register_op("SparseApplyAdagradDA")
class SparseApplyAdagradDA(SparseApplyOp):
    """ApplyAdagradDA on the rows `indices` of var and both accumulators only (a repeated
    index once per occurrence), in place."""

    n_refs = 3
    args = ("grad", "indices", "lr", "l1", "l2", "global_step")

    def compute(
        self,
        var_cell: VarCell,
        g_cell: VarCell,
        gg_cell: VarCell,
        grad: np.ndarray,
        indices: np.ndarray,
        lr: np.ndarray,
        l1: np.ndarray,
        l2: np.ndarray,
        global_step: np.ndarray,
    ) -> np.ndarray:
        var, g, gg = var_cell.read(), g_cell.read(), gg_cell.read()
        s = [scalar_of(x, var.dtype) for x in (lr, l1, l2, global_step)]
        self.apply_rows(
            lambda v, a, b, d: _adagrad_da_step(v, a, b, d, *s), [var, g, gg], grad, indices
        )
        return var


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (Duchi et al.): the variable is recomputed each step from the
    running sum of gradients `g` and of their squares `gg`, with L1/L2 regularization scaled
    by the step count; suited to sparse linear models.

    Args:
        learning_rate: a float, a scalar Tensor or a callable returning one.
        global_step: the int64 global step Variable (required); the update uses
            global_step + 1 (read before this step's increment), as TF.
        initial_gradient_squared_accumulator_value: gg's starting value; must be positive.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "AdagradDA"); slots are
            `<var>/AdagradDA` ("gradient_accumulator") and `<var>/AdagradDA_1`
            ("gradient_squared_accumulator").

    Raises:
        ValueError: the initial value is not positive.

    Example:
        >>> w = tf.Variable(5.0)
        >>> loss = tf.square(w)
        >>> step = tf.train.get_or_create_global_step()
        >>> opt = tf.train.AdagradDAOptimizer(0.1, step, l1_regularization_strength=0.01)
        >>> train_op = opt.minimize(loss, global_step=step)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train_op)
        >>> print(sess.run(step))
        1
    """

    def __init__(
        self,
        learning_rate: Any,
        global_step: Any,
        initial_gradient_squared_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        use_locking: bool = False,
        name: str = "AdagradDA",
    ) -> None:
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError(
                "initial_gradient_squared_accumulator_value must be positive: "
                f"{initial_gradient_squared_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._global_step = global_step
        self._initial_value = initial_gradient_squared_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._step_on_worker: Tensor | None = None

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "gradient_accumulator", self._name)
            init = Constant(self._initial_value, dtype=v.dtype)
            self._get_or_make_slot_with_initializer(
                v, init, v.shape.as_list(), v.dtype, "gradient_squared_accumulator", self._name
            )

    def _prepare(self) -> None:
        step = self._global_step
        if step is None:
            raise ValueError("AdagradDAOptimizer needs a global_step Variable; got None.")
        t = step.value() if isinstance(step, Variable) else step
        self._step_on_worker = control_ops.identity(t) + 1

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        return self._apply(ApplyAdagradDA, [grad], var)

    def _apply_sparse(self, grad: IndexedSlices, var: Any) -> Tensor:
        return self._apply(SparseApplyAdagradDA, [grad.values, grad.indices], var)

    def _apply(self, cls: Any, grad: list[Tensor], var: Any) -> Tensor:
        g = self.get_slot(var, "gradient_accumulator")
        gg = self.get_slot(var, "gradient_squared_accumulator")
        assert self._step_on_worker is not None
        return apply_op(
            cls,
            [var._ref(), g._ref(), gg._ref()],
            [
                *grad,
                self._hyper("learning_rate", self._learning_rate, var),
                self._hyper("l1_regularization_strength", self._l1, var),
                self._hyper("l2_regularization_strength", self._l2, var),
                cast_ops.cast(self._step_on_worker, dtypes.int64),
            ],
            use_locking=self._use_locking,
        )


__all__ = ["AdagradDAOptimizer"]
