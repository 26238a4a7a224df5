"""The canned estimators' heads: weight_column, label_vocabulary and the binary eval metrics
(auc, auc_precision_recall, precision, recall, accuracy_baseline, label/mean,
prediction/mean) against NumPy computations from the estimator's own predictions."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

RNG = np.random.default_rng(1)
N = 120
X = RNG.normal(size=(N, 2)).astype(np.float32)
Y = ((X[:, 0] - X[:, 1] + RNG.normal(scale=0.7, size=N)) > 0.3).astype(np.int64)
W = RNG.uniform(0.2, 3.0, size=N).astype(np.float32)
CONFIG = tf.estimator.RunConfig(tf_random_seed=5, log_step_count_steps=None)


def _input(features, labels, batch=N, epochs=1, shuffle=False):
    return tf.estimator.inputs.numpy_input_fn(
        features, labels, batch_size=batch, num_epochs=epochs, shuffle=shuffle
    )


def _exact_auc(labels, scores, weights):
    pos, neg = scores[labels == 1], scores[labels == 0]
    wp, wn = weights[labels == 1], weights[labels == 0]
    gt = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return float((wp[:, None] * wn[None, :] * gt).sum() / (wp.sum() * wn.sum()))


def _bce(y, logit):
    return np.maximum(logit, 0) - logit * y + np.log1p(np.exp(-np.abs(logit)))


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_metrics_match_numpy(tmp_path, weighted):
    fc = tf.feature_column
    feats = {"x": X, "w": W}
    clf = tf.estimator.LinearClassifier(
        [fc.numeric_column("x", shape=[2])],
        model_dir=str(tmp_path),
        weight_column="w" if weighted else None,
        optimizer="SGD",
        config=CONFIG,
    )
    clf.train(_input(feats, Y, batch=30, epochs=None, shuffle=True), steps=20)
    res = clf.evaluate(_input(feats, Y))
    preds = list(clf.predict(_input({"x": X, "w": W}, None)))
    logit = np.array([p["logits"][0] for p in preds], np.float64)
    p1 = 1 / (1 + np.exp(-logit))
    ids = (logit > 0).astype(np.int64)
    w = W.astype(np.float64) if weighted else np.ones(N)
    tp = (w * (ids == 1) * (Y == 1)).sum()
    label_mean = (w * Y).sum() / w.sum()
    per_ex = _bce(Y, logit)
    want = {
        "accuracy": (w * (ids == Y)).sum() / w.sum(),
        "precision": tp / (w * (ids == 1)).sum(),
        "recall": tp / (w * (Y == 1)).sum(),
        "label/mean": label_mean,
        "prediction/mean": (w * p1).sum() / w.sum(),
        "accuracy_baseline": max(label_mean, 1 - label_mean),
        "average_loss": (w * per_ex).sum() / w.sum(),
        "loss": (w * per_ex).sum(),  # one batch: its weighted sum
    }
    for k, v in want.items():
        assert res[k] == pytest.approx(v, rel=1e-4), k
    # TF's auc: a Riemann sum over 200 thresholds; close to the exact (weighted) AUC
    assert res["auc"] == pytest.approx(_exact_auc(Y, p1, w), abs=0.02)
    assert 0.5 < res["auc_precision_recall"] <= 1.0
    assert res["auc"] > 0.75


def test_weight_column_changes_the_training_loss(tmp_path):
    fc = tf.feature_column
    cols = [fc.numeric_column("x", shape=[2])]
    target = X @ np.array([1.0, -2.0], np.float32)
    feats = {"x": X, "w": W}
    reg = tf.estimator.LinearRegressor(
        cols,
        model_dir=str(tmp_path),
        weight_column=fc.numeric_column("w"),
        optimizer="SGD",
        config=CONFIG,
    )
    reg.train(_input(feats, target, batch=30, epochs=None, shuffle=True), steps=1)
    res = reg.evaluate(_input(feats, target))
    pred = np.array([p["predictions"][0] for p in reg.predict(_input(feats, None))])
    sq = (pred - target) ** 2
    assert res["loss"] == pytest.approx(float((W * sq).sum()), rel=1e-4)
    assert res["average_loss"] == pytest.approx(float((W * sq).sum() / W.sum()), rel=1e-4)
    assert res["label/mean"] == pytest.approx(float((W * target).sum() / W.sum()), rel=1e-4)
    with pytest.raises(TypeError, match="Weight column must be either a string"):
        tf.estimator.LinearRegressor(cols, weight_column=3)
    with pytest.raises(ValueError, match="weight_column 'nope' is not among the features"):
        tf.estimator.DNNRegressor([4], cols, weight_column="nope").train(
            _input({"x": X}, target, epochs=None), steps=1
        )


def test_label_vocabulary(tmp_path):
    fc = tf.feature_column
    cols = [fc.numeric_column("x", shape=[2])]
    names = np.array(["no", "yes"], object)[Y]
    clf = tf.estimator.DNNClassifier(
        [8], cols, model_dir=str(tmp_path / "b"), label_vocabulary=["no", "yes"], config=CONFIG
    )
    clf.train(_input({"x": X}, names, batch=30, epochs=None, shuffle=True), steps=60)
    res = clf.evaluate(_input({"x": X}, names))
    assert res["accuracy"] > 0.7 and "auc" in res
    preds = list(clf.predict(_input({"x": X[:5]}, None)))
    for p in preds:
        assert p["classes"][0] == [b"no", b"yes"][p["class_ids"][0]]
    # three classes, string labels
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    vocab = ["low", "mid", "high"]
    lin = tf.estimator.LinearClassifier(
        cols, n_classes=3, label_vocabulary=vocab, model_dir=str(tmp_path / "m"), config=CONFIG
    )
    lin.train(_input({"x": X}, np.array(vocab, object)[y3], batch=30, epochs=None), steps=100)
    assert lin.evaluate(_input({"x": X}, np.array(vocab, object)[y3]))["accuracy"] > 0.6
    p = next(lin.predict(_input({"x": X[:1]}, None)))
    assert p["classes"][0] == vocab[p["class_ids"][0]].encode()
    # errors: integer labels with a vocabulary, unknown label strings, a non-list vocabulary
    with pytest.raises(ValueError, match="Labels dtype should be string"):
        clf.train(_input({"x": X}, Y, epochs=None), steps=1)
    bad = names.copy()
    bad[3] = "maybe"
    with pytest.raises(tf.errors.InvalidArgumentError, match="label_vocabulary"):
        clf.evaluate(_input({"x": X}, bad))
    with pytest.raises(TypeError, match="label_vocabulary should be a list or a tuple"):
        tf.estimator.DNNClassifier([8], cols, label_vocabulary="no,yes")
