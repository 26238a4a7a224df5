"""The code examples of the docs, run as a reader would paste them into a file."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python_blocks(doc: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "docs" / doc).read_text(), re.DOTALL)


def test_tensorboard_example_runs_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """docs/tensorboard.md's first example, as written: `import flowzero as tf` alone gives
    tf.summary (no extra import), and the events read back with TensorBoard's reader."""
    pytest.importorskip("tensorboardX")
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator"
    )
    code = _python_blocks("tensorboard.md")[0]
    assert "import flowzero.summary" not in code
    script = tmp_path / "example.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert glob.glob(str(tmp_path / "logs" / "run1" / "events.out.tfevents.*"))
    acc = event_accumulator.EventAccumulator(str(tmp_path / "logs" / "run1"))
    acc.Reload()
    assert len(acc.Scalars("summaries/loss")) == 100
    assert "summaries/W1" in acc.Tags()["histograms"]
