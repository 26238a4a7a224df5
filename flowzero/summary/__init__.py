"""tf.summary: summary ops and FileWriter -> TensorBoard event files.

    summaries = tf.summary.merge_all()
    with tf.summary.FileWriter("logs/run1", sess.graph) as writer:
        writer.add_summary(sess.run(summaries, feed), global_step=step)

Needs the optional packages `tensorboardX` (event files) and `tensorboard` (protobufs, and the
TensorBoard app): `pip install 'flowzero[tensorboard]'`. They are imported only when a summary
op runs or a writer is created, so importing this module stays light. See docs/tensorboard.md.
"""

from typing import Any

from flowzero.summary.graph_def import to_graph_def
from flowzero.summary.summary_ops import histogram, image, merge, merge_all, scalar
from flowzero.summary.tensor_audio import audio, tensor_summary, text
from flowzero.summary.writer import FileWriter, FileWriterCache

__all__ = [
    "FileWriter",
    "FileWriterCache",
    "audio",
    "histogram",
    "image",
    "merge",
    "merge_all",
    "scalar",
    "tensor_summary",
    "text",
    "to_graph_def",
    "Summary",
    "Event",
    "SessionLog",
    "SummaryDescription",
    "TaggedRunMetadata",
]

# The protobuf classes, as tf.summary.Summary / Event / SessionLog: tensorboard's own, loaded
# on first access.
_LAZY_PROTOS = {
    "Summary": "summary_pb2",
    "SummaryDescription": "summary_pb2",
    "Event": "event_pb2",
    "SessionLog": "event_pb2",
    "TaggedRunMetadata": "event_pb2",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_PROTOS.get(name)
    if module is None:
        import importlib

        from flowzero.compat import missing_attribute

        raise missing_attribute("summary", name, importlib.import_module(__name__))
    import importlib

    return getattr(importlib.import_module(f"tensorboard.compat.proto.{module}"), name)
