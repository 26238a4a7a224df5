"""`flowzero serve` without --production: uvicorn, with limits for clients that misbehave.

uvicorn's own settings do most of it: `limit_concurrency` (requests beyond it get 503),
`timeout_keep_alive` (idle connections between requests) and h11's cap on the size of a
request head. Its h11 protocol is extended here for what it has no setting for:

- a header timeout: a connection must deliver a complete request head within
  `header_timeout_s` of opening (or of its previous response), else it is closed; without
  it a client that sends one byte now and then holds its connection forever;
- a connection cap: connections beyond `max_connections` are closed as soon as they are
  accepted, before the process runs out of file descriptors (where asyncio's accept loop fails
  and logs a traceback for every try);
- a half-closed client (one that shuts its sending side down after the request) still gets
  its response; the connection closes after it.

The body timeout and the bytes in flight are the app's (ServingConfig), so they hold under
gunicorn too. Log records are rate limited per message (RateLimitFilter).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("flowzero.serving")


@dataclass(frozen=True)
class ServerLimits:
    """Connection limits of the development server (`flowzero serve` flags in brackets).

    Attributes:
        header_timeout_s: seconds to deliver a complete request head (--header-timeout).
        keep_alive_s: idle seconds between requests on one connection (--keep-alive-timeout).
        max_connections: open connections at most; further ones are closed at once, and
            requests beyond it get 503 (--max-connections).
        max_header_bytes: the largest request head (h11's limit; larger: 400).
        log_rate: log records per message per 10 s, beyond which they are counted and
            summarised instead of written (--log-rate; 0: no limit).
    """

    header_timeout_s: float = 10.0
    keep_alive_s: float = 5.0
    max_connections: int = 1000
    max_header_bytes: int = 16 * 1024
    log_rate: int = 20


class RateLimitFilter(logging.Filter):
    """At most `rate` records per message template per `window_s` seconds; the next record
    after a window with suppressed ones says how many were dropped."""

    def __init__(self, rate: int, window_s: float = 10.0) -> None:
        super().__init__()
        self.rate = rate
        self.window_s = window_s
        self._seen: dict[tuple[str, Any], list[float]] = {}  # key -> [window start, count,
        # suppressed]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.rate <= 0:
            return True
        key = (record.name, record.msg if isinstance(record.msg, str) else type(record.msg))
        now = time.monotonic()
        entry = self._seen.get(key)
        if entry is None or now - entry[0] >= self.window_s:
            dropped = int(entry[2]) if entry is not None else 0
            if len(self._seen) > 10_000:  # many distinct messages: start over
                self._seen.clear()
            self._seen[key] = [now, 1, 0]
            if dropped:
                record.msg = (
                    f"{record.msg} [{dropped} more like this in the last "
                    f"{self.window_s:g} s not logged]"
                )
            return True
        if entry[1] < self.rate:
            entry[1] += 1
            return True
        entry[2] += 1
        return False


def install_log_rate_limit(
    rate: int, loggers: tuple[str, ...] = ("", "uvicorn", "uvicorn.error", "asyncio")
) -> None:
    """Adds one RateLimitFilter to the handlers of `loggers` (not uvicorn.access: one line per
    request is what an access log is for)."""
    if rate <= 0:
        return
    f = RateLimitFilter(rate)
    for name in loggers:
        for h in logging.getLogger(name).handlers:
            if not any(isinstance(x, RateLimitFilter) for x in h.filters):
                h.addFilter(f)


def protocol_class(limits: ServerLimits) -> type:
    """uvicorn's h11 protocol with the header timeout, the connection cap and half-close."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class LimitedH11Protocol(H11Protocol):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._head_timer: asyncio.TimerHandle | None = None
            self._eof = False
            if len(self.connections) >= limits.max_connections:
                # NOTE: never registered, so it does not count; closed before reading a byte.
                log.warning(
                    "connection limit reached (%d, --max-connections): closing a new connection",
                    limits.max_connections,
                )
                self.transport = transport
                transport.abort()
                self._refused = True
                return
            self._refused = False
            super().connection_made(transport)
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            self._cancel_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # a request head arrived: the app has it now
                self._cancel_head_timer()

        def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio's contract
            self._eof = True
            if (
                self.cycle is not None
                and not self.cycle.response_complete
                and self.conn.their_state is h11.DONE
            ):
                return True  # the request is complete: keep the sending side open for its answer
            return None  # (mid-request, EOF is a disconnect: the app hears of it and stops)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._eof and not self.transport.is_closing():
                self.transport.close()
            elif not self.transport.is_closing() and (
                self.cycle is None or self.cycle.response_complete
            ):
                self._arm_head_timer()

        def _arm_head_timer(self) -> None:
            self._cancel_head_timer()
            self._head_timer = self.loop.call_later(limits.header_timeout_s, self._head_late)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_late(self) -> None:
            self._head_timer = None
            if self.cycle is not None and not self.cycle.response_complete:
                return  # a request is being served
            if not self.transport.is_closing():
                log.info(
                    "closing a connection that sent no complete request head within "
                    "%g s (--header-timeout)",
                    limits.header_timeout_s,
                )
                self.transport.abort()

    return LimitedH11Protocol


def raise_fd_limit(wanted: int) -> int:
    """Raises this process's soft open-file limit towards `wanted` (at most the hard limit);
    returns the soft limit now in force (or `wanted` where there is no such limit)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return wanted if soft == resource.RLIM_INFINITY else soft


def run(app: Any, limits: ServerLimits, log_level: str = "info", **bind: Any) -> None:
    """Serves `app` with uvicorn under `limits`; `bind` is host/port or uds."""
    import uvicorn

    # Descriptors beyond the connections: the listening socket, model files, logs, the pool.
    reserve = 64
    soft = raise_fd_limit(limits.max_connections + reserve)
    max_connections = limits.max_connections
    if soft < max_connections + reserve:
        max_connections = max(1, soft - reserve)
        log.warning(
            "the open-file limit is %d: serving at most %d connections (ulimit -n to raise it)",
            soft,
            max_connections,
        )
        limits = ServerLimits(
            limits.header_timeout_s,
            limits.keep_alive_s,
            max_connections,
            limits.max_header_bytes,
            limits.log_rate,
        )
    config = uvicorn.Config(
        app,
        log_level=log_level,
        http=protocol_class(limits),
        # (+1: the cap above closes the connections beyond; this one answers 503 to requests
        # beyond it in flight at once)
        limit_concurrency=max_connections + 1,
        timeout_keep_alive=max(1, round(limits.keep_alive_s)),
        h11_max_incomplete_event_size=limits.max_header_bytes,
        timeout_graceful_shutdown=30,
        **bind,
    )
    install_log_rate_limit(limits.log_rate)
    uvicorn.Server(config).run()


__all__ = [
    "ServerLimits",
    "RateLimitFilter",
    "install_log_rate_limit",
    "protocol_class",
    "raise_fd_limit",
    "run",
]
