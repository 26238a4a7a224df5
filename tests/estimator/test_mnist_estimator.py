"""Acceptance: TF1's MNIST Estimator program (examples/estimator_mnist.py, the tutorial's
tf.layers CNN with numpy_input_fn) reaches the accuracy that the same network reaches when
trained in a plain Session loop, on the bundled MNIST subset."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import flowzero as tf

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "estimator_mnist.py"
# The tutorial's network, narrowed (8/16 filters, 128 units) to keep the test short, with a
# learning rate that learns in a few hundred steps.
PARAMS = {"filters": (8, 16), "units": 128, "learning_rate": 0.05}
STEPS, BATCH = 200, 50


def _example():
    spec = importlib.util.spec_from_file_location("estimator_mnist", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _plain_session_accuracy(ex, seed):
    """The example's model_fn graph, trained with a hand-written Session loop."""
    (x_train, y_train), (x_test, y_test) = ex.load_data()
    rng = np.random.default_rng(seed)
    with tf.Graph().as_default() as g:
        g.seed = seed
        tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, 784])
        y = tf.placeholder(tf.int32, [None])
        with tf.variable_scope("net"):
            train = ex.cnn_model_fn({"x": x}, y, tf.estimator.ModeKeys.TRAIN, PARAMS)
        with tf.variable_scope("net", reuse=True):
            pred = ex.cnn_model_fn({"x": x}, None, tf.estimator.ModeKeys.PREDICT, PARAMS)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            order = np.concatenate([rng.permutation(len(x_train)) for _ in range(3)])
            for i in range(STEPS):
                idx = order[i * BATCH : (i + 1) * BATCH]
                sess.run(train.train_op, {x: x_train[idx], y: y_train[idx]})
            classes = sess.run(pred.predictions["classes"], {x: x_test})
    return float(np.mean(classes == y_test))


@pytest.mark.slow
def test_mnist_estimator_matches_plain_session(tmp_path, capsys):
    ex = _example()
    clf, results = ex.main(
        steps=STEPS, model_dir=str(tmp_path), params=PARAMS, batch_size=BATCH, seed=7
    )
    assert results["global_step"] == STEPS
    plain = _plain_session_accuracy(ex, seed=7)
    print(f"estimator accuracy {results['accuracy']:.3f}, plain Session {plain:.3f}")
    assert plain > 0.85
    assert results["accuracy"] >= plain - 0.03
    # predict agrees with evaluate's accuracy on the same data
    (_, _), (x_test, y_test) = ex.load_data()
    preds = clf.predict(tf.estimator.inputs.numpy_input_fn({"x": x_test}, shuffle=False))
    classes = np.array([p["classes"] for p in preds])
    assert float(np.mean(classes == y_test)) == pytest.approx(results["accuracy"], abs=1e-6)
