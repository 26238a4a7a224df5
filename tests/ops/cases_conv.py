"""Op-table rows for convolution and pooling (flowzero/ops/conv_ops.py).

The references are deliberately naive: explicit loops over output positions and window taps,
with TF's padding rule written out from its documentation, in NHWC (NCHW rows transpose around
them). Gradient rows stay tiny (central differences run the graph twice per input element).
"""

import math

import numpy as np

from flowzero.ops import conv_ops, pool_ops
from flowzero.testing.op_cases import OpCase, rand


# -- naive references --------------------------------------------------------------------------
def _geometry(h, w, kh, kw, strides, padding, dilations=(1, 1)):
    """(oh, ow, pad_top, pad_left) per the TF documentation."""
    sh, sw = strides
    ekh, ekw = (kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1
    if padding == "VALID":
        return math.ceil((h - ekh + 1) / sh), math.ceil((w - ekw + 1) / sw), 0, 0
    if padding == "SAME":
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
        pad_h = max((oh - 1) * sh + ekh - h, 0)
        pad_w = max((ow - 1) * sw + ekw - w, 0)
        return oh, ow, pad_h // 2, pad_w // 2
    (pt, pb), (pl, pr) = padding
    return ((h + pt + pb - ekh) // sh + 1, (w + pl + pr - ekw) // sw + 1, pt, pl)


def ref_conv2d(x, f, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    n, h, w, _ = x.shape
    kh, kw, _, co = f.shape
    oh, ow, pt, pl = _geometry(h, w, kh, kw, strides, padding, dilations)
    y = np.zeros((n, oh, ow, co))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for p in range(kh):
                    for q in range(kw):
                        r = i * strides[0] + p * dilations[0] - pt
                        s = j * strides[1] + q * dilations[1] - pl
                        if 0 <= r < h and 0 <= s < w:
                            y[b, i, j] += x[b, r, s].astype(np.float64) @ f[p, q]
    return y.astype(x.dtype)


def ref_backprop_input(sizes, f, dy, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    n, h, w, c = sizes
    kh, kw = f.shape[:2]
    _, oh, ow, _ = dy.shape
    _, _, pt, pl = _geometry(h, w, kh, kw, strides, padding, dilations)
    dx = np.zeros((n, h, w, c))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for p in range(kh):
                    for q in range(kw):
                        r = i * strides[0] + p * dilations[0] - pt
                        s = j * strides[1] + q * dilations[1] - pl
                        if 0 <= r < h and 0 <= s < w:
                            dx[b, r, s] += f[p, q] @ dy[b, i, j]
    return dx.astype(dy.dtype)


def ref_backprop_filter(x, fsizes, dy, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    _, h, w, _ = x.shape
    kh, kw, c, co = fsizes
    _, oh, ow, _ = dy.shape
    _, _, pt, pl = _geometry(h, w, kh, kw, strides, padding, dilations)
    df = np.zeros((kh, kw, c, co))
    for b in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                for p in range(kh):
                    for q in range(kw):
                        r = i * strides[0] + p * dilations[0] - pt
                        s = j * strides[1] + q * dilations[1] - pl
                        if 0 <= r < h and 0 <= s < w:
                            df[p, q] += np.outer(x[b, r, s], dy[b, i, j])
    return df.astype(x.dtype)


def _windows(h, w, k, strides, padding):
    """Yields (i, j, [(r, s), ...] real positions of the window, row-major)."""
    oh, ow, pt, pl = _geometry(h, w, k[0], k[1], strides, padding)
    for i in range(oh):
        for j in range(ow):
            pos = [
                (i * strides[0] + p - pt, j * strides[1] + q - pl)
                for p in range(k[0])
                for q in range(k[1])
            ]
            yield i, j, [(r, s) for r, s in pos if 0 <= r < h and 0 <= s < w]


def _pooled(x, k, strides, padding):
    oh, ow, _, _ = _geometry(x.shape[1], x.shape[2], k[0], k[1], strides, padding)
    return np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)


def ref_max_pool(x, k, strides, padding):
    y = _pooled(x, k, strides, padding)
    for i, j, pos in _windows(x.shape[1], x.shape[2], k, strides, padding):
        y[:, i, j] = np.max([x[:, r, s] for r, s in pos], axis=0)
    return y


def ref_avg_pool(x, k, strides, padding):
    y = _pooled(x, k, strides, padding)
    for i, j, pos in _windows(x.shape[1], x.shape[2], k, strides, padding):
        y[:, i, j] = np.mean([x[:, r, s] for r, s in pos], axis=0)
    return y


def _argmax_pos(x, b, c, pos):
    vals = [x[b, r, s, c] for r, s in pos]
    return pos[int(np.argmax(vals))]  # np.argmax: the first of equal maxima


def ref_max_pool_grad(x, dy, k, strides, padding):
    dx = np.zeros_like(x)
    for i, j, pos in _windows(x.shape[1], x.shape[2], k, strides, padding):
        for b in range(x.shape[0]):
            for c in range(x.shape[3]):
                r, s = _argmax_pos(x, b, c, pos)
                dx[b, r, s, c] += dy[b, i, j, c]
    return dx


def ref_max_pool_grad_grad(x, gx, k, strides, padding):
    y = _pooled(x, k, strides, padding)
    for i, j, pos in _windows(x.shape[1], x.shape[2], k, strides, padding):
        for b in range(x.shape[0]):
            for c in range(x.shape[3]):
                r, s = _argmax_pos(x, b, c, pos)
                y[b, i, j, c] = gx[b, r, s, c]
    return y


def ref_avg_pool_grad(shape, dy, k, strides, padding):
    dx = np.zeros(shape, dtype=dy.dtype)
    for i, j, pos in _windows(shape[1], shape[2], k, strides, padding):
        for r, s in pos:
            dx[:, r, s] += dy[:, i, j] / len(pos)
    return dx


def nchw(a):
    return np.ascontiguousarray(np.transpose(a, (0, 3, 1, 2)))


def nhwc(a):
    return np.ascontiguousarray(np.transpose(a, (0, 2, 3, 1)))


def distinct(*shape, seed=0):
    """Random values with no two equal (max-pool rows: no ties, so central differences hold)."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) / n - 0.5).reshape(shape).astype(np.float32)


def _four(k, fmt):
    return [1, 1, k, k] if fmt == "NCHW" else [1, k, k, 1]


def _as_nhwc(a, fmt):
    return nhwc(a) if fmt == "NCHW" else a


def _in_fmt(a, fmt):
    return nchw(a) if fmt == "NCHW" else a


def _pooled_shape(shape, k, fmt):
    """VALID k x k / stride k output shape (leftover rows/columns cropped)."""
    if fmt == "NCHW":
        return (shape[0], shape[1], shape[2] // k, shape[3] // k)
    return (shape[0], shape[1] // k, shape[2] // k, shape[3])


def _tie_heavy(*shape_and_dtype):
    """relu(rand) with the first half of axis 1 blank (rows; NCHW: channels): most windows tie."""
    *shape, dtype = shape_and_dtype
    x = np.maximum(rand(*shape, seed=6), 0).astype(dtype)
    x[:, : shape[1] // 2] = 0
    return x


# -- rows --------------------------------------------------------------------------------------
S1, S2 = [1, 1, 1, 1], [1, 2, 2, 1]


def conv_row(name, xs, fs, strides=(1, 1), padding="VALID", dilations=(1, 1), grad=False, **kw):
    s4, d4 = [1, *strides, 1], [1, *dilations, 1]
    pad = padding if isinstance(padding, str) else [[0, 0], *padding, [0, 0]]
    return OpCase(
        "Conv2D",
        lambda x, f: conv_ops.conv2d(x, f, s4, pad, dilations=d4),
        lambda x, f: ref_conv2d(x, f, strides, padding, dilations),
        [rand(*xs), rand(*fs, seed=7)],
        name=name,
        grad=grad,
        **kw,
    )


CASES = [
    # Conv2D forward: VALID/SAME, stride 1/2, odd sizes (asymmetric SAME pad), batch 2,
    # multiple channels, dilation 2, explicit padding, NCHW.
    conv_row("valid", (2, 7, 6, 3), (3, 3, 3, 4), rtol=1e-5, atol=1e-6),
    conv_row("same", (2, 7, 6, 3), (3, 3, 3, 4), padding="SAME", rtol=1e-5, atol=1e-6),
    conv_row("valid-s2-odd", (2, 9, 8, 2), (3, 2, 2, 3), (2, 2), rtol=1e-5, atol=1e-6),
    conv_row("same-s2-odd", (2, 7, 8, 2), (4, 3, 2, 3), (2, 2), "SAME", rtol=1e-5, atol=1e-6),
    conv_row("same-s2x3", (1, 9, 10, 2), (2, 2, 2, 2), (2, 3), "SAME", rtol=1e-5, atol=1e-6),
    conv_row("dilated2-valid", (2, 9, 9, 2), (3, 3, 2, 3), dilations=(2, 2), rtol=1e-5, atol=1e-6),
    conv_row(
        "dilated2-same",
        (1, 8, 7, 2),
        (3, 2, 2, 3),
        padding="SAME",
        dilations=(2, 2),
        rtol=1e-5,
        atol=1e-6,
    ),
    conv_row(
        "explicit", (1, 5, 6, 2), (3, 3, 2, 2), padding=((1, 2), (0, 1)), rtol=1e-5, atol=1e-6
    ),
    conv_row("1x1", (2, 4, 5, 3), (1, 1, 3, 2), rtol=1e-5, atol=1e-6),
    OpCase(
        "Conv2D",
        lambda x, f: conv_ops.conv2d(x, f, [1, 1, 2, 2], "SAME", data_format="NCHW"),
        lambda x, f: nchw(ref_conv2d(nhwc(x), f, (2, 2), "SAME")),
        [rand(2, 3, 7, 6), rand(3, 3, 3, 4, seed=7)],
        name="nchw-same-s2",
        grad=False,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv2D",
        lambda x, f: conv_ops.conv2d(x, filters=f, strides=2, padding="VALID"),
        lambda x, f: ref_conv2d(x, f, (2, 2)),
        [rand(1, 6, 6, 1), rand(2, 2, 1, 2, seed=7)],
        name="tf2-filters-int-stride",
        grad=False,
    ),
    # Conv2D gradients (float64 central differences) and second order through both backprops.
    conv_row("grad-same", (1, 5, 5, 2), (3, 3, 2, 3), padding="SAME", grad=True),
    conv_row("grad-valid-s2", (1, 5, 5, 2), (3, 3, 2, 3), (2, 2), grad=True),
    conv_row("grad-same-s2", (1, 5, 4, 2), (3, 2, 2, 2), (2, 2), "SAME", grad=True),
    conv_row(
        "grad-dilated", (1, 5, 5, 1), (2, 2, 1, 2), padding="SAME", dilations=(2, 2), grad=True
    ),
    OpCase(
        "Conv2D",
        lambda x, f: conv_ops.conv2d(x, f, [1, 1, 2, 1], "SAME", data_format="NCHW"),
        lambda x, f: nchw(ref_conv2d(nhwc(x), f, (2, 1), "SAME")),
        [rand(1, 2, 5, 4), rand(3, 2, 2, 2, seed=7)],
        name="grad-nchw",
    ),
    OpCase(
        "Conv2D",
        lambda x, f: conv_ops.conv2d(x, f, S1, "SAME") * conv_ops.conv2d(x, f, S1, "SAME"),
        lambda x, f: ref_conv2d(x, f, padding="SAME") ** 2,
        [rand(1, 4, 4, 2), rand(3, 3, 2, 2, seed=7)],
        name="squared-2nd-order",
        second_order=True,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv2D",
        lambda x, f: conv_ops.conv2d(x, f, S1, "SAME") * conv_ops.conv2d(x, f, S1, "SAME"),
        lambda x, f: ref_conv2d(x, f, padding="SAME") ** 2,
        [rand(1, 4, 4, 2), rand(3, 3, 2, 2, seed=7)],
        name="squared-2nd-order-filter",
        wrt=[1],
        second_order=True,
        rtol=1e-5,
        atol=1e-6,
    ),
    # Conv2DBackpropInput (also as conv2d_transpose) and its own gradients.
    OpCase(
        "Conv2DBackpropInput",
        lambda f, dy: conv_ops.conv2d_backprop_input([2, 7, 6, 3], f, dy, S2, "SAME"),
        lambda f, dy: ref_backprop_input((2, 7, 6, 3), f, dy, (2, 2), "SAME"),
        [rand(3, 3, 3, 4, seed=7), rand(2, 4, 3, 4)],
        name="same-s2-odd",
        grad=False,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda f, dy: conv_ops.conv2d_backprop_input(
            [1, 9, 9, 2], f, dy, S1, "VALID", dilations=[1, 2, 2, 1]
        ),
        lambda f, dy: ref_backprop_input((1, 9, 9, 2), f, dy, dilations=(2, 2)),
        [rand(3, 3, 2, 3, seed=7), rand(1, 5, 5, 3)],
        name="dilated2",
        grad=False,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda f, dy: conv_ops.conv2d_backprop_input([1, 5, 5, 2], f, dy, S1, "SAME"),
        lambda f, dy: ref_backprop_input((1, 5, 5, 2), f, dy, padding="SAME"),
        [rand(3, 3, 2, 3, seed=7), rand(1, 5, 5, 3)],
        name="grad-same",
        second_order=True,
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda f, dy: conv_ops.conv2d_backprop_input([1, 6, 5, 2], f, dy, S2, "VALID"),
        lambda f, dy: ref_backprop_input((1, 6, 5, 2), f, dy, (2, 2)),
        [rand(3, 3, 2, 3, seed=7), rand(1, 2, 2, 3)],
        name="grad-valid-s2-leftover",
    ),
    OpCase(
        "Conv2DBackpropInput",  # > 16 input channels: the NHWC col2im path
        lambda f, dy: conv_ops.conv2d_backprop_input([2, 5, 4, 17], f, dy, S2, "SAME"),
        lambda f, dy: ref_backprop_input((2, 5, 4, 17), f, dy, (2, 2), "SAME"),
        [rand(2, 2, 17, 2, seed=7), rand(2, 3, 2, 2)],
        name="grad-many-channels",
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda f, dy: conv_ops.conv2d_backprop_input(
            [1, 2, 6, 5], f, dy, [1, 1, 2, 2], "VALID", data_format="NCHW"
        ),
        lambda f, dy: nchw(ref_backprop_input((1, 6, 5, 2), f, nhwc(dy), (2, 2))),
        [rand(3, 3, 2, 3, seed=7), rand(1, 3, 2, 2)],
        name="nchw-valid-nopad",
        grad=False,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda v, f: conv_ops.conv2d_transpose(v, f, [1, 5, 5, 2], S2, "SAME"),
        lambda v, f: ref_backprop_input((1, 5, 5, 2), f, v, (2, 2), "SAME"),
        [rand(1, 3, 3, 3), rand(3, 3, 2, 3, seed=7)],
        name="conv2d_transpose",
    ),
    OpCase(
        "Conv2DBackpropInput",
        lambda f, dy: conv_ops.conv2d_backprop_input(
            [1, 2, 5, 4], f, dy, [1, 1, 2, 2], "SAME", data_format="NCHW"
        ),
        lambda f, dy: nchw(ref_backprop_input((1, 5, 4, 2), f, nhwc(dy), (2, 2), "SAME")),
        [rand(3, 2, 2, 3, seed=7), rand(1, 3, 3, 2)],
        name="grad-nchw",
    ),
    # Conv2DBackpropFilter and its own gradients.
    OpCase(
        "Conv2DBackpropFilter",
        lambda x, dy: conv_ops.conv2d_backprop_filter(x, [3, 3, 3, 4], dy, S2, "SAME"),
        lambda x, dy: ref_backprop_filter(x, (3, 3, 3, 4), dy, (2, 2), "SAME"),
        [rand(2, 7, 6, 3), rand(2, 4, 3, 4, seed=7)],
        name="same-s2-odd",
        grad=False,
        rtol=1e-5,
        atol=1e-5,
    ),
    OpCase(
        "Conv2DBackpropFilter",
        lambda x, dy: conv_ops.conv2d_backprop_filter(x, [3, 3, 2, 3], dy, S1, "SAME"),
        lambda x, dy: ref_backprop_filter(x, (3, 3, 2, 3), dy, padding="SAME"),
        [rand(1, 5, 5, 2), rand(1, 5, 5, 3, seed=7)],
        name="grad-same",
        second_order=True,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv2DBackpropFilter",
        lambda x, dy: conv_ops.conv2d_backprop_filter(
            x, [2, 2, 1, 2], dy, S1, "VALID", dilations=[1, 2, 2, 1]
        ),
        lambda x, dy: ref_backprop_filter(x, (2, 2, 1, 2), dy, dilations=(2, 2)),
        [rand(1, 5, 5, 1), rand(1, 3, 3, 2, seed=7)],
        name="grad-dilated",
    ),
    OpCase(
        "Conv2DBackpropFilter",
        lambda x, dy: conv_ops.conv2d_backprop_filter(
            x, [3, 2, 2, 2], dy, [1, 1, 2, 2], "SAME", data_format="NCHW"
        ),
        lambda x, dy: ref_backprop_filter(nhwc(x), (3, 2, 2, 2), nhwc(dy), (2, 2), "SAME"),
        [rand(1, 2, 5, 4), rand(1, 2, 3, 2, seed=7)],
        name="grad-nchw",
    ),
    # MaxPool.
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 2, 2, 1], S2, "VALID"),
        lambda x: ref_max_pool(x, (2, 2), (2, 2), "VALID"),
        [rand(2, 6, 8, 3)],
        name="2x2-s2-valid-tiled",
        grad=False,
    ),
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 2, 2, 1], S2, "VALID"),
        lambda x: ref_max_pool(x, (2, 2), (2, 2), "VALID"),
        [rand(2, 7, 5, 3)],
        name="2x2-s2-valid-odd",
        grad=False,
    ),
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 3, 3, 1], S2, "SAME"),
        lambda x: ref_max_pool(x, (3, 3), (2, 2), "SAME"),
        [rand(2, 7, 6, 3)],
        name="3x3-s2-same-odd",
        grad=False,
    ),
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 1, 3, 3], [1, 1, 1, 2], "SAME", data_format="NCHW"),
        lambda x: nchw(ref_max_pool(nhwc(x), (3, 3), (1, 2), "SAME")),
        [rand(2, 3, 5, 6)],
        name="nchw-same",
        grad=False,
    ),
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 2, 2, 1], S2, "SAME"),
        lambda x: ref_max_pool(x, (2, 2), (2, 2), "SAME"),
        [np.arange(2 * 5 * 5 * 2, dtype=np.int32).reshape(2, 5, 5, 2) % 7],
        name="int32",
        grad=False,
    ),
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 2, 2, 1], S2, "VALID"),
        lambda x: ref_max_pool(x, (2, 2), (2, 2), "VALID"),
        [distinct(1, 4, 4, 2)],
        name="grad-tiled",
    ),
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 3, 3, 1], S2, "SAME"),
        lambda x: ref_max_pool(x, (3, 3), (2, 2), "SAME"),
        [distinct(1, 5, 5, 2)],
        name="grad-overlap-same",
    ),
    OpCase(
        "MaxPool",
        lambda x: pool_ops.max_pool(x, [1, 3, 3, 1], S2, [[0, 0], [1, 0], [1, 2], [0, 0]]),
        lambda x: ref_max_pool(x, (3, 3), (2, 2), ((1, 0), (1, 2))),
        [distinct(1, 5, 4, 2)],
        name="grad-explicit-padding",
    ),
    OpCase(
        "MaxPool",
        lambda x: (
            pool_ops.max_pool(x, [1, 2, 2, 1], S1, "VALID")
            * pool_ops.max_pool(x, [1, 2, 2, 1], S1, "VALID")
        ),
        lambda x: ref_max_pool(x, (2, 2), (1, 1), "VALID") ** 2,
        [distinct(1, 4, 4, 2)],
        name="squared-2nd-order",
        second_order=True,
    ),
    # MaxPoolGrad: ties go to the first position of the window (row-major), as TF.
    OpCase(
        "MaxPoolGrad",
        lambda x, dy: pool_ops.max_pool_grad(
            x, pool_ops.max_pool(x, [1, 2, 2, 1], S1, "SAME"), dy, [1, 2, 2, 1], S1, "SAME"
        ),
        lambda x, dy: ref_max_pool_grad(x, dy, (2, 2), (1, 1), "SAME"),
        [np.round(rand(2, 4, 5, 2) * 2).astype(np.float32), rand(2, 4, 5, 2, seed=3)],
        name="ties-overlap-same",
        grad=False,
    ),
    OpCase(
        "MaxPoolGrad",
        lambda x, dy: pool_ops.max_pool_grad(
            x, pool_ops.max_pool(x, [1, 2, 2, 1], S2, "VALID"), dy, [1, 2, 2, 1], S2, "VALID"
        ),
        lambda x, dy: ref_max_pool_grad(x, dy, (2, 2), (2, 2), "VALID"),
        [np.round(rand(2, 5, 6, 2) * 2).astype(np.float32), rand(2, 2, 3, 2, seed=3)],
        name="ties-tiled-leftover",
        grad=False,
    ),
    OpCase(
        "MaxPoolGrad",
        lambda x, dy: pool_ops.max_pool_grad(
            x, pool_ops.max_pool(x, [1, 2, 2, 1], S2, "SAME"), dy, [1, 2, 2, 1], S2, "SAME"
        ),
        lambda x, dy: ref_max_pool_grad(x, dy, (2, 2), (2, 2), "SAME"),
        [distinct(2, 4, 6, 3), rand(2, 2, 3, 3, seed=3)],
        name="tiled-same-even",
        grad=False,
    ),
    OpCase(
        "MaxPoolGrad",
        lambda x, dy: pool_ops.max_pool_grad(
            x, pool_ops.max_pool(x, [1, 3, 3, 1], S2, "SAME"), dy, [1, 3, 3, 1], S2, "SAME"
        ),
        lambda x, dy: ref_max_pool_grad(x, dy, (3, 3), (2, 2), "SAME"),
        [distinct(1, 5, 5, 2), rand(1, 3, 3, 2, seed=3)],
        name="grad",
    ),
    OpCase(
        "MaxPoolGrad",
        lambda x, dy: pool_ops.max_pool_grad(
            x,
            pool_ops.max_pool(x, [1, 1, 2, 2], [1, 1, 2, 2], "VALID", data_format="NCHW"),
            dy,
            [1, 1, 2, 2],
            [1, 1, 2, 2],
            "VALID",
            data_format="NCHW",
        ),
        lambda x, dy: nchw(ref_max_pool_grad(nhwc(x), nhwc(dy), (2, 2), (2, 2), "VALID")),
        [distinct(1, 2, 5, 4), rand(1, 2, 2, 2, seed=3)],
        name="grad-nchw-leftover",
    ),
    # Tie-heavy tiling (stride == window) rows: relu'd inputs with blank (all-zero) regions, as
    # after conv -> ReLU on MNIST; the gradient still goes to each window's first max.
    *[
        OpCase(
            "MaxPoolGrad",
            lambda x, dy, k=k, fmt=fmt: pool_ops.max_pool_grad(
                x,
                pool_ops.max_pool(x, _four(k, fmt), _four(k, fmt), "VALID", data_format=fmt),
                dy,
                _four(k, fmt),
                _four(k, fmt),
                "VALID",
                data_format=fmt,
            ),
            lambda x, dy, k=k, fmt=fmt: _in_fmt(
                ref_max_pool_grad(_as_nhwc(x, fmt), _as_nhwc(dy, fmt), (k, k), (k, k), "VALID"), fmt
            ),
            [x, rand(*_pooled_shape(x.shape, k, fmt), seed=5, dtype=x.dtype)],
            name=f"ties-tiled-{kind}-{k}x{k}-{fmt.lower()}-{x.dtype.name}",
            grad=False,
        )
        for kind, k, fmt, x in [
            ("relu", 2, "NHWC", _tie_heavy(2, 8, 10, 3, np.float32)),
            ("relu", 3, "NHWC", _tie_heavy(2, 9, 10, 3, np.float64)),
            ("relu", 2, "NCHW", _tie_heavy(2, 3, 8, 7, np.float64)),
            ("quantized", 3, "NCHW", np.round(rand(2, 3, 9, 9, seed=7) * 2)),
            ("quantized", 2, "NHWC", np.round(rand(2, 6, 6, 3, seed=8) * 2).astype(np.float64)),
            ("zeros", 2, "NHWC", np.zeros((1, 4, 6, 2), np.float32)),
            ("zeros", 3, "NCHW", np.zeros((1, 2, 6, 7), np.float64)),
        ]
    ],
    OpCase(
        "MaxPoolGradGrad",
        lambda x, g: pool_ops.max_pool_grad_grad(
            x, pool_ops.max_pool(x, [1, 3, 3, 1], S2, "SAME"), g, [1, 3, 3, 1], S2, "SAME"
        ),
        lambda x, g: ref_max_pool_grad_grad(x, g, (3, 3), (2, 2), "SAME"),
        [distinct(2, 5, 6, 2), rand(2, 5, 6, 2, seed=3)],
        name="grad",
    ),
    OpCase(
        "MaxPoolGradGrad",
        lambda x, g: pool_ops.max_pool_grad_grad(
            x, pool_ops.max_pool(x, [1, 2, 2, 1], S1, "VALID"), g, [1, 2, 2, 1], S1, "VALID"
        ),
        lambda x, g: ref_max_pool_grad_grad(x, g, (2, 2), (1, 1), "VALID"),
        [np.round(rand(1, 4, 4, 2) * 2).astype(np.float32), rand(1, 4, 4, 2, seed=3)],
        name="ties",
        grad=False,
    ),
    # AvgPool: SAME divides by the number of real (unpadded) inputs, as TF.
    OpCase(
        "AvgPool",
        lambda x: pool_ops.avg_pool(x, [1, 2, 2, 1], S2, "VALID"),
        lambda x: ref_avg_pool(x, (2, 2), (2, 2), "VALID"),
        [rand(2, 6, 7, 3)],
        name="2x2-s2-valid-odd",
        grad=False,
    ),
    OpCase(
        "AvgPool",
        lambda x: pool_ops.avg_pool(x, [1, 3, 3, 1], S2, "SAME"),
        lambda x: ref_avg_pool(x, (3, 3), (2, 2), "SAME"),
        [rand(2, 7, 6, 3)],
        name="3x3-s2-same-odd",
        grad=False,
    ),
    OpCase(
        "AvgPool",
        lambda x: pool_ops.avg_pool(x, [1, 1, 2, 3], [1, 1, 1, 2], "SAME", data_format="NCHW"),
        lambda x: nchw(ref_avg_pool(nhwc(x), (2, 3), (1, 2), "SAME")),
        [rand(2, 3, 5, 6)],
        name="nchw-same",
        grad=False,
    ),
    OpCase(
        "AvgPool",
        lambda x: pool_ops.avg_pool(x, [1, 3, 3, 1], S2, "SAME"),
        lambda x: ref_avg_pool(x, (3, 3), (2, 2), "SAME"),
        [rand(1, 5, 5, 2)],
        name="grad-same",
        second_order=True,
    ),
    OpCase(
        "AvgPool",
        lambda x: pool_ops.avg_pool(x, [1, 2, 2, 1], S2, "VALID"),
        lambda x: ref_avg_pool(x, (2, 2), (2, 2), "VALID"),
        [rand(1, 5, 4, 2)],
        name="grad-valid-leftover",
    ),
    OpCase(
        "AvgPoolGrad",
        lambda dy: pool_ops.avg_pool_grad([2, 7, 6, 3], dy, [1, 3, 3, 1], S2, "SAME"),
        lambda dy: ref_avg_pool_grad((2, 7, 6, 3), dy, (3, 3), (2, 2), "SAME"),
        [rand(2, 4, 3, 3)],
        name="same-s2-odd",
    ),
    OpCase(
        "AvgPoolGrad",
        lambda dy: pool_ops.avg_pool_grad(
            [1, 2, 5, 4], dy, [1, 1, 2, 2], [1, 1, 2, 2], "VALID", data_format="NCHW"
        ),
        lambda dy: nchw(ref_avg_pool_grad((1, 5, 4, 2), nhwc(dy), (2, 2), (2, 2), "VALID")),
        [rand(1, 2, 2, 2)],
        name="nchw-valid-leftover",
        second_order=True,
    ),
]
