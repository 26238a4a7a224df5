"""The N-D convolution/pooling front ends on NumPy alone: layouts agree with each other, the
1-D forms equal their 2-D kernels, and bad arguments raise typed errors naming the op."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def _r(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def test_channels_first_equals_channels_last():
    x, w = _r(2, 7, 6, 5, 3), _r(2, 3, 2, 3, 4, seed=1)
    with tf.Graph().as_default():
        a = tf.nn.convolution(x, w, "SAME", strides=[2, 1, 2])
        b = tf.nn.convolution(
            np.transpose(x, [0, 4, 1, 2, 3]), w, "SAME", strides=[2, 1, 2], data_format="NCDHW"
        )
        p = tf.nn.max_pool_v2(x, 2, 2, "SAME")
        q = tf.nn.max_pool_v2(np.transpose(x, [0, 4, 1, 2, 3]), 2, 2, "SAME", "NCDHW")
        a, b, p, q = _run([a, b, p, q])
    np.testing.assert_allclose(np.transpose(b, [0, 2, 3, 4, 1]), a, rtol=1e-12)
    np.testing.assert_array_equal(np.transpose(q, [0, 2, 3, 4, 1]), p)


def test_one_d_forms_equal_the_2d_kernels():
    x, w = _r(2, 9, 3), _r(3, 4, 3, seed=1)
    with tf.Graph().as_default():
        y = tf.nn.conv1d_transpose(x, w, [2, 18, 4], 2, "SAME")
        y_ncw = tf.nn.conv1d_transpose(
            np.transpose(x, [0, 2, 1]), w, [2, 4, 18], 2, "SAME", data_format="NCW"
        )
        ref = tf.nn.conv2d_transpose(x[:, None], w[None], [2, 1, 18, 4], [1, 1, 2, 1], "SAME")
        mp = tf.nn.max_pool1d(x, 3, 2, "VALID")
        ap = tf.nn.avg_pool1d(x, 3, 2, "SAME")
        y, y_ncw, ref, mp, ap = _run([y, y_ncw, ref, mp, ap])
    np.testing.assert_allclose(y, ref[:, 0], rtol=1e-12)
    np.testing.assert_allclose(np.transpose(y_ncw, [0, 2, 1]), y, rtol=1e-12)
    np.testing.assert_array_equal(mp, np.stack([x[:, i : i + 3].max(1) for i in (0, 2, 4, 6)], 1))
    # SAME, stride 2, window 3 over 9: windows [0,2) [1,4) [3,6) [5,8) [7,9) (padding excluded)
    want = np.stack([x[:, a:b].mean(1) for a, b in [(0, 2), (1, 4), (3, 6), (5, 8), (7, 9)]], 1)
    np.testing.assert_allclose(ap, want, rtol=1e-12)


def test_atrous_is_dilated_conv2d():
    x, w = _r(1, 8, 8, 2), _r(3, 3, 2, 2, seed=1)
    with tf.Graph().as_default():
        a = tf.nn.atrous_conv2d(x, w, 2, "VALID")
        b = tf.nn.conv2d(x, w, [1, 1, 1, 1], "VALID", dilations=[1, 2, 2, 1])
        a, b = _run([a, b])
    assert a.shape == (1, 4, 4, 2)
    np.testing.assert_array_equal(a, b)


def test_errors_name_the_op_and_shapes():
    with tf.Graph().as_default():
        x = tf.zeros([1, 4, 4, 4, 2])
        with pytest.raises(InvalidArgumentError, match="Conv3D.*input depth.*filter in_channels"):
            tf.nn.conv3d(x, tf.zeros([2, 2, 2, 3, 1]), [1, 1, 1, 1, 1], "SAME")
        with pytest.raises(InvalidArgumentError, match="Conv3D.*rank 5.*input"):
            tf.nn.conv3d(tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 2, 2, 1]), [1] * 5, "SAME")
        with pytest.raises(InvalidArgumentError, match="MaxPool3D.*padding must be"):
            tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1] * 5, "same")
        with pytest.raises(InvalidArgumentError, match="AvgPool3D.*window.*must fit"):
            tf.nn.avg_pool3d(x, [1, 5, 2, 2, 1], [1] * 5, "VALID")
        with pytest.raises(InvalidArgumentError, match="MaxPool3D.*batch and depth"):
            tf.nn.max_pool3d(x, [2, 2, 2, 2, 1], [1] * 5, "VALID")
        with pytest.raises(ValueError, match="pool: pooling_type"):
            tf.nn.pool(x, [2, 2, 2], "MIN", "SAME")
        with pytest.raises(ValueError, match="pool: input must have rank 4"):
            tf.nn.pool(x, [2, 2], "MAX", "SAME")
        with pytest.raises(ValueError, match="strides must be 1 when dilation_rate"):
            tf.nn.convolution(x, tf.zeros([2, 2, 2, 2, 1]), "SAME", [2, 1, 1], [2, 2, 2])
        with pytest.raises(NotImplementedError, match="dilation_rate > 1"):
            tf.nn.pool(x, [2, 2, 2], "MAX", "SAME", dilation_rate=[2, 2, 2])
        with pytest.raises(ValueError, match="max_pool_v2: input must have 1 to 3 spatial"):
            tf.nn.max_pool_v2(tf.zeros([2, 3]), 2, 2, "SAME")
        with pytest.raises(ValueError, match="conv_transpose: output_shape"):
            tf.nn.conv_transpose(x, tf.zeros([2, 2, 2, 2, 2]), [1, 2], 1)
        with pytest.raises(ValueError, match="atrous_conv2d: rate"):
            tf.nn.atrous_conv2d(tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 2, 2]), 0, "SAME")
