"""The N-D convolution and pooling family (conv3d, pool3d, pool/convolution/conv_transpose
dispatch, 1-D and v2 pools, atrous convs, depthwise backprops) against TensorFlow (skipped where
it is not installed): values, and gradients of a sin-sum loss w.r.t. every float input."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as fz

tf = pytest.importorskip("tensorflow")


def _both(program, arrays, rtol=1e-6, atol=1e-8, grads=True):
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(ts)
        y = program(tf.compat.v1, *ts)
        loss = tf.reduce_sum(tf.sin(y))
    want = [y.numpy()]
    if grads:
        want += [g.numpy() for g in tape.gradient(loss, ts)]
    g = fz.Graph()
    with g.as_default():
        fs = [fz.constant(a) for a in arrays]
        fy = program(fz, *fs)
        outs = [fy]
        if grads:
            outs += fz.gradients(fz.reduce_sum(fz.sin(fy)), fs)
        with fz.Session() as sess:
            got = sess.run(outs)
    assert fy.shape.is_compatible_with(want[0].shape)
    for k, (gv, wv) in enumerate(zip(got, want)):
        assert gv.shape == wv.shape, k
        np.testing.assert_allclose(gv, wv, rtol=rtol, atol=atol, err_msg=f"output {k}")


def _r(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).normal(size=shape)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("strides", [[1, 1, 1, 1, 1], [1, 2, 1, 2, 1]])
@pytest.mark.parametrize("fmt", ["NDHWC", "NCDHW"])
def test_conv3d(padding, strides, fmt):
    if fmt == "NCDHW":  # TF's CPU Conv3D has NDHWC only: compare through transposes
        x = _r(2, 3, 5, 4, 6)

        def prog(m, x, w):
            st = [strides[0], strides[4], *strides[1:4]]
            y = m.nn.conv3d(m.transpose(x, [0, 2, 3, 4, 1]), w, strides, padding)
            if m is fz:
                return m.nn.conv3d(x, w, st, padding, data_format="NCDHW")
            return m.transpose(y, [0, 4, 1, 2, 3])

        _both(prog, [x, _r(2, 3, 2, 3, 4, seed=1)])
        return
    _both(
        lambda m, x, w: m.nn.conv3d(x, w, strides, padding),
        [_r(2, 5, 4, 6, 3), _r(2, 3, 2, 3, 4, seed=1)],
    )


def test_conv3d_dilated_and_transpose():
    x, w = _r(1, 6, 7, 5, 2), _r(2, 2, 3, 2, 3, seed=2)
    _both(lambda m, x, w: m.nn.convolution(x, w, "SAME", dilation_rate=[2, 1, 2]), [x, w])
    _both(
        lambda m, v, w: m.nn.conv3d_transpose(v, w, [1, 6, 7, 5, 2], [1, 2, 1, 2, 1], "SAME"),
        [_r(1, 3, 7, 3, 3, seed=3), _r(2, 2, 3, 2, 3, seed=4)],
    )
    _both(
        lambda m, x, dy: m.nn.conv3d_backprop_filter_v2(
            x, [2, 2, 3, 2, 3], dy, [1, 1, 1, 1, 1], "VALID"
        ),
        [x, _r(1, 5, 6, 3, 3, seed=5)],
    )


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool3d(padding, kind):
    x = _r(2, 5, 6, 7, 3).astype(np.float32)  # TF's 3-D pools are float32 only
    fn = f"{kind}_pool3d"
    _both(
        lambda m, x: getattr(m.nn, fn)(x, [1, 2, 3, 2, 1], [1, 2, 1, 2, 1], padding),
        [x],
        rtol=2e-5,
        atol=2e-5,
    )


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_pool_spellings(kind, padding):
    x1, x2 = _r(2, 9, 3), _r(2, 7, 6, 3)
    _both(lambda m, x: getattr(m.nn, f"{kind}_pool1d")(x, 3, 2, padding), [x1])

    def ncw(m, x):  # TF's CPU pools are channels-last only: compare through transposes
        fn = getattr(m.nn, f"{kind}_pool1d")
        if m is fz:
            return fn(x, [2], [1], padding, "NCW")
        return m.transpose(fn(m.transpose(x, [0, 2, 1]), 2, 1, padding), [0, 2, 1])

    _both(ncw, [x1.transpose(0, 2, 1)])
    _both(lambda m, x: getattr(m.nn, f"{kind}_pool2d")(x, 3, [2, 1], padding), [x2])
    _both(lambda m, x: getattr(m.nn, f"{kind}_pool_v2")(x, [2, 3], 2, padding), [x2])
    _both(lambda m, x: getattr(m.nn, f"{kind}_pool_v2")(x, 2, 2, padding), [x1])
    ptype = kind.upper()
    _both(lambda m, x: m.nn.pool(x, [3, 2], ptype, padding, strides=[2, 2]), [x2])
    _both(lambda m, x: m.nn.pool(x, [3], ptype, padding), [x1])
    x3 = _r(1, 4, 5, 6, 2).astype(np.float32)
    _both(
        lambda m, x: m.nn.pool(x, [2, 2, 3], ptype, padding, strides=[1, 2, 2]),
        [x3],
        rtol=2e-5,
        atol=2e-5,
    )


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_convolution_dispatch(padding):
    _both(
        lambda m, x, w: m.nn.convolution(x, w, padding, strides=[2]),
        [_r(2, 9, 3), _r(3, 3, 4, seed=1)],
    )
    _both(
        lambda m, x, w: m.nn.convolution(x, w, padding, dilation_rate=[2, 3]),
        [_r(2, 9, 8, 3), _r(2, 2, 3, 4, seed=1)],
    )
    _both(
        lambda m, x, w: m.nn.convolution(x, w, padding, strides=[2, 1]),
        [_r(2, 9, 8, 3), _r(3, 2, 3, 4, seed=1)],
    )


def test_transposes_and_atrous():
    _both(
        lambda m, v, w: m.nn.conv1d_transpose(v, w, [2, 9, 3], 2, "SAME"),
        [_r(2, 5, 4), _r(3, 3, 4, seed=1)],
    )
    _both(
        lambda m, v, w: m.nn.conv1d_transpose(v, w, [2, 8, 3], 2, "VALID"),
        [_r(2, 3, 4), _r(3, 3, 4, seed=1)],
    )
    _both(
        lambda m, v, w: m.nn.conv_transpose(v, w, [2, 8, 8, 3], 2, "SAME"),
        [_r(2, 4, 4, 4), _r(3, 3, 3, 4, seed=1)],
    )
    _both(
        lambda m, v, w: m.nn.conv_transpose(v, w, [1, 4, 6, 6, 2], [1, 2, 2], "SAME"),
        [_r(1, 4, 3, 3, 3), _r(2, 3, 3, 2, 3, seed=1)],
    )
    for padding in ("SAME", "VALID"):
        _both(
            lambda m, x, w, padding=padding: m.nn.atrous_conv2d(x, w, 2, padding),
            [_r(2, 9, 8, 3), _r(3, 2, 3, 4, seed=1)],
        )
    _both(
        lambda m, v, w: m.nn.atrous_conv2d_transpose(v, w, [2, 9, 8, 3], 2, "SAME"),
        [_r(2, 9, 8, 4), _r(3, 2, 3, 4, seed=1)],
    )
    _both(
        lambda m, v, w: m.nn.atrous_conv2d_transpose(v, w, [2, 9, 8, 3], 2, "VALID"),
        [_r(2, 5, 6, 4), _r(3, 2, 3, 4, seed=1)],
    )


def test_depthwise_backprops():
    x, w = _r(2, 6, 5, 3), _r(3, 3, 3, 2, seed=1)
    dy = _r(2, 3, 3, 6, seed=2)
    for pre in ("depthwise_conv2d_native", "depthwise_conv2d"):
        _both(
            lambda m, w, dy, pre=pre: getattr(m.nn, pre + "_backprop_input")(
                [2, 6, 5, 3], w, dy, [1, 2, 2, 1], "SAME"
            ),
            [w, dy],
        )
        _both(
            lambda m, x, dy, pre=pre: getattr(m.nn, pre + "_backprop_filter")(
                x, [3, 3, 3, 2], dy, [1, 2, 2, 1], "SAME"
            ),
            [x, dy],
        )
