"""tf.compat: `tf.compat.v1` (flowzero is TF1, so v1 is flowzero itself) and TF 1.15's
sub-namespaces (`tf.math`, `tf.linalg`, `tf.random`, ...) bound to flowzero's root functions.

    import flowzero.compat.v1 as tf   # what `import tensorflow.compat.v1 as tf` code expects
    tf.disable_v2_behavior()          # accepted: flowzero has only TF1's behaviour
"""

from __future__ import annotations

import sys
import types
from typing import Any

from flowzero.compat._tf1_names import NAMESPACES


def _resolve(root: Any, path: str) -> Any:
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class Namespace(types.ModuleType):
    """One of TF 1.15's sub-namespaces, holding the names flowzero implements; a missing name
    is an AttributeError that says so (instead of Python's "did you mean")."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        known = name in NAMESPACES.get(self.__name__.split(".", 1)[1], {})
        raise AttributeError(
            f"flowzero does not implement tf.{self.__name__.split('.', 1)[1]}.{name}"
            + (" (TF 1.15 has it)" if known else "")
            + "; see the README's 'Not supported yet' for what is missing."
        )


# Namespaces that are modules of their own (flowzero/<name>.py, imported on first use), which
# bind TF's root aliases themselves.
MODULES = frozenset({"image"})


def build(root: Any) -> dict[str, Namespace]:
    """The sub-namespaces with at least one name flowzero has, each name bound to the very
    object at flowzero's root (`tf.math.log1p is tf.log1p`)."""
    made: dict[str, Namespace] = {}
    for ns, names in NAMESPACES.items():
        if ns in MODULES:
            continue
        mod = Namespace(f"flowzero.{ns}", f"tf.{ns}: TF 1.15's names that flowzero implements.")
        for name, target in names.items():
            obj = _resolve(root, target) if target is not None else None
            if obj is not None:
                setattr(mod, name, obj)
        if any(not k.startswith("__") for k in vars(mod)):
            made[ns] = mod
    gfile = made.pop("io.gfile", None)
    if gfile is not None and "io" in made:
        made["io"].gfile = gfile  # type: ignore[attr-defined]
    for ns, mod in made.items():
        sys.modules.setdefault(f"flowzero.{ns}", mod)
    return made


def disable_eager_execution() -> None:
    """Accepted: graph building is TF1's default (eager execution is only on after
    tf.enable_eager_execution())."""


def disable_v2_behavior() -> None:
    """Accepted: flowzero always behaves as TF 1.x."""


def enable_v2_behavior() -> None:
    raise NotImplementedError(
        "flowzero implements TF 1.x graph mode only; enable_v2_behavior() is not supported."
    )


def executing_eagerly() -> bool:
    """Whether ops run as soon as they are called: after tf.enable_eager_execution(), outside
    any `with tf.Graph().as_default():`."""
    from flowzero.framework.graph import get_default_graph

    return bool(getattr(get_default_graph(), "_eager", False))
