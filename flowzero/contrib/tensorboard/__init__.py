"""tf.contrib.tensorboard: the embedding projector's configuration (`plugins.projector`)."""

from flowzero.contrib.tensorboard import plugins

__all__ = ["plugins"]
