"""Ctrl-C during `flowzero train`: the run stops after the current step, saves a checkpoint
that restores, writes its metrics, and exits with 130."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import flowzero as tf
from tests.cli.conftest import HAVE_MATPLOTLIB, cli_env

pytestmark = pytest.mark.slow  # trains through the CLI in a subprocess


def test_sigint_saves_a_checkpoint_that_restores(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flowzero",
            "train",
            "--iters",
            "1000000",
            "--data",
            "subset",
            "--no-tensorboard",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=cli_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:  # wait until it is training: the first epoch has ended
            lines.append(line)
            if re.match(r"epoch\s+1/", line):
                break
        else:
            raise AssertionError(f"no epoch line:\n{''.join(lines)}\n{proc.stderr.read()}")
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stdout = "".join(lines) + rest
    assert proc.returncode == 130, f"{stdout}\n{err}"
    assert "Ctrl-C" in err and "Traceback" not in err
    assert re.search(r"^interrupted after \d+ of 1000000 steps", stdout, re.MULTILINE), stdout
    assert "test accuracy: " in stdout and "checkpoint: " in stdout

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["interrupted"] is True
    steps = metrics["iterations"]
    assert 40 <= steps < 1000000
    prefix = tf.train.latest_checkpoint(str(out / "checkpoints"))
    assert prefix is not None and prefix.endswith(f"model.ckpt-{steps}")
    assert (out / "training_curve.png").is_file() == HAVE_MATPLOTLIB

    # The checkpoint restores into a fresh graph and gives the accuracy the run printed.
    from flowzero.book.zoo import build_model
    from flowzero.cli.evaluate import locate
    from flowzero.datasets import mnist

    _, _, config = locate(str(out))
    graph = tf.Graph()
    with graph.as_default():
        net = build_model(config["model"], config["model_kwargs"])
        step = tf.train.get_or_create_global_step()
        saver = tf.train.Saver()
        (_, _), (xt, tt) = mnist.load_mnist(source="subset")
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            assert sess.run(step) == steps
            logits = sess.run(net.logits, {net.x: xt})
    correct = int(np.sum(np.argmax(logits, 1) == tt))
    assert correct == metrics["final"]["test_correct"]
