"""SessionRunHook and the values it exchanges with a MonitoredSession.

A hook sees each `run` call of a MonitoredSession: `before_run` may add fetches and feeds
(SessionRunArgs), `after_run` receives their values (SessionRunValues) and may ask the loop to
stop (`run_context.request_stop()`). `begin` runs before the graph is finalized (the only place a
hook may add ops), `after_create_session` once the session is initialized, `end` when the
session closes normally.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class SessionRunHook:
    """Base class of hooks; every method is optional (does nothing here)."""

    def begin(self) -> None:
        """Called once before the session is created; the graph may still be changed."""

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Called once the session is created and its variables initialized or restored."""

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs | None:
        """Called before each run; returns extra fetches/feeds for it (or None)."""
        return None

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Called after each successful run, with the values of what before_run asked for."""

    def end(self, session: Any) -> None:
        """Called once at the end, when the session is closed without an error (an exhausted
        input counts as the normal end)."""


class SessionRunArgs(NamedTuple):
    """What a hook adds to a run: `fetches` (any fetch structure, or None) and `feed_dict`."""

    fetches: Any
    feed_dict: Any = None
    options: Any = None


class SessionRunValues(NamedTuple):
    """The values of a hook's fetches (`results`, in their structure) after a run."""

    results: Any
    options: Any
    run_metadata: Any


class SessionRunContext:
    """The run a hook is called for: the caller's `original_args`, the `session`, and a way
    to stop the training loop (`request_stop()`)."""

    def __init__(self, original_args: SessionRunArgs, session: Any) -> None:
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self) -> SessionRunArgs:
        return self._original_args

    @property
    def session(self) -> Any:
        return self._session

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        """Makes the MonitoredSession's should_stop() True after this run."""
        self._stop_requested = True


__all__ = ["SessionRunHook", "SessionRunArgs", "SessionRunValues", "SessionRunContext"]
