"""tf.image's box functions (NMS family, combined NMS, draw_bounding_boxes), patches and
sobel_edges: behaviour, error paths and TF parity."""

import numpy as np
import pytest

import flowzero as tf

B = np.array([[0, 0, 2, 1], [0, 0, 1, 1], [0, 0, 1, 1], [3, 3, 4, 5], [1, 1, 0, 0]], np.float32)
S = np.array([0.9, 0.8, 0.8, 0.7, 0.6], np.float32)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_nms_keeps_iou_at_the_threshold_and_breaks_ties_by_index():
    with tf.Graph().as_default():
        # IoU(box 0, box 1) is exactly 0.5: kept; box 2 equals box 1: dropped; box 4 is box 1
        # with its corners swapped
        got = _run(tf.image.non_max_suppression(B, S, 10, iou_threshold=0.5))
        np.testing.assert_array_equal(got, [0, 1, 3])
        got = _run(tf.image.non_max_suppression(B, S, 2, iou_threshold=0.4))
        np.testing.assert_array_equal(got, [0, 3])
        got = _run(tf.image.non_max_suppression(B, S, 10, 0.5, score_threshold=0.8))
        np.testing.assert_array_equal(got, [0])


def test_nms_padded_soft_and_overlaps():
    with tf.Graph().as_default():
        idx, valid = tf.image.non_max_suppression_padded(B, S, 5, pad_to_max_output_size=True)
        assert idx.shape.as_list() == [5]
        idx, valid = _run([idx, valid])
        np.testing.assert_array_equal(idx, [0, 1, 3, 0, 0])
        assert valid == 3
        i, s = _run(
            tf.image.non_max_suppression_with_scores(B[:3], S[:3], 3, 1.0, soft_nms_sigma=0.5)
        )
        np.testing.assert_array_equal(i, [0, 1, 2])
        w = np.exp(-0.25)
        np.testing.assert_allclose(s, [0.9, 0.8 * w, 0.8 * w * np.exp(-1.0)], rtol=1e-6)
        ov = np.array([[1.0, 0.7, 0.1], [0.7, 1.0, 0.2], [0.1, 0.2, 1.0]], np.float32)
        got = _run(tf.image.non_max_suppression_overlaps(ov, [0.5, 0.9, 0.4], 3, 0.6))
        np.testing.assert_array_equal(got, [1, 2])


def test_nms_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"NonMaxSuppressionV3.*\[num_boxes, 4\]"):
            tf.image.non_max_suppression(np.ones((3, 3), np.float32), np.ones(3, np.float32), 2)
        with pytest.raises(ValueError, match="NonMaxSuppressionV3.*same number of boxes"):
            tf.image.non_max_suppression(np.ones((3, 4), np.float32), np.ones(2, np.float32), 2)
        with pytest.raises(tf.errors.InvalidArgumentError, match="iou_threshold must be in"):
            _run(tf.image.non_max_suppression(B, S, 2, iou_threshold=1.5))


def test_combined_nms():
    boxes = np.stack([B, B[::-1]])[:, :, None, :] / 5.0  # [2, 5, 1, 4], q = 1
    scores = np.stack([np.stack([S, S[::-1]], -1), np.stack([S[::-1], S], -1)]).astype(np.float32)
    with tf.Graph().as_default():
        out = tf.image.combined_non_max_suppression(boxes, scores, 2, 3, iou_threshold=0.5)
        assert [t.shape.as_list() for t in out] == [[2, 3, 4], [2, 3], [2, 3], [2]]
        nb, ns, nc, nv = _run(list(out))
    np.testing.assert_allclose(ns[0], [0.9, 0.9, 0.8])
    np.testing.assert_array_equal(nc[0], [0, 1, 0])
    np.testing.assert_allclose(nb[0, 0], B[0] / 5.0)
    np.testing.assert_array_equal(nv, [3, 3])


def test_draw_bounding_boxes_outlines_in_order():
    img = np.zeros((1, 5, 6, 3), np.float32)
    boxes = np.array([[[0.1, 0.2, 0.8, 0.9], [-0.3, 0.0, 0.5, 0.5], [0.9, 0.1, 0.2, 0.3]]])
    with tf.Graph().as_default():
        out = _run(tf.image.draw_bounding_boxes(img, boxes))[0]
    # box 0 (yellow): rows 0..3, cols 1..4; box 1 (blue) over it: rows -1..2 (top edge
    # outside), cols 0..2; box 2 is inverted: not drawn
    want0 = np.array(
        [
            [0, 1, 0, 1, 1, 0],
            [0, 1, 0, 0, 1, 0],
            [0, 0, 0, 0, 1, 0],
            [0, 1, 1, 1, 1, 0],
            [0, 0, 0, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(out[..., 0], want0)
    assert out[2, 0, 2] == 1.0 and out[0, 2, 2] == 1.0  # blue


def test_sobel_edges_and_patches():
    img = np.arange(2 * 5 * 6 * 2, dtype=np.float64).reshape(2, 5, 6, 2) ** 1.5
    pad = np.pad(img, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float64)
    want = np.zeros(img.shape + (2,))
    for r in range(3):
        for c in range(3):
            win = pad[:, r : r + 5, c : c + 6, :]
            want[..., 0] += ky[r, c] * win
            want[..., 1] += ky.T[r, c] * win
    with tf.Graph().as_default():
        x = tf.constant(img)
        edges = tf.image.sobel_edges(x)
        got, g = _run([edges, tf.gradients(tf.reduce_sum(edges * edges), x)[0]])
        p = _run(tf.image.extract_patches(img, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    assert g.shape == img.shape
    assert tf.image.extract_image_patches is tf.extract_image_patches
    np.testing.assert_array_equal(p[0, 0, 0], img[0, :2, :2, :].reshape(-1))


def test_boxes_match_tensorflow():
    tft = pytest.importorskip("tensorflow")
    v1 = tft.compat.v1
    v1.disable_eager_execution()
    rng = np.random.default_rng(7)
    yx = rng.uniform(0, 1, (40, 2))
    boxes = np.concatenate([yx, yx + rng.uniform(0.05, 0.4, (40, 2))], 1).astype(np.float32)
    scores = rng.uniform(0, 1, 40).astype(np.float32)
    images = rng.uniform(0, 1, (2, 9, 11, 3)).astype(np.float32)
    dboxes = rng.uniform(-0.2, 1.2, (2, 6, 4)).astype(np.float32)
    cb = rng.uniform(0, 1, (2, 30, 1, 2)).astype(np.float32)
    cb = np.concatenate([cb, cb + 0.3], -1)
    cs = rng.uniform(0, 1, (2, 30, 3)).astype(np.float32)

    def build(m):
        img, c = m.image, m.constant
        b, s = c(boxes), c(scores)
        return [
            img.non_max_suppression(b, s, 15, 0.3),
            img.non_max_suppression(b, s, 40, 0.6, score_threshold=0.4),
            *img.non_max_suppression_with_scores(b, s, 15, 0.5, 0.1, soft_nms_sigma=0.3),
            img.draw_bounding_boxes(c(images), c(dboxes)),
            img.sobel_edges(c(images)),
            *img.combined_non_max_suppression(c(cb), c(cs), 4, 8, 0.4, 0.2),
        ]

    with v1.Graph().as_default(), v1.Session() as sess:
        want = sess.run(build(v1))
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(build(tf))
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=str(k))
