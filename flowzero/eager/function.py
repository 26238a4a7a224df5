"""tf.contrib.eager.defun: a Python function traced into a graph once per input signature and
run as one plan on every later call (TF 1.15's eager `defun`).

The trace is a function Body of the eager program's graph (flowzero/framework/function.py, as
a cond branch or a loop body is): the function runs once on `_Arg` placeholders of the
arguments' dtypes and shapes while every op it creates is kept in the body instead of being
run. Eager tensors and variables it reads become the body's captures (a variable is captured
by reference, so every call sees its current value and may assign it). The body is planned
once (RunContext.subplan) and each call feeds the arguments' values and the captures to that
plan, then returns its outputs as eager tensors.

While tracing, `tf.executing_eagerly()` is False (as in TF): the function sees graph tensors,
`optimizer.minimize(loss)` takes a tensor or a callable, `tf.gradients` and a GradientTape
both differentiate the traced ops. Stateful ops (assignments, optimizer updates, random
draws) run on every call in the order they were created, returned or not.

A signature is the structure of the arguments, with the dtype and shape of each tensor (or
NumPy array) and the value of anything else (Python numbers, strings, ...): a new Python value
traces anew, as TF's defun does.

NOTE: differentiating a defun call from an outer GradientTape is not supported (the call
raises if a tape is recording); take the gradient inside the defun'd function instead.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import nest
from flowzero.framework.graph import Operation, Tensor, get_default_graph

_counter = itertools.count()


def _is_tensor_like(x: Any) -> bool:
    return isinstance(x, (Tensor, np.ndarray))


def _signature_part(x: Any) -> Any:
    from flowzero.variables import Variable

    if isinstance(x, Tensor):
        return ("T", x.dtype.name, tuple(x.shape.as_list()))
    if isinstance(x, np.ndarray):
        from flowzero.framework import dtypes

        return ("T", dtypes.as_dtype(x.dtype).name, x.shape)
    if isinstance(x, Variable):
        return ("V", id(x))
    try:
        hash(x)
    except TypeError:
        return ("O", id(x))
    return ("P", type(x).__name__, x)


class _Trace:
    """One traced signature: its body, the plan's targets and how to rebuild the result."""

    def __init__(
        self, body: Any, targets: list[Any], structure: Any, kinds: list[str], py: list[Any]
    ) -> None:
        self.body = body
        self.targets = targets
        self.structure = structure  # the function's result (its nest)
        self.kinds = kinds  # per result leaf: "t" (a body output), "op" (None), "py" (as is)
        self.py = py  # per result leaf: the Python value of a "py" leaf


