"""Checkpoints in eager mode: tf.contrib.eager.Saver, and what lets tf.train.Saver and
tf.train.Checkpoint save and restore eager variables.

An eager variable's value lives in the EagerGraph's RunContext, exactly where a Session keeps
a graph variable's; `EagerSession` presents that context as the session those savers expect,
so they read and write the same cells, in the same files (TF's V2 checkpoint format), with no
second code path.
"""

from __future__ import annotations

import os
from typing import Any


class EagerSession:
    """The eager program as a Session for code that saves and restores variables: `graph`,
    the variable cells (`_ctx`), and `run(fetches)` evaluating eager values."""

    _closed = False

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self._ctx = graph._ctx

    def run(self, fetches: Any, feed_dict: Any = None, **kwargs: Any) -> Any:
        from flowzero.framework import nest

        if feed_dict:
            raise RuntimeError("feed_dict is not supported in eager mode: ops run at once.")

        def value(x: Any) -> Any:
            if x is None:
                return None
            if hasattr(x, "numpy"):
                return x.numpy()
            if hasattr(x, "_ref"):  # a Variable: its current value
                return x._ref().numpy()
            return x  # an op already ran (None in TF) or a plain value

        return nest.map_structure(value, fetches)


def eager_session() -> EagerSession | None:
    """The eager program's session-like view, or None when not executing eagerly."""
    from flowzero.framework.graph import get_default_graph

    g = get_default_graph()
    return EagerSession(g) if getattr(g, "_eager", False) else None


def _require_eager(what: str) -> EagerSession:
    sess = eager_session()
    if sess is None:
        raise RuntimeError(f"{what} is only supported when eager execution is enabled.")
    return sess


class Saver:
    """Saves and restores a list (or dict) of eager Variables (tf.contrib.eager.Saver): the
    files are tf.train.Saver's (TF's V2 format), keyed by the variables' names.

    Example:
        >>> tf.enable_eager_execution()   # at program start
        >>> w = tf.Variable([1.0, 2.0], name="w")
        >>> step = tf.Variable(7, name="step")
        >>> saver = tf.contrib.eager.Saver([w, step])
        >>> path = saver.save("ckpt/model", global_step=step)
        >>> print(path)
        ckpt/model-7
        >>> _ = w.assign([0.0, 0.0])
        >>> saver.restore(path)     # w holds the saved values again, at once
        >>> print(w.numpy())
        [1. 2.]

    Raises:
        RuntimeError: eager execution is not enabled.
    """

    def __init__(self, var_list: Any) -> None:
        from flowzero.train.saver import Saver as GraphSaver

        _require_eager("tfe.Saver")
        if var_list is None or (not isinstance(var_list, dict) and not list(var_list)):
            raise ValueError(
                "tfe.Saver needs the variables to save: a non-empty list or dict of Variables."
            )
        self._saver = GraphSaver(var_list, max_to_keep=0)

    def save(self, file_prefix: str, global_step: Any = None) -> str:
        """Writes the variables' current values at `file_prefix` (`-<global_step>` appended
        when given; an int or an integer Variable). Returns the checkpoint's prefix."""
        sess = _require_eager("tfe.Saver.save")
        os.makedirs(os.path.dirname(os.path.abspath(os.fspath(file_prefix))), exist_ok=True)
        return self._saver.save(
            sess, os.fspath(file_prefix), global_step=global_step, write_meta_graph=False
        )

    def restore(self, file_prefix: str) -> None:
        """Assigns the values of checkpoint `file_prefix` to the variables, now.

        Raises:
            tf.errors.NotFoundError: no such checkpoint, or a variable's key missing from it.
            tf.errors.InvalidArgumentError: a saved dtype or shape differs from a variable's.
        """
        sess = _require_eager("tfe.Saver.restore")
        self._saver.restore(sess, os.fspath(file_prefix))


__all__ = ["EagerSession", "Saver", "eager_session"]
