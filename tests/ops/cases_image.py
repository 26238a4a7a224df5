"""Op-table rows for the resize kernels (tf.image.resize_bilinear / resize_nearest_neighbor):
the references are TF's per-pixel formulas written as loops."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _src(out, inp, align, half):
    scale = (inp - 1) / (out - 1) if align and out > 1 else inp / out
    return scale


def _ref_bilinear(x, size, align=False, half=False):
    b, h, w, c = x.shape
    oh, ow = size
    sy, sx = _src(oh, h, align, half), _src(ow, w, align, half)
    out = np.zeros((b, oh, ow, c))
    for i in range(oh):
        fy = (i + 0.5) * sy - 0.5 if half else i * sy
        y0, y1, ly = max(int(np.floor(fy)), 0), min(int(np.ceil(fy)), h - 1), fy - np.floor(fy)
        for j in range(ow):
            fx = (j + 0.5) * sx - 0.5 if half else j * sx
            x0, x1 = max(int(np.floor(fx)), 0), min(int(np.ceil(fx)), w - 1)
            lx = fx - np.floor(fx)
            top = x[:, y0, x0] + (x[:, y0, x1] - x[:, y0, x0]) * lx
            bot = x[:, y1, x0] + (x[:, y1, x1] - x[:, y1, x0]) * lx
            out[:, i, j] = top + (bot - top) * ly
    return out.astype(x.dtype if x.dtype == np.float64 else np.float32)


def _ref_nearest(x, size, align=False, half=False):
    b, h, w, c = x.shape
    oh, ow = size
    sy, sx = _src(oh, h, align, half), _src(ow, w, align, half)

    def pick(i, s, n):
        if align:
            return min(int(np.round(i * s)), n - 1)
        if half:
            return min(int(np.floor((i + 0.5) * s)), n - 1)
        return min(int(np.floor(i * s)), n - 1)

    rows = [pick(i, sy, h) for i in range(oh)]
    cols = [pick(j, sx, w) for j in range(ow)]
    return x[:, rows][:, :, cols]


X = rand(2, 4, 5, 3)
CASES = [
    OpCase(
        "ResizeBilinear",
        lambda x: tf.image.resize_bilinear(x, [7, 3]),
        lambda x: _ref_bilinear(x, (7, 3)),
        [X],
        "up_down",
    ),
    OpCase(
        "ResizeBilinear",
        lambda x: tf.image.resize_bilinear(x, [6, 9], align_corners=True),
        lambda x: _ref_bilinear(x, (6, 9), align=True),
        [X],
        "align_corners",
        second_order=True,
    ),
    OpCase(
        "ResizeBilinear",
        lambda x: tf.image.resize_bilinear(x, [3, 8], half_pixel_centers=True),
        lambda x: _ref_bilinear(x, (3, 8), half=True),
        [X],
        "half_pixel",
    ),
    OpCase(
        "ResizeNearestNeighbor",
        lambda x: tf.image.resize_nearest_neighbor(x, [7, 3]),
        lambda x: _ref_nearest(x, (7, 3)),
        [X],
        "up_down",
        second_order=True,
    ),
    OpCase(
        "ResizeNearestNeighbor",
        lambda x: tf.image.resize_nearest_neighbor(x, [8, 10], align_corners=True),
        lambda x: _ref_nearest(x, (8, 10), align=True),
        [X],
        "align_corners",
    ),
    OpCase(
        "ResizeNearestNeighbor",
        lambda x: tf.image.resize_nearest_neighbor(x, [3, 2], half_pixel_centers=True),
        lambda x: _ref_nearest(x, (3, 2), half=True),
        [X],
        "half_pixel",
    ),
    OpCase(
        "ResizeNearestNeighbor",
        lambda x: tf.image.resize_nearest_neighbor(x, [5, 5]),
        lambda x: _ref_nearest(x, (5, 5)),
        [np.arange(2 * 4 * 5 * 3, dtype=np.int32).reshape(2, 4, 5, 3)],
        "int32",
        grad=False,
    ),
]

EXEMPT = {
    "ResizeBilinearGrad": "ResizeBilinear's gradient: its rows' gradient and second-order checks",
    "ResizeNearestNeighborGrad": "ResizeNearestNeighbor's gradient: its rows' checks",
}
