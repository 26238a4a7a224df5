"""tf.train.ExponentialMovingAverage against a NumPy reference, with num_updates, and as TF1
evaluation code uses it (a Saver restoring the averages into the variables)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def test_shadow_tracks_the_variable_with_the_decay_and_num_updates():
    w = tf.Variable([1.0, 2.0], name="w")
    step = tf.Variable(0, trainable=False, name="step")
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step)
    bump = tf.group(tf.assign_add(w, [1.0, 1.0]), tf.assign_add(step, 1))
    with tf.control_dependencies([bump]):
        train = ema.apply([w])
    avg = ema.average(w)
    assert avg.op.name == "w/ExponentialMovingAverage" == ema.average_name(w)
    assert tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES) == [avg]
    assert avg not in tf.trainable_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            sess.run(train)
        got = sess.run(avg)
    shadow, wv = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    for n in range(1, 5):  # the control dependency ran first: num_updates is already n
        wv = wv + 1
        decay = min(0.9, (1 + n) / (10 + n))
        shadow = shadow - (1 - decay) * (shadow - wv)
    np.testing.assert_allclose(got, shadow, rtol=1e-6)


def test_variables_to_restore_loads_the_averages(tmp_path):
    w = tf.Variable([0.0, 0.0], name="w")
    ema = tf.train.ExponentialMovingAverage(0.5)
    with tf.control_dependencies([tf.assign_add(w, [2.0, 4.0])]):
        train = ema.apply()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
        want = sess.run(ema.average(w))
    tf.reset_default_graph()
    w = tf.Variable([0.0, 0.0], name="w")
    ema = tf.train.ExponentialMovingAverage(0.5)
    restore = tf.train.Saver(ema.variables_to_restore())
    with tf.Session() as sess:
        restore.restore(sess, path)
        np.testing.assert_allclose(sess.run(w), want)
    np.testing.assert_allclose(want, [1.0, 2.0])


def test_only_float_values_can_be_averaged():
    with pytest.raises(TypeError, match="int32"):
        tf.train.ExponentialMovingAverage(0.9).apply([tf.Variable(1, name="n")])
