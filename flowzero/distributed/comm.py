"""The communicator: launch detection, lazy mpi4py, rank/size, and guarded collectives.

Everything that touches MPI lives here; the graph ops (ops.py) call the `*_inplace`/`bcast_`
helpers below on NumPy arrays and never import mpi4py themselves.

Single process (no launcher, or a launcher with one rank) needs no MPI at all: `size() == 1`,
`rank() == 0` and every collective is the identity. mpi4py is imported only when `init()` sees
a multi-rank launch (Open MPI's OMPI_COMM_WORLD_SIZE, MPICH/Slurm PMI_SIZE, PMIx's PMIX_RANK)
or is asked for MPI explicitly (`init(mpi=True)` or FLOWZERO_MPI=1).

Failure behaviour (see docs/distributed.md): every blocking collective is timed by a watchdog
thread; one that has not completed after `timeout` seconds prints which collective on which
rank and aborts the whole job (MPI_Abort), so a dead or stuck rank never leaves the others
waiting forever. An uncaught exception on any rank also aborts the job (as `python -m mpi4py`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

DEFAULT_TIMEOUT = 300.0  # seconds a collective may wait for the other ranks before aborting

_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS")
_LAUNCH_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK")
_LOCAL_RANK_VARS = ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID")


class DistributedError(RuntimeError):
    """flowzero.distributed cannot do what was asked (e.g. a multi-rank launch without mpi4py)."""


class _State:
    def __init__(self) -> None:
        self.initialized = False
        self.mpi: Any = None  # the mpi4py.MPI module once imported
        self.comm: Any = None  # COMM_WORLD (None in single-process mode)
        self.rank = 0
        self.size = 1
        self.local_rank = 0
        self.local_size = 1
        self.timeout: float | None = DEFAULT_TIMEOUT
        self.watchdog: _Watchdog | None = None
        self.stats: dict[str, list[float]] = {}  # kind -> [calls, bytes, seconds]


_state = _State()


# -- launch detection --------------------------------------------------------------------------
def launched_size() -> int | None:
    """The number of ranks an MPI launcher says it started, None if not launched by one (or the
    launcher does not say: PMIx alone)."""
    if not any(v in os.environ for v in _LAUNCH_VARS):
        return None
    for var in _SIZE_VARS:
        value = os.environ.get(var)
        if value and value.strip().isdigit():
            return int(value)
    return None


def _launch_description() -> str:
    found = [f"{v}={os.environ[v]}" for v in (*_LAUNCH_VARS, "SLURM_NTASKS") if v in os.environ]
    return ", ".join(found) if found else "no launcher variables"


def _import_mpi(why: str) -> Any:
    try:
        from mpi4py import MPI  # noqa: N817 - mpi4py's own name
    except Exception as e:  # noqa: BLE001 - ImportError, or a RuntimeError from a broken libmpi
        raise DistributedError(
            f"flowzero.distributed: {why}, but mpi4py/MPI cannot be loaded "
            f"({type(e).__name__}: {e}). Install them: `apt-get install openmpi-bin "
            "libopenmpi-dev` (or load your cluster's MPI module), then `pip install "
            "'flowzero[mpi]'` (mpi4py). Without it every rank would train alone on its own "
            "copy of the model."
        ) from e
    return MPI


# -- init --------------------------------------------------------------------------------------
def init(mpi: bool | None = None, timeout: float | None = -1.0) -> None:
    """Initializes flowzero.distributed (MPI_Init through mpi4py when there are several ranks).

    Idempotent; `rank()`, `size()` and the helpers call it on first use, so calling it is only
    needed to choose the options.

    Args:
        mpi: True: use MPI even if no launcher is detected (a singleton MPI job, or a launcher
            flowzero does not know). False: never import mpi4py (size 1). None (default): use
            MPI when a multi-rank launch is detected or FLOWZERO_MPI=1.
        timeout: seconds a collective may wait for the other ranks before the job is aborted
            with an error naming the collective; None or 0 disables the watchdog. Default: the
            FLOWZERO_MPI_TIMEOUT environment variable, else 300.

    Raises:
        DistributedError: a multi-rank launch was detected (or `mpi=True`) but mpi4py or the
            MPI library cannot be loaded.
    """
    if _state.initialized:
        return
    if timeout is not None and timeout < 0:
        env = os.environ.get("FLOWZERO_MPI_TIMEOUT", "").strip()
        timeout = float(env) if env else DEFAULT_TIMEOUT
    _state.timeout = timeout if timeout else None
    n = launched_size()
    if mpi is None:
        forced = os.environ.get("FLOWZERO_MPI", "").strip().lower() in ("1", "true", "yes")
        # PMIx alone does not tell the size: ask MPI (a PMIx launch is an MPI launch).
        mpi = (
            forced
            or (n is not None and n > 1)
            or (n is None and any(v in os.environ for v in _LAUNCH_VARS))
        )
    if not mpi:
        _state.initialized = True
        return
    if n is not None and n > 1:
        why = (
            f"this process was started by an MPI launcher with {n} ranks ({_launch_description()})"
        )
    else:
        why = (
            "MPI was requested"
            if n is None
            else f"an MPI launch was detected ({_launch_description()})"
        )
    mod = _import_mpi(why)
    comm = mod.COMM_WORLD
    _state.mpi, _state.comm = mod, comm
    _state.rank, _state.size = comm.Get_rank(), comm.Get_size()
    local = comm.Split_type(mod.COMM_TYPE_SHARED, key=_state.rank)
    _state.local_rank, _state.local_size = local.Get_rank(), local.Get_size()
    local.Free()
    _state.initialized = True
    if _state.size > 1:
        _install_excepthook()
        if _state.timeout is not None:
            _state.watchdog = _Watchdog(_state.timeout)


def _ensure() -> _State:
    if not _state.initialized:
        init()
    return _state


def is_initialized() -> bool:
    return _state.initialized


def rank() -> int:
    """This process's rank in the job, 0 to size() - 1 (0 without MPI)."""
    return _ensure().rank


