"""tf.contrib.seq2seq beam search pieces (TF 1.15 semantics): tile_batch, the decoder's state
and output tuples, and one step of beam search.

Each step scores every (beam, next id) continuation of every batch entry by its total log
probability (divided by a length penalty, plus an optional coverage penalty), keeps the best
`beam_width`, and reorders the cell states to follow their parent beams. Finished beams can
only continue with `end_token`, at no cost.
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

from flowzero.contrib.seq2seq.attention_wrapper import AttentionWrapperState
from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops import (
    array_ops,
    cast_ops,
    division_ops,
    indexing_ops,
    logic_ops,
    manip_ops,
    math_ops,
    nn_ops,
    range_ops,
    reduction_ops,
    reshape_ops,
    sequence_ops,
    unary_ops,
)
from flowzero.ops.beam_search_ops import gather_tree
from flowzero.ops.common import static_value
from flowzero.ops.tensor_array_ops import TensorArray


def _tile_batch(t: Any, multiplier: int) -> Tensor:
    t = convert_to_tensor(t, name="t")
    if t.shape.ndims is None or t.shape.ndims < 1:
        raise ValueError(f"tile_batch: t must have statically known rank; got {t.shape}.")
    shape_t = array_ops.shape(t)
    tiling = [1] * (t.shape.ndims + 1)
    tiling[1] = multiplier
    batch = t.shape.as_list()[0]
    tiled = manip_ops.tile(reshape_ops.expand_dims(t, 1), tiling)
    tiled = reshape_ops.reshape(
        tiled, manip_ops.concat([reshape_ops.reshape(shape_t[0] * multiplier, [1]), shape_t[1:]], 0)
    )
    tiled.set_shape(
        TensorShape([None if batch is None else batch * multiplier]).concatenate(t.shape[1:])
    )
    return tiled


def tile_batch(t: Any, multiplier: int, name: str | None = None) -> Any:
    """Repeats each batch entry `multiplier` times, adjacent: [a, b] -> [a, a, b, b] (for
    beam search, where the beams of an entry sit next to each other).

    Args:
        t: a tensor of shape [batch, ...], or a nested structure of them.
        multiplier: the number of copies (e.g. beam_width).
        name: the name scope (default "tile_batch").

    Returns:
        The same structure, each tensor of shape [batch * multiplier, ...].

    Raises:
        ValueError: a tensor's rank is unknown or 0.

    Example:
        >>> memory = tf.contrib.seq2seq.tile_batch(tf.zeros([2, 5, 3]), multiplier=4)
        >>> memory.shape
        TensorShape([8, 5, 3])
    """
    with name_scope(name, "tile_batch"):
        return nest.map_structure(lambda t_: _tile_batch(t_, multiplier), t)


# -- outputs and state -------------------------------------------------------------------------
class BeamSearchDecoderState(
    collections.namedtuple(
        "BeamSearchDecoderState",
        ("cell_state", "log_probs", "finished", "lengths", "accumulated_attention_probs"),
    )
):
    """The loop state of a BeamSearchDecoder: the cell state ([batch, beam, ...] entries),
    total log probabilities, finished flags and lengths ([batch, beam]), and the summed
    attention probabilities when a coverage penalty is used (else ())."""

    __slots__ = ()


class BeamSearchDecoderOutput(
    collections.namedtuple("BeamSearchDecoderOutput", ("scores", "predicted_ids", "parent_ids"))
):
    """One step's beams ([batch, beam] each): scores, the chosen ids and their parent beams."""

    __slots__ = ()


class FinalBeamSearchDecoderOutput(
    collections.namedtuple(
        "FinalBeamSearchDecoderOutput", ("predicted_ids", "beam_search_decoder_output")
    )
):
    """dynamic_decode's result for beam search: `predicted_ids` [batch, time, beam] (whole
    sequences, best beam first) and the raw per-step BeamSearchDecoderOutput."""

    __slots__ = ()


# -- helpers -----------------------------------------------------------------------------------
def _static_dim(x: Any) -> int | None:
    if isinstance(x, (int, np.integer)):
        return int(x)
    v = static_value(convert_to_tensor(x))
    return None if v is None else int(v)


def _as_depth_shape(s: Any) -> TensorShape:
    """A state_size / output_size entry as a TensorShape (a Tensor: its constant value)."""
    if isinstance(s, Tensor):
        v = static_value(s)
        return TensorShape(None) if v is None else as_shape(v.tolist())
    return as_shape(s)


def _check_maybe(t: Tensor) -> None:
    if t.shape.ndims is None:
        raise ValueError(f"Expected tensor ({t}) to have known rank, but ndims == None.")


