"""tf.contrib: the few TF1 contrib pieces that old tutorials use (`tf.contrib.layers`,
`tf.contrib.rnn`)."""

from flowzero.contrib import layers, rnn

__all__ = ["layers", "rnn"]
