"""DistributedOptimizer: any tf.train optimizer, with its gradients averaged over all ranks."""

from __future__ import annotations

from typing import Any

from flowzero.framework.graph import Operation, Tensor
from flowzero.train.optimizer import Optimizer
from flowzero.variables import Variable

from .ops import Average, Sum, grouped_allreduce


class DistributedOptimizer(Optimizer):
    """Wraps an optimizer so that every step uses the gradients averaged over all ranks.

    `compute_gradients` asks the wrapped optimizer for the gradients, then feeds ALL of them
    through one MpiGroupedAllreduce op: one fused flat buffer (per dtype) and one MPI
    collective per step, not one per variable. `apply_gradients` is the wrapped optimizer's,
    unchanged, so every rank applies the same update to the same weights (start them equal with
    `broadcast_global_variables(0)`).

    With one rank the allreduce is the identity and training is exactly the wrapped optimizer's.

    Args:
        optimizer: a tf.train.Optimizer (GradientDescentOptimizer, AdamOptimizer, ...).
        name: name scope of the allreduce (default "Distributed" + the optimizer's name).
        use_locking: accepted for TF compatibility.
        average: average the gradients (default); False sums them.

    Example:
        >>> import flowzero.distributed as dist   # run alone (no mpirun): size() == 1
        >>> w = tf.Variable([1.0, 2.0])
        >>> loss = tf.reduce_sum(w * w)
        >>> opt = tf.train.GradientDescentOptimizer(0.1 * dist.size())
        >>> train_op = dist.DistributedOptimizer(opt).minimize(loss)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train_op)   # w -= 0.1 * the ranks' mean gradient 2 w
        >>> sess.run(w)
        array([0.8, 1.6], dtype=float32)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        name: str | None = None,
        use_locking: bool = False,
        average: bool = True,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer wraps a tf.train.Optimizer; got {optimizer!r}.")
        super().__init__(use_locking, name or "Distributed" + optimizer.get_name())
        self._optimizer = optimizer
        self._reduce_op = Average if average else Sum

    def compute_gradients(self, *args: Any, **kwargs: Any) -> list[tuple[Tensor | None, Variable]]:
        """The wrapped optimizer's (gradient, variable) pairs, every gradient replaced by its
        average over all ranks (None gradients stay None)."""
        pairs = self._optimizer.compute_gradients(*args, **kwargs)
        grads = [g for g, _ in pairs if g is not None]
        if not grads:
            return pairs
        with grads[0].graph.as_default(), grads[0].graph.name_scope(self._name):
            reduced = iter(grouped_allreduce(grads, op=self._reduce_op, name="allreduce"))
        return [(None if g is None else next(reduced), v) for g, v in pairs]

    def apply_gradients(
        self, grads_and_vars: Any, global_step: Any = None, name: str | None = None
    ) -> Operation:
        """The wrapped optimizer's apply_gradients (pass the averaged pairs from
        compute_gradients)."""
        return self._optimizer.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def get_slot(self, var: Any, name: str) -> Variable | None:
        return self._optimizer.get_slot(var, name)

    def get_slot_names(self) -> list[str]:
        return self._optimizer.get_slot_names()

    def variables(self) -> list[Variable]:
        return self._optimizer.variables()


__all__ = ["DistributedOptimizer"]
