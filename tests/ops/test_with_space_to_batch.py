"""tf.nn.with_space_to_batch: equals the dilated op (conv2d with dilations, which has its own
NumPy-checked rows), dynamic shapes, spatial dims with a gap, errors; TF differential test."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
X = np.random.default_rng(0).normal(size=(2, 9, 8, 3))
W = np.random.default_rng(1).normal(size=(3, 2, 3, 4))


def _program(m, nn, x_feed):
    outs = []
    for pad in ("SAME", "VALID"):
        for rate in ([2, 3], [1, 1], [2, 1]):
            xt = m.constant(X)
            y = nn.with_space_to_batch(
                xt, rate, pad, lambda t, n, p: nn.conv2d(t, W, [1, 1, 1, 1], p), filter_shape=[3, 2]
            )
            outs += [y, m.gradients(m.reduce_sum(y * y), xt)[0]]
    xc = m.constant(X.transpose(0, 3, 1, 2))
    outs.append(
        nn.with_space_to_batch(
            xc, [2, 2], "SAME", lambda t, n, p: t * 2.0, filter_shape=[3, 3], spatial_dims=[2, 3]
        )
    )
    outs.append(
        nn.with_space_to_batch(
            x_feed,
            [2, 2],
            "SAME",
            lambda t, n, p: nn.max_pool(t, [1, 3, 3, 1], [1, 1, 1, 1], p),
            filter_shape=[3, 3],
        )
    )
    return outs


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("rate", [[2, 3], [1, 1], [3, 1]])
def test_equals_the_dilated_convolution(padding, rate):
    with fz.Graph().as_default():
        x = fz.placeholder(fz.float64, [None, None, None, 3])
        y = fz.nn.with_space_to_batch(
            x,
            rate,
            padding,
            lambda t, n, p: fz.nn.conv2d(t, W, [1, 1, 1, 1], p),
            filter_shape=[3, 2],
        )
        want = fz.nn.conv2d(x, W, [1, 1, 1, 1], padding, dilations=[1, *rate, 1])
        with fz.Session() as s:
            got, ref = s.run([y, want], {x: X})
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_rate_one_calls_op_with_the_padding():
    seen = []
    with fz.Graph().as_default():
        x = fz.constant(X)
        y = fz.nn.with_space_to_batch(x, [1, 1], "SAME", lambda t, n, p: seen.append((n, p)) or t)
    assert y is x and seen == [(2, "SAME")]


def test_errors():
    op = lambda t, n, p: t  # noqa: E731
    with fz.Graph().as_default():
        x = fz.constant(X)
        with pytest.raises(ValueError, match="with_space_to_batch: padding='SAME' needs filter"):
            fz.nn.with_space_to_batch(x, [2, 2], "SAME", op)
        with pytest.raises(ValueError, match="with_space_to_batch: dilation_rate"):
            fz.nn.with_space_to_batch(x, [0, 2], "VALID", op)
        with pytest.raises(ValueError, match="with_space_to_batch: padding must be"):
            fz.nn.with_space_to_batch(x, [2, 2], "same", op)
        with pytest.raises(ValueError, match=r"with_space_to_batch: input must have rank > 4"):
            fz.nn.with_space_to_batch(x, [2, 2], "VALID", op, spatial_dims=[3, 4])


@needs_tf
def test_matches_tensorflow():
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    with tf.Graph().as_default():
        xp = tf1.placeholder(tf.float64, [None, None, None, 3])
        with tf1.Session() as s:
            want = s.run(_program(tf1, tf1.nn, xp), {xp: X})
    with fz.Graph().as_default():
        xp = fz.placeholder(fz.float64, [None, None, None, 3])
        with fz.Session() as s:
            got = s.run(_program(fz, fz.nn, xp), {xp: X})
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f"output {k}")
