"""tf.contrib.seq2seq's Decoder interface and dynamic_decode (TF 1.15 semantics).

`dynamic_decode` calls `decoder.initialize()` once, then `decoder.step()` inside one
tf.while_loop until every batch entry is finished (or `maximum_iterations` steps), writing
each step's outputs into TensorArrays that are stacked at the end. Gradients flow through the
loop as through dynamic_rnn's.
"""

from __future__ import annotations

import abc
from typing import Any

from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.framework.shapes import TensorShape
from flowzero.nn.rnn_cell_base import zero_state_tensors
from flowzero.ops import (
    array_ops,
    logic_ops,
    manip_ops,
    range_ops,
    reduction_ops,
    reshape_ops,
)
from flowzero.ops.common import static_value
from flowzero.ops.control_flow_ops import while_loop
from flowzero.ops.indexing_ops import where
from flowzero.ops.tensor_array_ops import TensorArray
from flowzero.variables import variable_scope


def _transpose_batch_time(x: Any) -> Any:
    """Swaps axes 0 and 1 of x (TF's rnn._transpose_batch_time); rank < 2 passes through."""
    x = convert_to_tensor(x)
    ndims = x.shape.ndims
    if ndims is not None and ndims < 2:
        return x
    if ndims is None:
        rank = array_ops.rank(x)
        perm = manip_ops.concat([[1, 0], range_ops.range(2, rank)], 0)
        return reshape_ops.transpose(x, perm)
    return reshape_ops.transpose(x, [1, 0] + list(range(2, ndims)))


class Decoder(abc.ABC):
    """An RNN decoder, driven by `dynamic_decode`: `initialize()` once, then `step()` per
    time step until finished. Subclasses give `batch_size`, `output_size`, `output_dtype`,
    `initialize` and `step`; `finalize` and `tracks_own_finished` are optional."""

    @property
    def batch_size(self) -> Any:
        """The batch size of the inputs (an int or a scalar int32 tensor)."""
        raise NotImplementedError

    @property
    def output_size(self) -> Any:
        """A (nested) structure of TensorShapes / ints: the shape of one step's output, per
        batch entry."""
        raise NotImplementedError

    @property
    def output_dtype(self) -> Any:
        """The dtypes of one step's output, in output_size's structure."""
        raise NotImplementedError

    @abc.abstractmethod
    def initialize(self, name: str | None = None) -> tuple[Any, Any, Any]:
        """`(finished, initial_inputs, initial_state)` before the first step."""

    @abc.abstractmethod
    def step(self, time: Tensor, inputs: Any, state: Any, name: str | None = None) -> Any:
        """One step: `(outputs, next_state, next_inputs, finished)`."""

    def finalize(self, outputs: Any, final_state: Any, sequence_lengths: Tensor) -> Any:
        """Post-processing of the stacked outputs; `(outputs, state)`."""
        raise NotImplementedError

    @property
    def tracks_own_finished(self) -> bool:
        """True for a decoder that reorders batch entries between steps (beam search):
        dynamic_decode then takes its `finished` as is instead of OR-ing it with the last."""
        return False


def _create_zero_outputs(size: Any, dtype: Any, batch_size: Any) -> Any:
    return nest.map_structure(lambda s, d: zero_state_tensors(s, batch_size, d), size, dtype)


def _element_shape(batch_size: Any, size: Any) -> TensorShape:
    # As TF: only a TensorShape of rank >= 1 gives the elements a static shape; an int or
    # scalar size leaves it to the first write.
    if not isinstance(size, TensorShape) or size.ndims == 0:
        return TensorShape(None)
    return TensorShape([_static_int(batch_size)]).concatenate(size)


def _static_int(x: Any) -> int | None:
    if isinstance(x, int):
        return x
    v = static_value(convert_to_tensor(x))
    return None if v is None else int(v)


