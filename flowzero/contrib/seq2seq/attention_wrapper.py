"""tf.contrib.seq2seq attention (TF 1.15 semantics): BahdanauAttention (additive, optionally
weight-normalized), LuongAttention (multiplicative, optionally scaled), and AttentionWrapper,
an RNNCell that runs a cell and attends over an encoder's memory at every step.

Per step, with query q = the cell's output (projected by the mechanism's query layer for
Bahdanau), keys K = memory_layer(memory) [batch, max_time, units], values = memory:

    Luong:     score = g * (q . K_t)                     (g = 1 unless scale=True)
    Bahdanau:  score = sum(v * tanh(K_t + W q))          (normalize: g * v/|v|, + bias)
    alignments = probability_fn(score masked to -inf past memory_sequence_length)
    context = sum_t alignments_t * values_t
    attention = attention_layer(concat([cell_output, context])) or context

Composites of public ops (no kernels here).
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, get_default_graph, name_scope
from flowzero.framework.shapes import TensorShape
from flowzero.layers.base import Layer
from flowzero.layers.core import Dense
from flowzero.nn.rnn_cell_base import RNNCell, assert_like_rnncell, zero_state_tensors
from flowzero.ops import (
    activation_ops,
    array_ops,
    check_ops,
    control_ops,
    indexing_ops,
    linalg_ops,
    manip_ops,
    nn_ops,
    reduction_ops,
    reshape_ops,
    sequence_ops,
    unary_ops,
)
from flowzero.ops.tensor_array_ops import TensorArray
from flowzero.variables import (
    constant_initializer,
    get_variable,
    ones_initializer,
    variable_scope,
    zeros_initializer,
)


def _dim(t: Tensor, axis: int) -> Any:
    """t's static size on `axis`, else its run-time size."""
    known = t.shape.as_list()[axis] if t.shape.ndims is not None else None
    return known if known is not None else array_ops.shape(t)[axis]


def _dense(units: int, name: str, dtype: Any) -> Dense:
    """Dense(units, name=name, use_bias=False) whose scope is made unique on its first call
    ("memory_layer", "memory_layer_1", ...) as a TF1 tf.layers layer with a given name is."""
    layer = Dense(units, use_bias=False, dtype=dtype)
    layer._base_name = name
    return layer


# -- memory ------------------------------------------------------------------------------------
def _prepare_memory(
    memory: Any, memory_sequence_length: Any, check_inner_dims_defined: bool
) -> Any:
    """The memory with rows past each entry's length zeroed (when lengths are given)."""
    memory = nest.map_structure(lambda m: convert_to_tensor(m, name="memory"), memory)
    if memory_sequence_length is not None:
        memory_sequence_length = convert_to_tensor(
            memory_sequence_length, name="memory_sequence_length"
        )
    if check_inner_dims_defined:

        def check(m: Tensor) -> None:
            if m.shape.ndims is None or any(d is None for d in m.shape.as_list()[2:]):
                raise ValueError(
                    f"Expected memory {m.name} to have fully defined inner dims, but saw "
                    f"shape: {m.shape}"
                )

        nest.map_structure(check, memory)
    if memory_sequence_length is None:
        return memory
    first = nest.flatten(memory)[0]
    mask = sequence_ops.sequence_mask(
        memory_sequence_length, maxlen=array_ops.shape(first)[1], dtype=first.dtype
    )
    mask_batch = _dim(memory_sequence_length, 0)

    def apply(m: Tensor) -> Tensor:
        extra_ones = [1] * (m.shape.ndims - 2)
        check = check_ops.assert_equal(
            mask_batch,
            _dim(m, 0),
            message="memory_sequence_length and memory tensor batch sizes do not match.",
        )
        with get_default_graph().control_dependencies([check]):
            m_mask = reshape_ops.reshape(
                mask, manip_ops.concat([array_ops.shape(mask), extra_ones], 0)
            )
        return m * m_mask

    return nest.map_structure(apply, memory)


def _maybe_mask_score(score: Tensor, memory_sequence_length: Any, score_mask_value: Any) -> Tensor:
    if memory_sequence_length is None:
        return score
    mask = sequence_ops.sequence_mask(memory_sequence_length, maxlen=array_ops.shape(score)[1])
    return indexing_ops.where(mask, score, score_mask_value * array_ops.ones_like(score))


# -- mechanisms --------------------------------------------------------------------------------
class AttentionMechanism:
    """Base class of the attention mechanisms (TF's marker class)."""

    @property
    def alignments_size(self) -> Any:
        raise NotImplementedError

    @property
    def state_size(self) -> Any:
        raise NotImplementedError


