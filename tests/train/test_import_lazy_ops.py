"""A meta graph holding ops from modules flowzero loads on first use (summaries, queues)
imports in a fresh program that never touched them (dennybritz/cnn-text-classification-tf's
eval.py imports its train.py graph, which has histogram summaries)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors, registry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "PYTHONPATH": ROOT}

_FRESH = textwrap.dedent("""
    import sys
    import flowzero as tf
    assert "flowzero.summary.summary_ops" not in sys.modules
    saver = tf.train.import_meta_graph(sys.argv[1])
    g = tf.get_default_graph()
    with tf.Session() as sess:
        saver.restore(sess, sys.argv[2])
        print(sess.run(g.get_tensor_by_name("out:0"), {"x:0": [[1.0, 2.0]]}).tolist())
        print(len(sess.run(g.get_tensor_by_name("hist:0"), {"x:0": [[1.0, 2.0]]})) > 0)
        print(g.get_operation_by_name("enq").type)
""")


def test_summary_and_queue_ops_import_in_a_fresh_process(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0], [3.0]], name="w")
        out = tf.identity(tf.matmul(x, w), name="out")
        tf.summary.histogram("hist", out)
        tf.FIFOQueue(4, [tf.float32], name="q").enqueue([1.0], name="enq")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    p = subprocess.run(
        [sys.executable, "-c", _FRESH, path + ".meta", path],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=str(tmp_path),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["[[7.0]]", "True", "QueueEnqueueV2"], p.stdout


def test_missing_op_type_hook_runs_once_per_miss_and_unknown_types_still_fail():
    seen = []
    registry.on_missing_op_type(seen.append)
    try:
        assert registry.get_op_class("MatMul").type == "MatMul"
        assert seen == []
        with pytest.raises(errors.NotFoundError, match="Op type not registered 'NoSuchOp'"):
            registry.get_op_class("NoSuchOp")
        assert seen == ["NoSuchOp"]
    finally:
        registry._ON_MISSING.remove(seen.append)
    np.testing.assert_equal(len(registry._ON_MISSING), 1)


def test_import_graph_def_with_a_summary_in_a_fresh_process(tmp_path):
    """tf.import_graph_def (not only import_meta_graph) of a GraphDef holding a summary op, in a
    program that has not loaded tf.summary yet."""
    import subprocess
    import sys
    import textwrap

    write = textwrap.dedent(
        f"""
        import flowzero as tf
        x = tf.placeholder(tf.float32, [None], name="x")
        tf.summary.histogram("h", x)
        tf.train.write_graph(tf.get_default_graph().as_graph_def(), {str(tmp_path)!r},
                             "g.pb", as_text=False)
        """
    )
    read = textwrap.dedent(
        f"""
        import flowzero as tf
        gd = tf.GraphDef()
        gd.ParseFromString(open({str(tmp_path / "g.pb")!r}, "rb").read())
        tf.import_graph_def(gd, name="")
        print(sorted(o.type for o in tf.get_default_graph().get_operations()))
        """
    )
    for code in (write, read):
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        assert res.returncode == 0, res.stderr
    assert "HistogramSummary" in res.stdout
