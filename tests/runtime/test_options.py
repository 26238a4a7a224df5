"""tf.ConfigProto / tf.GPUOptions / tf.GraphOptions / tf.RunOptions as TF1 programs use them:
TensorFlow's protobuf messages, accepted by Session, and the timeouts that flowzero honours."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import flowzero as tf


def test_gpu_options_idioms_build_and_run_a_session():
    config = tf.ConfigProto()
    config.gpu_options.allow_growth = True
    config.gpu_options.per_process_gpu_memory_fraction = 0.4
    config.allow_soft_placement = True
    config.graph_options.optimizer_options.global_jit_level = tf.OptimizerOptions.ON_1
    config.graph_options.rewrite_options.arithmetic_optimization = 2  # RewriterConfig.OFF
    other = tf.ConfigProto(
        gpu_options=tf.GPUOptions(per_process_gpu_memory_fraction=0.333),
        device_count={"GPU": 0, "CPU": 1},
        log_device_placement=False,
        intra_op_parallelism_threads=1,
        inter_op_parallelism_threads=1,
    )
    assert other.device_count["GPU"] == 0
    assert config.gpu_options.allow_growth is True
    x = tf.constant([[1.0, 2.0]])
    for c in (config, other):
        with tf.Session(graph=x.graph, config=c) as sess:
            np.testing.assert_allclose(sess.run(x * 2), [[2.0, 4.0]])


def test_config_is_a_protobuf_message():
    from google.protobuf import text_format

    config = tf.ConfigProto(intra_op_parallelism_threads=2, allow_soft_placement=True)
    config.gpu_options.allow_growth = True
    back = tf.ConfigProto.FromString(config.SerializeToString())
    assert back == config
    text = text_format.MessageToString(config)
    assert "allow_growth: true" in text
    assert text_format.Parse(text, tf.ConfigProto()) == config
    copy = tf.ConfigProto()
    copy.CopyFrom(config)
    assert copy.intra_op_parallelism_threads == 2
    assert tf.compat.v1.ConfigProto is tf.ConfigProto
    assert tf.RunOptions.FULL_TRACE == 3


def test_unknown_fields_are_errors_as_in_tf():
    with pytest.raises(ValueError, match="no_such_field"):
        tf.ConfigProto(no_such_field=1)
    config = tf.ConfigProto()
    with pytest.raises(AttributeError):
        config.gpu_options.no_such_field = True


def test_matches_tensorflows_bytes():
    tf_real = pytest.importorskip("tensorflow")
    ours = tf.ConfigProto(intra_op_parallelism_threads=3, device_count={"GPU": 0})
    ours.gpu_options.allow_growth = True
    ours.graph_options.optimizer_options.global_jit_level = tf.OptimizerOptions.ON_2
    theirs = tf_real.compat.v1.ConfigProto.FromString(ours.SerializeToString())
    assert theirs.intra_op_parallelism_threads == 3
    assert theirs.gpu_options.allow_growth
    assert theirs.device_count["GPU"] == 0
    assert theirs.graph_options.optimizer_options.global_jit_level == 2
    opts = tf_real.compat.v1.RunOptions(trace_level=3, timeout_in_ms=50)
    assert tf.RunOptions.FromString(opts.SerializeToString()).timeout_in_ms == 50


def test_operation_timeout_ends_a_blocked_dequeue():
    q = tf.FIFOQueue(2, tf.float32)
    x = q.dequeue()
    config = tf.ConfigProto(operation_timeout_in_ms=200)
    with tf.Session(graph=x.graph, config=config) as sess:
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError, match="dequeue of 1 element"):
            sess.run(x)
        assert time.monotonic() - start < 5
        sess.run(q.enqueue([1.0]))  # the session still works after the timeout
        assert sess.run(x) == 1.0


def test_run_options_timeout_ends_a_blocked_enqueue():
    q = tf.FIFOQueue(1, tf.float32)
    enq = q.enqueue([1.0])
    with tf.Session(graph=enq.graph) as sess:
        sess.run(enq)
        with pytest.raises(tf.errors.DeadlineExceededError, match="enqueue to the full"):
            sess.run(enq, options=tf.RunOptions(timeout_in_ms=100))
        assert sess.run(q.size()) == 1


def test_timeout_does_not_fire_when_the_element_arrives_in_time():
    q = tf.FIFOQueue(2, tf.float32)
    x = q.dequeue()
    enq = q.enqueue([7.0])
    with tf.Session(graph=x.graph) as sess:
        t = threading.Timer(0.1, lambda: sess.run(enq))
        t.start()
        got = sess.run(x, options=tf.RunOptions(timeout_in_ms=5000))
        t.join()
        assert got == 7.0


def test_negative_timeout_is_an_error():
    x = tf.constant(1.0)
    with tf.Session(graph=x.graph) as sess:
        with pytest.raises(ValueError, match="timeout_in_ms must be >= 0"):
            sess.run(x, options=tf.RunOptions(timeout_in_ms=-5))
