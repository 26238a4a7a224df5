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


# -- tf.norm --------------------------------------------------------------------------------------
NORMS = [
    ("euclidean", None),
    ("euclidean", 1),
    ("fro", (1, 2)),
    (1, (1, 2)),
    (np.inf, (2, 1)),
    (np.inf, -1),
    (1, 0),
    (3, 2),
    (2, -2),
]


@pytest.mark.parametrize("ord_, axis", NORMS)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_matches_numpy(ord_, axis, keepdims):
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    numpy_ord = {"euclidean": None, "fro": "fro"}.get(ord_, ord_)
    np_axis = axis
    if np_axis is None:
        want = np.linalg.norm(x.reshape(-1), keepdims=keepdims)
        want = want.reshape((1, 1, 1)) if keepdims else want
    else:
        want = np.linalg.norm(x, ord=numpy_ord, axis=np_axis, keepdims=keepdims)
    y = tf.norm(x, ord=ord_, axis=axis, keepdims=keepdims)
    with tf.Session() as sess:
        got = sess.run(y)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert y.shape.as_list() == list(np.shape(want))
    assert tf.linalg.norm is tf.norm


@pytest.mark.parametrize("ord_, axis", [("euclidean", 1), (3, 0), (1, (0, 1)), (np.inf, None)])
def test_norm_gradients(ord_, axis):
    from flowzero.testing.gradient_check import assert_gradients_close

    x = np.random.default_rng(1).normal(size=(3, 4))
    assert_gradients_close(lambda t: tf.norm(t, ord=ord_, axis=axis), [x], [0])


def test_norm_rejects_what_tensorflow_rejects():
    x = tf.ones([2, 3])
    with pytest.raises(ValueError, match="supported matrix norm"):
        tf.norm(x, ord=2, axis=(0, 1))
    with pytest.raises(ValueError, match="supported vector norm"):
        tf.norm(x, ord=-1)
    with pytest.raises(ValueError, match="2 unique integers"):
        tf.norm(x, axis=(1, 1))
    with pytest.raises(ValueError, match="None, an integer, or a tuple of 2"):
        tf.norm(x, axis=(0, 1, 2))
    with pytest.raises(ValueError, match="None, an integer, or a tuple of 2"):
        tf.norm(x, axis=[1])


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
@pytest.mark.parametrize("ord_, axis", NORMS)
def test_norm_matches_tensorflow(ord_, axis):
    import tensorflow as real_tf

    x = np.random.default_rng(2).normal(size=(3, 4, 5))
    want = real_tf.norm(x, ord=ord_, axis=axis).numpy()
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(tf.norm(x, ord=ord_, axis=axis)), want, rtol=1e-12)
