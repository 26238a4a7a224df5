"""bench/eager_cpu.py runs and prints a row per case (one round, no peer, no base tree)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_eager_cpu_one_round() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.eager_cpu", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = out.stdout.splitlines()
    assert lines[0].startswith("CPU µs per call") and "flowzero" in lines[1]
    rows = {ln[:24].strip(): float(ln[24:].split()[0]) for ln in lines[2:]}
    assert {"matmul", "mul", "reduce_sum", "relu"} <= set(rows), rows
    assert all(0 < v < 10_000 for v in rows.values()), rows
