"""What the orchestrator and the workers agree on: workloads, cases, metrics, settings.

NumPy-free and flowzero-free on purpose: the orchestrator imports it before anything heavy.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

PEERS = ("flowzero", "tf1", "torch", "jax", "numpy")
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11")
THREADS = 2

# What `python -c "import X"` imports for W5, per peer.
IMPORT_MODULE = {
    "flowzero": "flowzero",
    "tf1": "tensorflow",
    "torch": "torch",
    "jax": "jax",
    "numpy": "numpy",
}
# The module that says whether a peer is installed (its worker code lives in bench.peers).
PEER_MODULE = {
    "flowzero": "bench.peers.flowzero_peer",
    "tf1": "bench.peers.tf1_peer",
    "torch": "bench.peers.torch_peer",
    "jax": "bench.peers.jax_peer",
    "numpy": "bench.peers.numpy_book",
}
# Environment a workload's worker sets before it imports its peer (hence any framework).
# W7: TF 2.16+ with Keras 3 has no tf.compat.v1.nn.rnn_cell.BasicLSTMCell; with
# TF_USE_LEGACY_KERAS=1 (and the tf_keras package) it comes from tf_keras. Only W7 gets it:
# tf_keras instead of keras 3 adds ~9 MB to a TF1 process's peak RSS, which W6 would count.
WORKLOAD_ENV: dict[str, dict[str, str]] = {"W7": {"TF_USE_LEGACY_KERAS": "1"}}
# Peers that run under the repo's own interpreter (same NumPy/BLAS as flowzero); the others run
# under --python-peers.
OWN_INTERPRETER = ("flowzero", "numpy")


@dataclass(frozen=True)
class Metric:
    """One reported number of a case: its unit and whether lower is better."""

    name: str
    unit: str
    lower_is_better: bool = True
    ratio: bool = True  # False: show the difference to flowzero instead of a ratio


STEP_MS = Metric("step", "ms")
CALL_US = Metric("call", "µs")
PEAK_RSS_MB = Metric("peak_rss", "MB")

# workload -> title, cases (name -> human label), metrics; optionally "case_metrics"
# (case -> metrics) where the cases of a workload do not all report the same metrics.
WORKLOAD_DEFS: dict[str, dict[str, Any]] = {
    "W1": {
        "title": "Session.run latency (tiny graph, cached plan)",
        "cases": {
            "matmul": "matmul([[3,3]],[[2],[2]]) fetched",
            "feed_mul": "mul(input1, input2) with feed_dict",
        },
        "metrics": [CALL_US],
    },
    "W2": {
        "title": "TwoLayerNet train step, SGD 0.1",
        "cases": {
            "h50_b100": "hidden 50, batch 100",
            "h100_b100": "hidden 100, batch 100",
            "h50_b1000": "hidden 50, batch 1000",
        },
        "metrics": [STEP_MS],
    },
    "W3": {
        "title": "SimpleConvNet train step, batch 100",
        "cases": {
            "sgd_b100": "SGD 0.1",
            "adam_b100": "Adam 1e-3",
            "2000steps": "peak RSS of the whole process after 2,000 Adam steps (or 40 s more)",
        },
        "metrics": [STEP_MS, PEAK_RSS_MB],
        "case_metrics": {
            "sgd_b100": [STEP_MS],
            "adam_b100": [STEP_MS],
            "2000steps": [PEAK_RSS_MB],
        },
    },
    "W4": {
        "title": "20 epochs of W2 (h50 b100) on the bundled subset",
        "cases": {"20ep": "wall time and final test accuracy"},
        "metrics": [Metric("wall", "s"), Metric("test_acc", "acc", False, ratio=False)],
    },
    "W5": {
        "title": "python -c 'import <framework>'",
        "cases": {"import": "fresh interpreter"},
        "metrics": [Metric("wall", "s"), Metric("peak_rss", "MB")],
    },
    "W6": {
        "title": "peak RSS of a 2,000-step W2 run (h50 b100)",
        "cases": {"2000steps": "whole process"},
        "metrics": [PEAK_RSS_MB],
    },
    "W7": {
        "title": "LSTM classifier train step (MNIST rows: 28 steps x 28, LSTM 128, dense 10, "
        "batch 128, Adam 1e-3)",
        "cases": {
            "adam_b128": "one train step",
            "500steps": "peak RSS of the whole process after 500 steps",
        },
        "metrics": [STEP_MS, PEAK_RSS_MB],
        "case_metrics": {"adam_b128": [STEP_MS], "500steps": [PEAK_RSS_MB]},
    },
}


# W8: W2 (h50 b100) and W3 (SGD) as a user's script runs them (no thread settings anywhere), on
# the machine as it is, beside one busy loop, and beside one busy loop per core. flowzero also
# runs pinned to one thread and with its thread policy off (the BLAS's default: all cores).
W8_NETS = ("w2", "w3")
W8_LOADS = {"idle": 0, "busy1": 1, "busyall": -1}  # busy loops; -1: one per core
W8_VARIANTS = {
    "": {},
    "_1t": {"FLOWZERO_NUM_THREADS": "1"},
    "_all": {"FLOWZERO_THREAD_POLICY": "0"},
}  # flowzero only
W8_CASES = {
    f"{net}_{load}{v}": (net, load, v) for net in W8_NETS for load in W8_LOADS for v in W8_VARIANTS
}
WORKLOAD_DEFS["W8"] = {
    "title": "W2 h50 b100 / W3 SGD step in a user's script (no thread settings), idle, one busy "
    "loop, one busy loop per core; flowzero also pinned to 1 thread (_1t) and with its "
    "thread policy off (_all: the BLAS's default threads)",
    "cases": {c: f"{net} {load} {v[1:] or 'default'}" for c, (net, load, v) in W8_CASES.items()},
    "metrics": [STEP_MS],
}
WORKLOAD_DEFS["W9"] = {
    "title": "one eager op call on tiny operands (flowzero's tf.enable_eager_execution(), "
    "PyTorch, JAX without jit, NumPy; TF1 graph mode has no eager ops)",
    "cases": {
        "matmul": "matmul([[3,3]], [[2],[2]]), result kept",
        "mul": "multiply([7], [2]), result kept",
    },
    "metrics": [CALL_US],
}
# W10: restoring a checkpoint of a few large variables in each framework's own format, timed
# interleaved with `np.fromfile` of the same data file in the same process (the floor: the
# bytes read once, no checks). flowzero: Saver.restore of a V2 checkpoint, CRC-32C verified.
W10_MB = 100
W10_VARS = 4
W10_REPEAT = 9
LOAD_MS = Metric("load", "ms")
WORKLOAD_DEFS["W10"] = {
    "title": f"Saver.restore of a {W10_MB} MB checkpoint ({W10_VARS} float32 variables), and "
    "np.fromfile of its data file in the same process, interleaved",
    "cases": {
        "restore": "the framework's own restore (flowzero: V2 bundle, CRC-32C checked)",
        "fromfile": "np.fromfile of the same data file (no checks)",
    },
    "metrics": [LOAD_MS],
}
# W11: W2's network (h50 b100, SGD 0.1) fed two ways: feed_dict of numpy batches, and a
# tf.data pipeline (from_tensor_slices over the same samples, batch, repeat) whose get_next
# is the network's input. The same ten batches either way.
WORKLOAD_DEFS["W11"] = {
    "title": "W2 (h50 b100) train step: feed_dict vs tf.data get_next (from_tensor_slices, "
    "batch, repeat) over the same 1,000 samples",
    "cases": {"feed": "sess.run(train_op, feed_dict)", "dataset": "sess.run(train_op), get_next"},
    "metrics": [STEP_MS],
}
# Workloads whose children get the user's environment (user_env) instead of thread_env, and
# whose peers keep their own thread defaults (setup(0)).
USER_ENV_WORKLOADS = ("W8",)
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "XLA_FLAGS",
    "FLOWZERO_NUM_THREADS",
    "FLOWZERO_THREAD_POLICY",
)


def case_metrics(wd: dict[str, Any], case: str) -> list[Metric]:
    """The metrics a case of a workload reports (all of the workload's unless it says)."""
    return wd.get("case_metrics", {}).get(case, wd["metrics"])


W2_CASES = {"h50_b100": (50, 100), "h100_b100": (100, 100), "h50_b1000": (50, 1000)}
W3_CASES = {"sgd_b100": "sgd", "adam_b100": "adam"}
LR_SGD = 0.1
LR_ADAM = 1e-3
W4_EPOCHS = 20
W4_BATCH = 100
W6_STEPS = 2000
W3_RSS_STEPS = 2000  # W3's peak RSS is taken after this many steps of its Adam case
W3_RSS_SECONDS = 40.0  # ... or this long after its windows, for a slow peer
# W7: MNIST digits as 28 rows (time steps) of 28 pixels through one LSTM layer
W7_DEPTH, W7_HIDDEN, W7_BATCH = 28, 128, 128
W7_FORGET_BIAS = 1.0  # BasicLSTMCell's default, added to the f gate's pre-activation
W7_CHECK_STEPS = 3  # loss3: the loss on batch 0 after this many steps (cross-peer check)
W7_RSS_STEPS = 500


@dataclass
class Settings:
    """Timing knobs, handed to every worker."""

    warmup_s: float = 1.0
    window_s: float = 0.5
    windows: int = 5
    import_reps: int = 3  # W5 imports per peer per round
    smoke: bool = False

    @classmethod
    def for_smoke(cls) -> Settings:
        return cls(warmup_s=0.0, window_s=0.0, windows=2, import_reps=1, smoke=True)


def thread_env(base: dict[str, str] | None = None, threads: int = THREADS) -> dict[str, str]:
    """The environment every child runs with: the same thread count for every library."""
    env = dict(os.environ if base is None else base)
    n = str(threads)
    env.update(
        {
            "OMP_NUM_THREADS": n,
            "OPENBLAS_NUM_THREADS": n,
            "MKL_NUM_THREADS": n,
            "BLIS_NUM_THREADS": n,
            "VECLIB_MAXIMUM_THREADS": n,
            "NUMEXPR_NUM_THREADS": n,
            "TF_NUM_INTRAOP_THREADS": n,
            "TF_NUM_INTEROP_THREADS": n,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "XLA_FLAGS": (
                env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=true "
                f"intra_op_parallelism_threads={n}"
            ).strip(),
            "JAX_PLATFORMS": "cpu",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }
    )
    return env


def user_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a user's script: no thread settings for any library."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in THREAD_VARS}
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "JAX_PLATFORMS": "cpu",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }
    )
    return env


def write_json_atomic(path: str, obj: Any) -> None:
    """Writes JSON to a temp file beside `path`, fsyncs, then renames over `path`."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json.tmp", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, sort_keys=False, default=_jsonable)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _jsonable(o: Any) -> Any:
    if hasattr(o, "item"):  # NumPy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return float("nan")
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
