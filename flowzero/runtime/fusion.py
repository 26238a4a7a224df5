"""Plan-level fusion: op chains that every network has, run as one kernel call.

TensorFlow's Grappler remapper rewrites Conv2D+BiasAdd+Relu into _FusedConv2D and
MatMul+BiasAdd+Relu into _FusedMatMul; flowzero does the same when it compiles a Plan, never
in the user's graph. A chain is fused only when each intermediate tensor has exactly one
consumer in the plan and is neither fetched nor fed, so nothing can observe that it was never
materialised. What a fusion saves is memory traffic: the intermediate activation is written
and read once instead of three times (SimpleConvNet's conv layer: 6.9 MB per pass).

Errors keep their meaning: when a fused kernel raises, the chain is rerun op by op and the
error names the op that fails there, as without fusion.

Fused chains:
- Conv2D -> BiasAdd [-> Relu]  (channel axes agreeing)   -> Conv2D.compute_fused
- MatMul -> Add or BiasAdd with a bias operand [-> Relu] -> matmul, then the bias and the relu
  in place on the matmul's fresh output.

Hand-overs (a training step runs forward and backward in one plan):
- Conv2D's patch matrix goes to the Conv2DBackpropFilter of the same input (built once);
- MaxPool's first-max offsets go to its MaxPoolGrad, which then never reads the (4x larger)
  pooled input again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework.graph import Operation, Tensor
from flowzero.ops import fastpaths

# FLOWZERO_FUSION=0 compiles plans op by op (to compare, or to rule fusion out).
ENABLED = os.environ.get("FLOWZERO_FUSION", "1").strip() not in ("0", "false", "no", "off")


class Chain:
    """One fused chain: its ops in order, the slots-to-be of its external inputs, its kernel."""

    def __init__(
        self, ops: list[Operation], inputs: list[Tensor], kernel: Callable[..., Any]
    ) -> None:
        self.ops = ops
        self.inputs = inputs
        self.kernel = kernel


def find_chains(
    order: list[Operation], fetched: set[Tensor], fed: set[Tensor]
) -> dict[Operation, Chain]:
    """{last op of a chain: Chain} for every fusable chain among `order` (a plan's ops)."""
    if not ENABLED:
        return {}
    users: dict[Tensor, list[Operation]] = {}
    for op in order:
        for t in op._inputs:
            users.setdefault(t, []).append(op)

    def only_user(t: Tensor, typ: tuple[str, ...]) -> Operation | None:
        u = users.get(t, [])
        if len(u) != 1 or t in fetched or t in fed or u[0].type not in typ:
            return None
        return u[0]

    # A fused chain runs where its last op runs. That is only the same as running its ops
    # where they stand when nothing in between has side effects (an assign to a variable the
    # chain reads) and nothing waits on an inner op through a control dependency.
    position = {op: i for i, op in enumerate(order)}
    waited_on = {c for op in order for c in op._control_inputs}
    chains: dict[Operation, Chain] = {}
    for op in order:
        if op.type == "Conv2D":
            chain = _conv_chain(op, only_user)
        elif op.type == "MatMul":
            chain = _matmul_chain(op, only_user)
        else:
            continue
        if chain is None or any(o in waited_on for o in chain.ops[:-1]):
            continue
        between = order[position[chain.ops[0]] + 1 : position[chain.ops[-1]]]
        if any(o._opdef.stateful or o._control_inputs for o in between):
            continue
        chains[chain.ops[-1]] = chain
    return chains


def _relu_after(t: Tensor, only_user: Any) -> Operation | None:
    r = only_user(t, ("Relu",))
    return r if r is not None and r._inputs[0] is t else None


def _conv_chain(conv: Operation, only_user: Any) -> Chain | None:
    y = conv._outputs[0]
    bias_add = only_user(y, ("BiasAdd",))
    if bias_add is None or bias_add._inputs[0] is not y or y.dtype is not bias_add._inputs[1].dtype:
        return None
    fmt = conv._opdef.attrs.get("data_format", "NHWC")
    axis = bias_add._opdef.attrs["axis"]
    if not ((fmt == "NHWC" and axis in (-1, 3)) or (fmt == "NCHW" and axis == 1)):
        return None
    relu = _relu_after(bias_add._outputs[0], only_user)
    ops = [conv, bias_add] + ([relu] if relu is not None else [])
    conv_def, with_relu = conv._opdef, relu is not None

    def kernel(x: np.ndarray, w: np.ndarray, b: np.ndarray, keep: bool = False) -> Any:
        if b.ndim != 1 or b.shape[0] != w.shape[-1] or w.ndim != 4:
            raise _Unfusable
        return conv_def.compute_fused(x, w, b, with_relu, keep_cols=keep)

    return Chain(ops, [conv._inputs[0], conv._inputs[1], bias_add._inputs[1]], kernel)


def _matmul_chain(mm: Operation, only_user: Any) -> Chain | None:
    y = mm._outputs[0]
    add = only_user(y, ("Add", "AddV2", "BiasAdd"))
    if add is None:
        return None
    if add.type == "BiasAdd":
        if add._inputs[0] is not y or add._opdef.attrs["axis"] not in (-1, 1):
            return None
        bias = add._inputs[1]
    else:
        a0, a1 = add._inputs
        bias = a1 if a0 is y else a0
        if bias is y:
            return None
    if bias.dtype is not y.dtype or bias.shape.ndims is None or bias.shape.ndims > 1:
        return None  # only a per-column bias (a vector or a scalar) folds in place
    relu = _relu_after(add._outputs[0], only_user)
    ops = [mm, add] + ([relu] if relu is not None else [])
    mm_def, with_relu = mm._opdef, relu is not None

    def kernel(a: np.ndarray, b: np.ndarray, bias_v: np.ndarray) -> np.ndarray:
        out = mm_def.compute(a, b)
        if (
            out.ndim != 2
            or bias_v.ndim > 1
            or bias_v.dtype != out.dtype
            or (bias_v.ndim == 1 and bias_v.shape[0] != out.shape[1])
        ):
            raise _Unfusable  # broadcasting would grow the output: the ops decide
        if bias_v.ndim == 1:
            fastpaths.add_channel_bias(out, bias_v, out=out)
        else:
            np.add(out, bias_v, out=out)
        if with_relu:
            fastpaths.relu(out, out=out)
        return out

    return Chain(ops, [mm._inputs[0], mm._inputs[1], bias], kernel)


# -- hand-overs: a forward step's by-product that a backward step of the same run reuses ------
def find_handovers(
    order: list[Operation], chains: dict[Operation, Chain]
) -> dict[Operation, Operation]:
    """{consumer op: producer step's op} for backward ops that can reuse what the forward op
    built in the same run: Conv2DBackpropFilter the patch matrix of its Conv2D (same input,
    same geometry), MaxPoolGrad the first-max offsets of its MaxPool (same input and output).
    The producer step's op is the chain's last op when the forward op was fused."""
    if not ENABLED:
        return {}
    step_of = {op: op for op in order}
    for last, c in chains.items():
        for op in c.ops:
            step_of[op] = last
    # The patch matrix depends on the input, the geometry and the filter's (kh, kw, c) only:
    # a filter gradient matches a conv of the same input whose filter has its filter_sizes
    # (statically, or as Shape(that filter)). The kernels check (kh, kw, c) again at run time.
    convs: dict[Tensor, list[Operation]] = {}
    for op in order:
        if op.type == "Conv2D":
            convs.setdefault(op._inputs[0], []).append(op)
    pools = {(op._inputs[0], op._outputs[0]): op for op in order if op.type == "MaxPool"}
    found: dict[Operation, Operation] = {}
    taken: set[Operation] = set()
    for op in order:
        if op.type == "Conv2DBackpropFilter":
            fwd = next(
                (
                    c
                    for c in convs.get(op._inputs[0], [])
                    if c not in taken and _same_filter(op._inputs[1], c._inputs[1])
                ),
                None,
            )
        elif op.type == "MaxPoolGrad":
            fwd = pools.get((op._inputs[0], op._inputs[1]))
        else:
            continue
        if (
            fwd is None
            or fwd in taken
            or fwd._id > op._id
            or fwd._opdef._same_attrs() != op._opdef._same_attrs()
        ):
            continue
        taken.add(fwd)
        found[op] = step_of[fwd]
    return found


def _same_filter(sizes: Tensor, w: Tensor) -> bool:
    if sizes.op.type == "Shape":
        return sizes.op._inputs[0] is w
    from flowzero.ops.common import static_value

    v = static_value(sizes)
    dims = w.shape.known
    return (
        v is not None
        and dims is not None
        and None not in dims
        and [int(d) for d in v.reshape(-1)] == list(dims)
    )


def producer(op: Operation, chain: Chain | None) -> Callable[..., Any]:
    """The step function of `op` (or of its chain) that also returns the hand-over value."""
    if chain is not None:
        kernel = chain.kernel
        return lambda *args: kernel(*args, keep=True)
    od = op._opdef
    if op.type == "Conv2D":
        return lambda x, w: od.compute_fused(x, w, keep_cols=True)
    return od.compute_with_argmax  # MaxPool


class _Unfusable(Exception):
    """The values at run time do not fit the fused kernel: run the chain op by op."""
