"""expm, sqrtm, logm and the tridiagonal ops: limits, error paths and TF parity."""

import numpy as np
import pytest

import flowzero as tf


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_sqrtm_without_a_real_root_is_nan_and_logm_needs_complex():
    with tf.Graph().as_default():
        got = _run(tf.linalg.sqrtm(np.array([[-1.0, 0.0], [0.0, 1.0]])))
        assert np.isnan(got).all()
        with pytest.raises(TypeError, match="MatrixLogarithm.*complex"):
            tf.linalg.logm(np.eye(2))
        with pytest.raises(ValueError, match=r"MatrixExponential.*square.*\(2, 3\)"):
            tf.linalg.expm(np.ones((2, 3)))


def test_tridiagonal_solve_errors():
    singular = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])  # rows 0, 1 equal
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="TridiagonalSolve.*invertible"):
            _run(tf.linalg.tridiagonal_solve(singular, np.ones((3, 1))))
        with pytest.raises(ValueError, match=r"TridiagonalSolve.*agree on M"):
            tf.linalg.tridiagonal_solve(np.ones((3, 4)), np.ones((3, 1)))
        with pytest.raises(ValueError, match="diagonals_format must be"):
            tf.linalg.tridiagonal_solve(np.ones((3, 4)), np.ones((4, 1)), diagonals_format="band")


def test_expm_gradient_unknown_batch_and_identity_cases():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 2, 2])
        e = tf.linalg.expm(x)
        g = tf.gradients(tf.reduce_sum(e), x)[0]
        got_e, got_g = _run([e, g], {x: np.zeros((3, 2, 2))})
    np.testing.assert_allclose(got_e, np.broadcast_to(np.eye(2), (3, 2, 2)))
    # d/dA sum(exp(A)) at A = 0 is the all-ones matrix
    np.testing.assert_allclose(got_g, np.ones((3, 2, 2)), rtol=1e-14)


def test_matrix_functions_match_tensorflow():
    tft = pytest.importorskip("tensorflow")
    v1 = tft.compat.v1
    v1.disable_eager_execution()
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 4, 4)) * np.array([0.05, 0.7, 3.0])[:, None, None]
    spd = a[1] @ a[1].T + np.eye(4)
    c = np.eye(4) + 0.4 * (rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))
    diags = rng.normal(size=(2, 3, 6)) + np.array([0.0, 5.0, 0.0])[:, None]
    rhs = rng.normal(size=(2, 6, 3))

    def build(m):
        const = m.constant
        return [
            m.linalg.expm(const(a)),
            m.linalg.expm(const(a.astype(np.float32))),
            m.linalg.sqrtm(const(spd)),
            m.linalg.logm(const(c)),
            m.linalg.tridiagonal_solve(const(diags), const(rhs)),
            m.linalg.tridiagonal_solve(const(diags), const(rhs), partial_pivoting=False),
            m.linalg.tridiagonal_matmul(const(diags), const(rhs)),
        ]

    with v1.Graph().as_default(), v1.Session() as sess:
        want = sess.run(build(tft))
        x = v1.placeholder(tft.float64, [2, 3, 6])
        gw = sess.run(
            v1.gradients(tft.linalg.tridiagonal_solve(x, tft.constant(rhs)), x), {x: diags}
        )
        y = v1.placeholder(tft.float64, [4, 4])
        ew = sess.run(v1.gradients(tft.linalg.expm(y) * a[1], y), {y: a[2]})
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(build(tf))
        x = tf.placeholder(tf.float64, [2, 3, 6])
        gg = sess.run(tf.gradients(tf.linalg.tridiagonal_solve(x, rhs), x), {x: diags})
        y = tf.placeholder(tf.float64, [4, 4])
        eg = sess.run(tf.gradients(tf.linalg.expm(y) * a[1], y), {y: a[2]})
    for k, (g, w) in enumerate(zip(got + gg + eg, want + gw + ew)):
        tol = 2e-5 if k == 1 else 1e-9
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.abs(w).max(), err_msg=str(k))
