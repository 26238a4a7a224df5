"""Session and InteractiveSession: fetch/feed validation and result packing.

The Session knows nothing about any particular op: it normalises fetches and feeds, asks for the
cached Plan of that signature, and packs the plan's flat results back into the caller's structure.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from flowzero.framework import nest
from flowzero.framework.graph import (
    Graph,
    Operation,
    Tensor,
    _graph_stack,
    get_default_graph,
    register_runtime,
)
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowzero.runtime import allocator
from flowzero.runtime.plan import Plan, RunContext
from flowzero.runtime.state import DEADLINE
from flowzero.runtime.threads import ThreadPolicy


class _SessionStack(threading.local):
    def __init__(self) -> None:
        self.stack: list[BaseSession] = []


_session_stack = _SessionStack()


def get_default_session() -> BaseSession | None:
    """The innermost session made default by `with sess:` / `as_default()` / InteractiveSession."""
    return _session_stack.stack[-1] if _session_stack.stack else None


def _reset_default_session_stack() -> None:
    # reset_default_graph drops InteractiveSessions of the old graph.
    _session_stack.stack = [s for s in _session_stack.stack if not s._interactive]


def _session_for(graph: Graph, session: BaseSession | None, what: str) -> BaseSession:
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError(
                f"Cannot {what} using the default session: no default session is registered. "
                "Use `with sess.as_default():`, `with tf.Session() as sess:`, an "
                "InteractiveSession, or pass session=sess."
            )
    if session.graph is not graph:
        raise ValueError(
            f"Cannot {what} using the given session: its graph is not the graph of this "
            "tensor/op. The session's graph must be the one the tensor was built in."
        )
    return session


# -- fetch structures --------------------------------------------------------------------------
def _flatten_fetches(graph: Graph, fetches: Any, flat: list[Any]) -> Any:
    """Appends the graph elements of a nested fetch structure to `flat`; returns a rebuild spec."""
    if fetches is None:
        raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
    if isinstance(fetches, (Tensor, Operation)):
        if fetches.graph is not graph:
            raise ValueError(
                f"Fetch argument {fetches!r} is not an element of this Session's graph "
                "(it was built in another tf.Graph)."
            )
        flat.append(fetches)
        return len(flat) - 1
    if isinstance(fetches, SparseTensor):  # fetched as a SparseTensorValue of its 3 tensors
        return (
            "namedtuple",
            SparseTensorValue,
            [_flatten_fetches(graph, t, flat) for t in fetches._components()],
        )
    if hasattr(fetches, "_fetch_components"):  # tf.IndexedSlices: an IndexedSlicesValue
        return (
            "namedtuple",
            fetches._fetch_value,
            [_flatten_fetches(graph, t, flat) for t in fetches._fetch_components()],
        )
    if isinstance(fetches, str) or hasattr(fetches, "_as_graph_element"):
        try:
            el = graph.as_graph_element(fetches)
        except (KeyError, ValueError) as e:
            raise ValueError(
                f"Fetch argument {fetches!r} cannot be interpreted as a Tensor. ({e})"
            ) from None
        flat.append(el)
        return len(flat) - 1
    if isinstance(fetches, Mapping):
        return (type(fetches), [(k, _flatten_fetches(graph, v, flat)) for k, v in fetches.items()])
    if isinstance(fetches, tuple) and hasattr(fetches, "_fields"):  # namedtuple
        return ("namedtuple", type(fetches), [_flatten_fetches(graph, v, flat) for v in fetches])
    if isinstance(fetches, (list, tuple)):
        return (type(fetches), [_flatten_fetches(graph, v, flat) for v in fetches])
    raise TypeError(
        f"Fetch argument {fetches!r} has invalid type {type(fetches)}, must be a string or "
        "Tensor. (Can not convert a " + type(fetches).__name__ + " into a Tensor or Operation.)"
    )


def _rebuild(spec: Any, values: list[Any]) -> Any:
    if isinstance(spec, int):
        return values[spec]
    if spec[0] == "namedtuple":
        return spec[1](*[_rebuild(s, values) for s in spec[2]])
    kind, items = spec
    if issubclass(kind, Mapping):
        out = {k: _rebuild(s, values) for k, s in items}
        try:
            return kind(out)
        except TypeError:
            return out
    seq = [_rebuild(s, values) for s in items]
    return seq if kind is list else kind(seq)


def _as_scalar(v: Any) -> Any:
    # TF returns NumPy scalars (np.float32(7.0)), not 0-d arrays, for rank-0 fetches.
    if v.__class__ is np.ndarray and v.ndim == 0:
        return v[()]
    return v


_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def _fill_run_metadata(
    run_metadata: Any, records: list[tuple[Any, ...]], graph: Graph | None, partition: bool
) -> None:
    from flowzero.framework.errors import OpError
    from flowzero.interop.convert import dtype_enum

    dev = run_metadata.step_stats.dev_stats.add(device=_DEVICE)
    tid = threading.get_ident() & 0xFFFFFFFF
    epoch = time.time_ns() - time.perf_counter_ns()  # the records' clock -> ns since the epoch
    for name, label, t0, t1, outs in records:
        ns = dev.node_stats.add(
            node_name=name,
            all_start_micros=(t0 + epoch) // 1000,
            op_start_rel_micros=0,
            op_end_rel_micros=(t1 - t0) // 1000,
            all_end_rel_micros=(t1 - t0) // 1000,
            all_start_nanos=t0 + epoch,
            op_end_rel_nanos=t1 - t0,
            all_end_rel_nanos=t1 - t0,
            timeline_label=f"{name} = {label}()",
            thread_id=tid,
        )
        for slot, (dt, shape) in enumerate(outs):
            out = ns.output.add(slot=slot)
            try:
                out.tensor_description.dtype = dtype_enum(dt)
            except (OpError, TypeError, ValueError):
                pass  # no TF DataType for it: the shape alone
            for d in shape:
                out.tensor_description.shape.dim.add(size=int(d))
    if partition and graph is not None:
        run_metadata.partition_graphs.add().CopyFrom(graph.as_graph_def())


_LEAK_WARN_AFTER = 100


def _timeout_ms(proto: Any, field: str) -> int:
    """A timeout in ms from a ConfigProto/RunOptions (0 or absent: none); negative is an error."""
    ms = getattr(proto, field, 0) if proto is not None else 0
    if isinstance(ms, bool) or not isinstance(ms, int):
        raise TypeError(f"{type(proto).__name__}.{field} must be an int; got {ms!r}.")
    if ms < 0:
        raise ValueError(f"{type(proto).__name__}.{field} must be >= 0; got {ms}.")
    return ms


class BaseSession:
    """Runs (parts of) one Graph. Holds the variable values and RNG streams of this session."""

    _interactive = False

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None) -> None:
        allocator.configure()  # once per process: big step buffers reused without page faults
        self._graph = graph if graph is not None else get_default_graph()
        self._closed = False
        self._threads = ThreadPolicy(config)
        # ConfigProto.operation_timeout_in_ms: the deadline of every blocking op of a run.
        self._timeout_ms = _timeout_ms(config, "operation_timeout_in_ms")
        self._ctx = RunContext(self._threads)
        self._plans: dict[tuple[Any, ...], tuple[Plan, Any, list[Any]]] = {}
        self.plans_built = 0
        self._last_version = self._graph.version
        self._growth_streak = 0
        self._leak_warned = False
        self._default_cm: Any = None
        self._graph_cm: Any = None

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def graph_def(self) -> Any:
        """The session's graph as a TensorFlow GraphDef protobuf (`graph.as_graph_def()`)."""
        return self._graph.as_graph_def()

    @property
    def sess_str(self) -> str:
        return ""

    # -- running -------------------------------------------------------------------------------
    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Runs the ops and evaluates the tensors in `fetches`, feeding `feed_dict`.

        Args:
            fetches: a Tensor, Operation, tensor/op name, or a list/tuple/dict/namedtuple nest of
                them. Operations fetch as None.
            feed_dict: maps Tensors (placeholders, or any tensor to override) or their names to
                values (Python scalars, lists, ndarrays) of a compatible dtype and shape.

        Returns:
            The fetched values in the structure of `fetches` (NumPy arrays; scalars for rank 0).

        Raises:
            RuntimeError: the session is closed.
            ValueError/TypeError: a fetch or feed is not valid for this graph.
            tf.errors.OpError subclasses: an op failed (named, with where it was created).
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        self._check_growth()
        if (options is not None or self._timeout_ms) and DEADLINE.at is None:
            ms = _timeout_ms(options, "timeout_in_ms") or self._timeout_ms
            if ms:
                DEADLINE.at = time.monotonic() + ms / 1000.0
                try:
                    return self.run(fetches, feed_dict, options, run_metadata)
                finally:
                    DEADLINE.at = None
        if run_metadata is not None and getattr(options, "trace_level", 0) > 0:
            return self._run_traced(fetches, feed_dict, options, run_metadata)
        # Fast path: a single Tensor/Operation fetch and no feeds (the tight W1 case).
        fetch_key: Any = fetches if fetches.__class__ in (Tensor, Operation) else None
        if fetch_key is not None and not feed_dict:
            entry = self._plans.get((fetch_key,))
            if entry is not None:
                return _as_scalar(entry[0].run([])[0])
        feed_tensors, feed_values = self._normalize_feeds(feed_dict)
        if fetch_key is not None:
            key: tuple[Any, ...] = (fetch_key, *feed_tensors) if feed_tensors else (fetch_key,)
            entry = self._plans.get(key)
            if entry is None:
                entry = self._build(key, [fetch_key], 0, feed_tensors)
            return _as_scalar(entry[0].run(feed_values)[0])
        plan, spec = self._plan_for(fetches, feed_tensors)
        return _rebuild(spec, [_as_scalar(v) for v in plan.run(feed_values)])

    def _plan_for(self, fetches: Any, feed_tensors: list[Tensor]) -> tuple[Plan, Any]:
        """The cached plan of a fetch structure and fed tensors, and the structure's spec."""
        flat: list[Any] = []
        spec = _flatten_fetches(self._graph, fetches, flat)
        key = (tuple(flat), tuple(feed_tensors))
        entry = self._plans.get(key)
        if entry is None:
            entry = self._build(key, flat, spec, feed_tensors)
        return entry[0], spec

    def _run_traced(self, fetches: Any, feed_dict: Any, options: Any, run_metadata: Any) -> Any:
        if not hasattr(run_metadata, "step_stats"):  # before anything runs (a train step)
            raise TypeError(
                f"run_metadata must be a tf.RunMetadata(); got {type(run_metadata).__name__}."
            )
        feed_tensors, feed_values = self._normalize_feeds(feed_dict)
        plan, spec = self._plan_for(fetches, feed_tensors)
        outs, records = plan.run_traced(feed_values)
        _fill_run_metadata(
            run_metadata, records, self._graph, bool(getattr(options, "output_partition_graphs", 0))
        )
        return _rebuild(spec, [_as_scalar(v) for v in outs])

    def _build(self, key: Any, targets: list[Any], spec: Any, feeds: list[Tensor]) -> Any:
        for t in targets:
            if t.graph is not self._graph:
                raise ValueError(f"Fetch argument {t!r} is not an element of this Session's graph.")
        plan = Plan(targets, feeds, self._ctx)
        self.plans_built += 1
        entry = (plan, spec, targets)
        self._plans[key] = entry
        return entry

    def _normalize_feeds(self, feed_dict: Any) -> tuple[list[Tensor], list[Any]]:
        if not feed_dict:
            return [], []
        if not isinstance(feed_dict, Mapping):
            raise TypeError(f"feed_dict must be a dict; got {type(feed_dict).__name__}.")
        tensors: list[Tensor] = []
        values: list[Any] = []
        for k, v in _flatten_feed_items(feed_dict):
            if isinstance(k, SparseTensor):
                for t, part in zip(k._components(), _sparse_feed_parts(k, v)):
                    tensors.append(self._feed_key(t))
                    values.append(_check_feed(t, part))
                continue
            t = k if k.__class__ is Tensor else self._feed_key(k)
            if isinstance(v, Tensor):
                raise TypeError(
                    f"The value of a feed cannot be a tf.Tensor object (feeding {t.name}). "
                    "Acceptable feed values include Python scalars, strings, lists, numpy "
                    "ndarrays, or TensorHandles. Run the tensor first, then feed its value."
                )
            tensors.append(t)
            values.append(_check_feed(t, v))
        return tensors, values

    def _feed_key(self, k: Any) -> Tensor:
        if isinstance(k, str):
            try:
                t = self._graph.as_graph_element(k, allow_operation=False)
            except (KeyError, ValueError) as e:
                raise TypeError(f"Cannot interpret feed_dict key {k!r} as a Tensor: {e}") from None
            return t
        if hasattr(k, "_as_tensor"):
            k = k._as_tensor(None)
        if not isinstance(k, Tensor):
            raise TypeError(
                f"Cannot interpret feed_dict key as Tensor: can not convert a "
                f"{type(k).__name__} into a Tensor."
            )
        if k.graph is not self._graph:
            raise ValueError(f"Cannot feed {k!r}: it is not an element of this Session's graph.")
        return k

    def _check_growth(self) -> None:
        # NOTE: adding ops between runs, run after run, is the classic TF1 leak (building
        # tf.assign/tf.train ops inside the training loop): the graph and plan cache grow
        # without bound. Warn once, with the usual fix.
        v = self._graph.version
        if v != self._last_version:
            self._last_version = v
            self._growth_streak += 1
            if self._growth_streak >= _LEAK_WARN_AFTER and not self._leak_warned:
                self._leak_warned = True
                warnings.warn(
                    f"The graph grew between each of the last {self._growth_streak} calls to "
                    "Session.run: ops are being created inside a loop, which leaks memory and "
                    "slows every step. Build the ops once before the loop (use placeholders "
                    "for changing values), or call graph.finalize() to catch it.",
                    RuntimeWarning,
                    stacklevel=3,
                )
        else:
            self._growth_streak = 0

    # -- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Frees the session's variable values; later `run` calls raise RuntimeError."""
        self._closed = True
        self._plans.clear()
        self._ctx.close()  # wakes runs blocked on a queue (another thread's) with an error
        self._ctx = RunContext(self._threads)
        if self in _session_stack.stack:
            _session_stack.stack.remove(self)

    def __del__(self) -> None:
        self._closed = True

    @contextlib.contextmanager
    def as_default(self) -> Iterator[BaseSession]:
        _session_stack.stack.append(self)
        try:
            yield self
        finally:
            if _session_stack.stack and _session_stack.stack[-1] is self:
                _session_stack.stack.pop()
            elif self in _session_stack.stack:
                _session_stack.stack.remove(self)

    def __enter__(self) -> BaseSession:
        self._graph_cm = self._graph.as_default()
        self._graph_cm.__enter__()
        self._default_cm = self.as_default()
        self._default_cm.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._default_cm.__exit__(*exc)
        self._graph_cm.__exit__(*exc)
        self.close()

    def list_devices(self) -> list[str]:
        return ["/job:localhost/replica:0/task:0/device:CPU:0"]