def dynamic_decode(
    decoder: Decoder,
    output_time_major: bool = False,
    impute_finished: bool = False,
    maximum_iterations: Any = None,
    parallel_iterations: int = 32,
    swap_memory: bool = False,
    scope: Any = None,
) -> tuple[Any, Any, Tensor]:
    """Runs `decoder` step by step in a tf.while_loop until every entry is finished.

    Args:
        decoder: a `Decoder` (e.g. a BasicDecoder).
        output_time_major: return [time, batch, ...] outputs (default [batch, time, ...]).
        impute_finished: once an entry is finished, its outputs are zeros and its state is
            copied through (so the final state is the one at its last step, and no gradient
            flows from the steps after it).
        maximum_iterations: an int32 scalar: decode at most this many steps (default: until
            all entries are finished).
        parallel_iterations, swap_memory: passed to tf.while_loop (accepted).
        scope: the variable scope (default "decoder").

    Returns:
        `(final_outputs, final_state, final_sequence_lengths)`: the outputs in the structure
        of `decoder.output_size`, the last state, and per entry the number of steps until it
        finished (int32 [batch]).

    Raises:
        TypeError: `decoder` is not a Decoder.
        ValueError: `maximum_iterations` is not a scalar.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 7, 8])        # [batch, time, depth]
        >>> lengths = tf.placeholder(tf.int32, [None])
        >>> cell = tf.nn.rnn_cell.GRUCell(16)
        >>> helper = tf.contrib.seq2seq.TrainingHelper(x, lengths)
        >>> decoder = tf.contrib.seq2seq.BasicDecoder(
        ...     cell, helper, cell.zero_state(tf.shape(x)[0], tf.float32),
        ...     output_layer=tf.layers.Dense(10))
        >>> outputs, state, out_lengths = tf.contrib.seq2seq.dynamic_decode(decoder)
        >>> outputs.rnn_output.shape             # [batch, time, vocab]
        TensorShape([None, None, 10])
    """
    if not isinstance(decoder, Decoder):
        raise TypeError(f"Expected decoder to be type Decoder, but saw: {type(decoder)}")
    with variable_scope(scope, default_name="decoder"):
        if maximum_iterations is not None:
            maximum_iterations = convert_to_tensor(maximum_iterations, dtype=dtypes.int32)
            if maximum_iterations.shape.ndims != 0:
                raise ValueError(
                    f"dynamic_decode: maximum_iterations must be a scalar; got shape "
                    f"{maximum_iterations.shape}."
                )
        initial_finished, initial_inputs, initial_state = decoder.initialize()
        zero_outputs = _create_zero_outputs(
            decoder.output_size, decoder.output_dtype, decoder.batch_size
        )
        if maximum_iterations is not None:
            initial_finished = logic_ops.logical_or(
                initial_finished, logic_ops.greater_equal(0, maximum_iterations)
            )
        initial_sequence_lengths = array_ops.zeros_like(initial_finished, dtype=dtypes.int32)
        initial_time = array_ops.constant(0, dtype=dtypes.int32)

        initial_outputs_ta = nest.map_structure(
            lambda s, d: TensorArray(
                dtype=d,
                size=0,
                dynamic_size=True,
                element_shape=_element_shape(decoder.batch_size, s),
            ),
            decoder.output_size,
            decoder.output_dtype,
        )

        def condition(
            unused_time: Any,
            unused_outputs_ta: Any,
            unused_state: Any,
            unused_inputs: Any,
            finished: Tensor,
            unused_sequence_lengths: Any,
        ) -> Tensor:
            return logic_ops.logical_not(reduction_ops.reduce_all(finished))

        def body(
            time: Tensor,
            outputs_ta: Any,
            state: Any,
            inputs: Any,
            finished: Tensor,
            sequence_lengths: Tensor,
        ) -> tuple[Any, ...]:
            next_outputs, decoder_state, next_inputs, decoder_finished = decoder.step(
                time, inputs, state
            )
            if decoder.tracks_own_finished:
                next_finished = decoder_finished
            else:
                next_finished = logic_ops.logical_or(decoder_finished, finished)
            next_sequence_lengths = where(
                logic_ops.logical_not(finished),
                array_ops.fill(array_ops.shape(sequence_lengths), time + 1),
                sequence_lengths,
            )
            nest.assert_same_structure(state, decoder_state)
            nest.assert_same_structure(outputs_ta, next_outputs)
            nest.assert_same_structure(inputs, next_inputs)
            if impute_finished:
                emit = nest.map_structure(
                    lambda out, zero: where(finished, zero, out), next_outputs, zero_outputs
                )

                def maybe_copy(new: Any, cur: Any) -> Any:
                    # TensorArrays and scalars pass through.
                    if isinstance(cur, TensorArray):
                        return new
                    new.set_shape(cur.shape)
                    return new if new.shape.ndims == 0 else where(finished, cur, new)

                next_state = nest.map_structure(maybe_copy, decoder_state, state)
            else:
                emit = next_outputs
                next_state = decoder_state
            outputs_ta = nest.map_structure(lambda ta, out: ta.write(time, out), outputs_ta, emit)
            return (
                time + 1,
                outputs_ta,
                next_state,
                next_inputs,
                next_finished,
                next_sequence_lengths,
            )

        res = while_loop(
            condition,
            body,
            (
                initial_time,
                initial_outputs_ta,
                initial_state,
                initial_inputs,
                initial_finished,
                initial_sequence_lengths,
            ),
            parallel_iterations=parallel_iterations,
            maximum_iterations=maximum_iterations,
            swap_memory=swap_memory,
        )
        final_outputs_ta, final_state, final_sequence_lengths = res[1], res[2], res[5]
        final_outputs = nest.map_structure(lambda ta: ta.stack(), final_outputs_ta)
        try:
            final_outputs, final_state = decoder.finalize(
                final_outputs, final_state, final_sequence_lengths
            )
        except NotImplementedError:
            pass
        if not output_time_major:
            with name_scope("transpose_batch_time"):
                final_outputs = nest.map_structure(_transpose_batch_time, final_outputs)
    return final_outputs, final_state, final_sequence_lengths


__all__ = ["Decoder", "dynamic_decode"]
