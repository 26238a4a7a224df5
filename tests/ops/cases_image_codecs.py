"""Op-table rows for the image codecs (flowzero/ops/image_codec_ops.py); none has a gradient.
Files are made by Pillow (the reference decoder) or by hand; skipped without Pillow."""

import importlib.util
import io

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

RGB = np.random.default_rng(3).integers(0, 256, (6, 5, 3), dtype=np.uint8)
GRAY16 = np.random.default_rng(4).integers(0, 65536, (4, 3, 1), dtype=np.uint16)


def _file(fmt, a, **kw):
    from PIL import Image

    b = io.BytesIO()
    Image.fromarray(a).save(b, fmt, **kw)
    return np.array(b.getvalue(), object)


def _pil(data, mode=None):
    from PIL import Image

    im = Image.open(io.BytesIO(data[()]))
    a = np.asarray(im.convert(mode) if mode else im)
    return a[..., None] if a.ndim == 2 else a


if importlib.util.find_spec("PIL") is None:
    CASES: list = []
    EXEMPT = {
        op: "needs Pillow; tests/io/test_image_codecs.py"
        for op in (
            "DecodePng DecodeJpeg DecodeBmp DecodeGif DecodeImage EncodePng EncodeJpeg "
            "ExtractJpegShape IsJpeg"
        ).split()
    }
else:
    JPG = _file("JPEG", RGB, quality=92)
    CASES = [
        OpCase(
            "DecodePng",
            lambda s: tf.image.decode_png(s),
            lambda s: RGB,
            [_file("PNG", RGB)],
            grad=False,
        ),
        OpCase(
            "DecodePng",
            lambda s: tf.image.decode_png(s, channels=4),
            lambda s: np.concatenate([RGB, np.full((6, 5, 1), 255, np.uint8)], -1),
            [_file("PNG", RGB)],
            name="add_alpha",
            grad=False,
        ),
        OpCase(
            "DecodeJpeg",
            lambda s: tf.image.decode_jpeg(s, dct_method="INTEGER_ACCURATE"),
            lambda s: _pil(s),
            [JPG],
            grad=False,
        ),
        OpCase(
            "DecodeBmp",
            lambda s: tf.image.decode_bmp(s),
            lambda s: RGB,
            [_file("BMP", RGB)],
            grad=False,
        ),
        OpCase(
            "DecodeGif",
            lambda s: tf.image.decode_gif(s),
            lambda s: _pil(s, "RGB")[None],
            [_file("GIF", RGB)],
            grad=False,
        ),
        OpCase(
            "DecodeImage",
            lambda s: tf.image.decode_image(s, dtype=tf.float32),
            lambda s: RGB.astype(np.float32) / 255,
            [_file("PNG", RGB)],
            grad=False,
            rtol=1e-6,
            atol=1e-7,
        ),
        OpCase(
            "EncodePng",
            lambda x: tf.image.decode_png(tf.image.encode_png(x), dtype=tf.uint16),
            lambda x: x,
            [GRAY16],
            grad=False,
            name="uint16_roundtrip",
        ),
        OpCase(
            "EncodeJpeg",
            lambda x: tf.image.extract_jpeg_shape(tf.image.encode_jpeg(x)),
            lambda x: np.array(x.shape, np.int32),
            [RGB],
            grad=False,
            name="shape",
        ),
        OpCase(
            "ExtractJpegShape",
            lambda s: tf.image.extract_jpeg_shape(s, tf.int64),
            lambda s: np.array([6, 5, 3], np.int64),
            [JPG],
            grad=False,
        ),
        OpCase(
            "IsJpeg",
            lambda s: tf.io.is_jpeg(s),
            lambda s: np.array([True, False]),
            [np.array([JPG[()], b"\x89PNG"], object)],
            grad=False,
        ),
    ]
