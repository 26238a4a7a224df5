"""RunOptions(trace_level=FULL_TRACE) + RunMetadata: per-op timings of a Session.run, written
for TensorBoard by FileWriter.add_run_metadata."""

import numpy as np
import pytest

import flowzero as tf


def _net():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    w = tf.Variable(np.ones((4, 3), np.float32), name="w")
    b = tf.Variable(np.zeros(3, np.float32), name="b")
    y = tf.nn.relu(tf.matmul(x, w) + b, name="y")
    loss = tf.reduce_sum(y, name="loss")
    return x, y, loss, tf.train.GradientDescentOptimizer(0.1).minimize(loss)


def test_a_traced_run_records_every_step_and_gives_the_same_values():
    with tf.Graph().as_default():
        x, y, loss, train = _net()
        xv = np.arange(8, dtype=np.float32).reshape(2, 4)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            plain = sess.run(y, {x: xv})
            opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
            md = tf.RunMetadata()
            traced = sess.run(y, {x: xv}, options=opts, run_metadata=md)
            np.testing.assert_array_equal(plain, traced)
            (dev,) = md.step_stats.dev_stats
            assert dev.device.endswith("device:CPU:0")
            names = [n.node_name for n in dev.node_stats]
            assert names[-1] == "y" and "w/read" in names or "w" in names
            fused = [n for n in dev.node_stats if "MatMul+Add+Relu" in n.timeline_label]
            assert fused and fused[0].output[0].tensor_description.shape.dim[1].size == 3
            for n in dev.node_stats:
                assert n.all_start_micros > 0 and n.op_end_rel_nanos >= 0
            # A train step traced too; an untraced run leaves the message alone.
            md2 = tf.RunMetadata()
            sess.run(train, {x: xv}, options=opts, run_metadata=md2)
            assert len(md2.step_stats.dev_stats[0].node_stats) > len(dev.node_stats)
            md3 = tf.RunMetadata()
            sess.run(y, {x: xv}, run_metadata=md3)
            assert not md3.step_stats.dev_stats


def test_add_run_metadata_writes_a_tagged_event(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto import config_pb2, event_pb2

    with tf.Graph().as_default():
        x, y, loss, train = _net()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
            md = tf.RunMetadata()
            sess.run(
                train,
                {x: np.ones((2, 4), np.float32)},
                options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                run_metadata=md,
            )
            writer.add_run_metadata(md, "step1", 1)
            with pytest.raises(ValueError, match="already in use"):
                writer.add_run_metadata(md, "step1", 2)
            with pytest.raises(TypeError, match="RunMetadata"):
                writer.add_run_metadata({}, "step2")
            writer.close()
    (path,) = list(tmp_path.glob("events.out.tfevents.*"))
    events = [event_pb2.Event.FromString(r) for r in RawEventFileLoader(str(path)).Load()]
    tagged = [e for e in events if e.HasField("tagged_run_metadata")]
    assert len(tagged) == 1 and tagged[0].tagged_run_metadata.tag == "step1"
    back = config_pb2.RunMetadata.FromString(tagged[0].tagged_run_metadata.run_metadata)
    assert len(back.step_stats.dev_stats[0].node_stats) == len(
        md.step_stats.dev_stats[0].node_stats
    )


def test_a_wrong_run_metadata_is_refused_before_the_step_runs():
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        bump = tf.assign_add(v, 1.0)
        opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
        with tf.Session() as sess:
            sess.run(v.initializer)
            with pytest.raises(TypeError, match="tf.RunMetadata"):
                sess.run(bump, options=opts, run_metadata={})
            assert sess.run(v) == 1.0  # nothing ran
