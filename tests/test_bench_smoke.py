"""The benchmark harness must not rot: run the flowzero and NumPy sides of every workload for a
few steps (both run under this interpreter).

Not a timed test: `--smoke` numbers mean nothing. Needs no peer (tf1/torch/jax are optional;
tests/test_bench_w7.py runs them where a peer interpreter is configured).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # runs every bench workload

REPO = Path(__file__).resolve().parents[1]
WORKLOAD_CASES = {
    "W1": {("matmul", "call"), ("feed_mul", "call")},
    "W2": {("h50_b100", "step"), ("h100_b100", "step"), ("h50_b1000", "step")},
    "W3": {("sgd_b100", "step"), ("adam_b100", "step")},
    "W4": {("20ep", "wall"), ("20ep", "test_acc")},
    "W5": {("import", "wall"), ("import", "peak_rss")},
    "W6": {("2000steps", "peak_rss")},
    "W7": {("adam_b128", "step"), ("500steps", "peak_rss")},
    "W8": {
        (f"{net}_{load}{v}", "step")
        for net in ("w2", "w3")
        for load in ("idle", "busy1", "busyall")
        for v in ("", "_1t", "_all")
    },
    "W9": {("matmul", "call"), ("mul", "call")},
    "W10": {("restore", "load"), ("fromfile", "load")},
    "W11": {("feed", "step"), ("dataset", "step")},
}


def _bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    proc = _bench(
        "run", "--smoke", "--peers", "flowzero,numpy", "--rounds", "1", "--quiet", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_smoke_runs_every_workload_for_flowzero(smoke: tuple[dict, str]) -> None:
    doc, _ = smoke
    assert doc["settings"]["smoke"] is True
    assert doc["peers"]["flowzero"]["status"] == "ok"
    rows = {
        (r["workload"], r["case"], r["metric"]): r
        for r in doc["results"]
        if r["peer"] == "flowzero"
    }
    for w, cases in WORKLOAD_CASES.items():
        for case, metric in cases:
            row = rows.get((w, case, metric))
            assert row is not None, f"no flowzero result for {w} {case} {metric}"
            assert row["status"] == "ok", row.get("error")
            assert row["samples"], row
            if metric == "test_acc":
                assert 0.0 <= row["median"] <= 1.0
            else:
                assert row["median"] > 0, row
            if metric == "test_acc":
                assert row["diff"] == 0
            else:
                assert row["ratio"] == pytest.approx(1.0)
    numpy_rows = {
        (r["workload"], r["case"], r["metric"]): r for r in doc["results"] if r["peer"] == "numpy"
    }
    for w, cases in WORKLOAD_CASES.items():
        for case, metric in cases:
            row = numpy_rows.get((w, case, metric))
            assert row is not None and row["status"] == "ok", (w, case, metric, row)
    assert doc["machine"]["cpu_model"]
    assert doc["loadavg"]["during"] is not None
    # the same initial weights and batch give the untrained network's loss, ~ln(10)
    loss0 = rows[("W2", "h50_b100", "step")]["extra"][0]["loss0"]
    assert loss0 == pytest.approx(2.3026, abs=0.01)


def test_w7_flowzero_and_numpy_agree(smoke: tuple[dict, str]) -> None:
    """The same weights and batches give the same losses: before training and after 3 Adam
    steps (flowzero's graph + autodiff vs the hand-written BPTT)."""
    doc, _ = smoke
    ex = {
        r["peer"]: r["extra"][0]
        for r in doc["results"]
        if (r["workload"], r["case"], r["metric"]) == ("W7", "adam_b128", "step")
    }
    assert ex["flowzero"]["loss0"] == pytest.approx(2.3, abs=0.05)  # untrained: ~ln(10)
    assert ex["flowzero"]["loss3"] < ex["flowzero"]["loss0"]
    for key in ("loss0", "loss3"):
        np.testing.assert_allclose(ex["numpy"][key], ex["flowzero"][key], rtol=1e-4, err_msg=key)


def test_smoke_prints_the_table(smoke: tuple[dict, str], tmp_path: Path) -> None:
    doc, stdout = smoke
    for w in WORKLOAD_CASES:
        assert f"\n{w}  " in stdout
    assert "summary (medians)" in stdout
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    again = _bench("table", str(path), timeout=60)
    assert again.returncode == 0, again.stderr
    assert "W3 sgd_b100 step [ms]" in again.stdout
    assert "W7 500steps peak_rss [MB]" in again.stdout


def test_missing_peer_is_reported_not_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = _bench(
        "run",
        "--smoke",
        "--workloads",
        "W5",
        "--peers",
        "flowzero,torch",
        "--python-peers",
        str(tmp_path / "no-such-venv" / "python"),
        "--quiet",
        "--rounds",
        "1",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["peers"]["torch"]["status"] == "not installed"
    assert "torch" in proc.stdout and "not installed" in proc.stdout
    assert [r["peer"] for r in doc["results"]] == ["flowzero", "flowzero"]


def test_w8_busy_loops_start_and_stop() -> None:
    """W8's load (smoke runs skip it): loops that run until the worker kills them."""
    from bench.worker import _busy_loops

    procs = _busy_loops(2)
    try:
        assert all(p.poll() is None for p in procs)
    finally:
        for p in procs:
            p.kill()
    assert all(p.wait(timeout=10) != 0 for p in procs)
