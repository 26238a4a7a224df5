"""tf.contrib.tensorboard.plugins.projector: TensorBoard's embedding projector, as TF1 programs
set it up.

    config = projector.ProjectorConfig()
    emb = config.embeddings.add()
    emb.tensor_name = embedding_var.name          # a variable saved in the log directory
    emb.metadata_path = "metadata.tsv"            # one label per row
    projector.visualize_embeddings(writer, config)
    saver.save(sess, os.path.join(log_dir, "model.ckpt"), step)

`visualize_embeddings` writes `projector_config.pbtxt` into the writer's log directory, which
TensorBoard's projector plugin reads together with the checkpoint there. The messages are
TensorBoard's own (the `tensorboard` extra).
"""

from __future__ import annotations

import os
from typing import Any

from flowzero.framework.serialization import atomic_write

try:
    from tensorboard.plugins.projector.projector_config_pb2 import (
        EmbeddingInfo,
        ProjectorConfig,
        SpriteMetadata,
    )
except ImportError as e:  # pragma: no cover - the tensorboard extra is missing
    raise ImportError(
        "tf.contrib.tensorboard.plugins.projector needs TensorBoard's messages: "
        "pip install 'flowzero[tensorboard]'"
    ) from e

PROJECTOR_FILENAME = "projector_config.pbtxt"


def visualize_embeddings(summary_writer: Any, config: ProjectorConfig) -> None:
    """Writes `config` as projector_config.pbtxt into `summary_writer`'s log directory.

    Args:
        summary_writer: a tf.summary.FileWriter (anything with get_logdir()).
        config: a ProjectorConfig.

    Raises:
        ValueError: the writer has no log directory.
    """
    from google.protobuf import text_format

    logdir = summary_writer.get_logdir() if hasattr(summary_writer, "get_logdir") else None
    if not logdir:
        raise ValueError("visualize_embeddings: the summary writer has no log directory.")
    if not isinstance(config, ProjectorConfig):
        raise TypeError(
            f"visualize_embeddings: config must be a ProjectorConfig; got {type(config).__name__}."
        )
    os.makedirs(logdir, exist_ok=True)
    text = text_format.MessageToString(config).encode()
    atomic_write(os.path.join(logdir, PROJECTOR_FILENAME), lambda f: f.write(text))


__all__ = [
    "EmbeddingInfo",
    "PROJECTOR_FILENAME",
    "ProjectorConfig",
    "SpriteMetadata",
    "visualize_embeddings",
]
