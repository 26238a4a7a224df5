"""tf.image's sample_distorted_bounding_box, extract_glimpse and JPEG quality round trips."""

import numpy as np
import pytest

import flowzero as tf


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_sample_distorted_bounding_box_respects_its_constraints():
    box = np.array([[[0.1, 0.2, 0.5, 0.6]]], np.float32)
    with tf.Graph().as_default():
        out = tf.image.sample_distorted_bounding_box(
            [100, 200, 3], box, seed=3, min_object_covered=0.5, area_range=[0.1, 0.8]
        )
        assert [t.shape.as_list() for t in out] == [[3], [3], [1, 1, 4]]
        with tf.Session() as sess:
            draws = [sess.run(out) for _ in range(40)]
    y0, x0, y1, x1 = 10, 40, 50, 120  # the box in pixels
    for begin, size, frac in draws:
        y, x, _ = begin
        h, w, c = size
        assert c == -1 and 0 <= y and y + h <= 100 and 0 <= x and x + w <= 200
        assert 0.1 * 100 * 200 <= h * w <= 0.8 * 100 * 200
        assert 0.74 <= w / h <= 1.34 + 1.0 / h  # width rounded to whole pixels
        inter = max(min(y1, y + h) - max(y0, y), 0) * max(min(x1, x + w) - max(x0, x), 0)
        assert inter >= 0.5 * (y1 - y0) * (x1 - x0)
        np.testing.assert_allclose(frac[0, 0], [y / 100, x / 200, (y + h) / 100, (x + w) / 200])
    assert len({tuple(d[0]) for d in draws}) > 5  # it is random
    with tf.Graph().as_default():  # the same seeds give the same crops
        tf.set_random_seed(1)
        again = [_run(tf.image.sample_distorted_bounding_box([50, 50, 1], box, seed=3)[0])]
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        again.append(_run(tf.image.sample_distorted_bounding_box([50, 50, 1], box, seed=3)[0]))
    np.testing.assert_array_equal(again[0], again[1])


def test_sample_distorted_bounding_box_fallbacks_and_errors():
    with tf.Graph().as_default():
        # no crop of at most 1 % of the image covers 90 % of a box that big: the whole image
        begin, size, _ = _run(
            tf.image.sample_distorted_bounding_box(
                [20, 20, 3],
                [[[0.0, 0.0, 1.0, 1.0]]],
                min_object_covered=0.9,
                area_range=[0.005, 0.01],
                max_attempts=5,
            )
        )
        np.testing.assert_array_equal(begin, [0, 0, 0])
        np.testing.assert_array_equal(size, [20, 20, -1])
        empty = np.zeros((1, 0, 4), np.float32)
        with pytest.raises(tf.errors.InvalidArgumentError, match="No bounding boxes"):
            _run(tf.image.sample_distorted_bounding_box([20, 20, 3], empty))
        _, size, _ = tf.image.sample_distorted_bounding_box(
            [20, 20, 3], empty, use_image_if_no_bounding_boxes=True, min_object_covered=0.0
        )
        assert _run(size)[0] <= 20
        with pytest.raises(tf.errors.InvalidArgumentError, match="within \\[0, 1\\]"):
            _run(tf.image.sample_distorted_bounding_box([20, 20, 3], [[[0.5, 0.0, 0.2, 1.0]]]))
        with pytest.raises(ValueError, match="aspect_ratio_range"):
            tf.image.sample_distorted_bounding_box([9, 9, 1], empty, aspect_ratio_range=[2, 1])


def test_extract_glimpse_windows_and_noise():
    img = np.arange(2 * 6 * 8, dtype=np.float32).reshape(2, 6, 8, 1)
    with tf.Graph().as_default():
        g = tf.image.extract_glimpse(img, [2, 4], [[0.0, 0.0], [-1.0, -1.0]])
        got = _run(g)
        corner = _run(
            tf.image.extract_glimpse(
                img, [2, 2], [[0.0, 0.0]] * 2, centered=False, normalized=False, uniform_noise=True
            )
        )
    np.testing.assert_array_equal(got[0, ..., 0], img[0, 2:4, 2:6, 0])  # the centre
    # offset (-1, -1) centres the window on the top left corner: 3 of 4 quadrants are noise
    np.testing.assert_array_equal(got[1, 1:, 2:, 0], img[1, :1, :2, 0])
    noise = got[1, :1, :, 0]
    assert noise.min() >= img[1].min() and noise.max() <= img[1].max()
    np.testing.assert_array_equal(corner[0, 1:, 1:, 0], img[0, :1, :1, 0])


def test_jpeg_quality():
    pytest.importorskip("PIL")
    yy, xx = np.mgrid[0:16, 0:16]
    img = np.stack([yy / 15.0, xx / 15.0, (yy + xx) / 30.0], -1).astype(np.float32)
    with tf.Graph().as_default():
        hi, lo = _run([tf.image.adjust_jpeg_quality(img, 95), tf.image.adjust_jpeg_quality(img, 5)])
        r = tf.image.random_jpeg_quality(img, 40, 60, seed=2)
        assert r.dtype == tf.float32 and _run(r).shape == img.shape
        q = tf.placeholder(tf.int32, [])
        with pytest.raises(tf.errors.InvalidArgumentError, match="quality must be in"):
            _run(tf.image.adjust_jpeg_quality(img, q), {q: 101})
    assert np.abs(hi - img).mean() < np.abs(lo - img).mean() < 0.1
    with pytest.raises(ValueError, match="min_jpeg_quality must be <"):
        tf.image.random_jpeg_quality(img, 60, 40)


def test_glimpse_and_jpeg_match_tensorflow():
    tft = pytest.importorskip("tensorflow")
    try:
        import PIL  # noqa: F401

        jpeg = True
    except ImportError:  # the TF venv may lack Pillow: check the glimpses alone
        jpeg = False
    v1 = tft.compat.v1
    v1.disable_eager_execution()
    rng = np.random.default_rng(8)
    img = rng.uniform(0, 1, (3, 9, 11, 2)).astype(np.float32)
    offsets = np.array([[0.1, -0.2], [-0.3, 0.3], [0.0, 0.05]], np.float32)
    inside = np.array([[2.0, 3.0], [4.4, 5.6], [3.0, 2.0]], np.float32)  # no noise
    yy, xx = np.mgrid[0:24, 0:24]
    smooth = np.stack([np.sin(yy / 5.0), np.cos(xx / 7.0), yy * xx / 600.0], -1) * 0.4 + 0.5

    def build(m):
        c = m.constant
        return [
            m.image.extract_glimpse(c(img), [4, 5], c(offsets)),
            m.image.extract_glimpse(c(img), [3, 3], c(inside), False, False),
            m.image.extract_glimpse(c(img), [3, 4], c(np.abs(offsets) + 0.2), False, True),
        ] + ([m.image.adjust_jpeg_quality(c(smooth.astype(np.float32)), 70)] if jpeg else [])

    with v1.Graph().as_default(), v1.Session() as sess:
        want = sess.run(build(v1))
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(build(tf))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[2], want[2])
    if jpeg:
        assert np.abs(got[3] - want[3]).mean() < 2.0 / 255  # JPEG codecs differ in rounding
