"""More of TF1's session-run hooks: GlobalStepWaiterHook (a worker waits for the global step)
and ProfilerHook (a Chrome trace of a run every N steps or seconds)."""

from __future__ import annotations

import os
import time
from typing import Any

from flowzero.platform import tf_logging as logging
from flowzero.train.basic_session_run_hooks import SecondOrStepTimer, _require_global_step
from flowzero.train.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)


class GlobalStepWaiterHook(SessionRunHook):
    """Holds the first run back until the global step reaches `wait_until_step` (TF's
    GlobalStepWaiterHook: a non-chief worker waits for the chief's first steps). The step is
    polled every `poll_secs` seconds (TF polls every 0.5 s)."""

    def __init__(self, wait_until_step: int, poll_secs: float = 0.5) -> None:
        self._wait_until_step = int(wait_until_step)
        self._poll_secs = poll_secs

    def begin(self) -> None:
        self._worker_is_started = False
        self._global_step_tensor = _require_global_step("_GlobalStepWaiterHook")

    def before_run(self, run_context: SessionRunContext) -> None:
        if self._worker_is_started:
            return None
        if self._wait_until_step <= 0:
            self._worker_is_started = True
            return None
        logging.info("Waiting for global step %d before starting training.", self._wait_until_step)
        last_logged = 0
        while True:
            step = int(run_context.session.run(self._global_step_tensor))
            if step >= self._wait_until_step:
                self._worker_is_started = True
                return None
            if step - last_logged > 1000:
                logging.info(
                    "Waiting for global step %d before starting training. Current step is %d.",
                    self._wait_until_step,
                    step,
                )
                last_logged = step
            time.sleep(self._poll_secs)


class ProfilerHook(SessionRunHook):
    """Every `save_steps` steps or `save_secs` seconds, traces one run (each op's start and
    duration) and writes it as a Chrome trace, `output_dir/timeline-<step>.json` (TF's
    ProfilerHook; open it in chrome://tracing or Perfetto).

    As TF, it also adds the run metadata to the event file in output_dir (TensorBoard's
    per-op timings, tag "step_<n>"). show_dataflow and show_memory are accepted; flowzero's
    trace has neither arrows nor memory counters.
    """

    def __init__(
        self,
        save_steps: int | None = None,
        save_secs: float | None = None,
        output_dir: str = "",
        show_dataflow: bool = True,
        show_memory: bool = False,
    ) -> None:
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._show_dataflow = show_dataflow
        self._show_memory = show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        self._next_step: int | None = None
        self._global_step_tensor = _require_global_step("ProfilerHook")

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        from flowzero.runtime.options import RunOptions

        self._request_summary = self._next_step is not None and (
            self._timer.should_trigger_for_step(self._next_step)
        )
        opts = RunOptions(trace_level=RunOptions.FULL_TRACE) if self._request_summary else None
        return SessionRunArgs({"global_step": self._global_step_tensor}, options=opts)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        # TF's bookkeeping, step for step (the traced run's files match TF's names).
        stale_global_step = int(run_values.results["global_step"])
        if self._next_step is None:
            # the first run only arms the timer
            self._timer.update_last_triggered_step(stale_global_step)
        global_step = stale_global_step + 1
        if self._request_summary:
            global_step = int(run_context.session.run(self._global_step_tensor))
            self._timer.update_last_triggered_step(global_step)
            self._save(global_step, run_values.run_metadata.step_stats)
            self._add_to_events(global_step, run_values.run_metadata)
        self._next_step = global_step + 1

    def _save(self, step: int, step_stats: Any) -> None:
        from flowzero.runtime.step_stats import chrome_trace

        path = self._output_file.format(step)
        logging.info("Saving timeline for %d into '%s'.", step, path)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)  # (TF's summary writer makes it)
        with open(path, "w", encoding="utf-8") as f:
            f.write(chrome_trace(step_stats))

    def _add_to_events(self, step: int, run_metadata: Any) -> None:
        try:
            from flowzero.summary.writer import FileWriterCache
        except ImportError:  # pragma: no cover - the tensorboard extra is missing
            return
        try:
            writer = FileWriterCache.get(os.path.dirname(self._output_file) or ".")
            writer.add_run_metadata(run_metadata, f"step_{step}", step)
        except ImportError:  # pragma: no cover - tensorboardX is missing
            return


__all__ = ["GlobalStepWaiterHook", "ProfilerHook"]
