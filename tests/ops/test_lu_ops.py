"""tf.linalg's LU family, slogdet, lstsq, pinv and matrix_rank: error paths and TF parity."""

import numpy as np
import pytest

import flowzero as tf


def test_lu_of_a_singular_matrix_fails_at_run_time():
    with tf.Graph().as_default(), tf.Session() as sess:
        lu, _ = tf.linalg.lu([[1.0, 2.0], [2.0, 4.0]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Lu.*not invertible"):
            sess.run(lu)


def test_lu_and_lstsq_reject_bad_shapes():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Lu.*square.*\(2, 3\)"):
            tf.linalg.lu(np.ones((2, 3)))
        with pytest.raises(ValueError, match=r"MatrixSolveLs.*same number of rows"):
            tf.linalg.lstsq(np.ones((4, 2)), np.ones((3, 1)))
        with pytest.raises(TypeError, match="LogMatrixDeterminant.*float"):
            tf.linalg.slogdet(np.ones((2, 2), np.int32))


def test_lstsq_gradient_needs_fast():
    with tf.Graph().as_default():
        a = tf.constant(np.ones((3, 2)) + np.eye(3, 2))
        x = tf.linalg.lstsq(a, np.ones((3, 1)), fast=False)
        with pytest.raises(LookupError, match="fast=True"):
            tf.gradients(x, a)


def test_lu_family_unknown_shapes():
    a = np.array([[4.0, 3.0, 0.5], [6.0, 3.0, 1.0], [1.0, 0.0, 2.0]])
    with tf.Graph().as_default(), tf.Session() as sess:
        ph = tf.placeholder(tf.float64, None)
        lu, p = tf.linalg.lu(ph)
        got = sess.run(
            [tf.linalg.lu_reconstruct(lu, p), tf.linalg.lu_matrix_inverse(lu, p)], {ph: a}
        )
    np.testing.assert_allclose(got[0], a, rtol=1e-14)
    np.testing.assert_allclose(got[1], np.linalg.inv(a), rtol=1e-13)


def test_linalg_matches_tensorflow():
    tft = pytest.importorskip("tensorflow")
    v1 = tft.compat.v1
    v1.disable_eager_execution()
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 4, 4))
    tall = rng.normal(size=(6, 3))
    rhs = rng.normal(size=(6, 2))
    low = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]])

    def build(m):
        lu, p = m.linalg.lu(a)
        return [
            lu,
            p,
            m.linalg.lu_solve(lu, p, a[..., :1]),
            m.linalg.lu_matrix_inverse(lu, p),
            *m.linalg.slogdet(a),
            m.linalg.lstsq(tall, rhs, l2_regularizer=0.3),
            m.linalg.lstsq(tall, rhs),
            m.linalg.pinv(low),
            m.linalg.matrix_rank(np.stack([low, a[0, :3, :3]])),
        ]

    with v1.Graph().as_default(), v1.Session() as sess:
        want = sess.run(build(tft))
        x = v1.placeholder(tft.float64, [6, 3])
        gw = sess.run(v1.gradients(tft.linalg.lstsq(x, rhs, 0.3), x), {x: tall})
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(build(tf))
        x = tf.placeholder(tf.float64, [6, 3])
        gg = sess.run(tf.gradients(tf.linalg.lstsq(x, rhs, 0.3), x), {x: tall})
    for g, w in zip(got + gg, want + gw):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)
