"""Image codecs against TensorFlow (skipped where it is not installed): each side decodes the
other's files to the same pixels."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
pytest.importorskip("PIL")
v1 = tf_real.compat.v1

import flowzero as tf  # noqa: E402

RNG = np.random.default_rng(1)
RGB = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)
SMOOTH = (np.add.outer(np.arange(16), np.arange(20))[..., None] * [3, 5, 7] % 256).astype(np.uint8)
NOISY = RNG.integers(0, 256, (40, 56, 3), dtype=np.uint8)
RGBA16 = RNG.integers(0, 65536, (5, 6, 4), dtype=np.uint16)


def _tf(build):
    g = v1.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        return s.run(build())


def _fz(build):
    with tf.Graph().as_default(), tf.Session() as s:
        return s.run(build())


@pytest.mark.parametrize("image", [RGB, RGBA16, RGB[..., :1], RGBA16[..., :2]])
def test_png_both_ways(image):
    theirs = _tf(lambda: v1.image.encode_png(image))
    ours = _fz(lambda: tf.image.encode_png(image))
    dt = image.dtype
    np.testing.assert_array_equal(_fz(lambda: tf.image.decode_png(theirs, dtype=dt)), image)
    np.testing.assert_array_equal(_tf(lambda: v1.image.decode_png(ours, dtype=dt)), image)


@pytest.mark.parametrize("channels", [0, 1, 3, 4])
def test_png_channel_conversions_match_tf(channels):
    data = _tf(lambda: v1.image.encode_png(RGB))
    gray = _tf(lambda: v1.image.encode_png(RGB[..., :1]))
    for d in (data, gray):
        want = _tf(lambda d=d: v1.image.decode_png(d, channels=channels))
        got = _fz(lambda d=d: tf.image.decode_png(d, channels=channels))
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("channels", [0, 1, 3])
@pytest.mark.parametrize("ratio", [1, 2, 4])
def test_jpeg_decode_matches_tf(channels, ratio):
    data = _tf(lambda: v1.image.encode_jpeg(NOISY, quality=90))
    exact = "INTEGER_ACCURATE"
    want = _tf(lambda: v1.image.decode_jpeg(data, channels=channels, ratio=ratio, dct_method=exact))
    got = _fz(lambda: tf.image.decode_jpeg(data, channels=channels, ratio=ratio, dct_method=exact))
    np.testing.assert_array_equal(got, want)
    want = _tf(lambda: v1.image.decode_jpeg(data, channels=channels, ratio=ratio))
    got = _fz(lambda: tf.image.decode_jpeg(data, channels=channels, ratio=ratio))
    assert got.shape == want.shape
    if channels == 1 or ratio > 1:  # TF's default (fast) DCT: exact here
        np.testing.assert_array_equal(got, want)
    else:  # the accurate DCT: close to TF's default
        assert np.abs(got.astype(int) - want).mean() < 2


def test_jpeg_encode_is_read_by_tf_and_shapes_match():
    ours = _fz(lambda: tf.image.encode_jpeg(SMOOTH, quality=95))
    back = _tf(lambda: v1.image.decode_jpeg(ours))
    assert back.shape == SMOOTH.shape
    assert np.abs(back.astype(int) - SMOOTH).mean() < 3
    want = _tf(lambda: [v1.image.extract_jpeg_shape(ours), v1.io.is_jpeg(ours)])
    got = _fz(lambda: [tf.image.extract_jpeg_shape(ours), tf.io.is_jpeg(ours)])
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == want[1]


def test_decode_image_matches_tf():
    png = _tf(lambda: v1.image.encode_png(RGB))
    jpg = _tf(lambda: v1.image.encode_jpeg(SMOOTH))
    for data in (png, jpg):
        for dt in (v1.uint8, v1.float32):
            want = _tf(lambda data=data, dt=dt: v1.image.decode_image(data, dtype=dt))
            got = _fz(lambda data=data, dt=dt: tf.image.decode_image(data, dtype=dt.name))
            if data is png:
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
            else:  # full-size color JPEG: the accurate DCT vs TF's fast one
                assert np.abs(got.astype(float) - want).mean() < 2.0 / (
                    255 if dt == v1.float32 else 1
                )
