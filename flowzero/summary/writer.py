"""FileWriter: summaries, graphs and session logs -> TensorBoard event files.

Records are written by tensorboardX's `EventsWriter` (TFRecord framing, CRC32C, the
`brain.Event:2` header), synchronously, under a lock: `flush()` returns only when everything
added so far is on disk. A pending count forces a flush every `max_queue` events and a daemon
thread flushes every `flush_secs` seconds, as TF1's writer does. Graphs are converted to
a `GraphDef` by `flowzero.summary.graph_def.to_graph_def`.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
import warnings
import weakref
from typing import Any

import numpy as np

from flowzero.framework.graph import Graph, Tensor, get_default_graph
from flowzero.summary.graph_def import to_graph_def

_uid = itertools.count()
_OPEN: weakref.WeakSet[FileWriter] = weakref.WeakSet()
_atexit_registered = False


def _tbx() -> tuple[Any, Any, Any]:
    try:
        from tensorboardX.event_file_writer import EventsWriter
        from tensorboardX.proto import event_pb2
        from tensorboardX.record_writer import directory_check
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "tf.summary.FileWriter needs the `tensorboardX` and `tensorboard` packages: "
            "pip install 'flowzero[tensorboard]' (or: pip install tensorboard tensorboardX)."
        ) from exc
    return EventsWriter, event_pb2, directory_check


def _close_all_at_exit() -> None:
    for w in list(_OPEN):
        w.close()


def _flush_loop(ref: weakref.ref[FileWriter], stop: threading.Event, secs: float) -> None:
    # Holds only a weak reference, so an unreferenced writer can still be collected.
    while not stop.wait(secs):
        w = ref()
        if w is None:
            return
        w._flush_if_pending()
        del w


def _proto_name(obj: Any) -> str | None:
    d = getattr(obj, "DESCRIPTOR", None)
    return getattr(d, "name", None) if hasattr(obj, "SerializeToString") else None


def _step(global_step: Any) -> int:
    if global_step is None:
        return 0
    if isinstance(global_step, Tensor) or hasattr(global_step, "_as_graph_element"):
        raise TypeError(
            "global_step must be a number; got a symbolic tensor. Run it first: "
            "writer.add_summary(s, sess.run(global_step)) or tf.train.global_step."
        )
    return int(global_step)


class FileWriter:
    """Writes TensorBoard event files to `logdir` (TF1's `tf.summary.FileWriter`).

    On construction the writer creates `logdir` (if needed) and a new event file
    `events.out.tfevents.<time>.<host>.<pid>.<n><filename_suffix>` in it, and writes `graph`
    if one is given.

    Args:
        logdir: directory for the event file (TensorBoard's `--logdir`).
        graph: optional `tf.Graph` (e.g. `sess.graph`) shown in TensorBoard's Graphs tab.
        max_queue: after this many added events, the add call flushes to disk.
        flush_secs: a background thread flushes pending events this often (seconds).
        graph_def: optional GraphDef proto to write instead of `graph` (TF1's deprecated form).
        filename_suffix: appended to the event file's name.

    Example:
        >>> x = tf.placeholder(tf.float32, [None])
        >>> loss_summary = tf.summary.scalar("loss", tf.reduce_mean(tf.square(x)))
        >>> merged = tf.summary.merge_all()
        >>> sess = tf.Session()
        >>> with tf.summary.FileWriter("logs/run1", sess.graph) as writer:
        ...     for step in range(3):
        ...         writer.add_summary(sess.run(merged, {x: [1.0, step]}), step)
        >>> import glob
        >>> [event_file] = glob.glob("logs/run1/events.out.tfevents.*")
        >>> for e in tf.train.summary_iterator(event_file):
        ...     for v in e.summary.value:
        ...         print(e.step, v.tag, v.simple_value)
        0 loss 0.5
        1 loss 1.0
        2 loss 2.5
    """

    def __init__(
        self,
        logdir: Any,
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        graph_def: Any = None,
        filename_suffix: str | None = None,
    ) -> None:
        self._logdir = os.fspath(logdir)
        self._max_queue = max(1, int(max_queue))
        self._flush_secs = float(flush_secs)
        self._suffix = filename_suffix or ""
        self._lock = threading.RLock()
        self._closed = True
        self._open()
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    # -- lifecycle -----------------------------------------------------------------------------
    def _open(self) -> None:
        global _atexit_registered
        events_writer, _, directory_check = _tbx()
        directory_check(self._logdir)
        # pid + a process-wide counter keep two writers (or a reopen) in the same second from
        # sharing a file name, as tensorboard's own writer names its files.
        suffix = f".{os.getpid()}.{next(_uid)}{self._suffix}"
        self._writer = events_writer(os.path.join(self._logdir, "events"), suffix)
        self._file_name: str | None = getattr(self._writer, "_file_name", None)
        self._pending = 0
        self._closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_flush_loop,
            args=(weakref.ref(self), self._stop, self._flush_secs),
            name=f"FileWriter-flush({self._logdir})",
            daemon=True,
        )
        self._thread.start()
        _OPEN.add(self)
        if not _atexit_registered:
            atexit.register(_close_all_at_exit)
            _atexit_registered = True

    def get_logdir(self) -> str:
        """The directory this writer writes to."""
        return self._logdir

    @property
    def event_file(self) -> str | None:
        """Path of the current event file (a new one after each `reopen`)."""
        return self._file_name

    def flush(self) -> None:
        """Writes every event added so far to disk (a no-op on a closed writer)."""
        with self._lock:
            if not self._closed:
                self._writer.flush()
                self._pending = 0

    def _flush_if_pending(self) -> None:
        with self._lock:
            if self._pending and not self._closed:
                self.flush()

    def close(self) -> None:
        """Flushes and closes the event file; later adds warn and do nothing until `reopen`."""
        with self._lock:
            if self._closed:
                return
            self._writer.close()  # flushes first
            self._closed = True
            self._stop.set()
            thread = self._thread
        _OPEN.discard(self)
        if thread is not threading.current_thread():
            thread.join()

    def reopen(self) -> None:
        """After `close`, starts writing again, into a new event file in the same logdir."""
        with self._lock:
            if self._closed:
                self._open()

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- adding events -------------------------------------------------------------------------
    def add_event(self, event: Any) -> None:
        """Adds an `Event` proto (tensorboard's or tensorboardX's); wall_time defaults to now."""
        _, event_pb2, _ = _tbx()
        if _proto_name(event) != "Event":
            raise TypeError(
                f"add_event expects an Event protocol buffer; got {type(event).__name__}."
            )
        if not isinstance(event, event_pb2.Event):
            event = event_pb2.Event.FromString(event.SerializeToString())
        if not event.wall_time:
            event.wall_time = time.time()
        with self._lock:
            if self._closed:
                warnings.warn(
                    "Attempting to use a closed FileWriter. The operation will be a "
                    "noop unless the FileWriter is explicitly reopened.",
                    stacklevel=3,
                )
                return
            self._writer.write_event(event)
            self._pending += 1
            if self._pending >= self._max_queue:
                self.flush()

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Adds a summary at step `global_step`.

        Args:
            summary: what running a summary op returned (bytes of a serialized `Summary`), or a
                `Summary` protobuf.
            global_step: the training step to record it at (TensorBoard's x axis).

        Raises:
            TypeError: `summary` is a symbolic Tensor (run it first) or not a Summary.
            ValueError: the bytes are not a serialized Summary.
        """
        from google.protobuf.message import DecodeError

        _, event_pb2, _ = _tbx()
        data = _summary_bytes(summary)
        event = event_pb2.Event(step=_step(global_step))
        try:
            event.summary.ParseFromString(data)
        except DecodeError as exc:
            raise ValueError(
                f"add_summary: the bytes are not a serialized Summary proto ({exc})."
            ) from exc
        self.add_event(event)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Adds what a traced Session.run recorded (a tf.RunMetadata, filled by running with
        `options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)`), shown by TensorBoard's
        Graphs tab under `tag` (per-op compute time).

        Raises:
            TypeError: `run_metadata` is not a RunMetadata message.
            ValueError: `tag` was already used in this writer's run (TensorBoard shows one).
        """
        _, event_pb2, _ = _tbx()
        if _proto_name(run_metadata) != "RunMetadata":
            raise TypeError(
                f"add_run_metadata expects a tf.RunMetadata; got {type(run_metadata).__name__}."
            )
        tags = self.__dict__.setdefault("_run_metadata_tags", set())
        if tag in tags:
            raise ValueError(f"add_run_metadata: the tag {tag!r} is already in use.")
        tags.add(tag)
        event = event_pb2.Event(step=_step(global_step))
        event.tagged_run_metadata.tag = tag
        event.tagged_run_metadata.run_metadata = run_metadata.SerializeToString()
        self.add_event(event)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Adds a graph for TensorBoard's Graphs tab.

        Args:
            graph: a `tf.Graph` (e.g. `sess.graph`), converted with `to_graph_def`; or a
                GraphDef proto.
            global_step: optional step to record the graph at.
            graph_def: a GraphDef proto, when `graph` is None (TF1's deprecated argument).
        """
        _, event_pb2, _ = _tbx()
        if graph is not None and graph_def is not None:
            raise ValueError("Pass only one of graph and graph_def to add_graph.")
        src = graph if graph is not None else graph_def
        if src is None:
            raise ValueError("add_graph needs a graph (e.g. sess.graph) or a graph_def.")
        if isinstance(src, Graph):
            gd = to_graph_def(src)
        elif _proto_name(src) == "GraphDef":
            gd = src
        else:
            hint = " Pass sess.graph." if hasattr(src, "graph") else ""
            raise TypeError(
                f"add_graph expects a tf.Graph or a GraphDef; got {type(src).__name__}.{hint}"
            )
        self.add_event(event_pb2.Event(graph_def=gd.SerializeToString(), step=_step(global_step)))

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Adds a `SessionLog` proto (e.g. `SessionLog(status=SessionLog.START)` on restart)."""
        _, event_pb2, _ = _tbx()
        if _proto_name(session_log) != "SessionLog":
            raise TypeError(
                f"add_session_log expects a SessionLog protocol buffer; got "
                f"{type(session_log).__name__}."
            )
        event = event_pb2.Event(step=_step(global_step))
        event.session_log.ParseFromString(session_log.SerializeToString())
        self.add_event(event)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<tf.summary.FileWriter logdir={self._logdir!r} {state}>"


def _summary_bytes(summary: Any) -> bytes:
    if isinstance(summary, Tensor) or hasattr(summary, "_as_graph_element"):
        raise TypeError(
            "add_summary got a symbolic Tensor; run it first: "
            "writer.add_summary(sess.run(summary_op), step)."
        )
    if isinstance(summary, np.ndarray) and summary.ndim == 0:
        summary = summary.item()
    if isinstance(summary, (bytes, bytearray, memoryview)):
        return bytes(summary)
    if _proto_name(summary) == "Summary":
        return summary.SerializeToString()
    raise TypeError(
        f"add_summary expects the bytes of a serialized Summary (what running a "
        f"summary op returns) or a Summary proto; got {type(summary).__name__}."
    )


class FileWriterCache:
    """One shared FileWriter per logdir (TF1's `tf.summary.FileWriterCache`)."""

    _cache: dict[str, FileWriter] = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir: Any) -> FileWriter:
        """The cached FileWriter for `logdir`, created with the default graph on first use."""
        key = os.fspath(logdir)
        with FileWriterCache._lock:
            w = FileWriterCache._cache.get(key)
            if w is None:
                w = FileWriterCache._cache[key] = FileWriter(key, graph=get_default_graph())
            return w

    @staticmethod
    def clear() -> None:
        """Closes and forgets every cached writer."""
        with FileWriterCache._lock:
            for w in FileWriterCache._cache.values():
                w.close()
            FileWriterCache._cache.clear()
