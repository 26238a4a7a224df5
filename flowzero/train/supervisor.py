"""tf.train.Supervisor (TF 1.15), for one process: the chief that initializes or restores the
model, saves checkpoints and summaries from background threads, and stops cleanly.

    sv = tf.train.Supervisor(logdir="/tmp/run")
    with sv.managed_session() as sess:
        while not sv.should_stop():
            sess.run(train_op)

Built on SessionManager (restore from `logdir` or run init_op), Coordinator and LooperThread.
There is no cluster here: `is_chief=False` (a worker waiting for a chief) is refused.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from flowzero.framework.graph import GraphKeys, get_default_graph
from flowzero.train.coordinator import Coordinator, LooperThread
from flowzero.train.monitored_session import (
    Scaffold,
    SessionManager,
    _get_saver_or_default,
    _merge_all_or_none,
)


class Supervisor:
    """TF1's training supervisor (single process, chief only).

    Args:
        graph: the model's graph (default: the default graph); finalized by the constructor.
        ready_op, ready_for_local_init_op, init_op, local_init_op, summary_op, saver,
            global_step, summary_writer: as TF; Supervisor.USE_DEFAULT (the default) builds
            TF's default, None disables it.
        is_chief: must be True (no cluster in flowzero).
        init_feed_dict, init_fn: fed to / called after init_op, as TF.
        logdir: checkpoints (`<logdir>/model.ckpt-<step>`), summaries and the graph go here;
            a checkpoint found here is restored instead of running init_op.
        save_summaries_secs, save_model_secs: the background threads' periods (0 or None: no
            thread). A thread first runs one period after it starts. NOTE: as TF, stop()
            saves no final checkpoint; call sv.saver.save(sess, sv.save_path, ...) for one.
        recovery_wait_secs: accepted for TF compatibility.
        stop_grace_secs: how long stop() waits for the threads.
        checkpoint_basename: the checkpoint file prefix (default "model.ckpt").
        session_manager: a SessionManager to use instead of the default one.

    Raises:
        ValueError: is_chief=False.
    """

    USE_DEFAULT = 0

    def __init__(
        self,
        graph: Any = None,
        ready_op: Any = USE_DEFAULT,
        ready_for_local_init_op: Any = USE_DEFAULT,
        is_chief: bool = True,
        init_op: Any = USE_DEFAULT,
        init_feed_dict: Any = None,
        local_init_op: Any = USE_DEFAULT,
        logdir: str | None = None,
        summary_op: Any = USE_DEFAULT,
        saver: Any = USE_DEFAULT,
        global_step: Any = USE_DEFAULT,
        save_summaries_secs: float | None = 120,
        save_model_secs: float | None = 600,
        recovery_wait_secs: float = 30,
        stop_grace_secs: float = 120,
        checkpoint_basename: str = "model.ckpt",
        session_manager: Any = None,
        summary_writer: Any = USE_DEFAULT,
        init_fn: Any = None,
        local_init_run_options: Any = None,
    ) -> None:
        if not is_chief:
            raise ValueError(
                "Supervisor: flowzero runs one process, so it is always the chief; "
                "is_chief=False (waiting for another process to initialize) is not supported."
            )
        self._graph = graph if graph is not None else get_default_graph()
        d = self.USE_DEFAULT
        from flowzero import variables

        with self._graph.as_default():
            if ready_op is d:
                ready_op = variables.report_uninitialized_variables(
                    variables.global_variables() + variables.local_variables()
                )
            if ready_for_local_init_op is d:
                ready_for_local_init_op = None
            if init_op is d:
                ops = self._graph.get_collection(GraphKeys.INIT_OP)
                init_op = ops[0] if ops else variables.global_variables_initializer()
            if local_init_op is d:
                ops = self._graph.get_collection(GraphKeys.LOCAL_INIT_OP)
                local_init_op = ops[0] if ops else Scaffold.default_local_init_op()
            if summary_op is d:
                summary_op = _merge_all_or_none()
            if saver is d:
                saver = _get_saver_or_default()
            if global_step is d:
                from flowzero.train.training_util import get_global_step

                global_step = get_global_step(self._graph)
        self._ready_op, self._init_op, self._local_init_op = ready_op, init_op, local_init_op
        self._init_feed_dict, self._init_fn = init_feed_dict, init_fn
        self._summary_op, self._saver, self._global_step = summary_op, saver, global_step
        self._logdir = os.fspath(logdir) if logdir else None
        self._save_summaries_secs = save_summaries_secs
        self._save_model_secs = save_model_secs
        self._stop_grace_secs = stop_grace_secs
        self._save_path = os.path.join(self._logdir, checkpoint_basename) if self._logdir else None
        if summary_writer is d:
            summary_writer = None
            if self._logdir:
                from flowzero.summary import FileWriter

                summary_writer = FileWriter(self._logdir)
        self._summary_writer = summary_writer
        self._session_manager = session_manager or SessionManager(
            local_init_op=local_init_op,
            ready_op=ready_op,
            ready_for_local_init_op=ready_for_local_init_op,
            graph=self._graph,
        )
        self._coord = Coordinator()
        self._started_threads: list[Any] = []
        self._graph.finalize()

    # -- what TF exposes -------------------------------------------------------------------------
    is_chief = property(lambda self: True)
    coord = property(lambda self: self._coord)
    session_manager = property(lambda self: self._session_manager)
    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    ready_op = property(lambda self: self._ready_op)
    summary_op = property(lambda self: self._summary_op)
    summary_writer = property(lambda self: self._summary_writer)
    saver = property(lambda self: self._saver)
    global_step = property(lambda self: self._global_step)
    save_path = property(lambda self: self._save_path)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)
    save_model_secs = property(lambda self: self._save_model_secs)

    # -- sessions --------------------------------------------------------------------------------
    def prepare_or_wait_for_session(
        self,
        master: str = "",
        config: Any = None,
        wait_for_checkpoint: bool = False,
        max_wait_secs: float = 7200,
        start_standard_services: bool = True,
    ) -> Any:
        """A ready Session: restored from the latest checkpoint in logdir, else initialized;
        then (start_standard_services) the graph is written to logdir, the summary and
        checkpoint threads and the queue runners are started."""
        # As TF: a session made anew (basic_train_loop's retry) clears the previous stop.
        self._coord.clear_stop()
        sess = self._session_manager.prepare_session(
            master,
            init_op=self._init_op,
            saver=self._saver,
            checkpoint_dir=self._logdir,
            config=config,
            init_feed_dict=self._init_feed_dict,
            init_fn=self._init_fn,
        )
        if start_standard_services:
            self.start_standard_services(sess)
            self.start_queue_runners(sess)
        return sess

    def start_standard_services(self, sess: Any) -> list[Any]:
        """Writes the graph to the summary writer and starts the summary and checkpoint
        threads (those whose op, writer or saver and period are set); returns them."""
        if self._summary_writer is not None:
            self._summary_writer.add_graph(self._graph)
        threads: list[Any] = []
        if self._summary_op is not None and self._summary_writer and self._save_summaries_secs:
            threads.append(
                LooperThread(self._coord, self._save_summaries_secs, self._summarize, (sess,))
            )
        if self._saver is not None and self._save_path and self._save_model_secs:
            threads.append(
                LooperThread(self._coord, self._save_model_secs, self._checkpoint, (sess,))
            )
        for t in threads:
            t.start()
        self._started_threads.extend(threads)
        return threads

    def _step(self, sess: Any) -> int | None:
        return None if self._global_step is None else int(sess.run(self._global_step))

    def _summarize(self, sess: Any) -> None:
        summary = sess.run(self._summary_op)
        self.summary_computed(sess, summary)

    def _checkpoint(self, sess: Any) -> None:
        self._saver.save(sess, self._save_path, global_step=self._global_step)

    def summary_computed(self, sess: Any, summary: Any, global_step: Any = None) -> None:
        """Writes a summary computed by the caller (at global_step, default the current one).

        Raises:
            RuntimeError: there is no summary writer (no logdir).
        """
        if self._summary_writer is None:
            raise RuntimeError(
                "Writing a summary requires a summary writer: pass logdir to the Supervisor."
            )
        step = self._step(sess) if global_step is None else int(global_step)
        self._summary_writer.add_summary(summary, step)

    def start_queue_runners(self, sess: Any, queue_runners: Any = None) -> list[Any]:
        """Starts the graph's queue runners (or `queue_runners`) under the coordinator."""
        from flowzero.train.queue_runner import start_queue_runners

        if queue_runners is None:
            threads = start_queue_runners(sess, coord=self._coord)
        else:
            threads = []
            for qr in queue_runners:
                threads.extend(qr.create_threads(sess, coord=self._coord, daemon=True, start=True))
        self._started_threads.extend(threads)
        return threads

    def loop(
        self, timer_interval_secs: float, target: Any, args: Any = None, kwargs: Any = None
    ) -> LooperThread:
        """Starts a thread calling target(*args, **kwargs) every timer_interval_secs until the
        supervisor stops."""
        t = LooperThread(self._coord, timer_interval_secs, target, args, kwargs)
        t.start()
        self._started_threads.append(t)
        return t

    # -- stopping --------------------------------------------------------------------------------
    def should_stop(self) -> bool:
        return self._coord.should_stop()

    def request_stop(self, ex: Any = None) -> None:
        """Asks every thread to stop; `ex` (an exception) is re-raised by stop()."""
        self._coord.request_stop(ex)

    def stop(
        self,
        threads: Any = None,
        close_summary_writer: bool = True,
        ignore_live_threads: bool = False,
    ) -> None:
        """Requests a stop and joins the threads (the services' and `threads`), then closes
        the summary writer; re-raises an exception given to request_stop()."""
        self._coord.request_stop()
        try:
            self._coord.join(
                list(threads or []) + self._started_threads,
                stop_grace_period_secs=self._stop_grace_secs,
                ignore_live_threads=ignore_live_threads,
            )
        finally:
            self._started_threads = []
            if close_summary_writer and self._summary_writer is not None:
                self._summary_writer.close()

    def wait_for_stop(self) -> None:
        """Blocks until a stop is requested."""
        while not self._coord.wait_for_stop(1.0):
            pass

    @contextlib.contextmanager
    def managed_session(
        self,
        master: str = "",
        config: Any = None,
        start_standard_services: bool = True,
        close_summary_writer: bool = True,
    ) -> Iterator[Any]:
        """A context manager yielding a ready session (prepare_or_wait_for_session); on exit
        the supervisor stops and the session closes. An OutOfRangeError (the input ran out)
        ends the block quietly; any other exception is re-raised after stopping."""
        sess = self.prepare_or_wait_for_session(
            master=master, config=config, start_standard_services=start_standard_services
        )
        try:
            yield sess
        except Exception as e:  # noqa: BLE001 - handed to the coordinator, re-raised by stop
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                sess.close()


def basic_train_loop(
    supervisor: Supervisor,
    train_step_fn: Any,
    args: Any = None,
    kwargs: Any = None,
    master: str = "",
) -> None:
    """Calls `train_step_fn(sess, *args, **kwargs)` in a managed session of `supervisor` until
    it should stop; an AbortedError restarts the session and the loop (TF's basic_train_loop).
    """
    from flowzero.framework import errors

    args = list(args or [])
    kwargs = dict(kwargs or {})
    should_retry = True
    while should_retry:
        should_retry = False
        try:
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *args, **kwargs)
        except errors.AbortedError:
            should_retry = True


__all__ = ["Supervisor", "basic_train_loop"]
