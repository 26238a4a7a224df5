"""Keeps freed activation buffers in the heap, so the next step reuses them without page faults.

A training step allocates the same large arrays every time (a conv layer's 100x24x24x30 float32
activation is 6.9 MB, and its gradient, and the im2col patches) and frees them before the next
step. glibc hands allocations above its mmap threshold straight to the kernel and returns them on
free, so every step pays for fresh zeroed pages: on SimpleConvNet at batch 100 that was ~2,100-3,100
minor page faults and 5-10 ms of a 20-25 ms step (see docs/performance.md). TensorFlow and PyTorch
avoid the same cost with their own caching allocators (or with jemalloc/tcmalloc preloaded).

flowzero's kernels are NumPy, whose buffers come from malloc, so the fix is one-time malloc
tuning: serve requests up to `MMAP_THRESHOLD` from the heap and keep up to `TRIM_THRESHOLD` of
freed memory there instead of trimming it. The cost is that memory freed after a peak stays in
the process (bounded by TRIM_THRESHOLD above the live size, per glibc arena: a server whose
threads allocate in several arenas can keep a multiple of it) until it is reused.

It is applied once per process when the first Session is created, only on glibc, and never when
`FLOWZERO_MALLOC=system` is set (or when the process already set MALLOC_MMAP_THRESHOLD_ /
MALLOC_TRIM_THRESHOLD_ itself, which glibc reads at start-up and we leave alone).
"""

from __future__ import annotations

import os
import sys
import threading

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's own ceiling for its dynamic threshold
TRIM_THRESHOLD = 256 * 1024 * 1024
_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
_M_MMAP_THRESHOLD = -3

_lock = threading.Lock()
_state: str | None = None  # None: not tried yet; else what happened ("tuned", "system", ...)


def configure() -> str:
    """Applies the tuning once; returns what was done: 'tuned', 'system' (opted out),
    'preset' (the environment already tunes malloc) or 'unsupported' (not glibc)."""
    global _state
    if _state is not None:
        return _state
    with _lock:
        if _state is None:
            _state = _apply()
    return _state


def _apply() -> str:
    if os.environ.get("FLOWZERO_MALLOC", "").strip().lower() == "system":
        return "system"
    if any(
        k in os.environ
        for k in (
            "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_TRIM_THRESHOLD_",
            "GLIBC_TUNABLES",
            "LD_PRELOAD",
        )
    ):
        return "preset"
    if not sys.platform.startswith("linux"):
        return "unsupported"
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return "unsupported"
        import ctypes  # only here: `import flowzero` stays light

        mallopt = ctypes.CDLL(None).mallopt  # the process's own libc
    except (OSError, ValueError, AttributeError, ImportError):  # musl, odd builds: no tuning
        return "unsupported"
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    return "tuned" if ok else "unsupported"
