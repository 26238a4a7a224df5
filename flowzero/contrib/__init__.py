"""tf.contrib: the few TF1 contrib pieces that old tutorials use (`tf.contrib.layers`)."""

from flowzero.contrib import layers

__all__ = ["layers"]
