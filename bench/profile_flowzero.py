"""Where flowzero's time goes in a workload: per-op-type kernel time and the engine's overhead.

    python -m bench.profile_flowzero [W1|W2|W3] [--case h50_b100] [--steps 300] [--cprofile]

Runs the workload's graph through the flowzero peer (same data, weights and threads as the
harness), times `sess.run` as the harness does, then replays the session's cached Plan step by
step with a timer around every kernel and sums by op type. Engine overhead per step = the
`sess.run` time minus the kernels' time. Reads flowzero's private Plan layout
(`sess._plans[key][0].steps` / `.ops`); if that changes, only the per-op table is skipped.
"""

from __future__ import annotations

import os

for _k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_k, "2")

import argparse  # noqa: E402 - the thread env must be set before NumPy loads
import cProfile  # noqa: E402
import pstats  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from typing import Any  # noqa: E402

from bench.common import LR_ADAM, LR_SGD, W2_CASES, W3_CASES  # noqa: E402
from bench.data import Data, prepare  # noqa: E402


def _replay(plan: Any, feed_values: list[Any], reps: int) -> dict[tuple[str, str], list[float]]:
    """Runs the plan's steps like Plan.run, timing each kernel; returns (type, name) -> [s]."""
    from flowzero.runtime import threads

    per: dict[tuple[str, str], list[float]] = defaultdict(list)
    now = time.perf_counter
    for _ in range(reps):
        # as Session.run: the thread policy switches the BLAS only between enter and leave
        # (without them every GEMM would run on the BLAS's default count)
        threads.enter()
        try:
            _replay_once(plan, feed_values, per, now)
        finally:
            threads.leave()
    return per


def _replay_once(
    plan: Any, feed_values: list[Any], per: dict[tuple[str, str], list[float]], now: Any
) -> None:
    vals: list[Any] = [None] * plan.nslots
    for s, v in zip(plan.feed_slots, feed_values):
        vals[s] = v
    labels = getattr(plan, "labels", None) or [op.type for op in plan.ops]
    for (fn, ins, out, frees), op, label in zip(plan.steps, plan.ops, labels):
        args = [vals[j] for j in ins]
        t0 = now()
        r = fn(*args)
        dt = now() - t0
        if out is not None:
            if out.__class__ is int:
                vals[out] = r
            else:
                for s, v in zip(out, r):
                    vals[s] = v
        for s in frees:
            vals[s] = None
        per[(label, op.name)].append(dt)


def _table(per: dict[tuple[str, str], list[float]], reps: int, step_s: float) -> str:
    by_type: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for (typ, _), ts in per.items():
        by_type[typ] += sum(ts) / reps
        count[typ] += 1
    kern = sum(by_type.values())
    lines = [
        f"  sess.run step            {step_s * 1e3:9.3f} ms",
        f"  kernels (sum)            {kern * 1e3:9.3f} ms  ({len(per)} ops/step)",
        f"  engine overhead          {(step_s - kern) * 1e3:9.3f} ms  "
        f"({(step_s - kern) / step_s:.0%} of the step; "
        f"{(step_s - kern) / max(len(per), 1) * 1e6:.2f} µs per op)",
        "  by op type (ms/step, share of kernel time, ops):",
    ]
    for typ, t in sorted(by_type.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {typ:34s} {t * 1e3:8.3f}  {t / kern:5.1%}  x{count[typ]}")
    top = sorted(per.items(), key=lambda kv: -sum(kv[1]))[:8]
    lines.append("  slowest single ops (ms/step):")
    for (typ, name), ts in top:
        lines.append(f"    {sum(ts) / reps * 1e3:8.3f}  {typ:24s} {name}")
    return "\n".join(lines)


def profile_model(model: Any, batch: Any, steps: int, use_cprofile: bool) -> None:
    for _ in range(5):
        model.step(batch)
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step(batch)
    step_s = (time.perf_counter() - t0) / steps
    try:
        sess = model.sess
        key = next(k for k, e in sess._plans.items() if model.train_op in e[2])
        plan = sess._plans[key][0]
        feed_values = [batch[t] for t in plan.feeds]
        per = _replay(plan, feed_values, steps)
        print(_table(per, steps, step_s))
    except Exception as e:  # noqa: BLE001 - flowzero's internals moved; say so
        print(f"  sess.run step {step_s * 1e3:.3f} ms; per-op breakdown unavailable: {e!r}")
    if use_cprofile:
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(steps):
            model.step(batch)
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(12)


def profile_w1(steps: int) -> None:
    from bench.peers import flowzero_peer

    for kind in ("matmul", "feed"):
        fn = flowzero_peer.w1(kind)
        for _ in range(1000):
            fn()
        n = max(steps * 100, 10000)
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        print(f"W1 {kind}: {(time.perf_counter() - t0) / n * 1e6:.2f} µs per sess.run")
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(n):
            fn()
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_flowzero")
    ap.add_argument("workload", choices=["W1", "W2", "W3"])
    ap.add_argument("--case", default=None, help="one case (default: all of the workload)")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--cprofile", action="store_true", help="also print cProfile's top 12")
    a = ap.parse_args(argv)
    if a.workload == "W1":
        profile_w1(a.steps)
        return 0
    from bench.peers import flowzero_peer

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "data.npz")
        prepare(path)
        data = Data(path)
        if a.workload == "W2":
            for case, (hidden, bsz) in W2_CASES.items():
                if a.case and case != a.case:
                    continue
                print(f"W2 {case}")
                model = flowzero_peer.TwoLayer(data.two_layer_weights(hidden), LR_SGD)
                profile_model(model, model.prepare(*data.batch(bsz, 0)), a.steps, a.cprofile)
        else:
            for case, opt in W3_CASES.items():
                if a.case and case != a.case:
                    continue
                print(f"W3 {case}")
                model = flowzero_peer.Conv(
                    data.conv_weights(), opt, LR_SGD if opt == "sgd" else LR_ADAM
                )
                batch = model.prepare(*data.batch(100, 0, images=True))
                profile_model(model, batch, max(a.steps // 10, 5), a.cprofile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
