"""Control ops: identity, no_op, group, tuple, stop_gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import (
    Operation,
    Tensor,
    _as_op,
    apply_op,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
)
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec


@register_op("Identity")
class Identity(OpDef):
    """y = x."""

    forwards_input = True

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy]


def identity(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Returns a tensor with the same value as `input` (a new node; useful to name a value)."""
    return apply_op(Identity, [input], name=name)


@register_op("StopGradient")
class StopGradient(OpDef):
    """y = x, but no gradient flows back through it."""

    differentiable = False
    forwards_input = True

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x


def stop_gradient(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Identity in the forward pass; treated as a constant by tf.gradients."""
    return apply_op(StopGradient, [input], name=name)


@register_op("NoOp")
class NoOp(OpDef):
    """Does nothing; a node to hang control dependencies on."""

    differentiable = False

    def infer(self) -> list[TensorSpec]:
        return []

    def compute(self) -> None:
        return None


def no_op(name: str | None = None) -> Operation:
    """An op that does nothing (runs its control inputs)."""
    return apply_op(NoOp, [], name=name)


def group(*inputs: Any, name: str | None = None) -> Operation:
    """An op that runs all of `inputs` (Tensors or Operations); it has no output."""
    flat: list[Any] = []
    for i in inputs:
        if isinstance(i, (list, tuple)):
            flat.extend(i)
        elif i is not None:
            flat.append(i)
    ops = [_as_op(i) for i in flat]
    g = ops[0].graph if ops else get_default_graph()
    for o in ops:
        if o.graph is not g:
            raise ValueError(
                f"group: Operation {o.name} is from a different graph than the other inputs."
            )
    with g.as_default(), g.control_dependencies(ops):
        return no_op(name=name or "group_deps")


def tuple_(tensors: list[Any], name: str | None = None, control_inputs: Any = None) -> list[Any]:
    """Tensors with the same values as `tensors`, each available only after all are computed."""
    gate = group(*[t for t in tensors if t is not None], *(control_inputs or []))
    with control_dependencies([gate]):
        return [
            identity(t) if isinstance(t, Tensor) else (None if t is None else gate) for t in tensors
        ]


def convert(x: Any) -> Tensor:
    return convert_to_tensor(x)