def _tensor_gather_helper(
    gather_indices: Tensor,
    gather_from: Tensor,
    batch_size: Any,
    range_size: Any,
    gather_shape: list[Any],
    name: str | None = None,
) -> Tensor:
    """out[b, k, ...] = gather_from[b] flattened to `gather_shape`'s rows, at row
    gather_indices[b, k]: picks per batch entry the beams (or beam * vocab slots) chosen."""
    with name_scope(name, "tensor_gather_helper"):
        offsets = reshape_ops.expand_dims(range_ops.range(batch_size) * range_size, 1)
        flat_indices = reshape_ops.reshape(gather_indices + offsets, [-1])
        rows = reshape_ops.reshape(
            gather_from,
            manip_ops.concat([[-1], array_ops.shape(gather_from)[2:]], 0)
            if len(gather_shape) > 1
            else [-1],
        )
        out = indexing_ops.gather(rows, flat_indices)
        n = len(gather_shape)
        final_shape = (
            array_ops.shape(gather_from)[: 1 + n] if n == 1 else array_ops.shape(gather_from)
        )
        out = reshape_ops.reshape(out, final_shape, name="output")
        static = TensorShape([_static_dim(batch_size)]).concatenate(
            gather_from.shape[1 : 1 + n] if n == 1 else gather_from.shape[1:]
        )
        out.set_shape(static)
        return out


def _mask_probs(probs: Tensor, eos_token: Tensor, finished: Tensor) -> Tensor:
    """Rows of finished beams replaced by 0 at eos_token and the dtype's lowest value
    elsewhere: a finished beam can only continue with eos, at no cost."""
    vocab_size = array_ops.shape(probs)[2]
    finished_row = indexing_ops.one_hot(
        eos_token,
        vocab_size,
        on_value=np.zeros((), probs.dtype.np),
        off_value=np.asarray(np.finfo(probs.dtype.np).min, probs.dtype.np),
        dtype=probs.dtype,
    )
    finished_probs = manip_ops.tile(
        reshape_ops.reshape(finished_row, [1, 1, -1]),
        manip_ops.concat([array_ops.shape(finished), [1]], 0),
    )
    finished_mask = manip_ops.tile(reshape_ops.expand_dims(finished, 2), [1, 1, vocab_size])
    return indexing_ops.where(finished_mask, finished_probs, probs)


def _length_penalty(sequence_lengths: Tensor, penalty_factor: Any) -> Any:
    """((5 + length) / 6) ** penalty_factor (Wu et al., 2016); 1 when the factor is 0."""
    penalty_factor = convert_to_tensor(penalty_factor, name="penalty_factor")
    if penalty_factor.shape.ndims not in (None, 0):
        raise ValueError(
            f"length_penalty_weight must be a scalar; got shape {penalty_factor.shape}."
        )
    static = static_value(penalty_factor)
    if static is not None and static == 0:
        return 1.0
    lengths = cast_ops.cast(sequence_lengths, dtypes.float32)
    return math_ops.pow(5.0 + lengths, penalty_factor) / math_ops.pow(6.0, penalty_factor)


def _attention_probs_from_state(state: AttentionWrapperState) -> Tensor:
    probs = state.alignments
    if isinstance(probs, tuple):  # several mechanisms: their mean
        probs = reduction_ops.reduce_mean(
            manip_ops.concat([reshape_ops.expand_dims(p, -1) for p in probs], -1), -1
        )
    return probs


def get_attention_probs(next_cell_state: Any, coverage_penalty_weight: Any) -> Any:
    """The attention probabilities [batch, beam, max_time] of the AttentionWrapper(s) in the
    cell state (averaged over several), or None when there is no coverage penalty."""
    if coverage_penalty_weight == 0.0:
        return None
    per_layer = []
    if isinstance(next_cell_state, AttentionWrapperState):
        per_layer = [_attention_probs_from_state(next_cell_state)]
    elif isinstance(next_cell_state, tuple):
        per_layer = [
            _attention_probs_from_state(s)
            for s in next_cell_state
            if isinstance(s, AttentionWrapperState)
        ]
    if not per_layer:
        raise ValueError("coverage_penalty_weight must be 0.0 if no cell is attentional.")
    if len(per_layer) == 1:
        return per_layer[0]
    return reduction_ops.reduce_mean(
        manip_ops.concat([reshape_ops.expand_dims(p, -1) for p in per_layer], -1), -1
    )


