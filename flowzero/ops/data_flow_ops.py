"""Queues: tf.FIFOQueue, tf.RandomShuffleQueue, tf.PaddingFIFOQueue and their ops.

A queue is a session resource (one per Session, in its RunContext) holding tuples of NumPy
arrays. Its ops block: an enqueue waits while the queue is full, a dequeue while it holds too
few elements; other threads' runs go on meanwhile (queue runners). Closing the queue wakes every
waiting dequeue (OutOfRangeError once the elements left are too few), closing it with
cancel_pending_enqueues=True or closing the session wakes the waiting enqueues too
(CancelledError). Nothing waits forever on a closed queue.

This module is imported on first use of tf.FIFOQueue / tf.train's input pipelines.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, get_default_graph
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.platform import tf_logging as logging
from flowzero.runtime.state import RunContext, wait_within_deadline

_queue_ids = itertools.count()
_WARN_AFTER_S = 10.0  # a dequeue waiting this long says what is probably missing


# -- run time: the queue itself ----------------------------------------------------------------
class _Queue:
    """The run-time state of one queue in one session."""

    def __init__(self, attrs: dict[str, Any], rng: np.random.Generator | None) -> None:
        self.name = attrs["queue_name"]
        self.kind = attrs["kind"]  # "FIFOQueue", "RandomShuffleQueue" or "PaddingFIFOQueue"
        self.capacity = attrs["capacity"]
        self.min_after_dequeue = attrs.get("min_after_dequeue", 0)
        self.dtypes = attrs["dtypes"]
        self.shapes = attrs["shapes"]
        self.items: deque[tuple[np.ndarray, ...]] = deque()
        self.rng = rng
        self.closed = False
        self.cancelled = False  # the session closed
        self.enqueues_cancelled = False  # closed with cancel_pending_enqueues
        self.cond = threading.Condition()

    def _where(self) -> str:
        return f"{self.kind} '{self.name}'"

    def check(self, values: list[Any], many: bool) -> list[np.ndarray]:
        if len(values) != len(self.dtypes):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{self._where()}: expected {len(self.dtypes)} components; got {len(values)}.",
            )
        out = []
        n = None
        for i, (v, dt, sh) in enumerate(zip(values, self.dtypes, self.shapes)):
            a = np.asarray(v)
            if a.dtype != dt.np and not (dt.np.kind == "O" and a.dtype.kind == "O"):
                a = a.astype(dt.np)
            elem = a.shape[1:] if many else a.shape
            if many:
                if a.ndim == 0:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"{self._where()}: enqueue_many needs component {i} with a "
                        f"batch dimension; got a scalar.",
                    )
                if n is None:
                    n = a.shape[0]
                elif a.shape[0] != n:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"{self._where()}: enqueue_many components have different "
                        f"batch sizes: {n} and {a.shape[0]}.",
                    )
            if sh is not None and not _compatible(sh, elem):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{self._where()}: shape mismatch in tuple component {i}. "
                    f"Expected {list(sh)}, got {list(elem)}.",
                )
            out.append(a)
        return out

    # NOTE: every wait below is a loop on the condition with a timeout, so a waiting run also
    # notices a close or a cancel it was not notified of, and can say what it waits for.
    def enqueue(self, values: list[np.ndarray], many: bool) -> None:
        rows = list(zip(*values)) if many else [tuple(values)]
        with self.cond:
            if self.closed:
                raise errors.CancelledError(None, None, f"{self._where()} is closed.")
            for row in rows:
                # A closed queue lets a waiting enqueue finish (TF's rule) unless it was closed
                # with cancel_pending_enqueues or its session closed.
                while len(self.items) >= self.capacity:
                    if self.cancelled or self.enqueues_cancelled:
                        raise errors.CancelledError(
                            None,
                            None,
                            f"Enqueue operation was cancelled ({self._where()} "
                            "was closed with cancel_pending_enqueues, or its session closed).",
                        )
                    wait_within_deadline(self.cond, f"an enqueue to the full {self._where()}")
                self.items.append(tuple(np.array(c, copy=True) for c in row))
                self.cond.notify_all()

    def _available(self) -> int:
        keep = 0 if self.closed else self.min_after_dequeue
        return max(0, len(self.items) - keep)

    def dequeue(self, n: int | None, up_to: bool) -> list[np.ndarray]:
        want = 1 if n is None else n
        if want < 0:
            raise errors.InvalidArgumentError(
                None, None, f"{self._where()}: requested {want} elements; the count must be >= 0."
            )
        start = time.monotonic()
        warned = False
        with self.cond:
            while True:
                if self.cancelled:
                    raise errors.CancelledError(
                        None,
                        None,
                        f"Dequeue operation was cancelled: the session of {self._where()} closed.",
                    )
                if self._available() >= want:
                    break
                if self.closed:
                    if up_to and len(self.items) > 0:
                        want = len(self.items)
                        break
                    raise errors.OutOfRangeError(
                        None,
                        None,
                        f"{self._where()} is closed and has insufficient elements "
                        f"(requested {want}, current size {len(self.items)})",
                    )
                wait_within_deadline(
                    self.cond, f"a dequeue of {want} element(s) from {self._where()}"
                )
                if not warned and time.monotonic() - start > _WARN_AFTER_S:
                    warned = True
                    logging.warning(
                        "A dequeue from %s has waited %.0f s for %d element(s) (size %d). Did "
                        "you start the queue runners (tf.train.start_queue_runners)?",
                        self._where(),
                        _WARN_AFTER_S,
                        want,
                        len(self.items),
                    )
            rows = [self._pop() for _ in range(want)]
            self.cond.notify_all()
        if n is None:
            return list(rows[0])
        return [self._stack(i, [r[i] for r in rows]) for i in range(len(self.dtypes))]

    def _pop(self) -> tuple[np.ndarray, ...]:
        if self.rng is None:
            return self.items.popleft()
        i = int(self.rng.integers(len(self.items)))
        self.items.rotate(-i)
        row = self.items.popleft()
        self.items.rotate(i)
        return row

    def _stack(self, i: int, parts: list[np.ndarray]) -> np.ndarray:
        dt = self.dtypes[i].np
        if not parts:
            sh = self.shapes[i]
            return np.zeros((0, *(0 if d is None else d for d in (sh or ()))), dt)
        if self.kind == "PaddingFIFOQueue":
            rank = parts[0].ndim
            big = tuple(max(p.shape[d] for p in parts) for d in range(rank))
            out = (
                np.zeros((len(parts), *big), dt)
                if dt.kind != "O"
                else np.full((len(parts), *big), b"", object)
            )
            for k, p in enumerate(parts):
                out[(k, *tuple(slice(0, s) for s in p.shape))] = p
            return out
        return np.stack(parts).astype(dt, copy=False)

    def close(self, cancel_pending_enqueues: bool) -> None:
        with self.cond:
            self.closed = True
            self.enqueues_cancelled = self.enqueues_cancelled or cancel_pending_enqueues
            self.cond.notify_all()

    def cancel(self) -> None:
        """The session closes: every waiting enqueue and dequeue fails with CancelledError."""
        with self.cond:
            self.cancelled = self.closed = self.enqueues_cancelled = True
            self.cond.notify_all()

    def size(self) -> int:
        with self.cond:
            return len(self.items)


def _compatible(shape: tuple[int | None, ...], actual: tuple[int, ...]) -> bool:
    return len(shape) == len(actual) and all(d is None or d == a for d, a in zip(shape, actual))


# -- ops -----------------------------------------------------------------------------------------
class _QueueOp(OpDef):
    needs_context = True
    stateful = True
    differentiable = False

    def _queue(self, ctx: RunContext) -> _Queue:
        a = self.attrs

        def make() -> _Queue:
            rng = None
            if a["kind"] == "RandomShuffleQueue":
                rng = ctx.rng(("queue", a["queue_key"]), (a.get("seed"), a.get("seed2")))
            return _Queue(a, rng)

        return ctx.resource(a["queue_key"], make)


@register_op("QueueEnqueueV2")
class QueueEnqueue(_QueueOp):
    """Adds one element (a tuple of components) to the queue; waits while it is full."""

    def infer(self, *components: Tensor) -> list[TensorSpec]:
        return []

    def compute(self, ctx: RunContext, *values: Any) -> None:
        q = self._queue(ctx)
        q.enqueue(q.check(list(values), many=False), many=False)


@register_op("QueueEnqueueManyV2")
class QueueEnqueueMany(_QueueOp):
    """Adds the slices along dimension 0 of the components, one element each."""

    def infer(self, *components: Tensor) -> list[TensorSpec]:
        return []

    def compute(self, ctx: RunContext, *values: Any) -> None:
        q = self._queue(ctx)
        q.enqueue(q.check(list(values), many=True), many=True)


@register_op("QueueDequeueV2")
class QueueDequeue(_QueueOp):
    """Removes one element (OutOfRangeError once the queue is closed and empty)."""

    def infer(self) -> list[TensorSpec]:
        return [
            spec(TensorShape(None if s is None else list(s)), d)
            for s, d in zip(self.attrs["shapes"], self.attrs["dtypes"])
        ]

    def compute(self, ctx: RunContext) -> list[Any]:
        return self._queue(ctx).dequeue(None, up_to=False)


@register_op("QueueDequeueManyV2")
class QueueDequeueMany(_QueueOp):
    """Removes n elements, stacked along a new dimension 0."""

    def infer(self, n: Tensor) -> list[TensorSpec]:
        return _batched_specs(self.attrs, n, exact=True)

    def compute(self, ctx: RunContext, n: np.ndarray) -> list[Any]:
        return self._queue(ctx).dequeue(int(n), up_to=False)


@register_op("QueueDequeueUpToV2")
class QueueDequeueUpTo(_QueueOp):
    """Removes n elements, or what is left (at least one) once the queue is closed."""

    def infer(self, n: Tensor) -> list[TensorSpec]:
        return _batched_specs(self.attrs, n, exact=False)

    def compute(self, ctx: RunContext, n: np.ndarray) -> list[Any]:
        return self._queue(ctx).dequeue(int(n), up_to=True)


@register_op("QueueCloseV2")
class QueueClose(_QueueOp):
    """Closes the queue: no more enqueues; dequeues drain what is left."""

    def infer(self) -> list[TensorSpec]:
        return []

    def compute(self, ctx: RunContext) -> None:
        self._queue(ctx).close(bool(self.attrs.get("cancel_pending_enqueues")))


@register_op("QueueSizeV2")
class QueueSize(_QueueOp):
    """The number of elements in the queue."""

    def infer(self) -> TensorSpec:
        return spec([], dtypes.int32)

    def compute(self, ctx: RunContext) -> np.ndarray:
        return np.int32(self._queue(ctx).size())


@register_op("QueueIsClosedV2")
class QueueIsClosed(_QueueOp):
    """Whether the queue is closed."""

    def infer(self) -> TensorSpec:
        return spec([], dtypes.bool)

    def compute(self, ctx: RunContext) -> np.ndarray:
        return np.bool_(self._queue(ctx).closed)


def _batched_specs(attrs: dict[str, Any], n: Tensor, exact: bool) -> list[TensorSpec]:
    from flowzero.ops.common import static_value

    k = static_value(n) if exact else None
    dim = None if k is None else int(k)
    out = []
    for s, d in zip(attrs["shapes"], attrs["dtypes"]):
        if s is None:
            out.append(spec(TensorShape(None), d))
        elif attrs["kind"] == "PaddingFIFOQueue":
            out.append(spec([dim, *[None if x is None else x for x in s]], d))
        else:
            out.append(spec([dim, *s], d))
    return out


# -- the Python API ------------------------------------------------------------------------------
def _as_dtypes(dts: Any) -> list[dtypes.DType]:
    if not isinstance(dts, (list, tuple)):
        dts = [dts]
    return [dtypes.as_dtype(d) for d in dts]


# The attrs that describe a queue (its ops carry them; QueueCloseV2 adds its own).
_QUEUE_ATTRS = frozenset(
    {"queue_key", "queue_name", "kind", "capacity", "dtypes", "shapes", "min_after_dequeue"}
    | {"seed", "seed2"}
)


class QueueBase:
    """A queue of tuples of tensors (TF1's tf.QueueBase): enqueue/dequeue ops over a session
    resource. Components may be named (`names=`): then elements are dicts."""

    _kind = "FIFOQueue"

    def __init__(
        self, capacity: int, dtypes_: Any, shapes: Any, names: Any, name: str, extra: dict[str, Any]
    ) -> None:
        if not isinstance(capacity, (int, np.integer)) or capacity <= 0:
            raise ValueError(f"{self._kind}: capacity must be a positive int; got {capacity!r}.")
        self._dtypes = _as_dtypes(dtypes_)
        if shapes is not None:
            if not isinstance(shapes, (list, tuple)) or (
                shapes
                and not isinstance(shapes[0], (list, tuple, TensorShape))
                and shapes[0] is not None
            ):
                shapes = [shapes]
            if len(shapes) != len(self._dtypes):
                raise ValueError(
                    f"{self._kind}: queue shapes must have the same length as "
                    f"dtypes ({len(self._dtypes)}); got {len(shapes)}."
                )
            self._shapes = [as_shape(s) for s in shapes]
        else:
            self._shapes = [TensorShape(None)] * len(self._dtypes)
        if self._kind == "PaddingFIFOQueue" and shapes is None:
            raise ValueError("PaddingFIFOQueue needs shapes (None for the dimensions to pad).")
        if names is not None:
            names = [names] if isinstance(names, str) else list(names)
            if len(names) != len(self._dtypes):
                raise ValueError(
                    f"{self._kind}: queue names must have the same length as dtypes; got {names}."
                )
        self._names = names
        g = get_default_graph()
        with g.name_scope(name) as scope:
            self._name = scope[:-1] if scope.endswith("/") else scope
        # TF names the queue's ops after the last part of its name (the handle op's), in the
        # scope where they are made: `fifo_queue_enqueue`, `input_producer_EnqueueMany`.
        self._short = self._name.rsplit("/", 1)[-1]
        key = f"queue_{next(_queue_ids)}_{self._name}"
        stored = [None if s.known is None else tuple(s.known) for s in self._shapes]
        self._attrs = {
            "queue_key": key,
            "queue_name": self._name,
            "kind": self._kind,
            "capacity": int(capacity),
            "dtypes": self._dtypes,
            "shapes": stored,
            **extra,
        }
        self._graph = g

    @classmethod
    def _from_op(cls, op: Any) -> QueueBase:
        """The queue that one of its ops (e.g. an imported enqueue op) works on: its Python
        object rebuilt from the attrs the op carries (what a QueueRunnerDef's names need)."""
        a = op.opdef.attrs
        kinds = {"FIFOQueue": FIFOQueue, "PaddingFIFOQueue": PaddingFIFOQueue}
        q = object.__new__(kinds.get(a["kind"], RandomShuffleQueue))
        q._attrs = {k: v for k, v in a.items() if k in _QUEUE_ATTRS}
        q._dtypes = list(a["dtypes"])
        q._shapes = [TensorShape(None if s is None else list(s)) for s in a["shapes"]]
        q._names = None
        q._name = a["queue_name"]
        q._short = q._name.rsplit("/", 1)[-1]
        q._graph = op.graph
        return q

    # -- facts ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtypes(self) -> list[dtypes.DType]:
        return list(self._dtypes)

    @property
    def shapes(self) -> list[TensorShape]:
        return list(self._shapes)

    @property
    def names(self) -> Any:
        return self._names

    @property
    def queue_ref(self) -> str:
        return self._attrs["queue_key"]

    # -- ops -----------------------------------------------------------------------------------
    def _flat(self, vals: Any, many: bool) -> list[Tensor]:
        if self._names is not None:
            if not isinstance(vals, dict):
                raise ValueError(
                    f"{self._kind} '{self._name}' has names {self._names}: enqueue "
                    f"a dict; got {type(vals).__name__}."
                )
            if set(vals) != set(self._names):
                raise ValueError(
                    f"{self._kind} '{self._name}': keys {sorted(vals)} do not match "
                    f"the queue's names {sorted(self._names)}."
                )
            vals = [vals[k] for k in self._names]
        elif isinstance(vals, dict):
            raise ValueError(
                f"{self._kind} '{self._name}' has no names: enqueue a list or tuple, not a dict."
            )
        if not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{self._kind} '{self._name}': expected {len(self._dtypes)} "
                f"components; got {len(vals)}.",
            )
        out = []
        for i, (v, dt, sh) in enumerate(zip(vals, self._dtypes, self._shapes)):
            t = v if isinstance(v, Tensor) else convert_to_tensor(v, dtype=dt)
            if t.dtype is not dt:
                raise errors.InvalidArgumentError(
                    None,
                    t.op,
                    f"{self._kind} '{self._name}': component {i} must be "
                    f"{dt.name}; got {t.dtype.name} (tensor '{t.name}').",
                )
            elem = t.shape
            if many and elem.ndims is not None:
                elem = TensorShape(elem.as_list()[1:]) if elem.ndims > 0 else elem
            if sh.known is not None and not _loose_compatible(sh, elem, self._kind):
                raise errors.InvalidArgumentError(
                    None,
                    t.op,
                    f"{self._kind} '{self._name}': shape mismatch in component "
                    f"{i}: the queue holds {sh}, got {elem} (tensor '{t.name}').",
                )
            out.append(t)
        return out

    def enqueue(self, vals: Any, name: str | None = None) -> Any:
        """An op that adds one element; it waits while the queue is full."""
        with self._graph.as_default():
            return apply_op(
                QueueEnqueue,
                self._flat(vals, many=False),
                dict(self._attrs),
                name=name or f"{self._short}_enqueue",
            )

    def enqueue_many(self, vals: Any, name: str | None = None) -> Any:
        """An op that adds the slices of `vals` along dimension 0, one element each."""
        with self._graph.as_default():
            return apply_op(
                QueueEnqueueMany,
                self._flat(vals, many=True),
                dict(self._attrs),
                name=name or f"{self._short}_EnqueueMany",
            )

    def _pack(self, outs: Any) -> Any:
        outs = outs if isinstance(outs, list) else [outs]
        if self._names is not None:
            return dict(zip(self._names, outs))
        return outs[0] if len(outs) == 1 else outs

    def dequeue(self, name: str | None = None) -> Any:
        """One element (a tensor, a list of tensors, or a dict with names)."""
        with self._graph.as_default():
            return self._pack(
                apply_op(QueueDequeue, [], dict(self._attrs), name=name or f"{self._short}_Dequeue")
            )

    def dequeue_many(self, n: Any, name: str | None = None) -> Any:
        """n elements, stacked along a new dimension 0."""
        with self._graph.as_default():
            nt = convert_to_tensor(n, dtype=dtypes.int32)
            return self._pack(
                apply_op(
                    QueueDequeueMany,
                    [nt],
                    dict(self._attrs),
                    name=name or f"{self._short}_DequeueMany",
                )
            )

    def dequeue_up_to(self, n: Any, name: str | None = None) -> Any:
        """Up to n elements: fewer only once the queue is closed."""
        with self._graph.as_default():
            nt = convert_to_tensor(n, dtype=dtypes.int32)
            return self._pack(
                apply_op(
                    QueueDequeueUpTo,
                    [nt],
                    dict(self._attrs),
                    name=name or f"{self._short}_DequeueUpTo",
                )
            )

    def close(self, cancel_pending_enqueues: bool = False, name: str | None = None) -> Any:
        """An op that closes the queue (with cancel_pending_enqueues, waiting enqueues fail
        with CancelledError)."""
        with self._graph.as_default():
            return apply_op(
                QueueClose,
                [],
                dict(self._attrs, cancel_pending_enqueues=bool(cancel_pending_enqueues)),
                name=name or f"{self._short}_Close",
            )

    def size(self, name: str | None = None) -> Tensor:
        with self._graph.as_default():
            return apply_op(QueueSize, [], dict(self._attrs), name=name or f"{self._short}_Size")

    def is_closed(self, name: str | None = None) -> Tensor:
        with self._graph.as_default():
            return apply_op(
                QueueIsClosed, [], dict(self._attrs), name=name or f"{self._short}_Is_Closed"
            )


def _loose_compatible(queue_shape: TensorShape, elem: TensorShape, kind: str) -> bool:
    if elem.known is None:
        return True
    if kind == "PaddingFIFOQueue":
        return len(queue_shape.known) == len(elem.known) and all(
            q is None or e is None or q == e for q, e in zip(queue_shape.known, elem.known)
        )
    return queue_shape.is_compatible_with(elem)


class FIFOQueue(QueueBase):
    """A first-in first-out queue (TF1's tf.FIFOQueue).

    Example:
        >>> q = tf.FIFOQueue(3, tf.float32)
        >>> init = q.enqueue_many(([0., 0., 0.],))
        >>> x = q.dequeue()
    """

    _kind = "FIFOQueue"

    def __init__(
        self,
        capacity: int,
        dtypes: Any,
        shapes: Any = None,
        names: Any = None,
        shared_name: str | None = None,
        name: str = "fifo_queue",
    ) -> None:
        super().__init__(capacity, dtypes, shapes, names, name, {})


class PaddingFIFOQueue(QueueBase):
    """A FIFO queue whose dequeue_many pads each component to the batch's largest shape
    (shapes give None for the dimensions that vary)."""

    _kind = "PaddingFIFOQueue"

    def __init__(
        self,
        capacity: int,
        dtypes: Any,
        shapes: Any,
        names: Any = None,
        shared_name: str | None = None,
        name: str = "padding_fifo_queue",
    ) -> None:
        super().__init__(capacity, dtypes, shapes, names, name, {})


class RandomShuffleQueue(QueueBase):
    """A queue that dequeues a random element, keeping at least `min_after_dequeue` elements
    until it is closed (TF1's tf.RandomShuffleQueue). Seeded, it replays the same order."""

    _kind = "RandomShuffleQueue"

    def __init__(
        self,
        capacity: int,
        min_after_dequeue: int,
        dtypes: Any,
        shapes: Any = None,
        names: Any = None,
        seed: int | None = None,
        shared_name: str | None = None,
        name: str = "random_shuffle_queue",
    ) -> None:
        from flowzero.framework.graph import get_seed

        if min_after_dequeue < 0 or min_after_dequeue >= capacity:
            raise ValueError(
                f"RandomShuffleQueue: min_after_dequeue ({min_after_dequeue}) must "
                f"be >= 0 and < capacity ({capacity})."
            )
        s1, s2 = get_seed(seed)
        super().__init__(
            capacity,
            dtypes,
            shapes,
            names,
            name,
            {"min_after_dequeue": int(min_after_dequeue), "seed": s1, "seed2": s2},
        )


__all__ = ["QueueBase", "FIFOQueue", "PaddingFIFOQueue", "RandomShuffleQueue"]
