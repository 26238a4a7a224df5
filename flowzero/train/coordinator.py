"""tf.train.Coordinator: lets a set of threads stop together, and reports the first error.

Threads poll `should_stop()`; any thread may `request_stop(exc)`. The main thread `join`s them
with a grace period: a thread still running after it is reported (RuntimeError), never waited on
forever. An OutOfRangeError (an exhausted input) is a clean stop, not an error, as in TF.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from flowzero.framework import errors


class Coordinator:
    """A coordinator for threads (TF1's tf.train.Coordinator).

    Args:
        clean_stop_exception_types: exception types that stop the threads without being
            reported by join() (default: OutOfRangeError).

    Example:
        >>> queue = tf.train.string_input_producer(["a", "b", "c"], num_epochs=2, shuffle=False)
        >>> name = queue.dequeue()
        >>> sess = tf.Session()
        >>> sess.run(tf.local_variables_initializer())   # the epoch counter
        >>> coord = tf.train.Coordinator()
        >>> threads = tf.train.start_queue_runners(sess, coord)
        >>> seen = []
        >>> try:
        ...     while not coord.should_stop():
        ...         seen.append(sess.run(name))
        ... except tf.errors.OutOfRangeError:   # two epochs done
        ...     pass
        ... finally:
        ...     coord.request_stop()
        >>> coord.join(threads)
        >>> print(b"".join(seen))
        b'abcabc'
    """

    def __init__(self, clean_stop_exception_types: Any = None) -> None:
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info: Any = None
        self._joined = False
        self._registered_threads: set[threading.Thread] = set()

    def _filter_exception(self, ex: Any) -> Any:
        ex_obj = ex[1] if isinstance(ex, tuple) else ex
        if isinstance(ex_obj, self._clean_stop_exception_types):
            return None
        return ex

    def request_stop(self, ex: Any = None) -> None:
        """Asks every thread to stop; `ex` (an exception or an exc_info tuple) is recorded and
        re-raised by join(), unless one was recorded first or it is a clean-stop type."""
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined:
                if isinstance(ex, tuple):
                    raise ex[1].with_traceback(ex[2])
                if ex is not None:
                    raise ex
            if ex is not None and self._exc_info is None:
                if isinstance(ex, tuple):
                    self._exc_info = ex
                elif isinstance(ex, BaseException):
                    self._exc_info = (type(ex), ex, ex.__traceback__)
                else:
                    raise ValueError(f"ex must be an exception or an exc_info tuple; got {ex!r}.")
            self._stop_event.set()

    def clear_stop(self) -> None:
        """Clears the stop request (and the recorded exception), so the threads can restart."""
        with self._lock:
            self._joined = False
            self._exc_info = None
            self._stop_event.clear()

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self) -> Iterator[None]:
        """`with coord.stop_on_exception():` — an exception in the body requests a stop."""
        try:
            yield
        except Exception:  # noqa: BLE001 - recorded for join() to re-raise
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout: float | None = None) -> bool:
        """Waits until a stop is requested (at most `timeout` seconds); True if it was."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._registered_threads.add(thread)

    def join(
        self,
        threads: Any = None,
        stop_grace_period_secs: float = 120,
        ignore_live_threads: bool = False,
    ) -> None:
        """Waits for a stop request, then for `threads` (and the registered ones) to end.

        Threads still alive `stop_grace_period_secs` after the stop request are reported with a
        RuntimeError naming them (unless `ignore_live_threads`). The first exception passed to
        request_stop() is then re-raised.
        """
        with self._lock:
            threads = set(threads or ()) | self._registered_threads
        # Wait for all threads to end or for a stop request.
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(0.05):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            exc_info = self._exc_info
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        if stragglers and not ignore_live_threads:
            raise RuntimeError(
                f"Coordinator stopped with threads still running: {' '.join(stragglers)}"
            )

    @property
    def joined(self) -> bool:
        return self._joined

    def raise_requested_exception(self) -> None:
        """Re-raises the exception given to request_stop(), if any."""
        with self._lock:
            if self._exc_info is not None:
                raise self._exc_info[1].with_traceback(self._exc_info[2])


class LooperThread(threading.Thread):
    """A daemon thread calling `target(*args)` every `timer_interval_secs` until the
    coordinator stops (TF's tf.train.LooperThread)."""

    def __init__(
        self,
        coord: Coordinator,
        timer_interval_secs: float | None,
        target: Any = None,
        args: Any = None,
        kwargs: Any = None,
    ) -> None:
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        super().__init__(daemon=True)
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        self._args = args or ()
        self._kwargs = kwargs or {}
        self._coord.register_thread(self)

    def run(self) -> None:
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.monotonic() + self._timer_interval_secs
                while not self._coord.wait_for_stop(max(0.0, next_time - time.monotonic())):
                    next_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self) -> None:
        """Called once when the thread starts."""

    def stop_loop(self) -> None:
        """Called once before the thread ends."""

    def run_loop(self) -> None:
        if self._target is not None:
            self._target(*self._args, **self._kwargs)


__all__ = ["Coordinator", "LooperThread"]
