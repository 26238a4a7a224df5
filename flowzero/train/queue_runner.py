"""QueueRunner: Python threads that keep running a queue's enqueue ops (TF1's pre-tf.data
input pipelines), and tf.train.start_queue_runners.

Each enqueue op gets its own thread, looping `sess.run(enqueue_op)` until the coordinator
stops. When the ops' input runs out (OutOfRangeError, e.g. num_epochs reached) or the queue is
closed, the thread ends; the last one to end closes the queue, so the consumer's dequeues drain
it and then raise OutOfRangeError. Another error stops the coordinator (join() re-raises it).
When the coordinator stops, the queue is closed with cancel_pending_enqueues, so a thread
waiting on a full queue wakes up: no thread outlives the stop.
"""

from __future__ import annotations

import threading
from typing import Any

from flowzero.framework import errors
from flowzero.framework.graph import GraphKeys, _hook, get_default_graph
from flowzero.platform import tf_logging as logging


class QueueRunner:
    """Holds a queue's enqueue ops and starts the threads that run them.

    Args:
        queue: the queue (FIFOQueue, RandomShuffleQueue, ...).
        enqueue_ops: ops that add to it; one thread each (list an op twice for two threads).
        close_op: closes the queue when all threads are done (default queue.close()).
        cancel_op: closes it cancelling pending enqueues, when the coordinator stops
            (default queue.close(cancel_pending_enqueues=True)).
        queue_closed_exception_types: errors that mean "input ended / queue closed" and end a
            thread quietly (default OutOfRangeError, CancelledError).
    """

    def __init__(
        self,
        queue: Any = None,
        enqueue_ops: Any = None,
        close_op: Any = None,
        cancel_op: Any = None,
        queue_closed_exception_types: Any = None,
        queue_runner_def: Any = None,
        import_scope: Any = None,
    ) -> None:
        if queue_runner_def is not None:
            if queue is not None or enqueue_ops is not None:
                raise ValueError("queue_runner_def and queue / enqueue_ops are exclusive.")
            self._init_from_proto(queue_runner_def, import_scope)
            return
        if queue is None or not enqueue_ops:
            raise ValueError("QueueRunner needs a queue and a non-empty list of enqueue_ops.")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = (
            cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        )
        self._queue_closed_exception_types = tuple(
            queue_closed_exception_types or (errors.OutOfRangeError, errors.CancelledError)
        )
        self._lock = threading.Lock()
        self._runs_per_session: dict[Any, int] = {}
        self._exceptions_raised: list[BaseException] = []

    def _init_from_proto(self, qr_def: Any, import_scope: Any) -> None:
        from flowzero.ops.data_flow_ops import QueueBase

        g = get_default_graph()
        prefix = f"{import_scope.rstrip('/')}/" if import_scope else ""
        try:
            ops = [g.get_operation_by_name(prefix + n) for n in qr_def.enqueue_op_name]
            self._enqueue_ops = ops
            self._close_op = g.get_operation_by_name(prefix + qr_def.close_op_name)
            self._cancel_op = g.get_operation_by_name(prefix + qr_def.cancel_op_name)
        except (KeyError, ValueError) as e:
            raise ValueError(f"QueueRunnerDef of queue '{qr_def.queue_name}': {e}") from None
        if not self._enqueue_ops or "queue_key" not in self._enqueue_ops[0].opdef.attrs:
            raise ValueError(
                f"QueueRunnerDef of queue '{qr_def.queue_name}': needs enqueue ops of a queue."
            )
        self._queue = QueueBase._from_op(self._enqueue_ops[0])
        codes = list(qr_def.queue_closed_exception_types)
        self._queue_closed_exception_types = tuple(
            errors.exception_type_from_error_code(c) for c in codes
        ) or (errors.OutOfRangeError,)
        self._lock = threading.Lock()
        self._runs_per_session = {}
        self._exceptions_raised = []

    def to_proto(self, export_scope: Any = None) -> Any:
        """This runner as TF's QueueRunnerDef (the names of its queue and ops); None if a name
        is outside `export_scope`."""
        from flowzero.proto import queue_runner_pb2

        def strip(name: str) -> str | None:
            if not export_scope:
                return name
            scope = export_scope.rstrip("/") + "/"
            return name[len(scope) :] if name.startswith(scope) else None

        names = [strip(self._queue.name), strip(self._close_op.name), strip(self._cancel_op.name)]
        ops = [strip(op.name) for op in self._enqueue_ops]
        if any(n is None for n in names + ops):
            return None
        return queue_runner_pb2.QueueRunnerDef(
            queue_name=names[0],
            enqueue_op_name=ops,
            close_op_name=names[1],
            cancel_op_name=names[2],
            queue_closed_exception_types=[
                errors.error_code_from_exception_type(c) for c in self._queue_closed_exception_types
            ],
        )

    @staticmethod
    def from_proto(queue_runner_def: Any, import_scope: Any = None) -> QueueRunner:
        """A QueueRunner over the ops (of the default graph) that a QueueRunnerDef names."""
        return QueueRunner(queue_runner_def=queue_runner_def, import_scope=import_scope)

    @property
    def queue(self) -> Any:
        return self._queue

    @property
    def enqueue_ops(self) -> list[Any]:
        return list(self._enqueue_ops)

    @property
    def close_op(self) -> Any:
        return self._close_op

    @property
    def cancel_op(self) -> Any:
        return self._cancel_op

    @property
    def queue_closed_exception_types(self) -> tuple[type[BaseException], ...]:
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self) -> list[BaseException]:
        """Errors of threads that ran without a coordinator."""
        return list(self._exceptions_raised)

    @property
    def name(self) -> str:
        return self._queue.name

    def _run(self, sess: Any, enqueue_op: Any, coord: Any) -> None:
        decremented = False
        try:
            while not (coord is not None and coord.should_stop()):
                try:
                    sess.run(enqueue_op)
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        last = self._runs_per_session[sess] == 0
                    if last:
                        try:
                            sess.run(self._close_op)
                        except Exception as e:  # noqa: BLE001 - the queue may be gone
                            logging.debug("Ignored exception closing a queue: %s", e)
                    return
        except Exception as e:  # noqa: BLE001 - reported through the coordinator
            if getattr(sess, "_closed", False):
                return  # the session closed under the thread: a normal end
            if coord is not None:
                coord.request_stop(e)
            else:
                logging.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess: Any, coord: Any) -> None:
        coord.wait_for_stop()
        try:
            sess.run(self._cancel_op)
        except Exception as e:  # noqa: BLE001 - a closed session: nothing left to cancel
            logging.debug("Ignored exception cancelling a queue: %s", e)

    def create_threads(
        self, sess: Any, coord: Any = None, daemon: bool = False, start: bool = False
    ) -> list[threading.Thread]:
        """One thread per enqueue op (plus one that cancels the queue when `coord` stops);
        started if `start`. A session that already has running threads gets no new ones."""
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [
            threading.Thread(
                target=self._run,
                args=(sess, op, coord),
                daemon=daemon,
                name=f"QueueRunnerThread-{self.name}-{op.name}",
            )
            for op in self._enqueue_ops
        ]
        if coord is not None:
            threads.append(
                threading.Thread(
                    target=self._close_on_stop,
                    args=(sess, coord),
                    daemon=daemon,
                    name=f"QueueRunnerThread-{self.name}-close",
                )
            )
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if start:
                t.start()
        return threads


def add_queue_runner(qr: QueueRunner, collection: str = GraphKeys.QUEUE_RUNNERS) -> None:
    """Adds `qr` to the graph's QUEUE_RUNNERS collection (what start_queue_runners starts)."""
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(
    sess: Any = None,
    coord: Any = None,
    daemon: bool = True,
    start: bool = True,
    collection: str = GraphKeys.QUEUE_RUNNERS,
) -> list[threading.Thread]:
    """Starts the threads of every QueueRunner in the graph's collection; returns them.

    Example:
        >>> sess = tf.Session()
        >>> coord = tf.train.Coordinator()
        >>> threads = tf.train.start_queue_runners(sess=sess, coord=coord)
    """
    if sess is None:  # the default session, found as Tensor.eval finds it
        sess = _hook("session_for")(get_default_graph(), None, "start queue runners")
    if hasattr(sess, "_tf_sess"):  # a MonitoredSession: its queues run in its own session
        sess = sess._tf_sess()
    threads: list[threading.Thread] = []
    for qr in sess.graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]
