"""tf.metrics' ranking metrics (precision/recall/average precision at k, sensitivity and
specificity at an operating point), the derived means (mean_tensor, mean_relative_error,
mean_cosine_distance, percentage_below), mean_per_class_accuracy and true_negatives: streaming
values over several update_op runs against NumPy over the same batches, TF's variable names,
error paths; and against TensorFlow (tf.compat.v1) where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors

rng = np.random.RandomState(0)
N, C = 6, 5
BATCHES = [
    {
        "lab": rng.randint(0, C, (N, 2)),
        "padded": rng.randint(-1, C, (N, 2)),
        "lab1": rng.randint(0, C, N),
        "lg": rng.randn(N, C).astype(np.float32),
        "w": rng.rand(N).astype(np.float32),
        "idx": rng.randint(0, C, (N, 3)),
        "mt": rng.randn(4, 5).astype(np.float32),
        "mw": rng.rand(4, 1).astype(np.float32),
    }
    for _ in range(3)
]


def _build(mod):
    ph = {
        "lab": mod.placeholder(mod.int64, [None, 2]),
        "padded": mod.placeholder(mod.int64, [None, 2]),
        "lab1": mod.placeholder(mod.int64, [None]),
        "lg": mod.placeholder(mod.float32, [None, C]),
        "w": mod.placeholder(mod.float32, [None]),
        "idx": mod.placeholder(mod.int64, [None, 3]),
        "mt": mod.placeholder(mod.float32, [4, 5]),
        "mw": mod.placeholder(mod.float32, [4, 1]),
    }
    m, p = mod.metrics, ph
    lab, lab1, lg, w = p["lab"], p["lab1"], p["lg"], p["w"]
    score = mod.sigmoid(lg[:, 0])
    metrics = [
        m.precision_at_k(p["padded"], lg, 2),
        m.recall_at_k(p["padded"], lg, 2),
        m.recall_at_k(lab, lg, 2, class_id=3, weights=w),
        m.precision_at_k(lab, lg, 3, class_id=1),
        m.sparse_precision_at_k(lab1, lg, 3, weights=w),
        m.precision_at_top_k(p["padded"], p["idx"]),
        m.recall_at_top_k(lab, p["idx"], weights=w),
        m.average_precision_at_k(lab, lg, 3),
        m.sparse_average_precision_at_k(lab1, lg, 2, weights=w),
        m.mean_per_class_accuracy(lab1, mod.argmax(lg, 1), C),
        m.mean_per_class_accuracy(lab1, mod.argmax(lg, 1), C, weights=w, name="weighted"),
        m.mean_cosine_distance(mod.nn.l2_normalize(lg, 1), mod.nn.l2_normalize(lg * lg, 1), 1),
        m.mean_relative_error(lg, lg * 0.5, mod.nn.relu(lg)),
        m.mean_tensor(p["mt"], p["mw"]),
        m.percentage_below(lg, 0.3, weights=w[:, None]),
        m.true_negatives(lab1 > 2, lg[:, 0] > 0.5, weights=w),
        m.sensitivity_at_specificity(lab1 > 2, score, 0.6),
        m.sensitivity_at_specificity(lab1 > 1, score, 0.3, weights=w, num_thresholds=7),
        m.specificity_at_sensitivity(lab1 > 2, score, 0.5, num_thresholds=10),
        m.specificity_at_sensitivity(lab1 > 1, score, 0.8, weights=w),
    ]
    return ph, metrics


def _stream(mod):
    g = mod.Graph()
    with g.as_default():
        ph, metrics = _build(mod)
        names = sorted(v.op.name for v in mod.local_variables())
        out = []
        with mod.Session(graph=g) as sess:
            sess.run(mod.local_variables_initializer())
            out.append(sess.run([v for v, _ in metrics]))
            for b in BATCHES:
                out.append(sess.run([u for _, u in metrics], {ph[k]: b[k] for k in ph}))
            out.append(sess.run([v for v, _ in metrics]))
    return names, out


def test_matches_tensorflow_over_several_batches():
    real_tf = pytest.importorskip("tensorflow")
    real_tf.compat.v1.disable_eager_execution()
    names, got = _stream(tf)
    want_names, want = _stream(real_tf.compat.v1)
    assert names == want_names
    for step, (gs, ws) in enumerate(zip(got, want)):
        for i, (gv, wv) in enumerate(zip(gs, ws)):
            np.testing.assert_allclose(
                gv, wv, rtol=1e-5, atol=1e-7, equal_nan=True, err_msg=f"step {step} metric {i}"
            )


# -- NumPy references (run without TensorFlow) ---------------------------------------------------
def _topk(lg, k):
    return np.argsort(-lg, axis=1, kind="stable")[:, :k]


def _run(build, feeds):
    """Runs update_op once per feed (a dict placeholder-key -> value); returns the updates'
    values and the final value."""
    g = tf.Graph()
    with g.as_default():
        ph, (value, update) = build()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            ups = [sess.run(update, {ph[k]: f[k] for k in ph}) for f in feeds]
            return ups, sess.run(value)


def test_precision_and_recall_at_k_are_set_counts():
    feeds = [{"lab": b["padded"], "lg": b["lg"], "w": b["w"]} for b in BATCHES]

    def build(kind, class_id=None):
        def f():
            ph = {
                "lab": tf.placeholder(tf.int64, [None, 2]),
                "lg": tf.placeholder(tf.float32, [None, C]),
                "w": tf.placeholder(tf.float32, [None]),
            }
            fn = tf.metrics.precision_at_k if kind == "p" else tf.metrics.recall_at_k
            return ph, fn(ph["lab"], ph["lg"], 2, class_id=class_id, weights=ph["w"])

        return f

    for class_id in (None, 2):
        tp = fp = fn = 0.0
        for f in feeds:
            for labs, top, w in zip(f["lab"], _topk(f["lg"], 2), f["w"]):
                ls, ts = set(labs.tolist()), set(top.tolist())
                if class_id is not None:
                    ls, ts = ls & {class_id}, ts & {class_id}
                tp += w * len(ls & ts)
                fp += w * len(ts - ls)
                fn += w * len(ls - ts)
        _, p = _run(build("p", class_id), feeds)
        _, r = _run(build("r", class_id), feeds)
        np.testing.assert_allclose(p, tp / (tp + fp), rtol=1e-6)
        np.testing.assert_allclose(r, tp / (tp + fn), rtol=1e-6)
        assert p.dtype == np.float64


def test_precision_before_any_data_is_nan_and_names_follow_tf():
    g = tf.Graph()
    with g.as_default():
        lab = tf.placeholder(tf.int64, [None])
        lg = tf.placeholder(tf.float32, [None, 4])
        p, _ = tf.metrics.precision_at_k(lab, lg, 2, class_id=1)
        tf.metrics.precision_at_k(lab, lg, 2, class_id=1)
        names = sorted(v.op.name for v in tf.local_variables())
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert np.isnan(sess.run(p))
    assert names == [
        "precision_at_2_class1/false_positive_at_2_class1",
        "precision_at_2_class1/true_positive_at_2_class1",
        "precision_at_2_class1_1/false_positive_at_2_class1",
        "precision_at_2_class1_1/true_positive_at_2_class1",
    ]


def test_average_precision_dense_labels_count_their_width_as_tf_1_15():
    # TF 1.15: with dense labels, the number of relevant items is min(num_labels, k) even
    # when a row holds -1 padding.
    lab = np.array([[1, -1], [0, 3], [2, 2]])
    lg = np.array([[0.9, 0.1, 0.5, 0.0], [0.1, 0.2, 0.9, 0.8], [0.0, 0.0, 1.0, 0.5]], np.float32)
    w = np.array([1.0, 2.0, 0.5], np.float32)

    def build():
        ph = {
            "lab": tf.placeholder(tf.int64, [None, 2]),
            "lg": tf.placeholder(tf.float32, [None, 4]),
            "w": tf.placeholder(tf.float32, [None]),
        }
        return ph, tf.metrics.average_precision_at_k(ph["lab"], ph["lg"], 3, weights=ph["w"])

    ups, value = _run(build, [{"lab": lab, "lg": lg, "w": w}])
    aps = []
    for labs, top in zip(lab, _topk(lg, 3)):
        rel = np.isin(top, labs).astype(float)
        prec = np.cumsum(rel) / np.arange(1, 4)
        aps.append((prec * rel).sum() / min(2, 3))
    want = (np.array(aps) * w).sum() / w.sum()
    np.testing.assert_allclose([ups[0], value], [want, want], rtol=1e-12)


def test_mean_per_class_accuracy_and_mean_tensor_against_numpy():
    y = [np.array([0, 1, 1, 2]), np.array([2, 2, 0])]
    p = [np.array([0, 2, 1, 2]), np.array([1, 2, 0])]

    def build():
        ph = {"y": tf.placeholder(tf.int32, [None]), "p": tf.placeholder(tf.int64, [None])}
        return ph, tf.metrics.mean_per_class_accuracy(ph["y"], ph["p"], 4)

    ups, value = _run(build, [{"y": a, "p": b} for a, b in zip(y, p)])
    # classes 0: 2/2, 1: 1/2, 2: 2/3, 3: never seen (0, still in the mean)
    np.testing.assert_allclose(ups[-1], [1.0, 0.5, 2 / 3, 0.0], rtol=1e-6)
    np.testing.assert_allclose(value, (1 + 0.5 + 2 / 3) / 4, rtol=1e-6)

    xs = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[3.0, 0.0], [5.0, 2.0]])]
    ws = [np.array([[1.0], [0.0]]), np.array([[1.0], [2.0]])]

    def build_t():
        ph = {"x": tf.placeholder(tf.float32, [2, 2]), "w": tf.placeholder(tf.float32, [2, 1])}
        return ph, tf.metrics.mean_tensor(ph["x"], ph["w"])

    _, value = _run(build_t, [{"x": a, "w": b} for a, b in zip(xs, ws)])
    np.testing.assert_allclose(value, [[2.0, 1.0], [5.0, 2.0]], rtol=1e-6)


def test_means_of_derived_values_against_numpy():
    a = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, 1.0]], np.float32)
    b = np.array([[0.8, 0.6], [0.0, 1.0], [0.0, 1.0]], np.float32)
    n = np.array([[2.0, 0.0], [1.0, 4.0], [0.5, 1.0]], np.float32)

    def build():
        ph = {k: tf.placeholder(tf.float32, [3, 2]) for k in "abn"}
        m = tf.metrics
        cos, cos_up = m.mean_cosine_distance(ph["a"], ph["b"], 1)
        rel, rel_up = m.mean_relative_error(ph["a"], ph["b"], ph["n"])
        below, below_up = m.percentage_below(ph["a"], 0.7)
        return ph, ([cos, rel, below], [cos_up, rel_up, below_up])

    ups, value = _run(build, [{"a": a, "b": b, "n": n}])
    relerr = np.where(n == 0, 0, np.abs(a - b) / np.where(n == 0, 1, n))
    want = [1 - (a * b).sum(1).mean(), relerr.mean(), (a < 0.7).mean()]
    np.testing.assert_allclose(value, want, rtol=1e-6)
    np.testing.assert_allclose(ups[0], want, rtol=1e-6)


def test_true_negatives_and_operating_points_against_numpy():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.3, 0.6, 0.2, 0.1, 0.7, 0.8, 0.05], np.float32)

    def build():
        ph = {"y": tf.placeholder(tf.int64, [None]), "s": tf.placeholder(tf.float32, [None])}
        m = tf.metrics
        outs = [
            m.true_negatives(ph["y"], ph["s"] > 0.5),
            m.sensitivity_at_specificity(ph["y"], ph["s"], 0.75, num_thresholds=11),
            m.specificity_at_sensitivity(ph["y"], ph["s"], 0.75, num_thresholds=11),
        ]
        return ph, ([v for v, _ in outs], [u for _, u in outs])

    _, (tn, sens, spec) = _run(build, [{"y": y[:5], "s": s[:5]}, {"y": y[5:], "s": s[5:]}])
    assert tn == ((y == 0) & (s <= 0.5)).sum()
    th = np.array([-1e-7, *[(i + 1) / 10 for i in range(9)], 1 + 1e-7])
    above = s[None, :] > th[:, None]
    tp, fn = (above & (y == 1)).sum(1), (~above & (y == 1)).sum(1)
    tn_, fp = (~above & (y == 0)).sum(1), (above & (y == 0)).sum(1)
    i = np.argmin(np.abs(tn_ / (tn_ + fp + 1e-7) - 0.75))
    np.testing.assert_allclose(sens, tp[i] / (tp[i] + fn[i] + 1e-7), rtol=1e-6)
    th[-1] = 1 - 1e-7  # TF's specificity_at_sensitivity
    above = s[None, :] > th[:, None]
    tp, fn = (above & (y == 1)).sum(1), (~above & (y == 1)).sum(1)
    tn_, fp = (~above & (y == 0)).sum(1), (above & (y == 0)).sum(1)
    d = np.abs(tp / (tp + fn + 1e-7) - 0.75)
    i = np.flatnonzero(d == d.min())[-1]  # the last closest threshold
    np.testing.assert_allclose(spec, tn_[i] / (tn_[i] + fp[i] + 1e-7), rtol=1e-6)


def test_errors():
    lab = tf.placeholder(tf.int64, [None, 2])
    lg = tf.placeholder(tf.float32, [None, 4])
    with pytest.raises(ValueError, match="precision_at_k: invalid k=0"):
        tf.metrics.precision_at_k(lab, lg, 0)
    with pytest.raises(ValueError, match="average_precision_at_k: invalid k"):
        tf.metrics.average_precision_at_k(lab, lg, -1)
    with pytest.raises(ValueError, match="labels shape"):
        tf.metrics.recall_at_k(tf.placeholder(tf.int64, [None, 2, 2, 2]), lg, 2)
    with pytest.raises(TypeError, match="labels must be integer"):
        tf.metrics.precision_at_k(tf.placeholder(tf.float32, [None, 2]), lg, 2)
    with pytest.raises(ValueError, match=r"specificity` must be in the range \[0, 1\]"):
        tf.metrics.sensitivity_at_specificity(lab[:, 0], lg[:, 0], 1.5)
    with pytest.raises(ValueError, match="sensitivity` must be in the range"):
        tf.metrics.specificity_at_sensitivity(lab[:, 0], lg[:, 0], -0.1)
    with pytest.raises(ValueError, match="mean_tensor: values must have a fully known shape"):
        tf.metrics.mean_tensor(lg)
    with pytest.raises(ValueError, match="mean_relative_error: predictions and normalizer"):
        tf.metrics.mean_relative_error(lg, lg, lg[:, :2])
    with pytest.raises(ValueError, match="mean_cosine_distance: labels and predictions"):
        tf.metrics.mean_cosine_distance(lg, lg[:, :2], 1)


def test_mean_per_class_accuracy_label_out_of_range_is_a_run_time_error():
    y = tf.placeholder(tf.int64, [None])
    _, up = tf.metrics.mean_per_class_accuracy(y, y, 3)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError):
            sess.run(up, {y: [0, 5]})