def _get_scores(
    log_probs: Tensor,
    sequence_lengths: Tensor,
    length_penalty_weight: Any,
    coverage_penalty_weight: Any,
    finished: Tensor,
    accumulated_attention_probs: Any,
) -> Tensor:
    """log_probs / length_penalty [+ coverage_penalty_weight * sum_t log(min(acc_t, 1)) for
    finished beams (Wu et al., 2016)]."""
    penalty = _length_penalty(sequence_lengths, length_penalty_weight)
    if isinstance(penalty, Tensor):
        penalty = cast_ops.cast(penalty, log_probs.dtype)
    scores = log_probs / penalty
    coverage_penalty_weight = convert_to_tensor(
        coverage_penalty_weight, name="coverage_penalty_weight"
    )
    if coverage_penalty_weight.shape.ndims != 0:
        raise ValueError(
            f"coverage_penalty_weight should be a scalar, but saw shape: "
            f"{coverage_penalty_weight.shape}"
        )
    if static_value(coverage_penalty_weight) == 0.0:
        return scores
    if accumulated_attention_probs is None:
        raise ValueError(
            "accumulated_attention_probs can be None only if coverage penalty is disabled."
        )
    # Source positions never attended (past the memory's length) do not count.
    acc = indexing_ops.where(
        logic_ops.equal(accumulated_attention_probs, 0.0),
        array_ops.ones_like(accumulated_attention_probs),
        accumulated_attention_probs,
    )
    coverage = reduction_ops.reduce_sum(unary_ops.log(math_ops.minimum(acc, 1.0)), 2)
    coverage = coverage * cast_ops.cast(finished, coverage.dtype)
    weighted = coverage * cast_ops.cast(coverage_penalty_weight, coverage.dtype)
    return scores + reshape_ops.expand_dims(weighted, 2)


def _beam_search_step(
    time: Any,
    logits: Tensor,
    next_cell_state: Any,
    beam_state: BeamSearchDecoderState,
    batch_size: Any,
    beam_width: int,
    end_token: Tensor,
    length_penalty_weight: Any,
    coverage_penalty_weight: Any,
) -> tuple[BeamSearchDecoderOutput, BeamSearchDecoderState]:
    static_batch = _static_dim(batch_size)
    prediction_lengths = beam_state.lengths
    previously_finished = beam_state.finished
    not_finished = logic_ops.logical_not(previously_finished)

    # Total log probability of every continuation: [batch, beam, vocab].
    step_log_probs = nn_ops.log_softmax(logits)
    step_log_probs = _mask_probs(step_log_probs, end_token, previously_finished)
    total_probs = reshape_ops.expand_dims(beam_state.log_probs, 2) + step_log_probs

    # Lengths if each continuation were chosen: +1 unless finished (or continuing with eos).
    vocab_known = logits.shape.as_list()[-1] if logits.shape.ndims else None
    vocab_size: Any = vocab_known if vocab_known is not None else array_ops.shape(logits)[-1]
    lengths_to_add = indexing_ops.one_hot(
        array_ops.fill(array_ops.stack([batch_size, beam_width]), end_token),
        depth=vocab_size,
        on_value=np.int64(0),
        off_value=np.int64(1),
        dtype=dtypes.int64,
    )
    add_mask = cast_ops.cast(not_finished, dtypes.int64)
    lengths_to_add = lengths_to_add * reshape_ops.expand_dims(add_mask, 2)
    new_prediction_lengths = lengths_to_add + reshape_ops.expand_dims(prediction_lengths, 2)

    accumulated_attention_probs = None
    attention_probs = get_attention_probs(next_cell_state, coverage_penalty_weight)
    if attention_probs is not None:
        attention_probs = attention_probs * reshape_ops.expand_dims(
            cast_ops.cast(not_finished, attention_probs.dtype), 2
        )
        accumulated_attention_probs = beam_state.accumulated_attention_probs + attention_probs

    scores = _get_scores(
        total_probs,
        new_prediction_lengths,
        length_penalty_weight,
        coverage_penalty_weight,
        previously_finished,
        accumulated_attention_probs,
    )

    # The best beam_width of all beam * vocab continuations of each entry.
    scores_flat = reshape_ops.reshape(scores, array_ops.stack([batch_size, -1]))
    next_beam_scores, word_indices = nn_ops.top_k(scores_flat, k=beam_width)
    next_beam_scores.set_shape([static_batch, beam_width])
    word_indices.set_shape([static_batch, beam_width])

    next_beam_probs = _tensor_gather_helper(
        word_indices,
        total_probs,
        batch_size,
        beam_width * vocab_size,
        [-1],
        name="next_beam_probs",
    )
    next_word_ids = cast_ops.cast(
        division_ops.floormod(word_indices, vocab_size, name="next_beam_word_ids"),
        dtypes.int32,
    )
    next_beam_ids = cast_ops.cast(
        division_ops.floordiv(word_indices, vocab_size),
        dtypes.int32,
        name="next_beam_parent_ids",
    )

    previously_finished = _tensor_gather_helper(
        next_beam_ids, previously_finished, batch_size, beam_width, [-1]
    )
    next_finished = logic_ops.logical_or(
        previously_finished,
        logic_ops.equal(next_word_ids, end_token),
        name="next_beam_finished",
    )
    # Finished beams keep their length; the others (eos just chosen included) grow by one.
    lengths_to_add = cast_ops.cast(logic_ops.logical_not(previously_finished), dtypes.int64)
    next_prediction_len = _tensor_gather_helper(
        next_beam_ids, beam_state.lengths, batch_size, beam_width, [-1]
    )
    next_prediction_len = next_prediction_len + lengths_to_add
    next_accumulated_attention_probs: Any = ()
    if accumulated_attention_probs is not None:
        next_accumulated_attention_probs = _tensor_gather_helper(
            next_beam_ids,
            accumulated_attention_probs,
            batch_size,
            beam_width,
            [batch_size * beam_width, -1],
            name="next_accumulated_attention_probs",
        )

    def gather_state(gather_from: Any) -> Any:
        if isinstance(gather_from, TensorArray):
            return gather_from
        _check_maybe(gather_from)
        if gather_from.shape.ndims >= 2:
            return _tensor_gather_helper(
                next_beam_ids, gather_from, batch_size, beam_width, [batch_size * beam_width, -1]
            )
        return gather_from

    next_cell_state = nest.map_structure(gather_state, next_cell_state)
    next_state = BeamSearchDecoderState(
        cell_state=next_cell_state,
        log_probs=next_beam_probs,
        lengths=next_prediction_len,
        finished=next_finished,
        accumulated_attention_probs=next_accumulated_attention_probs,
    )
    output = BeamSearchDecoderOutput(
        scores=next_beam_scores, predicted_ids=next_word_ids, parent_ids=next_beam_ids
    )
    return output, next_state


