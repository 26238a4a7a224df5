"""The global step: tf.train.get_global_step, create_global_step, get_or_create_global_step."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import GraphKeys, Tensor, get_default_graph


def get_global_step(graph: Any = None) -> Any:
    """The global step variable of `graph` (default graph), or None.

    Looks in the GLOBAL_STEP collection, then for a tensor named 'global_step:0'.

    Raises:
        TypeError: what was found is not an integer scalar.
    """
    g = graph if graph is not None else get_default_graph()
    found = g.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise ValueError("Multiple tensors in global_step collection.")
    if found:
        step = found[0]
    else:
        try:
            step = g.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    assert_global_step(step)
    return step


def assert_global_step(global_step_tensor: Any) -> None:
    """Raises TypeError unless `global_step_tensor` is an integer scalar Variable or Tensor."""
    if not (isinstance(global_step_tensor, Tensor) or hasattr(global_step_tensor, "_ref")):
        raise TypeError(
            f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.'
        )
    if not global_step_tensor.dtype.is_integer:
        raise TypeError(
            f'Existing "global_step" does not have integer type: {global_step_tensor.dtype.name}'
        )
    shape = global_step_tensor.shape
    if shape.known is not None and len(shape.known) != 0:
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def create_global_step(graph: Any = None) -> Any:
    """Creates the int64 scalar variable "global_step" (starting at 0, not trainable) in the
    GLOBAL_STEP and GLOBAL_VARIABLES collections.

    Raises:
        ValueError: the graph already has a global step.

    Example:
        >>> w = tf.Variable(5.0)
        >>> loss = tf.square(w)
        >>> opt = tf.train.GradientDescentOptimizer(0.1)
        >>> step = tf.train.create_global_step()
        >>> train_op = opt.minimize(loss, global_step=step)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train_op)
        >>> print(sess.run(step))
        1
    """
    from flowzero.variables import Zeros, get_variable

    g = graph if graph is not None else get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError('"global_step" already exists.')
    with g.as_default(), g.name_scope(None):
        return get_variable(
            GraphKeys.GLOBAL_STEP,
            shape=[],
            dtype=dtypes.int64,
            initializer=Zeros(),
            trainable=False,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def get_or_create_global_step(graph: Any = None) -> Any:
    """The graph's global step, created first if there is none."""
    g = graph if graph is not None else get_default_graph()
    step = get_global_step(g)
    return step if step is not None else create_global_step(g)


def global_step(sess: Any, global_step_tensor: Any) -> int:
    """The global step's current value in `sess`, as a Python int."""
    return int(np.asarray(sess.run(global_step_tensor)))


__all__ = [
    "get_global_step",
    "create_global_step",
    "get_or_create_global_step",
    "assert_global_step",
    "global_step",
]
