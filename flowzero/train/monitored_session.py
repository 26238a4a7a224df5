"""MonitoredSession: a Session that initializes or restores itself, runs hooks, and ends cleanly.

    with tf.train.MonitoredTrainingSession(checkpoint_dir="ckpt", hooks=hooks) as sess:
        while not sess.should_stop():
            sess.run(train_op)

Creating one: every hook's `begin()`, then the Scaffold is finalized (default init op, ready
op, local init op, summary op and Saver; the graph is finalized), then a Session is created and
restored from the newest checkpoint in `checkpoint_dir`, or initialized; queue runners start
under a Coordinator; then every hook's `after_create_session()`. Each `run` goes through the
hooks (`before_run` fetches and feeds are merged into the one Session.run). An exhausted input
(OutOfRangeError) ending the `with` block is the normal end: hooks' `end()` run (a final
checkpoint) and the error is swallowed.
"""

from __future__ import annotations

import os
from typing import Any

from flowzero.framework.graph import Graph, GraphKeys, get_default_graph
from flowzero.ops import control_ops
from flowzero.platform import tf_logging as logging
from flowzero.runtime.session import Session
from flowzero.train import basic_session_run_hooks as hooks_lib
from flowzero.train.coordinator import Coordinator
from flowzero.train.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunValues

USE_DEFAULT = object()


# -- Scaffold ----------------------------------------------------------------------------------
class Scaffold:
    """The ops and Saver a MonitoredSession needs; unset ones get defaults in `finalize()`.

    Args:
        init_op: initializes the variables (default: the INIT_OP collection's, else
            tf.global_variables_initializer()), run only when no checkpoint is restored.
        init_feed_dict: feeds for init_op.
        init_fn: `init_fn(scaffold, session)`, called after init_op (e.g. to load weights).
        ready_op: a string tensor naming uninitialized variables (empty = ready).
        ready_for_local_init_op: like ready_op, checked before local_init_op runs.
        local_init_op: run on every session creation, restored or not (default: local
            variables' initializers).
        summary_op: what SummarySaverHook runs (default: tf.summary.merge_all()).
        saver: what restores and saves checkpoints (default: the SAVERS collection's, else a
            new tf.train.Saver() of all global variables).
    """

    def __init__(
        self,
        init_op: Any = None,
        init_feed_dict: Any = None,
        init_fn: Any = None,
        ready_op: Any = None,
        ready_for_local_init_op: Any = None,
        local_init_op: Any = None,
        summary_op: Any = None,
        saver: Any = None,
        copy_from_scaffold: Any = None,
    ) -> None:
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            c = copy_from_scaffold
            init_op = init_op or c.init_op
            init_feed_dict = init_feed_dict or c._init_feed_dict
            init_fn = init_fn or c._user_init_fn
            ready_op = ready_op or c.ready_op
            ready_for_local_init_op = ready_for_local_init_op or c.ready_for_local_init_op
            local_init_op = local_init_op or c.local_init_op
            summary_op = summary_op or c.summary_op
            saver = saver or c.saver
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn is not None else None
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._summary_op = summary_op
        self._saver = saver

    def finalize(self) -> Scaffold:
        """Creates the defaults for what was not given, then finalizes the default graph."""
        from flowzero import variables

        g = get_default_graph()
        if self._init_op is None:
            self._init_op = Scaffold.get_or_default(
                "init_op", GraphKeys.INIT_OP, variables.global_variables_initializer
            )
        if self._ready_op is None:
            self._ready_op = Scaffold.get_or_default(
                "ready_op",
                "ready_op",
                lambda: variables.report_uninitialized_variables(
                    variables.global_variables() + variables.local_variables()
                ),
            )
        if self._ready_for_local_init_op is None:
            self._ready_for_local_init_op = Scaffold.get_or_default(
                "ready_for_local_init_op",
                "ready_for_local_init_op",
                lambda: variables.report_uninitialized_variables(variables.global_variables()),
            )
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default(
                "local_init_op", GraphKeys.LOCAL_INIT_OP, Scaffold.default_local_init_op
            )
        if self._summary_op is None:
            self._summary_op = Scaffold.get_or_default(
                "summary_op", "summary_op", _merge_all_or_none
            )
        if self._saver is None:
            self._saver = _get_saver_or_default()
        g.finalize()
        return self

    @property
    def init_fn(self) -> Any:
        return self._init_fn

    @property
    def init_op(self) -> Any:
        return self._init_op

    @property
    def ready_op(self) -> Any:
        return self._ready_op

    @property
    def ready_for_local_init_op(self) -> Any:
        return self._ready_for_local_init_op

    @property
    def local_init_op(self) -> Any:
        return self._local_init_op

    @property
    def summary_op(self) -> Any:
        return self._summary_op

    @property
    def saver(self) -> Any:
        return self._saver

    @property
    def init_feed_dict(self) -> Any:
        return self._init_feed_dict

    @staticmethod
    def get_or_default(arg_name: str, collection_key: str, default_constructor: Any) -> Any:
        """The one item of collection `collection_key`, else `default_constructor()` (added
        to the collection)."""
        elements = get_default_graph().get_collection(collection_key)
        if elements:
            if len(elements) > 1:
                raise RuntimeError(
                    f'More than one item in the collection "{collection_key}". '
                    f"Please indicate which one to use by passing it to the "
                    f"tf.Scaffold constructor as:  tf.Scaffold({arg_name}="
                    "item to use)"
                )
            return elements[0]
        op = default_constructor()
        if op is not None:
            get_default_graph().add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op() -> Any:
        """Initializes the local variables (metrics' counters, input epochs)."""
        from flowzero import variables

        return control_ops.group(
            variables.local_variables_initializer(), name="default_local_init_op"
        )


