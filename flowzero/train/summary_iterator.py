"""tf.train.summary_iterator: the Event protos of an event file (a TFRecord file written by
tf.summary.FileWriter). The Event message is tensorboardX's (an optional extra), imported on
first use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flowzero.platform.tf_record import tf_record_iterator


def summary_iterator(path: Any) -> Iterator[Any]:
    """Yields each `Event` protocol buffer of the event file `path`, in order.

    Example:
        >>> for e in tf.train.summary_iterator(path):
        ...     for v in e.summary.value:
        ...         if v.tag == "loss":
        ...             print(e.step, v.simple_value)

    Raises:
        ImportError: the `tensorboardX` package (its Event message) is not installed.
        tf.errors.NotFoundError / DataLossError: the file is missing or corrupted.
    """
    try:
        from tensorboardX.proto import event_pb2
    except ImportError as e:
        raise ImportError(
            "tf.train.summary_iterator needs the `tensorboardX` package for the Event message "
            "(pip install 'flowzero[tensorboard]')."
        ) from e
    for record in tf_record_iterator(path):
        yield event_pb2.Event.FromString(record)


__all__ = ["summary_iterator"]
