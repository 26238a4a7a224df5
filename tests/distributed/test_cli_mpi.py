"""`flowzero train` under mpirun, unchanged: 2 ranks train data-parallel, only rank 0 prints and
writes, and the checkpoint it writes gives the accuracy it reports."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from .launcher import clean_env, mpirun_command, requires_mpi, run

pytestmark = [requires_mpi, pytest.mark.slow]  # mpirun jobs

HAVE_TENSORBOARD = all(
    importlib.util.find_spec(m) is not None for m in ("tensorboard", "tensorboardX")
)


def _env(tmp: Path) -> dict[str, str]:
    # The bundled MNIST subset, whatever is cached on this machine; no downloads.
    return clean_env(FLOWZERO_DATA_DIR=str(tmp / "no-mnist-here"), FLOWZERO_DOWNLOAD="0")


def _flowzero(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowzero", *args]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("cli-mpi")
    out = tmp / "run"
    cmd = mpirun_command(
        2,
        _flowzero(
            "train",
            "--model",
            "two_layer_net",
            "--iters",
            "60",
            "--batch-size",
            "50",
            "--out",
            str(out),
            "--no-plot",
            "--seed",
            "0",
        ),
    )
    res = run(cmd, timeout=120, env=_env(tmp))
    assert res.returncode == 0, f"mpirun flowzero train failed:\n{res.output[-4000:]}"
    assert "Traceback" not in res.output, res.output
    return res.output, out


def test_only_rank_0_prints(trained: tuple[str, Path]) -> None:
    output, _ = trained
    lines = output.splitlines()
    assert len([ln for ln in lines if ln.startswith("test accuracy:")]) == 1, output
    assert len([ln for ln in lines if ln.startswith("data: ")]) == 1, output
    assert len([ln for ln in lines if ln.startswith("model: ")]) == 1, output
    # epoch 0 (initial weights) .. 2; an epoch is 4000 // (2 x 50) = 40 steps per rank
    epochs = [ln.split()[1] for ln in lines if ln.startswith("epoch ")]
    assert epochs == ["0/2", "1/2", "2/2"], output
    assert "2 ranks x batch 50 = 100, 60 steps (an epoch is 40 steps)" in output


def test_only_rank_0_writes(trained: tuple[str, Path]) -> None:
    _, out = trained
    ckpt = out / "checkpoints"
    steps = {m.group(1) for p in ckpt.iterdir() if (m := re.match(r"model\.ckpt-(\d+)\.", p.name))}
    assert steps == {"60"}, sorted(p.name for p in ckpt.iterdir())
    assert (ckpt / "run.json").is_file() and (out / "metrics.json").is_file()
    assert not (out / "training_curve.png").exists()  # --no-plot
    # No temporary files left behind by a second writer.
    assert not [p for p in out.rglob(".tmp-*")]
    if HAVE_TENSORBOARD:
        assert len(list((out / "logs").iterdir())) == 1  # one events file: rank 0's
    m = json.loads((out / "metrics.json").read_text())
    assert (m["ranks"], m["batch_size"], m["global_batch_size"]) == (2, 50, 100)
    assert m["iterations"] == 60 and m["iters_per_epoch"] == 40 and not m["interrupted"]
    assert len(m["loss"]) == 60
    assert json.loads((ckpt / "run.json").read_text())["ranks"] == 2


def test_checkpoint_gives_the_reported_accuracy(trained: tuple[str, Path], tmp_path: Path) -> None:
    output, out = trained
    reported = re.search(r"^test accuracy: ([0-9.]+) \((\d+)/1000", output, re.MULTILINE)
    assert reported, output
    acc = float(reported.group(1))
    assert acc > 0.5, f"2 ranks x 60 steps of batch 50 reached only {acc}"
    m = json.loads((out / "metrics.json").read_text())
    assert m["final"]["test_correct"] == int(reported.group(2))
    assert m["test_acc"][-1] == m["final"]["test_acc"]  # the last epoch's = the final
    # One process, no launcher: rebuild the model from run.json and restore rank 0's weights.
    res = run(
        _flowzero("eval", "--checkpoint", str(out), "--json", str(tmp_path / "e.json")),
        timeout=60,
        env=_env(tmp_path),
    )
    assert res.returncode == 0, res.output
    assert f"test accuracy: {acc:.4f} ({reported.group(2)}/1000)" in res.output, res.output


def test_a_usage_error_on_every_rank_ends_the_job_at_once(tmp_path: Path) -> None:
    # 4,000 samples do not fill one global batch of 2 x 3,000 (fine in one process).
    cmd = mpirun_command(
        2,
        _flowzero(
            "train",
            "--model",
            "two_layer_net",
            "--iters",
            "1",
            "--batch-size",
            "3000",
            "--out",
            str(tmp_path / "run"),
            "--no-plot",
            "--no-tensorboard",
        ),
    )
    res = run(cmd, timeout=60, env=_env(tmp_path))
    assert res.returncode != 0, res.output
    assert "flowzero train: error:" in res.output and "global batch" in res.output, res.output
    assert "Traceback" not in res.output, res.output
    assert res.seconds < 30, f"took {res.seconds:.1f} s: the ranks waited for the watchdog"
