"""Gradient clipping: tf.clip_by_norm, tf.clip_by_global_norm, tf.global_norm,
tf.clip_by_average_norm (top-level names in TF1; flowzero re-exports them there).

    grads, vars_ = zip(*opt.compute_gradients(loss))
    grads, norm = tf.clip_by_global_norm(grads, 5.0)
    train_op = opt.apply_gradients(zip(grads, vars_))
"""

from __future__ import annotations

from typing import Any

from flowzero.framework.graph import Tensor, convert_to_tensor, graph_of
from flowzero.ops import (
    cast_ops,
    control_ops,
    division_ops,
    logic_ops,
    math_ops,
    reduction_ops,
    unary_ops,
)


def _safe_norm(sq_sum: Tensor) -> Tensor:
    # sqrt(s), with a zero (not NaN) gradient at s == 0: sqrt(s + [s <= 0]) * [s > 0].
    dt = sq_sum.dtype
    positive = cast_ops.cast(logic_ops.greater(sq_sum, 0), dt)
    safe = math_ops.add(sq_sum, cast_ops.cast(logic_ops.less_equal(sq_sum, 0), dt))
    return math_ops.multiply(unary_ops.sqrt(safe), positive)


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Tensor:
    """t * clip_norm / max(l2norm(t, axes), clip_norm): rescales `t` so that its L2 norm (over
    `axes`, default all) is at most clip_norm; unchanged if it already is.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0))
        array([0.6, 0.8], dtype=float32)
    """
    g = graph_of([t, clip_norm], "clip_by_norm")
    with g.as_default(), g.name_scope(name or "clip_by_norm"):
        t = convert_to_tensor(t, name="t")
        clip = (
            convert_to_tensor(clip_norm, dtype=t.dtype)
            if not isinstance(clip_norm, Tensor)
            else clip_norm
        )
        l2sum = reduction_ops.reduce_sum(math_ops.multiply(t, t), axes, keepdims=True)
        l2norm = _safe_norm(l2sum)
        clipped = division_ops.truediv(math_ops.multiply(t, clip), math_ops.maximum(l2norm, clip))
        return control_ops.identity(clipped, name="clip_by_norm" if name is None else name)


def global_norm(t_list: Any, name: str | None = None) -> Tensor:
    """sqrt(sum over the list of sum(t ** 2)); None entries are ignored.

    Raises:
        TypeError: t_list is not a sequence.
    """
    if not isinstance(t_list, (list, tuple)) or isinstance(t_list, str):
        raise TypeError("t_list should be a sequence")
    ts = [t for t in t_list if t is not None]
    if not ts:
        raise ValueError("global_norm: t_list has no tensors (all entries are None).")
    g = graph_of(ts, "global_norm")
    with g.as_default(), g.name_scope(name or "global_norm"):
        ts = [convert_to_tensor(t) for t in ts]
        sums = [reduction_ops.reduce_sum(math_ops.multiply(t, t)) for t in ts]
        total = sums[0] if len(sums) == 1 else math_ops.add_n(sums)
        return unary_ops.sqrt(total, name="global_norm")


def clip_by_global_norm(
    t_list: Any, clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list[Any], Tensor]:
    """Scales every tensor of t_list by clip_norm / max(global_norm, clip_norm).

    Args:
        t_list: a list of tensors (None entries stay None).
        clip_norm: the maximum global norm (a positive scalar).
        use_norm: a precomputed global norm (default: global_norm(t_list)).
        name: name scope.

    Returns:
        (list_clipped, global_norm). If the global norm is infinite, every entry is NaN (as
        TF's, so the problem shows).

    Example:
        >>> grads = [tf.constant([3.0, 4.0]), tf.constant([12.0])]   # global norm 13
        >>> grads, norm = tf.clip_by_global_norm(grads, 5.0)
        >>> sess = tf.Session()
        >>> sess.run(grads)
        [array([1.1538461, 1.5384616], dtype=float32), array([4.6153846], dtype=float32)]
    """
    if not isinstance(t_list, (list, tuple)) or isinstance(t_list, str):
        raise TypeError("t_list should be a sequence")
    t_list = list(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name="global_norm")
    g = graph_of([t for t in t_list if t is not None] + [use_norm], "clip_by_global_norm")
    with g.as_default(), g.name_scope(name or "clip_by_global_norm"):
        use_norm = convert_to_tensor(use_norm)
        dt = use_norm.dtype
        clip = cast_ops.cast(clip_norm, dt)
        one = convert_to_tensor(1.0, dtype=dt)
        scale = math_ops.multiply(
            clip,
            math_ops.minimum(division_ops.truediv(one, use_norm), division_ops.truediv(one, clip)),
        )
        # + (norm - norm): NaN when the norm is inf, zero otherwise.
        scale = math_ops.add(scale, math_ops.subtract(use_norm, use_norm))
        out: list[Any] = []
        for i, t in enumerate(t_list):
            if t is None:
                out.append(None)
                continue
            t = convert_to_tensor(t)
            out.append(
                control_ops.identity(
                    math_ops.multiply(t, cast_ops.cast(scale, t.dtype)), name=f"clipped_{i}"
                )
            )
        return out, use_norm


def clip_by_average_norm(t: Any, clip_norm: Any, name: str | None = None) -> Tensor:
    """t * clip_norm / max(l2norm(t) / size(t), clip_norm)."""
    g = graph_of([t, clip_norm], "clip_by_average_norm")
    with g.as_default(), g.name_scope(name or "clip_by_average_norm"):
        t = convert_to_tensor(t, name="t")
        clip = cast_ops.cast(clip_norm, t.dtype)
        n = cast_ops.cast(_size(t), t.dtype)
        avg = division_ops.truediv(_safe_norm(reduction_ops.reduce_sum(math_ops.multiply(t, t))), n)
        return division_ops.truediv(
            math_ops.multiply(t, clip), math_ops.maximum(avg, clip), name="clip_by_average_norm"
        )


def _size(t: Tensor) -> Any:
    from flowzero.ops import array_ops

    return array_ops.size(t)


__all__ = ["clip_by_norm", "clip_by_global_norm", "global_norm", "clip_by_average_norm"]
