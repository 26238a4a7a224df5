"""ensure_shape, broadcast_dynamic/static_shape, shape_n, parallel_stack, bitcast, cross,
matrix_set_diag and histogram_fixed_width(_bins): errors, static shapes, and (where
TensorFlow is installed) equality with it."""

import numpy as np
import pytest

import flowzero as tf


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_ensure_shape_checks_at_run_time():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None])
        y = tf.ensure_shape(x, [None, 3])
        assert y.shape.as_list() == [None, 3]
        np.testing.assert_array_equal(_run(y, {x: np.ones((2, 3))}), np.ones((2, 3)))
        with pytest.raises(tf.errors.InvalidArgumentError, match="EnsureShape.*not compatible"):
            _run(y, {x: np.ones((2, 4))})
        with pytest.raises(ValueError, match="EnsureShape.*not compatible"):
            tf.ensure_shape(tf.zeros([2, 4]), [2, 3])


def test_broadcast_shapes():
    with tf.Graph().as_default():
        s = tf.placeholder(tf.int32, [None])
        out = tf.broadcast_dynamic_shape(s, [3, 1])
        np.testing.assert_array_equal(_run(out, {s: [2, 1, 4]}), [2, 3, 4])
        with pytest.raises(tf.errors.InvalidArgumentError, match="BroadcastArgs.*Incompatible"):
            _run(out, {s: [2, 2]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible"):
            tf.broadcast_dynamic_shape([2], [3])
    got = tf.broadcast_static_shape(tf.TensorShape([None, 1, 3]), tf.TensorShape([4, 1]))
    assert got.as_list() == [None, 4, 3]
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))


def test_broadcast_gradient_args_errors_and_agrees_with_tensorflow():
    """BroadcastGradientArgs (only in imported TF gradient graphs): incompatible shapes are
    an InvalidArgumentError naming the op; where TF is installed, its results are TF's."""
    from flowzero.framework.graph import apply_op
    from flowzero.ops.shape_ops import BroadcastGradientArgs

    cases = [([2, 1, 3], [3]), ([1, 1], [1]), ([], [2, 3]), ([1, 3], [2, 1]), ([4], [4])]
    with tf.Graph().as_default():
        s0 = tf.placeholder(tf.int32, [None])
        s1 = tf.placeholder(tf.int32, [None])
        r0, r1 = apply_op(BroadcastGradientArgs, [s0, s1])
        with pytest.raises(
            tf.errors.InvalidArgumentError, match="BroadcastGradientArgs.*Incompatible"
        ):
            _run(r0, {s0: [2, 3], s1: [3, 3]})
        with pytest.raises(ValueError, match="BroadcastGradientArgs.*Incompatible"):
            apply_op(BroadcastGradientArgs, [tf.constant([2]), tf.constant([3])])
        got = [_run([r0, r1], {s0: a, s1: b}) for a, b in cases]
    try:
        import tensorflow as real
    except ImportError:
        return
    for (a, b), (g0, g1) in zip(cases, got):
        w0, w1 = real.raw_ops.BroadcastGradientArgs(
            s0=real.constant(a, real.int32, shape=[len(a)]),
            s1=real.constant(b, real.int32, shape=[len(b)]),
        )
        np.testing.assert_array_equal(g0, w0.numpy(), err_msg=str((a, b)))
        np.testing.assert_array_equal(g1, w1.numpy(), err_msg=str((a, b)))


def test_parallel_stack_needs_known_shapes():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="fully defined"):
            tf.parallel_stack([tf.placeholder(tf.float32, [None])])


def test_bitcast_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="Bitcast.*last dimension"):
            tf.bitcast(tf.zeros([3], tf.uint8), tf.float32)
        with pytest.raises(TypeError, match="Bitcast.*numeric"):
            tf.bitcast(tf.constant(["a"]), tf.int32)


def test_cross_and_set_diag_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="Cross.*inner dimension"):
            tf.cross(tf.zeros([2, 2]), tf.zeros([2, 2]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="MatrixSetDiag.*diagonal"):
            tf.matrix_set_diag(tf.zeros([2, 3, 3]), tf.zeros([2, 2]))


def test_equal_to_tensorflow():
    tft = pytest.importorskip("tensorflow").compat.v1
    tft.disable_eager_execution()
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    m = rng.normal(size=(3, 4, 2)).astype(np.float32)
    v = rng.uniform(-2, 7, size=50).astype(np.float32)

    def build(t):
        at, mt = t.constant(a), t.constant(m)
        c = t.cross(at, b)
        sd = t.matrix_set_diag(mt, [[1.0, 2.0]] * 3)
        return [
            c,
            t.gradients(t.reduce_sum(c * c), at)[0],
            sd,
            t.gradients(t.reduce_sum(sd * sd), mt)[0],
            t.broadcast_dynamic_shape([5, 1, 3], [4, 1]),
            t.bitcast(t.constant([1.5, -2.0]), t.uint16),
            t.histogram_fixed_width_bins(v, [0.0, 5.0], nbins=7),
            t.histogram_fixed_width(v, [0.0, 5.0], nbins=7),
            t.histogram_fixed_width([1, 2, 3, 7, 9, -1], [0, 8], nbins=4),
            t.shape_n([mt, mt[0]])[1],
        ]

    with tft.Graph().as_default(), tft.Session() as sess:
        want = sess.run(build(tft))
    with tf.Graph().as_default():
        got = _run(build(tf))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
        assert g.dtype == w.dtype and g.shape == w.shape