def _flatten_feed_items(feed_dict: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """(key, value) pairs with tuple keys (an LSTMStateTuple, a tuple of placeholders) expanded
    leaf by leaf against their values, as TF's `nest.flatten_dict_items`."""
    items: list[tuple[Any, Any]] = []
    for k, v in feed_dict.items():
        if not isinstance(k, tuple):
            items.append((k, v))
            continue
        flat_k, flat_v = nest.flatten(k), nest.flatten(v)
        if len(flat_k) != len(flat_v):
            raise ValueError(
                f"Could not flatten dictionary. Key had {len(flat_k)} elements, but value had "
                f"{len(flat_v)} elements. Key: {nest.structure_string(k)}, value: "
                f"{nest.structure_string(v)}. Feed a tuple key with a value of the same "
                "structure (e.g. the state returned by an earlier Session.run)."
            )
        items.extend(zip(flat_k, flat_v))
    return items


class Session(BaseSession):
    """`tf.Session(target='', graph=None, config=None)`."""


class InteractiveSession(BaseSession):
    """A Session that installs itself as the default on construction (for shells/notebooks)."""

    _interactive = True

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None) -> None:
        super().__init__(target, graph, config)
        _session_stack.stack.append(self)
        # Like TF, the session's graph becomes the default graph while it is open.
        if graph is not None:
            _graph_stack.stack.append(graph)
            self._pushed_graph = True
        else:
            self._pushed_graph = False

    def close(self) -> None:
        if getattr(self, "_pushed_graph", False) and self._graph in _graph_stack.stack:
            _graph_stack.stack.remove(self._graph)
            self._pushed_graph = False
        super().close()


