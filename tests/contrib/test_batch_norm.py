"""tf.contrib.layers.batch_norm: contrib's names, defaults and update collections; training and
inference values against NumPy (TensorFlow 2.x no longer has contrib, and tf-slim's copy does
not import with it)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

X = np.random.default_rng(0).normal(2.0, 3.0, size=(6, 4, 4, 3))


def test_names_defaults_and_collections():
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    y = tf.contrib.layers.batch_norm(x)
    tf.contrib.layers.batch_norm(y, scale=True)
    assert sorted(v.name for v in tf.global_variables()) == [
        "BatchNorm/beta:0",
        "BatchNorm/moving_mean:0",
        "BatchNorm/moving_variance:0",
        "BatchNorm_1/beta:0",
        "BatchNorm_1/gamma:0",
        "BatchNorm_1/moving_mean:0",
        "BatchNorm_1/moving_variance:0",
    ]
    assert {v.name for v in tf.trainable_variables()} == {
        "BatchNorm/beta:0",
        "BatchNorm_1/beta:0",
        "BatchNorm_1/gamma:0",
    }
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 4
    assert len(tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)) == 7


def test_training_normalizes_and_updates_with_decay():
    x = tf.placeholder(tf.float64, [None, 4, 4, 3])
    y = tf.contrib.layers.batch_norm(x, decay=0.9, is_training=True)
    with tf.variable_scope("BatchNorm", reuse=True):
        mm = tf.get_variable("moving_mean", dtype=tf.float64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out, _ = sess.run([y, tf.get_collection(tf.GraphKeys.UPDATE_OPS)], {x: X})
        mean = X.mean(axis=(0, 1, 2))
        want = (X - mean) / np.sqrt(X.var(axis=(0, 1, 2)) + 0.001)
        np.testing.assert_allclose(out, want, rtol=1e-10)
        np.testing.assert_allclose(sess.run(mm), 0.1 * mean, rtol=1e-10)


def test_updates_collections_none_updates_with_the_output():
    x = tf.placeholder(tf.float64, [None, 3])
    y = tf.contrib.layers.batch_norm(x, updates_collections=None, decay=0.5)
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    with tf.variable_scope("BatchNorm", reuse=True):
        mm = tf.get_variable("moving_mean", dtype=tf.float64)
    xv = X.reshape(-1, 3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(y, {x: xv})
        np.testing.assert_allclose(sess.run(mm), 0.5 * xv.mean(axis=0), rtol=1e-10)


def test_inference_uses_the_moving_averages_and_a_tensor_switch():
    x = tf.placeholder(tf.float64, [None, 4, 4, 3])
    training = tf.placeholder(tf.bool, [])
    y = tf.contrib.layers.batch_norm(
        x,
        is_training=training,
        center=False,
        param_initializers={
            "moving_mean": tf.constant_initializer(1.0),
            "moving_variance": tf.constant_initializer(4.0),
        },
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(
            sess.run(y, {x: X, training: False}), (X - 1.0) / np.sqrt(4.0 + 0.001), rtol=1e-10
        )
        got = sess.run(y, {x: X, training: True})
        assert abs(got.mean()) < 1e-10


def test_unsupported_options_are_clear_errors():
    x = tf.ones([2, 3])
    with pytest.raises(ValueError, match="renorm is not supported"):
        tf.contrib.layers.batch_norm(x, renorm=True)
    with pytest.raises(ValueError, match="NCHW or NHWC"):
        tf.contrib.layers.batch_norm(x, data_format="NWC")