def gather_tree_from_array(t: Tensor, parent_ids: Tensor, sequence_length: Tensor) -> Tensor:
    """Reorders a stacked [time, batch, beam, ...] tensor along the beams' parent chains
    (steps past a beam's length keep their own beam)."""
    dims = parent_ids.shape.as_list() if parent_ids.shape.ndims == 3 else [None] * 3
    max_time = dims[0] if dims[0] is not None else array_ops.shape(parent_ids)[0]
    batch_size = dims[1] if dims[1] is not None else array_ops.shape(parent_ids)[1]
    beam_width = dims[2] if dims[2] is not None else array_ops.shape(parent_ids)[2]
    beam_ids = reshape_ops.expand_dims(reshape_ops.expand_dims(range_ops.range(beam_width), 0), 0)
    beam_ids = manip_ops.tile(beam_ids, array_ops.stack([max_time, batch_size, 1]))
    max_sequence_lengths = cast_ops.cast(
        reduction_ops.reduce_max(sequence_length, axis=1), dtypes.int32
    )
    sorted_beam_ids = gather_tree(
        beam_ids, parent_ids, max_sequence_lengths, end_token=beam_width + 1
    )
    in_bound = reshape_ops.transpose(
        sequence_ops.sequence_mask(sequence_length, maxlen=max_time), [2, 0, 1]
    )
    sorted_beam_ids = indexing_ops.where(in_bound, sorted_beam_ids, beam_ids)
    time_ind = manip_ops.tile(
        reshape_ops.reshape(range_ops.range(max_time), [-1, 1, 1]),
        array_ops.stack([1, batch_size, beam_width]),
    )
    batch_ind = manip_ops.tile(
        reshape_ops.reshape(range_ops.range(batch_size), [-1, 1, 1]),
        array_ops.stack([1, max_time, beam_width]),
    )
    batch_ind = reshape_ops.transpose(batch_ind, [1, 0, 2])
    indices = array_ops.stack([time_ind, batch_ind, sorted_beam_ids], -1)
    final_shape = array_ops.shape(t)
    flat = reshape_ops.reshape(t, array_ops.stack([max_time, batch_size, beam_width, -1]))
    ordered = indexing_ops.gather_nd(flat, indices)
    ordered = reshape_ops.reshape(ordered, final_shape)
    ordered.set_shape(t.shape)
    return ordered


__all__ = [
    "BeamSearchDecoderOutput",
    "BeamSearchDecoderState",
    "FinalBeamSearchDecoderOutput",
    "gather_tree",
    "tile_batch",
]
