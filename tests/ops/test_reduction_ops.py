"""Reductions beyond the op table: errors, argument aliases, dtypes, gradient details."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError
from flowzero.testing.gradient_check import assert_gradients_close


def _run(t, feed=None):
    with tf.Session(graph=t.graph) as sess:
        return sess.run(t, feed)


X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5


# -- build-time errors -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn,op",
    [
        (tf.reduce_sum, "Sum"),
        (tf.reduce_max, "Max"),
        (tf.reduce_mean, "Mean"),
        (tf.reduce_min, "Min"),
        (tf.reduce_prod, "Prod"),
    ],
)
@pytest.mark.parametrize("axis", [3, -4, [0, 5]])
def test_axis_out_of_range_fails_at_build_time(fn, op, axis):
    x = tf.placeholder(tf.float32, [2, 3, 4])
    with pytest.raises(InvalidArgumentError, match=f"{op} .*axis -?\\d+ is out of range"):
        fn(x, axis)


def test_axis_out_of_range_for_bool_reductions():
    b = tf.placeholder(tf.bool, [2, 2])
    with pytest.raises(InvalidArgumentError, match="Any .*axis 2"):
        tf.reduce_any(b, 2)
    with pytest.raises(InvalidArgumentError, match="All .*axis -3"):
        tf.reduce_all(b, -3)


def test_duplicate_axes_rejected():
    x = tf.placeholder(tf.float32, [2, 3])
    with pytest.raises(InvalidArgumentError, match="Sum .*duplicate"):
        tf.reduce_sum(x, [1, -1])


def test_argmax_axis_out_of_range_and_scalar_input():
    x = tf.placeholder(tf.float32, [2, 3])
    with pytest.raises(InvalidArgumentError, match="ArgMax .*axis 2 is out of range"):
        tf.argmax(x, 2)
    with pytest.raises(InvalidArgumentError, match="ArgMin .*axis"):
        tf.argmin(tf.constant(1.0), 0)
    with pytest.raises(ValueError, match="single integer"):
        tf.argmax(x, [0, 1])
    with pytest.raises(ValueError, match="both"):
        tf.argmax(x, axis=0, dimension=0)


def test_dtype_kinds_checked():
    with pytest.raises(TypeError, match="Sum .*bool"):
        tf.reduce_sum(tf.constant([True, False]))
    with pytest.raises(TypeError, match="Max .*bool"):
        tf.reduce_max(tf.constant([True, False]))
    with pytest.raises(TypeError, match="Any .*bool dtype; got float32"):
        tf.reduce_any(tf.constant([1.0, 0.0]))
    with pytest.raises(TypeError, match="ArgMax .*output_type"):
        tf.argmax(tf.constant([1.0, 0.0]), output_type=tf.float32)


def test_conflicting_aliases_rejected():
    x = tf.constant(X)
    with pytest.raises(ValueError, match="both 'axis' and 'reduction_indices'"):
        tf.reduce_sum(x, axis=0, reduction_indices=0)
    with pytest.raises(ValueError, match="both 'keepdims' and 'keep_dims'"):
        tf.reduce_mean(x, keepdims=True, keep_dims=True)


def test_dynamic_axis_must_be_static():
    x = tf.constant(X)
    a = tf.placeholder(tf.int32, [])
    with pytest.raises(ValueError, match="known when the graph is built"):
        tf.reduce_sum(x, a)


# -- aliases, names, static shapes -------------------------------------------------------------
@pytest.mark.parametrize(
    "fn,ref",
    [
        (tf.reduce_sum, np.sum),
        (tf.reduce_mean, np.mean),
        (tf.reduce_max, np.max),
        (tf.reduce_min, np.min),
        (tf.reduce_prod, np.prod),
    ],
)
def test_keep_dims_and_reduction_indices_aliases(fn, ref):
    x = tf.constant(X)
    a = fn(x, reduction_indices=[0, 2], keep_dims=True)
    b = fn(x, axis=[0, 2], keepdims=True)
    c = fn(x, reduction_indices=1)
    assert a.shape.as_list() == [1, 3, 1]
    assert c.shape.as_list() == [2, 4]
    with tf.Session() as sess:
        av, bv, cv = sess.run([a, b, c])
    want = ref(X.astype(np.float64), axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(av, want, rtol=1e-5)
    np.testing.assert_array_equal(av, bv)
    np.testing.assert_allclose(cv, ref(X.astype(np.float64), axis=1), rtol=1e-5)


def test_axis_from_constant_tensor_and_numpy():
    x = tf.constant(X)
    a = tf.reduce_sum(x, tf.constant([0, -1]))
    b = tf.reduce_sum(x, np.array([0, 2]))
    with tf.Session() as sess:
        av, bv = sess.run([a, b])
    np.testing.assert_array_equal(av, bv)
    np.testing.assert_allclose(av, X.sum((0, 2)))


def test_default_node_names_are_op_types():
    x = tf.constant(X)
    assert tf.reduce_sum(x).op.name == "Sum"
    assert tf.reduce_mean(x).op.name == "Mean"
    assert tf.reduce_max(x, name="peak").op.name == "peak"
    assert tf.argmax(x, 1).op.type == "ArgMax"


def test_unknown_dims_give_partial_static_shapes():
    x = tf.placeholder(tf.float32, [None, 3, None])
    assert tf.reduce_sum(x, 1).shape.as_list() == [None, None]
    assert tf.reduce_max(x, [0, 2], keepdims=True).shape.as_list() == [1, 3, 1]
    assert tf.argmax(x, 1).shape.as_list() == [None, None]
    assert tf.reduce_mean(tf.placeholder(tf.float32)).shape.ndims is None


# -- dtypes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "dt", [np.int32, np.int8, np.uint8, np.int64, np.float16, np.float32, np.float64]
)
@pytest.mark.parametrize(
    "fn", [tf.reduce_sum, tf.reduce_mean, tf.reduce_max, tf.reduce_min, tf.reduce_prod]
)
def test_output_dtype_equals_input_dtype(fn, dt):
    v = (np.arange(6).reshape(2, 3) % 4 + 1).astype(dt)
    x = tf.constant(v)
    for y in (fn(x), fn(x, 1), fn(x, 0, keepdims=True)):
        assert y.dtype == tf.as_dtype(dt)
        got = _run(y)
        assert got.dtype == np.dtype(dt), f"{fn.__name__}: {got.dtype} != {np.dtype(dt)}"


def test_int32_values():
    v = np.array([[7, -7, 2], [100000, 100000, 3]], np.int32)
    x = tf.constant(v)
    with tf.Session() as sess:
        s, m, p, mx = sess.run(
            [tf.reduce_sum(x, 1), tf.reduce_mean(x, 1), tf.reduce_prod(x, 0), tf.reduce_max(x)]
        )
    np.testing.assert_array_equal(s, [2, 200003])
    np.testing.assert_array_equal(m, [0, 66667])  # 2 // 3 = 0, 200003 / 3 truncated
    assert m.dtype == np.int32
    np.testing.assert_array_equal(p, (v.astype(np.int64).prod(0)).astype(np.int32))
    assert mx == 100000 and mx.dtype == np.int32


def test_int_mean_truncates_toward_zero():
    x = tf.constant([[-7, -1], [5, 2]], dtype=tf.int32)
    np.testing.assert_array_equal(_run(tf.reduce_mean(x, 1)), [-4, 3])
    np.testing.assert_array_equal(_run(tf.reduce_mean(tf.constant([-3, 0]))), -1)


def test_float16_mean_does_not_overflow():
    v = np.full(4096, 60000, np.float16)  # the float16 sum would be inf
    got = _run(tf.reduce_mean(tf.constant(v)))
    assert got.dtype == np.float16 and got == np.float16(60000)


def test_argmax_output_types_and_ties():
    x = tf.constant([[1.0, 5.0, 5.0], [9.0, -1.0, 9.0]])
    a, b, c = tf.argmax(x, 1), tf.argmin(x, 1, output_type=tf.int32), tf.arg_max(x, 0)
    assert a.dtype == tf.int64 and b.dtype == tf.int32
    with tf.Session() as sess:
        av, bv, cv = sess.run([a, b, c])
    np.testing.assert_array_equal(av, [1, 0])  # the first of equal maxima, as TF
    assert av.dtype == np.int64 and bv.dtype == np.int32
    np.testing.assert_array_equal(bv, [0, 1])
    np.testing.assert_array_equal(cv, [1, 0, 1])


def test_reductions_of_empty_inputs():
    e = tf.zeros([0, 3])
    with tf.Session() as sess:
        s, mx, mn, p, a, al = sess.run(
            [
                tf.reduce_sum(e, 0),
                tf.reduce_max(e, 0),
                tf.reduce_min(e),
                tf.reduce_prod(e, 0),
                tf.reduce_any(tf.zeros([0], tf.bool)),
                tf.reduce_all(tf.zeros([0], tf.bool)),
            ]
        )
    np.testing.assert_array_equal(s, [0, 0, 0])
    np.testing.assert_array_equal(mx, [-np.inf] * 3)
    assert mn == np.inf
    np.testing.assert_array_equal(p, [1, 1, 1])
    assert not a and al
    assert np.all(np.isnan(_run(tf.reduce_mean(tf.zeros([0, 2]), 0))))


# -- gradients ---------------------------------------------------------------------------------
def test_max_gradient_splits_ties_evenly():
    x = tf.constant([[1.0, 3.0, 3.0, 3.0], [2.0, 2.0, 0.0, 1.0]])
    (g,) = tf.gradients(tf.reduce_max(x, 1), [x])
    (gall,) = tf.gradients(tf.reduce_max(x), [x])
    (gmin,) = tf.gradients(tf.reduce_min(x, 0), [x])
    with tf.Session() as sess:
        gv, gallv, gminv = sess.run([g, gall, gmin])
    np.testing.assert_allclose(gv, [[0, 1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0, 0]], rtol=1e-6)
    np.testing.assert_allclose(gallv, [[0, 1 / 3, 1 / 3, 1 / 3], [0, 0, 0, 0]], rtol=1e-6)
    np.testing.assert_allclose(gminv, [[1, 0, 0, 0], [0, 1, 1, 1]], rtol=1e-6)


def test_prod_gradient_with_zeros_is_exact():
    x = tf.constant([[0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [2.0, -1.0, 4.0]], dtype=tf.float64)
    (g,) = tf.gradients(tf.reduce_prod(x, 1), [x])
    np.testing.assert_allclose(_run(g), [[6, 0, 0], [0, 0, 0], [-4, 8, -2]])


def test_mean_gradient_with_unknown_shapes():
    v = np.random.default_rng(1).normal(size=(4, 3))
    for shape, axis, kd in [
        ([None, 3], 0, False),
        ([None, None], [1], False),
        (None, 1, True),
        (None, None, False),
        ([None, 3], None, True),
    ]:
        tf.reset_default_graph()
        x = tf.placeholder(tf.float64, shape)
        y = tf.reduce_mean(x, axis, keepdims=kd)
        (g,) = tf.gradients(y, [x])
        with tf.Session() as sess:
            gv = sess.run(g, {x: v})
        n = v.size if axis is None else v.shape[np.atleast_1d(axis)[0]]
        np.testing.assert_allclose(
            gv,
            np.full(v.shape, 1.0 / n),
            rtol=1e-12,
            err_msg=f"shape={shape} axis={axis} keepdims={kd}",
        )


def test_max_and_prod_gradients_with_unknown_dims():
    v = np.array([[1.0, 4.0, 4.0], [2.0, 0.5, -3.0]])
    x = tf.placeholder(tf.float64, [None, 3])
    gmax, gprod = (
        tf.gradients([tf.reduce_max(x, 1)], [x])[0],
        tf.gradients(tf.reduce_prod(x, 1), [x])[0],
    )
    with tf.Session() as sess:
        a, b = sess.run([gmax, gprod], {x: v})
    np.testing.assert_allclose(a, [[0, 0.5, 0.5], [1, 0, 0]])
    np.testing.assert_allclose(b, [[16, 4, 4], [-1.5, -6, 1]])


def test_prod_second_order_no_zeros():
    # d²/dx² of prod over a row is the product of the other two entries, off the diagonal
    x = tf.constant([[2.0, 3.0, 5.0]], dtype=tf.float64)
    y = tf.reduce_prod(x)
    (g,) = tf.gradients(y, [x])
    (h0,) = tf.gradients(tf.reduce_sum(g * tf.constant([[1.0, 0.0, 0.0]], tf.float64)), [x])
    np.testing.assert_allclose(_run(h0), [[0, 5, 3]])


# -- composites --------------------------------------------------------------------------------
def test_reduce_logsumexp_is_stable():
    v = np.array([[1000.0, 1000.0, 990.0], [-5.0, 0.0, 3.0]], np.float32)
    x = tf.constant(v)
    a, b, c = (
        tf.reduce_logsumexp(x, 1),
        tf.reduce_logsumexp(x, keepdims=True),
        tf.reduce_logsumexp(x, reduction_indices=0, keep_dims=True),
    )
    with tf.Session() as sess:
        av, bv, cv = sess.run([a, b, c])
    v64 = v.astype(np.float64)

    def ref(axis, keepdims=False):
        m = np.max(v64, axis=axis, keepdims=True)
        r = np.log(np.sum(np.exp(v64 - m), axis=axis, keepdims=True)) + m
        return r if keepdims else np.squeeze(r, axis=axis)

    np.testing.assert_allclose(av, ref(1), rtol=1e-6)
    np.testing.assert_allclose(bv, ref(None, True), rtol=1e-6)
    np.testing.assert_allclose(cv, ref(0, True), rtol=1e-6)
    assert av.dtype == np.float32 and bv.shape == (1, 1) and cv.shape == (1, 3)


def test_reduce_logsumexp_gradient_is_softmax():
    assert_gradients_close(
        lambda x: tf.reduce_logsumexp(x, 1), [np.random.default_rng(0).normal(size=(3, 4))]
    )
    v = np.array([[1.0, 2.0, 3.0]])
    x = tf.constant(v)
    (g,) = tf.gradients(tf.reduce_logsumexp(x), [x])
    np.testing.assert_allclose(_run(g), np.exp(v) / np.exp(v).sum(), rtol=1e-6)


def test_reduce_logsumexp_of_infinities():
    v = np.array([[-np.inf, -np.inf], [0.0, 0.0], [np.inf, 1.0], [-np.inf, 2.0]], np.float32)
    got = _run(tf.reduce_logsumexp(tf.constant(v), 1))
    np.testing.assert_allclose(got, [-np.inf, np.log(2.0), np.inf, 2.0], rtol=1e-6)


def test_count_nonzero():
    v = np.array([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]], np.float32)
    x = tf.constant(v)
    a, b, c = (
        tf.count_nonzero(x),
        tf.count_nonzero(x, 1, keepdims=True),
        tf.count_nonzero(tf.constant([[True, False]]), axis=1, dtype=tf.int32),
    )
    with tf.Session() as sess:
        av, bv, cv = sess.run([a, b, c])
    assert av == 3 and av.dtype == np.int64
    np.testing.assert_array_equal(bv, [[1], [2]])
    np.testing.assert_array_equal(cv, [1])
    assert cv.dtype == np.int32


# -- gradients through inputs of unknown rank --------------------------------------------------
@pytest.mark.parametrize("fn", [tf.reduce_sum, tf.reduce_mean, tf.reduce_max, tf.reduce_prod])
@pytest.mark.parametrize(
    "axis,keepdims",
    [(1, False), (-1, False), ([0, -1], False), (None, False), (1, True), ([], False)],
)
def test_gradient_through_an_input_of_unknown_rank(fn, axis, keepdims):
    # golbin/TensorFlow-Tutorials: X = tf.placeholder(tf.float32) (no shape), then
    # tf.reduce_sum(Y * tf.log(model), axis=1) in the loss.
    rng = np.random.default_rng(0)
    v = rng.uniform(0.5, 2.0, (2, 3, 4))
    wv = rng.standard_normal(np.shape(_run_value(fn, v, axis, keepdims)))
    grads = []
    for shape in (None, v.shape):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float64, shape)
            y = fn(x * x, axis=axis, keepdims=keepdims)
            g = tf.gradients(tf.reduce_sum(y * wv), x)[0]
            with tf.Session() as sess:
                grads.append(sess.run(g, {x: v}))
    # The known-shape gradient is checked against central differences by the op table.
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def _run_value(fn, v, axis, keepdims):
    with tf.Graph().as_default(), tf.Session() as sess:
        return sess.run(fn(tf.constant(v * v), axis=axis, keepdims=keepdims))


def test_unknown_rank_loss_trains_as_golbin_classification():
    x_data = np.array([[0, 0], [1, 0], [1, 1], [0, 0], [0, 0], [0, 1]], np.float32)
    y_data = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 0, 2]]
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        x, y = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
        w = tf.Variable(tf.random_uniform([2, 10], -1.0, 1.0))
        w2 = tf.Variable(tf.random_uniform([10, 3], -1.0, 1.0))
        b, b2 = tf.Variable(tf.zeros([10])), tf.Variable(tf.zeros([3]))
        model = tf.matmul(tf.nn.relu(tf.matmul(x, w) + b), w2) + b2
        cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=model))
        xent = tf.reduce_mean(-tf.reduce_sum(y * tf.log(tf.nn.softmax(model)), axis=1))
        train = tf.train.AdamOptimizer(0.05).minimize(cost + xent)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(100):
                sess.run(train, {x: x_data, y: y_data})
            c, e = sess.run([cost, xent], {x: x_data, y: y_data})
    np.testing.assert_allclose(c, e, rtol=1e-4)
    assert c < 0.1, c
