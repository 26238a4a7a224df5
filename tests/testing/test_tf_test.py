"""tf.test: TestCase (setUp, sessions, assertions, test_session skipped as a test), main,
compute_gradient / compute_gradient_error (vs TF's checker where TensorFlow is installed),
and the CPU-only device queries."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import unittest

import numpy as np
import pytest

import flowzero as tf


def _run_case(cls: type, name: str) -> unittest.TestResult:
    result = unittest.TestResult()
    cls(name).run(result)
    return result


class _Model(tf.test.TestCase):
    __test__ = False  # run by the tests below through unittest, not collected by pytest

    def test_graph_is_fresh_and_seeded(self):
        assert tf.get_default_graph().get_operations() == []
        assert tf.get_default_graph().seed == 87654321
        tf.constant(1.0)

    def test_sessions_and_assertions(self):
        with self.test_session() as sess:
            x = tf.constant([[1.0, -2.0]])
            self.assertAllClose(tf.nn.relu(x).eval(), [[1.0, 0.0]])
            self.assertAllClose({"a": x, "b": [1, 2]}, {"a": [[1.0, -2.0]], "b": [1, 2]})
            self.assertAllEqual(tf.shape(x), [1, 2])
            self.assertShapeEqual(np.zeros((1, 2)), x)
            self.assertEqual(self.evaluate(x * 2).tolist(), [[2.0, -4.0]])
            self.assertIs(tf.get_default_session(), sess)
            self.assertNotAllClose(x, [[1.0, 2.0]])
            self.assertAllInRange(tf.sigmoid(x), 0.0, 1.0)
            self.assertArrayNear([1.0, 2.0], [1.0, 2.0001], 1e-3)
        with self.cached_session() as again:
            self.assertIs(again, sess)

    def test_raises_op_error(self):
        p = tf.placeholder(tf.float32)
        with self.session(), self.assertRaisesOpError("cannot reshape"):
            tf.reshape(p, [3]).eval({p: np.zeros(4)})

    def test_all_close_fails_with_numbers(self):
        self.assertAllClose([1.0, 2.0], [1.0, 2.5])


def test_testcase_methods_pass_and_fail_as_tf():
    for name in ["test_graph_is_fresh_and_seeded", "test_sessions_and_assertions"]:
        r = _run_case(_Model, name)
        assert r.wasSuccessful(), r.failures + r.errors
    r = _run_case(_Model, "test_raises_op_error")
    assert r.wasSuccessful(), r.failures + r.errors
    r = _run_case(_Model, "test_all_close_fails_with_numbers")
    assert len(r.failures) == 1 and "Mismatched elements: 1 / 2" in r.failures[0][1]
    # unittest collects the test_session helper by its name; it skips itself (as TF's).
    r = _run_case(_Model, "test_session")
    assert len(r.skipped) == 1 and r.skipped[0][1] == "Not a test."


def test_main_runs_the_program_s_tests(tmp_path):
    prog = tmp_path / "model_test.py"
    prog.write_text(
        textwrap.dedent("""
        import flowzero as tf

        class ShapeTest(tf.test.TestCase):
            def testShape(self):
                with self.test_session():
                    self.assertEqual(tf.zeros([2, 3]).eval().shape, (2, 3))

        if __name__ == "__main__":
            tf.test.main()
        """)
    )
    p = subprocess.run(
        [sys.executable, str(prog)], capture_output=True, text=True, timeout=120, check=False
    )
    assert p.returncode == 0, p.stderr
    assert "Ran 2 tests" in p.stderr and "OK (skipped=1)" in p.stderr


def _tanh_matmul():
    x = tf.placeholder(tf.float64, [2, 3])
    w = tf.constant(np.arange(12.0).reshape(3, 4) / 10)
    return x, tf.tanh(tf.matmul(x, w))


XV = np.linspace(-1, 1, 6).reshape(2, 3)


def test_compute_gradient_jacobians_against_numpy():
    with tf.Graph().as_default(), tf.Session():
        x, y = _tanh_matmul()
        theo, num = tf.test.compute_gradient(x, [2, 3], y, [2, 4], x_init_value=XV)
        err = tf.test.compute_gradient_error(x, [2, 3], y, [2, 4], x_init_value=XV)
    w = np.arange(12.0).reshape(3, 4) / 10
    d = 1 - np.tanh(XV @ w) ** 2
    want = np.zeros((6, 8))  # d y[b, j] / d x[b, i] = d[b, j] * w[i, j]
    for b in range(2):
        want[b * 3 : b * 3 + 3, b * 4 : b * 4 + 4] = w * d[b]
    np.testing.assert_allclose(theo, want, rtol=1e-12)
    np.testing.assert_allclose(num, want, atol=1e-6)
    assert 0 < err < 1e-6


def test_compute_gradient_list_of_inputs_and_errors():
    with tf.Graph().as_default(), tf.Session():
        a = tf.placeholder(tf.float64, [3])
        b = tf.placeholder(tf.float64, [3])
        y = a * b
        pairs = tf.test.compute_gradient(
            [a, b], [[3], [3]], y, [3], x_init_value=[np.ones(3), np.arange(3.0)]
        )
        np.testing.assert_allclose(pairs[0][0], np.diag(np.arange(3.0)))
        np.testing.assert_allclose(pairs[1][0], np.eye(3))
        with pytest.raises(ValueError, match="x_init_value .* has shape"):
            tf.test.compute_gradient(a, [3], y, [3], x_init_value=np.ones(2))
    with tf.Graph().as_default(), pytest.raises(ValueError, match="default session"):
        x, y = _tanh_matmul()
        tf.test.compute_gradient(x, [2, 3], y, [2, 4])


def test_device_queries_and_temp_dir():
    assert tf.test.is_gpu_available() is False and tf.test.gpu_device_name() == ""
    assert tf.test.is_built_with_cuda() is False
    assert tf.test.get_temp_dir() == tf.test.get_temp_dir()


def test_compute_gradient_matches_tensorflow():
    tft = pytest.importorskip("tensorflow")
    v1 = tft.compat.v1
    g = v1.Graph()
    with g.as_default(), v1.Session(graph=g):
        x = v1.placeholder(v1.float64, [2, 3])
        y = v1.tanh(v1.matmul(x, v1.constant(np.arange(12.0).reshape(3, 4) / 10)))
        want = v1.test.compute_gradient(x, [2, 3], y, [2, 4], x_init_value=XV)
    with tf.Graph().as_default(), tf.Session():
        x, y = _tanh_matmul()
        got = tf.test.compute_gradient(x, [2, 3], y, [2, 4], x_init_value=XV)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-9)