class DefunFunction:
    """A defun'd function: call it like the Python function. `python_function` is the
    original."""

    def __init__(
        self, func: Callable[..., Any], name: str | None = None, input_signature: Any = None
    ) -> None:
        self.python_function = func
        self._name = name or getattr(func, "__name__", "function")
        self.input_signature = None if input_signature is None else list(input_signature)
        self._traces: dict[Any, _Trace] = {}
        self._id = next(_counter)
        functools.update_wrapper(self, func)

    def __get__(self, instance: Any, owner: Any) -> Any:
        # A defun'd method: bind it, and keep one DefunFunction (and its traces) per instance.
        if instance is None:
            return self
        bound = instance.__dict__.get(f"__defun_{self._id}")
        if bound is None:
            bound = DefunFunction(
                functools.partial(self.python_function, instance),
                self._name,
                self.input_signature,
            )
            instance.__dict__[f"__defun_{self._id}"] = bound
        return bound

    @property
    def traces(self) -> int:
        """How many signatures have been traced."""
        return len(self._traces)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        g = get_default_graph()
        if not getattr(g, "_eager", False) or g._body_stack:
            # Graph building (or inside another trace): the function's ops join the graph
            # being built, which is what a graph-mode function call computes.
            return self.python_function(*args, **kwargs)
        if g.active_tapes():
            raise NotImplementedError(
                f"defun '{self._name}': differentiating a defun call with an outer "
                "GradientTape is not supported by flowzero; compute the gradient inside the "
                "defun'd function (GradientTape or tf.gradients there), or call the function "
                "without defun under the tape."
            )
        if self.input_signature is not None:
            args, kwargs = self._check_signature(args, kwargs), {}
            leaves = nest.flatten((args, kwargs))
            key: Any = "input_signature"
        else:
            leaves = nest.flatten((args, kwargs))
            key = tuple(_signature_part(x) for x in leaves) + (_structure_key((args, kwargs)),)
        trace = self._traces.get(key)
        if trace is None:
            trace = self._trace(g, args, kwargs, leaves)
            self._traces[key] = trace
        feeds = [_value(x) for x in leaves if _is_tensor_like(x)]
        feeds += [_value(t) for t in trace.body.captures]
        plan = g._ctx.subplan(("defun", self._id, key), trace.targets, trace.body.args)
        outs = plan.run(feeds)
        return self._result(trace, outs)

    def _check_signature(self, args: Any, kwargs: Any) -> tuple[Any, ...]:
        """The arguments as tensors of input_signature's dtypes, checked against its shapes.

        Raises:
            ValueError: keyword arguments, or a different count / shape / dtype.
        """
        from flowzero.framework.graph import convert_to_tensor

        sig = self.input_signature
        assert sig is not None
        if kwargs:
            raise ValueError(
                f"defun '{self._name}': with an input_signature, pass the arguments "
                f"positionally; got keyword arguments {sorted(kwargs)}."
            )
        if len(args) != len(sig):
            raise ValueError(
                f"defun '{self._name}': the input_signature has {len(sig)} tensors; got "
                f"{len(args)} arguments."
            )
        out = []
        for i, (x, sp) in enumerate(zip(args, sig)):
            t = convert_to_tensor(x, dtype=sp.dtype) if not isinstance(x, Tensor) else x
            if t.dtype is not sp.dtype or not sp.shape.is_compatible_with(t.shape):
                raise ValueError(
                    f"defun '{self._name}': Python inputs incompatible with input_signature: "
                    f"argument {i} is {t.dtype.name} {t.shape}; the signature says "
                    f"{sp.dtype.name} {sp.shape}."
                )
            out.append(t)
        return tuple(out)

    def _trace(self, g: Any, args: Any, kwargs: Any, leaves: list[Any]) -> _Trace:
        from flowzero.framework.function import Body

        body = Body(g, g.unique_name(f"{self._name}_defun"))
        with body.building():
            g._defun_depth += 1
            try:
                specs = (
                    [(sp.shape, sp.dtype) for sp in self.input_signature]
                    if self.input_signature is not None
                    else [
                        (_shape_of(x), x.dtype) if _is_tensor_like(x) else (None, None)
                        for x in leaves
                    ]
                )
                placeholders = [
                    body.add_arg(sh, dt, "arg") if _is_tensor_like(x) else x
                    for x, (sh, dt) in zip(leaves, specs)
                ]
                call_args, call_kwargs = nest.pack_sequence_as((args, kwargs), placeholders)
                result = self.python_function(*call_args, **call_kwargs)
                flat = nest.flatten(result)
                outputs, kinds, leaves_out = [], [], []
                for r in flat:
                    t = _as_output(r)
                    if isinstance(t, Tensor):
                        kinds.append("t")
                        outputs.append(t)
                        leaves_out.append(None)
                    elif isinstance(t, Operation):
                        kinds.append("op")
                        outputs.append(t)
                        leaves_out.append(None)
                    else:
                        kinds.append("py")
                        leaves_out.append(r)
                _order_stateful_ops(body)
            finally:
                g._defun_depth -= 1
        body.close(outputs)
        # Every stateful op runs on each call, returned or not (TF's automatic control deps).
        extra = [op for op in body.ops if op._opdef.stateful and op.type != "_Arg"]
        targets = list(body.outputs) + extra
        return _Trace(body, targets, result, kinds, leaves_out)

    def _result(self, trace: _Trace, outs: list[Any]) -> Any:
        from flowzero.framework.graph import convert_to_tensor

        if not trace.kinds:
            return trace.structure
        it = zip(outs, trace.body.outputs)
        values = []
        for kind, py in zip(trace.kinds, trace.py):
            if kind == "py":
                values.append(py)
                continue
            v, t = next(it)
            values.append(None if kind == "op" else convert_to_tensor(v, dtype=t.dtype))
        return nest.pack_sequence_as(trace.structure, values)


