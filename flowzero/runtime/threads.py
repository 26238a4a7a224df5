"""How many BLAS threads each op of a plan runs on (TF's intra_op_parallelism_threads).

NumPy's BLAS (OpenBLAS, MKL, BLIS) keeps one process-wide thread count, by default one thread
per core. That is right for one large GEMM on an idle machine and wrong for everything else a
training step does: a GEMM of a few million multiply-adds gains little from a second thread,
and on a busy machine the BLAS's worker threads, which spin while they wait for their partner
or for the next GEMM, take the cores away from the Python thread and from each other (measured
on a 2-core machine with one busy loop beside it: a TwoLayerNet step 1.5 ms with one thread,
24 ms with two; a SimpleConvNet step 68 ms vs 265 ms). TensorFlow sizes its own thread pool
and splits an op only when its cost model says it pays; flowzero does the same with the BLAS.

The rule, per op that calls a GEMM (`_GEMMS` below: MatMul, the Conv2D family, the LSTM
kernels and their fused chains; unlike fusion, whose table lives in the op catalogue, this
module names the op types it knows about, so that the op catalogue stays free of thread
concerns), from the GEMM's m x k @ k x n:
- m·k·n < SMALL_WORK: the BLAS already runs it on one thread; the op is left alone, so plans of
  tiny ops never touch the thread count.
- m·k·n >= PARALLEL_WORK and m·n >= PARALLEL_OUTPUTS (the BLAS splits the output, not the
  inner dimension): up to `cap` threads, and no more than the cores that other processes leave
  free (see `free_cores`);
- otherwise one thread.
`cap` is `ConfigProto(intra_op_parallelism_threads=N)` when N > 0, else FLOWZERO_NUM_THREADS,
else the BLAS's own thread count when the run starts (which is what OPENBLAS_NUM_THREADS /
OMP_NUM_THREADS / MKL_NUM_THREADS or an enclosing threadpoolctl limit made it; the library's
default is one per core). FLOWZERO_THREAD_POLICY=0 turns the policy off: the BLAS keeps
whatever it was set to.

The thread count is changed only inside `Session.run` (the outermost run saves it and restores
it on exit, exceptions included), only through the BLAS's own set/get entry points resolved
once per process (ctypes, ~0.7 µs a call), and only when the decision changes from one op to
the next. The decision is made when the plan is compiled where the shapes are static, else
from the operands' shapes when the op runs.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

# -- the rule (measured on the 2-core machine of docs/performance.md; see its thread section) ---
SMALL_WORK = 1 << 18  # OpenBLAS's own threshold: below it a GEMM runs on one thread anyway
# ~3.1 M multiply-adds (~50-100 us on one thread here): from about there up, a second thread
# took 0.53-0.71x the time on an idle machine (100x784x50, 128x128x512, 256x256x64, ...);
# at 1.0-2.7 M it took 0.9-1.3x. Under load `free_cores` keeps such a GEMM on one thread.
PARALLEL_WORK = 3 << 20
PARALLEL_OUTPUTS = 1 << 14  # a GEMM with a small output (a filter gradient) does not split well
LOAD_SAMPLE_S = 0.05  # how often the load is sampled (at most), while large ops run
SPIN_S = 0.2  # after a multi-threaded GEMM, the BLAS's workers spin for up to about this long

ENV_THREADS = "FLOWZERO_NUM_THREADS"
ENV_POLICY = "FLOWZERO_THREAD_POLICY"
_OFF = ("0", "false", "no", "off")

DONT_CARE = 0  # the op is left alone


# -- the GEMM behind each op: (op) -> (args -> (m·k·n, m·n)) ------------------------------------
def _prod(xs: Any) -> int:
    p = 1
    for x in xs:
        p *= int(x)
    return p


def _matmul(op: Any) -> Callable[[tuple[Any, ...]], tuple[int, int]]:
    ta = bool(op._opdef.attrs.get("transpose_a"))
    tb = bool(op._opdef.attrs.get("transpose_b"))

    def size(args: tuple[Any, ...]) -> tuple[int, int]:
        a, b = args[0].shape, args[1].shape
        k = a[-2] if ta else a[-1]
        n = b[-2] if tb else b[-1]
        rows = _prod(a) // k if k else 0  # batch x m
        return rows * k * n, rows * n

    return size


def _conv_strides(op: Any) -> int:
    return max(1, _prod(op._opdef.attrs.get("strides") or (1,)))


def _conv2d(op: Any) -> Callable[[tuple[Any, ...]], tuple[int, int]]:
    chan = 1 if op._opdef.attrs.get("data_format", "NHWC") == "NCHW" else -1
    stride = _conv_strides(op)

    def size(args: tuple[Any, ...]) -> tuple[int, int]:  # patches [pixels, kh kw c] @ w
        x, w = args[0].shape, args[1].shape
        pixels = _prod(x) // max(1, x[chan]) // stride
        return pixels * _prod(w), pixels * w[-1]

    return size


def _conv_input_grad(op: Any) -> Callable[[tuple[Any, ...]], tuple[int, int]]:
    chan = 1 if op._opdef.attrs.get("data_format", "NHWC") == "NCHW" else -1

    def size(args: tuple[Any, ...]) -> tuple[int, int]:  # dy [pixels, o] @ w.T
        w, dy = args[1].shape, args[2].shape
        pixels = _prod(dy) // max(1, dy[chan])
        return pixels * _prod(w), pixels * _prod(w[:3])

    return size


def _conv_filter_grad(op: Any) -> Callable[[tuple[Any, ...]], tuple[int, int]]:
    chan = 1 if op._opdef.attrs.get("data_format", "NHWC") == "NCHW" else -1
    static = op._outputs[0].shape.known
    fixed = _prod(static) if static is not None and None not in static else None

    def size(args: tuple[Any, ...]) -> tuple[int, int]:  # patches.T [kh kw c, pixels] @ dy
        dy = args[2].shape
        filt = fixed if fixed is not None else _prod(args[1])
        pixels = _prod(dy) // max(1, dy[chan])
        return pixels * filt, filt

    return size


def _lstm(op: Any) -> Callable[[tuple[Any, ...]], tuple[int, int]]:
    w_arg = 3 if op.type == "BlockLSTM" else 2

    def size(args: tuple[Any, ...]) -> tuple[int, int]:  # per time step: h [b, u] @ w_h [u, 4u]
        batch, gates = args[0].shape[1], args[w_arg].shape[1]
        units = gates // 4
        return batch * units * gates, batch * gates

    return size


def _lstm_cell(op: Any) -> Callable[[tuple[Any, ...]], tuple[int, int]]:
    def size(args: tuple[Any, ...]) -> tuple[int, int]:  # one step: [x, h] [b, d + u] @ w
        batch, (rows, gates) = args[0].shape[0], args[3].shape
        return batch * rows * gates, batch * gates

    return size


_GEMMS: dict[str, Callable[[Any], Callable[[tuple[Any, ...]], tuple[int, int]]]] = {
    "MatMul": _matmul,
    "Conv2D": _conv2d,
    "Conv2DBackpropInput": _conv_input_grad,
    "Conv2DBackpropFilter": _conv_filter_grad,
    "BlockLSTM": _lstm,
    "BlockLSTMGrad": _lstm,
    "LSTMBlockCell": _lstm_cell,  # the steps of a while-loop dynamic_rnn, static_rnn
    "LSTMBlockCellGrad": _lstm_cell,
}


def classify(work: int, outputs: int) -> int:
    """The rule: DONT_CARE (0), 1 (one thread), or -1 (as many as the cap and the load allow)."""
    if work < SMALL_WORK:
        return DONT_CARE
    if work >= PARALLEL_WORK and outputs >= PARALLEL_OUTPUTS:
        return -1
    return 1


class _Static:
    """An operand's static shape, standing in for its array when a plan is compiled."""

    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


