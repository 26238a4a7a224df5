"""gunicorn settings for production serving: `gunicorn -c python:flowzero.serving.gunicorn_conf`.

deploy/gunicorn.conf.py imports this and is where an operator overrides a setting. Every value
can also be set from the environment (the systemd unit does), so one file serves all hosts:

| variable | gunicorn setting | default |
|---|---|---|
| FLOWZERO_RUN_DIR | where the socket, the pidfile and the metrics files go | /run/flowzero |
| FLOWZERO_LOG_DIR | access.log and error.log ("-": stderr, for journald) | /var/log/flowzero |
| FLOWZERO_BIND | bind | unix:$FLOWZERO_RUN_DIR/flowzero.sock |
| FLOWZERO_WORKERS | workers | the CPUs this process may use |
| FLOWZERO_WORKER_CLASS | worker_class | "asgi" (gunicorn >= 27's own), else uvicorn-worker |
| FLOWZERO_GRACEFUL_TIMEOUT | graceful_timeout (s) | 30 |
| FLOWZERO_TIMEOUT | timeout (s) | 60 |
| FLOWZERO_UMASK | umask (octal) | 007: the socket is rw for its owner and group only |
| FLOWZERO_BLAS_THREADS | OPENBLAS/OMP/MKL_NUM_THREADS of each worker | 1 |
| FLOWZERO_WORKER_SOCKETS | 1: each worker also listens on $FLOWZERO_RUN_DIR/worker-<n>.sock | 1 |
| FLOWZERO_ASGI_LOOP | asgi_loop (the asgi worker's event loop) | asyncio |
| FLOWZERO_WORKER_TMP_DIR | worker_tmp_dir (the heartbeat files) | /dev/shm, else the run dir |
| FLOWZERO_WORKER_CONNECTIONS | worker_connections (open connections per worker) | 1000 |
| FLOWZERO_KEEPALIVE | keepalive (s) | 75 |

plus the app's FLOWZERO_MODEL_BASE_PATH / FLOWZERO_MODEL_NAME / ... (flowzero.serving.config).

Signals (to the master, whose pid is in the pidfile): HUP = start new workers with the current
code and configuration, then stop the old ones gracefully (no request is lost); TERM = graceful
stop; USR1 = reopen the log files (logrotate); TTIN/TTOU = one worker more/less.
"""

from __future__ import annotations

import os
import shutil
from typing import Any


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def native_asgi_worker() -> bool:
    """True when this gunicorn has its own asyncio ASGI worker (`-k asgi`, gunicorn >= 27)."""
    try:
        from gunicorn.workers import SUPPORTED_WORKERS
    except ImportError:
        return False
    return "asgi" in SUPPORTED_WORKERS


def default_worker_class() -> str:
    # NOTE: measured under load across a HUP reload (the serving issue): gunicorn's own asgi
    # worker lost 0 of ~17,700 requests, uvicorn.workers.UvicornWorker lost 15 of ~17,200.
    if native_asgi_worker():
        return "asgi"
    return "uvicorn_worker.UvicornWorker"


run_dir = os.environ.get("FLOWZERO_RUN_DIR", "/run/flowzero")
log_dir = os.environ.get("FLOWZERO_LOG_DIR", "/var/log/flowzero")

wsgi_app = "flowzero.serving.app:app_from_env()"
bind = [os.environ.get("FLOWZERO_BIND", f"unix:{os.path.join(run_dir, 'flowzero.sock')}")]
workers = int(os.environ.get("FLOWZERO_WORKERS") or _cpus())
worker_class = os.environ.get("FLOWZERO_WORKER_CLASS") or default_worker_class()
# NOTE: not "auto", which takes uvloop whenever it is installed (uvicorn[standard] brings it).
# gunicorn 27.0's asgi worker on uvloop answered 856 of 1,985 concurrent 100-instance requests
# with 502s here (the body cut short: ClientDisconnect); on asyncio, none.
asgi_loop = os.environ.get("FLOWZERO_ASGI_LOOP", "asyncio")
pidfile = os.path.join(run_dir, "gunicorn.pid")
accesslog = "-" if log_dir == "-" else os.path.join(log_dir, "access.log")
errorlog = "-" if log_dir == "-" else os.path.join(log_dir, "error.log")
loglevel = os.environ.get("FLOWZERO_LOG_LEVEL", "info")
# %(L)s: request time in seconds, for spotting slow requests in the access log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'
graceful_timeout = int(os.environ.get("FLOWZERO_GRACEFUL_TIMEOUT", "30"))
timeout = int(os.environ.get("FLOWZERO_TIMEOUT", "60"))
# NOTE: longer than nginx's upstream keepalive_timeout (deploy/nginx), so nginx, not gunicorn,
# closes idle upstream connections: a POST sent on a connection the server just closed is a
# 502 that nginx does not retry.
keepalive = int(os.environ.get("FLOWZERO_KEEPALIVE", "75"))
# Connections one worker holds at most, and the request head's limits (gunicorn's defaults,
# spelled out: docs/deploy.md's limits table lists them beside nginx's and the app's).
worker_connections = int(os.environ.get("FLOWZERO_WORKER_CONNECTIONS", "1000"))
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# NOTE: gunicorn's default umask 0 makes the socket 0777. 007 keeps it to the service user and
# its group; nginx reaches it by being in that group (docs/deploy.md).
umask = int(os.environ.get("FLOWZERO_UMASK", "007"), 8)
proc_name = "flowzero-serving"
# NOTE: each worker tells the master it is alive by fchmod()ing a temporary file, from its event
# loop, once a second. On a disk-backed /tmp that call can wait for the filesystem's journal
# (gunicorn's docs warn about it): the worker stalls meanwhile. A tmpfs never makes it wait.
worker_tmp_dir = os.environ.get("FLOWZERO_WORKER_TMP_DIR") or next(
    (d for d in ("/dev/shm", run_dir) if os.path.isdir(d) and os.access(d, os.W_OK)), None
)
# gunicorn >= 27's control socket (gunicornc): next to the pidfile, not in $HOME.
control_socket = os.path.join(run_dir, "gunicorn.ctl")

