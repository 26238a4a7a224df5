"""TF1 eager execution: `tf.enable_eager_execution()`, eager tensors, tf.GradientTape, and the
gradient functions of tf.contrib.eager. The ops are the graph-mode OpDefs, run at once."""

from flowzero.eager.backprop import (
    GradientTape,
    gradients_function,
    implicit_gradients,
    implicit_value_and_gradients,
    value_and_gradients_function,
)
from flowzero.eager.context import (
    EagerGraph,
    EagerTensor,
    enable_eager_execution,
    executing_eagerly,
)

__all__ = [
    "EagerGraph",
    "EagerTensor",
    "GradientTape",
    "enable_eager_execution",
    "executing_eagerly",
    "gradients_function",
    "implicit_gradients",
    "implicit_value_and_gradients",
    "value_and_gradients_function",
]
