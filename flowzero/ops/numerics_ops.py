"""tf.check_numerics (an op: fails on NaN or Inf, its gradient checked too) and what TF builds
on it: verify_tensor_all_finite and add_check_numerics_ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import (
    Operation,
    Tensor,
    apply_op,
    control_dependencies,
    convert_to_tensor,
)
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.check_ops import _flat_values, _scope
from flowzero.ops.common import DTypeError


@register_op("CheckNumerics")
class CheckNumerics(OpDef):
    """y = x; fails (InvalidArgumentError "<message> : Tensor had NaN values") on NaN or Inf."""

    stateful = True
    forwards_input = True
    grads_match_inputs = True

    def infer(self, x: Tensor) -> TensorSpec:
        if not x.dtype.is_floating:
            raise self.error(
                f"tensor must be half, float32 or float64 (bfloat16 in TF); got {x.dtype.name}.",
                cls=DTypeError,
            )
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        nan = bool(np.isnan(x).any())
        inf = bool(np.isinf(x).any())
        if nan or inf:
            what = "Inf and NaN" if nan and inf else ("NaN" if nan else "Inf")
            raise errors.InvalidArgumentError(
                None, None, f"{self.attrs.get('message', '')} : Tensor had {what} values"
            )
        return x

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # As TF: the gradient is checked too, its message naming the forward check's.
        return [
            check_numerics(
                dy,
                "Not a number (NaN) or infinity (Inf) values detected in gradient. "
                + op.get_attr("message"),
            )
        ]


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Tensor:
    """`tensor` unchanged, but the run fails with InvalidArgumentError if it holds a NaN or
    an Inf ("<message> : Tensor had NaN values").

    Example:
        >>> x = tf.placeholder(tf.float32, [])
        >>> loss = tf.check_numerics(tf.log(x), "loss")
        >>> sess = tf.Session()
        >>> try:
        ...     sess.run(loss, {x: -1.0})
        ... except tf.errors.InvalidArgumentError as e:
        ...     print(e.message.splitlines()[0])
        CheckNumerics 'CheckNumerics': loss : Tensor had NaN values
    """
    return apply_op(CheckNumerics, [tensor], {"message": str(message)}, name=name)


def verify_tensor_all_finite(
    t: Any = None,
    msg: str | None = None,
    name: str | None = None,
    x: Any = None,
    message: str | None = None,
) -> Tensor:
    """`t` (an Identity of it) that runs a check_numerics on it first (`x`/`message` are
    TF's newer argument names)."""
    from flowzero.ops.control_ops import identity

    t = x if t is None else t
    msg = message if msg is None else msg
    if t is None or msg is None:
        raise TypeError("verify_tensor_all_finite needs a tensor (t or x) and a message.")
    with _scope(name, "VerifyFinite", *_flat_values(t)):
        t = convert_to_tensor(t, name="x")
        check = check_numerics(t, msg)
        with control_dependencies([check]):
            return identity(t, name="control_dependency")


def add_check_numerics_ops() -> Operation:
    """One op that checks (check_numerics) every floating output in the default graph, each
    message naming the output ("op/name:0"); run it with the training step.

    Raises:
        ValueError: the graph has cond / while_loop ops (TF refuses these too).
    """
    from flowzero.framework.graph import get_default_graph
    from flowzero.ops.control_ops import group

    g = get_default_graph()
    checks: list[Any] = []
    for op in list(g.get_operations()):
        if op.type in ("If", "StatelessIf", "While", "StatelessWhile"):
            raise ValueError(
                f"add_check_numerics_ops() is not compatible with control flow (cond, "
                f"while_loop); found {op.type} '{op.name}'. Use tf.check_numerics on the "
                "tensors instead."
            )
        for out in op.outputs:
            if out.dtype.is_floating:
                message = f"{op.name}:{out.value_index}"
                with g.control_dependencies(checks[-1:]):
                    checks.append(check_numerics(out, message))
    return group(checks, name="check_numerics_ops") if checks else group(name="check_numerics_ops")


__all__ = ["check_numerics", "verify_tensor_all_finite", "add_check_numerics_ops"]
