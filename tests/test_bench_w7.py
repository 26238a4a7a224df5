"""W7 (the LSTM classifier) computes the same function in every peer.

The gate mapping of TF's fused kernel into PyTorch's nn.LSTM layout is checked in NumPy here;
the peers themselves (tf1, torch, jax, beside flowzero and numpy) are run through the harness
under the peers' interpreter: $BENCH_PYTHON_PEERS, else the harness's default
(/opt/bench-peers/bin/python) where it exists. A peer that is not installed there is skipped;
no peer interpreter at all skips the cross-framework test (flowzero vs numpy is in
tests/test_bench_smoke.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.cli import DEFAULT_PEER_PYTHON
from bench.data import lstm_weights_torch

REPO = Path(__file__).resolve().parents[1]
FORGET_BIAS = 1.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _tf_cell(kernel, bias, x, h, c):  # TF's BasicLSTMCell, float64
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ kernel + bias, 4, axis=1)
    c = c * _sigmoid(f + FORGET_BIAS) + _sigmoid(i) * np.tanh(j)
    return np.tanh(c) * _sigmoid(o), c


def _torch_cell(w, x, h, c):  # torch.nn.LSTM's documented equations, gates i, f, g, o
    z = x @ w["weight_ih"].T + w["bias_ih"] + h @ w["weight_hh"].T + w["bias_hh"]
    i, f, g, o = np.split(z, 4, axis=1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def test_lstm_weights_torch_maps_tf_gates() -> None:
    rng = np.random.default_rng(0)
    depth, hidden, n = 5, 3, 4
    w = {
        "kernel": rng.standard_normal((depth + hidden, 4 * hidden)).astype(np.float32),
        "bias": rng.standard_normal(4 * hidden).astype(np.float32),
        "W": np.zeros((hidden, 10), np.float32),
        "b": np.zeros(10, np.float32),
    }
    tw = lstm_weights_torch(w, FORGET_BIAS)
    assert tw["weight_ih"].shape == (4 * hidden, depth)
    assert tw["weight_hh"].shape == (4 * hidden, hidden)
    x, h, c = (rng.standard_normal((n, d)) for d in (depth, hidden, hidden))
    want = _tf_cell(w["kernel"].astype(np.float64), w["bias"].astype(np.float64), x, h, c)
    got = _torch_cell({k: v.astype(np.float64) for k, v in tw.items()}, x, h, c)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)  # bias + forget bias rounds in float32


def _peer_python() -> str | None:
    py = os.environ.get("BENCH_PYTHON_PEERS") or (
        DEFAULT_PEER_PYTHON if os.path.exists(DEFAULT_PEER_PYTHON) else None
    )
    return py if py and os.path.exists(py) else None


@pytest.fixture(scope="module")
def w7_all_peers(tmp_path_factory: pytest.TempPathFactory) -> dict:
    py = _peer_python()
    if py is None:
        pytest.skip("no peer interpreter (set BENCH_PYTHON_PEERS=/path/to/python)")
    out = tmp_path_factory.mktemp("bench") / "w7.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            "--smoke",
            "--workloads",
            "W7",
            "--peers",
            "flowzero,tf1,torch,jax,numpy",
            "--python-peers",
            py,
            "--rounds",
            "1",
            "--quiet",
            "--out",
            str(out),
        ],
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("peer", ["tf1", "torch", "jax", "numpy"])
def test_w7_peers_give_flowzeros_losses(w7_all_peers: dict, peer: str) -> None:
    doc = w7_all_peers
    if doc["peers"][peer]["status"] == "not installed":
        pytest.skip(f"{peer} not installed in {doc['peers'][peer].get('interpreter')}")
    rows = {
        r["peer"]: r
        for r in doc["results"]
        if (r["workload"], r["case"], r["metric"]) == ("W7", "adam_b128", "step")
    }
    assert rows[peer]["status"] == "ok", rows[peer].get("error")
    ours, theirs = rows["flowzero"]["extra"][0], rows[peer]["extra"][0]
    for key in ("loss0", "loss3"):
        np.testing.assert_allclose(theirs[key], ours[key], rtol=1e-4, err_msg=key)
