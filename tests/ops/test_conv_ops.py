"""Conv/pool ops beyond the op table: build-time errors, dtypes, static shapes, chunking, TF."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError
from flowzero.framework.graph import apply_op
from flowzero.ops import conv_ops, pool_ops
from tests.ops.cases_conv import ref_avg_pool, ref_conv2d, ref_max_pool

S1 = [1, 1, 1, 1]


def _ph(shape, dtype=tf.float32, name=None):
    return tf.placeholder(dtype, shape, name=name)


# -- build-time errors --------------------------------------------------------------------------
def test_channel_mismatch_names_node_and_shapes():
    with tf.Graph().as_default():
        x = _ph([None, 28, 28, 1])
        w = _ph([5, 5, 3, 30])
        with tf.name_scope("conv1"):
            with pytest.raises(
                InvalidArgumentError,
                match=(
                    r"Conv2D 'conv1/Conv2D': input depth must equal filter in_channels; got "
                    r"input: \(\?, 28, 28, 1\), filter: \(5, 5, 3, 30\)\."
                ),
            ):
                conv_ops.conv2d(x, w, S1, "VALID")


def test_channel_mismatch_suggests_nchw():
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match="Did you mean data_format='NCHW'"):
            conv_ops.conv2d(_ph([8, 3, 32, 32]), _ph([3, 3, 3, 16]), S1, "SAME")


@pytest.mark.parametrize(
    "padding, match",
    [
        ("same", r"padding must be 'SAME', 'VALID'.*got 'same'\. Did you mean padding='SAME'"),
        ("FULL", r"padding must be 'SAME', 'VALID'.*got 'FULL'"),
        (None, r"padding must be .*got None"),
        ([[0, 0], [1, 1], [1, 1]], r"explicit padding must be 4 non-negative \[before, after\]"),
        ([[1, 1], [1, 1], [1, 1], [0, 0]], r"batch and depth dimensions must be 0"),
    ],
)
def test_bad_padding(padding, match):
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match="Conv2D 'Conv2D': .*" + match):
            conv_ops.conv2d(_ph([1, 5, 5, 1]), _ph([3, 3, 1, 1]), S1, padding)


@pytest.mark.parametrize(
    "strides, match",
    [
        ([1, 1, 1], r"strides must have 4 entries.*got strides=\[1, 1, 1\]"),
        ([2, 1, 1, 1], r"strides in the batch and depth dimensions must be 1"),
        ([1, 0, 1, 1], r"strides must be positive"),
        (None, r"strides must have 4 entries.*got strides=None"),
    ],
)
def test_bad_strides(strides, match):
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match=match):
            conv_ops.conv2d(_ph([1, 5, 5, 1]), _ph([3, 3, 1, 1]), strides, "SAME")


def test_bad_data_format_and_ranks_and_dtypes():
    with tf.Graph().as_default():
        x, w = _ph([1, 5, 5, 1]), _ph([3, 3, 1, 1])
        with pytest.raises(
            InvalidArgumentError, match="data_format must be 'NHWC' or 'NCHW'; got 'NWHC'"
        ):
            conv_ops.conv2d(x, w, S1, "SAME", data_format="NWHC")
        with pytest.raises(
            InvalidArgumentError,
            match=r"input must be rank 4; got input: "
            r"\(5, 5, 1\)",
        ):
            conv_ops.conv2d(_ph([5, 5, 1]), w, S1, "SAME")
        with pytest.raises(TypeError, match="input and filter must have the same dtype"):
            conv_ops.conv2d(x, _ph([3, 3, 1, 1], tf.float64), S1, "SAME")
        with pytest.raises(TypeError, match="input must have a floating dtype; got int32"):
            conv_ops.conv2d(_ph([1, 5, 5, 1], tf.int32), _ph([3, 3, 1, 1], tf.int32), S1, "SAME")
        with pytest.raises(ValueError, match="exactly one of filter or filters"):
            conv_ops.conv2d(x, w, S1, "SAME", filters=w)


def test_filter_larger_than_input_with_valid():
    with tf.Graph().as_default():
        with pytest.raises(
            InvalidArgumentError,
            match=r"the filter \(5x5\) must fit in the "
            r"padded input \(4x4, padding='VALID'\)",
        ):
            conv_ops.conv2d(_ph([None, 4, 4, 1]), _ph([5, 5, 1, 2]), S1, "VALID")
        with pytest.raises(InvalidArgumentError, match=r"\(3x3, dilated to 5x5\)"):
            conv_ops.conv2d(
                _ph([None, 4, 4, 1]), _ph([3, 3, 1, 2]), S1, "VALID", dilations=[1, 2, 2, 1]
            )
        # SAME always fits.
        y = conv_ops.conv2d(_ph([None, 4, 4, 1]), _ph([5, 5, 1, 2]), S1, "SAME")
        assert y.shape.as_list() == [None, 4, 4, 2]


def test_pool_errors():
    with tf.Graph().as_default():
        x = _ph([None, 6, 6, 3])
        with pytest.raises(
            InvalidArgumentError,
            match=r"MaxPool 'MaxPool': ksize in the batch"
            r" and depth dimensions must be 1",
        ):
            pool_ops.max_pool(x, [1, 2, 2, 3], [1, 2, 2, 1], "VALID")
        with pytest.raises(InvalidArgumentError, match=r"window \(7x7\) must fit"):
            pool_ops.avg_pool(x, [1, 7, 7, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(TypeError, match="AvgPool 'AvgPool': input must have a floating"):
            pool_ops.avg_pool(_ph([1, 4, 4, 1], tf.int32), [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        with pytest.raises(ValueError, match="explicit padding is not supported"):
            pool_ops.avg_pool(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])


def test_backprop_ops_check_out_backprop():
    with tf.Graph().as_default():
        w = _ph([3, 3, 2, 4])
        with pytest.raises(
            InvalidArgumentError,
            match=r"out_backprop must have the Conv2D "
            r"output size .* \(3x3\)",
        ):
            conv_ops.conv2d_backprop_input([1, 5, 5, 2], w, _ph([1, 4, 4, 4]), [1, 2, 2, 1], "SAME")
        with pytest.raises(
            InvalidArgumentError, match="out_backprop depth must equal filter out_channels"
        ):
            conv_ops.conv2d_backprop_input([1, 5, 5, 2], w, _ph([1, 5, 5, 3]), S1, "SAME")
        with pytest.raises(
            InvalidArgumentError,
            match=r"Conv2DBackpropFilter .*input depth "
            r"must equal filter in_channels",
        ):
            conv_ops.conv2d_backprop_filter(
                _ph([1, 5, 5, 1]), [3, 3, 2, 4], _ph([1, 5, 5, 4]), S1, "SAME"
            )
        # conv2d_transpose: filter is [h, w, out_channels, in_channels].
        with pytest.raises(InvalidArgumentError, match="out_backprop depth must equal"):
            conv_ops.conv2d_transpose(_ph([1, 3, 3, 2]), w, [1, 5, 5, 2], [1, 2, 2, 1])


def test_run_time_channel_mismatch_with_unknown_shapes():
    with tf.Graph().as_default() as g:
        x, w = _ph(None), _ph(None)
        y = conv_ops.conv2d(x, w, S1, "SAME")
        with tf.Session(graph=g) as sess:
            with pytest.raises(
                InvalidArgumentError, match="input depth must equal filter in_channels"
            ):
                sess.run(y, {x: np.zeros((1, 4, 4, 2)), w: np.zeros((3, 3, 1, 1))})


# -- shapes and dtypes --------------------------------------------------------------------------
def test_static_shapes_keep_unknown_batch():
    with tf.Graph().as_default():
        x = _ph([None, 28, 28, 1])
        w = _ph([5, 5, 1, 30])
        y = conv_ops.conv2d(x, w, S1, "VALID")
        assert y.shape.as_list() == [None, 24, 24, 30]
        p = pool_ops.max_pool(y, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        assert p.shape.as_list() == [None, 12, 12, 30]
        a = pool_ops.avg_pool(_ph([None, 7, 7, 3]), [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
        assert a.shape.as_list() == [None, 4, 4, 3]
        n = conv_ops.conv2d(
            _ph([None, 3, 9, 8]), _ph([3, 3, 3, 5]), [1, 1, 2, 2], "SAME", data_format="NCHW"
        )
        assert n.shape.as_list() == [None, 5, 5, 4]
        dx, dw = tf.gradients(tf.reduce_sum(p), [x, w])
        assert dx.shape.as_list() == [None, 28, 28, 1]
        assert dw.shape.as_list() == [5, 5, 1, 30]
        t = conv_ops.conv2d_transpose(
            _ph([None, 7, 7, 8]), _ph([3, 3, 4, 8]), _ph([4], tf.int32), [1, 2, 2, 1], "SAME"
        )
        assert t.shape.as_list() == [None] * 4  # output_shape known only at run time
        t = conv_ops.conv2d_transpose(
            _ph([None, 7, 7, 8]), _ph([3, 3, 4, 8]), [2, 14, 14, 4], [1, 2, 2, 1], "SAME"
        )
        assert t.shape.as_list() == [2, 14, 14, 4]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_in_is_dtype_out_forward_and_backward(dtype):
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((2, 9, 9, 3)).astype(dtype)
    wv = rng.standard_normal((3, 3, 3, 4)).astype(dtype)
    with tf.Graph().as_default() as g:
        dt = tf.as_dtype(dtype)
        x, w = _ph([None, 9, 9, 3], dt), _ph([3, 3, 3, 4], dt)
        y = conv_ops.conv2d(x, w, [1, 2, 2, 1], "SAME")
        p = pool_ops.max_pool(y, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
        a = pool_ops.avg_pool(y, [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
        loss = tf.reduce_sum(p) + tf.reduce_sum(a)
        grads = tf.gradients(loss, [x, w])
        t = conv_ops.conv2d_transpose(y, w, [2, 9, 9, 3], [1, 2, 2, 1], "SAME")
        with tf.Session(graph=g) as sess:
            outs = sess.run([y, p, a, t, *grads], {x: xv, w: wv})
    for o in outs:
        assert o.dtype == dtype
    assert all(t_.dtype is tf.as_dtype(dtype) for t_ in [y, p, a, t, *grads])


@pytest.mark.parametrize("channels", [3, 20])  # both col2im layouts of Conv2DBackpropInput
def test_chunked_im2col_matches_single_gemm(monkeypatch, channels):
    rng = np.random.default_rng(2)
    xv = rng.standard_normal((5, 8, 7, channels)).astype(np.float32)
    wv = rng.standard_normal((3, 3, channels, 4)).astype(np.float32)

    def run():
        with tf.Graph().as_default() as g:
            x, w = tf.constant(xv), tf.constant(wv)
            y = conv_ops.conv2d(x, w, [1, 2, 1, 1], "SAME")
            grads = tf.gradients(tf.reduce_sum(y * y), [x, w])
            with tf.Session(graph=g) as sess:
                return sess.run([y, *grads])

    whole = run()
    monkeypatch.setattr(conv_ops, "_COLS_BYTES", 1000)  # forces batch slices of 1 image
    sliced = run()
    for a, b in zip(whole, sliced):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(whole[0], ref_conv2d(xv, wv, (2, 1), "SAME"), rtol=1e-5, atol=1e-4)


def test_accepts_tf2_style_scalar_and_pair_arguments():
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((1, 6, 6, 2)).astype(np.float32)
    with tf.Graph().as_default() as g:
        x = tf.constant(xv)
        a = pool_ops.max_pool(input=x, ksize=2, strides=[2, 2], padding="VALID")
        b = pool_ops.avg_pool(x, [3, 3], 1, "SAME")
        with tf.Session(graph=g) as sess:
            av, bv = sess.run([a, b])
    np.testing.assert_allclose(av, ref_max_pool(xv, (2, 2), (2, 2), "VALID"))
    np.testing.assert_allclose(bv, ref_avg_pool(xv, (3, 3), (1, 1), "SAME"), rtol=1e-6)


# -- differential test against TensorFlow (skipped unless installed) ----------------------------
@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
@pytest.mark.parametrize(
    "padding, strides, dilations",
    [
        ("SAME", [1, 2, 2, 1], [1, 1, 1, 1]),
        ("VALID", [1, 1, 1, 1], [1, 2, 2, 1]),
        ("SAME", [1, 1, 1, 1], [1, 1, 1, 1]),
    ],
)
def test_matches_tensorflow(padding, strides, dilations):
    import tensorflow as real_tf

    rng = np.random.default_rng(4)
    xv = rng.standard_normal((2, 9, 8, 3)).astype(np.float32)
    wv = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    want = real_tf.nn.conv2d(xv, wv, strides, padding, dilations=dilations).numpy()
    want_pool = real_tf.nn.max_pool2d(xv, 3, 2, padding).numpy()
    want_avg = real_tf.nn.avg_pool2d(xv, 3, 2, padding).numpy()
    with tf.Graph().as_default() as g:
        x = tf.constant(xv)
        y = conv_ops.conv2d(x, wv, strides, padding, dilations=dilations)
        p = pool_ops.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], padding)
        a = pool_ops.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], padding)
        with tf.Session(graph=g) as sess:
            got, got_pool, got_avg = sess.run([y, p, a])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got_pool, want_pool)
    np.testing.assert_allclose(got_avg, want_avg, rtol=1e-5, atol=1e-6)


# -- relu then max_pool: the fused gradient ---------------------------------------------------
@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize(
    "k, s, pad", [(2, 2, "VALID"), (3, 2, "SAME"), (3, 1, "VALID"), (2, 2, "SAME")]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_then_max_pool_gradient_masks_the_pooled_gradient(fmt, k, s, pad, dtype):
    from flowzero.ops.activation_ops import relu_grad
    from flowzero.ops.pool_ops import MaxPoolGrad

    tfd = tf.as_dtype(dtype)
    x = tf.placeholder(tfd, [None, 7, 7, 3] if fmt == "NHWC" else [None, 3, 7, 7])
    ksize, strides = ([1, k, k, 1], [1, s, s, 1]) if fmt == "NHWC" else ([1, 1, k, k], [1, 1, s, s])
    r = tf.nn.relu(x)
    p = tf.nn.max_pool(r, ksize, strides, pad, data_format=fmt)
    dp = tf.placeholder(tfd, p.shape)
    (gx,) = tf.gradients(p, [x], grad_ys=[dp])
    assert gx.op.type == "MaxPoolGrad" and gx.op.inputs[2].op.type == "ReluGrad"
    assert gx.op.inputs[2].shape.as_list() == p.shape.as_list()  # masked at the pooled size
    # the unfused composition TF builds: route to the first max, then relu's mask
    unfused = relu_grad(apply_op(MaxPoolGrad, [r, p, dp], dict(p.op.opdef.attrs)), r)
    rng = np.random.default_rng(3)
    xv = rng.normal(size=(4,) + tuple(x.shape.as_list()[1:])).astype(dtype)
    xv[0] = 0.0  # all-zero windows: every tap ties at 0
    xv[1] = np.round(xv[1])  # positive ties
    xv[2, :2] = -1.0  # windows with nothing above 0
    with tf.Session() as sess:
        pv = sess.run(p, {x: xv})
        dpv = rng.normal(size=pv.shape).astype(dtype)
        got, want = sess.run([gx, unfused], {x: xv, dp: dpv})
    np.testing.assert_array_equal(got, want)


def test_relu_gradient_keeps_the_plain_path_when_the_pool_is_not_its_only_use():
    x = tf.placeholder(tf.float64, [None, 4, 4, 1])
    r = tf.nn.relu(x)
    p = tf.nn.max_pool(r, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    (gx,) = tf.gradients(tf.reduce_sum(p) + tf.reduce_sum(r * r), [x])
    assert gx.op.type == "ReluGrad"
    xv = np.random.default_rng(0).normal(size=(2, 4, 4, 1))
    with tf.Session() as sess:
        got = sess.run(gx, {x: xv})
    rv = np.maximum(xv, 0)
    pooled_mask = (
        rv.reshape(2, 2, 2, 2, 2, 1).max(axis=(2, 4), keepdims=True) == rv.reshape(2, 2, 2, 2, 2, 1)
    ).reshape(xv.shape)
    np.testing.assert_allclose(got, (pooled_mask + 2 * rv) * (xv > 0), rtol=1e-12)
