"""Per-call CPU time of small eager ops: flowzero (this tree, and optionally another one) and
PyTorch, each in a long-lived worker, the workers alternated round by round.

W9 (`python -m bench run --workloads W9`) times wall-clock windows, which a busy machine
stretches by whatever share of a core the process gets. CPU time (`time.process_time`, all the
process's threads) charges a process only while it runs, so A/B comparisons stay readable on a
shared machine. It does not replace W9: it is the check to run beside it when the load is high.

    python -m bench.eager_cpu [--rounds 30] [--base DIR] [--python-peer /path/to/python]

`--base DIR`: a second flowzero source tree (e.g. `git archive <commit> flowzero | tar -x -C
DIR`), timed on the same calls. `--python-peer`: an interpreter with torch (W9's two calls).
Prints the median (and min) over rounds of each round's mean CPU µs per call, and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parent.parent)

_FLOWZERO = r"""
import numpy as np
import flowzero as tf
tf.enable_eager_execution()
a = tf.constant([[3.0, 3.0]]); b = tf.constant([[2.0], [2.0]])
x1 = tf.constant([7.0]); x2 = tf.constant([2.0])
m = tf.constant(np.random.rand(4, 5).astype(np.float32))
w = tf.constant(np.random.rand(5, 3).astype(np.float32))
bias = tf.constant(np.random.rand(3).astype(np.float32))
img = tf.constant(np.random.rand(1, 8, 8, 3).astype(np.float32))
flt = tf.constant(np.random.rand(3, 3, 3, 4).astype(np.float32))
CASES = {
    "matmul": lambda: tf.matmul(a, b),
    "mul": lambda: tf.multiply(x1, x2),
    "add": lambda: tf.add(x1, x2),
    "x1 * 2.0": lambda: x1 * 2.0,
    "reduce_sum": lambda: tf.reduce_sum(m),
    "reduce_sum axis=1": lambda: tf.reduce_sum(m, axis=1),
    "relu": lambda: tf.nn.relu(m),
    "relu(matmul + bias)": lambda: tf.nn.relu(tf.matmul(m, w) + bias),
    "conv2d 1x8x8x3 3x3x3x4": lambda: tf.nn.conv2d(img, flt, [1, 1, 1, 1], "SAME"),
}
"""
_TORCH = r"""
import torch
a = torch.tensor([[3.0, 3.0]]); b = torch.tensor([[2.0], [2.0]])
x1 = torch.tensor([7.0]); x2 = torch.tensor([2.0])
CASES = {"matmul": lambda: torch.matmul(a, b), "mul": lambda: torch.mul(x1, x2)}
"""
_LOOP = r"""
import json, sys, time, timeit
for f in CASES.values():
    for _ in range(2000):
        f()
for _line in sys.stdin:
    out = {}
    for k, f in CASES.items():
        n = 300 if k.startswith("conv2d") else 5000
        out[k] = timeit.Timer(f, timer=time.process_time).timeit(number=n) / n * 1e6
    print(json.dumps(out), flush=True)
"""


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.eager_cpu", description=__doc__)
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--base", help="another flowzero source tree to time beside this one")
    p.add_argument("--python-peer", help="an interpreter with torch")
    args = p.parse_args(argv)
    workers: dict[str, tuple[list[str], str | None]] = {}
    if args.base:
        workers["base"] = ([sys.executable, "-c", _FLOWZERO + _LOOP], args.base)
    workers["flowzero"] = ([sys.executable, "-c", _FLOWZERO + _LOOP], REPO)
    if args.python_peer:
        workers["torch"] = ([args.python_peer, "-c", _TORCH + _LOOP], None)
    procs = {}
    for name, (cmd, path) in workers.items():
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if path:
            env["PYTHONPATH"] = path
        procs[name] = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd="/"
        )
    names = list(procs)
    samples: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    load0 = os.getloadavg()[0]
    try:
        for r in range(args.rounds):
            for n in names[r % len(names) :] + names[: r % len(names)]:
                procs[n].stdin.write("go\n")  # type: ignore[union-attr]
                procs[n].stdin.flush()  # type: ignore[union-attr]
                line = procs[n].stdout.readline()  # type: ignore[union-attr]
                if not line:
                    raise SystemExit(f"the {n} worker died")
                samples[n].append(json.loads(line))
    finally:
        for proc in procs.values():
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait()
    print(
        f"CPU µs per call, median (min) of {args.rounds} rounds; "
        f"load {load0:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    print(f"{'case':24s}" + "".join(f"{n:>18s}" for n in names))
    for case in samples["flowzero"][0]:
        cells = []
        for n in names:
            v = [s[case] for s in samples[n] if case in s]
            cells.append(f"{statistics.median(v):8.2f} ({min(v):6.2f})" if v else "")
        print(f"{case:24s}" + "".join(f"{c:>18s}" for c in cells))


if __name__ == "__main__":
    main()
