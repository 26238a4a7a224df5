"""tf.contrib: the few TF1 contrib pieces that old tutorials use (`tf.contrib.layers`,
`tf.contrib.rnn`, `tf.contrib.seq2seq`, `tf.contrib.eager`,
`tf.contrib.tensorboard.plugins.projector`)."""

from flowzero.contrib import layers


def __getattr__(name: str) -> object:
    # tf.contrib.rnn, .seq2seq, .eager and .tensorboard load on first use (`import flowzero`
    # stays light).
    import importlib

    if name not in ("rnn", "seq2seq", "eager", "tensorboard"):
        raise AttributeError(f"module 'flowzero.contrib' has no attribute '{name}'")
    value = importlib.import_module(f"flowzero.contrib.{name}")
    globals()[name] = value
    return value


__all__ = ["layers", "rnn", "seq2seq", "eager", "tensorboard"]
