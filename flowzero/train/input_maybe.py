"""tf.train.maybe_batch, maybe_shuffle_batch, maybe_batch_join and maybe_shuffle_batch_join:
the queue batchers of flowzero/train/input.py that enqueue an element only where `keep_input`
is true (TF 1.15's training/input.py).

`keep_input` is a bool scalar (keep or drop the whole enqueue) or, with enqueue_many=True, a
bool vector (keep or drop each row of the batch being enqueued).
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import convert_to_tensor
from flowzero.train.input import _batch


def _keep(keep_input: Any, enqueue_many: bool, fn: str) -> Any:
    keep = convert_to_tensor(keep_input, dtype=dtypes.bool, name="keep_input")
    ndims = keep.shape.ndims
    if ndims is None:
        raise ValueError(f"{fn}: keep_input must have a known rank (0, or 1 with enqueue_many).")
    if ndims == 1 and not enqueue_many:
        raise ValueError(
            f"{fn}: keep_input cannot be a vector when enqueue_many=False; got shape {keep.shape}."
        )
    if ndims > 1:
        raise ValueError(f"{fn}: keep_input must be a scalar or a vector; got shape {keep.shape}.")
    return keep


def maybe_batch(
    tensors: Any,
    keep_input: Any,
    batch_size: int,
    num_threads: int = 1,
    capacity: int = 32,
    enqueue_many: bool = False,
    shapes: Any = None,
    dynamic_pad: bool = False,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """tf.train.batch, enqueuing `tensors` only where `keep_input` is true.

    Example:
        >>> x = tf.constant([0.1, 0.9, 0.7, 0.2, 0.8, 0.6])
        >>> [big] = tf.train.maybe_batch([x], keep_input=x > 0.5, batch_size=3, enqueue_many=True)
        >>> sess = tf.Session()
        >>> coord = tf.train.Coordinator()
        >>> threads = tf.train.start_queue_runners(sess, coord)
        >>> print(sess.run(big))   # the elements above 0.5, in order
        [0.9 0.7 0.8]
        >>> coord.request_stop()
        >>> coord.join(threads)
    """
    keep = _keep(keep_input, enqueue_many, "maybe_batch")
    return _batch(
        [tensors],
        num_threads,
        name or "batch",
        keep,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
    )


def maybe_batch_join(
    tensors_list: Any,
    keep_input: Any,
    batch_size: int,
    capacity: int = 32,
    enqueue_many: bool = False,
    shapes: Any = None,
    dynamic_pad: bool = False,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """tf.train.batch_join, enqueuing only where `keep_input` is true."""
    keep = _keep(keep_input, enqueue_many, "maybe_batch_join")
    return _batch(
        list(tensors_list),
        1,
        name or "batch_join",
        keep,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
    )


def maybe_shuffle_batch(
    tensors: Any,
    batch_size: int,
    capacity: int,
    min_after_dequeue: int,
    keep_input: Any,
    num_threads: int = 1,
    seed: int | None = None,
    enqueue_many: bool = False,
    shapes: Any = None,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """tf.train.shuffle_batch, enqueuing only where `keep_input` is true."""
    keep = _keep(keep_input, enqueue_many, "maybe_shuffle_batch")
    return _batch(
        [tensors],
        num_threads,
        name or "shuffle_batch",
        keep,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        False,
        allow_smaller_final_batch,
        shared_name,
        (min_after_dequeue, seed),
    )


def maybe_shuffle_batch_join(
    tensors_list: Any,
    batch_size: int,
    capacity: int,
    min_after_dequeue: int,
    keep_input: Any,
    seed: int | None = None,
    enqueue_many: bool = False,
    shapes: Any = None,
    allow_smaller_final_batch: bool = False,
    shared_name: str | None = None,
    name: str | None = None,
) -> Any:
    """tf.train.shuffle_batch_join, enqueuing only where `keep_input` is true."""
    keep = _keep(keep_input, enqueue_many, "maybe_shuffle_batch_join")
    return _batch(
        list(tensors_list),
        1,
        name or "shuffle_batch_join",
        keep,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        False,
        allow_smaller_final_batch,
        shared_name,
        (min_after_dequeue, seed),
    )


__all__ = ["maybe_batch", "maybe_batch_join", "maybe_shuffle_batch", "maybe_shuffle_batch_join"]
