"""Traced runs (RunOptions FULL_TRACE -> RunMetadata.step_stats) and tf.train.ProfilerHook's
Chrome traces."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

import flowzero as tf


def test_full_trace_fills_step_stats_and_plain_runs_do_not():
    a = tf.placeholder(tf.float32, [3], name="a")
    y = tf.reduce_sum(tf.multiply(a, 2.0, name="double"), name="total")
    md = tf.RunMetadata()
    opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    with tf.Session() as sess:
        got = sess.run({"y": y}, {a: [1, 2, 3]}, options=opts, run_metadata=md)
        assert got == {"y": 12.0}
        nodes = md.step_stats.dev_stats[0].node_stats
        assert {"double", "total"} <= {n.node_name for n in nodes}
        assert all(n.op_end_rel_micros >= 0 and n.all_start_micros > 1e15 for n in nodes)
        md2 = tf.RunMetadata()
        assert sess.run(y, {a: [1, 1, 1]}, run_metadata=md2) == 6.0
        assert not md2.HasField("step_stats")  # no trace asked for
        assert sess.run(y, {a: [0, 0, 1]}) == 2.0  # the plan's untraced loop is intact


def _train(hooks, steps):
    step = tf.train.get_or_create_global_step()
    w = tf.Variable(np.ones(4, np.float32))
    loss = tf.reduce_sum(tf.square(w))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    with tf.train.MonitoredSession(hooks=hooks) as sess:
        for _ in range(steps):
            sess.run(train)


def test_profiler_hook_writes_chrome_traces_every_n_steps(tmp_path):
    _train([tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path))], 6)
    names = sorted(os.listdir(tmp_path))
    assert [n for n in names if n.startswith("timeline")] == [
        "timeline-2.json",
        "timeline-4.json",
        "timeline-6.json",
    ]
    # As TF, the traced runs' metadata also goes to the event file there (TensorBoard).
    assert any(n.startswith("events.out.tfevents") for n in names)
    trace = json.loads((tmp_path / "timeline-4.json").read_text())
    ops = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert any(e["args"]["op"] == "ApplyGradientDescent" for e in ops)
    assert all(e["dur"] >= 0 and "name" in e["args"] for e in ops)
    with pytest.raises(ValueError, match="every_secs or every_steps"):
        tf.train.ProfilerHook(output_dir=str(tmp_path))


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
def test_profiler_hook_files_match_tensorflow(tmp_path):
    import tensorflow as real_tf

    v1 = real_tf.compat.v1
    with v1.Graph().as_default():
        step = v1.train.get_or_create_global_step()
        train = v1.assign_add(step, 1)
        hook = v1.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path / "tf"))
        with v1.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(6):
                sess.run(train)
    _train([tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path / "fz"))], 6)
    theirs = sorted(f for f in os.listdir(tmp_path / "tf") if f.startswith("timeline"))
    assert sorted(f for f in os.listdir(tmp_path / "fz") if f.startswith("timeline")) == theirs
