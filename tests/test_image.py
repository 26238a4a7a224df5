"""tf.image: every function against TensorFlow's tf.compat.v1.image on the same arrays
(skipped without TensorFlow), the random augmentations' ranges, gradients, and errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf

HAVE_TF = importlib.util.find_spec("tensorflow") is not None
R = np.random.default_rng(0)
F32 = R.uniform(0, 1, size=(2, 6, 5, 3)).astype(np.float32)
U8 = R.integers(0, 256, size=(6, 5, 3)).astype(np.uint8)
GRAY = R.uniform(0, 1, size=(6, 5, 1)).astype(np.float32)

# (name, function of (the image module, a constant maker)): the same call on both frameworks.
PROGRAMS = [
    ("resize_bilinear", lambda im, c: im.resize_images(F32, [9, 4]), None),
    ("resize_nearest", lambda im, c: im.resize_images(U8, [3, 7], method=1), None),
    ("resize_align", lambda im, c: im.resize_images(F32, [4, 8], align_corners=True), None),
    ("resize_uint8_bilinear", lambda im, c: im.resize_images(U8, [4, 4]), None),
    (
        "resize_aspect",
        lambda im, c: im.resize_images(F32, [12, 12], preserve_aspect_ratio=True),
        None,
    ),
    ("crop_or_pad_crop", lambda im, c: im.resize_image_with_crop_or_pad(U8, 4, 3), None),
    ("crop_or_pad_pad", lambda im, c: im.resize_image_with_crop_or_pad(F32, 9, 8), None),
    ("crop_or_pad_mixed", lambda im, c: im.resize_image_with_crop_or_pad(F32, 3, 9), None),
    ("crop_box", lambda im, c: im.crop_to_bounding_box(F32, 1, 2, 3, 2), None),
    ("pad_box", lambda im, c: im.pad_to_bounding_box(U8, 2, 1, 9, 7), None),
    ("central_crop", lambda im, c: im.central_crop(F32, 0.5), None),
    ("flip_lr", lambda im, c: im.flip_left_right(U8), None),
    ("flip_ud", lambda im, c: im.flip_up_down(F32), None),
    ("transpose", lambda im, c: im.transpose_image(F32), None),
    ("rot90_1", lambda im, c: im.rot90(U8, 1), None),
    ("rot90_2", lambda im, c: im.rot90(F32, 2), None),
    ("rot90_3", lambda im, c: im.rot90(U8, 3), None),
    ("to_float", lambda im, c: im.convert_image_dtype(U8, "float32"), None),
    ("to_uint8", lambda im, c: im.convert_image_dtype(F32, "uint8"), None),
    ("to_uint8_saturate", lambda im, c: im.convert_image_dtype(F32 * 2 - 0.5, "uint8", True), None),
    ("u8_to_int32", lambda im, c: im.convert_image_dtype(U8, "int32"), None),
    ("gray_f32", lambda im, c: im.rgb_to_grayscale(F32), None),
    ("gray_u8", lambda im, c: im.rgb_to_grayscale(U8), None),
    ("gray_to_rgb", lambda im, c: im.grayscale_to_rgb(c(GRAY)), None),
    ("brightness_f32", lambda im, c: im.adjust_brightness(F32, 0.2), None),
    ("brightness_u8", lambda im, c: im.adjust_brightness(U8, -0.3), None),
    ("contrast_f32", lambda im, c: im.adjust_contrast(F32, 1.7), None),
    ("contrast_u8", lambda im, c: im.adjust_contrast(U8, 0.4), None),
    ("gamma", lambda im, c: im.adjust_gamma(F32, 2.2, 0.9), None),
    ("standardize_u8", lambda im, c: im.per_image_standardization(U8), None),
    ("standardize_batch", lambda im, c: im.per_image_standardization(F32), None),
    ("total_variation", lambda im, c: im.total_variation(c(F32)), None),
    ("total_variation_3d", lambda im, c: im.total_variation(c(U8.astype(np.float32))), None),
]


@pytest.mark.skipif(not HAVE_TF, reason="tensorflow is not installed")
@pytest.mark.parametrize("name, program, _", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_matches_tensorflow(name, program, _):
    import tensorflow as real_tf

    want = program(real_tf.compat.v1.image, real_tf.constant)
    want = want.numpy() if hasattr(want, "numpy") else want
    with tf.Session() as sess:
        got = sess.run(program(tf.image, tf.constant))
    assert got.dtype == want.dtype, name
    assert got.shape == want.shape, name
    if got.dtype.kind in "iu":
        assert np.abs(got.astype(np.int64) - want.astype(np.int64)).max() <= 1, name
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6, err_msg=name)


@pytest.mark.skipif(not HAVE_TF, reason="tensorflow is not installed")
def test_image_gradients_match_tensorflow():
    import tensorflow as real_tf

    want = real_tf.image.image_gradients(real_tf.constant(F32))
    with tf.Session() as sess:
        got = sess.run(tf.image.image_gradients(F32))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-6)


def test_namespace_and_root_aliases():
    assert tf.image.random_crop is tf.random_crop
    assert tf.image.ResizeMethod.NEAREST_NEIGHBOR == 1
    import flowzero.compat.v1 as v1

    assert v1.image.resize_images is tf.image.resize_images


def test_random_flips_take_both_ways_per_image():
    x = tf.constant(np.arange(2 * 3 * 4 * 1, dtype=np.float32).reshape(2, 3, 4, 1))
    single = tf.image.random_flip_left_right(x[0])
    batch = tf.image.random_flip_up_down(x)
    seen_single, seen_batch = set(), set()
    with tf.Session() as sess:
        for _ in range(40):
            s, b = sess.run([single, batch])
            xv = sess.run(x)
            seen_single.add(
                "flip"
                if np.array_equal(s, xv[0, :, ::-1])
                else "same"
                if np.array_equal(s, xv[0])
                else "bad"
            )
            for k in range(2):
                seen_batch.add(
                    (
                        k,
                        "flip"
                        if np.array_equal(b[k], xv[k, ::-1])
                        else "same"
                        if np.array_equal(b[k], xv[k])
                        else "bad",
                    )
                )
    assert seen_single == {"flip", "same"}
    assert {v for _, v in seen_batch} == {"flip", "same"} and len(seen_batch) == 4


def test_random_crop_brightness_and_contrast_stay_in_range():
    img = tf.constant(U8.astype(np.float32) / 255.0)
    crop = tf.random_crop(img, [4, 3, 3], seed=1)
    bright = tf.image.random_brightness(img, 0.25)
    contrast = tf.image.random_contrast(img, 0.5, 1.5)
    base = U8.astype(np.float32) / 255.0
    offsets = set()
    with tf.Session() as sess:
        for _ in range(30):
            c, b, k = sess.run([crop, bright, contrast])
            hits = [
                (i, j)
                for i in range(3)
                for j in range(3)
                if np.array_equal(c, base[i : i + 4, j : j + 3])
            ]
            assert hits
            offsets.update(hits)
            delta = b - base
            assert np.allclose(delta, delta.flat[0], atol=1e-6) and abs(delta.flat[0]) <= 0.25
            mean = base.mean(axis=(0, 1))
            factor = (k - mean) / np.where(base - mean == 0, 1, base - mean)
            assert 0.5 - 1e-4 <= np.median(factor) <= 1.5 + 1e-4
    assert len(offsets) > 3


def test_resize_gradient_flows_to_the_image():
    from flowzero.testing.gradient_check import assert_gradients_close

    x = R.normal(size=(1, 3, 4, 2))
    assert_gradients_close(lambda t: tf.image.resize_images(t, [5, 2]), [x], [0])
    assert_gradients_close(lambda t: tf.image.per_image_standardization(t), [x[0]], [0])


def test_errors_name_the_function_and_shapes():
    with pytest.raises(ValueError, match="resize_images: 'image' must be 3-D .* got shape"):
        tf.image.resize_images(tf.ones([4, 4]), [2, 2])
    with pytest.raises(ValueError, match="ResizeMethod"):
        tf.image.resize_images(tf.ones([4, 4, 1]), [2, 2], method=7)
    with pytest.raises(ValueError, match="does not fit in the 6x5 image"):
        tf.image.crop_to_bounding_box(F32[0], 4, 0, 3, 3)
    with pytest.raises(ValueError, match=r"central_fraction must be within \(0, 1\]"):
        tf.image.central_crop(F32, 0.0)
    with pytest.raises(ValueError, match="random_crop: need 0 <= size"):
        tf.random_crop(tf.ones([4, 4]), [5, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="size must be 2 positive ints"):
        with tf.Session() as sess:
            size = tf.placeholder(tf.int32, [2])
            sess.run(tf.image.resize_bilinear(tf.ones([1, 2, 2, 1]), size), {size: [0, 3]})
