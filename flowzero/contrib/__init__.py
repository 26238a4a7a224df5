"""tf.contrib: the few TF1 contrib pieces that old tutorials use (`tf.contrib.layers`,
`tf.contrib.rnn`)."""

from flowzero.contrib import layers


def __getattr__(name: str) -> object:
    # tf.contrib.rnn loads on first use (`import flowzero` stays light).
    import importlib

    if name != "rnn":
        raise AttributeError(f"module 'flowzero.contrib' has no attribute '{name}'")
    value = importlib.import_module("flowzero.contrib.rnn")
    globals()[name] = value
    return value

__all__ = ["layers", "rnn"]
