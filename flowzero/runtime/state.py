"""Per-session state that stateful kernels receive: variable cells, RNG streams, sub-plans.

This module sits below the op catalogue and the optimizers (they import it) and above nothing
but the framework: it must not import `runtime.plan` (the plan module registers itself here as
the factory of sub-plans, which control-flow kernels ask for).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import errors


class _Deadline(threading.local):
    at: float | None = None  # time.monotonic() by which the run must end; None: no deadline


# The deadline of the Session.run in progress on this thread: ConfigProto's
# operation_timeout_in_ms or RunOptions' timeout_in_ms (runtime/session.py sets it). Blocking
# kernels (a queue's enqueue or dequeue) wait no longer than this.
DEADLINE = _Deadline()


def wait_within_deadline(cond: threading.Condition, what: str, poll: float = 1.0) -> None:
    """cond.wait() for at most `poll` seconds and never past the run's deadline; at the deadline
    DeadlineExceededError saying what was waited for (TF: "Timed out waiting for notification")."""
    at = DEADLINE.at
    if at is None:
        cond.wait(poll)
        return
    left = at - time.monotonic()
    if left <= 0:
        raise errors.DeadlineExceededError(
            None,
            None,
            f"Timed out waiting for notification: {what} (the run's timeout, "
            "ConfigProto.operation_timeout_in_ms or RunOptions.timeout_in_ms, expired).",
        )
    cond.wait(min(poll, left))


class VarCell:
    """One variable's storage in one Session. `value` is None until initialized."""

    __slots__ = ("name", "value")

    def __init__(self, name: str) -> None:
        self.name = name
        self.value: np.ndarray | None = None

    def read(self) -> np.ndarray:
        """The value; FailedPreconditionError naming the variable if it was never initialized."""
        if self.value is None:
            short = self.name.rsplit("/", 1)[-1]
            raise errors.FailedPreconditionError(
                None,
                None,
                f"Attempting to use uninitialized value {self.name}. Run its initializer "
                f"first: sess.run(tf.global_variables_initializer()) for all variables, or "
                f"sess.run({short}.initializer) for this one.",
            )
        return self.value


class RunContext:
    """Per-session state that stateful kernels receive: variable storage, RNG streams, and the
    compiled plans of function bodies (a loop body is planned once per session, then run per
    iteration)."""

    # Set by runtime.plan at import: (targets, feeds, ctx) -> an object with .run(feed_values).
    plan_factory: Callable[[list[Any], list[Any], RunContext], Any] | None = None

    def __init__(self, threads: Any = None) -> None:
        self.threads = threads  # the session's runtime.threads.ThreadPolicy (None: no policy)
        self.variables: dict[str, VarCell] = {}
        self.rngs: dict[Any, np.random.Generator] = {}
        self.subplans: dict[Any, Any] = {}
        self.iterators: dict[str, Any] = {}  # tf.data iterators' positions
        # Stateful objects that ops share within the session (queues), by key; each may have
        # a cancel() that close() calls, to wake the threads blocked on it.
        self.resources: dict[str, Any] = {}
        # NOTE: several threads may run the session at once (queue runners feeding a training
        # loop): every get-or-create below goes through dict.setdefault, which is atomic, so
        # two threads never end up with two different cells for one variable.
        self.lock = threading.RLock()
        self.iterator_lock = threading.RLock()  # a Python generator: one thread at a time

    def cell(self, name: str) -> VarCell:
        c = self.variables.get(name)
        if c is None:
            c = self.variables.setdefault(name, VarCell(name))
        return c

    def resource(self, key: str, make: Callable[[], Any]) -> Any:
        """The session's object under `key` (a queue), created by `make()` on first use."""
        r = self.resources.get(key)
        if r is None:
            with self.lock:
                r = self.resources.get(key)
                if r is None:
                    r = self.resources[key] = make()
        return r

    def close(self) -> None:
        """Cancels what threads may be blocked on (pending queue operations)."""
        for r in list(self.resources.values()):
            cancel = getattr(r, "cancel", None)
            if cancel is not None:
                cancel()

    def rng(self, key: Any, seed: tuple[int | None, int | None]) -> np.random.Generator:
        """The RNG stream of one random op: seeded ones replay identically in every session."""
        g = self.rngs.get(key)
        if g is None:
            if seed[0] is None and seed[1] is None:
                g = np.random.default_rng()
            else:
                g = np.random.default_rng([int(seed[0] or 0), int(seed[1] or 0)])
            g = self.rngs.setdefault(key, g)
        return g

    def subplan(self, key: Any, targets: list[Any], feeds: list[Any]) -> Any:
        """The cached plan computing `targets` from `feeds` (a function body), built once."""
        p = self.subplans.get(key)
        if p is None:
            factory = RunContext.plan_factory
            if factory is None:  # pragma: no cover - runtime.plan is imported with flowzero
                raise RuntimeError("no plan factory registered (import flowzero.runtime.plan)")
            p = self.subplans.setdefault(key, factory(targets, feeds, self))
        return p
