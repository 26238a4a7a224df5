"""More of TF1's session-run hooks: GlobalStepWaiterHook (a worker waits for the global step)
and ProfilerHook (a Chrome trace of a run every N steps or seconds)."""

from __future__ import annotations

import time

from flowzero.platform import tf_logging as logging
from flowzero.train.basic_session_run_hooks import _require_global_step
from flowzero.train.session_run_hook import SessionRunContext, SessionRunHook


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


__all__ = ["GlobalStepWaiterHook"]
