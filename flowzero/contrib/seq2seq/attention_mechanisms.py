"""tf.contrib.seq2seq attention mechanisms (TF 1.15 semantics): LuongAttention
(multiplicative, optionally scaled) and BahdanauAttention (additive, optionally
weight-normalized), over a memory whose rows past `memory_sequence_length` are zeroed.

With query q (projected by the query layer for Bahdanau) and keys K = memory_layer(memory):

    Luong:     score = g * (q . K_t)                     (g = 1 unless scale=True)
    Bahdanau:  score = sum(v * tanh(K_t + W q))          (normalize: g * v/|v|, + bias)
    alignments = probability_fn(score masked to -inf past memory_sequence_length)

Composites of public ops (no kernels here).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, get_default_graph, name_scope
from flowzero.framework.shapes import TensorShape
from flowzero.layers.base import Layer
from flowzero.layers.core import Dense
from flowzero.nn.rnn_cell_base import zero_state_tensors
from flowzero.ops import (
    activation_ops,
    array_ops,
    check_ops,
    indexing_ops,
    linalg_ops,
    manip_ops,
    nn_ops,
    reduction_ops,
    reshape_ops,
    sequence_ops,
    unary_ops,
)
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


__all__ = ["AttentionMechanism", "BahdanauAttention", "LuongAttention"]
