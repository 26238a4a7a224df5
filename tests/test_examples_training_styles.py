"""The training-style examples run as scripts: MonitoredTrainingSession (and its resume) and
the queue pipeline. (The MNIST Estimator example: tests/estimator/test_mnist_estimator.py.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the examples train as scripts

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _run(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_monitored_training_example_trains_and_resumes(tmp_path):
    script = str(EXAMPLES / "monitored_training.py")
    out = _run(script, "--checkpoint_dir", str(tmp_path), "--last_step", "150")
    m = re.search(r"step (\d+): test accuracy ([\d.]+)", out)
    assert m and int(m.group(1)) == 150 and float(m.group(2)) > 0.8, out
    out = _run(script, "--checkpoint_dir", str(tmp_path), "--last_step", "200")
    m = re.search(r"step (\d+): test accuracy ([\d.]+)", out)
    assert m and int(m.group(1)) == 200, out  # resumed at 150, 50 more steps


def test_queue_pipeline_example():
    out = _run(str(EXAMPLES / "queue_pipeline.py"), "--epochs", "2")
    assert "Done training for 2 epochs, 160 steps." in out  # 2 x 4000 / 50
    acc = float(re.search(r"test accuracy ([\d.]+)", out).group(1))
    assert acc > 0.8, out


def test_horovod_example_runs_as_one_process_and_resumes(tmp_path):
    """Without mpirun the Horovod-style example is one rank (its mpirun run:
    tests/distributed/test_mpi.py)."""
    script = str(EXAMPLES / "horovod_monitored.py")
    out = _run(script, "--checkpoint_dir", str(tmp_path), "--last_step", "30")
    assert "from step 0 to step 30" in out, out
    out = _run(script, "--checkpoint_dir", str(tmp_path), "--last_step", "40")
    assert "from step 30 to step 40" in out, out


@pytest.mark.slow
def test_queue_image_pipeline_example():
    out = _run(str(EXAMPLES / "queue_image_pipeline.py"), "--steps", "30", "--epochs", "3")
    m = re.search(r"png pipeline: 30 steps, loss ([\d.]+) -> ([\d.]+)", out)
    assert m and float(m.group(2)) < float(m.group(1)) - 0.5, out
    acc = float(re.search(r"tfrecord pipeline: 240 steps, test accuracy ([\d.]+)", out).group(1))
    assert acc > 0.85, out
