"""Activation names in tf.layers, as a TF1 script uses them (`activation="relu"`): run as a
user runs a script, against NumPy, and against TensorFlow 1.15's Keras-based layers where
TensorFlow is installed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import flowzero as tf

ROOT = Path(__file__).resolve().parent.parent

# The names TF 1.15's tf.keras.activations.get accepts, with NumPy references.
REFERENCES = {
    "relu": lambda z: np.maximum(z, 0),
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "selu": lambda z: 1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772 * np.expm1(z)),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "softplus": lambda z: np.log1p(np.exp(z)),
    "softsign": lambda z: z / (1 + np.abs(z)),
    "linear": lambda z: z,
    "softmax": lambda z: (
        np.exp(z - z.max(-1, keepdims=True))
        / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)
    ),
    "exponential": np.exp,
    "hard_sigmoid": lambda z: np.clip(0.2 * z + 0.5, 0, 1),
}

X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32) * 3
W = np.random.default_rng(1).normal(size=(3, 5)).astype(np.float32)


def _dense(name: str) -> np.ndarray:
    with tf.Graph().as_default():
        x = tf.constant(X)
        y = tf.layers.dense(
            x, 5, activation=name, use_bias=False, kernel_initializer=tf.constant_initializer(W)
        )
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(y)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_dense_with_an_activation_name_matches_numpy(name: str) -> None:
    z = X.astype(np.float64) @ W.astype(np.float64)
    np.testing.assert_allclose(_dense(name), REFERENCES[name](z), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_dense_with_an_activation_name_matches_tensorflow(name: str) -> None:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.layers needs tf-keras in TF 2.x
    real_tf = pytest.importorskip("tensorflow")
    v1 = real_tf.compat.v1
    with real_tf.Graph().as_default():
        y = v1.layers.dense(
            v1.constant(X),
            5,
            activation=name,
            use_bias=False,
            kernel_initializer=v1.constant_initializer(W),
        )
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            expected = sess.run(y)
    np.testing.assert_allclose(_dense(name), expected, rtol=1e-5, atol=1e-6)


def test_a_tf1_script_with_activation_relu_runs(tmp_path: Path) -> None:
    """The line from the report, in a script run with `python`; an unknown name is one clear
    ValueError that lists the known names."""
    script = tmp_path / "mnist_dense.py"
    script.write_text(
        textwrap.dedent("""
        import flowzero as tf

        x = tf.placeholder(tf.float32, [None, 784])
        h = tf.layers.dense(x, 10, activation="relu")
        print(h.op.type, h.shape)
        try:
            tf.layers.dense(x, 10, activation="rleu")
        except ValueError as e:
            print("ValueError:", e)
    """)
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Relu (?, 10)"
    assert lines[1].startswith("ValueError: Unknown activation 'rleu'; expected a callable or")
    assert "'hard_sigmoid'" in lines[1] and "'relu'" in lines[1]
    assert "Traceback" not in out.stderr