# -- the BLAS libraries' entry points ---------------------------------------------------------
class _Blas:
    """set(n) / get() over every BLAS library loaded in the process, resolved once."""

    def __init__(self) -> None:
        self.setters: list[Any] = []
        self.getters: list[Any] = []
        try:
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
        except ImportError:
            return
        try:
            libs = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # noqa: BLE001 - an unusual process: run without the policy
            return
        for lib in libs:
            found = _entry_points(lib)
            if found is not None:
                self.setters.append(found[0])
                self.getters.append(found[1])

    def set(self, n: int) -> None:
        for f in self.setters:
            f(n)

    def get(self) -> int:
        return int(self.getters[0]()) if self.getters else 0


def _entry_points(lib: Any) -> tuple[Any, Any] | None:
    """ctypes set/get functions of one threadpoolctl library controller, or None."""
    dll = getattr(lib, "dynlib", None)
    api = getattr(lib, "internal_api", "")
    if dll is None:
        return None
    if api == "openblas":
        names = [
            (f"{p}openblas_set_num_threads{s}", f"{p}openblas_get_num_threads{s}")
            for p in ("", "scipy_")
            for s in ("", "64_")
        ]
    elif api == "mkl":
        names = [("MKL_Set_Num_Threads", "MKL_Get_Max_Threads")]
    elif api == "blis":
        names = [("bli_thread_set_num_threads", "bli_thread_get_num_threads")]
    else:
        return None
    for set_name, get_name in names:
        try:
            setter, getter = getattr(dll, set_name), getattr(dll, get_name)
        except AttributeError:
            continue
        setter.argtypes, setter.restype = [ctypes.c_int], None
        getter.argtypes, getter.restype = [], ctypes.c_int
        return setter, getter
    return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _runnable_others(ours: int) -> float:
    """Threads of other processes that want a CPU now (/proc/loadavg's running count, less
    our own), or the 1-minute load average less our own where there is no /proc."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        try:
            return max(0.0, os.getloadavg()[0] - ours)
        except OSError:
            return 0.0
    return float(max(0, running - ours))


class _State:
    """The process-wide switch: who runs, what the BLAS was set to outside, what it is now."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.outermost = 0  # how many runs began with no run around them (they may be bodies)
        self.outside = 0  # the BLAS's thread count when the outermost run began
        self.current = 0  # what it is set to now (inside runs)
        self.blas: _Blas | None = None
        self.cores = _cores()
        self.others = 0.0  # smoothed count of other processes' runnable threads
        self.sampled_at = -1.0
        self.parallel_at = -1.0  # when we last ran a multi-threaded GEMM
        self.sample: Callable[[int], float] = _runnable_others


