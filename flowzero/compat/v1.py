"""`tf.compat.v1`: flowzero's whole TF1 namespace, for code written as

    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()

which runs with `import flowzero.compat.v1 as tf`. Every name is looked up on `flowzero`
itself, so `tf.compat.v1.X is tf.X`.
"""

from __future__ import annotations

from typing import Any

import flowzero as _root


def __getattr__(name: str) -> Any:
    return getattr(_root, name)


def __dir__() -> list[str]:
    return dir(_root)