class _BaseAttentionMechanism(AttentionMechanism):
    """Stores the query/memory layers and the processed memory (keys and values)."""

    def __init__(
        self,
        query_layer: Any,
        memory: Any,
        probability_fn: Callable[..., Any],
        memory_sequence_length: Any = None,
        memory_layer: Any = None,
        check_inner_dims_defined: bool = True,
        score_mask_value: Any = None,
        custom_key_value_fn: Callable[..., Any] | None = None,
        name: str | None = None,
    ) -> None:
        if query_layer is not None and not isinstance(query_layer, Layer):
            raise TypeError(f"query_layer is not a Layer: {type(query_layer).__name__}")
        if memory_layer is not None and not isinstance(memory_layer, Layer):
            raise TypeError(f"memory_layer is not a Layer: {type(memory_layer).__name__}")
        self._query_layer = query_layer
        self._memory_layer = memory_layer
        self.dtype = memory_layer.dtype if memory_layer is not None else None
        if not callable(probability_fn):
            raise TypeError(
                f"probability_fn must be callable, saw type: {type(probability_fn).__name__}"
            )
        if score_mask_value is None:
            score_mask_value = -np.inf
        self._probability_fn = lambda score, prev: probability_fn(
            _maybe_mask_score(score, memory_sequence_length, score_mask_value), prev
        )
        with name_scope(name, "BaseAttentionMechanismInit"):
            self._values = _prepare_memory(memory, memory_sequence_length, check_inner_dims_defined)
            self._keys = (
                self._memory_layer(self._values) if self._memory_layer is not None else self._values
            )
            if custom_key_value_fn is not None:
                self._keys, self._values = custom_key_value_fn(self._keys, self._values)
            self._batch_size = _dim(self._keys, 0)
            self._alignments_size = _dim(self._keys, 1)

    @property
    def memory_layer(self) -> Any:
        return self._memory_layer

    @property
    def query_layer(self) -> Any:
        return self._query_layer

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def keys(self) -> Tensor:
        return self._keys

    @property
    def batch_size(self) -> Any:
        return self._batch_size

    @property
    def alignments_size(self) -> Any:
        return self._alignments_size

    @property
    def state_size(self) -> Any:
        return self._alignments_size

    def initial_alignments(self, batch_size: Any, dtype: Any) -> Tensor:
        """Zeros [batch_size, alignments_size] (the memory's max_time)."""
        size = self._alignments_size
        if isinstance(size, Tensor):  # max_time known only at run time
            b = batch_size if isinstance(batch_size, Tensor) else convert_to_tensor(batch_size)
            z = array_ops.zeros(array_ops.stack([b, size]), dtype=dtype)
            z.set_shape(TensorShape([batch_size if isinstance(batch_size, int) else None, None]))
            return z
        return zero_state_tensors(size, batch_size, dtype)

    def initial_state(self, batch_size: Any, dtype: Any) -> Any:
        return self.initial_alignments(batch_size, dtype)


def _luong_score(query: Tensor, keys: Tensor, scale: Any) -> Tensor:
    depth = query.shape.as_list()[-1] if query.shape.ndims else None
    key_units = keys.shape.as_list()[-1] if keys.shape.ndims else None
    if depth is None or key_units is None or depth != key_units:
        raise ValueError(
            f"Incompatible or unknown inner dimensions between query and keys.  Query "
            f"({query.name}) has units: {depth}.  Keys ({keys.name}) have units: {key_units}. "
            f" Perhaps you need to set num_units to the keys' dimension ({key_units})?"
        )
    # [batch, 1, depth] @ [batch, depth, max_time] -> [batch, max_time]
    score = linalg_ops.matmul(reshape_ops.expand_dims(query, 1), keys, transpose_b=True)
    score = reshape_ops.squeeze(score, [1])
    if scale is not None:
        score = scale * score
    return score


