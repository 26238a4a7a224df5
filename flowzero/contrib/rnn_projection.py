"""tf.contrib.rnn's projection wrappers: a dense layer after (OutputProjectionWrapper) or
before (InputProjectionWrapper) a cell, with its variables in the wrapper's own scope
(`rnn/output_projection_wrapper/kernel`, `.../bias`; the wrapped cell's variables nest below,
`rnn/output_projection_wrapper/basic_rnn_cell/kernel`), as TF 1.15's core_rnn_cell.
Composites: a matmul + bias_add per step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework.graph import Tensor, get_default_graph
from flowzero.framework.shapes import TensorShape
from flowzero.nn.rnn_cell_base import RNNCell, assert_like_rnncell
from flowzero.ops import linalg_ops, nn_ops
from flowzero.variables import zeros_initializer

__all__ = ["InputProjectionWrapper", "OutputProjectionWrapper"]


def _size(n: Any, what: str, cls: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{cls}: parameter {what} must be a positive int; got {n!r}.")
    return n


class _Projection(RNNCell):
    def __init__(
        self, cell: Any, activation: Callable[[Tensor], Tensor] | None, reuse: Any
    ) -> None:
        super().__init__(_reuse=reuse)
        assert_like_rnncell("cell", cell)
        self._cell = cell
        self._activation_fn = activation
        self._kernel: Any = None
        self._bias: Any = None

    @property
    def state_size(self) -> Any:
        return self._cell.state_size

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)

    def _project(self, x: Tensor) -> Tensor:
        y = nn_ops.bias_add(linalg_ops.matmul(x, self._kernel), self._bias)
        return self._activation_fn(y) if self._activation_fn else y


class OutputProjectionWrapper(_Projection):
    """The cell's output times `kernel` [cell.output_size, output_size] plus `bias`, then
    `activation` if given; the state passes through.

    Raises:
        ValueError: output_size is not a positive int, or the cell's output size is not an
            int.
    """

    def __init__(
        self,
        cell: Any,
        output_size: int,
        activation: Callable[[Tensor], Tensor] | None = None,
        reuse: Any = None,
    ) -> None:
        super().__init__(cell, activation, reuse)
        self._output_size = _size(output_size, "output_size", "OutputProjectionWrapper")

    @property
    def output_size(self) -> int:
        return self._output_size

    def call(self, inputs: Any, state: Any) -> tuple[Tensor, Any]:
        output, new_state = self._cell(inputs, state)
        if self._kernel is None:
            # Made after the wrapped cell's, as TF's lazy _Linear (the same variable order).
            depth = _size(self._cell.output_size, "cell.output_size", "OutputProjectionWrapper")
            self._kernel = self.add_variable(
                "kernel", [depth, self._output_size], dtype=self._dtype
            )
            self._bias = self.add_variable(
                "bias", [self._output_size], dtype=self._dtype, initializer=zeros_initializer()
            )
        return self._project(output), new_state


class InputProjectionWrapper(_Projection):
    """The inputs times `kernel` [input_depth, num_proj] plus `bias` (then `activation`),
    fed to the cell.

    Raises:
        ValueError: num_proj is not a positive int, or the input depth is unknown.
    """

    def __init__(
        self,
        cell: Any,
        num_proj: int,
        activation: Callable[[Tensor], Tensor] | None = None,
        input_size: Any = None,
        reuse: Any = None,
    ) -> None:
        super().__init__(cell, activation, reuse)
        self._num_proj = _size(num_proj, "num_proj", "InputProjectionWrapper")

    @property
    def output_size(self) -> Any:
        return self._cell.output_size

    def build(self, inputs_shape: TensorShape) -> None:
        depth = self._input_depth_of(inputs_shape)
        self._kernel = self.add_variable("kernel", [depth, self._num_proj], dtype=self._dtype)
        self._bias = self.add_variable(
            "bias", [self._num_proj], dtype=self._dtype, initializer=zeros_initializer()
        )

    def call(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        return self._cell(self._project(inputs), state)
