"""GradientTape and tf.contrib.eager's gradient functions.

While a tape records, every eager op is linked to its inputs, so the graph-mode reverse walk
(`flowzero.autodiff.gradients`) can run over the recorded ops; the gradient ops it creates run
eagerly too (and are recorded by any outer tape: nested tapes give second derivatives). A tape
unlinks its ops when it is released, so nothing accumulates across training steps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flowzero.eager.context import EagerGraph, executing_eagerly
from flowzero.framework.graph import GraphKeys, Operation, Tensor, get_default_graph


def _eager_graph(what: str) -> EagerGraph:
    g = get_default_graph()
    if not isinstance(g, EagerGraph):
        raise RuntimeError(
            f"{what} needs eager execution: call tf.enable_eager_execution() "
            "at program start (in graph mode, use tf.gradients)."
        )
    return g


def _ref_of(x: Any) -> Tensor:
    return x._ref() if hasattr(x, "_ref") else x


class GradientTape:
    """Records eager ops for differentiation (TF's tf.GradientTape).

    Trainable variables read under the tape are watched automatically; other tensors need
    `tape.watch(t)`. A non-persistent tape allows one `gradient` call.

    Example:
        >>> tf.enable_eager_execution()   # at program start
        >>> x = tf.constant(3.0)
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> print(tape.gradient(y, x).numpy())
        6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._ops: list[Operation] = []
        self._watched: set[Tensor] = set()
        self._recording = False
        self._used = False
        self._released = False
        self._graph: EagerGraph | None = None

    def __enter__(self) -> GradientTape:
        self._graph = _eager_graph("tf.GradientTape")
        self._recording = True
        self._graph.push_tape(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._recording = False
        if self._graph is not None:
            self._graph.pop_tape(self)

    def _record(self, op: Operation) -> None:
        refs = self._graph._tape_refs  # type: ignore[union-attr]
        refs[op] = refs.get(op, 0) + 1
        self._ops.append(op)
        if self._watch_accessed_variables and op.type == "ReadVariableOp":
            ref = op.inputs[0]
            if _is_trainable_ref(ref):
                self._watched.add(ref)

    def watch(self, tensor: Any) -> None:
        """Differentiate with respect to `tensor` (a Tensor, a Variable, or a nest of them)."""
        from flowzero.framework import nest

        for t in nest.flatten(tensor):
            self._watched.add(_ref_of(t))

    def watched_variables(self) -> list[Any]:
        g = self._graph or get_default_graph()
        refs = self._watched
        return [v for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES) if v._ref() in refs]

    def stop_recording(self) -> Any:
        """`with tape.stop_recording():` runs ops without recording them."""
        import contextlib

        @contextlib.contextmanager
        def cm() -> Any:
            was = self._recording
            self._recording = False
            try:
                yield
            finally:
                self._recording = was

        return cm()

    def reset(self) -> None:
        """Forgets everything recorded so far."""
        self._release()
        self._released = False
        self._watched = set()

    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: str = "none",
    ) -> Any:
        """d(sum of target) / d(source) for each source, in the structure of `sources`
        (None for a source the target does not depend on, or that is not watched).

        Raises:
            RuntimeError: a non-persistent tape's second call, or no eager execution.
        """
        from flowzero.autodiff import gradients
        from flowzero.framework import nest

        if self._released or (self._used and not self._persistent):
            raise RuntimeError(
                "GradientTape.gradient can only be called once on non-persistent tapes."
            )
        self._used = True
        flat_sources = nest.flatten(sources)
        refs = [_ref_of(s) for s in flat_sources]
        if self._graph is not None and self._graph._defun_depth:
            # In a defun trace the ops are graph ops, not recorded: differentiate as
            # tf.gradients does, with respect to every source.
            watched = [True] * len(refs)
        else:
            watched = [r in self._watched for r in refs]
        targets = nest.flatten(target)
        if output_gradients is not None:
            output_gradients = nest.flatten(output_gradients)
        xs = [s for s, w in zip(flat_sources, watched) if w]
        grads: list[Any] = []
        if xs:
            was = self._recording
            self._recording = False  # the gradient ops are not part of this tape
            try:
                grads = gradients(
                    targets,
                    xs,
                    grad_ys=output_gradients,
                    unconnected_gradients=unconnected_gradients,
                )
            finally:
                self._recording = was
        it = iter(grads)
        out = [next(it) if w else None for w in watched]
        if not self._persistent:
            self._release()
        return nest.pack_sequence_as(sources, out)

    def _release(self) -> None:
        refs = self._graph._tape_refs if self._graph is not None else {}
        for op in self._ops:
            refs[op] -= 1
            if refs[op] == 0:
                del refs[op]
                for t in op.inputs:
                    try:
                        t._consumers.remove(op)
                    except ValueError:
                        pass
        self._ops = []
        self._released = True

    def __del__(self) -> None:
        if not getattr(self, "_released", True):
            self._release()