# gunicorn opens the log files while it reads this file; systemd's RuntimeDirectory and
# LogsDirectory create these directories in production, this covers a manual start.
for _d in {run_dir, log_dir} - {"-"}:
    try:
        os.makedirs(_d, exist_ok=True)
    except OSError:
        pass

# NOTE: one BLAS thread per worker. Parallelism comes from the workers; a multi-threaded BLAS
# in each of them spins its threads against the others (measured on 2 cores: a 100x784 @
# 784x50 matmul took 4 ms instead of 0.1 ms, KServe binary requests through nginx
# went from 87 to 679 req/s).
# The workers import NumPy after the fork, so these reach them.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, os.environ.get("FLOWZERO_BLAS_THREADS", "1"))

# One metrics file set per worker, added up by /metrics (prometheus_client multiprocess mode).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(run_dir, "metrics"))


# Worker sockets: besides the shared socket (which every worker accepts on), each worker listens
# on a socket of its own, worker-<slot>.sock with slots 0..workers-1, so that nginx can send each
# request to the worker with the fewest requests in flight (least_conn, deploy/nginx).
# NOTE: on the shared socket alone, whichever worker wakes first accepts every pending
# connection, and nginx's keep-alive connections stay where they landed: with 16 clients, one
# worker held 11 of them and the other 5. The busy worker's requests waited twice as long
# (100-instance requests, 2 workers: p90 52-55 ms; with least_conn over worker sockets 42 ms).
worker_sockets = os.environ.get("FLOWZERO_WORKER_SOCKETS", "1") != "0"


def worker_socket_path(slot: int) -> str:
    return os.path.join(run_dir, f"worker-{slot}.sock")


def pre_fork(server: Any, worker: Any) -> None:
    """Master, before a worker forks: give it a slot 0..workers-1 that no live worker holds,
    else the slot whose holder is oldest (gunicorn's `age`: spawn order).

    A replacement for a dead worker gets the free slot. In a HUP reload each new worker takes
    the slot of an old one, which is about to stop (the newest holder of a path is the one
    listening on it). After a TTOU left a slot empty, the next reload fills it again."""
    newest: dict[int, int] = {}
    for w in server.WORKERS.values():
        slot = getattr(w, "flowzero_slot", None)
        if slot is not None:
            newest[slot] = max(newest.get(slot, -1), w.age)
    worker.flowzero_slot = min(
        range(max(1, server.num_workers)), key=lambda i: (newest.get(i, -1), i)
    )


def post_fork(server: Any, worker: Any) -> None:
    """The new worker, before it starts serving: listen on its slot's socket too.

    gunicorn's own UnixSocket replaces a socket file left behind (by a killed worker, or by the
    old worker of a reload, whose connections in flight still finish) and applies the same umask
    and owner as the shared socket's."""
    if not worker_sockets:
        return
    from gunicorn.sock import UnixSocket

    path = worker_socket_path(worker.flowzero_slot)
    try:
        listener = UnixSocket(path, server.cfg, server.log)
    except OSError as e:  # the shared socket still serves; say why this one does not
        server.log.warning(
            "worker socket %s: %s; this worker serves the shared socket only", path, e
        )
        return
    st = os.stat(path)
    worker.flowzero_listener, worker.flowzero_socket_file = listener, (st.st_dev, st.st_ino)
    worker.sockets = [*worker.sockets, listener]


def post_worker_init(worker: Any) -> None:
    """The worker has imported the app: move everything alive now out of the collector's way.

    NOTE: imported modules and the app live as long as the worker. Without this a full
    collection walked them all: 21-23 ms, once every ~10 s per worker under load, a pause for
    every request in flight."""
    import gc

    gc.collect()
    gc.freeze()


def worker_exit(server: Any, worker: Any) -> None:
    """A worker leaving: remove its socket file, unless a newer worker has bound that path
    (the socket file of a worker killed outright stays; connecting to it is refused at once
    and nginx tries the next worker)."""
    listener = getattr(worker, "flowzero_listener", None)
    if listener is None:
        return
    path = listener.cfg_addr
    try:
        st = os.stat(path)
        if (st.st_dev, st.st_ino) == worker.flowzero_socket_file:
            os.unlink(path)
    except OSError:
        pass
    listener.close()


def on_starting(server: Any) -> None:
    """Master start: fresh metrics directory (values of a previous run must not count)."""
    d = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges must stop counting."""
    try:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
    except Exception:  # metrics must never stop the master
        pass
