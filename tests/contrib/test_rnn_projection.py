"""tf.contrib.rnn.OutputProjectionWrapper / InputProjectionWrapper against NumPy: TF's
variable names, the projection per step, and argument errors (ageron/handson-ml ch. 14 wraps
a BasicRNNCell in OutputProjectionWrapper for time-series regression)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def _np_rnn(x, w, b):
    h = np.zeros((x.shape[0], b.size))
    outs = []
    for t in range(x.shape[1]):
        h = np.tanh(np.concatenate([x[:, t], h], 1) @ w + b)
        outs.append(h)
    return np.stack(outs, 1), h


def test_output_projection_wrapper_matches_numpy_and_tf_names():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((3, 5, 2))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 5, 2])
        cell = tf.contrib.rnn.OutputProjectionWrapper(
            tf.nn.rnn_cell.BasicRNNCell(4), output_size=1, activation=tf.nn.relu
        )
        assert cell.output_size == 1 and cell.state_size == 4
        outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64)
        names = sorted(v.op.name for v in tf.trainable_variables())
        assert names == [
            "rnn/output_projection_wrapper/basic_rnn_cell/bias",
            "rnn/output_projection_wrapper/basic_rnn_cell/kernel",
            "rnn/output_projection_wrapper/bias",
            "rnn/output_projection_wrapper/kernel",
        ]
        assert outputs.shape.as_list() == [None, 5, 1]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(
                tf.trainable_variables()[-1].assign([0.3])
            )  # TF order: cell first  # a nonzero projection bias
            got_out, got_state = sess.run([outputs, state], {x: xv})
            v = {n.op.name.split("/", 2)[2]: sess.run(n) for n in tf.trainable_variables()}
    hs, h = _np_rnn(xv, v["basic_rnn_cell/kernel"], v["basic_rnn_cell/bias"])
    np.testing.assert_allclose(got_state, h, rtol=1e-12)
    want = np.maximum(hs @ v["kernel"] + v["bias"], 0)
    np.testing.assert_allclose(got_out, want, rtol=1e-12)


def test_input_projection_wrapper_projects_before_the_cell():
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((2, 3, 6))
    with tf.Graph().as_default():
        x = tf.constant(xv)
        cell = tf.contrib.rnn.InputProjectionWrapper(tf.nn.rnn_cell.BasicRNNCell(4), num_proj=2)
        assert cell.output_size == 4
        outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(outputs)
            v = {n.op.name.split("/", 2)[2]: sess.run(n) for n in tf.trainable_variables()}
    assert v["kernel"].shape == (6, 2)
    proj = xv @ v["kernel"] + v["bias"]
    want, _ = _np_rnn(proj, v["basic_rnn_cell/kernel"], v["basic_rnn_cell/bias"])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_projection_wrappers_check_their_sizes():
    with pytest.raises(ValueError, match="output_size must be a positive int; got 0"):
        tf.contrib.rnn.OutputProjectionWrapper(tf.nn.rnn_cell.BasicRNNCell(4), 0)
    with pytest.raises(ValueError, match="num_proj must be a positive int"):
        tf.contrib.rnn.InputProjectionWrapper(tf.nn.rnn_cell.BasicRNNCell(4), -1)
    with pytest.raises(TypeError):
        tf.contrib.rnn.OutputProjectionWrapper("not a cell", 3)
