"""The hooks TF1 ships with: stop at a step, checkpoints, summaries, logging, NaN checks.

Each one reads the global step through its own fetch (`before_run`), so it works with any train
op that increments it (`optimizer.minimize(loss, global_step=...)`). Summary files need the
optional `tensorboardX` package; without it, hooks that only write summaries do nothing and say
so once.
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import numpy as np

from flowzero.framework.graph import Operation, Tensor, get_default_graph
from flowzero.platform import tf_logging as logging
from flowzero.train import training_util
from flowzero.train.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)

_warned_no_writer = False


def summary_writer_for(output_dir: str | None) -> Any:
    """The shared FileWriter for `output_dir`, or None (no dir, or no tensorboardX)."""
    global _warned_no_writer
    if not output_dir:
        return None
    try:
        from flowzero.summary.writer import FileWriterCache

        return FileWriterCache.get(output_dir)
    except ImportError:
        if not _warned_no_writer:
            _warned_no_writer = True
            logging.warning(
                "Summaries are not written: tf.summary.FileWriter needs the "
                "`tensorboardX` package (pip install 'flowzero[tensorboard]')."
            )
        return None


def _summary_pb2() -> Any:
    from tensorboardX.proto import summary_pb2

    return summary_pb2


def _session_log(status: str) -> Any:
    from tensorboardX.proto import event_pb2

    return event_pb2.SessionLog(status=getattr(event_pb2.SessionLog, status))


def _require_global_step(hook: str) -> Any:
    step = training_util.get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook}.")
    return step


def _as_graph_element(x: Any) -> Any:
    if isinstance(x, (Tensor, Operation)) or hasattr(x, "_as_graph_element"):
        return x  # tensors, ops and Variables fetch as they are
    if isinstance(x, str) and ":" not in x:
        x += ":0"  # an op name names its first output, as TF's hooks read it
    return get_default_graph().as_graph_element(x)


# -- timers ------------------------------------------------------------------------------------
class SecondOrStepTimer:
    """Triggers every `every_secs` seconds or every `every_steps` steps (exactly one)."""

    def __init__(self, every_secs: float | None = None, every_steps: int | None = None) -> None:
        if (every_secs is None) == (every_steps is None):
            raise ValueError("Either every_secs or every_steps should be provided.")
        self._every_secs = every_secs
        self._every_steps = every_steps
        self.reset()

    def reset(self) -> None:
        self._last_triggered_step: int | None = None
        self._last_triggered_time: float | None = None

    def should_trigger_for_step(self, step: int) -> bool:
        if self._last_triggered_step is None:
            return True
        if self._last_triggered_step == step:
            return False
        if self._every_secs is not None and self._last_triggered_time is not None:
            if time.time() >= self._last_triggered_time + self._every_secs:
                return True
        if self._every_steps is not None and step >= self._last_triggered_step + self._every_steps:
            return True
        return False

    def update_last_triggered_step(self, step: int) -> tuple[float | None, int | None]:
        """Records a trigger at `step`; returns (seconds, steps) since the previous one."""
        now = time.time()
        if self._last_triggered_time is None:
            elapsed: tuple[float | None, int | None] = (None, None)
        else:
            elapsed = (now - self._last_triggered_time, step - int(self._last_triggered_step))
        self._last_triggered_time = now
        self._last_triggered_step = step
        return elapsed

    def last_triggered_step(self) -> int | None:
        return self._last_triggered_step


class NeverTriggerTimer(SecondOrStepTimer):
    def __init__(self) -> None:
        self.reset()

    def should_trigger_for_step(self, step: int) -> bool:
        return False


# -- stopping ----------------------------------------------------------------------------------
class StopAtStepHook(SessionRunHook):
    """Requests a stop when the global step reaches `last_step`, or after `num_steps` more
    steps than it had when the session started (exactly one of them)."""

    def __init__(self, num_steps: int | None = None, last_step: int | None = None) -> None:
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self) -> None:
        self._global_step_tensor = _require_global_step("StopAtStepHook")

    def after_create_session(self, session: Any, coord: Any) -> None:
        if self._last_step is None:
            self._last_step = int(session.run(self._global_step_tensor)) + int(self._num_steps)

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        # NOTE: the fetched step may be read before or after this run's increment; re-read it
        # before stopping so that exactly `last_step` steps run.
        if int(run_values.results) + 1 >= self._last_step:
            step = int(run_context.session.run(self._global_step_tensor))
            if step >= self._last_step:
                run_context.request_stop()


class NanLossDuringTrainingError(RuntimeError):
    def __str__(self) -> str:
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Checks `loss_tensor` after each run: on NaN, raises NanLossDuringTrainingError (or, with
    fail_on_nan_loss=False, logs and requests a stop)."""

    def __init__(self, loss_tensor: Any, fail_on_nan_loss: bool = True) -> None:
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if np.any(np.isnan(run_values.results)):
            msg = "Model diverged with loss = NaN."
            if self._fail_on_nan_loss:
                logging.error(msg)
                raise NanLossDuringTrainingError
            logging.warning(msg)
            run_context.request_stop()


