"""Op-table rows for the bicubic and area resizes (tf.image.resize_bicubic / resize_area): the
references are TF's per-pixel rules written as loops."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _keys(t, a=-0.75):
    t = abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a if t < 2 else 0.0


def _taps(o, inp, out, align):
    scale = (inp - 1) / (out - 1) if align and out > 1 else inp / out
    src = np.float32(o) * np.float32(scale)
    base = int(np.floor(src))
    t = np.rint((src - base) * 1024) / 1024  # TF's 1024-entry weight table
    return [(min(max(base + k, 0), inp - 1), _keys(t - k)) for k in (-1, 0, 1, 2)]


def _ref_bicubic(x, size, align=False):
    b, h, w, c = x.shape
    out = np.zeros((b, *size, c))
    for i in range(size[0]):
        for j in range(size[1]):
            for yi, wy in _taps(i, h, size[0], align):
                for xj, wx in _taps(j, w, size[1], align):
                    out[:, i, j] += wy * wx * x[:, yi, xj]
    return out.astype(x.dtype if x.dtype == np.float64 else np.float32)


def _ref_area(x, size):
    b, h, w, c = x.shape
    sy, sx = h / size[0], w / size[1]
    out = np.zeros((b, *size, c))
    for i in range(size[0]):
        for j in range(size[1]):
            for yi in range(h):
                oy = min(yi + 1, (i + 1) * sy) - max(yi, i * sy)
                for xj in range(w):
                    ox = min(xj + 1, (j + 1) * sx) - max(xj, j * sx)
                    if oy > 0 and ox > 0:
                        out[:, i, j] += oy * ox * x[:, yi, xj]
            out[:, i, j] /= sy * sx
    return out.astype(x.dtype if x.dtype == np.float64 else np.float32)


X = rand(2, 5, 6, 2)
CASES = [
    OpCase(
        "ResizeBicubic",
        lambda x: tf.image.resize_bicubic(x, [7, 4]),
        lambda x: _ref_bicubic(x, (7, 4)),
        [X],
        "up_down",
        second_order=True,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "ResizeBicubic",
        lambda x: tf.image.resize_bicubic(x, [3, 9], align_corners=True),
        lambda x: _ref_bicubic(x, (3, 9), True),
        [X],
        "align",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "ResizeArea",
        lambda x: tf.image.resize_area(x, [3, 4]),
        lambda x: _ref_area(x, (3, 4)),
        [X],
        "down",
        grad=False,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "ResizeArea",
        lambda x: tf.image.resize_area(x, [8, 13]),
        lambda x: _ref_area(x, (8, 13)),
        [X.astype(np.float64)],
        "up_f64",
        grad=False,
    ),
]

EXEMPT = {
    "ResizeBicubicGrad": "ResizeBicubic's gradient: its rows' gradient and second-order checks",
}