state = _state = _State()


def free_cores() -> int:
    """Cores that other processes leave free, us included (at least 1); sampled at most every
    LOAD_SAMPLE_S and smoothed, since one sample of a shared machine is noisy."""
    st = _state
    now = time.monotonic()
    if now - st.sampled_at >= LOAD_SAMPLE_S:
        ours = 1 + (st.current - 1 if st.current > 1 and now - st.parallel_at < SPIN_S else 0)
        seen = st.sample(ours)
        st.others = seen if st.sampled_at < 0 else 0.5 * (st.others + seen)
        st.sampled_at = now
    # NOTE: a quarter of a thread's worth of doubt goes to "busy": a spinning BLAS thread that
    # loses its core cost a whole step 15-30x here, an idle core left unused at most 2x on a
    # large GEMM.
    return max(1, math.floor(st.cores + 0.25 - st.others))


class ThreadPolicy:
    """One Session's thread settings (its ConfigProto and the environment at creation)."""

    def __init__(self, config: Any = None) -> None:
        self.enabled = os.environ.get(ENV_POLICY, "1").strip().lower() not in _OFF
        intra = _config_threads(config, "intra_op_parallelism_threads")
        _config_threads(config, "inter_op_parallelism_threads")  # checked; ops run one by one
        env = os.environ.get(ENV_THREADS, "").strip()
        self.cap = intra if intra > 0 else _env_threads(env)  # 0: the BLAS's count at entry

    def wrap(self, fn: Callable[..., Any], ops: list[Any], inputs: list[Any]) -> Any:
        """`fn` (a plan step computing `ops`, the first of which does the GEMM, from tensors
        `inputs`), switching the BLAS threads first where the rule says so; else `fn`."""
        if not self.enabled:
            return fn
        make = _GEMMS.get(ops[0].type)
        if make is None:
            return fn
        size = make(ops[0])
        dims = [t.shape.known for t in inputs]
        if all(d is not None and None not in d for d in dims):
            try:
                kind = classify(*size(tuple(_Static(d) for d in dims)))  # type: ignore[arg-type]
            except (TypeError, IndexError, ZeroDivisionError):
                kind = None
            if kind == DONT_CARE:
                return fn
            if kind == 1:
                return _fixed_one(fn)
        return _sized(fn, size, self.cap)


def _config_threads(config: Any, name: str) -> int:
    v = getattr(config, name, 0) if config is not None else 0
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"ConfigProto.{name} must be an int; got {v!r} ({type(v).__name__}).")
    return v


def _env_threads(text: str) -> int:
    if not text:
        return 0
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        warnings.warn(
            f"{ENV_THREADS}={text!r} is not a thread count (an integer >= 0); ignored.",
            RuntimeWarning,
            stacklevel=4,
        )
        return 0
    return n


def _switch(n: int) -> None:
    st = _state
    if st.blas is not None and st.depth:
        st.blas.set(n)
        st.current = n


def _fixed_one(fn: Callable[..., Any]) -> Callable[..., Any]:
    st = _state

    def step(*args: Any) -> Any:
        if st.current != 1:
            _switch(1)
        return fn(*args)

    return step


def _sized(
    fn: Callable[..., Any], size: Callable[[tuple[Any, ...]], tuple[int, int]], cap: int
) -> Callable[..., Any]:
    st = _state

    def step(*args: Any) -> Any:
        try:
            kind = classify(*size(args))
        except (AttributeError, TypeError, IndexError, ZeroDivisionError):
            kind = DONT_CARE  # operands the kernel will reject: it raises the real error
        if kind == -1:
            n = min(cap or st.outside, free_cores())
            if n > 1:
                st.parallel_at = time.monotonic()
        else:
            n = kind
        if n and n != st.current:
            _switch(max(1, n))
        return fn(*args)

    return step


def enter() -> None:
    """A run that may switch threads begins: the outermost one records the BLAS's count."""
    st = _state
    with st.lock:
        if st.depth == 0:
            st.outermost += 1
            if st.blas is None:
                st.blas = _Blas()
            st.outside = st.current = st.blas.get()
        st.depth += 1


def leave() -> None:
    """A run ends (normally or not): the outermost one puts the BLAS's count back."""
    st = _state
    with st.lock:
        st.depth -= 1
        if st.depth == 0 and st.current != st.outside and st.blas is not None:
            st.blas.set(st.outside)
            st.current = st.outside
