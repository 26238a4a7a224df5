"""Op-table rows for flowzero/ops/image_extra_ops.py (no gradients): glimpses inside the
image (no noise drawn), a crop pinned to the whole image, and a JPEG round trip of a flat
image (exact; skipped without Pillow)."""

import importlib.util

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

IMG = np.arange(2 * 7 * 9 * 2, dtype=np.float32).reshape(2, 7, 9, 2)


def _glimpse_ref(img, offsets, gh, gw):
    out = []
    for i, (y, x) in enumerate(offsets):
        top, left = int(y - gh / 2.0), int(x - gw / 2.0)
        out.append(img[i, top : top + gh, left : left + gw])
    return np.array(out)


CASES = [
    OpCase(
        "ExtractGlimpse",
        lambda x, o: tf.image.extract_glimpse(x, [3, 4], o, centered=False, normalized=False),
        lambda x, o: _glimpse_ref(x, o, 3, 4),
        [IMG, np.array([[2.0, 3.5], [5.4, 6.1]], np.float32)],
        grad=False,
    ),
    OpCase(
        "SampleDistortedBoundingBoxV2",
        # an area range of exactly the image and its own aspect ratio: the whole image
        lambda b: list(
            tf.image.sample_distorted_bounding_box(
                [6, 9, 3], b, seed=1, aspect_ratio_range=[1.5, 1.5], area_range=[1.0, 1.0]
            )
        ),
        lambda b: [
            np.array([0, 0, 0], np.int32),
            np.array([6, 9, -1], np.int32),
            np.array([[[0.0, 0.0, 1.0, 1.0]]], np.float32),
        ],
        [np.array([[[0.2, 0.1, 0.6, 0.7]]], np.float32)],
        grad=False,
    ),
]

if importlib.util.find_spec("PIL") is not None:
    CASES.append(
        OpCase(
            "EncodeJpegVariableQuality",
            lambda x: tf.image.adjust_jpeg_quality(x, 90),
            lambda x: x,
            [np.full((16, 16, 3), 128, np.uint8)],
            grad=False,
        )
    )
else:
    EXEMPT = {"EncodeJpegVariableQuality": "needs Pillow; tests/test_image_extra.py"}
