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


def _ref_crop(img, boxes, ind, size, method="bilinear", ext=0.0):
    n, h, w, c = img.shape
    ch, cw = size
    out = np.zeros((len(boxes), ch, cw, c), np.float32)
    for b, (y1, x1, y2, x2) in enumerate(boxes.astype(np.float64)):
        for i in range(ch):
            y = (
                y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (ch - 1)
                if ch > 1
                else (y1 + y2) / 2 * (h - 1)
            )
            for j in range(cw):
                x = (
                    x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (cw - 1)
                    if cw > 1
                    else (x1 + x2) / 2 * (w - 1)
                )
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    out[b, i, j] = ext
                elif method == "nearest":
                    out[b, i, j] = img[ind[b], int(np.floor(y + 0.5)), int(np.floor(x + 0.5))]
                else:
                    y0, x0 = int(np.floor(y)), int(np.floor(x))
                    y1_, x1_ = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
                    ly, lx = y - y0, x - x0
                    top = img[ind[b], y0, x0] * (1 - lx) + img[ind[b], y0, x1_] * lx
                    bot = img[ind[b], y1_, x0] * (1 - lx) + img[ind[b], y1_, x1_] * lx
                    out[b, i, j] = top * (1 - ly) + bot * ly
    return out


BOXES = np.array([[0.1, 0.2, 0.8, 0.9], [0.9, 0.7, 0.05, 0.1], [-0.3, 0.2, 1.1, 0.6]], np.float32)
IND = np.array([1, 0, 1], np.int32)
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
        lambda x: _ref_area(x, (8, 13)).astype(np.float32),  # TF: float32 out
        [X.astype(np.float64)],
        "up_f64",
        grad=False,
    ),
]

CASES += [
    OpCase(
        "CropAndResize",
        lambda x, b, i: tf.image.crop_and_resize(x, b, i, [4, 3], extrapolation_value=-2.0),
        lambda x, b, i: _ref_crop(x, b, i, (4, 3), ext=-2.0),
        [X, BOXES, IND],
        "bilinear",
        grad=False,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "CropAndResize",
        lambda x, b, i: tf.image.crop_and_resize(x, b, i, [3, 1], method="nearest"),
        lambda x, b, i: _ref_crop(x, b, i, (3, 1), "nearest"),
        [X, BOXES, IND],
        "nearest",
        grad=False,
    ),
]

EXEMPT = {
    "CropAndResize": "gradient: the float32 result (as TF) is too coarse for central "
    "differences; tests/test_image_crop_and_resize.py checks it is the adjoint, and vs TF",
    "CropAndResizeGradImage": "CropAndResize's gradient: tests/test_image_crop_and_resize.py "
    "(adjoint identities, TF)",
    "ResizeBicubicGrad": "ResizeBicubic's gradient: its rows' gradient and second-order checks",
}
