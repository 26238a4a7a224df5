"""Loading a TensorFlow V2 checkpoint vs `np.fromfile` of the same bytes.

    python -m bench.checkpoint_load [--mb 100] [--tensors 20] [--repeat 15] [--out FILE]

Writes a checkpoint of `--tensors` float32 tensors totalling `--mb` MB, reads the data file
once to warm the page cache, then times `--repeat` interleaved runs of

- baseline: `np.fromfile(data_file, np.uint8)` (the bytes, one read, no checks);
- flowzero: `BundleReader(prefix).read_many(all names)`, what Saver.restore does (index
  parsed, every entry checked, each tensor read into its final place and its CRC-32C
  verified);

and reports the ratio of the best times, the median of the run-by-run ratios, and the peak
memory traced while loading (one copy of the tensors is the floor). Numbers depend on the
machine and its load; they are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import tracemalloc

import numpy as np

from flowzero.train import crc32c
from flowzero.train.tensor_bundle import BundleReader, data_filename, write_bundle


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=100.0)
    ap.add_argument("--tensors", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--out", default=None, help="also write the results as JSON here")
    args = ap.parse_args()
    n = int(args.mb * 1e6 / 4 / args.tensors)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        prefix = os.path.join(d, "model.ckpt")
        write_bundle(
            prefix,
            {
                f"layer_{i:02d}/kernel": rng.standard_normal(n, np.float32)
                for i in range(args.tensors)
            },
        )
        data = data_filename(prefix)
        size = os.path.getsize(data)
        np.fromfile(data, np.uint8)  # warm the page cache

        def load() -> dict[str, np.ndarray]:
            r = BundleReader(prefix)
            return r.read_many(r.keys())

        # Interleaved, so that a change in the machine's load hits both sides alike.
        base, ours = [], []
        for _ in range(args.repeat):
            base.append(_time(lambda: np.fromfile(data, np.uint8)))
            ours.append(_time(load))
        pair = sorted(o / b for o, b in zip(ours, base))
        t_base, t_load = min(base), min(ours)
        tracemalloc.start()
        load()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    result = {
        "bytes": size,
        "tensors": args.tensors,
        "repeat": args.repeat,
        "np_fromfile_s": round(t_base, 5),
        "flowzero_load_s": round(t_load, 5),
        "ratio": round(t_load / t_base, 3),
        "median_pair_ratio": round(pair[len(pair) // 2], 3),
        "peak_traced_bytes": peak,
        "peak_over_data": round(peak / size, 3),
        "crc32c_accelerated": crc32c.accelerated(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
