"""A TF1 checkpoint of a recurrent network restores into flowzero's own graph: the same program
(an LSTMCell through dynamic_rnn and a dense layer) built with flowzero's API, restored with
tf.train.Saver from the checkpoint real TensorFlow wrote (tests/fixtures/tf/lstm), gives
TensorFlow's outputs. Equal variable names and weight layouts are what make this work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import flowzero as tf

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tf" / "lstm"


def _build():
    # The fixture's program (scripts/make_tf_fixtures.py, build_lstm), line for line.
    x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
    cell = tf.nn.rnn_cell.LSTMCell(6, initializer=tf.glorot_uniform_initializer(seed=4))
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, scope="rnn")
    last = outputs[:, -1, :]
    with tf.variable_scope("out"):
        w = tf.get_variable("weights", [6, 2], initializer=tf.random_normal_initializer(seed=5))
        b = tf.get_variable("biases", [2], initializer=tf.random_normal_initializer(seed=6))
    y = tf.add(tf.matmul(last, w), b, name="y")
    return x, y, state.c


def test_a_tensorflow_lstm_checkpoint_restores_into_flowzero_and_predicts_the_same():
    io = json.loads((FIXTURE / "io.json").read_text())
    expected = np.load(FIXTURE / "expected.npz", allow_pickle=False)
    x, y, final_c = _build()
    names = {v.op.name for v in tf.global_variables()}
    assert {"rnn/lstm_cell/kernel", "rnn/lstm_cell/bias", "out/weights", "out/biases"} <= names
    saver = tf.train.Saver()
    with tf.Session() as sess:
        saver.restore(sess, str(FIXTURE / io["checkpoint"]))
        got_y, got_c = sess.run([y, final_c], {x: expected["x"]})
        # and it trains on from there, as any restored model
        loss = tf.reduce_sum(tf.square(y))
        step = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
        before = sess.run(loss, {x: expected["x"]})
        sess.run(step, {x: expected["x"]})
        assert sess.run(loss, {x: expected["x"]}) < before
    np.testing.assert_allclose(got_y, expected["y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_c, expected["final_c"], rtol=1e-5, atol=1e-6)
