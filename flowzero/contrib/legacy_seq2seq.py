"""tf.contrib.legacy_seq2seq: TF1's list-of-time-steps sequence models and losses.

    outputs, state = tf.contrib.legacy_seq2seq.rnn_decoder(inputs, init_state, cell)
    loss = tf.contrib.legacy_seq2seq.sequence_loss_by_example(
        [logits], [tf.reshape(targets, [-1])], [tf.ones([batch * steps])])

Inputs are Python lists of [batch, depth] tensors, one per time step, unrolled into the graph
(as char-rnn and the old translate tutorial use them). Composites of existing ops: the cells,
`static_rnn`, embedding lookups and sparse softmax cross-entropy. TF's attention and
model_with_buckets builders are not here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.nn.rnn import static_rnn
from flowzero.ops.array_ops import shape
from flowzero.ops.cast_ops import cast
from flowzero.ops.control_ops import stop_gradient
from flowzero.ops.loss_ops import sparse_softmax_cross_entropy_with_logits
from flowzero.ops.math_ops import add_n
from flowzero.ops.nn_impl import embedding_lookup, xw_plus_b
from flowzero.ops.reduction_ops import argmax, reduce_sum
from flowzero.ops.reshape_ops import reshape
from flowzero.variables import get_variable, get_variable_scope, variable_scope

__all__ = [
    "basic_rnn_seq2seq",
    "embedding_rnn_decoder",
    "rnn_decoder",
    "sequence_loss",
    "sequence_loss_by_example",
    "tied_rnn_seq2seq",
]

LoopFunction = Callable[[Tensor, int], Tensor]


def rnn_decoder(
    decoder_inputs: Sequence[Any],
    initial_state: Any,
    cell: Any,
    loop_function: LoopFunction | None = None,
    scope: Any = None,
) -> tuple[list[Tensor], Any]:
    """Runs `cell` over the decoder inputs from `initial_state`, one step per list element.

    Args:
        decoder_inputs: list of [batch, input_size] tensors.
        initial_state: the cell's state at step 0 (a tensor or a state tuple).
        cell: an RNNCell; its variables are made at step 0 and reused after.
        loop_function: if given, `loop_function(prev_output, i)` replaces input i for i >= 1
            (feeding the model its own previous output at sampling time).
        scope: variable scope (default "rnn_decoder").

    Returns:
        (outputs, state): the list of [batch, output_size] outputs and the last state.
    """
    with variable_scope(scope or "rnn_decoder"):
        state = initial_state
        outputs: list[Tensor] = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


def basic_rnn_seq2seq(
    encoder_inputs: Sequence[Any],
    decoder_inputs: Sequence[Any],
    cell: Any,
    dtype: Any = dtypes.float32,
    scope: Any = None,
) -> tuple[list[Tensor], Any]:
    """Encodes with a copy of `cell` (its own variables), decodes with `cell` from the
    encoder's final state. Returns (decoder outputs, final decoder state)."""
    with variable_scope(scope or "basic_rnn_seq2seq"):
        enc_cell = copy.deepcopy(cell)
        _, enc_state = static_rnn(enc_cell, list(encoder_inputs), dtype=dtype)
        return rnn_decoder(decoder_inputs, enc_state, cell)


def tied_rnn_seq2seq(
    encoder_inputs: Sequence[Any],
    decoder_inputs: Sequence[Any],
    cell: Any,
    loop_function: LoopFunction | None = None,
    dtype: Any = dtypes.float32,
    scope: Any = None,
) -> tuple[list[Tensor], Any]:
    """As basic_rnn_seq2seq, but encoder and decoder share one set of cell variables."""
    with variable_scope("combined_tied_rnn_seq2seq"):
        scope = scope or "tied_rnn_seq2seq"
        _, enc_state = static_rnn(cell, list(encoder_inputs), dtype=dtype, scope=scope)
        get_variable_scope().reuse_variables()
        return rnn_decoder(
            decoder_inputs, enc_state, cell, loop_function=loop_function, scope=scope
        )


def _argmax_and_embed(
    embedding: Any, output_projection: Any = None, update_embedding: bool = True
) -> LoopFunction:
    def loop_function(prev: Tensor, _: int) -> Tensor:
        if output_projection is not None:
            prev = xw_plus_b(prev, output_projection[0], output_projection[1])
        emb_prev = embedding_lookup(embedding, argmax(prev, 1))
        return emb_prev if update_embedding else stop_gradient(emb_prev)

    return loop_function


