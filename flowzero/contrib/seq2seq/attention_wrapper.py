"""tf.contrib.seq2seq.AttentionWrapper (TF 1.15 semantics): an RNNCell that runs a cell and
attends over an encoder's memory at every step with one or several attention mechanisms
(attention_mechanisms.py):

    alignments = mechanism(cell_output)
    context = sum_t alignments_t * values_t
    attention = attention_layer(concat([cell_output, context])) or context

Composites of public ops (no kernels here).
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

from flowzero.contrib.seq2seq.attention_mechanisms import (
    AttentionMechanism,
    BahdanauAttention,
    LuongAttention,
    _dense,
    _dim,
)
from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, get_default_graph, name_scope
from flowzero.framework.shapes import TensorShape
from flowzero.nn.rnn_cell_base import RNNCell, assert_like_rnncell, zero_state_tensors
from flowzero.ops import (
    array_ops,
    check_ops,
    control_ops,
    linalg_ops,
    manip_ops,
    reshape_ops,
)
from flowzero.ops.tensor_array_ops import TensorArray


# -- the wrapper -------------------------------------------------------------------------------
class AttentionWrapperState(
    collections.namedtuple(
        "AttentionWrapperState",
        ("cell_state", "attention", "time", "alignments", "alignment_history", "attention_state"),
    )
):
    """The state of an AttentionWrapper.

    Fields:
        cell_state: the wrapped cell's state.
        attention: the attention emitted at the previous step [batch, attention size].
        time: int32 scalar, the current step.
        alignments: the previous alignments (a tuple of them for several mechanisms).
        alignment_history: a TensorArray of the alignments of every step when
            alignment_history=True (stack() gives [time, batch, max_time]), else ().
        attention_state: the mechanisms' states.
    """

    __slots__ = ()

    def clone(self, **kwargs: Any) -> AttentionWrapperState:
        """A copy with some fields replaced; a replaced tensor takes the static shape of the
        one it replaces (TF's clone), so `zero_state(...).clone(cell_state=encoder_state)`
        keeps the loop's shapes.

        Raises:
            ValueError: a replacement's shape is incompatible with the old one.
        """

        def with_same_shape(old: Any, new: Any) -> Any:
            if isinstance(old, Tensor) and isinstance(new, Tensor):
                new.set_shape(old.shape)
            return new

        return nest.map_structure(with_same_shape, self, self._replace(**kwargs))


def _compute_attention(
    attention_mechanism: Any, cell_output: Tensor, attention_state: Any, attention_layer: Any
) -> tuple[Tensor, Tensor, Any]:
    alignments, next_attention_state = attention_mechanism(cell_output, state=attention_state)
    # [batch, 1, max_time] @ [batch, max_time, depth] -> [batch, depth]
    context = linalg_ops.matmul(reshape_ops.expand_dims(alignments, 1), attention_mechanism.values)
    context = reshape_ops.squeeze(context, [1])
    if attention_layer is not None:
        attention = attention_layer(manip_ops.concat([cell_output, context], 1))
    else:
        attention = context
    return attention, alignments, next_attention_state


class AttentionWrapper(RNNCell):
    """Wraps an RNNCell with attention over a memory.

    Each step: cell_inputs = cell_input_fn(inputs, previous attention) (default concat);
    (cell_output, cell_state) = cell(cell_inputs, ...); for every mechanism, alignments and
    a context from cell_output; attention = attention_layer([cell_output, context]) (or the
    context); the output is the attention (or cell_output when output_attention=False).

    Args:
        cell: the RNNCell to wrap.
        attention_mechanism: an AttentionMechanism, or a list of them (multi-head).
        attention_layer_size: the depth of the attention layer (an int, or one per
            mechanism); None: the attention is the context itself.
        alignment_history: keep every step's alignments in the state (a TensorArray).
        cell_input_fn: (inputs, attention) -> cell inputs.
        output_attention: output the attention (Luong) rather than the cell output
            (Bahdanau).
        initial_cell_state: the cell's initial state for zero_state (e.g. encoder state).
        name: the variable scope name (default "attention_wrapper").
        attention_layer: a Layer (or one per mechanism) instead of attention_layer_size.
        attention_fn: (mechanism, cell_output, attention_state, attention_layer) ->
            (attention, alignments, next_attention_state).

    Raises:
        TypeError: a mechanism is not an AttentionMechanism; cell_input_fn not callable.
        ValueError: both attention_layer_size and attention_layer are given, or their count
            differs from the mechanisms'.

    Example:
        >>> memory = tf.placeholder(tf.float32, [None, 12, 32])   # encoder outputs
        >>> src_lengths = tf.placeholder(tf.int32, [None])
        >>> mech = tf.contrib.seq2seq.LuongAttention(64, memory,
        ...                                          memory_sequence_length=src_lengths)
        >>> cell = tf.contrib.seq2seq.AttentionWrapper(
        ...     tf.nn.rnn_cell.LSTMCell(64), mech, attention_layer_size=64)
        >>> state = cell.zero_state(tf.shape(memory)[0], tf.float32)
        >>> y, state = cell(tf.placeholder(tf.float32, [None, 8]), state)
        >>> y.shape, state.alignments.shape      # attention, weights over the 12 steps
        (TensorShape([None, 64]), TensorShape([None, 12]))
    """

    def __init__(
        self,
        cell: Any,
        attention_mechanism: Any,
        attention_layer_size: Any = None,
        alignment_history: bool = False,
        cell_input_fn: Callable[..., Any] | None = None,
        output_attention: bool = True,
        initial_cell_state: Any = None,
        name: str | None = None,
        attention_layer: Any = None,
        attention_fn: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(name=name)
        assert_like_rnncell("cell", cell)
        if isinstance(attention_mechanism, (list, tuple)):
            self._is_multi = True
            mechanisms = tuple(attention_mechanism)
            for m in mechanisms:
                if not isinstance(m, AttentionMechanism):
                    raise TypeError(
                        f"attention_mechanism must contain only instances of "
                        f"AttentionMechanism, saw type: {type(m).__name__}"
                    )
        else:
            self._is_multi = False
            if not isinstance(attention_mechanism, AttentionMechanism):
                raise TypeError(
                    f"attention_mechanism must be an AttentionMechanism or list of multiple "
                    f"AttentionMechanism instances, saw type: {type(attention_mechanism).__name__}"
                )
            mechanisms = (attention_mechanism,)
        if cell_input_fn is None:

            def cell_input_fn(inputs: Any, attention: Any) -> Tensor:
                return manip_ops.concat([inputs, attention], -1)

        elif not callable(cell_input_fn):
            raise TypeError(
                f"cell_input_fn must be callable, saw type: {type(cell_input_fn).__name__}"
            )
        if attention_layer_size is not None and attention_layer is not None:
            raise ValueError("Only one of attention_layer_size and attention_layer should be set")
        if attention_layer_size is not None:
            sizes = tuple(
                attention_layer_size
                if isinstance(attention_layer_size, (list, tuple))
                else (attention_layer_size,)
            )
            if len(sizes) != len(mechanisms):
                raise ValueError(
                    f"If provided, attention_layer_size must contain exactly one integer per "
                    f"attention_mechanism, saw: {len(sizes)} vs {len(mechanisms)}"
                )
            self._attention_layers: tuple[Any, ...] | None = tuple(
                _dense(size, "attention_layer", m.dtype) for size, m in zip(sizes, mechanisms)
            )
            self._attention_layer_size = sum(sizes)
        elif attention_layer is not None:
            layers = tuple(
                attention_layer
                if isinstance(attention_layer, (list, tuple))
                else (attention_layer,)
            )
            if len(layers) != len(mechanisms):
                raise ValueError(
                    f"If provided, attention_layer must contain exactly one layer per "
                    f"attention_mechanism, saw: {len(layers)} vs {len(mechanisms)}"
                )
            self._attention_layers = layers
            self._attention_layer_size = sum(int(layer.units) for layer in layers)
        else:
            self._attention_layers = None
            self._attention_layer_size = sum(int(m.values.shape.as_list()[-1]) for m in mechanisms)
        self._cell = cell
        self._attention_mechanisms = mechanisms
        self._cell_input_fn = cell_input_fn
        self._output_attention = output_attention
        self._alignment_history = alignment_history
        self._attention_fn = attention_fn or _compute_attention
        if initial_cell_state is None:
            self._initial_cell_state = None
        else:
            last = nest.flatten(initial_cell_state)[-1]
            message = (
                f"When constructing AttentionWrapper {self._base_name}: Non-matching batch "
                f"sizes between the memory (encoder output) and initial_cell_state.  Are you "
                f"using the BeamSearchDecoder?  You may need to tile your initial state via "
                f"the tf.contrib.seq2seq.tile_batch function with argument multiple=beam_width."
            )
            with name_scope(name, "AttentionWrapperInit"):
                with get_default_graph().control_dependencies(
                    self._batch_size_checks(_dim(last, 0), message)
                ):
                    self._initial_cell_state = nest.map_structure(
                        lambda s: control_ops.identity(s, name="check_initial_cell_state"),
                        initial_cell_state,
                    )

    def _batch_size_checks(self, batch_size: Any, message: str) -> list[Any]:
        # Statically known sizes that differ raise InvalidArgumentError here (as TF's).
        return [
            check_ops.assert_equal(batch_size, m.batch_size, message=message)
            for m in self._attention_mechanisms
        ]

    def _item_or_tuple(self, seq: Any) -> Any:
        t = tuple(seq)
        return t if self._is_multi else t[0]

    @property
    def output_size(self) -> Any:
        return self._attention_layer_size if self._output_attention else self._cell.output_size

    @property
    def state_size(self) -> AttentionWrapperState:
        mechs = self._attention_mechanisms
        return AttentionWrapperState(
            cell_state=self._cell.state_size,
            time=TensorShape([]),
            attention=self._attention_layer_size,
            alignments=self._item_or_tuple(m.alignments_size for m in mechs),
            attention_state=self._item_or_tuple(m.state_size for m in mechs),
            alignment_history=self._item_or_tuple(
                m.alignments_size if self._alignment_history else () for m in mechs
            ),
        )

    def zero_state(self, batch_size: Any, dtype: Any) -> AttentionWrapperState:
        """The initial state: the cell's zero state (or initial_cell_state), zero attention
        and alignments, time 0, an empty alignment history.

        Raises:
            ValueError / InvalidArgumentError (at run time): batch_size differs from the
                memory's batch size.
        """
        with name_scope(type(self).__name__ + "ZeroState"):
            if self._initial_cell_state is not None:
                cell_state = self._initial_cell_state
            else:
                cell_state = self._cell.zero_state(batch_size, dtype)
            message = (
                f"When calling zero_state of AttentionWrapper {self._base_name}: Non-matching "
                f"batch sizes between the memory (encoder output) and the requested batch "
                f"size.  Are you using the BeamSearchDecoder?  If so, make sure your encoder "
                f"output has been tiled to beam_width via tf.contrib.seq2seq.tile_batch, and "
                f"the batch_size= argument passed to zero_state is batch_size * beam_width."
            )
            with get_default_graph().control_dependencies(
                self._batch_size_checks(batch_size, message)
            ):
                cell_state = nest.map_structure(
                    lambda s: control_ops.identity(s, name="checked_cell_state"), cell_state
                )
            initial_alignments = [
                m.initial_alignments(batch_size, dtype) for m in self._attention_mechanisms
            ]
            return AttentionWrapperState(
                cell_state=cell_state,
                time=array_ops.zeros([], dtype=dtypes.int32),
                attention=zero_state_tensors(self._attention_layer_size, batch_size, dtype),
                alignments=self._item_or_tuple(initial_alignments),
                attention_state=self._item_or_tuple(
                    m.initial_state(batch_size, dtype) for m in self._attention_mechanisms
                ),
                alignment_history=self._item_or_tuple(
                    TensorArray(dtype, size=0, dynamic_size=True, element_shape=a.shape)
                    if self._alignment_history
                    else ()
                    for a in initial_alignments
                ),
            )

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        # The state holds an int32 step and TensorArrays: only the inputs' dtypes are checked.
        flat_inputs = [convert_to_tensor(x) for x in nest.flatten(inputs)]
        inputs = nest.pack_sequence_as(inputs, flat_inputs)
        return self._in_scope(inputs, flat_inputs, None, scope, lambda: self.call(inputs, state))

    def call(self, inputs: Any, state: Any) -> tuple[Any, AttentionWrapperState]:
        if not isinstance(state, AttentionWrapperState):
            raise TypeError(
                f"Expected state to be instance of AttentionWrapperState. Received type "
                f"{type(state)} instead."
            )
        cell_inputs = self._cell_input_fn(inputs, state.attention)
        cell_output, next_cell_state = self._cell(cell_inputs, state.cell_state)
        message = (
            f"When applying AttentionWrapper {self.name}: Non-matching batch sizes between the "
            f"memory (encoder output) and the query (decoder output).  Are you using the "
            f"BeamSearchDecoder?  You may need to tile your memory input via the "
            f"tf.contrib.seq2seq.tile_batch function with argument multiple=beam_width."
        )
        with get_default_graph().control_dependencies(
            self._batch_size_checks(_dim(cell_output, 0), message)
        ):
            cell_output = control_ops.identity(cell_output, name="checked_cell_output")
        if self._is_multi:
            prev_states = state.attention_state
            prev_histories = state.alignment_history
        else:
            prev_states = [state.attention_state]
            prev_histories = [state.alignment_history]
        all_alignments, all_attentions, all_states, all_histories = [], [], [], []
        for i, mechanism in enumerate(self._attention_mechanisms):
            attention, alignments, next_attention_state = self._attention_fn(
                mechanism,
                cell_output,
                prev_states[i],
                self._attention_layers[i] if self._attention_layers else None,
            )
            history = (
                prev_histories[i].write(state.time, alignments) if self._alignment_history else ()
            )
            all_states.append(next_attention_state)
            all_alignments.append(alignments)
            all_histories.append(history)
            all_attentions.append(attention)
        attention = manip_ops.concat(all_attentions, 1)
        next_state = AttentionWrapperState(
            time=state.time + 1,
            cell_state=next_cell_state,
            attention=attention,
            attention_state=self._item_or_tuple(all_states),
            alignments=self._item_or_tuple(all_alignments),
            alignment_history=self._item_or_tuple(all_histories),
        )
        if self._output_attention:
            return attention, next_state
        return cell_output, next_state


__all__ = [
    "AttentionMechanism",
    "AttentionWrapper",
    "AttentionWrapperState",
    "BahdanauAttention",
    "LuongAttention",
]
