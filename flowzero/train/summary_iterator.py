"""tf.train.summary_iterator: the Event protos of an event file (a TFRecord file written by
tf.summary.FileWriter). The Event message is TensorBoard's, as `tf.Event` and `tf.Summary`
(the `tensorboard` extra), imported on first use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def summary_iterator(path: Any) -> Iterator[Any]:
    """Yields each `Event` protocol buffer of the event file `path`, in order.

    Example:
        >>> loss = tf.placeholder(tf.float32, [])
        >>> summary = tf.summary.scalar("loss", loss)
        >>> sess = tf.Session()
        >>> with tf.summary.FileWriter("logs") as writer:
        ...     for step, value in enumerate([0.5, 0.25]):
        ...         writer.add_summary(sess.run(summary, {loss: value}), step)
        >>> path = tf.gfile.Glob("logs/events.out.tfevents.*")[0]
        >>> for e in tf.train.summary_iterator(path):
        ...     for v in e.summary.value:
        ...         if v.tag == "loss":
        ...             print(e.step, v.simple_value)
        0 0.5
        1 0.25

    Raises:
        ImportError: the `tensorboard` package (its Event message) is not installed.
        tf.errors.NotFoundError / DataLossError: the file is missing or corrupted.
    """
    try:
        from tensorboard.compat.proto import event_pb2
    except ImportError as e:
        raise ImportError(
            "tf.train.summary_iterator needs the `tensorboard` package for the Event message "
            "(pip install 'flowzero[tensorboard]')."
        ) from e
    from flowzero.platform.tf_record import tf_record_iterator  # (tf_record imports tf.train)

    for record in tf_record_iterator(path):
        yield event_pb2.Event.FromString(record)


__all__ = ["summary_iterator"]
