"""Plan-level fusion: the generic matcher for the op catalogue's fusion table
(flowzero/ops/fusions.py). It knows no op by name: it finds, in a plan's ops, the chains and
hand-overs the table declares, and leaves kernels to the OpDefs.

A chain is fused only when each intermediate tensor has exactly one consumer in the plan and is
neither fetched nor fed, so nothing can observe that it was never materialised. Errors keep
their meaning: when a fused kernel raises, the chain is rerun op by op and the error names the
op that fails there, as without fusion.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flowzero.framework.graph import Operation, Tensor
from flowzero.framework.registry import Follow, Fusion, fusion_rules

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
    patterns: dict[str, list[Fusion]] = {}
    for f in fusion_rules()[0]:
        patterns.setdefault(f.head, []).append(f)
    users: dict[Tensor, list[Operation]] = {}
    for op in order:
        for t in op._inputs:
            users.setdefault(t, []).append(op)

    def next_op(t: Tensor, step: Follow) -> Operation | None:
        u = users.get(t, [])
        if len(u) != 1 or t in fetched or t in fed or u[0].type not in step.types:
            return None
        nxt = u[0]
        if nxt._multi or (step.via is not None and nxt._inputs[step.via] is not t):
            return None
        return nxt

    # A fused chain runs where its last op runs. That is only the same as running its ops
    # where they stand when nothing in between has side effects (an assign to a variable the
    # chain reads) and nothing waits on an inner op through a control dependency.
    position = {op: i for i, op in enumerate(order)}
    waited_on = {c for op in order for c in op._control_inputs}
    chains: dict[Operation, Chain] = {}
    for op in order:
        for pattern in patterns.get(op.type, ()):
            chain = _match(op, pattern, next_op)
            if chain is None or any(o in waited_on for o in chain.ops[:-1]):
                continue
            between = order[position[chain.ops[0]] + 1 : position[chain.ops[-1]]]
            if any(o._opdef.stateful or o._control_inputs for o in between):
                continue
            chains[chain.ops[-1]] = chain
            break
    return chains


def _match(head: Operation, pattern: Fusion, next_op: Any) -> Chain | None:
    ops = [head]
    for step in pattern.follow:
        nxt = next_op(ops[-1]._outputs[0], step) if len(ops[-1]._outputs) == 1 else None
        if nxt is None:
            if step.optional:
                break
            return None
        ops.append(nxt)
    made = head._opdef.fuse(ops)
    if made is None:
        return None
    inputs, kernel = made
    return Chain(ops, inputs, kernel)


# -- hand-overs: a forward step's by-product that a backward step of the same run reuses ------
def find_handovers(
    order: list[Operation], chains: dict[Operation, Chain]
) -> dict[Operation, Operation]:
    """{consumer op: producer step's op} for backward ops that can reuse what a forward op built
    in the same run (the table's hand-overs; the consumer's OpDef.takes_handover decides). The
    producer step's op is the chain's last op when the forward op was fused."""
    if not ENABLED:
        return {}
    producer_of = {h.consumer: h.producer for h in fusion_rules()[1]}
    step_of = {op: op for op in order}
    for last, c in chains.items():
        for op in c.ops:
            step_of[op] = last
    wanted = set(producer_of.values())
    producers: dict[str, list[Operation]] = {}
    for op in order:
        if op.type in wanted:
            producers.setdefault(op.type, []).append(op)
    found: dict[Operation, Operation] = {}
    taken: set[Operation] = set()
    for op in order:
        ptype = producer_of.get(op.type)
        if ptype is None:
            continue
        fwd = next(
            (
                p
                for p in producers.get(ptype, [])
                if p not in taken and p._id < op._id and op._opdef.takes_handover(op, p)
            ),
            None,
        )
        if fwd is not None:
            taken.add(fwd)
            found[op] = step_of[fwd]
    return found


def producer(op: Operation, chain: Chain | None) -> Callable[..., Any]:
    """The step function of `op` (or of its chain) that also returns the hand-over value."""
    if chain is not None:
        kernel = chain.kernel
        return lambda *args: kernel(*args, keep=True)
    return op._opdef.compute_handing_over
