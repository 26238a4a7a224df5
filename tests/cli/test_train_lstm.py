"""`flowzero train --model lstm` end to end: the recurrent model trains to the measured
accuracy with the usual outputs, evaluates from its checkpoint, and exports for serving."""

from __future__ import annotations

import json

import numpy as np
import pytest

import flowzero as tf
from tests.cli.conftest import run_cli

pytestmark = pytest.mark.slow  # trains the LSTM classifier

# Measured: seed 0, the defaults (Adam 5e-3, batch 128, 8 epochs of the 4,000-digit subset)
# end at test accuracy 0.943 (0.942 through the while-loop form).
LSTM_TEST_ACC = 0.90


def test_lstm_trains_evaluates_and_exports(tmp_path) -> None:
    out = tmp_path / "run"
    result = run_cli("train", "--model", "lstm", "--out", str(out), tmp=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    acc = float(result.value(r"^test accuracy: ([0-9.]+)"))
    assert acc >= LSTM_TEST_ACC, result.stdout
    assert "8 epochs x 32 steps = 256 steps" in result.stdout
    m = json.loads((out / "metrics.json").read_text())
    assert m["model"] == "lstm" and m["model_kwargs"] == {"hidden_size": 128, "seed": 0}
    assert (out / "checkpoints" / "model.ckpt-256.index").exists() or list(
        (out / "checkpoints").glob("model.ckpt-256*")
    )

    ev = run_cli("eval", "--checkpoint", str(out), tmp=tmp_path)
    assert ev.returncode == 0, ev.stderr
    assert abs(float(ev.value(r"test accuracy: ([0-9.]+)")) - acc) < 1e-9, ev.stdout

    exp = tmp_path / "models" / "lstm" / "1"
    ex = run_cli("export", "--checkpoint", str(out), "--out", str(exp), tmp=tmp_path)
    assert ex.returncode == 0, ex.stderr
    # The exported graph (a while loop inside) answers as the trained session did.
    from flowzero.datasets import mnist

    _, (xt, tt) = mnist.load_mnist(source="subset")
    g = tf.Graph()
    with tf.Session(graph=g) as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(exp))
        sig = meta.signature_def["serving_default"]
        x = g.get_tensor_by_name(sig.inputs["x"].name)
        classes = g.get_tensor_by_name(sig.outputs["classes"].name)
        pred = sess.run(classes, {x: xt})
    assert abs(float(np.mean(pred == tt)) - acc) < 1e-9
