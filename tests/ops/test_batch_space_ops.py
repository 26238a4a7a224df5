"""space_to_batch(_nd), batch_to_space(_nd), required_space_to_batch_paddings: round trips,
errors, and (where TensorFlow is installed) equality with it."""

import numpy as np
import pytest

import flowzero as tf


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_required_paddings_round_trip_static_and_fed():
    x = np.random.default_rng(0).normal(size=(2, 5, 7, 3)).astype(np.float32)
    with tf.Graph().as_default():
        shp = tf.placeholder(tf.int32, [2])
        for spatial in ([5, 7], shp):
            pads, crops = tf.required_space_to_batch_paddings(spatial, [2, 3], [[1, 0], [0, 0]])
            y = tf.space_to_batch_nd(x, [2, 3], pads)
            z = tf.batch_to_space_nd(y, [2, 3], crops)
            got_p, got_c, got_z = _run([pads, crops, z], {shp: [5, 7]})
            np.testing.assert_array_equal(got_p, [[1, 0], [0, 2]])
            np.testing.assert_array_equal(got_c, [[0, 0], [0, 2]])
            np.testing.assert_array_equal(got_z, np.pad(x, [(0, 0), (1, 0), (0, 0), (0, 0)]))
        assert tf.space_to_batch_nd(x, [2, 3], [[1, 0], [0, 2]]).shape.as_list() == [12, 3, 3, 3]


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="SpaceToBatchND.*divisible"):
            tf.space_to_batch_nd(tf.zeros([1, 5, 4, 1]), [2, 2], [[0, 0], [0, 0]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="BatchToSpaceND.*divisible"):
            tf.batch_to_space_nd(tf.zeros([3, 2, 2, 1]), [2, 2], [[0, 0], [0, 0]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="paddings must have shape"):
            tf.space_to_batch_nd(tf.zeros([1, 4, 4, 1]), [2, 2], [[0, 0, 0]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
            tf.space_to_batch_nd(tf.zeros([1, 4, 4, 1]), [2, 2], [[-1, 1], [0, 0]])
        p = tf.placeholder(tf.int32, [2, 2])
        y = tf.space_to_batch_nd(tf.zeros([1, 4, 4, 1]), [2, 2], p)
        with pytest.raises(tf.errors.InvalidArgumentError, match="SpaceToBatchND.*divisible"):
            _run(y, {p: [[0, 1], [0, 0]]})
        with pytest.raises(ValueError, match="not both"):
            tf.space_to_batch(tf.zeros([1, 4, 4, 1]), [[0, 0], [0, 0]], 2, block_shape=[2, 2])


def test_equal_to_tensorflow():
    tft = pytest.importorskip("tensorflow").compat.v1
    tft.disable_eager_execution()
    x = np.random.default_rng(1).normal(size=(2, 5, 4, 3)).astype(np.float32)

    def build(t):
        xt = t.constant(x)
        y = t.space_to_batch_nd(xt, [2, 3], [[1, 0], [0, 2]])
        p, c = t.required_space_to_batch_paddings([5, 4], [3, 2], [[0, 1], [1, 1]])
        return [
            y,
            t.batch_to_space_nd(y * 2.0, [2, 3], [[1, 0], [1, 1]]),
            t.nn.space_to_batch(xt[:, :4], [[0, 0], [2, 0]], 2),
            t.batch_to_space(t.reshape(t.range(48.0), [4, 2, 3, 2]), [[1, 0], [0, 1]], 2),
            p,
            c,
            t.gradients(t.reduce_sum(y * y), xt)[0],
        ]

    with tft.Graph().as_default(), tft.Session() as sess:
        want = sess.run(build(tft))
    with tf.Graph().as_default():
        got = _run(build(tf))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
        assert g.shape == w.shape
