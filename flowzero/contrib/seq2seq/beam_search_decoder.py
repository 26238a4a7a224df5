"""tf.contrib.seq2seq.BeamSearchDecoder (TF 1.15 semantics): a Decoder for dynamic_decode
that keeps the `beam_width` best partial sequences of every batch entry (one step:
beam_search.py); `finalize` backtracks the parent pointers with the GatherTree op into whole
sequences. The cell sees a batch of batch_size * beam_width entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.contrib.seq2seq.basic_decoder import _layer_output_shape
from flowzero.contrib.seq2seq.beam_search import (
    BeamSearchDecoderOutput,
    BeamSearchDecoderState,
    FinalBeamSearchDecoderOutput,
    _as_depth_shape,
    _beam_search_step,
    _check_maybe,
    _static_dim,
    gather_tree_from_array,
    get_attention_probs,
    tile_batch,
)
from flowzero.contrib.seq2seq.decoder import Decoder
from flowzero.contrib.seq2seq.helper import _embedding_fn
from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, get_default_graph, name_scope
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.layers.base import Layer
from flowzero.nn.rnn_cell_base import assert_like_rnncell
from flowzero.ops import (
    array_ops,
    cast_ops,
    check_ops,
    indexing_ops,
    manip_ops,
    reduction_ops,
    reshape_ops,
)
from flowzero.ops.beam_search_ops import gather_tree
from flowzero.ops.control_flow_ops import cond
from flowzero.ops.tensor_array_ops import TensorArray
from flowzero.platform import tf_logging


# -- the decoder -------------------------------------------------------------------------------
class BeamSearchDecoder(Decoder):
    """Beam search decoding (for inference): keeps the `beam_width` best partial sequences
    of every batch entry.

    With an AttentionWrapper cell, tile the memory, its lengths and the encoder state with
    `tile_batch(..., multiplier=beam_width)` and build the initial state with
    `zero_state(batch_size * beam_width, dtype)`.

    Args:
        cell: an RNNCell.
        embedding: a callable `ids -> vectors`, or the params of embedding_lookup.
        start_tokens: int32 vector [batch_size].
        end_token: int32 scalar.
        initial_state: the cell state for batch_size * beam_width entries (tiled).
        beam_width: the number of beams.
        output_layer: an optional Layer applied to the cell's outputs (to vocab logits).
        length_penalty_weight: alpha of the length penalty ((5 + len) / 6) ** alpha.
        coverage_penalty_weight: beta of the coverage penalty (needs an attentional cell).
        reorder_tensor_arrays: reorder TensorArrays of the final cell state (alignment
            history) along the beams' parent chains.

    Raises:
        TypeError: cell not an RNNCell, output_layer not a Layer.
        ValueError: start_tokens not a vector, end_token not a scalar.

    Example:
        >>> encoder_state = tf.zeros([3, 16])                  # batch of 3
        >>> cell = tf.nn.rnn_cell.GRUCell(16)
        >>> decoder = tf.contrib.seq2seq.BeamSearchDecoder(
        ...     cell, tf.get_variable("embedding", [10, 8]), start_tokens=tf.fill([3], 1),
        ...     end_token=2, initial_state=tf.contrib.seq2seq.tile_batch(encoder_state, 4),
        ...     beam_width=4, output_layer=tf.layers.Dense(10))
        >>> out, _, _ = tf.contrib.seq2seq.dynamic_decode(decoder, maximum_iterations=20)
        >>> out.predicted_ids.shape                # [batch, time, beam], best beam first
        TensorShape([3, None, 4])
    """

    def __init__(
        self,
        cell: Any,
        embedding: Any,
        start_tokens: Any,
        end_token: Any,
        initial_state: Any,
        beam_width: int,
        output_layer: Any = None,
        length_penalty_weight: float = 0.0,
        coverage_penalty_weight: float = 0.0,
        reorder_tensor_arrays: bool = True,
    ) -> None:
        assert_like_rnncell("cell", cell)
        if output_layer is not None and not isinstance(output_layer, Layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._output_layer = output_layer
        self._reorder_tensor_arrays = reorder_tensor_arrays
        self._embedding_fn = _embedding_fn(embedding)
        self._start_tokens = convert_to_tensor(
            start_tokens, dtype=dtypes.int32, name="start_tokens"
        )
        if self._start_tokens.shape.ndims != 1:
            raise ValueError(
                f"BeamSearchDecoder: start_tokens must be a vector; got shape "
                f"{self._start_tokens.shape}."
            )
        self._end_token = convert_to_tensor(end_token, dtype=dtypes.int32, name="end_token")
        if self._end_token.shape.ndims != 0:
            raise ValueError(
                f"BeamSearchDecoder: end_token must be a scalar; got shape {self._end_token.shape}."
            )
        known_batch = self._start_tokens.shape.as_list()[0]
        self._batch_size: Any = (
            known_batch if known_batch is not None else array_ops.size(self._start_tokens)
        )
        self._beam_width = int(beam_width)
        self._length_penalty_weight = length_penalty_weight
        self._coverage_penalty_weight = coverage_penalty_weight
        self._initial_cell_state = nest.map_structure(
            self._maybe_split_batch_beams, initial_state, self._cell.state_size
        )
        self._start_tokens = manip_ops.tile(
            reshape_ops.expand_dims(self._start_tokens, 1), [1, self._beam_width]
        )
        self._start_inputs = self._embedding_fn(self._start_tokens)
        self._finished = array_ops.zeros(
            array_ops.stack([self._batch_size, self._beam_width]), dtype=dtypes.bool
        )
        self._finished.set_shape([known_batch, self._beam_width])

    @property
    def batch_size(self) -> Any:
        return self._batch_size

    def _rnn_output_size(self) -> Any:
        size = self._cell.output_size
        if self._output_layer is None:
            return size
        return nest.map_structure(
            lambda s: _layer_output_shape(
                self._output_layer, TensorShape([None]).concatenate(as_shape(s))
            )[1:],
            size,
        )

    @property
    def tracks_own_finished(self) -> bool:
        """True: beams are reordered each step, so dynamic_decode must take this decoder's
        finished flags as they are."""
        return True

    @property
    def output_size(self) -> BeamSearchDecoderOutput:
        shape = TensorShape([self._beam_width])
        return BeamSearchDecoderOutput(scores=shape, predicted_ids=shape, parent_ids=shape)

    @property
    def output_dtype(self) -> BeamSearchDecoderOutput:
        dtype = nest.flatten(self._initial_cell_state)[0].dtype
        return BeamSearchDecoderOutput(
            scores=nest.map_structure(lambda _: dtype, self._rnn_output_size()),
            predicted_ids=dtypes.int32,
            parent_ids=dtypes.int32,
        )

    def initialize(self, name: str | None = None) -> tuple[Tensor, Tensor, BeamSearchDecoderState]:
        """`(finished, start_inputs, initial_state)`: only beam 0 is live at first (the
        others have log probability -inf), so the first step expands one beam."""
        finished, start_inputs = self._finished, self._start_inputs
        dtype = nest.flatten(self._initial_cell_state)[0].dtype
        first = array_ops.zeros(array_ops.stack([self._batch_size]), dtype=dtypes.int32)
        first.set_shape(self._finished.shape[:1])
        log_probs = indexing_ops.one_hot(
            first,
            depth=self._beam_width,
            on_value=np.zeros((), dtype.np),
            off_value=np.asarray(-np.inf, dtype.np),
            dtype=dtype,
        )
        init_attention_probs = get_attention_probs(
            self._initial_cell_state, self._coverage_penalty_weight
        )
        if init_attention_probs is None:
            init_attention_probs = ()
        lengths = array_ops.zeros(
            array_ops.stack([self._batch_size, self._beam_width]), dtype=dtypes.int64
        )
        lengths.set_shape(self._finished.shape)
        initial_state = BeamSearchDecoderState(
            cell_state=self._initial_cell_state,
            log_probs=log_probs,
            finished=finished,
            lengths=lengths,
            accumulated_attention_probs=init_attention_probs,
        )
        return finished, start_inputs, initial_state

    def finalize(
        self,
        outputs: BeamSearchDecoderOutput,
        final_state: BeamSearchDecoderState,
        sequence_lengths: Any,
    ) -> tuple[FinalBeamSearchDecoderOutput, BeamSearchDecoderState]:
        """Backtracks the parent ids into whole sequences (GatherTree)."""
        del sequence_lengths
        max_sequence_lengths = cast_ops.cast(
            reduction_ops.reduce_max(final_state.lengths, axis=1), dtypes.int32
        )
        predicted_ids = gather_tree(
            outputs.predicted_ids,
            outputs.parent_ids,
            max_sequence_lengths=max_sequence_lengths,
            end_token=self._end_token,
        )
        if self._reorder_tensor_arrays:
            final_state = final_state._replace(
                cell_state=nest.map_structure(
                    lambda t: self._maybe_sort_array_beams(
                        t, outputs.parent_ids, final_state.lengths
                    ),
                    final_state.cell_state,
                )
            )
        return (
            FinalBeamSearchDecoderOutput(
                beam_search_decoder_output=outputs, predicted_ids=predicted_ids
            ),
            final_state,
        )

    def _merge_batch_beams(self, t: Tensor, s: Any = None) -> Tensor:
        """[batch, beam, ...] -> [batch * beam, ...]."""
        depth = _as_depth_shape(s)
        static_batch = _static_dim(self._batch_size)
        out = reshape_ops.reshape(
            t,
            manip_ops.concat(
                [
                    reshape_ops.reshape(self._batch_size * self._beam_width, [1]),
                    array_ops.shape(t)[2:],
                ],
                0,
            ),
        )
        out.set_shape(
            TensorShape(
                [None if static_batch is None else static_batch * self._beam_width]
            ).concatenate(depth)
        )
        return out

    def _split_batch_beams(self, t: Tensor, s: Any = None) -> Tensor:
        """[batch * beam, ...] -> [batch, beam, ...].

        Raises:
            ValueError: the static shapes do not fit [batch, beam_width] + s.
        """
        depth = _as_depth_shape(s)
        expected = TensorShape([_static_dim(self._batch_size), self._beam_width]).concatenate(depth)
        static_batch = _static_dim(self._batch_size)
        dims = t.shape.as_list() if t.shape.ndims else []
        lead = dims[0] if dims else None
        if (
            lead is not None
            and static_batch is not None
            and lead != static_batch * self._beam_width
        ) or not TensorShape(dims[1:] if dims else None).is_compatible_with(depth):
            raise ValueError(
                f"Unexpected behavior when reshaping between beam width and batch size.  The "
                f"tensor to reshape has shape: {t.shape}.  We expected it to reshape to "
                f"(batch_size, beam_width, depth) == {expected}.  Perhaps you forgot to "
                f"create a zero_state with batch_size=encoder_batch_size * beam_width?"
            )
        out = reshape_ops.reshape(
            t,
            manip_ops.concat(
                [
                    array_ops.stack([self._batch_size, self._beam_width]),
                    array_ops.shape(t)[1:],
                ],
                0,
            ),
        )
        out.set_shape(expected)
        return out

    def _maybe_split_batch_beams(self, t: Any, s: Any) -> Any:
        if isinstance(t, TensorArray):
            return t
        _check_maybe(t)
        return self._split_batch_beams(t, s) if t.shape.ndims >= 1 else t

    def _maybe_merge_batch_beams(self, t: Any, s: Any) -> Any:
        if isinstance(t, TensorArray):
            return t
        _check_maybe(t)
        return self._merge_batch_beams(t, s) if t.shape.ndims >= 2 else t

    def _maybe_sort_array_beams(self, t: Any, parent_ids: Tensor, sequence_length: Tensor) -> Any:
        """A TensorArray of [batch * beam, ...] elements, stacked and reordered along the
        beams' parent chains; anything else as is."""
        if not isinstance(t, TensorArray):
            return t
        shape = t.element_shape
        if shape.ndims is None or shape.ndims < 1:
            tf_logging.warning(
                f"The TensorArray {t.handle.name} in the cell state is not amenable to "
                f"sorting based on the beam search result. For a TensorArray to be sorted, "
                f"its elements shape must be defined and have at least a rank of 1, but saw "
                f"shape: {shape}"
            )
            return t
        static_batch = _static_dim(self._batch_size)
        lead = shape.as_list()[0]
        if (
            static_batch is not None
            and lead is not None
            and lead != static_batch * self._beam_width
        ):
            tf_logging.warning(
                f"TensorArray reordering expects elements to be reshapable to "
                f"[{static_batch}, {self._beam_width}] which is incompatible with the "
                f"current shape {shape}. Consider setting "
                f"reorder_tensor_arrays to False to disable TensorArray reordering during "
                f"the beam search."
            )
            return t
        stacked = t.stack()
        check = check_ops.assert_equal(
            array_ops.shape(stacked)[1],
            self._batch_size * self._beam_width,
            message=(
                "TensorArray reordering expects elements to be reshapable to [batch_size, "
                "beam_size, -1] which is incompatible with the dynamic shape of TensorArray "
                "elements. Consider setting reorder_tensor_arrays to False to disable "
                "TensorArray reordering during the beam search."
            ),
        )
        with get_default_graph().control_dependencies([check]):
            return gather_tree_from_array(stacked, parent_ids, sequence_length)

    def step(
        self, time: Tensor, inputs: Any, state: BeamSearchDecoderState, name: str | None = None
    ) -> tuple[BeamSearchDecoderOutput, BeamSearchDecoderState, Any, Tensor]:
        """One beam search step: `(BeamSearchDecoderOutput, next_state, next_inputs,
        finished)`."""
        with name_scope(name, "BeamSearchDecoderStep"):
            cell_state = state.cell_state
            inputs = nest.map_structure(
                lambda inp: self._merge_batch_beams(inp, s=inp.shape[2:]), inputs
            )
            cell_state = nest.map_structure(
                self._maybe_merge_batch_beams, cell_state, self._cell.state_size
            )
            cell_outputs, next_cell_state = self._cell(inputs, cell_state)
            cell_outputs = nest.map_structure(
                lambda out: self._split_batch_beams(out, out.shape[1:]), cell_outputs
            )
            next_cell_state = nest.map_structure(
                self._maybe_split_batch_beams, next_cell_state, self._cell.state_size
            )
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            output, next_state = _beam_search_step(
                time=time,
                logits=cell_outputs,
                next_cell_state=next_cell_state,
                beam_state=state,
                batch_size=self._batch_size,
                beam_width=self._beam_width,
                end_token=self._end_token,
                length_penalty_weight=self._length_penalty_weight,
                coverage_penalty_weight=self._coverage_penalty_weight,
            )
            finished = next_state.finished
            sample_ids = output.predicted_ids
            next_inputs = cond(
                reduction_ops.reduce_all(finished),
                lambda: self._start_inputs,
                lambda: self._embedding_fn(sample_ids),
            )
        return output, next_state, next_inputs, finished


__all__ = [
    "BeamSearchDecoder",
    "BeamSearchDecoderOutput",
    "BeamSearchDecoderState",
    "FinalBeamSearchDecoderOutput",
    "gather_tree",
    "tile_batch",
]