def _is_trainable_ref(ref: Tensor) -> bool:
    g = ref.graph
    return any(v._ref() is ref for v in g.get_collection(GraphKeys.TRAINABLE_VARIABLES))


# -- tf.contrib.eager's functional forms -----------------------------------------------------
def implicit_value_and_gradients(f: Callable[..., Any]) -> Callable[..., Any]:
    """`f` -> a function returning (f(*args), [(gradient, variable), ...]) for the trainable
    variables f reads."""

    @functools.wraps(f)
    def grad_fn(*args: Any, **kwargs: Any) -> tuple[Any, list[tuple[Any, Any]]]:
        with GradientTape() as tape:
            value = f(*args, **kwargs)
        variables = tape.watched_variables()
        if not variables:
            raise ValueError(
                "No trainable variables were accessed while the function was being computed."
            )
        grads = tape.gradient(value, variables)
        return value, list(zip(grads, variables))

    return grad_fn


def implicit_gradients(f: Callable[..., Any]) -> Callable[..., Any]:
    """`f` -> a function returning [(gradient, variable), ...] for the trainable variables
    f reads (TF's tfe.implicit_gradients)."""
    vg = implicit_value_and_gradients(f)

    @functools.wraps(f)
    def grad_fn(*args: Any, **kwargs: Any) -> list[tuple[Any, Any]]:
        return vg(*args, **kwargs)[1]

    return grad_fn


def value_and_gradients_function(f: Callable[..., Any], params: Any = None) -> Callable[..., Any]:
    """`f` -> a function returning (f(*args), [df/d arg for the args in `params`])."""

    @functools.wraps(f)
    def grad_fn(*args: Any, **kwargs: Any) -> tuple[Any, list[Any]]:
        from flowzero.framework.graph import convert_to_tensor

        idx = (
            list(range(len(args)))
            if params is None
            else [p if isinstance(p, int) else _arg_index(f, p) for p in params]
        )
        args_t = [convert_to_tensor(a) if i in idx else a for i, a in enumerate(args)]
        with GradientTape() as tape:
            for i in idx:
                tape.watch(args_t[i])
            value = f(*args_t, **kwargs)
        return value, tape.gradient(value, [args_t[i] for i in idx])

    return grad_fn


def gradients_function(f: Callable[..., Any], params: Any = None) -> Callable[..., Any]:
    """`f` -> a function returning [df/d arg for the args in `params`] (default: all)."""
    vg = value_and_gradients_function(f, params)

    @functools.wraps(f)
    def grad_fn(*args: Any, **kwargs: Any) -> list[Any]:
        return vg(*args, **kwargs)[1]

    return grad_fn


def _arg_index(f: Callable[..., Any], name: str) -> int:
    import inspect

    names = list(inspect.signature(f).parameters)
    if name not in names:
        raise ValueError(f"params: {name!r} is not an argument of {f.__name__} ({names}).")
    return names.index(name)


__all__ = [
    "GradientTape",
    "implicit_gradients",
    "implicit_value_and_gradients",
    "gradients_function",
    "value_and_gradients_function",
    "executing_eagerly",
]