# -- logging -----------------------------------------------------------------------------------
class LoggingTensorHook(SessionRunHook):
    """Logs the values of `tensors` (a dict tag -> tensor/name, or a list) at INFO level every
    `every_n_iter` runs or `every_n_secs` seconds, and/or once at the end (`at_end`)."""

    def __init__(
        self,
        tensors: Any,
        every_n_iter: int | None = None,
        every_n_secs: float | None = None,
        at_end: bool = False,
        formatter: Any = None,
    ) -> None:
        only_log_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_log_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError(
                "either at_end and/or exactly one of every_n_iter and "
                "every_n_secs must be provided."
            )
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if not isinstance(tensors, dict):
            self._tag_order = [t if isinstance(t, str) else t.name for t in tensors]
            tensors = dict(zip(self._tag_order, tensors))
        else:
            self._tag_order = sorted(tensors.keys())
        self._tensors = tensors
        self._formatter = formatter
        self._timer: SecondOrStepTimer = (
            NeverTriggerTimer()
            if only_log_at_end
            else SecondOrStepTimer(every_secs=every_n_secs, every_steps=every_n_iter)
        )
        self._log_at_end = at_end

    def begin(self) -> None:
        self._timer.reset()
        self._iter_count = 0
        self._current_tensors = {tag: _as_graph_element(t) for tag, t in self._tensors.items()}

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs | None:
        self._should_trigger = self._timer.should_trigger_for_step(self._iter_count)
        return SessionRunArgs(self._current_tensors) if self._should_trigger else None

    def _log_tensors(self, tensor_values: dict[str, Any]) -> None:
        elapsed_secs, _ = self._timer.update_last_triggered_step(self._iter_count)
        if self._formatter:
            logging.info(self._formatter(tensor_values))
        else:
            stats = [f"{tag} = {tensor_values[tag]}" for tag in self._tag_order]
            if elapsed_secs is not None:
                logging.info("%s (%.3f sec)", ", ".join(stats), elapsed_secs)
            else:
                logging.info("%s", ", ".join(stats))

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if self._should_trigger:
            self._log_tensors(run_values.results)
        self._iter_count += 1

    def end(self, session: Any) -> None:
        if self._log_at_end:
            self._log_tensors(session.run(self._current_tensors))


