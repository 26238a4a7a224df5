"""A Plan: everything about running one (fetches, feeds) signature, computed once.

Building a plan prunes the graph to the ops the targets need, orders them (creation order is a
topological order), assigns every live value an integer slot, and records after which step each
slot dies. Running it is a tight loop over precomputed steps: no name lookups, no Tensor objects,
no shape inference.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Operation, Tensor
from flowzero.runtime import fusion, threads
from flowzero.runtime.state import RunContext, VarCell

__all__ = ["Plan", "RunContext", "VarCell"]


# Exceptions from NumPy inside a kernel map to TF's classes.
_ERROR_MAP: list[tuple[type[BaseException], type[errors.OpError]]] = [
    (MemoryError, errors.ResourceExhaustedError),
    (FloatingPointError, errors.InvalidArgumentError),
    (ZeroDivisionError, errors.InvalidArgumentError),
    (IndexError, errors.InvalidArgumentError),
    (ValueError, errors.InvalidArgumentError),
    (TypeError, errors.InvalidArgumentError),
    (NotImplementedError, errors.UnimplementedError),
]


def _wrap_kernel_error(exc: BaseException, op: Operation) -> errors.OpError:
    where = f"\n  (op '{op.name}' of type {op.type}, created at {op.traceback})"
    if isinstance(exc, errors.OpError):
        msg = exc.message
        if f"'{op.name}'" not in msg:
            msg = f"{op.type} '{op.name}': {msg}"
        new = type(exc)(None, op, msg + where)
        return new
    cls: type[errors.OpError] = errors.InternalError
    for src, dst in _ERROR_MAP:
        if isinstance(exc, src):
            cls = dst
            break
    return cls(None, op, f"{op.type} '{op.name}': {type(exc).__name__}: {exc}{where}")


def _fused_step(chain: fusion.Chain, kernel: Any) -> Any:
    """The step function of a fused chain: `kernel`, or, when that raises, the chain op by
    op, so an error is the one the unfused plan raises and names the op that fails (with no
    hand-over value: its consumer then computes without it)."""
    hands_over = kernel is not chain.kernel

    def run(*args: Any) -> Any:
        try:
            return kernel(*args)
        except Exception:  # noqa: BLE001 - rerun unfused below; it raises the real error
            pass
        vals = dict(zip(chain.inputs, args))
        for op in chain.ops:
            try:
                r = op._opdef.compute(*[vals[t] for t in op._inputs])
            except Exception as exc:  # noqa: BLE001 - attributed to this op
                err = _wrap_kernel_error(exc, op)
                err._names_its_op = True  # type: ignore[attr-defined]
                raise err from exc
            vals[op._outputs[0]] = r
        return (r, None) if hands_over else r

    return run


def _copy_fetch(v: Any) -> Any:
    if isinstance(v, VarCell):  # the variable node itself was fetched: its current value
        return v.read().copy()
    return v.copy() if isinstance(v, np.ndarray) else v


class Plan:
    """The compiled form of one run signature: fetch tensors/ops + fed tensors."""

    def __init__(
        self, targets: list[Tensor | Operation], feeds: list[Tensor], ctx: RunContext
    ) -> None:
        self.feeds = feeds
        slot_of: dict[Tensor, int] = {}

        def slot(t: Tensor) -> int:
            s = slot_of.get(t)
            if s is None:
                s = slot_of[t] = len(slot_of)
            return s

        fed = set(feeds)
        for f in feeds:
            slot(f)

        # 1. prune: walk back from the targets, stopping at fed tensors.
        needed: dict[Operation, Operation | None] = {}  # op -> a consumer that needed it
        stack: list[tuple[Operation, Operation | None]] = []
        for t in targets:
            if isinstance(t, Tensor):
                if t not in fed:
                    stack.append((t.op, None))
            else:
                stack.append((t, None))
        while stack:
            op, by = stack.pop()
            if op in needed:
                continue
            needed[op] = by
            for inp in op._inputs:
                if inp not in fed:
                    stack.append((inp._op, op))
            for c in op._control_inputs:
                stack.append((c, op))

        # 2. order: creation order is topological (an op's inputs exist before it does).
        order = sorted(needed, key=lambda o: o._id)
        for op in order:
            if op._opdef.requires_feed:
                self._raise_unfed(op, needed)

        # 3. slots and steps; chains of ops that every network has run as one fused kernel.
        chains = fusion.find_chains(order, {t for t in targets if isinstance(t, Tensor)}, fed)
        handovers = fusion.find_handovers(order, chains)
        hidden = {p: slot(("handover", p)) for p in set(handovers.values())}  # type: ignore
        inner = {op for c in chains.values() for op in c.ops[:-1]}
        read = {t for op in order for t in op._inputs} | {
            t for t in targets if isinstance(t, Tensor)
        }
        steps: list[tuple[Any, tuple[int, ...], Any, Operation]] = []
        labels: list[str] = []
        policy: threads.ThreadPolicy | None = ctx.threads
        self.threaded = False  # some step may switch the BLAS's thread count
        last_use: dict[int, int] = {}
        for op in order:
            if op in inner:
                continue
            chain = chains.get(op)
            inputs = op._inputs if chain is None else chain.inputs
            ins = tuple(slot(t) for t in inputs)
            if op in handovers:  # the by-product of a forward step, as a last argument
                ins += (hidden[handovers[op]],)
            for s in ins:
                last_use[s] = len(steps)
            outs = op._outputs
            if not op._multi:
                out: Any = slot(outs[0])
            elif not outs:
                out = None
            else:
                out = tuple(slot(t) for t in outs)
            if op in hidden:  # also hands a by-product to a later step
                out = (out, hidden[op])
                fn = fusion.producer(op, chain)
                if chain is not None:
                    fn = _fused_step(chain, fn)
            elif chain is not None:
                fn = _fused_step(chain, chain.kernel)
            else:
                fn = op._opdef.compute
                if op._multi and outs:
                    special = op._opdef.kernel_for(tuple(t in read for t in outs))
                    if special is not None:
                        fn = special
                if op._opdef.needs_context:
                    fn = functools.partial(fn, ctx)
            if policy is not None:
                plain = fn
                fn = policy.wrap(fn, [op] if chain is None else chain.ops, list(inputs))
                self.threaded = self.threaded or fn is not plain
            labels.append(op.type if chain is None else "+".join(o.type for o in chain.ops))
            steps.append((fn, ins, out, op))

        self.fetch_slots: list[int | None] = []
        copy_flags: list[bool] = []
        for t in targets:
            if isinstance(t, Tensor):
                self.fetch_slots.append(slot(t))
                copy_flags.append(_may_alias_state(t, fed))
            else:
                self.fetch_slots.append(None)
                copy_flags.append(False)
        kept = {s for s in self.fetch_slots if s is not None}

        # 4. lifetimes: free each slot right after its last consumer (or its producer, when
        # nothing reads it), unless it is fetched.
        frees: list[list[int]] = [[] for _ in steps]
        for i, (_, _, out, _) in enumerate(steps):
            produced = [] if out is None else ([out] if isinstance(out, int) else list(out))
            for s in produced:
                if s not in kept:
                    frees[last_use.get(s, i)].append(s)
        for s in {slot(t) for t in feeds}:
            if s not in kept and s in last_use:
                frees[last_use[s]].append(s)

        self.nslots = len(slot_of)
        self.feed_slots = [slot_of[t] for t in feeds]
        self.steps = [(fn, ins, out, tuple(fr)) for (fn, ins, out, _), fr in zip(steps, frees)]
        self.ops = [op for (_, _, _, op) in steps]  # a fused step: its chain's last op
        self.labels = labels  # op types per step, "Conv2D+BiasAdd+Relu" for a fused one
        self.copy_flags = copy_flags
        self.any_copy = any(copy_flags)

    @staticmethod
    def _raise_unfed(op: Operation, needed: dict[Operation, Operation | None]) -> None:
        t = op._outputs[0]
        shape = (
            "unknown"
            if t.shape.known is None
            else "[" + ",".join("?" if d is None else str(d) for d in t.shape.known) + "]"
        )
        by = needed.get(op)
        if op.type == "_Arg":  # a body's argument is fed only by its If/While
            user = f"op '{by.name}' (created at {by.traceback})" if by is not None else op.name
            raise errors.InvalidArgumentError(
                None,
                op,
                f"{user} belongs to the control-flow body '{op._body.scope}' (a cond branch or "
                "while_loop body) and cannot run outside it: a tensor created inside the body "
                "is fetched or used outside. Return it from the branch or loop body and use "
                "the corresponding output instead.",
            )
        chain = (
            f" (needed by op '{by.name}' of type {by.type}, created at {by.traceback})"
            if by is not None
            else ""
        )
        raise errors.InvalidArgumentError(
            None,
            op,
            f"You must feed a value for placeholder tensor '{op.name}' with dtype "
            f"{t.dtype.name} and shape {shape}{chain}. Pass it in feed_dict={{{op.name}: ...}}.",
        )

    def run(self, feed_values: list[Any]) -> list[Any]:
        if not self.threaded:
            # A plan whose loop or branch bodies switch threads switches too from then on, so
            # that its bodies' switches happen inside one run, not once per iteration.
            st = threads.state
            before = st.outermost
            out = self._run(feed_values)
            if st.outermost != before:
                self.threaded = True
            return out
        threads.enter()
        try:
            return self._run(feed_values)
        finally:
            threads.leave()

    def run_traced(self, feed_values: list[Any]) -> tuple[list[Any], list[Any]]:
        """run(), timing each step: (outputs, [(op, start, end)] in perf_counter seconds).
        The steps are wrapped for this one run only; the untraced loop stays as it is."""
        import time

        clock = time.perf_counter
        records: list[Any] = []

        def timed(fn: Any, op: Any) -> Any:
            def call(*args: Any) -> Any:
                t0 = clock()
                try:
                    return fn(*args)
                finally:
                    records.append((op, t0, clock()))

            return call

        steps = self.steps
        self.steps = [(timed(s[0], op), *s[1:]) for s, op in zip(steps, self.ops)]
        try:
            return self.run(feed_values), records
        finally:
            self.steps = steps

    def _run(self, feed_values: list[Any]) -> list[Any]:
        vals: list[Any] = [None] * self.nslots
        for s, v in zip(self.feed_slots, feed_values):
            vals[s] = v
        i = 0
        try:
            for fn, ins, out, frees in self.steps:
                if out is None:
                    fn(*[vals[j] for j in ins])
                elif out.__class__ is int:
                    vals[out] = fn(*[vals[j] for j in ins])
                else:
                    for s, v in zip(out, fn(*[vals[j] for j in ins])):
                        vals[s] = v
                for s in frees:
                    vals[s] = None
                i += 1
        except Exception as exc:  # noqa: BLE001 - re-raised as a typed OpError naming the op
            if getattr(exc, "_names_its_op", False):  # from a fused chain, rerun op by op
                raise
            raise _wrap_kernel_error(exc, self.ops[i]) from exc
        out_vals = [None if s is None else vals[s] for s in self.fetch_slots]
        if self.any_copy:
            out_vals = [_copy_fetch(v) if c else v for v, c in zip(out_vals, self.copy_flags)]
        return out_vals


def _may_alias_state(t: Tensor, fed: set[Tensor]) -> bool:
    """True if the fetched value may be (a view of) variable storage that later runs mutate.

    Follows every input of ops that may return an input or a view of one (`forwards_input`),
    back to an op whose output is state (`aliases_state`).
    """
    seen: set[Tensor] = set()
    stack = [t]
    while stack:
        t = stack.pop()
        if t in seen or t in fed:
            continue
        seen.add(t)
        od = t.op._opdef
        if od.aliases_state:
            return True
        if od.forwards_input:
            stack.extend(t.op._inputs)
    return False


RunContext.plan_factory = Plan
