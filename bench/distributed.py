"""Data-parallel scaling of the book's SimpleConvNet: 1 process vs N MPI ranks on this machine.

    python bench/distributed.py                  # 1 vs 2 ranks, 3 interleaved rounds
    python bench/distributed.py --ranks 1,2,4 --steps 40 --rounds 5 --out results.json

For every configuration the orchestrator launches this file again as a worker (plain `python`
for 1 rank, `mpirun -np N` otherwise), one BLAS thread per rank, configurations interleaved
within each round, and reports medians over rounds:

- weak scaling: every rank keeps a batch of --batch samples (the global batch grows with N);
  efficiency = samples/s with N ranks / (N x samples/s with 1 rank);
- strong scaling: the global batch stays --batch (each rank --batch / N);
- allreduce per step: seconds inside the fused gradient allreduce per training step, as
  `flowzero.distributed.collective_stats()` counts them on rank 0 (this includes waiting for
  the slower rank), and the same buffer allreduced alone after a barrier (pure transfer cost).

Not a test: the numbers depend on the machine and on whatever else runs on it (the load
average before and after each round is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- the worker: runs on every rank -------------------------------------------------------------
def worker(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    import flowzero as tf
    import flowzero.distributed as dist
    from flowzero.datasets import mnist
    from flowzero.models import SimpleConvNet

    dist.init()
    n, r = dist.size(), dist.rank()
    batch = args.batch if args.scaling == "weak" else args.batch // n
    (x, t), _ = mnist.load_mnist(normalize=True, flatten=False, source="subset")
    x = x.reshape(-1, 28, 28, 1).astype(np.float32)
    t = t.astype(np.int32)
    net = SimpleConvNet(seed=r)  # different per rank: the broadcast makes them equal
    opt = dist.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.01 * n))
    train_op = opt.minimize(net.loss)
    bcast = dist.broadcast_global_variables(0)
    n_params = sum(int(np.prod(v.shape.as_list())) for v in tf.trainable_variables())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(bcast)

        def batches() -> Any:
            epoch = 0
            while True:
                yield from dist.iterate_shard(x, t, batch, epoch, seed=0)
                epoch += 1

        it = batches()
        for _ in range(args.warmup):
            xb, tb = next(it)
            sess.run(train_op, {net.x: xb, net.t: tb})
        dist.barrier()
        dist.collective_stats(reset=True)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.steps):
            xb, tb = next(it)
            sess.run(train_op, {net.x: xb, net.t: tb})
        cpu = time.process_time() - c0  # this rank's CPU time (MPI's busy-waiting included)
        dist.barrier()
        seconds = time.perf_counter() - t0
        cpu_all = dist.average_metrics(cpu) * n  # summed over ranks
        stats = dist.collective_stats(reset=True)
        # The same buffer alone, every rank arriving together: the transfer cost.
        buf = np.ones(n_params, np.float32)
        alone, check_alone = [], []
        for _ in range(args.steps):
            dist.barrier()
            s0 = time.perf_counter()
            dist.comm.agree("bench", (n_params, 1, 2))
            s1 = time.perf_counter()
            dist.comm.allreduce_inplace(buf, average=True)
            alone.append(time.perf_counter() - s1)
            check_alone.append(s1 - s0)
        final = sess.run(net.params["W3"])
    # Every rank must hold the same weights: the spread across ranks of their sum.
    total = float(np.sum(final, dtype=np.float64))
    spread = dist.average_metrics(abs(total - dist.average_metrics(total)))
    ar = stats.get("allreduce", {"seconds": 0.0, "calls": 0})
    chk = stats.get("check", {"seconds": 0.0, "calls": 0})
    return {
        "ranks": n,
        "batch_per_rank": batch,
        "global_batch": batch * n,
        "steps": args.steps,
        "seconds": seconds,
        "steps_per_s": args.steps / seconds,
        "samples_per_s": args.steps * batch * n / seconds,
        "cpu_ms_per_sample": 1e3 * cpu_all / (args.steps * batch * n),
        "allreduce_ms_per_step": 1e3 * ar["seconds"] / args.steps,
        "shape_check_ms_per_step": 1e3 * chk["seconds"] / args.steps,
        "allreduce_alone_ms": 1e3 * statistics.median(alone) if n > 1 else 0.0,
        "check_alone_ms": 1e3 * statistics.median(check_alone) if n > 1 else 0.0,
        "gradient_mb": n_params * 4 / 1e6,
        "params": n_params,
        "weights_spread": spread,
    }


def allreduce_sizes(args: argparse.Namespace) -> dict[str, Any]:
    """Median ms of one float32 allreduce of each size: mpi4py's blocking Allreduce alone, the
    same through flowzero (watchdog + stats), and non-blocking Iallreduce polled with Test (the
    design flowzero did not take: measured slower here)."""
    import numpy as np

    import flowzero.distributed as dist

    dist.init()
    comm, mpi = dist.comm._state.comm, dist.comm._state.mpi
    out: dict[str, Any] = {}
    for mb in (float(x) for x in args.sizes.split(",")):
        buf = np.ones(int(mb * 1e6 / 4), np.float32)
        reps = max(5, min(50, int(200 / max(mb, 1))))
        res: dict[str, list[float]] = {"mpi4py_blocking": [], "flowzero": [], "iallreduce_test": []}
        kinds = list(res)
        for rep in range(reps):
            # Rotate the order: the call right after an Iallreduce was measured slower.
            for kind in kinds[rep % 3 :] + kinds[: rep % 3]:
                comm.Barrier()
                t0 = time.perf_counter()
                if kind == "mpi4py_blocking":
                    comm.Allreduce(mpi.IN_PLACE, buf, op=mpi.SUM)
                elif kind == "flowzero":
                    dist.comm.allreduce_inplace(buf, average=False)
                else:
                    req = comm.Iallreduce(mpi.IN_PLACE, buf, op=mpi.SUM)
                    while not req.Test():
                        pass
                res[kind].append(time.perf_counter() - t0)
                buf.fill(1.0)
        out[f"{mb:g}"] = {k: 1e3 * statistics.median(v) for k, v in res.items()}
    return out


# -- the orchestrator ----------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OMPI_", "PMI_", "PMIX_", "FLOWZERO_MPI"))
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")]))
    return env


def _launch(ranks: int, args: argparse.Namespace, scaling: str) -> dict[str, Any]:
    me = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        "--scaling",
        scaling,
        "--batch",
        str(args.batch),
        "--steps",
        str(args.steps),
        "--warmup",
        str(args.warmup),
    ]
    if ranks == 1:
        cmd = me
    else:
        mpirun = shutil.which("mpirun")
        if mpirun is None:
            raise SystemExit("mpirun not found: apt-get install -y openmpi-bin libopenmpi-dev")
        cmd = [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), *me]
    res = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=1800)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode != 0 or not lines:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout[-2000:]}"
            f"\n{res.stderr[-2000:]}"
        )
    return json.loads(lines[0][len("RESULT ") :])


def _microbench(args: argparse.Namespace) -> dict[str, Any]:
    mpirun = shutil.which("mpirun") or "mpirun"
    cmd = [
        mpirun,
        "--allow-run-as-root",
        "--oversubscribe",
        "-np",
        "2",
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        "--microbench",
        "--sizes",
        args.sizes,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=1800)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode != 0 or not lines:
        raise SystemExit(f"allreduce microbenchmark failed:\n{res.stdout[-2000:]}")
    return json.loads(lines[0][len("RESULT ") :])


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def orchestrate(args: argparse.Namespace) -> dict[str, Any]:
    ranks = [int(x) for x in args.ranks.split(",")]
    runs: dict[str, list[dict[str, Any]]] = {}
    loads = []
    for rnd in range(args.rounds):
        order = ranks[rnd % len(ranks) :] + ranks[: rnd % len(ranks)]
        for scaling in args.scalings.split(","):
            for n in order:
                before = _load()
                res = _launch(n, args, scaling)
                res["load_before"], res["load_after"] = before, _load()
                loads.append(before)
                runs.setdefault(f"{scaling}-{n}", []).append(res)
                print(
                    f"round {rnd + 1} {scaling:6s} ranks={n}: {res['steps_per_s']:.2f} "
                    f"steps/s, {res['samples_per_s']:.0f} samples/s, allreduce "
                    f"{res['allreduce_ms_per_step']:.2f} ms/step (alone "
                    f"{res['allreduce_alone_ms']:.2f} ms), load {before}",
                    flush=True,
                )
    summary = {}
    for key, rs in runs.items():
        med = {
            k: statistics.median(r[k] for r in rs)
            for k in (
                "steps_per_s",
                "samples_per_s",
                "cpu_ms_per_sample",
                "allreduce_ms_per_step",
                "shape_check_ms_per_step",
                "allreduce_alone_ms",
                "check_alone_ms",
            )
        }
        med.update(
            ranks=rs[0]["ranks"],
            batch_per_rank=rs[0]["batch_per_rank"],
            gradient_mb=rs[0]["gradient_mb"],
            samples_per_s_range=[
                min(r["samples_per_s"] for r in rs),
                max(r["samples_per_s"] for r in rs),
            ],
        )
        summary[key] = med
    for scaling in args.scalings.split(","):
        base = summary.get(f"{scaling}-1")
        for n in ranks:
            s = summary.get(f"{scaling}-{n}")
            if base and s:
                s["efficiency"] = s["samples_per_s"] / (n * base["samples_per_s"])
                s["speedup"] = s["samples_per_s"] / base["samples_per_s"]
    return {
        "cpus": os.cpu_count(),
        "runs": runs,
        "summary": summary,
        "load_min_max": [min(x[0] for x in loads), max(x[0] for x in loads)],
        "settings": vars(args),
    }


def table(result: dict[str, Any]) -> str:
    rows = [
        "| scaling | ranks | batch/rank | steps/s | samples/s (min-max) | speedup | "
        "efficiency | CPU ms/sample | in collectives, ms/step (allreduce + check) | "
        "transfer alone, ms (allreduce + check) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, s in result["summary"].items():
        scaling = key.split("-")[0]
        lo, hi = s["samples_per_s_range"]
        rows.append(
            f"| {scaling} | {s['ranks']} | {s['batch_per_rank']} | "
            f"{s['steps_per_s']:.2f} | {s['samples_per_s']:.0f} ({lo:.0f}-{hi:.0f}) | "
            f"{s.get('speedup', 1.0):.2f}x | {100 * s.get('efficiency', 1.0):.0f}% | "
            f"{s['cpu_ms_per_sample']:.3f} | "
            f"{s['allreduce_ms_per_step'] + s['shape_check_ms_per_step']:.2f} "
            f"({s['allreduce_ms_per_step']:.2f} + {s['shape_check_ms_per_step']:.2f}) | "
            f"{s['allreduce_alone_ms'] + s['check_alone_ms']:.2f} "
            f"({s['allreduce_alone_ms']:.2f} + {s['check_alone_ms']:.3f}) |"
        )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ranks", default="1,2", help="comma-separated rank counts (default 1,2)")
    ap.add_argument("--batch", type=int, default=100, help="batch per rank (weak) / global")
    ap.add_argument("--steps", type=int, default=30, help="timed steps per run")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scalings", default="weak,strong")
    ap.add_argument("--scaling", default="weak", help=argparse.SUPPRESS)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument(
        "--sizes",
        default="0.1,1,1.7,10,40",
        help="MB of the allreduce microbenchmark (2 ranks); '' skips it",
    )
    ap.add_argument("--microbench", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help="write the full results as JSON here")
    args = ap.parse_args()
    if args.worker:
        res = allreduce_sizes(args) if args.microbench else worker(args)
        import flowzero.distributed as dist

        if dist.is_root():
            print("RESULT " + json.dumps(res), flush=True)
        return
    result = (
        orchestrate(args)
        if args.rounds
        else {"summary": {}, "load_min_max": [0, 0], "cpus": os.cpu_count()}
    )
    if args.sizes:
        before = _load()
        result["allreduce_ms"] = _microbench(args)
        result["allreduce_load"] = [before, _load()]
    print()
    print(table(result))
    if args.sizes:
        print("\n| MB | mpi4py Allreduce ms | flowzero allreduce ms | Iallreduce + Test ms |")
        print("|---|---|---|---|")
        for mb, r in result["allreduce_ms"].items():
            print(
                f"| {mb} | {r['mpi4py_blocking']:.3f} | {r['flowzero']:.3f} | "
                f"{r['iallreduce_test']:.3f} |"
            )
    print(
        f"\ncpus: {result['cpus']}, load average (1 min) during the runs: "
        f"{result['load_min_max'][0]}-{result['load_min_max'][1]}"
        + (f"; around the allreduce sizes: {result['allreduce_load']}" if args.sizes else "")
    )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