def _merge_all_or_none() -> Any:
    if not get_default_graph().get_collection(GraphKeys.SUMMARIES):
        return None
    from flowzero.summary.summary_ops import merge_all

    return merge_all()


def _get_saver_or_default() -> Any:
    g = get_default_graph()
    savers = g.get_collection(GraphKeys.SAVERS)
    if savers:
        if len(savers) > 1:
            raise RuntimeError(
                f"More than one item in collection {GraphKeys.SAVERS}. Please "
                "indicate which one to use by passing it to the constructor."
            )
        return savers[0]
    from flowzero.train.saver import Saver

    # NOTE: not added to the SAVERS collection: a graph file cannot store a Saver object.
    return Saver(allow_empty=True)


# -- creating sessions -------------------------------------------------------------------------
def _not_ready(sess: Session, op: Any) -> list[str]:
    if op is None:
        return []
    names = sess.run(op)
    return [n.decode() if isinstance(n, bytes) else str(n) for n in list(names)]


class SessionManager:
    """Creates a Session and brings it to a ready state: restored from a checkpoint when one
    exists, initialized otherwise (TF1's tf.train.SessionManager, single process)."""

    def __init__(
        self,
        local_init_op: Any = None,
        ready_op: Any = None,
        ready_for_local_init_op: Any = None,
        graph: Graph | None = None,
        recovery_wait_secs: float = 30,
        local_init_run_options: Any = None,
        local_init_feed_dict: Any = None,
    ) -> None:
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph if graph is not None else get_default_graph()
        self._local_init_feed_dict = local_init_feed_dict

    def _restore_checkpoint(
        self,
        sess: Session,
        saver: Any,
        checkpoint_dir: str | None,
        checkpoint_filename_with_path: str | None,
    ) -> bool:
        if checkpoint_filename_with_path:
            saver.restore(sess, checkpoint_filename_with_path)
            return True
        if not checkpoint_dir or saver is None:
            return False
        from flowzero.train.checkpoint_utils import latest_checkpoint

        ckpt = latest_checkpoint(os.fspath(checkpoint_dir))
        if ckpt is None:
            return False
        logging.info("Restoring parameters from %s", ckpt)
        saver.restore(sess, ckpt)
        return True

    def prepare_session(
        self,
        master: str = "",
        init_op: Any = None,
        saver: Any = None,
        checkpoint_dir: str | None = None,
        wait_for_checkpoint: bool = False,
        max_wait_secs: float = 7200,
        config: Any = None,
        init_feed_dict: Any = None,
        init_fn: Any = None,
        checkpoint_filename_with_path: str | None = None,
    ) -> Session:
        """A Session of the graph, restored or initialized, its local init op run, and ready.

        Raises:
            RuntimeError: after initialization, the ready op still names variables.
        """
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError(
                "Can not provide both checkpoint_dir and checkpoint_filename_with_path."
            )
        sess = Session(master, graph=self._graph, config=config)
        try:
            restored = self._restore_checkpoint(
                sess, saver, checkpoint_dir, checkpoint_filename_with_path
            )
            if not restored:
                if init_op is None and not init_fn and self._local_init_op is None:
                    raise RuntimeError(
                        "Model is not initialized and no init_op or init_fn or "
                        "local_init_op was given"
                    )
                if init_op is not None:
                    sess.run(init_op, feed_dict=init_feed_dict)
                if init_fn:
                    init_fn(sess)
            missing = _not_ready(sess, self._ready_for_local_init_op)
            if self._local_init_op is not None:
                if missing:
                    raise RuntimeError(
                        f"Init operations did not make the model ready for "
                        f"local_init. Variables not initialized: "
                        f"{', '.join(missing)}"
                    )
                sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict)
            missing = _not_ready(sess, self._ready_op)
            if missing:
                raise RuntimeError(
                    f"Init operations did not make model ready. Init op: "
                    f"{getattr(init_op, 'name', init_op)}, init fn: {init_fn}, "
                    f"local_init_op: "
                    f"{getattr(self._local_init_op, 'name', None)}, error: "
                    f"Variables not initialized: {', '.join(missing)}"
                )
        except BaseException:
            sess.close()
            raise
        return sess


