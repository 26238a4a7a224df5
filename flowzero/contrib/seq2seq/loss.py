"""tf.contrib.seq2seq.sequence_loss: weighted cross entropy over [batch, time] predictions.

A composite of public ops (TF 1.15's contrib/seq2seq/python/ops/loss.py semantics): the
per-step cross entropy times `weights`, then averaged or summed over the time and/or batch
axes. "Average" divides by the summed weights; "sum over" divides by the number of non-zero
weights (TF's naming); an all-zero divisor gives 0 (div_no_nan), never NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.ops import (
    array_ops,
    cast_ops,
    loss_ops,
    more_math_ops,
    reduction_ops,
    reshape_ops,
)


def _check_rank(t: Tensor, rank: int, message: str) -> None:
    if t.shape.ndims != rank:
        got = "unknown rank" if t.shape.ndims is None else f"shape {t.shape}"
        raise ValueError(f"sequence_loss: {message}; got '{t.name}' of {got}.")


def sequence_loss(
    logits: Any,
    targets: Any,
    weights: Any,
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    sum_over_timesteps: bool = False,
    sum_over_batch: bool = False,
    softmax_loss_function: Callable[..., Any] | None = None,
    name: str | None = None,
) -> Tensor:
    """Weighted cross-entropy loss for a sequence of logits.

    Args:
        logits: [batch_size, sequence_length, num_classes] float logits.
        targets: [batch_size, sequence_length] int class ids.
        weights: [batch_size, sequence_length] float weights (1 for a real step, 0 for
            padding when used as a mask).
        average_across_timesteps: sum over time and divide by the summed weights over time.
        average_across_batch: sum over the batch and divide by the summed weights over it.
        sum_over_timesteps: sum over time and divide by the number of non-zero weights.
        sum_over_batch: sum over the batch and divide by the number of non-zero weights.
        softmax_loss_function: `fn(labels=..., logits=...)` -> per-row loss, used instead
            of sparse_softmax_cross_entropy_with_logits (called with keyword arguments).
        name: the name scope (default "sequence_loss").

    Returns:
        A float tensor: a scalar when both axes are reduced, [batch] or [sequence_length]
        when one is, [batch, sequence_length] when none is.

    Raises:
        ValueError: logits not of rank 3, targets or weights not of rank 2, or an axis that
            is both averaged and summed.

    Example:
        >>> logits = tf.placeholder(tf.float32, [None, 7, 10])
        >>> targets = tf.placeholder(tf.int32, [None, 7])
        >>> mask = tf.sequence_mask(tf.placeholder(tf.int32, [None]), 7, dtype=tf.float32)
        >>> loss = tf.contrib.seq2seq.sequence_loss(logits, targets, mask)   # a scalar
    """
    logits = convert_to_tensor(logits)
    targets = convert_to_tensor(targets)
    weights = convert_to_tensor(weights)
    _check_rank(logits, 3, "logits must be a [batch_size x sequence_length x logits] tensor")
    _check_rank(targets, 2, "targets must be a [batch_size x sequence_length] tensor")
    _check_rank(weights, 2, "weights must be a [batch_size x sequence_length] tensor")
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError(
            "sequence_loss: average_across_timesteps and sum_over_timesteps cannot be set "
            "to True at same time."
        )
    if average_across_batch and sum_over_batch:
        raise ValueError(
            "sequence_loss: average_across_batch and sum_over_batch cannot be set to True "
            "at same time."
        )
    with name_scope(name, "sequence_loss", [logits, targets, weights]):
        num_classes = array_ops.shape(logits)[2]
        logits_flat = reshape_ops.reshape(logits, array_ops.stack([-1, num_classes]))
        targets_flat = reshape_ops.reshape(targets, [-1])
        if softmax_loss_function is None:
            crossent = loss_ops.sparse_softmax_cross_entropy_with_logits(
                labels=targets_flat, logits=logits_flat
            )
        else:
            crossent = softmax_loss_function(labels=targets_flat, logits=logits_flat)
        crossent = crossent * reshape_ops.reshape(weights, [-1])
        if average_across_timesteps and average_across_batch:
            total = reduction_ops.reduce_sum(weights)
            return more_math_ops.div_no_nan(reduction_ops.reduce_sum(crossent), total)
        if sum_over_timesteps and sum_over_batch:
            count = cast_ops.cast(reduction_ops.count_nonzero(weights), crossent.dtype)
            return more_math_ops.div_no_nan(reduction_ops.reduce_sum(crossent), count)
        crossent = reshape_ops.reshape(crossent, array_ops.shape(logits)[0:2])
        crossent.set_shape(logits.shape[0:2])
        if average_across_timesteps or average_across_batch:
            axis = [0] if average_across_batch else [1]
            total = reduction_ops.reduce_sum(weights, axis=axis)
            return more_math_ops.div_no_nan(reduction_ops.reduce_sum(crossent, axis=axis), total)
        if sum_over_timesteps or sum_over_batch:
            axis = [0] if sum_over_batch else [1]
            count = cast_ops.cast(reduction_ops.count_nonzero(weights, axis=axis), crossent.dtype)
            return more_math_ops.div_no_nan(reduction_ops.reduce_sum(crossent, axis=axis), count)
        return crossent


class SequenceLoss:
    """sequence_loss as a loss object (TF's Keras-style SequenceLoss): by default the sum
    over time and batch divided by the number of non-zero weights.

    Args:
        average_across_timesteps, average_across_batch, sum_over_timesteps, sum_over_batch,
        softmax_loss_function, name: as sequence_loss (note the other defaults).

    Example:
        >>> loss_fn = tf.contrib.seq2seq.SequenceLoss()
        >>> loss = loss_fn([[1, 0]], tf.zeros([1, 2, 3]), sample_weight=[[1.0, 1.0]])
        >>> print(round(float(tf.Session().run(loss)), 4))    # log(3)
        1.0986
    """

    def __init__(
        self,
        average_across_timesteps: bool = False,
        average_across_batch: bool = False,
        sum_over_timesteps: bool = True,
        sum_over_batch: bool = True,
        softmax_loss_function: Callable[..., Any] | None = None,
        name: str | None = None,
    ) -> None:
        self.average_across_timesteps = average_across_timesteps
        self.average_across_batch = average_across_batch
        self.sum_over_timesteps = sum_over_timesteps
        self.sum_over_batch = sum_over_batch
        self.softmax_loss_function = softmax_loss_function
        self.name = name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """sequence_loss(y_pred, y_true, sample_weight) with this object's settings.

        Raises:
            ValueError: no sample_weight (the [batch, time] weights are required), or as
                sequence_loss.
        """
        if sample_weight is None:
            raise ValueError(
                "SequenceLoss: sample_weight, the [batch_size x sequence_length] weights, "
                "is required."
            )
        return sequence_loss(
            y_pred,
            y_true,
            sample_weight,
            average_across_timesteps=self.average_across_timesteps,
            average_across_batch=self.average_across_batch,
            sum_over_timesteps=self.sum_over_timesteps,
            sum_over_batch=self.sum_over_batch,
            softmax_loss_function=self.softmax_loss_function,
            name=self.name,
        )


__all__ = ["sequence_loss", "SequenceLoss"]