# -- feed checking -----------------------------------------------------------------------------
def _sparse_feed_parts(k: SparseTensor, v: Any) -> tuple[Any, Any, Any]:
    """The (indices, values, dense_shape) fed for a SparseTensor key."""
    if isinstance(v, SparseTensor) or isinstance(v, Tensor):
        raise TypeError(
            f"The value of a feed cannot be a tf.SparseTensor or tf.Tensor (feeding {k}). Feed "
            "a tf.SparseTensorValue or an (indices, values, dense_shape) tuple of arrays."
        )
    if not isinstance(v, (SparseTensorValue, tuple, list)) or len(v) != 3:
        raise TypeError(
            f"A SparseTensor feed must be a tf.SparseTensorValue or an (indices, values, "
            f"dense_shape) tuple; got {type(v).__name__} for {k}."
        )
    indices = v[0]
    if np.size(indices) == 0 and np.ndim(indices) != 2:  # [] for "no entries": [0, rank]
        indices = np.zeros((0, np.size(v[2])), np.int64)
    return (indices, v[1], v[2])


def _check_feed(t: Tensor, v: Any) -> np.ndarray:
    """Converts a fed value to the tensor's dtype and checks it against its static shape."""
    want = t.dtype.np
    if v.__class__ is np.ndarray and v.dtype == want:
        arr = v
    else:
        try:
            src = np.asarray(v)
        except ValueError as e:
            raise ValueError(
                f"Cannot feed a ragged or malformed value to '{t.name}': {e}"
            ) from None
        if (t.dtype.is_integer or t.dtype.is_bool) and src.dtype.kind == "f" and src.size:
            if not np.all(np.isfinite(src) & (src == np.round(src))):
                raise TypeError(
                    f"Cannot feed value of dtype {src.dtype} to Tensor '{t.name}' of dtype "
                    f"{t.dtype.name}: non-integral values would be truncated. Cast it first."
                )
        if want.kind == "O":
            arr = src.astype(object)
        else:
            try:
                arr = src.astype(want, copy=False)
            except (ValueError, TypeError) as e:
                raise TypeError(
                    f"Cannot feed value of type {type(v).__name__} to Tensor '{t.name}' of "
                    f"dtype {t.dtype.name}: {e}"
                ) from None
    dims = t._shape.known
    if dims is not None:
        shape = arr.shape
        if len(shape) != len(dims) or any(d is not None and d != s for d, s in zip(dims, shape)):
            raise ValueError(
                f"Cannot feed value of shape {shape} for Tensor '{t.name}', which has shape "
                f"{t._shape}."
            )
    return arr


register_runtime(_session_for, _reset_default_session_stack)
