"""A variable's storage tensor (`VariableV2:0`, as `get_tensor_by_name` returns it) used where a
value is expected is read implicitly, as TF 1.15 dereferences reference tensors; ops that take
the storage itself (assign, the optimizers' updates, control flow) still get it."""

from __future__ import annotations

import numpy as np

import flowzero as tf


def test_raw_variable_tensor_in_value_ops_and_assign():
    with tf.Graph().as_default() as g:
        w = tf.Variable([1.0, -2.0], name="w")
        raw = g.get_tensor_by_name("w:0")
        assert raw.op.type == "VariableV2"
        y = tf.abs(raw) * 10.0
        assign = tf.assign(raw, [3.0, 4.0])  # the storage itself: updates the variable
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(y), [10.0, 20.0])
            sess.run(assign)
            np.testing.assert_array_equal(sess.run(w), [3.0, 4.0])
            np.testing.assert_array_equal(sess.run(y), [30.0, 40.0])


def test_reusing_an_imported_models_weights(tmp_path):
    # handson-ml ch. 11's pattern: import a trained graph, fetch a layer's kernel by name and
    # build new ops on it.
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        h = tf.layers.dense(x, 3, name="hidden1")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, str(tmp_path / "m"))
            want = sess.run(tf.trainable_variables()[0])
    with tf.Graph().as_default() as g:
        restorer = tf.train.import_meta_graph(prefix + ".meta")
        kernel = g.get_tensor_by_name("hidden1/kernel:0")
        l1 = tf.reduce_sum(tf.abs(kernel))
        with tf.Session() as sess:
            restorer.restore(sess, prefix)
            np.testing.assert_allclose(sess.run(l1), np.abs(want).sum(), rtol=1e-6)
    assert h is not None
