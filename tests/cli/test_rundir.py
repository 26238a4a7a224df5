"""`flowzero train` into a directory that already holds a run: refused without a word on what
to do with it, `--overwrite` (only the run's own files go), `--resume` (the same run as one
that was never stopped)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import HAVE_TENSORBOARD, cli_env, run_cli

pytestmark = pytest.mark.slow  # each test trains through the CLI in a subprocess

FAST = ("--no-plot", "--data", "subset")


def _train(tmp: Path, out: Path, *args: str):
    return run_cli("train", "--out", str(out), *FAST, *args, tmp=tmp)


def _metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def test_a_second_run_into_the_same_out_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _train(tmp_path, out, "--iters", "5").returncode == 0
    before = sorted(p.name for p in out.rglob("*"))
    again = _train(tmp_path, out, "--iters", "5")
    assert again.returncode == 2
    assert "Traceback" not in again.stderr
    msg = again.stderr.strip().splitlines()[-1]
    assert msg.startswith(f"flowzero train: error: --out {out} already holds a training run")
    assert "--resume" in msg and "--overwrite" in msg
    assert sorted(p.name for p in out.rglob("*")) == before  # nothing written


def test_a_directory_without_a_run_is_used_as_it_is(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    result = _train(tmp_path, out, "--iters", "5", "--no-tensorboard")
    assert result.returncode == 0, result.stderr
    assert (out / "notes.txt").read_text() == "mine\n"


def test_overwrite_removes_only_the_runs_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = _train(tmp_path, out, "--iters", "20", "--save-every", "5")
    assert first.returncode == 0, first.stderr
    assert len(list((out / "checkpoints").glob("model.ckpt-*.index"))) == 4
    # the user's own files beside and inside the run's folders
    (out / "notes.txt").write_text("keep\n")
    (out / "checkpoints" / "model.ckpt-old-backup").write_text("keep\n")
    (out / "logs" / "README").write_text("keep\n")
    second = _train(tmp_path, out, "--iters", "10", "--overwrite", "--seed", "3")
    assert second.returncode == 0, second.stderr
    assert "--overwrite: removed" in second.stderr
    ckpts = sorted(p.name for p in (out / "checkpoints").glob("model.ckpt-*.index"))
    assert ckpts == ["model.ckpt-10.index"]  # no stale checkpoint of the first run
    assert sorted(p.name for p in (out / "checkpoints").glob("train_state-*")) == [
        "train_state-10.json"
    ]
    assert _metrics(out)["iterations"] == 10 and _metrics(out)["seed"] == 3
    assert json.loads((out / "checkpoints" / "run.json").read_text())["seed"] == 3
    for kept in (
        out / "notes.txt",
        out / "checkpoints" / "model.ckpt-old-backup",
        out / "logs" / "README",
    ):
        assert kept.read_text() == "keep\n", kept
    if HAVE_TENSORBOARD:
        assert len(list((out / "logs").glob("events.out.tfevents.*"))) == 1


def test_resume_and_overwrite_exclude_each_other(tmp_path: Path) -> None:
    result = _train(tmp_path, tmp_path / "run", "--resume", "--overwrite")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_resume_without_a_run_says_so(tmp_path: Path) -> None:
    result = _train(tmp_path, tmp_path / "empty", "--resume")
    assert result.returncode == 2, result.stderr
    assert "holds no run to resume" in result.stderr and "Traceback" not in result.stderr


def test_resume_continues_exactly_as_an_uninterrupted_run(tmp_path: Path) -> None:
    """40 + 30 + 30 steps (the middle part stops inside an epoch) give the very losses,
    accuracies and weights of one 100-step run; TensorBoard reads the logs as one run."""
    straight, parts = tmp_path / "straight", tmp_path / "parts"
    assert _train(tmp_path, straight, "--iters", "100").returncode == 0
    assert _train(tmp_path, parts, "--iters", "40").returncode == 0
    mid = _train(tmp_path, parts, "--iters", "70", "--resume")
    assert mid.returncode == 0, mid.stderr
    assert f"resuming: {parts / 'checkpoints' / 'model.ckpt-40'} (step 40 of 70" in mid.stdout
    end = _train(tmp_path, parts, "--resume", "--iters", "100")
    assert end.returncode == 0, end.stderr
    a, b = _metrics(straight), _metrics(parts)
    assert b["loss"] == a["loss"]  # every step's loss, bit for bit
    assert b["test_acc"] == a["test_acc"] and b["train_acc"] == a["train_acc"]
    assert [e["iteration"] for e in b["epochs"]] == [0, 40, 80, 100]
    assert b["iterations"] == 100 and b["resumed_from"] == 70
    assert end.value(r"^test accuracy: ([0-9.]+)") == f"{a['final']['test_acc']:.4f}"
    assert sorted(p.name for p in (parts / "checkpoints").glob("*.index")) == [
        "model.ckpt-100.index",
        "model.ckpt-40.index",
        "model.ckpt-70.index",
    ]
    import flowzero as tf

    ra = tf.train.load_checkpoint(str(straight / "checkpoints" / "model.ckpt-100"))
    rb = tf.train.load_checkpoint(str(parts / "checkpoints" / "model.ckpt-100"))
    keys = ra.get_variable_to_shape_map()
    assert keys == rb.get_variable_to_shape_map() and "global_step" in keys
    for key in keys:
        np.testing.assert_array_equal(rb.get_tensor(key), ra.get_tensor(key), err_msg=key)
    if HAVE_TENSORBOARD:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        acc = EventAccumulator(str(parts / "logs"))
        acc.Reload()
        steps = [e.step for e in acc.Scalars("epoch/test_accuracy")]
        assert steps == [0, 40, 80, 100]
        values = [e.value for e in acc.Scalars("epoch/test_accuracy")]
        assert values == pytest.approx(a["test_acc"], abs=1e-6)
        assert "two_layer_net/affine1/MatMul" in {n.name for n in acc.Graph().node}


def test_resume_keeps_the_runs_settings(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _train(tmp_path, out, "--iters", "10", "--lr", "0.05", "--hidden", "20").returncode == 0
    done = _train(tmp_path, out, "--resume")
    assert done.returncode == 2
    assert "has trained 10 of its 10 steps already" in done.stderr
    changed = _train(tmp_path, out, "--resume", "--iters", "20", "--lr", "0.1")
    assert changed.returncode == 2
    assert "--lr 0.1 differs from the run's 0.05" in changed.stderr
    wider = _train(tmp_path, out, "--resume", "--iters", "20", "--hidden", "30")
    assert wider.returncode == 2 and "the model flags give" in wider.stderr
    ok = _train(tmp_path, out, "--resume", "--iters", "20")
    assert ok.returncode == 0, ok.stderr
    m = _metrics(out)
    assert m["lr"] == 0.05 and m["model_kwargs"]["hidden_size"] == 20 and m["iterations"] == 20


def test_resume_after_ctrl_c(tmp_path: Path) -> None:
    """A run stopped by Ctrl-C somewhere inside an epoch and resumed to N steps equals a run
    of N steps."""
    out = tmp_path / "stopped"
    argv = [
        sys.executable,
        "-m",
        "flowzero",
        "train",
        "--iters",
        "1000000",
        "--out",
        str(out),
        *FAST,
        "--no-tensorboard",
    ]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=cli_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:  # training: the first epoch has ended
            if re.match(r"epoch\s+1/", line):
                break
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    stopped_at = _metrics(out)["iterations"]
    total = stopped_at + 45
    resumed = _train(tmp_path, out, "--resume", "--iters", str(total), "--no-tensorboard")
    assert resumed.returncode == 0, resumed.stderr
    assert f"(step {stopped_at} of {total}," in resumed.stdout
    straight = tmp_path / "straight"
    assert _train(tmp_path, straight, "--iters", str(total), "--no-tensorboard").returncode == 0
    a, b = _metrics(straight), _metrics(out)
    assert b["loss"] == a["loss"] and b["test_acc"] == a["test_acc"]
    assert [e["iteration"] for e in b["epochs"]] == [e["iteration"] for e in a["epochs"]]
    assert b["interrupted"] is False


def test_resume_of_an_auto_run_stays_on_the_data_it_used(tmp_path: Path) -> None:
    """`--data auto` picks full MNIST once it is cached: a resumed run keeps the data set its
    first part trained on (here the bundled subset)."""
    out = tmp_path / "run"
    first = run_cli("train", "--out", str(out), "--iters", "5", "--no-plot", tmp=tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads((out / "checkpoints" / "run.json").read_text())["data"] == "auto"
    again = run_cli("train", "--out", str(out), "--iters", "10", "--resume", tmp=tmp_path)
    assert again.returncode == 0, again.stderr
    assert _metrics(out)["data"]["spec"] == "subset"
    assert _train(tmp_path, out, "--resume", "--iters", "15").returncode == 0  # --data subset


def test_overwrite_leaves_files_that_only_look_like_a_runs(tmp_path: Path) -> None:
    """Another program's TensorBoard events in DIR/logs: not a flowzero run, so --overwrite
    removes nothing and says so (and a plain run still refuses to mix with them)."""
    out = tmp_path / "mine"
    (out / "logs").mkdir(parents=True)
    events = out / "logs" / "events.out.tfevents.1700000000.host"
    events.write_bytes(b"their events")
    plain = _train(tmp_path, out, "--iters", "5")
    assert plain.returncode == 2 and "already holds a training run (logs)" in plain.stderr
    over = _train(tmp_path, out, "--iters", "5", "--overwrite")
    assert over.returncode == 2, over.stderr
    assert "no flowzero run.json or metrics.json" in over.stderr
    assert "nothing was removed" in over.stderr
    assert events.read_bytes() == b"their events"
    assert not (out / "checkpoints").exists()
