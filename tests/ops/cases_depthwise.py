"""Op-table rows for the depthwise convolution (tf.nn.depthwise_conv2d, separable_conv2d): the
reference is the definition, a loop over channels of single-channel convolutions."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _ref(x, w, strides=(1, 1), padding="SAME", rate=(1, 1), nchw=False):
    if nchw:
        x = x.transpose(0, 2, 3, 1)
    n, h, wd, c = x.shape
    kh, kw, _, m = w.shape
    (sh, sw), (dh, dw) = strides, rate
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "SAME":
        oh, ow = -(-h // sh), -(-wd // sw)
        ph, pw = max((oh - 1) * sh + ekh - h, 0), max((ow - 1) * sw + ekw - wd, 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    else:
        oh, ow = (h - ekh) // sh + 1, (wd - ekw) // sw + 1
    y = np.zeros((n, oh, ow, c * m), x.dtype)
    for ch in range(c):
        for k in range(m):
            for i in range(oh):
                for j in range(ow):
                    patch = x[:, i * sh : i * sh + ekh : dh, j * sw : j * sw + ekw : dw, ch]
                    y[:, i, j, ch * m + k] = np.sum(patch * w[:, :, ch, k], axis=(1, 2))
    return y.transpose(0, 3, 1, 2) if nchw else y


X, W = rand(2, 5, 6, 3), rand(3, 3, 3, 2, seed=1)
CASES = [
    OpCase(
        "DepthwiseConv2dNative",
        lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"),
        _ref,
        [X, W],
        "same",
        second_order=True,
    ),
    OpCase(
        "DepthwiseConv2dNative",
        lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "VALID"),
        lambda x, w: _ref(x, w, (2, 2), "VALID"),
        [X, W],
        "valid_stride2",
    ),
    OpCase(
        "DepthwiseConv2dNative",
        lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME", rate=2),
        lambda x, w: _ref(x, w, rate=(2, 2)),
        [X, rand(2, 2, 3, 1, seed=2)],
        "rate2",
    ),
    OpCase(
        "DepthwiseConv2dNative",
        lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 2, 1], "SAME", data_format="NCHW"),
        lambda x, w: _ref(x, w, (2, 1), nchw=True),
        [rand(2, 3, 4, 5, seed=3), rand(2, 3, 3, 2, seed=4)],
        "nchw",
    ),
    OpCase(
        "DepthwiseConv2dNative",
        lambda x, dw, pw: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "VALID"),
        lambda x, dw, pw: np.einsum("nhwc,co->nhwo", _ref(x, dw, padding="VALID"), pw[0, 0]),
        [X, W, rand(1, 1, 6, 4, seed=5)],
        "separable",
        rtol=1e-5,
        atol=1e-6,
    ),
]

EXEMPT = {
    "DepthwiseConv2dNativeBackpropInput": "the depthwise conv's gradient: its rows' gradient and "
    "second-order checks",
    "DepthwiseConv2dNativeBackpropFilter": "the depthwise conv's gradient: its rows' checks",
}
