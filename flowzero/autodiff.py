"""tf.gradients: reverse-mode autodiff that builds the backward pass as graph ops.

The walk visits, in reverse creation order, every op on a path from an `x` to a `y`, asks the
op's OpDef for the gradients of its inputs (more graph ops), sums contributions where a tensor
fans out, and un-broadcasts each contribution to its input's shape once, here — no op does it
itself. Because the result is ordinary graph ops, gradients of gradients work.
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes, errors, function
from flowzero.framework.graph import Operation, Tensor, convert_to_tensor, graph_of
from flowzero.framework.registry import registered_gradient
from flowzero.ops import array_ops, math_ops, tensor_array_ops


def _as_x(x: Any) -> Tensor:
    # A Variable's gradient is taken with respect to its storage node (TF1's `as_ref=True`).
    if hasattr(x, "_ref"):
        return x._ref()
    return convert_to_tensor(x)


def _is_differentiable_dtype(t: Tensor) -> bool:
    # variant: a TensorArray handle, whose gradient is a (sparse) gradient TensorArray.
    return t.dtype.is_floating or t.dtype.is_complex or t.dtype is dtypes.variant


def _zeros_for(t: Tensor) -> Tensor:
    if t.dtype is dtypes.variant:
        return tensor_array_ops.zero_grad()
    return array_ops.zeros_like(t)


def _unbroadcast(g: Tensor, x: Tensor, others: list[Tensor]) -> Tensor:
    """Sums `g` down to x's shape where broadcasting made it larger (no-op when equal).

    `others` are the op's other inputs: an axis of unknown size in x needs no sum when no other
    input reaches that axis with a size other than 1 (the batch axis of `matmul(x, W) + b`).
    """
    if g.dtype is dtypes.variant:  # a gradient TensorArray: nothing broadcast
        return g
    gs, xs = g.shape, x.shape
    if gs.is_fully_defined() and xs.is_fully_defined() and gs == xs:
        return g
    if (
        xs.known is not None
        and gs.known is not None
        and len(gs.known) == len(xs.known)
        and all(
            _owned_axis(i, a, b, others, len(xs.known))
            for i, (a, b) in enumerate(zip(gs.known, xs.known))
        )
    ):
        return g
    return array_ops.sum_to(g, array_ops._shape_like(x))


def _owned_axis(i: int, out: int | None, dim: int | None, others: list[Tensor], rank: int) -> bool:
    """Whether axis i of an input with size `dim` is certainly the output's size `out`."""
    if dim is not None and (dim != 1 or out == 1):
        return True  # broadcasting never grows a size other than 1
    for o in others:
        ok = o.shape.known
        if ok is None:
            return False
        j = i - (rank - len(ok))
        if j >= 0 and ok[j] != 1:
            return False  # another input may reach this axis with a larger size
    return True


def _sum(parts: list[Tensor]) -> Tensor:
    if len(parts) == 1:
        return parts[0]
    if parts[0].dtype is dtypes.variant:
        return tensor_array_ops.add_grads(parts)
    if len(parts) == 2:
        return math_ops.add(parts[0], parts[1])
    return math_ops.add_n(parts)


