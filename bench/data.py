"""The data and initial weights every peer gets: made once per run, saved to one .npz.

The orchestrator calls `prepare()` once (it reads the bundled MNIST subset through flowzero);
every worker, whatever its interpreter, reads the SAME arrays back with `load()` (NumPy only).
Weights follow the recipe of flowzero.models (a `default_rng(seed)` drawing
`0.01 * N(0, 1)` in declaration order, zero biases), so they equal `TwoLayerNet(seed=0)`'s and
`SimpleConvNet(seed=0)`'s; the workers load them into every framework explicitly anyway.

Canonical layouts (what `load()` returns): images (N, 784) and (N, 28, 28, 1) NHWC; the conv
filter HWIO (5, 5, 1, 30); the first affine layer of the conv net (4320, 100) with rows in NHWC
flatten order (h, w, c). `conv_weights_nchw()` converts both for NCHW peers so that all peers
compute the same function.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
from typing import Any

import numpy as np

SEED = 0
WEIGHT_INIT_STD = 0.01
N_BATCHES = 10  # W2/W3/W6 cycle through this many fixed batches


def _two_layer(rng: np.random.Generator, hidden: int) -> dict[str, np.ndarray]:
    return {
        "W1": (WEIGHT_INIT_STD * rng.standard_normal((784, hidden))).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "W2": (WEIGHT_INIT_STD * rng.standard_normal((hidden, 10))).astype(np.float32),
        "b2": np.zeros(10, np.float32),
    }


def _conv(rng: np.random.Generator) -> dict[str, np.ndarray]:
    def randn(*shape: int) -> np.ndarray:
        return (WEIGHT_INIT_STD * rng.standard_normal(shape)).astype(np.float32)

    return {"W1": randn(5, 5, 1, 30), "b1": np.zeros(30, np.float32),
            "W2": randn(4320, 100), "b2": np.zeros(100, np.float32),
            "W3": randn(100, 10), "b3": np.zeros(10, np.float32)}


def prepare(path: str, seed: int = SEED) -> dict[str, str]:
    """Writes the run's data + weights to `path`; returns a short description for the JSON."""
    (xtr, ytr), (xte, yte), source = _load_subset()
    arrays: dict[str, np.ndarray] = {
        "x_train": (xtr.astype(np.float32) / np.float32(255.0)).reshape(len(xtr), 784),
        "t_train": ytr.astype(np.int32),
        "x_test": (xte.astype(np.float32) / np.float32(255.0)).reshape(len(xte), 784),
        "t_test": yte.astype(np.int32),
    }
    for hidden in (50, 100):  # each net drawn from a fresh generator, as the models do
        for k, v in _two_layer(np.random.default_rng(seed), hidden).items():
            arrays[f"tln{hidden}_{k}"] = v
    for k, v in _conv(np.random.default_rng(seed)).items():
        arrays[f"conv_{k}"] = v
    rng = np.random.default_rng(seed + 1)
    n = len(xtr)
    for b in (100, 1000):
        arrays[f"batches_{b}"] = np.stack([rng.choice(n, b, replace=False)
                                           for _ in range(N_BATCHES)]).astype(np.int64)
    arrays["w4_perms"] = np.stack([rng.permutation(n) for _ in range(20)]).astype(np.int64)
    np.savez(path, **arrays)
    return {"path": path, "mnist": source, "seed": str(seed), "train": str(n),
            "test": str(len(xte))}


def _load_subset() -> tuple[Any, Any, str]:
    """flowzero's bundled-subset loader; if flowzero itself does not import (it is being
    edited), the same checksummed file read directly, so the peers can still be measured."""
    try:
        from flowzero.datasets.mnist import SUBSET_SHA256, load_subset

        train, test = load_subset()
        return train, test, f"flowzero.datasets.mnist.load_subset (sha256 {SUBSET_SHA256})"
    except Exception as e:  # noqa: BLE001 - fall back to the file, say so in the results
        spec = importlib.util.find_spec("flowzero")
        if spec is None or spec.origin is None:
            raise
        path = os.path.join(os.path.dirname(spec.origin), "datasets", "data",
                            "mnist_subset.npz")
        with open(path, "rb") as f:
            raw = f.read()
        digest = hashlib.sha256(raw).hexdigest()
        with np.load(io.BytesIO(raw), allow_pickle=False) as d:
            return ((d["x_train"], d["y_train"]), (d["x_test"], d["y_test"]),
                    f"{path} read directly (sha256 {digest}; flowzero failed to import: "
                    f"{type(e).__name__}: {e})")


class Data:
    """Lazy view of the prepared .npz (a worker reads only what its workload needs)."""

    def __init__(self, path: str) -> None:
        self._npz = np.load(path, allow_pickle=False)
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._cache:
            self._cache[key] = self._npz[key]
        return self._cache[key]

    def two_layer_weights(self, hidden: int) -> dict[str, np.ndarray]:
        return {k: self[f"tln{hidden}_{k}"] for k in ("W1", "b1", "W2", "b2")}

    def conv_weights(self) -> dict[str, np.ndarray]:
        return {k: self[f"conv_{k}"] for k in ("W1", "b1", "W2", "b2", "W3", "b3")}

    def batch(self, size: int, i: int, images: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The i-th fixed training batch: (x, t); x is (B, 784) or (B, 28, 28, 1) NHWC."""
        idx = self[f"batches_{size}"][i % N_BATCHES]
        x = self["x_train"][idx]
        if images:
            x = x.reshape(len(idx), 28, 28, 1)
        return np.ascontiguousarray(x), self["t_train"][idx]


def conv_weights_nchw(w: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical conv-net weights for an NCHW network: filter OIHW, affine rows in (c, h, w)."""
    out = dict(w)
    out["W1"] = np.ascontiguousarray(w["W1"].transpose(3, 2, 0, 1))
    out["W2"] = np.ascontiguousarray(
        w["W2"].reshape(12, 12, 30, -1).transpose(2, 0, 1, 3).reshape(4320, -1))
    return out


def nhwc_to_nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
