"""One fresh process = one workload x one peer: `python -m bench.worker SPEC.json`.

SPEC (written by bench.cli): {"peer", "workload", "data", "out", "settings": {...}} or
{"peer", "info": true, "out"}. The result goes to SPEC["out"] as JSON (atomically); stdout and
stderr are left to the frameworks' chatter. Exit status 0 unless the harness itself broke.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.common import (
    IMPORT_MODULE,
    LR_ADAM,
    LR_SGD,
    PEER_MODULE,
    THREADS,
    USER_ENV_WORKLOADS,
    W2_CASES,
    W3_CASES,
    W3_RSS_SECONDS,
    W3_RSS_STEPS,
    W4_BATCH,
    W4_EPOCHS,
    W6_STEPS,
    W7_BATCH,
    W7_CHECK_STEPS,
    W7_RSS_STEPS,
    W8_LOADS,
    W8_NETS,
    W8_VARIANTS,
    W10_MB,
    W10_REPEAT,
    W10_VARS,
    WORKLOAD_ENV,
    Settings,
    write_json_atomic,
)

now = time.perf_counter


def vm_hwm_mb() -> float | None:
    """Peak resident set of this process so far (VmHWM), in MB (10^6 bytes)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return None


def time_windows(
    fn: Callable[[], Any], sync: Callable[[], Any], st: Settings, min_warmup: int = 3
) -> tuple[list[float], int]:
    """Warm up, calibrate calls per window to ~window_s, then time `windows` windows.

    Returns (seconds per call for each window, calls per window).
    """
    t0, n = now(), 0
    while n < (1 if st.smoke else min_warmup) or now() - t0 < st.warmup_s:
        fn()
        n += 1
    sync()
    k = 1
    while True:  # calibration: double until a batch takes a tenth of a window
        t0 = now()
        for _ in range(k):
            fn()
        sync()
        dt = now() - t0
        if st.smoke or dt >= st.window_s / 10 or k >= 1 << 24:
            break
        k *= 2
    per_window = max(1, int(round(st.window_s / max(dt / k, 1e-9))))
    samples = []
    for _ in range(st.windows):
        t0 = now()
        for _ in range(per_window):
            fn()
        sync()
        samples.append((now() - t0) / per_window)
    return samples, per_window


def _stepper(model: Any, batches: list[Any]) -> Callable[[], None]:
    it = [0]
    nb = len(batches)

    def fn() -> None:
        model.step(batches[it[0] % nb])
        it[0] += 1

    return fn