class LuongAttention(_BaseAttentionMechanism):
    """Multiplicative attention (Luong et al., 2015): score = [g *] query . keys_t.

    Args:
        num_units: the depth of the keys (memory_layer's units); must equal the query's.
        memory: [batch, max_time, ...] encoder outputs.
        memory_sequence_length: int [batch]: memory rows past it are masked.
        scale: multiply the score by a learned scalar `attention_g` (initialized to 1).
        probability_fn: score -> probabilities (default tf.nn.softmax).
        score_mask_value: the masked score (default -inf).
        dtype: the layers' dtype (default float32).
        custom_key_value_fn: (keys, values) -> (keys, values).
        name: the name scope.
    """

    def __init__(
        self,
        num_units: int,
        memory: Any,
        memory_sequence_length: Any = None,
        scale: bool = False,
        probability_fn: Callable[..., Any] | None = None,
        score_mask_value: Any = None,
        dtype: Any = None,
        custom_key_value_fn: Callable[..., Any] | None = None,
        name: str = "LuongAttention",
    ) -> None:
        probability_fn = probability_fn or nn_ops.softmax
        dtype = dtype or dtypes.float32
        super().__init__(
            query_layer=None,
            memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory,
            probability_fn=lambda score, _: probability_fn(score),
            memory_sequence_length=memory_sequence_length,
            score_mask_value=score_mask_value,
            custom_key_value_fn=custom_key_value_fn,
            name=name,
        )
        self._num_units = num_units
        self._scale = scale
        self._name = name

    def __call__(self, query: Any, state: Any) -> tuple[Tensor, Tensor]:
        """(alignments [batch, max_time], next_state = alignments) for `query`."""
        query = convert_to_tensor(query)
        with variable_scope(None, default_name="luong_attention"):
            g = None
            if self._scale:
                g = get_variable(
                    "attention_g", dtype=query.dtype, initializer=ones_initializer(), shape=()
                )
            score = _luong_score(query, self._keys, g)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


def _bahdanau_score(processed_query: Tensor, keys: Tensor, normalize: bool) -> Tensor:
    dtype = processed_query.dtype
    num_units = keys.shape.as_list()[2] if keys.shape.ndims else None
    if num_units is None:
        raise ValueError(f"BahdanauAttention: the keys' depth must be known; got {keys.shape}.")
    processed_query = reshape_ops.expand_dims(processed_query, 1)  # [batch, 1, units]
    v = get_variable("attention_v", [num_units], dtype=dtype)
    if normalize:
        g = get_variable(
            "attention_g",
            dtype=dtype,
            initializer=constant_initializer(math.sqrt(1.0 / num_units)),
            shape=(),
        )
        b = get_variable("attention_b", [num_units], dtype=dtype, initializer=zeros_initializer())
        normed_v = g * v * unary_ops.rsqrt(reduction_ops.reduce_sum(unary_ops.square(v)))
        return reduction_ops.reduce_sum(
            normed_v * activation_ops.tanh(keys + processed_query + b), [2]
        )
    return reduction_ops.reduce_sum(v * activation_ops.tanh(keys + processed_query), [2])


class BahdanauAttention(_BaseAttentionMechanism):
    """Additive attention (Bahdanau et al., 2015): score = sum(v * tanh(keys_t + W query)),
    with `normalize` the weight-normalized form (Salimans & Kingma, 2016): v replaced by
    g * v / |v| and a bias added inside the tanh.

    Args:
        num_units: the depth of the query and memory layers.
        memory, memory_sequence_length, probability_fn, score_mask_value, dtype,
        custom_key_value_fn, name: as LuongAttention.
        normalize: use the weight-normalized form.
    """

    def __init__(
        self,
        num_units: int,
        memory: Any,
        memory_sequence_length: Any = None,
        normalize: bool = False,
        probability_fn: Callable[..., Any] | None = None,
        score_mask_value: Any = None,
        dtype: Any = None,
        custom_key_value_fn: Callable[..., Any] | None = None,
        name: str = "BahdanauAttention",
    ) -> None:
        probability_fn = probability_fn or nn_ops.softmax
        dtype = dtype or dtypes.float32
        super().__init__(
            query_layer=_dense(num_units, "query_layer", dtype),
            memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory,
            probability_fn=lambda score, _: probability_fn(score),
            memory_sequence_length=memory_sequence_length,
            score_mask_value=score_mask_value,
            custom_key_value_fn=custom_key_value_fn,
            name=name,
        )
        self._num_units = num_units
        self._normalize = normalize
        self._name = name

    def __call__(self, query: Any, state: Any) -> tuple[Tensor, Tensor]:
        """(alignments [batch, max_time], next_state = alignments) for `query`."""
        query = convert_to_tensor(query)
        with variable_scope(None, default_name="bahdanau_attention"):
            processed = self._query_layer(query) if self._query_layer is not None else query
            score = _bahdanau_score(processed, self._keys, self._normalize)
        alignments = self._probability_fn(score, state)
        return alignments, alignments


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
        checks = []
        for m in self._attention_mechanisms:
            if isinstance(batch_size, int) and isinstance(m.batch_size, int):
                if batch_size != m.batch_size:
                    raise ValueError(f"{message} (got {batch_size} and {m.batch_size})")
                continue
            checks.append(check_ops.assert_equal(batch_size, m.batch_size, message=message))
        return checks

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
