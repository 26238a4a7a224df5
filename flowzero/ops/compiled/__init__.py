"""Optional compiled kernels: the `fast` extra (Numba).

The op catalogue's NumPy kernels are the reference and the fallback. A kernel module here
(`flowzero/ops/compiled/<name>.py`) holds loops that NumPy cannot run in one pass (a conv
block's epilogue, a pooling window, an LSTM cell's gates); an OpDef asks for it with
``load("<name>")`` when it runs and keeps its NumPy path when that returns None.

- Nothing here imports Numba until a kernel is first asked for (``import numba`` alone takes
  ~0.3 s), so ``import flowzero`` stays as light with the extra as without it.
- ``FLOWZERO_COMPILED=0`` turns every compiled kernel off (to compare, or to rule them out);
  without Numba installed it is as if off.
- Kernels are compiled with ``cache=True``: the first process compiles (seconds) and writes the
  machine code to Numba's cache; later processes load it. ``compile_seconds()`` says what a
  process spent compiling or loading, per module.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from types import ModuleType
from typing import Any

_OFF = ("0", "false", "no", "off")
_lock = threading.Lock()
_modules: dict[str, ModuleType | None] = {}
_seconds: dict[str, float] = {}
_numba: ModuleType | None | bool = False  # False: not looked for yet


def enabled() -> bool:
    """True when compiled kernels may run: Numba importable and FLOWZERO_COMPILED not off."""
    global _numba
    if os.environ.get("FLOWZERO_COMPILED", "1").strip().lower() in _OFF:
        return False
    if _numba is False:
        try:
            import numba
        except ImportError:
            _numba = None
        else:
            _numba = numba
    return _numba is not None


def njit(*args: Any, **kwargs: Any) -> Any:
    """numba.njit with flowzero's defaults (cache on disk, no Python fallback). For kernel
    modules only: they are imported through load(), after enabled() found Numba."""
    import numba

    kwargs.setdefault("cache", True)
    kwargs.setdefault("nogil", True)
    return numba.njit(*args, **kwargs)


def load(name: str) -> ModuleType | None:
    """The compiled kernel module `name` (flowzero/ops/compiled/<name>.py), or None when
    compiled kernels are off or unavailable. Imported once per process; thread-safe."""
    if not enabled():
        return None
    mod = _modules.get(name, False)
    if mod is not False:
        return mod  # type: ignore[return-value]
    with _lock:
        if name not in _modules:
            start = time.perf_counter()
            module = importlib.import_module(f"{__name__}.{name}")
            warm = getattr(module, "warm_up", None)
            if warm is not None:
                warm()  # compile (or load from the cache) now, not inside a timed step
            _seconds[name] = time.perf_counter() - start
            _modules[name] = module
    return _modules[name]


def compile_seconds() -> dict[str, float]:
    """Seconds each loaded kernel module took to import and compile (or load from cache)."""
    return dict(_seconds)


def reset() -> None:
    """Forget what was loaded and whether Numba was found (tests toggle FLOWZERO_COMPILED)."""
    global _numba
    with _lock:
        _modules.clear()
        _seconds.clear()
        _numba = False
