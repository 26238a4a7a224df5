"""Gradient helpers over tf.gradients: hessians (gradients twice), grad_pass_through (an
identity gradient around any function) and recompute_grad."""

from __future__ import annotations

import functools
from typing import Any

from flowzero.autodiff import gradients


def hessians(
    ys: Any,
    xs: Any,
    name: str = "hessians",
    colocate_gradients_with_ops: bool = False,
    gate_gradients: bool = False,
    aggregation_method: Any = None,
) -> list[Any]:
    """The Hessian of sum(ys) with respect to each x in `xs`: a tensor of shape
    x.shape + x.shape holding d^2 sum(ys) / dx_i dx_j, built by differentiating each entry of
    the gradient again (tf.gradients twice).

    Raises:
        ValueError: an x whose number of elements is not known at build time.

    Example:
        >>> sess = tf.Session()
        >>> x = tf.constant([1.0, 2.0]); y = tf.reduce_sum(x * x * x)
        >>> sess.run(tf.hessians(y, x))[0]
        array([[ 6.,  0.],
               [ 0., 12.]], dtype=float32)
    """
    from flowzero.ops.array_ops import shape, stack, zeros_like
    from flowzero.ops.manip_ops import concat
    from flowzero.ops.reshape_ops import reshape

    del colocate_gradients_with_ops, gate_gradients
    xs_l = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    firsts = gradients(ys, xs_l, name=name, aggregation_method=aggregation_method)
    out = []
    for x, g in zip(xs_l, firsts):
        x_t = x.value() if hasattr(x, "value") and callable(x.value) else x
        n = x_t.shape.num_elements()
        if n is None:
            raise ValueError(
                f"hessians: the number of elements of '{x_t.name}' must be known at build "
                f"time; got shape {x_t.shape}."
            )
        if g is None:
            out.append(None)
            continue
        flat = reshape(g, [-1])
        rows = []
        for i in range(n):
            (h,) = gradients(flat[i], [x], name=name, aggregation_method=aggregation_method)
            rows.append(reshape(zeros_like(x_t) if h is None else h, [-1]))
        s = shape(x_t)
        out.append(reshape(stack(rows), concat([s, s], 0)))
    return out


def grad_pass_through(f: Any) -> Any:
    """`f` wrapped so that its result is f's but its gradient with respect to each input is
    the upstream gradient unchanged (as if f were the identity): for differentiating through
    ops that have none, such as an assignment or a rounding.

    Example:
        >>> x = tf.constant([0.4, 1.6])
        >>> q = tf.grad_pass_through(tf.round)(x)   # forward rounds; gradient 1 per entry
        >>> sess = tf.Session()
        >>> sess.run([q, tf.gradients(q, x)[0]])
        [array([0., 2.], dtype=float32), array([1., 1.], dtype=float32)]
    """
    from flowzero.ops.script_ops import custom_gradient

    @custom_gradient
    def _wrapped(*args: Any) -> Any:
        def grad(*dys: Any) -> Any:
            return list(dys) if len(args) > 1 else dys[0]

        return f(*args), grad

    return functools.wraps(f)(_wrapped)


def recompute_grad(f: Any) -> Any:
    """`f` for gradient checkpointing. TF recomputes f's forward pass during backprop to save
    memory; flowzero keeps f's activations instead, so this returns a function with f's value
    and exactly f's gradients (no memory saving)."""

    @functools.wraps(f)
    def inner(*args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    return inner


__all__ = ["hessians", "grad_pass_through", "recompute_grad"]