def size() -> int:
    """The number of ranks in the job (1 without MPI)."""
    return _ensure().size


def local_rank() -> int:
    """This process's rank among the ranks on its machine (use it to pick a device)."""
    return _ensure().local_rank


def local_size() -> int:
    """The number of ranks on this process's machine."""
    return _ensure().local_size


def is_root() -> bool:
    """True on rank 0: the one rank that logs, writes checkpoints, plots and progress bars."""
    return _ensure().rank == 0


def mpi_enabled() -> bool:
    """True when collectives go through MPI (mpi4py imported, possibly with size 1)."""
    return _ensure().comm is not None


# -- failure handling --------------------------------------------------------------------------
def abort(message: str, code: int = 1) -> None:
    """Prints `message` and ends every rank of the job (MPI_Abort); os._exit without MPI."""
    try:
        os.write(2, (message.rstrip("\n") + "\n").encode("utf-8", "replace"))
    except OSError:
        pass
    if _state.comm is not None:
        try:
            _state.comm.Abort(code)
        except Exception:  # noqa: BLE001, S110 - nothing better to do than exit below
            pass
    os._exit(code)


class _Watchdog:
    """A daemon thread that aborts the job when one collective runs longer than `timeout`.

    The hot path is two attribute writes per collective (`active`); the thread wakes every
    `interval` seconds, so a hang is detected within timeout + interval. Calling MPI_Abort from
    this thread while the main thread blocks inside MPI is legal at MPI_THREAD_MULTIPLE (mpi4py's
    default); at a lower level the thread exits the process instead and the launcher ends the
    rest of the job.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = float(timeout)
        self.interval = min(1.0, max(0.05, self.timeout / 20))
        self.active: tuple[float, str] | None = None
        self._thread = threading.Thread(
            target=self._watch, name="flowzero-mpi-watchdog", daemon=True
        )
        self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.interval)
            active = self.active
            if active is None:
                continue
            waited = time.monotonic() - active[0]
            if waited > self.timeout:
                self._fire(active[1], waited)
                return

    def _fire(self, what: str, waited: float) -> None:
        msg = (
            f"flowzero.distributed: rank {_state.rank} of {_state.size}: {what} did not "
            f"complete within {self.timeout:g} s (waited {waited:.1f} s). Another rank has "
            "died, is stuck, or ran a different sequence of collectives (every rank must "
            "run the same ops in the same order). Aborting the MPI job; restart from the "
            "last checkpoint (docs/distributed.md). Raise FLOWZERO_MPI_TIMEOUT if a rank "
            "legitimately takes longer between steps."
        )
        mpi = _state.mpi
        if mpi is not None and mpi.Query_thread() != mpi.THREAD_MULTIPLE:
            os.write(2, (msg + "\n").encode())
            os._exit(1)
        abort(msg)


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(exc_type: Any, exc: Any, tb: Any) -> None:
        previous(exc_type, exc, tb)
        sys.stderr.flush()
        # NOTE: without this, the failed rank would hang in MPI_Finalize at exit while the
        # others wait in their next collective (the mpi4py FAQ's deadlock).
        abort(
            f"flowzero.distributed: rank {_state.rank} of {_state.size}: uncaught "
            f"{exc_type.__name__}; aborting the MPI job so the other ranks do not wait."
        )

    sys.excepthook = hook


# -- collectives on NumPy arrays ----------------------------------------------------------------
def _timed(
    kind: str, what: str, nbytes: int, fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    wd = _state.watchdog
    t0 = time.monotonic()
    if wd is not None:
        wd.active = (t0, what)
    try:
        return fn(*args, **kwargs)
    finally:
        if wd is not None:
            wd.active = None
        st = _state.stats.get(kind)
        if st is None:
            st = _state.stats[kind] = [0, 0, 0.0]
        st[0] += 1
        st[1] += nbytes
        st[2] += time.monotonic() - t0


def collective_stats(reset: bool = False) -> dict[str, dict[str, float]]:
    """Calls, bytes and seconds spent in each kind of collective on this rank since the start
    (or the last reset): {'allreduce': {'calls': .., 'bytes': .., 'seconds': ..}, ...}.
    The seconds include waiting for slower ranks."""
    out = {k: {"calls": v[0], "bytes": v[1], "seconds": v[2]} for k, v in _state.stats.items()}
    if reset:
        _state.stats.clear()
    return out


def _sig_hash(*parts: Any) -> int:
    return zlib.crc32(repr(parts).encode()) & 0x7FFFFFFF


def agree(what: str, signature: tuple[int, ...]) -> bool:
    """True if every rank passed the same `signature` (one small MAX allreduce).

    Run before a data collective, so that tensors of different shapes on different ranks give
    an error on every rank instead of MPI's undefined behaviour.
    """
    st = _ensure()
    if st.size == 1:
        return True
    sig = np.asarray(signature, dtype=np.int64)
    buf = np.concatenate([sig, -sig])
    _timed("check", what, 0, st.comm.Allreduce, st.mpi.IN_PLACE, buf, op=st.mpi.MAX)
    return bool(np.array_equal(buf[: len(sig)], -buf[len(sig) :]))


_REDUCE_DTYPES = {
    np.dtype(t)
    for t in (
        np.float32,
        np.float64,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
        np.complex64,
        np.complex128,
    )
}


def allreduce_inplace(buf: np.ndarray, average: bool, what: str = "allreduce") -> np.ndarray:
    """Sums (or averages) the contiguous array `buf` over all ranks, in place; returns it.

    float16 is reduced in float32 and rounded once at the end.
    """
    st = _ensure()
    if st.size == 1:
        return buf
    if buf.dtype == np.float16:
        wide = buf.astype(np.float32)
        allreduce_inplace(wide, average, what)
        np.copyto(buf, wide, casting="unsafe")
        return buf
    if buf.dtype not in _REDUCE_DTYPES:
        raise TypeError(f"{what}: cannot reduce dtype {buf.dtype}; use a float or integer tensor.")
    _timed("allreduce", what, buf.nbytes, st.comm.Allreduce, st.mpi.IN_PLACE, buf, op=st.mpi.SUM)
    if average:
        if buf.dtype.kind in "fc":
            buf *= buf.dtype.type(1.0 / st.size)
        else:
            buf //= st.size
    return buf


def bcast_bytes(buf: np.ndarray, root: int, what: str = "broadcast") -> np.ndarray:
    """Broadcasts the contiguous array `buf` from `root` into every rank's `buf`, in place."""
    st = _ensure()
    if st.size == 1:
        return buf
    raw = buf.reshape(-1).view(np.uint8)
    _timed("broadcast", what, buf.nbytes, st.comm.Bcast, raw, root=root)
    return buf


