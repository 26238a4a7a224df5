"""tf.train.summary_iterator: the Event protos of a TensorBoard event file, in order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def summary_iterator(path: str) -> Iterator[Any]:
    """Yields each `tf.Event` (tensorboard's proto) of the event file at `path`, the first one
    its file_version record.

    Raises:
        NotFoundError: no file at `path`.
        DataLossError: a corrupt or truncated record.

    Example:
        >>> for event in tf.train.summary_iterator(path):
        ...     for value in event.summary.value:
        ...         print(event.step, value.tag, value.simple_value)
    """
    from tensorboard.compat.proto import event_pb2

    from flowzero.platform.tf_record import tf_record_iterator

    for record in tf_record_iterator(path):
        yield event_pb2.Event.FromString(record)


__all__ = ["summary_iterator"]
