"""Op-table rows for the box ops (flowzero/ops/box_ops.py); references are plain loops."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase


def _iou(a, b):
    ay0, ay1 = sorted(a[0::2])
    ax0, ax1 = sorted(a[1::2])
    by0, by1 = sorted(b[0::2])
    bx0, bx1 = sorted(b[1::2])
    area_a, area_b = (ay1 - ay0) * (ax1 - ax0), (by1 - by0) * (bx1 - bx0)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ay1, by1) - max(ay0, by0), 0) * max(min(ax1, bx1) - max(ax0, bx0), 0)
    return inter / (area_a + area_b - inter)


def _nms(sim, scores, k, thr, score_thr=-np.inf):
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    kept = []
    for i in order:
        if scores[i] > score_thr and len(kept) < k and all(sim(i, j) <= thr for j in kept):
            kept.append(i)
    return np.array(kept, np.int32)


RNG = np.random.default_rng(2)
YX = RNG.uniform(0, 1, (12, 2))
BOXES = np.concatenate([YX, YX + RNG.uniform(0.1, 0.5, (12, 2))], 1).astype(np.float32)
SCORES = RNG.uniform(0, 1, 12).astype(np.float32)
OV = RNG.uniform(0, 1, (12, 12)).astype(np.float32)


def _box_nms(b, s, k=6, thr=0.3, st=-np.inf):
    return _nms(lambda i, j: _iou(b[i], b[j]), s, k, thr, st)


CASES = [
    OpCase(
        "NonMaxSuppressionV3",
        lambda b, s: tf.image.non_max_suppression(b, s, 6, 0.3),
        _box_nms,
        [BOXES, SCORES],
        grad=False,
    ),
    OpCase(
        "NonMaxSuppressionV3",
        lambda b, s: tf.image.non_max_suppression(b, s, 12, 0.5, score_threshold=0.5),
        lambda b, s: _box_nms(b, s, 12, 0.5, 0.5),
        [BOXES.astype(np.float64), SCORES.astype(np.float64)],
        name="score_threshold_f64",
        grad=False,
    ),
    OpCase(
        "NonMaxSuppressionV4",
        lambda b, s: list(tf.image.non_max_suppression_padded(b, s, 8, 0.2, -np.inf, True)),
        lambda b, s: [
            np.pad(_box_nms(b, s, 8, 0.2), (0, 8 - len(_box_nms(b, s, 8, 0.2)))),
            np.int32(len(_box_nms(b, s, 8, 0.2))),
        ],
        [BOXES, SCORES],
        grad=False,
    ),
    OpCase(
        "NonMaxSuppressionV5",
        lambda b, s: list(tf.image.non_max_suppression_with_scores(b, s, 6, 0.3)),
        lambda b, s: [_box_nms(b, s), s[_box_nms(b, s)]],
        [BOXES, SCORES],
        grad=False,
    ),
    OpCase(
        "NonMaxSuppressionWithOverlaps",
        lambda o, s: tf.image.non_max_suppression_overlaps(o, s, 5, 0.4),
        lambda o, s: _nms(lambda i, j: o[i, j], s, 5, 0.4),
        [OV, SCORES],
        grad=False,
    ),
    OpCase(
        "CombinedNonMaxSuppression",
        lambda b, s: list(tf.image.combined_non_max_suppression(b, s, 3, 4, 0.3)),
        lambda b, s: _combined_ref(b, s, 3, 4, 0.3),
        [BOXES[None, :, None, :] / 1.5, np.stack([SCORES, SCORES[::-1]], -1)[None]],
        grad=False,
        unknown_shapes=False,  # the output size comes from max_total_size and the batch
    ),
    OpCase(
        "DrawBoundingBoxesV2",
        lambda im, b: tf.image.draw_bounding_boxes(im, b, colors=[[0.2, 0.4, 0.6, 1.0]]),
        lambda im, b: _draw_ref(im, b, [0.2, 0.4, 0.6]),
        [np.ones((1, 6, 7, 3), np.float32), BOXES[None, :3] - 0.2],
        grad=False,
    ),
]


def _combined_ref(b, s, per, total, thr):
    found = []
    for c in range(s.shape[2]):
        kept = _box_nms(b[0, :, 0], s[0, :, c], per, thr)
        found += [(s[0, k, c], c, k) for k in kept]
    found = sorted(found, key=lambda t: -t[0])[:total]
    boxes = np.zeros((1, total, 4), np.float32)
    sc, cl = np.zeros((1, total), np.float32), np.zeros((1, total), np.float32)
    for j, (v, c, k) in enumerate(found):
        boxes[0, j], sc[0, j], cl[0, j] = np.clip(b[0, k, 0], 0, 1), v, c
    return [boxes, sc, cl, np.array([len(found)], np.int32)]


def _draw_ref(im, boxes, color):
    out = im.copy()
    h, w = im.shape[1:3]
    for y0, x0, y1, x1 in boxes[0]:
        r0, r1 = int(y0 * (h - 1)), int(y1 * (h - 1))
        c0, c1 = int(x0 * (w - 1)), int(x1 * (w - 1))
        for r in range(max(r0, 0), min(r1, h - 1) + 1):
            for c in range(max(c0, 0), min(c1, w - 1) + 1):
                if r in (r0, r1) or c in (c0, c1):
                    out[0, r, c] = color
    return out