def _structure_key(x: Any) -> Any:
    # the nesting (lists, tuples, dict keys) without the leaves
    return repr(nest.map_structure(lambda _: 0, x))


def _shape_of(x: Any) -> Any:
    return x.shape if isinstance(x, Tensor) else list(np.shape(x))


def _value(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x
    v = getattr(x, "_value", None)
    if v is None:
        raise ValueError(
            f"defun: tensor '{x.name}' has no value: a graph tensor cannot be an argument or a "
            "capture of a defun'd function in eager mode."
        )
    return v


def _as_output(r: Any) -> Any:
    from flowzero.variables import Variable

    if isinstance(r, Variable):
        return r.value()
    return r


def _order_stateful_ops(body: Any) -> None:
    """Each stateful op of the body waits on the previous one: they run in program order."""
    prev = None
    for op in body.ops:
        if op.type == "_Arg" or not op._opdef.stateful:
            continue
        if prev is not None and prev not in op._control_inputs:
            op._control_inputs.append(prev)
            prev._control_outputs.append(op)
        prev = op


def defun(
    func: Callable[..., Any] | None = None,
    input_signature: Any = None,
    autograph: bool = True,
    experimental_autograph_options: Any = None,
    experimental_relax_shapes: bool = False,
) -> Any:
    """Compiles `func` into a graph function (TF 1.15's tf.contrib.eager.defun).

    Each new signature of arguments is traced once into a graph; every call then runs that
    graph as one plan, without Python overhead per op. Usable as `defun(f)`, `@defun` or
    `@defun(input_signature=[tf.TensorSpec([None, 3], tf.float32)])` (one trace, for every
    shape the specs allow). autograph and experimental_* are accepted; Python control flow
    runs at trace time (use tf.cond / tf.while_loop for control flow on tensor values).

    Example:
        >>> tf.enable_eager_execution()   # at program start
        >>> tfe = tf.contrib.eager
        >>> w = tf.Variable(2.0)
        >>> optimizer = tf.train.GradientDescentOptimizer(0.1)
        >>> @tfe.defun
        ... def step(x, y):
        ...     optimizer.minimize(lambda: tf.reduce_mean(tf.square(w * x - y)))
        ...     return tf.reduce_mean(tf.square(w * x - y))
        >>> x, y = tf.constant([1.0, 2.0]), tf.constant([3.0, 6.0])
        >>> print(step(x, y).numpy())   # traced once; later calls run the graph
        0.625
        >>> print(step(x, y).numpy(), w.numpy())
        0.15625 2.75

    Raises:
        TypeError: input_signature holds something other than tf.TensorSpec.
    """
    if input_signature is not None:
        from flowzero.framework.specs import TensorSpec

        input_signature = list(input_signature)
        bad = [s for s in input_signature if not isinstance(s, TensorSpec)]
        if bad:
            raise TypeError(f"defun: input_signature must hold tf.TensorSpec; got {bad[0]!r}.")
    if func is None:
        return functools.partial(defun, input_signature=input_signature)
    return DefunFunction(func, input_signature=input_signature)


__all__ = ["DefunFunction", "defun"]
