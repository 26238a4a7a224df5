"""tf.contrib.eager (`import tensorflow.contrib.eager as tfe`): eager execution's helpers.

tfe = tf.contrib.eager
tf.enable_eager_execution()
w = tfe.Variable(2.0)
grad = tfe.implicit_gradients(lambda x: tf.square(w * x))
grad(3.0)   # [(<gradient 36.0>, w)]
"""

from __future__ import annotations

from collections.abc import Iterator as PyIterator
from typing import Any

from flowzero.eager import (
    GradientTape,
    enable_eager_execution,
    executing_eagerly,
    gradients_function,
    implicit_gradients,
    implicit_value_and_gradients,
    value_and_gradients_function,
)
from flowzero.eager.function import defun
from flowzero.eager.saving import Saver
from flowzero.train.checkpoint import Checkpoint
from flowzero.variables import Variable


class Iterator:
    """Iterates over a tf.data.Dataset eagerly (TF's tfe.Iterator): each element as eager
    tensors, in the dataset's structure."""

    def __init__(self, dataset: Any) -> None:
        if not executing_eagerly():
            raise RuntimeError("tfe.Iterator is only supported when eager execution is enabled.")
        self._next = dataset.make_one_shot_iterator()
        self._dataset = dataset

    def __iter__(self) -> PyIterator[Any]:
        return self

    def __next__(self) -> Any:
        from flowzero.framework import errors

        try:
            return self._next.get_next()
        except errors.OutOfRangeError:
            raise StopIteration from None

    def next(self) -> Any:
        return self.__next__()

    def get_next(self) -> Any:
        return self._next.get_next()


def num_gpus() -> int:
    return 0


def run(main: Any = None, argv: Any = None) -> None:
    """Enables eager execution, then runs `main` as tf.app.run does."""
    enable_eager_execution()
    from flowzero.platform import app

    app.run(main=main, argv=argv)


__all__ = [
    "Checkpoint",
    "GradientTape",
    "Iterator",
    "Saver",
    "Variable",
    "defun",
    "enable_eager_execution",
    "executing_eagerly",
    "gradients_function",
    "implicit_gradients",
    "implicit_value_and_gradients",
    "num_gpus",
    "run",
    "value_and_gradients_function",
]
