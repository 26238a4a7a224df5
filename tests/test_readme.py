"""README.md starts with the two set-up commands, and .ci/run runs the second one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[0].startswith("```"), "README.md must open with the set-up commands"
    end = lines.index("```", 1)
    return lines[1:end]


def test_readme_opens_with_two_commands() -> None:
    cmds = _commands()
    assert len(cmds) == 2
    assert cmds[0].startswith("pip install -e ")
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command() -> None:
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_readme_main_job_runs(tmp_path: Path) -> None:
    main_job = _commands()[0].split("&&", 1)[1].strip()
    assert main_job.startswith("flowzero ")
    argv = [sys.executable, "-m", "flowzero", *main_job.split()[1:]]
    out = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "test accuracy: " in out.stdout and "MNIST subset" in out.stdout
    assert list(tmp_path.glob("runs/two_layer_net/checkpoints/model.ckpt-*.index"))


@pytest.mark.slow
def test_readme_main_job_on_a_fresh_machine(tmp_path: Path) -> None:
    """The README's first command, exactly as written, in a new virtual environment (no
    packages but what it installs) in a clean clone: it trains and writes everything the README
    lists (checkpoint, metrics, plot, TensorBoard logs that TensorBoard itself reads back)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone, venv = tmp_path / "flowzero", tmp_path / "venv"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        # a fresh machine has no MNIST cache: the bundled subset, no download
        FLOWZERO_DATA_DIR=str(tmp_path / "no-mnist-here"),
        FLOWZERO_DOWNLOAD="0",
    )
    command = _commands()[0]
    out = subprocess.run(
        ["bash", "-c", command],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    notes = [ln for ln in out.stderr.splitlines() if ln.startswith("flowzero:")]
    assert not notes, notes  # nothing skipped for a missing package
    run = clone / "runs" / "two_layer_net"
    tail = out.stdout.strip().splitlines()[-5:]
    assert tail[0].startswith("test accuracy: ")
    assert tail[1:] == [
        f"checkpoint:  {run / 'checkpoints' / 'model.ckpt-680'}",
        f"metrics:     {run / 'metrics.json'}",
        f"plot:        {run / 'training_curve.png'}",
        f"tensorboard: tensorboard --logdir {run / 'logs'}",
    ]
    assert (run / "checkpoints" / "model.ckpt-680.index").is_file()
    assert (run / "checkpoints" / "run.json").is_file()
    assert json.loads((run / "metrics.json").read_text())["iterations"] == 680
    assert (run / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((run / "logs").glob("events.out.tfevents.*"))) == 1
    # TensorBoard's own reader, from the packages the command installed
    reader = (
        "import json, sys\n"
        "from tensorboard.backend.event_processing.event_accumulator import "
        "EventAccumulator\n"
        "acc = EventAccumulator(sys.argv[1]); acc.Reload()\n"
        "print(json.dumps({'tags': acc.Tags(), 'test_acc': [(e.step, e.value) for e "
        "in acc.Scalars('epoch/test_accuracy')]}))\n"
    )
    read = subprocess.run(
        [str(venv / "bin" / "python"), "-c", reader, str(run / "logs")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert read.returncode == 0, read.stderr
    events = json.loads(read.stdout.strip().splitlines()[-1])
    assert {"epoch/loss", "epoch/train_accuracy", "epoch/test_accuracy"} <= set(
        events["tags"]["scalars"]
    )
    assert "params/W1" in events["tags"]["histograms"] and events["tags"]["graph"]
    assert [s for s, _ in events["test_acc"]] == list(range(0, 681, 40))
    final = float(tail[0].split()[2])
    assert round(events["test_acc"][-1][1], 4) == final