class SessionCreator:
    """Makes the Session a MonitoredSession wraps."""

    def create_session(self) -> Session:
        raise NotImplementedError("create_session is not implemented for this SessionCreator.")


class ChiefSessionCreator(SessionCreator):
    """Finalizes the scaffold and restores from `checkpoint_dir` (or initializes)."""

    def __init__(
        self,
        scaffold: Scaffold | None = None,
        master: str = "",
        config: Any = None,
        checkpoint_dir: str | None = None,
        checkpoint_filename_with_path: str | None = None,
    ) -> None:
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path
        self._scaffold = scaffold or Scaffold()
        self._master = master
        self._config = config

    def create_session(self) -> Session:
        self._scaffold.finalize()
        s = self._scaffold
        return SessionManager(
            local_init_op=s.local_init_op,
            ready_op=s.ready_op,
            ready_for_local_init_op=s.ready_for_local_init_op,
            graph=get_default_graph(),
        ).prepare_session(
            self._master,
            saver=s.saver,
            checkpoint_dir=self._checkpoint_dir,
            config=self._config,
            init_op=s.init_op,
            init_feed_dict=s.init_feed_dict,
            init_fn=s.init_fn,
            checkpoint_filename_with_path=self._checkpoint_filename_with_path,
        )


class WorkerSessionCreator(ChiefSessionCreator):
    """A non-chief worker's session. NOTE: a flowzero worker holds its own variables (no
    parameter server shares them), so it initializes them itself; it never restores a
    checkpoint (the chief does). With flowzero.distributed, a BroadcastGlobalVariablesHook
    then makes every worker start from rank 0's values."""

    def __init__(
        self,
        scaffold: Scaffold | None = None,
        master: str = "",
        config: Any = None,
        max_wait_secs: float = 30 * 60,
    ) -> None:
        super().__init__(scaffold, master, config)


# -- the monitored session ---------------------------------------------------------------------
class StepContext:
    """What `run_step_fn`'s step_fn receives: the raw `session`, `run_with_hooks`, and
    `request_stop()`."""

    def __init__(self, session: Session, run_with_hooks_fn: Any) -> None:
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn
        self._stop_requested = False

    @property
    def session(self) -> Session:
        return self._session

    def run_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self) -> None:
        self._stop_requested = True


