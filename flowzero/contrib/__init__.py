"""tf.contrib: the TF1 contrib pieces that old tutorials and programs use (`tf.contrib.layers`,
`.rnn`, `.eager`, `.framework`, `.factorization`, `.seq2seq`,
`.tensorboard.plugins.projector`, `.learn.preprocessing`)."""

from flowzero.contrib import layers

# Loaded on first use (`import flowzero` stays light).
_LAZY = (
    "rnn",
    "eager",
    "tensorboard",
    "framework",
    "factorization",
    "seq2seq",
    "learn",
    "legacy_seq2seq",
)


def __getattr__(name: str) -> object:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'flowzero.contrib' has no attribute '{name}'")
    value = importlib.import_module(f"flowzero.contrib.{name}")
    globals()[name] = value
    return value


__all__ = ["layers", *_LAZY]
