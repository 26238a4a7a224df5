"""tf.train.ExponentialMovingAverage: shadow copies of variables that track their moving
average (for evaluation with averaged weights, and for batch-norm statistics)."""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import GraphKeys, Operation, Tensor, convert_to_tensor, name_scope
from flowzero.ops import array_ops, cast_ops, control_ops, math_ops, state_ops
from flowzero.variables import Variable, get_default_graph


class ExponentialMovingAverage:
    """`shadow -= (1 - decay) * (shadow - value)` on every run of `apply()`'s op.

    Args:
        decay: the decay, e.g. 0.999.
        num_updates: an optional step count; the decay then is
            min(decay, (1 + num_updates) / (10 + num_updates)) (faster early on).
        zero_debias: accepted; flowzero's shadows start at the variable's value (TF's default).
        name: the shadow variables' suffix and the op's name scope.

    Example:
        >>> w = tf.Variable(5.0)
        >>> loss = tf.square(w)
        >>> train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        >>> ema = tf.train.ExponentialMovingAverage(0.99)
        >>> with tf.control_dependencies([train_op]):
        ...     train_op = ema.apply(tf.trainable_variables())
        >>> w_avg = ema.average(w)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train_op)
        >>> print(sess.run(w), sess.run(w_avg))   # w_avg = 0.99 * 5 + 0.01 * 4
        4.0 4.99
    """

    def __init__(
        self,
        decay: Any,
        num_updates: Any = None,
        zero_debias: bool = False,
        name: str = "ExponentialMovingAverage",
    ) -> None:
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages: dict[Any, Variable] = {}

    @property
    def name(self) -> str:
        return self._name

    def _key(self, var: Any) -> Any:
        return var if isinstance(var, (Variable, Tensor)) else convert_to_tensor(var)

    def apply(self, var_list: Any = None) -> Operation:
        """Creates the shadows of `var_list` (default: the trainable variables) on first use and
        returns the op that updates them all."""
        if var_list is None:
            var_list = get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES)
        items = list(var_list)
        for v in items:
            dt = v.dtype
            if not dt.is_floating:
                raise TypeError(
                    f"ExponentialMovingAverage: '{v.name}' has dtype {dt.name}; "
                    "only floating-point variables and tensors can be averaged."
                )
            if self._key(v) in self._averages:
                continue
            base = v.op.name
            init = v.initialized_value() if isinstance(v, Variable) else array_ops.zeros_like(v)
            shadow = Variable(
                init,
                trainable=False,
                name=f"{base}/{self._name}",
                collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.MOVING_AVERAGE_VARIABLES],
            )
            self._averages[self._key(v)] = shadow
        with name_scope(self._name):
            decay = convert_to_tensor(self._decay, dtype=dtypes.float32, name="decay")
            if self._num_updates is not None:
                n = cast_ops.cast(convert_to_tensor(self._num_updates), dtypes.float32)
                decay = math_ops.minimum(decay, (1.0 + n) / (10.0 + n))
            updates = []
            for v in items:
                shadow = self._averages[self._key(v)]
                value = v.value() if isinstance(v, Variable) else v
                rate = 1.0 - cast_ops.cast(decay, shadow.dtype)
                updates.append(state_ops.assign_sub(shadow, (shadow.value() - value) * rate))
            return control_ops.group(*updates, name=self._name)

    def average(self, var: Any) -> Variable | None:
        """The shadow variable of `var` (None if `apply` never saw it)."""
        return self._averages.get(self._key(var))

    def average_name(self, var: Any) -> str:
        """The name the shadow of `var` has (or would have) in checkpoints."""
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables: Any = None) -> dict[str, Any]:
        """{name in the checkpoint: variable} that loads the averages into the variables
        themselves (a Saver built from it evaluates with averaged weights)."""
        g = get_default_graph()
        avg_vars = (
            moving_avg_variables
            if moving_avg_variables is not None
            else g.get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES)
            + g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        )
        out: dict[str, Any] = {}
        avg_set = {id(v) for v in avg_vars}
        for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES):
            if v.op.name.endswith("/" + self._name):
                continue
            out[self.average_name(v) if id(v) in avg_set else v.op.name] = v
        return out
