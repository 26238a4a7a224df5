"""tf.contrib: the few TF1 contrib pieces that old tutorials use (`tf.contrib.layers`,
`tf.contrib.rnn`, `tf.contrib.eager`, `tf.contrib.tensorboard.plugins.projector`)."""

from flowzero.contrib import layers


def __getattr__(name: str) -> object:
    # tf.contrib.rnn, .eager, .tensorboard and .factorization load on first use (`import
    # flowzero` stays light).
    import importlib

    if name not in ("rnn", "eager", "tensorboard", "factorization"):
        raise AttributeError(f"module 'flowzero.contrib' has no attribute '{name}'")
    value = importlib.import_module(f"flowzero.contrib.{name}")
    globals()[name] = value
    return value


__all__ = ["layers", "rnn", "eager", "tensorboard", "factorization"]
