"""Matrix composites and errors, and the matrix ops against TensorFlow where installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf


def test_composites():
    a = np.array([[2.0, 1.0], [1.0, 3.0]], np.float32)
    with tf.Session() as sess:
        got = sess.run(
            [
                tf.trace(a),
                tf.eye(2, 3),
                tf.eye(2, batch_shape=[2]),
                tf.diag([1.0, 2.0]),
                tf.diag_part(a),
                tf.matrix_transpose(np.ones((2, 3, 4), np.float32)),
            ]
        )
    assert got[0] == 5.0
    np.testing.assert_array_equal(got[1], np.eye(2, 3))
    assert got[2].shape == (2, 2, 2)
    np.testing.assert_array_equal(got[3], np.diag([1.0, 2.0]))
    np.testing.assert_array_equal(got[4], [2.0, 3.0])
    assert got[5].shape == (2, 4, 3)
    assert tf.linalg.transpose is tf.matrix_transpose and tf.linalg.inv is tf.matrix_inverse


def test_errors_name_the_op_and_shapes():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"MatrixInverse.*square.*\(2, 3\)"):
        tf.matrix_inverse(tf.zeros([2, 3]))
    with pytest.raises(TypeError, match="MatrixDeterminant.*float"):
        tf.matrix_determinant(tf.zeros([2, 2], tf.int32))
    singular = tf.matrix_inverse(tf.zeros([2, 2]), name="inv")
    with (
        tf.Session() as sess,
        pytest.raises(tf.errors.InvalidArgumentError, match="MatrixInverse 'inv'.*not invertible"),
    ):
        sess.run(singular)


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
def test_matches_tensorflow():
    import tensorflow as real_tf

    xv = np.random.default_rng(3).uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3)

    def run(mod):
        g = mod.Graph()
        with g.as_default():
            x = mod.placeholder(mod.float64, xv.shape)
            outs = [
                mod.matrix_inverse(x),
                mod.matrix_determinant(x),
                mod.matrix_diag_part(x),
                mod.linalg.trace(x),
                mod.matrix_diag(mod.matrix_diag_part(x)),
            ]
            loss = mod.add_n([mod.reduce_sum(o * o) for o in outs])
            (dx,) = mod.gradients(loss, [x])
            with mod.Session(graph=g) as sess:
                return sess.run(outs + [dx], {x: xv})

    for a, b in zip(run(tf), run(real_tf.compat.v1)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
