"""tf.contrib.seq2seq.BasicDecoder: an RNN cell + a Helper (+ an optional output layer) as a
Decoder for dynamic_decode (TF 1.15 semantics)."""

from __future__ import annotations

import collections
from typing import Any

from flowzero.contrib.seq2seq.decoder import Decoder
from flowzero.contrib.seq2seq.helper import Helper
from flowzero.framework import nest
from flowzero.framework.graph import Tensor, name_scope
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.layers.base import Layer
from flowzero.nn.rnn_cell_base import assert_like_rnncell


class BasicDecoderOutput(collections.namedtuple("BasicDecoderOutput", ("rnn_output", "sample_id"))):
    """One step's (or, stacked, all steps') output of a BasicDecoder: the cell's (projected)
    output and the helper's sample ids."""

    __slots__ = ()


def _layer_output_shape(layer: Any, input_shape: TensorShape) -> TensorShape:
    """The layer's output shape for inputs of `input_shape` (TF's compute_output_shape)."""
    if hasattr(layer, "compute_output_shape"):
        return as_shape(layer.compute_output_shape(input_shape))
    units = getattr(layer, "units", None)
    if units is not None:  # a Dense layer: only the last axis changes
        return input_shape[:-1].concatenate([units])
    raise TypeError(
        f"BasicDecoder: cannot tell the output shape of the output_layer {layer!r}; give it "
        "a compute_output_shape(input_shape) method."
    )


class BasicDecoder(Decoder):
    """Sampling decoder: each step runs the cell, applies `output_layer`, asks the helper for
    sample ids and the next inputs.

    Args:
        cell: an RNNCell.
        helper: a Helper (TrainingHelper, GreedyEmbeddingHelper, ...).
        initial_state: the cell's initial state (e.g. the encoder's final state).
        output_layer: an optional tf.layers Layer (e.g. tf.layers.Dense(vocab_size)) applied
            to the cell's output before sampling.

    Raises:
        TypeError: cell is not an RNNCell, helper not a Helper, output_layer not a Layer.

    Example:
        >>> embedding = tf.get_variable("embedding", [10, 8])    # 10 ids, 8-d vectors
        >>> helper = tf.contrib.seq2seq.GreedyEmbeddingHelper(
        ...     embedding, start_tokens=tf.fill([4], 1), end_token=2)
        >>> cell = tf.nn.rnn_cell.GRUCell(16)
        >>> decoder = tf.contrib.seq2seq.BasicDecoder(
        ...     cell, helper, cell.zero_state(4, tf.float32), output_layer=tf.layers.Dense(10))
        >>> outputs, _, lengths = tf.contrib.seq2seq.dynamic_decode(
        ...     decoder, maximum_iterations=20)
        >>> outputs.sample_id.shape, outputs.sample_id.dtype     # [batch, time]
        (TensorShape([4, None]), tf.int32)
    """

    def __init__(
        self, cell: Any, helper: Helper, initial_state: Any, output_layer: Any = None
    ) -> None:
        assert_like_rnncell("cell", cell)
        if not isinstance(helper, Helper):
            raise TypeError(f"helper must be a Helper, received: {type(helper)}")
        if output_layer is not None and not isinstance(output_layer, Layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._helper = helper
        self._initial_state = initial_state
        self._output_layer = output_layer

    @property
    def batch_size(self) -> Any:
        return self._helper.batch_size

    def _rnn_output_size(self) -> Any:
        size = self._cell.output_size
        if self._output_layer is None:
            return size
        # The layer's output shape for inputs of the cell's output shape, batch unknown.
        return nest.map_structure(
            lambda s: _layer_output_shape(
                self._output_layer, TensorShape([None]).concatenate(as_shape(s))
            )[1:],
            size,
        )

    @property
    def output_size(self) -> BasicDecoderOutput:
        return BasicDecoderOutput(
            rnn_output=self._rnn_output_size(), sample_id=self._helper.sample_ids_shape
        )

    @property
    def output_dtype(self) -> BasicDecoderOutput:
        dtype = nest.flatten(self._initial_state)[0].dtype
        return BasicDecoderOutput(
            nest.map_structure(lambda _: dtype, self._rnn_output_size()),
            self._helper.sample_ids_dtype,
        )

    def initialize(self, name: str | None = None) -> tuple[Any, Any, Any]:
        """`(finished, first_inputs, initial_state)`."""
        return (*self._helper.initialize(), self._initial_state)

    def step(
        self, time: Tensor, inputs: Any, state: Any, name: str | None = None
    ) -> tuple[BasicDecoderOutput, Any, Any, Tensor]:
        """`(BasicDecoderOutput, next_state, next_inputs, finished)` of one step."""
        with name_scope(name, "BasicDecoderStep"):
            cell_outputs, cell_state = self._cell(inputs, state)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            sample_ids = self._helper.sample(time=time, outputs=cell_outputs, state=cell_state)
            finished, next_inputs, next_state = self._helper.next_inputs(
                time=time, outputs=cell_outputs, state=cell_state, sample_ids=sample_ids
            )
        return BasicDecoderOutput(cell_outputs, sample_ids), next_state, next_inputs, finished


__all__ = ["BasicDecoder", "BasicDecoderOutput"]
