"""Op-table rows for max pooling with argmax and grayscale morphology (flowzero/ops/morph_ops.py).

The references loop over output positions and window offsets, skipping out-of-image positions
(TF's kernels never let them win), with the first max in row-major offset order winning ties.
"""

import numpy as np

from flowzero.ops import morph_ops
from flowzero.testing.op_cases import OpCase, rand
from tests.ops.cases_conv import _geometry


def _distinct(*shape, seed=0):
    """Values with no ties, spread apart (central differences never change an argmax)."""
    n = int(np.prod(shape))
    v = np.random.default_rng(seed).permutation(n).astype(np.float64) * 0.1
    return v.reshape(shape)


def ref_argmax_pool(x, k, strides, padding, include_batch):
    n, h, w, c = x.shape
    oh, ow, pt, pl = _geometry(h, w, k[0], k[1], strides, padding)
    y = np.zeros((n, oh, ow, c), x.dtype)
    a = np.zeros((n, oh, ow, c), np.int64)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    best = None
                    for p in range(k[0]):
                        for q in range(k[1]):
                            r, s = i * strides[0] + p - pt, j * strides[1] + q - pl
                            if (
                                0 <= r < h
                                and 0 <= s < w
                                and (best is None or x[b, r, s, ch] > best)
                            ):
                                best = x[b, r, s, ch]
                                a[b, i, j, ch] = ((b * h if include_batch else 0) + r) * w * c
                                a[b, i, j, ch] += s * c + ch
                    y[b, i, j, ch] = best
    return y, a


def _dilate(x, f, strides, rates, padding):
    """(y, positions): y and, per output element, the (r, s, p, q) of its max."""
    n, h, w, c = x.shape
    kh, kw, _ = f.shape
    oh, ow, pt, pl = _geometry(h, w, kh, kw, strides, padding, rates)
    y = np.zeros((n, oh, ow, c), x.dtype)
    pos = {}
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    best = None
                    for p in range(kh):
                        for q in range(kw):
                            r = i * strides[0] + p * rates[0] - pt
                            s = j * strides[1] + q * rates[1] - pl
                            if 0 <= r < h and 0 <= s < w:
                                v = x[b, r, s, ch] + f[p, q, ch]
                                if best is None or v > best:
                                    best, pos[b, i, j, ch] = v, (r, s, p, q)
                    y[b, i, j, ch] = best
    return y, pos


def ref_dilation(x, f, strides, rates, padding):
    return _dilate(x, f, strides, rates, padding)[0]


def ref_dilation_backprop(x, f, dy, strides, rates, padding, wrt_input):
    _, pos = _dilate(x, f, strides, rates, padding)
    out = np.zeros(x.shape if wrt_input else f.shape)
    for (b, i, j, ch), (r, s, p, q) in pos.items():
        if wrt_input:
            out[b, r, s, ch] += dy[b, i, j, ch]
        else:
            out[p, q, ch] += dy[b, i, j, ch]
    return out.astype(x.dtype)


def ref_erosion(x, k, strides, rates, padding):
    return -ref_dilation(-x, k[::-1, ::-1], strides, rates, padding)


S11, S12, S21 = (1, 1), (1, 2), (2, 1)
CASES = [
    OpCase(
        "MaxPoolWithArgmax",
        lambda x: morph_ops.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
        lambda x: ref_argmax_pool(x, (2, 2), (2, 2), "VALID", False),
        [rand(2, 5, 6, 3)],
        name="2x2-valid",
        grad=False,
    ),
    OpCase(
        "MaxPoolWithArgmax",
        lambda x: morph_ops.max_pool_with_argmax(
            x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME", include_batch_in_index=True, Targmax="int32"
        ),
        lambda x: tuple(
            v.astype(np.int32) if v.dtype == np.int64 else v
            for v in ref_argmax_pool(x, (3, 3), (2, 2), "SAME", True)
        ),
        [rand(2, 5, 6, 3)],
        name="3x3-same-batch-int32",
        grad=False,
    ),
    OpCase(
        "MaxPoolWithArgmax",
        lambda x: morph_ops.max_pool_with_argmax(x, [1, 3, 2, 1], [1, 2, 1, 1], "SAME"),
        lambda x: ref_argmax_pool(x, (3, 2), (2, 1), "SAME", False),
        [np.array([[[[1], [1], [0]], [[1], [2], [2]], [[-np.inf], [2], [0]]]], np.float32)],
        name="ties-first-wins",
        grad=False,
    ),
    OpCase(
        "MaxPoolWithArgmax",
        lambda x: morph_ops.max_pool_with_argmax(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")[0],
        lambda x: ref_argmax_pool(x, (3, 3), (2, 2), "SAME", False)[0],
        [_distinct(2, 4, 5, 2)],
        name="grad",
        second_order=True,
    ),
    OpCase(
        "Dilation2D",
        lambda x, f: morph_ops.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
        lambda x, f: ref_dilation(x, f, S11, S11, "VALID"),
        [rand(2, 5, 4, 3), rand(2, 2, 3, seed=3)],
        name="valid",
        grad=False,
    ),
    OpCase(
        "Dilation2D",
        lambda x, f: morph_ops.dilation2d(x, f, [1, 2, 1, 1], [1, 1, 2, 1], "SAME"),
        lambda x, f: ref_dilation(x, f, S21, S12, "SAME"),
        [rand(2, 6, 5, 2), rand(3, 2, 2, seed=3)],
        name="same-strided-dilated",
        grad=False,
    ),
    OpCase(
        "Dilation2D",
        lambda x, f: morph_ops.dilation2d(x, f, [1, 1, 2, 1], [1, 2, 1, 1], "SAME"),
        lambda x, f: ref_dilation(x, f, S12, S21, "SAME"),
        [_distinct(2, 5, 4, 2), _distinct(2, 2, 2, seed=1) * 0.01],
        name="grad",
    ),
    OpCase(
        "Dilation2D",
        lambda x, f: morph_ops.erosion2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
        lambda x, f: ref_erosion(x, f, S11, S11, "SAME"),
        [_distinct(1, 4, 5, 2), _distinct(2, 3, 2, seed=1) * 0.01],
        name="erosion2d",
    ),
    OpCase(
        "Dilation2D",
        lambda x, f: morph_ops.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
        lambda x, f: ref_dilation(x, f, S11, S11, "SAME"),
        [np.arange(24, dtype=np.int32).reshape(1, 4, 3, 2), np.ones((2, 2, 2), np.int32)],
        name="int32",
        grad=False,
    ),
    OpCase(
        "Dilation2DBackpropInput",
        lambda x, f, dy: _backprop(morph_ops.Dilation2DBackpropInput, x, f, dy),
        lambda x, f, dy: ref_dilation_backprop(x, f, dy, S21, S12, "SAME", True),
        [rand(2, 6, 5, 2), rand(3, 2, 2, seed=3), rand(2, 3, 5, 2, seed=5)],
        grad=False,
    ),
    OpCase(
        "Dilation2DBackpropFilter",
        lambda x, f, dy: _backprop(morph_ops.Dilation2DBackpropFilter, x, f, dy),
        lambda x, f, dy: ref_dilation_backprop(x, f, dy, S21, S12, "SAME", False),
        [rand(2, 6, 5, 2), rand(3, 2, 2, seed=3), rand(2, 3, 5, 2, seed=5)],
        grad=False,
    ),
]


def _backprop(cls, x, f, dy):
    from flowzero.framework.graph import apply_op

    attrs = {"strides": [1, 2, 1, 1], "rates": [1, 1, 2, 1], "padding": "SAME"}
    return apply_op(cls, [x, f, dy], attrs)
