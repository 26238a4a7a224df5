"""The eager hot path (EagerGraph.create_op): an op called again with the same name, attrs and
input specs reuses its OpDef and output spec from one dict lookup. These tests check that what
it skips changes nothing: values, dtypes, shapes, node names, errors, tapes and defun traces.
Each test runs in a fresh interpreter (eager mode is process-wide)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Counts the calls that miss the hot path (the full path fills its cache).
_PRELUDE = """
import threading
import numpy as np
import flowzero as tf
tf.enable_eager_execution()
g = tf.get_default_graph()
full_calls = []
_full = g._create_op
def _counting(*args):
    full_calls.append(args[0].type)
    return _full(*args)
g._create_op = _counting
"""


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_repeated_ops_take_the_hot_path_with_fresh_values_names_and_specs():
    _run("""
        a = tf.constant([[1.0, 2.0]])
        b = tf.constant([[3.0], [4.0]])
        img = tf.constant(np.arange(2 * 5 * 5 * 3, dtype=np.float32).reshape(2, 5, 5, 3))
        flt = tf.constant(np.linspace(-1, 1, 3 * 3 * 3 * 4, dtype=np.float32).reshape(3, 3, 3, 4))
        m = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
        calls = {
            "MatMul": lambda: tf.matmul(a, b),
            "MatMul_t": lambda: tf.matmul(b, a, transpose_a=True, transpose_b=True),
            "Mul": lambda: tf.multiply(a, a),
            "Conv2D": lambda: tf.nn.conv2d(img, flt, [1, 2, 2, 1], "SAME"),  # list attrs
            "Sum": lambda: tf.reduce_sum(m, axis=[1]),
            "Relu": lambda: tf.nn.relu(m - 5.0),
        }
        first = {k: f() for k, f in calls.items()}
        n_full = len(full_calls)
        for _ in range(3):
            for k, f in calls.items():
                y = f()
                assert y is not first[k] and y.op is not first[k].op
                assert y.dtype == first[k].dtype and y.shape == first[k].shape, k
                assert y.op.name == first[k].op.name and y.op.outputs == [y], k
                np.testing.assert_array_equal(y.numpy(), first[k].numpy())
        # all hits, but for the Const of `- 5.0` (a new constant: its value is an attr)
        assert full_calls[n_full:] == ["Const"] * 3, full_calls[n_full:]
        # the values against NumPy and graph mode
        np.testing.assert_allclose(first["MatMul"].numpy(), [[11.0]])
        np.testing.assert_allclose(first["MatMul_t"].numpy(), [[11.0]])
        np.testing.assert_allclose(first["Sum"].numpy(), [6.0, 22.0, 38.0])
        assert first["Conv2D"].shape == (2, 3, 3, 4)
        with tf.Graph().as_default():
            conv = tf.nn.conv2d(img.numpy(), flt.numpy(), [1, 2, 2, 1], "SAME")
            with tf.Session() as sess:
                np.testing.assert_allclose(first["Conv2D"].numpy(), sess.run(conv), rtol=1e-6)
        # same specs, other values: computed every time, never cached
        for i in range(4):
            x = tf.add(a, float(i))
            np.testing.assert_allclose(tf.matmul(x, b).numpy(), [[11.0 + 7 * i]])
        # the node name follows the name, and the scope, of each call
        with tf.name_scope("s"):
            assert tf.matmul(a, b).op.name == "s/MatMul"
            assert tf.matmul(a, b).op.name == "s/MatMul"
        assert tf.matmul(a, b).op.name == "MatMul"
        assert tf.matmul(a, b, name="mm").op.name == "mm"
        # integer and float64 products keep their dtype
        for _ in range(2):
            i32 = tf.matmul(tf.constant([[1, 2]]), tf.constant([[3], [4]]))
            f64 = tf.matmul(tf.constant([[0.5]], tf.float64), tf.constant([[3.0]], tf.float64))
            assert i32.dtype == tf.int32 and i32.numpy().dtype == np.int32
            assert f64.dtype == tf.float64 and f64.numpy().dtype == np.float64
            assert i32.numpy()[0, 0] == 11 and f64.numpy()[0, 0] == 1.5
    """)


def test_errors_on_the_hot_path():
    _run("""
        params = tf.constant([1.0, 2.0, 3.0])
        ok = tf.add(tf.constant([0, 2]), 0)   # an AddV2 output: keyed by its spec only
        bad = tf.add(tf.constant([0, 5]), 0)
        for _ in range(2):
            np.testing.assert_allclose(tf.gather(params, ok).numpy(), [1.0, 3.0])
        n_full = len(full_calls)
        try:
            tf.gather(params, bad)            # a hit whose kernel fails
        except tf.errors.InvalidArgumentError as e:
            assert "GatherV2" in str(e) and "5 is not in [0, 3)" in str(e), str(e)
        else:
            raise AssertionError("an out-of-range index was accepted")
        assert full_calls[n_full:] == ["Const"], full_calls[n_full:]  # the axis; GatherV2 hit
        a = tf.constant([[1.0, 2.0]])
        tf.matmul(a, tf.constant([[1.0], [2.0]]))
        try:                                  # other specs: inferred, and refused, again
            tf.matmul(a, tf.constant([[1.0, 2.0]]))
        except tf.errors.InvalidArgumentError as e:
            assert "MatMul" in str(e) and "inner dimensions" in str(e), str(e)
        else:
            raise AssertionError("mismatched inner dimensions were accepted")
        try:
            tf.matmul(a, tf.constant([[1], [2]]))
        except (TypeError, ValueError) as e:
            assert "MatMul" in str(e) and "int32" in str(e), str(e)
        else:
            raise AssertionError("mixed dtypes were accepted")
    """)


def test_tapes_and_defun_traces_still_see_every_op_after_warm_up():
    _run("""
        x = tf.constant(3.0)
        w = tf.Variable([[1.0], [2.0]])
        a = tf.constant([[1.0, 1.0], [2.0, 0.5]])
        for _ in range(3):                    # warm the hot path
            x * x
            tf.reduce_sum(tf.matmul(a, w))
        with tf.GradientTape() as t:
            t.watch(x)
            y = x * x
        assert t.gradient(y, x).numpy() == 6.0
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(tf.matmul(a, w))
        np.testing.assert_allclose(t.gradient(loss, w).numpy(), [[3.0], [1.5]])
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)
            with t.stop_recording():
                z = x * x                     # not recorded: no gradient through it
            y = x * x
        assert t.gradient(y, x).numpy() == 6.0 and t.gradient(z, x) is None
        # a tape open in another thread records only that thread's ops
        ready, done, seen = threading.Event(), threading.Event(), []
        def other():
            with tf.GradientTape() as t2:
                t2.watch(x)
                ready.set()
                done.wait(10)
                y2 = x * x * x
            seen.append(t2.gradient(y2, x).numpy())
        th = threading.Thread(target=other)
        th.start()
        ready.wait(10)
        with tf.GradientTape() as t:
            t.watch(x)
            y = x * x
        done.set()
        th.join(10)
        assert t.gradient(y, x).numpy() == 6.0 and seen == [27.0]
        # after the tapes: back on the hot path, nothing recorded or linked
        n_full = len(full_calls)
        y = x * x
        assert len(full_calls) == n_full and x.consumers() == [] and float(y) == 9.0
        # a defun trace builds graph ops, even for calls the hot path knows
        def scaled_product(v):
            return tf.matmul(a, v) * 2.0
        f = tf.contrib.eager.defun(scaled_product)
        np.testing.assert_allclose(f(tf.constant([[1.0], [1.0]])).numpy(), [[4.0], [5.0]])
        np.testing.assert_allclose(f(tf.constant([[2.0], [0.0]])).numpy(), [[4.0], [8.0]])
    """)
