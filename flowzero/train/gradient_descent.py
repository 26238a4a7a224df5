"""tf.train.GradientDescentOptimizer and its update op, ApplyGradientDescent."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.framework.registry import register_op
from flowzero.ops import cast_ops, scatter_ops
from flowzero.ops.indexed_slices import IndexedSlices
from flowzero.runtime.state import VarCell
from flowzero.train.optimizer import ApplyOp, Optimizer, apply_op, scalar_of


@register_op("ApplyGradientDescent")
class ApplyGradientDescent(ApplyOp):
    """var -= alpha * delta, in place."""

    args = ("alpha", "delta")
    grad_arg = "delta"

    def compute(self, var_cell: VarCell, alpha: np.ndarray, delta: np.ndarray) -> np.ndarray:
        var = var_cell.read()
        self.check_grad(var, delta)
        var -= delta * scalar_of(alpha, var.dtype)
        return var


class GradientDescentOptimizer(Optimizer):
    """Plain gradient descent: var -= learning_rate * grad.

    Args:
        learning_rate: a float, a scalar Tensor (e.g. tf.train.exponential_decay) or a callable
            returning one.
        use_locking: accepted for TF compatibility.
        name: name scope of the update ops (default "GradientDescent").

    Example:
        >>> w = tf.Variable(5.0)
        >>> cross_entropy = tf.square(w)
        >>> train_op = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train_op)
        >>> print(sess.run(w))   # 5 - 0.5 * 10
        0.0
    """

    def __init__(
        self, learning_rate: Any, use_locking: bool = False, name: str = "GradientDescent"
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad: Tensor, var: Any) -> Tensor:
        lr = self._hyper("learning_rate", self._learning_rate, var)
        return apply_op(
            ApplyGradientDescent, [var._ref()], [lr, grad], use_locking=self._use_locking
        )

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices, var: Any) -> Tensor:
        """var[indices] -= lr * values (ScatterSub, as TF: repeated indices need no summing
        first, the scatter accumulates them)."""
        lr = self._hyper("learning_rate", self._learning_rate, var)
        if lr.dtype is not var.dtype:
            lr = cast_ops.cast(lr, var.dtype)
        return scatter_ops.scatter_sub(
            var, grad.indices, grad.values * lr, use_locking=self._use_locking
        )


__all__ = ["GradientDescentOptimizer"]
