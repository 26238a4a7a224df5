"""The seed programs in examples/ print exactly what TensorFlow prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = {
    "01_matmul.py": "[[12.]]\n",
    "02_interactive.py": "[-2. -1.]\n",
    "03_counter.py": "0\n1\n2\n3\n",
    "04_fetch.py": "[array([21.], dtype=float32), array([7.], dtype=float32)]\n",
    "05_feed.py": "[array([14.], dtype=float32)]\n",
}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_seed_example_prints_what_tensorflow_prints(script: str) -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == EXPECTED[script]


def test_every_example_is_covered() -> None:
    scripts = {p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py")}
    assert set(EXPECTED) <= scripts