def run_w1(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    out = {}
    for kind in ("matmul", "feed_mul"):
        fn = peer.w1("matmul" if kind == "matmul" else "feed")
        samples, n = time_windows(fn, lambda: None, st)
        out[kind] = {
            "metrics": {"call": [s * 1e6 for s in samples]},
            "extra": {"calls_per_window": n},
        }
    return out


def run_w9(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    out = {}
    for kind in ("matmul", "mul"):
        samples, n = time_windows(peer.w9(kind), lambda: None, st)
        out[kind] = {
            "metrics": {"call": [s * 1e6 for s in samples]},
            "extra": {"calls_per_window": n},
        }
    return out


def run_w11(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    hidden, bsz = W2_CASES["h50_b100"]
    batches = [data.batch(bsz, i) for i in range(10)]
    x = np.concatenate([b[0] for b in batches])
    t = np.concatenate([b[1] for b in batches])
    out = {}
    for kind in ("feed", "dataset"):
        step, loss0 = peer.w11(data.two_layer_weights(hidden), LR_SGD, x, t, bsz, kind)
        samples, n = time_windows(step, lambda: None, st)
        out[kind] = {
            "metrics": {"step": [s * 1e3 for s in samples]},
            "extra": {"loss0": loss0, "steps_per_window": n},
        }
    return out


def run_w2(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    out = {}
    for case, (hidden, bsz) in W2_CASES.items():
        model = peer.TwoLayer(data.two_layer_weights(hidden), LR_SGD)
        batches = [model.prepare(*data.batch(bsz, i)) for i in range(10)]
        loss0 = model.loss(batches[0])
        samples, n = time_windows(_stepper(model, batches), model.sync, st)
        out[case] = {
            "metrics": {"step": [s * 1e3 for s in samples]},
            "extra": {
                "loss0": loss0,
                "steps_per_window": n,
                "steps_per_s": 1.0 / sorted(samples)[len(samples) // 2],
            },
        }
    return out


class _Counted:
    """A step function that counts its calls."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self) -> None:
        self.calls += 1
        self.fn()


def run_w3(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    out = {}
    for case, opt in W3_CASES.items():
        model = peer.Conv(data.conv_weights(), opt, LR_SGD if opt == "sgd" else LR_ADAM)
        batches = [
            model.prepare(*data.batch(100, i, images=True)) for i in range(2 if st.smoke else 10)
        ]
        loss0 = model.loss(batches[0])
        stepper = _Counted(_stepper(model, batches))
        samples, n = time_windows(stepper, model.sync, st, min_warmup=2)
        out[case] = {
            "metrics": {"step": [s * 1e3 for s in samples]},
            "extra": {
                "loss0": loss0,
                "steps_per_window": n,
                "steps_per_s": 1.0 / sorted(samples)[len(samples) // 2],
            },
        }
    # The memory target: the process's peak RSS after W3_RSS_STEPS steps of the last case
    # (Adam, whose slots make it the larger), the timed ones included; a slow peer stops after
    # W3_RSS_SECONDS more and says how many steps it reached.
    t0 = now()
    limit = 0.5 if st.smoke else W3_RSS_SECONDS
    while stepper.calls < W3_RSS_STEPS and now() - t0 < limit:
        stepper()
    model.sync()
    out["2000steps"] = {"metrics": {"peak_rss": [vm_hwm_mb()]}, "extra": {"steps": stepper.calls}}
    return out


def run_w4(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    """20 epochs over the training subset in the run's fixed shuffles; build time excluded."""
    xtr, ttr, perms = data["x_train"], data["t_train"], data["w4_perms"]
    epochs = 1 if st.smoke else W4_EPOCHS
    steps = 2 if st.smoke else len(xtr) // W4_BATCH
    model = peer.TwoLayer(data.two_layer_weights(50), LR_SGD)
    loss0 = model.loss(model.prepare(xtr[:W4_BATCH], ttr[:W4_BATCH]))
    t0 = now()
    for ep in range(epochs):
        perm = perms[ep]
        for i in range(steps):
            idx = perm[i * W4_BATCH : (i + 1) * W4_BATCH]
            model.step(model.prepare(xtr[idx], ttr[idx]))
    model.sync()
    acc = model.accuracy(data["x_test"], data["t_test"])
    wall = now() - t0
    return {
        "20ep": {
            "metrics": {"wall": [wall], "test_acc": [acc]},
            "extra": {
                "loss0": loss0,
                "epochs": epochs,
                "steps": epochs * steps,
                "train_acc": model.accuracy(xtr, ttr),
            },
        }
    }


def run_w6(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    """2,000 W2 steps (h50 b100); the peak RSS is this process's VmHWM at the end."""
    model = peer.TwoLayer(data.two_layer_weights(50), LR_SGD)
    batches = [model.prepare(*data.batch(100, i)) for i in range(10)]
    steps = 20 if st.smoke else W6_STEPS
    t0 = now()
    for i in range(steps):
        model.step(batches[i % 10])
    model.sync()
    wall = now() - t0
    return {
        "2000steps": {
            "metrics": {"peak_rss": [vm_hwm_mb()]},
            "extra": {"steps": steps, "wall_s": wall, "final_loss": model.loss(batches[0])},
        }
    }


def run_w7(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    """The LSTM classifier, in one process: loss@0 and loss@3 (on batch 0, after steps on
    batches 0, 1, 2: the cross-peer check), then on to 500 steps and the process's VmHWM (as
    W6; data loading included), then the timed windows of single steps."""
    model = peer.LSTM(data.lstm_weights(), LR_ADAM)
    batches = [model.prepare(*data.batch(W7_BATCH, i)) for i in range(10)]
    loss0 = model.loss(batches[0])
    for i in range(W7_CHECK_STEPS):
        model.step(batches[i])
    loss3 = model.loss(batches[0])
    steps = W7_CHECK_STEPS + 2 if st.smoke else W7_RSS_STEPS
    t0 = now()
    for i in range(W7_CHECK_STEPS, steps):
        model.step(batches[i % 10])
    model.sync()
    wall = now() - t0
    rss = vm_hwm_mb()
    final = model.loss(batches[0])
    samples, n = time_windows(_stepper(model, batches), model.sync, st, min_warmup=2)
    return {
        "adam_b128": {
            "metrics": {"step": [s * 1e3 for s in samples]},
            "extra": {
                "loss0": loss0,
                "loss3": loss3,
                "steps_per_window": n,
                "steps_per_s": 1.0 / sorted(samples)[len(samples) // 2],
            },
        },
        "500steps": {
            "metrics": {"peak_rss": [rss]},
            "extra": {"steps": steps, "wall_s_after_check": wall, "final_loss": final},
        },
    }


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _load_now() -> dict[str, Any]:
    """The 1-minute load average and the threads running system-wide right now."""
    rec: dict[str, Any] = {"loadavg1": os.getloadavg()[0]}
    try:
        with open("/proc/loadavg") as f:
            rec["running"] = int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        pass
    return rec


def _busy_loops(n: int) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, "-c", "while True: pass"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def _w8_model(peer: Any, data: Any, net: str, env: dict[str, str]) -> Any:
    """A W2 (h50 b100) or W3 (SGD) model, built with `env` set (flowzero reads its thread
    settings when a Session is created)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        if net == "w2":
            return peer.TwoLayer(data.two_layer_weights(50), LR_SGD)
        return peer.Conv(data.conv_weights(), "sgd", LR_SGD)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_w8(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    """W2 and W3 steps with no thread settings, at three loads; this process starts the busy
    loops itself. flowzero's variants (pinned to one thread, policy off) are timed window by
    window in turn with its default, so that they share the same moments of the machine."""
    variants = W8_VARIANTS if peer.NAME == "flowzero" else {"": {}}
    cores = _cores()
    calib = dataclasses.replace(st, windows=0)
    out: dict[str, Any] = {}
    for net in W8_NETS:
        models = {v: _w8_model(peer, data, net, env) for v, env in variants.items()}
        images = net == "w3"
        batches = {
            v: [m.prepare(*data.batch(100, i, images=images)) for i in range(2 if st.smoke else 10)]
            for v, m in models.items()
        }
        for load, busy in W8_LOADS.items():
            n_busy = cores if busy < 0 else busy
            if st.smoke:  # the harness, not the load: smoke runs share CI machines
                n_busy = 0
            procs = _busy_loops(n_busy)
            try:
                if procs:
                    time.sleep(0.1 if st.smoke else 1.0)  # let them take their cores
                at_start = _load_now()
                fns = {v: _stepper(m, batches[v]) for v, m in models.items()}
                per_window = {
                    v: time_windows(fn, models[v].sync, calib, min_warmup=2)[1]
                    for v, fn in fns.items()
                }
                samples: dict[str, list[float]] = {v: [] for v in fns}
                cpu: dict[str, list[float]] = {v: [] for v in fns}  # all threads' CPU time
                order = list(fns)
                for w in range(st.windows):
                    # the variants' order rotates window by window: whichever runs right after
                    # "_all" may find its BLAS workers still spinning, so no variant always does
                    for v in order[w % len(order) :] + order[: w % len(order)]:
                        fn = fns[v]
                        t0, c0 = now(), time.process_time()
                        for _ in range(per_window[v]):
                            fn()
                        models[v].sync()
                        samples[v].append((now() - t0) / per_window[v] * 1e3)
                        cpu[v].append((time.process_time() - c0) / per_window[v] * 1e3)
                        if v == "_all":  # let the BLAS's spinning workers go to sleep first
                            time.sleep(0.0 if st.smoke else 0.2)
                at_end = _load_now()
            finally:
                for p in procs:
                    p.kill()
                for p in procs:
                    p.wait()
            for v in fns:
                out[f"{net}_{load}{v}"] = {
                    "metrics": {"step": samples[v]},
                    "extra": {
                        "busy_loops": n_busy,
                        "cores": cores,
                        "load_start": at_start,
                        "load_end": at_end,
                        "steps_per_window": per_window[v],
                        "cpu_ms_per_step": cpu[v],
                    },
                }
    return out


def _minor_faults() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def run_w10(peer: Any, data: Any, st: Settings) -> dict[str, Any]:
    """The peer writes W10_VARS variables (W10_MB MB) as its checkpoint and returns its restore;
    restore and np.fromfile of the data file are timed in turn, W10_REPEAT times, warm cache."""
    import tempfile

    import numpy as np

    make = getattr(peer, "w10_restore", None)
    if make is None:
        raise NotImplementedError(f"W10: no checkpoint restore for peer {peer.NAME}")
    mb = 8 if st.smoke else W10_MB
    n = int(mb * 1e6 / 4 / W10_VARS)
    rng = np.random.default_rng(0)
    values = {
        f"layer_{i}/kernel": rng.standard_normal((n // 1000, 1000), np.float32)
        for i in range(W10_VARS)
    }
    with tempfile.TemporaryDirectory() as d:
        restore, data_file = make(values, d)
        size = os.path.getsize(data_file)
        np.fromfile(data_file, np.uint8)  # warm the page cache
        restore()
        base, ours = [], []
        # The last fromfile result stays alive until the next read replaces it, as the
        # variables hold the last restore's values: both then allocate their 100 MB while the
        # previous 100 MB is still in use, and neither reuses the other's resident pages
        # (a result dropped at once let the next fromfile reuse freed, already-faulted memory:
        # 0 page faults against restore's ~400, measured).
        held = None
        faults: dict[str, list[int]] = {"fromfile": [], "restore": []}
        for _ in range(2 if st.smoke else W10_REPEAT):
            f0, t0 = _minor_faults(), now()
            held = np.fromfile(data_file, np.uint8)
            base.append(now() - t0)
            f1, t0 = _minor_faults(), now()
            restore()
            ours.append(now() - t0)
            faults["fromfile"].append(f1 - f0)
            faults["restore"].append(_minor_faults() - f1)
        del held
    pairs = sorted(o / b for o, b in zip(ours, base))
    extra = {
        "bytes": size,
        "ratio_of_best": min(ours) / min(base),
        "median_pair_ratio": pairs[len(pairs) // 2],
        "minor_faults": faults,  # per call: fresh pages each side had to fault in
    }
    return {
        "restore": {"metrics": {"load": [t * 1e3 for t in ours]}, "extra": extra},
        "fromfile": {"metrics": {"load": [t * 1e3 for t in base]}, "extra": extra},
    }


RUNNERS = {
    "W1": run_w1,
    "W2": run_w2,
    "W3": run_w3,
    "W4": run_w4,
    "W6": run_w6,
    "W7": run_w7,
    "W8": run_w8,
    "W9": run_w9,
    "W10": run_w10,
    "W11": run_w11,
}


def blas_info() -> Any:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return [
        {
            k: d.get(k)
            for k in (
                "user_api",
                "internal_api",
                "num_threads",
                "version",
                "architecture",
                "threading_layer",
                "prefix",
            )
        }
        for d in threadpool_info()
    ]


def main(argv: list[str]) -> int:
    with open(argv[0]) as f:
        spec = json.load(f)
    res: dict[str, Any] = {
        "peer": spec["peer"],
        "workload": spec.get("workload"),
        "pid": os.getpid(),
        "python": sys.executable,
        "python_version": sys.version.split()[0],
    }
    os.environ.update(WORKLOAD_ENV.get(spec.get("workload") or "", {}))
    t_start = now()
    try:
        peer = importlib.import_module(PEER_MODULE[spec["peer"]])
    except ImportError as e:
        # Only the framework's own absence is "not installed"; anything else is a failure.
        missing = (
            isinstance(e, ModuleNotFoundError)
            and e.name is not None
            and e.name.split(".")[0] == IMPORT_MODULE[spec["peer"]]
        )
        res.update(
            status="not installed" if missing else "error",
            error=f"{type(e).__name__}: {e}",
            traceback=traceback.format_exc()[-4000:],
        )
        write_json_atomic(spec["out"], res)
        return 0
    res["import_s"] = now() - t_start
    try:
        peer.setup(0 if spec.get("workload") in USER_ENV_WORKLOADS else THREADS)
        if spec.get("info"):
            res.update(status="ok", versions=peer.info(), blas=blas_info())
        else:
            from bench.data import Data

            st = Settings(**spec["settings"])
            res["cases"] = RUNNERS[spec["workload"]](peer, Data(spec["data"]), st)
            res["status"] = "ok"
            res["blas"] = blas_info()
    except Exception as e:  # noqa: BLE001 - reported in the results, never a crash
        res.update(
            status="error",
            error=f"{type(e).__name__}: {e}",
            traceback=traceback.format_exc()[-4000:],
        )
    res["vm_hwm_mb"] = vm_hwm_mb()
    res["wall_s"] = now() - t_start
    write_json_atomic(spec["out"], res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
