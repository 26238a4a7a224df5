"""TF1 eager execution: immediate ops on the graph-mode kernels, GradientTape (persistent,
watch, nested), tf.contrib.eager's gradient functions, optimizers, control flow. Eager mode is
process-wide (tf.enable_eager_execution() must come first), so each test runs in a fresh
interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    prog = (
        "import numpy as np\nimport flowzero as tf\ntf.enable_eager_execution()\n"
        + textwrap.dedent(code)
    )
    out = subprocess.run(
        [sys.executable, "-c", prog],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_ops_run_immediately_with_the_graph_kernels():
    _run("""
        assert tf.executing_eagerly()
        a = tf.constant([[1.0, 2.0]])
        b = tf.constant([[3.0], [4.0]])
        c = tf.matmul(a, b)
        assert isinstance(c, tf.Tensor) and c.shape == (1, 1)
        np.testing.assert_allclose(c.numpy(), [[11.0]])
        d = (a * 2 + 1) / tf.reduce_sum(a)
        np.testing.assert_allclose(d.numpy(), [[1.0, 5.0 / 3]], rtol=1e-6)
        assert float(tf.reduce_max(a)) == 2.0 and bool(a[0, 0] < a[0, 1])
        np.testing.assert_allclose(np.asarray(tf.nn.softmax(a))[0], np.exp([1, 2]) /
                                   np.exp([1, 2]).sum(), rtol=1e-6)
        with tf.Graph().as_default():          # a graph inside an eager program
            assert not tf.executing_eagerly()
            x = tf.placeholder(tf.float32, [2])
            with tf.Session() as sess:
                assert list(sess.run(x * 2, {x: [1, 2]})) == [2, 4]
        assert tf.executing_eagerly()
    """)


def test_variables_optimizers_and_control_flow():
    _run("""
        v = tf.Variable([1.0, 2.0])
        v.assign_add([1.0, 1.0])
        np.testing.assert_allclose(v.numpy(), [2.0, 3.0])
        y = v * 2                         # reads the current value
        np.testing.assert_allclose(y.numpy(), [4.0, 6.0])
        opt = tf.train.GradientDescentOptimizer(0.25)
        for _ in range(2):
            opt.minimize(lambda: tf.reduce_sum(tf.square(v)))  # v -= 0.25 * 2v
        np.testing.assert_allclose(v.numpy(), [0.5, 0.75])
        try:
            opt.minimize(tf.reduce_sum(v))
        except RuntimeError as e:
            assert "should be a function" in str(e)
        else:
            raise AssertionError("a Tensor loss was accepted")
        x = tf.constant(2.0)
        assert tf.cond(x > 1, lambda: x * 10, lambda: x).numpy() == 20.0
        i, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + x),
                             (tf.constant(0), tf.constant(0.0)))
        assert int(i) == 5 and float(s) == 10.0
        it = tf.contrib.eager.Iterator(tf.data.Dataset.from_tensor_slices(np.arange(3)))
        assert [int(e) for e in it] == [0, 1, 2]
        ds = tf.data.Dataset.from_tensor_slices((np.arange(4), np.arange(4) * 2)).batch(3)
        assert [(list(a.numpy()), list(b.numpy())) for a, b in ds] == \
            [([0, 1, 2], [0, 2, 4]), ([3], [6])]
    """)


def test_gradient_tape():
    _run("""
        x = tf.constant(3.0)
        with tf.GradientTape() as t:
            t.watch(x)
            y = x * x
        assert t.gradient(y, x).numpy() == 6.0
        try:
            t.gradient(y, x)
        except RuntimeError as e:
            assert "only be called once" in str(e)
        with tf.GradientTape(persistent=True) as t:
            t.watch(x)
            y = x * x
            z = y * y
        assert t.gradient(z, x).numpy() == 108.0 and t.gradient(y, x).numpy() == 6.0
        with tf.GradientTape() as t:      # not watched: no gradient, as in TF
            y = x * x
        assert t.gradient(y, x) is None
        with tf.GradientTape() as outer:  # nested: second derivative
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = x * x * x
            dy = inner.gradient(y, x)
        assert dy.numpy() == 27.0 and outer.gradient(dy, x).numpy() == 18.0
        w = tf.Variable([[1.0], [2.0]])  # trainable variables are watched
        a = tf.constant([[1.0, 1.0], [2.0, 0.5]])
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(tf.matmul(a, w) + tf.constant([1.0]))  # broadcast
        np.testing.assert_allclose(t.gradient(loss, w).numpy(), [[3.0], [1.5]])
        # a released tape leaves no links behind: nothing grows step after step
        ref = w._ref()
        for _ in range(5):
            with tf.GradientTape() as t:
                loss = tf.reduce_sum(w * w)
            t.gradient(loss, w)
        assert ref.consumers() == []
    """)


def test_contrib_eager_functions():
    _run("""
        tfe = tf.contrib.eager
        w = tfe.Variable(2.0)
        grads = tfe.implicit_gradients(lambda x: tf.square(w * x))(3.0)
        (g, var), = grads
        assert var is w and g.numpy() == 36.0          # d/dw (w x)^2 = 2 w x^2
        value, gv = tfe.implicit_value_and_gradients(lambda: w * 5.0)()
        assert value.numpy() == 10.0 and gv[0][0].numpy() == 5.0
        df = tfe.gradients_function(lambda x, y: x * x * y)
        gx, gy = df(3.0, 2.0)
        assert gx.numpy() == 12.0 and gy.numpy() == 9.0
        (gy,) = tfe.gradients_function(lambda x, y: x * x * y, params=["y"])(3.0, 2.0)
        assert gy.numpy() == 9.0
        assert tf.GradientTape is tfe.GradientTape
    """)


def test_graph_only_apis_say_so():
    _run("""
        try:
            tf.placeholder(tf.float32, [None])
        except RuntimeError as e:
            assert "not compatible with eager execution" in str(e)
        else:
            raise AssertionError("placeholder worked eagerly")
        try:
            tf.matmul(tf.constant([[1.0, 2.0]]), tf.constant([[1.0, 2.0]]))
        except tf.errors.InvalidArgumentError as e:
            assert "MatMul" in str(e) and "inner dimensions" in str(e)
    """)


def test_enable_eager_execution_must_come_first():
    prog = (
        "import flowzero as tf\ntf.constant(1.0)\n"
        "try:\n    tf.enable_eager_execution()\nexcept ValueError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", prog],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "must be called at program startup" in out.stdout


@pytest.mark.parametrize(
    "script",
    [
        "eager_linear_regression.py",
        # an epoch of MNIST training: ~3.6 s of CPU, 14 s on the loaded shared machine
        pytest.param("eager_mlp.py", marks=pytest.mark.slow),
    ],
)
def test_eager_examples(script):
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert "OK" in out.stdout, out.stdout