class _MonitoredSession:
    def __init__(
        self, session_creator: SessionCreator, hooks: Any, stop_grace_period_secs: float = 120
    ) -> None:
        self._graph_was_finalized = get_default_graph().finalized
        self._graph = get_default_graph()
        self._hooks = list(hooks or [])
        self._stop_grace_period_secs = stop_grace_period_secs
        self._should_stop = False
        self._threads: list[Any] = []
        for h in self._hooks:
            h.begin()
        self._sess: Session | None = session_creator.create_session()
        try:
            self._coord = Coordinator()
            if self._graph.get_collection(GraphKeys.QUEUE_RUNNERS):
                from flowzero.train.queue_runner import start_queue_runners

                self._threads = start_queue_runners(sess=self._sess, coord=self._coord)
            for h in self._hooks:
                h.after_create_session(self._sess, self._coord)
        except BaseException:
            self._close_internal(error=True)
            raise

    @property
    def graph(self) -> Graph:
        return self._graph

    def _tf_sess(self) -> Session:
        if self._sess is None:
            raise RuntimeError("Run called on a closed MonitoredSession.")
        return self._sess

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Session.run through the hooks; returns the values of `fetches` only."""
        sess = self._tf_sess()
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        run_context = SessionRunContext(SessionRunArgs(fetches, feed_dict, options), sess)
        hook_fetches: list[Any] = []
        feeds = dict(feed_dict) if feed_dict else {}
        user_keys = set(feeds)
        for h in self._hooks:
            args = h.before_run(run_context)
            if args is None:
                hook_fetches.append([])
                continue
            hook_fetches.append([] if args.fetches is None else args.fetches)
            if args.options is not None:  # TF merges the hooks' options: the deepest trace
                level = getattr(args.options, "trace_level", 0)
                if level > getattr(options, "trace_level", 0):
                    from flowzero.runtime.options import RunOptions

                    merged = RunOptions()
                    if options is not None:
                        merged.CopyFrom(options)
                    merged.trace_level = level
                    options = merged
            if args.feed_dict:
                for k, v in args.feed_dict.items():
                    if k in user_keys:
                        raise RuntimeError("Same tensor is fed by a SessionRunHook and user.")
                    if k in feeds:
                        raise RuntimeError("Same tensor is fed by two hooks.")
                    feeds[k] = v
        if run_metadata is None and getattr(options, "trace_level", 0):
            from flowzero.proto import config_pb2

            run_metadata = config_pb2.RunMetadata()
        try:
            results = sess.run(
                [fetches, hook_fetches],
                feed_dict=feeds or None,
                options=options,
                run_metadata=run_metadata,
            )
        except Exception as exc:
            # A queue-runner thread's error is the real cause of a failed dequeue.
            if not isinstance(exc, _clean_stop_types()):
                self._coord.raise_requested_exception()
            raise
        outputs, hook_results = results
        for h, r in zip(self._hooks, hook_results):
            h.after_run(run_context, SessionRunValues(r, options, run_metadata))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs

    def run_step_fn(self, step_fn: Any) -> Any:
        """Calls `step_fn(step_context)`; its `request_stop()` makes should_stop() True."""
        ctx = StepContext(self._tf_sess(), self.run)
        result = step_fn(ctx)
        if ctx._stop_requested:
            self._should_stop = True
        return result

    def should_stop(self) -> bool:
        return self._sess is None or self._should_stop or self._coord.should_stop()

    def close(self) -> None:
        self._close_internal()

    def _close_internal(self, error: bool = False) -> None:
        try:
            if not error and self._sess is not None:
                for h in self._hooks:
                    h.end(self._sess)
        finally:
            try:
                coord = getattr(self, "_coord", None)
                if coord is not None:
                    coord.request_stop()
                    try:
                        coord.join(
                            self._threads, self._stop_grace_period_secs, ignore_live_threads=True
                        )
                    except Exception as exc:  # noqa: BLE001 - the session still closes
                        logging.warning("A queue runner thread failed: %s", exc)
            finally:
                if self._sess is not None:
                    self._sess.close()
                self._sess = None
                if not self._graph_was_finalized:
                    self._graph._unsafe_unfinalize()

    def __enter__(self) -> _MonitoredSession:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        clean = exc_type is None or issubclass(exc_type, (*_clean_stop_types(), StopIteration))
        if self._sess is not None or not clean:
            self._close_internal(error=not clean)
        return clean and exc_type is not None


def _clean_stop_types() -> tuple[type[BaseException], ...]:
    from flowzero.framework import errors

    return (errors.OutOfRangeError,)


class MonitoredSession(_MonitoredSession):
    """A Session that runs hooks around every run (TF1's tf.train.MonitoredSession).

    Args:
        session_creator: a ChiefSessionCreator (default) or WorkerSessionCreator.
        hooks: SessionRunHooks.
        stop_grace_period_secs: how long close() waits for queue-runner threads.
    """

    def __init__(
        self,
        session_creator: SessionCreator | None = None,
        hooks: Any = None,
        stop_grace_period_secs: float = 120,
    ) -> None:
        super().__init__(session_creator or ChiefSessionCreator(), hooks, stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A MonitoredSession for one process (the chief), with `raw_session()` for runs that
    bypass the hooks."""

    def __init__(
        self,
        hooks: Any = None,
        scaffold: Scaffold | None = None,
        master: str = "",
        config: Any = None,
        checkpoint_dir: str | None = None,
        stop_grace_period_secs: float = 120,
        checkpoint_filename_with_path: str | None = None,
    ) -> None:
        creator = ChiefSessionCreator(
            scaffold=scaffold,
            master=master,
            config=config,
            checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
        )
        super().__init__(creator, hooks, stop_grace_period_secs)

    def raw_session(self) -> Session:
        return self._tf_sess()


def MonitoredTrainingSession(  # noqa: N802 - TF's name for a factory function
    master: str = "",
    is_chief: bool = True,
    checkpoint_dir: str | None = None,
    scaffold: Scaffold | None = None,
    hooks: Any = None,
    chief_only_hooks: Any = None,
    save_checkpoint_secs: Any = USE_DEFAULT,
    save_summaries_steps: Any = USE_DEFAULT,
    save_summaries_secs: Any = USE_DEFAULT,
    config: Any = None,
    stop_grace_period_secs: float = 120,
    log_step_count_steps: int | None = 100,
    max_wait_secs: float = 7200,
    save_checkpoint_steps: Any = USE_DEFAULT,
    summary_dir: str | None = None,
) -> MonitoredSession:
    """A MonitoredSession set up for training (TF1's tf.train.MonitoredTrainingSession).

    The chief restores from (or initializes, then checkpoints into) `checkpoint_dir`: every
    `save_checkpoint_secs` (default 600) or `save_checkpoint_steps`; it writes summaries every
    `save_summaries_steps` (default 100) or `save_summaries_secs` and the step rate every
    `log_step_count_steps` into `summary_dir` (default: `checkpoint_dir`). `chief_only_hooks`
    run only on the chief.

    Example:
        >>> w = tf.Variable(3.0, name="w")
        >>> loss = tf.square(w)
        >>> step = tf.train.get_or_create_global_step()
        >>> train_op = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
        >>> hooks = [tf.train.StopAtStepHook(last_step=10)]
        >>> with tf.train.MonitoredTrainingSession(checkpoint_dir="ckpt", hooks=hooks) as sess:
        ...     while not sess.should_stop():
        ...         _ = sess.run(train_op)
        >>> print(tf.train.latest_checkpoint("ckpt"))   # saved when the session closed
        ckpt/model.ckpt-10
    """
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None

    scaffold = scaffold or Scaffold()
    all_hooks = list(hooks or [])
    if not is_chief:
        creator: SessionCreator = WorkerSessionCreator(
            scaffold=scaffold, master=master, config=config
        )
        return MonitoredSession(creator, all_hooks, stop_grace_period_secs)
    all_hooks.extend(chief_only_hooks or [])
    creator = ChiefSessionCreator(
        scaffold=scaffold, checkpoint_dir=checkpoint_dir, master=master, config=config
    )
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(
                hooks_lib.StepCounterHook(
                    output_dir=summary_dir, every_n_steps=log_step_count_steps
                )
            )
        if (save_summaries_steps and save_summaries_steps > 0) or (
            save_summaries_secs and save_summaries_secs > 0
        ):
            all_hooks.append(
                hooks_lib.SummarySaverHook(
                    scaffold=scaffold,
                    save_steps=save_summaries_steps,
                    save_secs=save_summaries_secs,
                    output_dir=summary_dir,
                )
            )
    if checkpoint_dir and (
        (save_checkpoint_secs and save_checkpoint_secs > 0)
        or (save_checkpoint_steps and save_checkpoint_steps > 0)
    ):
        all_hooks.append(
            hooks_lib.CheckpointSaverHook(
                checkpoint_dir,
                save_steps=save_checkpoint_steps,
                save_secs=save_checkpoint_secs,
                scaffold=scaffold,
            )
        )
    return MonitoredSession(creator, all_hooks, stop_grace_period_secs)


__all__ = [
    "Scaffold",
    "SessionManager",
    "SessionCreator",
    "ChiefSessionCreator",
    "WorkerSessionCreator",
    "MonitoredSession",
    "SingularMonitoredSession",
    "MonitoredTrainingSession",
    "StepContext",
    "USE_DEFAULT",
]
