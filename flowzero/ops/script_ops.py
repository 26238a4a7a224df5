"""Python inside the graph: tf.py_func / tf.numpy_function, and tf.custom_gradient."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, get_default_graph
from flowzero.framework.registry import OpDef, RegisterGradient, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.manip_ops import identity_n


@register_op("PyFunc")
class PyFunc(OpDef):
    """outputs = func(*inputs as NumPy arrays), converted to the declared dtypes. No gradient
    unless one is given with tf.RegisterGradient + gradient_override_map({"PyFunc": ...})."""

    stateful = True  # it may do anything; never folded or deduplicated

    def infer(self, *inputs: Tensor) -> list[TensorSpec]:
        return [spec(TensorShape(None), d) for d in self.attrs["Tout"]]

    def compute(self, *arrays: Any) -> list[Any]:
        a = self.attrs
        result = a["func"](*arrays)
        outs = list(result) if isinstance(result, (list, tuple)) else [result]
        if not a["Tout"]:
            return []
        if len(outs) != len(a["Tout"]):
            raise self.error(
                f"the function returned {len(outs)} values but Tout declares "
                f"{len(a['Tout'])} ({[d.name for d in a['Tout']]})."
            )
        converted = []
        for k, (v, d) in enumerate(zip(outs, a["Tout"])):
            try:
                converted.append(np.asarray(v).astype(d.np, copy=False))
            except (ValueError, TypeError) as e:
                raise self.error(f"output {k} of the function cannot be a {d.name}: {e}") from None
        return converted

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        raise errors.LookupGradientError(
            f"No gradient defined for operation '{op.name}' (op type: PyFunc): a Python "
            "function has no gradient unless you register one (tf.RegisterGradient) and map "
            "PyFunc to it (graph.gradient_override_map), or wrap it in tf.custom_gradient."
        )


def py_func(
    func: Callable[..., Any],
    inp: Any,
    Tout: Any,  # noqa: N803 - TF's argument name
    stateful: bool = True,
    name: str | None = None,
) -> Any:
    """Runs `func` on the NumPy values of `inp` when the op runs; returns its result(s) as
    tensors of dtype(s) `Tout` (a list -> a list; one dtype -> one tensor).

    Example:
        >>> x = tf.constant([0., 1.])
        >>> y = tf.py_func(lambda x: np.sinh(x), [x], tf.float32)
        >>> sess = tf.Session()
        >>> sess.run(y)
        array([0.       , 1.1752012], dtype=float32)
    """
    if not callable(func):
        raise TypeError(f"py_func: func must be callable; got {func!r}.")
    single = not isinstance(Tout, (list, tuple))
    touts = [dtypes.as_dtype(Tout)] if single else [dtypes.as_dtype(t) for t in Tout]
    tensors = [convert_to_tensor(x) for x in (inp or [])]
    out = apply_op(
        PyFunc, tensors, {"func": func, "Tout": touts, "stateful": stateful}, name=name or "PyFunc"
    )
    if isinstance(out, Tensor):
        out = [out]
    elif not isinstance(out, list):
        return out  # no outputs: the Operation
    return out[0] if single else out


numpy_function = py_func

_custom_ids = itertools.count()


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """`@tf.custom_gradient`: `f(*x)` returns `(y, grad_fn)`; tf.gradients then uses
    `grad_fn(dy)` (one gradient per x) instead of differentiating f's ops.

    Example:
        >>> @tf.custom_gradient
        ... def clip_grad(x):
        ...     return tf.identity(x), lambda dy: tf.clip_by_value(dy, -1.0, 1.0)
    """

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        xs = [convert_to_tensor(a) for a in args]
        result, grad_fn = f(*xs, **kwargs)
        ys = list(result) if isinstance(result, (list, tuple)) else [result]
        ys = [convert_to_tensor(y) for y in ys]
        n = len(ys)
        name = f"CustomGradient-{next(_custom_ids)}"

        @RegisterGradient(name)
        def _grad(op: Any, *dys: Any) -> list[Any]:
            got = grad_fn(*dys[:n])
            grads = list(got) if isinstance(got, (list, tuple)) else [got]
            if len(grads) != len(xs):
                raise ValueError(
                    f"custom_gradient '{getattr(f, '__name__', f)}': grad_fn returned "
                    f"{len(grads)} gradients for {len(xs)} inputs."
                )
            return [None] * n + grads

        g = get_default_graph()
        with g.gradient_override_map({"IdentityN": name}):
            outs = identity_n(ys + xs)
        out = outs[:n]
        return out if isinstance(result, (list, tuple)) else out[0]

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = getattr(f, "__doc__", None)
    return wrapped
