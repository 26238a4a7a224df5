"""Function bodies: the subgraphs that control-flow ops run (a branch of `cond`, the condition
and body of `while_loop`).

A Body is a region of the one Graph, built by calling a Python function while the body is
open: every op created meanwhile belongs to it (`op._body`), except what `_outside_bodies`
lifts to the top level (variables and their initializers, as TF's init_scope). The body's
inputs are `_Arg` ops, fed when the body runs. When the body closes, every outer tensor its
ops read is *captured*: the op's input is rewired to a new `_Arg`, and the outer tensor
becomes an input of the control-flow op, so the outer plan computes it once and the body
never reaches outside itself. Outer control dependencies move to the control-flow op too.

A body is compiled once per session into an ordinary Plan (feeds: its args; targets: its
outputs) and run per iteration; its gradient is another Body built by tf.gradients on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from flowzero.framework import dtypes as _dtypes
from flowzero.framework.graph import Graph, Operation, Tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import as_shape

# tf.gradients, registered by flowzero.autodiff at import: a body's gradient body is built
# with it, from a kernel's gradient function, without the op catalogue importing autodiff.
gradients_fn: Callable[..., list[Any]] | None = None


@register_op("_Arg")
class Arg(OpDef):
    """y = the value fed for this argument of a function body."""

    requires_feed = True
    differentiable = False

    def infer(self) -> TensorSpec:
        return spec(self.attrs["shape"], self.attrs["dtype"])


class Body:
    """A function body inside `graph`: its ops, args, captured outer tensors and outputs."""

    def __init__(self, graph: Graph, scope: str) -> None:
        self.graph = graph
        self.scope = scope  # absolute name scope of its ops, without a trailing '/'
        self.ops: list[Operation] = []
        self.args: list[Tensor] = []  # explicit args first, then one per capture
        self.n_explicit = 0
        self.captures: list[Tensor] = []  # outer tensors, aligned with args[n_explicit:]
        self.outputs: list[Tensor] = []
        self.control_captures: list[Operation] = []  # outer ops its ops waited on
        self.parent: Body | None = graph._body_stack[-1] if graph._body_stack else None

    def __repr__(self) -> str:
        return f"<Body '{self.scope}' ops={len(self.ops)} args={len(self.args)}>"

    @contextmanager
    def building(self) -> Iterator[None]:
        """Ops created inside belong to this body, named under its scope."""
        with (
            self.graph.as_default(),
            self.graph._building_body(self),
            self.graph.name_scope(self.scope + "/"),
        ):
            yield

    def add_arg(self, shape: Any, dtype: Any, name: str = "arg") -> Tensor:
        """A new explicit argument (call inside `building()`, before any capture exists)."""
        with self.graph.control_dependencies(None):
            t = self.graph.create_op(
                Arg, [], {"shape": as_shape(shape), "dtype": _dtypes.as_dtype(dtype)}, name
            )._outputs[0]
        self.args.append(t)
        self.n_explicit += 1
        return t

    def capture_args(self) -> list[Tensor]:
        return self.args[self.n_explicit :]

    def owns(self, op: Operation) -> bool:
        """Whether `op` was built in this body or in a body nested in it."""
        b = op._body
        while b is not None:
            if b is self:
                return True
            b = b.parent
        return False

    def close(self, outputs: list[Any]) -> None:
        """Sets the outputs (Tensors, or Operations to run) and captures outer tensors."""
        outer: dict[Tensor, Tensor] = {}

        def capture(t: Tensor, where: str) -> Tensor:
            if t.op._body is self:
                return t
            if self.owns(t.op):
                raise ValueError(
                    f"{where} uses tensor '{t.name}', which was created inside a nested "
                    f"control-flow body (of '{self.scope}'); use that construct's outputs "
                    "instead."
                )
            a = outer.get(t)
            if a is None:
                with self.building(), self.graph.control_dependencies(None):
                    a = self.graph.create_op(
                        Arg, [], {"shape": t.shape, "dtype": t.dtype}, "capture"
                    )._outputs[0]
                outer[t] = a
                self.args.append(a)
                self.captures.append(t)
            return a

        for op in list(self.ops):
            if op.type == "_Arg":
                continue
            if any(t.op._body is not self for t in op._inputs):
                new = tuple(capture(t, f"Op '{op.name}'") for t in op._inputs)
                for old_t, new_t in zip(op._inputs, new):
                    if old_t is not new_t:
                        old_t._consumers.remove(op)
                        new_t._consumers.append(op)
                op._inputs = new
            for c in list(op._control_inputs):
                if c._body is self:
                    continue
                if self.owns(c):
                    raise ValueError(
                        f"Op '{op.name}' waits on op '{c.name}' inside a nested "
                        "control-flow body; that is not allowed."
                    )
                op._control_inputs.remove(c)
                c._control_outputs.remove(op)
                if c not in self.control_captures:
                    self.control_captures.append(c)

        outs: list[Tensor] = []
        for o in outputs:
            if isinstance(o, Operation):
                # An op to run as a result (tf.group in a branch): a tensor that waits on it.
                with self.building(), self.graph.control_dependencies([o]):
                    o = self.graph.create_op(_RunMarker, [], {}, "control_output")._outputs[0]
                self.close_marker(o)
            outs.append(capture(o, f"Body '{self.scope}' output"))
        self.outputs = outs

    def close_marker(self, t: Tensor) -> None:
        # A marker made after the capture pass: its control inputs are body ops already.
        for c in list(t.op._control_inputs):
            if c._body is not self:
                t.op._control_inputs.remove(c)
                c._control_outputs.remove(t.op)
                if c not in self.control_captures:
                    self.control_captures.append(c)


@register_op("_RunMarker")
class _RunMarker(OpDef):
    """y = True, after the op it waits on ran: an Operation returned from a body."""

    differentiable = False

    def infer(self) -> TensorSpec:
        return spec([], _dtypes.bool)

    def compute(self) -> Any:
        return np.True_