def gradients(
    ys: Any,
    xs: Any,
    grad_ys: Any = None,
    name: str = "gradients",
    colocate_gradients_with_ops: bool = False,
    gate_gradients: bool = False,
    aggregation_method: Any = None,
    stop_gradients: Any = None,
    unconnected_gradients: str = "none",
) -> list[Tensor | None]:
    """Symbolic gradients of sum(ys) with respect to each of `xs`.

    Args:
        ys: a Tensor or list of Tensors to differentiate.
        xs: a Tensor/Variable or list of them.
        grad_ys: optional upstream gradients, one per y (default: ones).
        stop_gradients: Tensors (or ops) through which no gradient flows.
        unconnected_gradients: "none" (default) gives None for an x that ys do not depend on;
            "zero" gives zeros.

    Returns:
        A list with one gradient Tensor (or None) per x, each of that x's shape.

    Raises:
        LookupError: an op on the path has no gradient function and is not marked
            non-differentiable (the message names the op and suggests tf.stop_gradient).

    Example:
        >>> x = tf.constant(3.0); y = x * x * x
        >>> dy, = tf.gradients(y, [x]); d2y, = tf.gradients(dy, [x])   # 27.0, 18.0
    """
    # tf.UnconnectedGradients.ZERO / .NONE or their string values
    unconnected_gradients = getattr(unconnected_gradients, "value", unconnected_gradients)
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(
            f"Unknown value for unconnected_gradients: {unconnected_gradients!r}; expected "
            "'none' or 'zero' (tf.UnconnectedGradients)."
        )
    ys_l = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs_l = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    g = graph_of(ys_l + [x for x in xs_l if isinstance(x, Tensor)], "gradients")
    with g.as_default():
        ys_t = [convert_to_tensor(y) for y in ys_l]
        xs_t = [_as_x(x) for x in xs_l]
        if grad_ys is None:
            gys: list[Any] = [None] * len(ys_t)
        else:
            gys = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [grad_ys]
            if len(gys) != len(ys_t):
                raise ValueError(f"gradients: got {len(gys)} grad_ys for {len(ys_t)} ys.")
        stop_ops: set[Operation] = set()
        for s in stop_gradients or []:
            stop_ops.add(s.op if isinstance(s, Tensor) else _as_x(s).op)

        # Ops on a path x -> y: backward-reachable from ys over data edges ∩ forward from xs.
        back: set[Operation] = set()
        stack = [y.op for y in ys_t]
        while stack:
            op = stack.pop()
            if op in back:
                continue
            back.add(op)
            stack.extend(t.op for t in op.inputs)
        between: set[Operation] = set()
        stack = [x.op for x in xs_t if x.op in back]
        while stack:
            op = stack.pop()
            if op in between:
                continue
            between.add(op)
            for t in op.outputs:
                stack.extend(c for c in t._consumers if c in back)

        contributions: dict[Tensor, list[Tensor]] = {}
        overrides = g._attachments.get("op_gradient_overrides", {})
        with g.name_scope(name):
            for y, gy in zip(ys_t, gys):
                if gy is None:
                    gy = array_ops.ones_like(y, name=f"grad_ys_{ys_t.index(y)}")
                else:
                    gy = convert_to_tensor(gy, dtype=y.dtype)
                contributions.setdefault(y, []).append(gy)

            x_set = set(xs_t)
            for op in sorted(between, key=lambda o: o._id, reverse=True):
                outs = op.outputs
                dys = [contributions.get(t) for t in outs]
                if all(d is None for d in dys):
                    continue
                summed: list[Any] = []
                for t, d in zip(outs, dys):
                    if d is None:
                        summed.append(None)
                    else:
                        summed.append(_sum(d) if len(d) > 1 else d[0])
                        contributions[t] = [summed[-1]]
                override = overrides.get(op)
                if op in stop_ops or (override is None and not op._opdef.differentiable):
                    continue
                if all(t in x_set for t in outs) and not any(i.op in between for i in op.inputs):
                    continue  # nothing upstream of this x needs a gradient
                with g.name_scope(f"{op.name}_grad"):
                    if op._opdef.none_for_missing_grads:
                        dys_full: list[Any] = summed
                    else:
                        dys_full = [
                            d if d is not None else _zeros_for(t) for t, d in zip(outs, summed)
                        ]
                    try:
                        if override is not None:
                            in_grads = registered_gradient(override)(op, *dys_full)
                        else:
                            in_grads = op._opdef.gradient(op, *dys_full)
                    except errors.LookupGradientError:
                        raise
                    except NotImplementedError as e:
                        raise errors.LookupGradientError(
                            f"No gradient defined for operation '{op.name}' (op type: "
                            f"{op.type}): {e}. Wrap its input in tf.stop_gradient()."
                        ) from None
                    # TF accepts a lone tensor from a one-input op's gradient function.
                    in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
                    if len(in_grads) != len(op.inputs):
                        raise errors.InternalError(
                            None,
                            op,
                            f"Gradient function of {op.type} '{op.name}' returned "
                            f"{len(in_grads)} entries for its {len(op.inputs)} inputs.",
                        )
                    exact = op._opdef.exact_input_gradients(op)
                    for k, (inp, dx) in enumerate(zip(op.inputs, in_grads)):
                        if dx is None or inp.op not in between:
                            continue
                        if not _is_differentiable_dtype(inp):
                            continue
                        dx = convert_to_tensor(dx)
                        if exact and not dx.shape.is_compatible_with(inp.shape):
                            raise errors.InternalError(
                                None,
                                op,
                                f"Gradient function of {op.type} '{op.name}' returned shape "
                                f"{dx.shape} for input {k} ('{inp.name}') of shape "
                                f"{inp.shape}.",
                            )
                        contributions.setdefault(inp, []).append(
                            dx
                            if exact
                            else _unbroadcast(
                                dx, inp, [o for m, o in enumerate(op.inputs) if m != k]
                            )
                        )

            result: list[Tensor | None] = []
            for x in xs_t:
                parts = contributions.get(x)
                if parts is None:
                    if unconnected_gradients == "zero":
                        result.append(_zeros_for(x))
                    else:
                        result.append(None)
                else:
                    result.append(_sum(parts) if len(parts) > 1 else parts[0])
    return result


# Control-flow kernels build the gradients of their bodies with this very function.
function.gradients_fn = gradients
