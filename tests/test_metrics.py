"""tf.metrics: streaming values over batches against NumPy over the concatenated data, TF's
variable names, collections and the value before any data; TensorFlow where installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as tf

BATCHES = [
    (np.array([1, 0, 1, 1]), np.array([1, 1, 0, 1]), np.array([1.0, 2.0, 1.0, 1.0])),
    (np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([0.5, 1.0, 3.0])),
]


def _stream(mod, weighted):
    g = mod.Graph()
    with g.as_default():
        y = mod.placeholder(mod.int64, [None])
        p = mod.placeholder(mod.int64, [None])
        w = mod.placeholder(mod.float32, [None])
        ww = w if weighted else None
        yf, pf = mod.cast(y, mod.float32), mod.cast(p, mod.float32)
        metrics = [
            mod.metrics.accuracy(y, p, weights=ww),
            mod.metrics.precision(y, p, ww),
            mod.metrics.recall(y, p, ww),
            mod.metrics.mean(yf, ww),
            mod.metrics.mean_squared_error(yf, pf, ww),
            mod.metrics.mean_absolute_error(yf, pf, ww),
            mod.metrics.root_mean_squared_error(yf, pf, ww),
        ]
        names = sorted(v.op.name for v in mod.local_variables())
        with mod.Session(graph=g) as sess:
            sess.run(mod.local_variables_initializer())
            before = sess.run([m[0] for m in metrics])
            for yb, pb, wb in BATCHES:
                sess.run([m[1] for m in metrics], {y: yb, p: pb, w: wb})
            after = sess.run([m[0] for m in metrics])
    return names, before, after


def _numpy(weighted):
    y = np.concatenate([b[0] for b in BATCHES]).astype(float)
    p = np.concatenate([b[1] for b in BATCHES]).astype(float)
    w = np.concatenate([b[2] for b in BATCHES]) if weighted else np.ones_like(y)
    tp = (w * (y == 1) * (p == 1)).sum()
    fp = (w * (y == 0) * (p == 1)).sum()
    fn = (w * (y == 1) * (p == 0)).sum()
    mse = (w * (y - p) ** 2).sum() / w.sum()
    return [
        (w * (y == p)).sum() / w.sum(),
        tp / (tp + fp),
        tp / (tp + fn),
        (w * y).sum() / w.sum(),
        mse,
        (w * abs(y - p)).sum() / w.sum(),
        np.sqrt(mse),
    ]


@pytest.mark.parametrize("weighted", [False, True])
def test_streaming_values_equal_the_whole_data_s(weighted):
    names, before, after = _stream(tf, weighted)
    assert before == [0.0] * 7
    np.testing.assert_allclose(after, _numpy(weighted), rtol=1e-6)
    assert "accuracy/total" in names and "precision/true_positives/count" in names


def test_collections_and_shape_errors():
    y = tf.placeholder(tf.int64, [4])
    value, update = tf.metrics.accuracy(
        y, y, metrics_collections=["m"], updates_collections=[tf.GraphKeys.UPDATE_OPS]
    )
    assert tf.get_collection("m") == [value] and update in tf.get_collection(
        tf.GraphKeys.UPDATE_OPS
    )
    assert all(v in tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) for v in tf.local_variables())
    assert not tf.trainable_variables()
    with pytest.raises(ValueError, match=r"accuracy.*same shape.*\(4,\).*\(3,\)"):
        tf.metrics.accuracy(y, tf.placeholder(tf.int64, [3]))


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_tensorflow(weighted):
    import tensorflow as real_tf

    names, before, after = _stream(tf, weighted)
    tf_names, tf_before, tf_after = _stream(real_tf.compat.v1, weighted)
    assert names == tf_names
    np.testing.assert_allclose(before, tf_before)
    np.testing.assert_allclose(after, tf_after, rtol=1e-6)


# -- auc, the at-thresholds metrics, mean_iou -----------------------------------------------------
SCORES = [
    (
        np.array([1, 0, 1, 1, 0, 0]),
        np.array([0.9, 0.4, 0.35, 0.8, 0.1, 0.7]),
        np.array([1.0, 2.0, 1.0, 0.5, 1.0, 1.0]),
    ),
    (np.array([0, 1, 1, 0]), np.array([0.2, 0.65, 0.5, 0.55]), np.array([1.0, 1.0, 3.0, 1.0])),
]
THRESHOLDS = [0.0, 0.3, 0.5, 0.75, 1.0]
SEG = [
    (np.array([0, 1, 2, 2, 1, 0]), np.array([0, 2, 2, 1, 1, 0]), np.array([1.0] * 6)),
    (np.array([3, 3, 1]), np.array([3, 0, 1]), np.array([2.0, 1.0, 0.5])),
]


def _stream_scores(mod, weighted):
    g = mod.Graph()
    with g.as_default():
        y = mod.placeholder(mod.int64, [None])
        s = mod.placeholder(mod.float32, [None])
        w = mod.placeholder(mod.float32, [None])
        ww = w if weighted else None
        yb = mod.cast(y, mod.bool)
        metrics = [
            mod.metrics.auc(y, s, ww),
            mod.metrics.auc(y, s, ww, num_thresholds=7, curve="PR"),
            mod.metrics.auc(y, s, ww, curve="PR", summation_method="careful_interpolation"),
            mod.metrics.auc(y, s, ww, num_thresholds=11, summation_method="minoring"),
            mod.metrics.auc(y, s, ww, curve="PR", summation_method="majoring"),
            mod.metrics.true_positives_at_thresholds(yb, s, THRESHOLDS, ww),
            mod.metrics.false_positives_at_thresholds(yb, s, THRESHOLDS, ww),
            mod.metrics.true_negatives_at_thresholds(yb, s, THRESHOLDS, ww),
            mod.metrics.false_negatives_at_thresholds(yb, s, THRESHOLDS, ww),
            mod.metrics.precision_at_thresholds(yb, s, THRESHOLDS, ww),
            mod.metrics.recall_at_thresholds(yb, s, THRESHOLDS, ww),
        ]
        seg_y = mod.placeholder(mod.int64, [None])
        seg_p = mod.placeholder(mod.int64, [None])
        seg_w = mod.placeholder(mod.float32, [None])
        iou = mod.metrics.mean_iou(seg_y, seg_p, 4, seg_w if weighted else None)
        with mod.Session(graph=g) as sess:
            sess.run(mod.local_variables_initializer())
            out = []
            for (yv, sv, wv), (ly, lp, lw) in zip(SCORES, SEG):
                sess.run(
                    [m[1] for m in metrics] + [iou[1]],
                    {y: yv, s: sv, w: wv, seg_y: ly, seg_p: lp, seg_w: lw},
                )
            out = sess.run([m[0] for m in metrics] + [iou[0]])
    return out


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
@pytest.mark.parametrize("weighted", [False, True])
def test_auc_thresholds_and_iou_match_tensorflow(weighted):
    import tensorflow as real_tf

    want = _stream_scores(real_tf.compat.v1, weighted)
    got = _stream_scores(tf, weighted)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"metric {k}")


def test_auc_of_a_perfect_and_a_random_ranking():
    y = tf.constant([0, 0, 1, 1])
    perfect, perfect_up = tf.metrics.auc(y, tf.constant([0.1, 0.2, 0.8, 0.9]))
    flat, flat_up = tf.metrics.auc(y, tf.constant([0.5, 0.5, 0.5, 0.5]))
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([perfect_up, flat_up])
        assert sess.run(perfect) > 0.99
        assert abs(sess.run(flat) - 0.5) < 0.01
    with pytest.raises(ValueError, match="curve must be 'ROC' or 'PR'"):
        tf.metrics.auc(y, tf.constant([0.1, 0.2, 0.3, 0.4]), curve="XY")


def test_confusion_matrix_matches_numpy():
    labels, preds = np.array([0, 1, 2, 1, 3]), np.array([0, 2, 2, 1, 0])
    want = np.zeros((4, 4), np.int32)
    np.add.at(want, (labels, preds), 1)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.confusion_matrix(labels, preds)), want)
        got = sess.run(
            tf.math.confusion_matrix(labels, preds, 5, weights=np.arange(5.0), dtype=tf.float32)
        )
    wantw = np.zeros((5, 5), np.float32)
    np.add.at(wantw, (labels, preds), np.arange(5.0))
    np.testing.assert_array_equal(got, wantw)
