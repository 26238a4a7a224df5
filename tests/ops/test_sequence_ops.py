"""reverse_sequence, roll, searchsorted, unravel_index, sequence_mask, repeat, meshgrid and
batch_gather: error paths, and (where TensorFlow is installed) equality with it."""

import numpy as np
import pytest

import flowzero as tf


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_reverse_sequence_rejects_a_length_past_the_axis():
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [2])
        y = tf.reverse_sequence(tf.zeros([2, 3]), n, seq_axis=1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="ReverseSequence.*seq_lengths"):
            _run(y, {n: [1, 4]})


def test_reverse_sequence_build_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="one entry per batch"):
            tf.reverse_sequence(tf.zeros([2, 3]), [1, 2, 3], seq_axis=1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="must differ"):
            tf.reverse_sequence(tf.zeros([2, 3]), [1, 2], seq_axis=0)
        with pytest.raises(ValueError, match="not both"):
            tf.reverse_sequence(tf.zeros([2, 3]), [1, 2], seq_axis=1, seq_dim=1)


def test_roll_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="Roll.*same size"):
            tf.roll(tf.zeros([2, 3]), [1, 2], [0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Roll.*out of range"):
            tf.roll(tf.zeros([2, 3]), 1, 2)


def test_searchsorted_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="side"):
            tf.searchsorted([1.0, 2.0], [1.0], side="middle")
        with pytest.raises(ValueError, match="same rank"):
            tf.searchsorted([[1.0, 2.0]], [1.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="LowerBound.*batch"):
            tf.searchsorted([[1.0, 2.0]], [[1.0], [2.0]])


def test_unravel_index_out_of_bounds():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="UnravelIndex.*out of bounds"):
            _run(tf.unravel_index([1, 6], [2, 3]))


def test_sequence_mask_static_shape_and_errors():
    with tf.Graph().as_default():
        m = tf.sequence_mask(tf.placeholder(tf.int32, [4, 2]), 7)
        assert m.shape.as_list() == [4, 2, 7] and m.dtype == tf.bool
        with pytest.raises(ValueError, match="maxlen must be scalar"):
            tf.sequence_mask([1, 2], [3, 4])


def test_repeat_rejects_a_matrix_of_counts_and_handles_zero():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="repeats"):
            tf.repeat([1, 2], [[1, 2]])
        np.testing.assert_array_equal(_run(tf.repeat([1, 2], 0)), np.zeros(0, np.int32))


def test_meshgrid_errors():
    with pytest.raises(ValueError, match="'xy' or 'ij'"):
        tf.meshgrid([1], [2], indexing="yx")
    with pytest.raises(TypeError, match="unknown keyword"):
        tf.meshgrid([1], [2], sparse=True)


def test_batch_gather_needs_a_known_rank():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="unknown shape"):
            tf.batch_gather(tf.zeros([2, 3]), tf.placeholder(tf.int32))


def test_equal_to_tensorflow():
    tft = pytest.importorskip("tensorflow").compat.v1
    tft.disable_eager_execution()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5, 2)).astype(np.float32)
    s = np.sort(rng.normal(size=(2, 6)), -1)
    v = rng.normal(size=(2, 4))
    idx = rng.integers(0, 2, (3, 5, 3)).astype(np.int32)

    def build(t):
        xt = t.constant(x)
        return [
            t.reverse_sequence(x, [5, 0, 3], seq_axis=1, batch_axis=0),
            t.roll(x, [2, -1], [1, 2]),
            t.searchsorted(s, v, side="right"),
            t.unravel_index([3, 17, 29], [3, 5, 2]),
            t.sequence_mask([[1, 3], [2, 0]], 4),
            t.repeat(x, [2, 0, 1], axis=0),
            t.meshgrid([1, 2, 3], [4, 5], [6, 7]),
            t.meshgrid([1, 2, 3], [4, 5], indexing="ij"),
            t.batch_gather(x, idx),
            t.gradients(t.reduce_sum(t.reverse_sequence(xt, [2, 1, 5], 1) * xt), xt),
        ]

    with tft.Graph().as_default(), tft.Session() as sess:
        want = sess.run(build(tft))
    with tf.Graph().as_default():
        got = _run(build(tf))
    for g, w in zip(got, want):
        for a, b in zip(g if isinstance(g, list) else [g], w if isinstance(w, list) else [w]):
            np.testing.assert_allclose(a, b, rtol=1e-6)
            assert np.asarray(a).dtype == np.asarray(b).dtype