def embedding_rnn_decoder(
    decoder_inputs: Sequence[Any],
    initial_state: Any,
    cell: Any,
    num_symbols: int,
    embedding_size: int,
    output_projection: tuple[Any, Any] | None = None,
    feed_previous: bool = False,
    update_embedding_for_previous: bool = True,
    scope: Any = None,
) -> tuple[list[Tensor], Any]:
    """rnn_decoder over embedded symbol ids.

    Args:
        decoder_inputs: list of [batch] int32 symbol ids.
        num_symbols, embedding_size: the "embedding" variable's shape.
        output_projection: (W [output_size, num_symbols], b [num_symbols]) applied to an
            output before its argmax when `feed_previous`.
        feed_previous: feed step i the embedding of step i-1's argmax instead of input i.
        update_embedding_for_previous: if False, no gradient reaches the embedding through
            the fed-back symbols.

    Raises:
        ValueError: output_projection's shapes do not fit num_symbols.
    """
    with variable_scope(scope or "embedding_rnn_decoder") as vs:
        if output_projection is not None:
            dtype = vs.dtype or dtypes.float32
            w = convert_to_tensor(output_projection[0], dtype=dtype)
            b = convert_to_tensor(output_projection[1], dtype=dtype)
            fits_w = w.shape.is_compatible_with([None, num_symbols])
            if not fits_w or not b.shape.is_compatible_with([num_symbols]):
                raise ValueError(
                    f"embedding_rnn_decoder: output_projection must be (W [?, {num_symbols}], "
                    f"b [{num_symbols}]); got W {w.shape}, b {b.shape}."
                )
            output_projection = (w, b)
        embedding = get_variable("embedding", [num_symbols, embedding_size])
        loop_function = (
            _argmax_and_embed(embedding, output_projection, update_embedding_for_previous)
            if feed_previous
            else None
        )
        emb_inputs = [embedding_lookup(embedding, i) for i in decoder_inputs]
        return rnn_decoder(emb_inputs, initial_state, cell, loop_function=loop_function)


def sequence_loss_by_example(
    logits: Sequence[Any],
    targets: Sequence[Any],
    weights: Sequence[Any],
    average_across_timesteps: bool = True,
    softmax_loss_function: Callable[..., Tensor] | None = None,
    name: str | None = None,
) -> Tensor:
    """Weighted cross-entropy per example, summed over the list of steps: [batch].

    Args:
        logits: list of [batch, num_classes] logits.
        targets: list of int class ids, [batch] (any shape that flattens to [batch]).
        weights: list of [batch] float weights.
        average_across_timesteps: divide by the summed weights (plus 1e-12).
        softmax_loss_function: `f(labels=, logits=)` replacing sparse softmax cross-entropy.

    Raises:
        ValueError: the three lists differ in length.
    """
    logits, targets, weights = list(logits), list(targets), list(weights)
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError(
            "sequence_loss_by_example: lengths of logits, weights, and targets must be the same; "
            f"got {len(logits)}, {len(weights)}, {len(targets)}."
        )
    with name_scope(name or "sequence_loss_by_example"):
        terms = []
        for logit, target, weight in zip(logits, targets, weights):
            if softmax_loss_function is None:
                crossent = sparse_softmax_cross_entropy_with_logits(
                    labels=reshape(target, [-1]), logits=logit
                )
            else:
                crossent = softmax_loss_function(labels=target, logits=logit)
            terms.append(crossent * weight)
        log_perps = add_n(terms)
        if average_across_timesteps:
            # The epsilon keeps all-zero weights from dividing by zero (as TF).
            log_perps = log_perps / (add_n(weights) + 1e-12)
    return log_perps


def sequence_loss(
    logits: Sequence[Any],
    targets: Sequence[Any],
    weights: Sequence[Any],
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    softmax_loss_function: Callable[..., Tensor] | None = None,
    name: str | None = None,
) -> Tensor:
    """The scalar sum of sequence_loss_by_example, divided by the batch size when
    `average_across_batch`."""
    with name_scope(name or "sequence_loss"):
        cost = reduce_sum(
            sequence_loss_by_example(
                logits,
                targets,
                weights,
                average_across_timesteps=average_across_timesteps,
                softmax_loss_function=softmax_loss_function,
            )
        )
        if average_across_batch:
            batch_size = shape(targets[0])[0]
            return cost / cast(batch_size, cost.dtype)
        return cost
