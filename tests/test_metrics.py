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
