"""Image codecs without TensorFlow: round trips, channel handling, errors, no Pillow."""

from __future__ import annotations

import importlib.util
import io

import numpy as np
import pytest

import flowzero as tf

PIL = pytest.importorskip("PIL.Image")
RGB = np.random.default_rng(0).integers(0, 256, (7, 9, 3), dtype=np.uint8)


def _run(t):
    with tf.Session() as s:
        return s.run(t)


def _pil_bytes(a, fmt, **kw):
    b = io.BytesIO()
    frames = a if isinstance(a, list) else [a]
    PIL.fromarray(frames[0]).save(
        b, fmt, save_all=len(frames) > 1, append_images=[PIL.fromarray(f) for f in frames[1:]], **kw
    )
    return b.getvalue()


def test_png_roundtrips_every_channel_count_and_depth():
    with tf.Graph().as_default():
        for c in (1, 2, 3, 4):
            for dt in (np.uint8, np.uint16):
                a = (
                    RGB[..., :1].repeat(4, -1)[..., :c].astype(np.uint32)
                    * (np.iinfo(dt).max // 255)
                ).astype(dt)
                png = _run(tf.image.encode_png(a, compression=9))
                got = _run(tf.image.decode_png(png, dtype=tf.as_dtype(dt)))
                np.testing.assert_array_equal(got, a)
        # an 8-bit file read as uint16 is scaled by 257, as TF
        png = _run(tf.image.encode_png(RGB))
        np.testing.assert_array_equal(
            _run(tf.image.decode_png(png, dtype=tf.uint16)), RGB.astype(np.uint16) * 257
        )


def test_decode_image_sniffs_the_format_and_gif_is_4d():
    gif = _pil_bytes([RGB, 255 - RGB], "GIF")
    with tf.Graph().as_default():
        files = {
            "png": _pil_bytes(RGB, "PNG"),
            "bmp": _pil_bytes(RGB, "BMP"),
            "jpg": _pil_bytes(RGB, "JPEG", quality=95),
        }
        for kind, data in files.items():
            got = _run(tf.image.decode_image(data))
            assert got.shape == RGB.shape, kind
            if kind != "jpg":
                np.testing.assert_array_equal(got, RGB)
        frames = _run(tf.image.decode_image(gif))
        assert frames.shape == (2, 7, 9, 3)
        assert _run(tf.image.decode_image(gif, expand_animations=False)).shape == (7, 9, 3)
        assert _run(tf.io.decode_gif(gif)).shape == (2, 7, 9, 3)
        assert _run(tf.image.decode_image(files["png"], channels=1)).shape == (7, 9, 1)
        assert tf.image.decode_image(files["png"], expand_animations=False).shape.ndims == 3


def test_jpeg_quality_and_shape():
    smooth = np.add.outer(np.arange(32), np.arange(32))[..., None].repeat(3, -1).astype(np.uint8)
    with tf.Graph().as_default():
        lo = _run(tf.image.encode_jpeg(smooth, quality=10))
        hi = _run(tf.image.encode_jpeg(smooth, quality=100))
        assert len(lo) < len(hi)
        err = np.abs(_run(tf.image.decode_jpeg(hi)).astype(int) - smooth).max()
        assert err <= 2
        assert _run(tf.image.extract_jpeg_shape(lo)).tolist() == [32, 32, 3]
        assert _run(tf.image.decode_jpeg(hi, ratio=2)).shape == (16, 16, 3)
        assert _run(tf.image.decode_jpeg(hi, channels=1)).shape == (32, 32, 1)
        gray = _run(tf.image.encode_jpeg(smooth[..., :1], format="grayscale"))
        assert _run(tf.image.extract_jpeg_shape(gray)).tolist() == [32, 32, 1]


def test_errors_are_typed_and_name_the_op():
    with tf.Graph().as_default():
        bad = [
            (tf.image.decode_png(b"\x89PNG\r\n\x1a\n..."), "DecodePng.*Invalid PNG data"),
            (tf.image.decode_png(b"GIF89a"), "Invalid PNG data, size 6"),
            (tf.image.decode_jpeg(b"\xff\xd8\xff\x00"), "DecodeJpeg.*Invalid JPEG data"),
            (tf.image.decode_image(b"hello"), "Unknown image file format"),
        ]
        for t, msg in bad:
            with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                _run(t)
    with pytest.raises(ValueError, match="channels must be one of"):
        tf.image.decode_png(b"", channels=5)
    with pytest.raises(ValueError, match=r"EncodePng.*\[1, 2, 3, 4\] channels; got 5"):
        tf.image.encode_png(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(ValueError, match="3-D"):
        tf.image.encode_png(np.zeros((2, 2), np.uint8))
    with pytest.raises(TypeError, match="uint8 or uint16"):
        tf.image.encode_png(np.zeros((2, 2, 1), np.float32))
    with pytest.raises(ValueError, match="quality"):
        tf.image.encode_jpeg(RGB, quality=101)
    with pytest.raises(ValueError, match="contents must be scalar"):
        tf.image.decode_png(["a", "b"])


def test_without_pillow_the_error_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "PIL" else real(n, *a)
    )
    with pytest.raises(ImportError, match=r"pip install flowzero\[image\]"):
        tf.image.decode_png(b"")
