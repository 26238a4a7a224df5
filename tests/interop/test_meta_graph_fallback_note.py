"""A graph without a TensorFlow form (here: a softmax over axis 0) is saved as flowzero's JSON meta
graph, and the user is told once per graph that TensorFlow cannot import that file."""

from __future__ import annotations

import logging

import flowzero as tf


def test_json_fallback_is_announced_once_per_graph(tmp_path, caplog):
    with tf.Graph().as_default():
        # TF's Softmax works on the last axis only: no TF form for this one
        enq = tf.nn.softmax(tf.constant([[1.0, 2.0], [3.0, 4.0]]), axis=0)
        v = tf.Variable(1.0)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), enq])
            saver = tf.train.Saver()
            with caplog.at_level(logging.WARNING, logger="flowzero"):
                saver.save(sess, str(tmp_path / "m"), global_step=1)
                saver.save(sess, str(tmp_path / "m"), global_step=2)
        said = [r for r in caplog.records if "JSON format" in r.getMessage()]
        assert len(said) == 1
        assert "Softmax" in said[0].getMessage()
        assert "TensorFlow cannot import" in said[0].getMessage()
    with tf.Graph().as_default():
        restored = tf.train.import_meta_graph(str(tmp_path / "m-2.meta"))
        with tf.Session() as sess:
            restored.restore(sess, str(tmp_path / "m-2"))
            assert sess.run(v.name) == 1.0
