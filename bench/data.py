"""The data and initial weights every peer gets: made once per run, saved to one .npz.

The orchestrator calls `prepare()` once (it reads the bundled MNIST subset through flowzero);
every worker, whatever its interpreter, reads the SAME arrays back with `load()` (NumPy only).
Weights follow the recipe of flowzero.models (a `default_rng(seed)` drawing
`0.01 * N(0, 1)` in declaration order, zero biases), so they equal `TwoLayerNet(seed=0)`'s and
`SimpleConvNet(seed=0)`'s; the workers load them into every framework explicitly anyway.

W7's LSTM weights follow LSTMClassifier's recipe (`default_rng(seed)`: the fused kernel
uniform in +-sqrt(6 / (fan_in + fan_out)), then the output layer `0.1 * N(0, 1)`; biases zero),
so they equal `LSTMClassifier(seed=0)`'s.

Canonical layouts (what `load()` returns): images (N, 784) and (N, 28, 28, 1) NHWC; the conv
filter HWIO (5, 5, 1, 30); the first affine layer of the conv net (4320, 100) with rows in NHWC
flatten order (h, w, c). `conv_weights_nchw()` converts both for NCHW peers so that all peers
compute the same function. The LSTM kernel is TF's fused BasicLSTMCell layout (28 + 128, 512):
rows = concat([x_t, h_prev]), columns = the gates i, j, f, o (j: the tanh candidate), 128 each;
the bias (512,) in the same column order, with no forget bias in it (the cell adds
W7_FORGET_BIAS = 1.0 to f). `lstm_weights_torch()` converts it for PyTorch's nn.LSTM.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
from typing import Any

import numpy as np

from bench.common import W7_BATCH, W7_DEPTH, W7_FORGET_BIAS, W7_HIDDEN

SEED = 0
WEIGHT_INIT_STD = 0.01
N_BATCHES = 10  # W2/W3/W6/W7 cycle through this many fixed batches


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

    return {
        "W1": randn(5, 5, 1, 30),
        "b1": np.zeros(30, np.float32),
        "W2": randn(4320, 100),
        "b2": np.zeros(100, np.float32),
        "W3": randn(100, 10),
        "b3": np.zeros(10, np.float32),
    }


def _lstm(rng: np.random.Generator) -> dict[str, np.ndarray]:
    fan_in, units = W7_DEPTH + W7_HIDDEN, 4 * W7_HIDDEN
    limit = np.sqrt(6.0 / (fan_in + units))  # glorot_uniform, as LSTMClassifier
    return {
        "kernel": rng.uniform(-limit, limit, (fan_in, units)).astype(np.float32),
        "W": (0.1 * rng.standard_normal((W7_HIDDEN, 10))).astype(np.float32),
        "bias": np.zeros(units, np.float32),
        "b": np.zeros(10, np.float32),
    }


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
        arrays[f"batches_{b}"] = np.stack(
            [rng.choice(n, b, replace=False) for _ in range(N_BATCHES)]
        ).astype(np.int64)
    arrays["w4_perms"] = np.stack([rng.permutation(n) for _ in range(20)]).astype(np.int64)
    for k, v in _lstm(np.random.default_rng(seed)).items():
        arrays[f"lstm_{k}"] = v
    # W7's batches from their own generator, so that adding them left W2-W6's data unchanged
    rng7 = np.random.default_rng(seed + 2)
    arrays[f"batches_{W7_BATCH}"] = np.stack(
        [rng7.choice(n, W7_BATCH, replace=False) for _ in range(N_BATCHES)]
    ).astype(np.int64)
    np.savez(path, **arrays)
    return {
        "path": path,
        "mnist": source,
        "seed": str(seed),
        "train": str(n),
        "test": str(len(xte)),
    }


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
        path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "mnist_subset.npz")
        with open(path, "rb") as f:
            raw = f.read()
        digest = hashlib.sha256(raw).hexdigest()
        with np.load(io.BytesIO(raw), allow_pickle=False) as d:
            return (
                (d["x_train"], d["y_train"]),
                (d["x_test"], d["y_test"]),
                f"{path} read directly (sha256 {digest}; flowzero failed to import: "
                f"{type(e).__name__}: {e})",
            )


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

    def lstm_weights(self) -> dict[str, np.ndarray]:
        """W7: kernel (156, 512) in TF's layout, bias (512,), W (128, 10), b (10,)."""
        return {k: self[f"lstm_{k}"] for k in ("kernel", "bias", "W", "b")}

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
        w["W2"].reshape(12, 12, 30, -1).transpose(2, 0, 1, 3).reshape(4320, -1)
    )
    return out


def nhwc_to_nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def lstm_weights_torch(
    w: dict[str, np.ndarray], forget_bias: float = W7_FORGET_BIAS
) -> dict[str, np.ndarray]:
    """W7's canonical weights for torch.nn.LSTM (gate order i, f, g, o; weight (4H, in)).

    TF's columns i, j, f, o become PyTorch's rows i, f, g(=j), o; the kernel's first 28 rows
    (x) give weight_ih, the other 128 (h) weight_hh; TF's constant forget bias is folded into
    bias_ih's f rows, and bias_hh is zero (the peer keeps it out of training so that one bias
    is learnt, as in TF).
    """
    kernel, bias = w["kernel"], w["bias"]
    h = kernel.shape[1] // 4
    idx = np.concatenate(
        [np.arange(0, h), np.arange(2 * h, 3 * h), np.arange(h, 2 * h), np.arange(3 * h, 4 * h)]
    )
    k = kernel[:, idx]
    b = bias[idx].copy()
    b[h : 2 * h] += np.float32(forget_bias)
    d = kernel.shape[0] - h
    return {
        "weight_ih": np.ascontiguousarray(k[:d].T),
        "weight_hh": np.ascontiguousarray(k[d:].T),
        "bias_ih": b.astype(np.float32),
        "bias_hh": np.zeros(4 * h, np.float32),
        "W": w["W"],
        "b": w["b"],
    }
