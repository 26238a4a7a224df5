"""tf.train.Supervisor (single process): initialize or restore from logdir, the checkpoint
thread, managed_session's stop and error handling, summaries."""

from __future__ import annotations

import time

import numpy as np
import pytest

import flowzero as tf


def _model():
    gs = tf.train.get_or_create_global_step()
    w = tf.Variable(1.0, name="w")
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(w * w, global_step=gs)
    return gs, w, train_op


def test_initializes_checkpoints_and_restores(tmp_path):
    logdir = str(tmp_path)
    with tf.Graph().as_default():
        gs, w, train_op = _model()
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=0.05, save_summaries_secs=0)
        assert tf.get_default_graph().finalized
        with sv.managed_session() as sess:
            for _ in range(5):
                sess.run(train_op)
            w_after = sess.run(w)
            deadline = time.monotonic() + 2.0
            while tf.train.latest_checkpoint(logdir) is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert tf.train.latest_checkpoint(logdir) is not None  # the checkpoint thread's
            sv.saver.save(sess, sv.save_path, global_step=gs)
            assert not sv.should_stop()
        assert sv.should_stop()
        assert sv.save_path == str(tmp_path / "model.ckpt")
    assert tf.train.latest_checkpoint(logdir) == str(tmp_path / "model.ckpt-5")
    with tf.Graph().as_default():
        gs, w, train_op = _model()
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=0, save_summaries_secs=0)
        with sv.managed_session() as sess:
            assert sess.run(gs) == 5
            np.testing.assert_allclose(sess.run(w), w_after)


def test_managed_session_stops_on_errors_and_out_of_range(tmp_path):
    with tf.Graph().as_default():
        _, w, train_op = _model()
        sv = tf.train.Supervisor(logdir=None)
        with sv.managed_session() as sess:
            sess.run(train_op)
            raise tf.errors.OutOfRangeError(None, None, "input exhausted")
        assert sv.should_stop()
    with tf.Graph().as_default():
        _model()
        sv = tf.train.Supervisor(logdir=None)
        with pytest.raises(ZeroDivisionError), sv.managed_session():
            1 / 0  # noqa: B018


def test_request_stop_loop_and_summaries(tmp_path):
    with tf.Graph().as_default():
        gs, w, train_op = _model()
        tf.summary.scalar("w", w)
        sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
        calls = []
        with sv.managed_session() as sess:
            sv.loop(0.01, lambda: calls.append(1))
            sess.run(train_op)
            sv.summary_computed(sess, sess.run(sv.summary_op))
            while not calls:
                time.sleep(0.01)
            sv.request_stop()
            assert sv.should_stop()
        assert calls
    events = list(tmp_path.glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0


def test_non_chief_is_refused():
    with tf.Graph().as_default():
        _model()
        with pytest.raises(ValueError, match="is_chief=False"):
            tf.train.Supervisor(is_chief=False)
