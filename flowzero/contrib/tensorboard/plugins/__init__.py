"""tf.contrib.tensorboard.plugins: `projector`."""

from flowzero.contrib.tensorboard.plugins import projector

__all__ = ["projector"]