class StepCounterHook(SessionRunHook):
    """Logs (and writes as the summary 'global_step/sec') how many global steps run per
    second, every `every_n_steps` steps or `every_n_secs` seconds."""

    def __init__(
        self,
        every_n_steps: int | None = 100,
        every_n_secs: float | None = None,
        output_dir: str | None = None,
        summary_writer: Any = None,
    ) -> None:
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._last_global_step: int | None = None

    def begin(self) -> None:
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = summary_writer_for(self._output_dir)
        self._global_step_tensor = _require_global_step("StepCounterHook")
        self._summary_tag = training_util.get_global_step().op.name + "/sec"

    def after_create_session(self, session: Any, coord: Any) -> None:
        self._last_global_step = None

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        stale_global_step = int(run_values.results)
        if self._timer.should_trigger_for_step(stale_global_step + 1):
            global_step = int(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(global_step):
                elapsed_time, elapsed_steps = self._timer.update_last_triggered_step(global_step)
                if elapsed_time is not None and elapsed_steps and elapsed_time > 0:
                    rate = elapsed_steps / elapsed_time
                    logging.info("%s: %g", self._summary_tag, rate)
                    if self._summary_writer is not None:
                        pb = _summary_pb2()
                        summary = pb.Summary(
                            value=[pb.Summary.Value(tag=self._summary_tag, simple_value=rate)]
                        )
                        self._summary_writer.add_summary(summary, global_step)
        self._last_global_step = stale_global_step


# -- checkpoints and summaries -----------------------------------------------------------------
class CheckpointSaverListener:
    """Called around each save of a CheckpointSaverHook; after_save may return True to stop."""

    def begin(self) -> None:
        pass

    def before_save(self, session: Any, global_step_value: int) -> None:
        pass

    def after_save(self, session: Any, global_step_value: int) -> bool | None:
        return None

    def end(self, session: Any, global_step_value: int) -> None:
        pass


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint `<checkpoint_dir>/<checkpoint_basename>-<step>` when the session
    starts, every `save_secs` seconds or `save_steps` steps (exactly one), and at the end.

    The saver is `saver`, else the scaffold's, else the graph's SAVERS collection's, else a new
    `tf.train.Saver()` of all global variables.
    """

    def __init__(
        self,
        checkpoint_dir: str,
        save_secs: float | None = None,
        save_steps: int | None = None,
        saver: Any = None,
        checkpoint_basename: str = "model.ckpt",
        scaffold: Any = None,
        listeners: Any = None,
    ) -> None:
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._checkpoint_dir = os.fspath(checkpoint_dir)
        self._save_path = os.path.join(self._checkpoint_dir, checkpoint_basename)
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = list(listeners or [])

    def begin(self) -> None:
        self._summary_writer = summary_writer_for(self._checkpoint_dir)
        self._global_step_tensor = _require_global_step("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session: Any, coord: Any) -> None:
        global_step = int(session.run(self._global_step_tensor))
        # The state at `global_step`, so that a run that stops at once still has a checkpoint.
        self._save(session, global_step)
        self._timer.update_last_triggered_step(global_step)

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        stale_global_step = int(run_values.results)
        if self._timer.should_trigger_for_step(stale_global_step + 1):
            global_step = int(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(global_step):
                self._timer.update_last_triggered_step(global_step)
                if self._save(run_context.session, global_step):
                    run_context.request_stop()

    def end(self, session: Any) -> None:
        last_step = int(session.run(self._global_step_tensor))
        if last_step != self._timer.last_triggered_step():
            self._save(session, last_step)
        for listener in self._listeners:
            listener.end(session, last_step)

    def _save(self, session: Any, step: int) -> bool:
        logging.info("Saving checkpoints for %d into %s.", step, self._save_path)
        for listener in self._listeners:
            listener.before_save(session, step)
        with warnings.catch_warnings():
            # A graph that reads Python data (py_func, from_generator) has no meta graph file;
            # the checkpoint itself is complete, and that is what a restart needs.
            warnings.filterwarnings("ignore", message="Saver.save: the meta graph")
            warnings.filterwarnings("ignore", message="Graph serialization skips an item")
            self._get_saver().save(session, self._save_path, global_step=step)
        if self._summary_writer is not None:
            self._summary_writer.add_session_log(_session_log("CHECKPOINT"), step)
        should_stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                logging.info("A CheckpointSaverListener requested that training be stopped.")
                should_stop = True
        return should_stop

    def _get_saver(self) -> Any:
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        from flowzero.framework.graph import GraphKeys

        savers = get_default_graph().get_collection(GraphKeys.SAVERS)
        if len(savers) > 1:
            raise RuntimeError(
                f"More than one item in collection {GraphKeys.SAVERS}. Please "
                "indicate which one to use by passing it to the constructor."
            )
        if savers:
            self._saver = savers[0]
            return self._saver
        from flowzero.train.saver import Saver

        self._saver = Saver(allow_empty=True)
        return self._saver


class SummarySaverHook(SessionRunHook):
    """Runs the summary op (`summary_op`, or the scaffold's) every `save_steps` steps or
    `save_secs` seconds and writes it to `output_dir` (or `summary_writer`)."""

    def __init__(
        self,
        save_steps: int | None = None,
        save_secs: float | None = None,
        output_dir: str | None = None,
        summary_writer: Any = None,
        scaffold: Any = None,
        summary_op: Any = None,
    ) -> None:
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = summary_writer_for(self._output_dir)
        self._next_step: int | None = None
        self._global_step_tensor = _require_global_step("SummarySaverHook")

    def _get_summary_op(self) -> list[Any] | None:
        op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        if op is None:
            return None
        return list(op) if isinstance(op, (list, tuple)) else [op]

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        self._request_summary = self._next_step is None or self._timer.should_trigger_for_step(
            self._next_step
        )
        requests: dict[str, Any] = {"global_step": self._global_step_tensor}
        if self._request_summary and self._summary_writer is not None:
            op = self._get_summary_op()
            if op is not None:
                requests["summary"] = op
        return SessionRunArgs(requests)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if self._summary_writer is None:
            return
        # NOTE: TF estimates the step after this run as the fetched value + 1, the fetch being
        # read before the train op's increment. A flowzero fetch of a variable is its value at
        # the end of the run, so the step is read anew instead (a cached one-fetch run).
        global_step = int(run_context.session.run(self._global_step_tensor))
        if self._next_step is None:
            self._summary_writer.add_session_log(_session_log("START"), global_step)
        if self._request_summary:
            self._timer.update_last_triggered_step(global_step)
            for summary in run_values.results.get("summary", []):
                self._summary_writer.add_summary(summary, global_step)
        self._next_step = global_step + 1

    def end(self, session: Any = None) -> None:
        if self._summary_writer is not None:
            self._summary_writer.flush()


# -- misc --------------------------------------------------------------------------------------
class FinalOpsHook(SessionRunHook):
    """Runs `final_ops` once when the session ends; their values are `final_ops_values`."""

    def __init__(self, final_ops: Any, final_ops_feed_dict: Any = None) -> None:
        self._final_ops = final_ops
        self._final_ops_feed_dict = final_ops_feed_dict
        self._final_ops_values: Any = None

    @property
    def final_ops_values(self) -> Any:
        return self._final_ops_values

    def end(self, session: Any) -> None:
        if self._final_ops is not None:
            self._final_ops_values = session.run(
                self._final_ops, feed_dict=self._final_ops_feed_dict
            )


class FeedFnHook(SessionRunHook):
    """Feeds `feed_fn()` (a dict tensor -> value) into every run."""

    def __init__(self, feed_fn: Any) -> None:
        self.feed_fn = feed_fn

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


__all__ = [
    "SecondOrStepTimer",
    "StopAtStepHook",
    "NanLossDuringTrainingError",
    "NanTensorHook",
    "LoggingTensorHook",
    "StepCounterHook",
    "CheckpointSaverListener",
    "CheckpointSaverHook",
    "SummarySaverHook",
    "FinalOpsHook",
    "FeedFnHook",
    "summary_writer_for",
]