def allgather_rows(x: np.ndarray, what: str = "allgather") -> list[np.ndarray]:
    """Every rank's `x` (dim 0 may differ, the rest must agree), concatenated in rank order.

    Returns [the concatenated array, the per-rank dim-0 sizes as int64]. One small Allgather of
    metadata, then one Allgatherv of the bytes.
    """
    st = _ensure()
    x = np.ascontiguousarray(x)
    if st.size == 1:
        return [x, np.array([x.shape[0] if x.ndim else 1], np.int64)]
    rows = x.shape[0] if x.ndim else 1
    trailing = x.shape[1:]
    meta = np.array([rows, _sig_hash(trailing, x.dtype.str)], dtype=np.int64)
    metas = np.empty((st.size, 2), dtype=np.int64)
    _timed("check", what, 0, st.comm.Allgather, meta, metas)
    if len(set(metas[:, 1].tolist())) != 1:
        raise ValueError(
            f"{what}: every rank must gather tensors with the same dtype and "
            f"the same shape after dimension 0; this rank (rank {st.rank}) has "
            f"{x.dtype} {x.shape}."
        )
    counts = metas[:, 0]
    row_bytes = int(np.prod(trailing, dtype=np.int64)) * x.dtype.itemsize
    out = np.empty((int(counts.sum()), *trailing), dtype=x.dtype)
    nbytes = counts * row_bytes
    displs = np.concatenate([[0], np.cumsum(nbytes)[:-1]])
    send = x.reshape(-1).view(np.uint8)
    recv = out.reshape(-1).view(np.uint8)
    _timed(
        "allgather",
        what,
        out.nbytes,
        st.comm.Allgatherv,
        send,
        [recv, nbytes.tolist(), displs.tolist(), st.mpi.BYTE],
    )
    if x.ndim == 0:
        out = out.reshape(-1)
    return [out, counts]


def barrier(what: str = "barrier") -> None:
    """Waits until every rank reaches this call (under the watchdog's timeout)."""
    st = _ensure()
    if st.size > 1:
        _timed("barrier", what, 0, st.comm.Barrier)
