"""tf.feature_column (against TensorFlow where installed) and the canned estimators."""

from __future__ import annotations

import os

import numpy as np
import pytest

import flowzero as tf

RNG = np.random.default_rng(0)
N = 400
X = RNG.normal(size=(N, 2)).astype(np.float32)
COLOR = RNG.choice(np.array(["red", "green", "blue"]), N)
DAY = RNG.integers(0, 7, N)
Y = ((X[:, 0] + X[:, 1] + (COLOR == "red") - 0.5 * (DAY > 3)) > 0).astype(np.int32)
FEATURES = {"x": X, "color": COLOR, "day": DAY, "x0": X[:, 0]}


def _columns(fc):
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    day = fc.categorical_column_with_identity("day", 7)
    return [
        fc.numeric_column("x", shape=[2]),
        fc.indicator_column(color),
        fc.indicator_column(day),
        fc.bucketized_column(fc.numeric_column("x0"), [-1, 0, 1]),
    ]


def _input_layer_values(mod, feats):
    with mod.Graph().as_default():
        out = mod.feature_column.input_layer(
            {k: mod.constant(v) for k, v in feats.items()}, _columns(mod.feature_column)
        )
        with mod.Session() as sess:
            if hasattr(mod, "tables_initializer"):  # TensorFlow's vocabulary lookup tables
                sess.run(mod.tables_initializer())
            return sess.run(out)


def test_input_layer_columns_sorted_by_name():
    feats = {
        "x": X[:5],
        "color": np.array([b"red", b"blue", b"pink", b"green", b"red"], object),
        "day": DAY[:5],
        "x0": np.array([-2, -1, 0.5, 1, 3], np.float32),
    }
    got = _input_layer_values(tf, feats)
    # sorted names: color_indicator(3) day_indicator(7) x(2) x0_bucketized(4)
    assert got.shape == (5, 16)
    np.testing.assert_array_equal(
        got[:, :3], [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0], [1, 0, 0]]
    )
    np.testing.assert_array_equal(got[:, 3:10], np.eye(7)[DAY[:5]])
    np.testing.assert_allclose(got[:, 10:12], X[:5])
    np.testing.assert_array_equal(got[:, 12:], np.eye(4)[[0, 1, 2, 3, 3]])


def test_input_layer_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow").compat.v1
    tf1.disable_eager_execution()
    feats = {
        "x": X[:6],
        "color": np.array([b"red", b"blue", b"pink", b"green", b"red", b"x"], object),
        "day": DAY[:6].astype(np.int64),
        "x0": np.array([-2, -1, 0.5, 1, 3, 0], np.float32),
    }
    np.testing.assert_allclose(_input_layer_values(tf, feats), _input_layer_values(tf1, feats))


def test_embedding_column_shapes_and_categorical_errors():
    fc = tf.feature_column
    with tf.Graph().as_default():
        emb = fc.embedding_column(fc.categorical_column_with_identity("day", 7), 3, combiner="mean")
        ids = tf.constant([[1, -1], [2, 3]], tf.int64)  # -1: missing, ignored
        out = fc.input_layer({"day": ids}, [emb])
        w = [v for v in tf.global_variables() if "embedding_weights" in v.name][0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, table = sess.run([out, w])
        np.testing.assert_allclose(got, [table[1], (table[2] + table[3]) / 2], rtol=1e-6)
        with pytest.raises(ValueError, match="_DenseColumn"):
            fc.input_layer({"day": ids}, [fc.categorical_column_with_identity("day", 7)])
        with pytest.raises(ValueError, match="not in features"):
            fc.input_layer({}, [fc.numeric_column("nope")])
    with pytest.raises(ValueError, match="sorted"):
        fc.bucketized_column(fc.numeric_column("a"), [3, 1])
    with pytest.raises(ValueError, match="Duplicate keys"):
        fc.categorical_column_with_vocabulary_list("c", ["a", "a"])


def _fns(features, y, batch_size=32):
    train = tf.estimator.inputs.numpy_input_fn(
        features, y, batch_size=batch_size, num_epochs=None, shuffle=True
    )
    evl = tf.estimator.inputs.numpy_input_fn(
        features, y, batch_size=100, num_epochs=1, shuffle=False
    )
    return train, evl


def test_dnn_and_linear_classifiers(tmp_path):
    fc = tf.feature_column
    train, evl = _fns(FEATURES, Y)
    config = tf.estimator.RunConfig(tf_random_seed=3, log_step_count_steps=None)
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    day = fc.categorical_column_with_identity("day", 7)
    dnn = tf.estimator.DNNClassifier(
        hidden_units=[16],
        model_dir=str(tmp_path / "dnn"),
        config=config,
        feature_columns=[
            fc.numeric_column("x", shape=[2]),
            fc.indicator_column(color),
            fc.embedding_column(day, 3),
        ],
    )
    dnn.train(train, steps=300)
    res = dnn.evaluate(evl)
    assert res["accuracy"] > 0.9
    assert {
        "accuracy",
        "average_loss",
        "loss",
        "precision",
        "recall",
        "prediction/mean",
        "label/mean",
        "global_step",
    } <= set(res)
    # TF 1.x sums the loss over the batch: 'loss' (mean over batches of 100) = 100 x average
    assert res["loss"] == pytest.approx(100 * res["average_loss"], rel=1e-5)
    pred = next(
        dnn.predict(
            tf.estimator.inputs.numpy_input_fn(
                {k: v[:3] for k, v in FEATURES.items()}, shuffle=False
            )
        )
    )
    assert set(pred) == {"logits", "logistic", "probabilities", "class_ids", "classes"}
    assert pred["classes"][0] == str(pred["class_ids"][0]).encode()

    lin = tf.estimator.LinearClassifier(
        feature_columns=[
            fc.numeric_column("x", shape=[2]),
            color,
            day,
            fc.bucketized_column(fc.numeric_column("x0"), [-1, 0, 1]),
        ],
        model_dir=str(tmp_path / "lin"),
        config=config,
    )
    lin.train(train, steps=300)
    assert lin.evaluate(evl)["accuracy"] > 0.9


def test_multiclass_and_regressors(tmp_path):
    fc = tf.feature_column
    cols = [fc.numeric_column("x", shape=[2])]
    y3 = (X[:, 0] > -0.5).astype(np.int32) + (X[:, 0] > 0.5)
    train, evl = _fns({"x": X}, y3)
    # Seeded: unseeded initial weights and shuffles made the regressors' loss vary run to run.
    config = tf.estimator.RunConfig(tf_random_seed=3, log_step_count_steps=None)
    clf = tf.estimator.DNNClassifier(
        [16], cols, n_classes=3, model_dir=str(tmp_path / "c"), optimizer="Adam", config=config
    )
    clf.train(train, steps=200)
    assert clf.evaluate(evl)["accuracy"] > 0.85
    target = X @ np.array([1.5, -1.0], np.float32) + 0.5
    train, evl = _fns({"x": X}, target)
    for cls in (tf.estimator.LinearRegressor, tf.estimator.DNNRegressor):
        kw = {"hidden_units": [8]} if cls is tf.estimator.DNNRegressor else {}
        reg = cls(feature_columns=cols, model_dir=str(tmp_path / cls.__name__), config=config, **kw)
        reg.train(train, steps=300)
        res = reg.evaluate(evl)
        assert res["average_loss"] < 0.05, (cls.__name__, res)
        assert res["label/mean"] == pytest.approx(float(target.mean()), abs=1e-5)


def test_canned_export_and_label_errors(tmp_path):
    from flowzero.serving.servable import Servable

    fc = tf.feature_column
    clf = tf.estimator.DNNClassifier(
        [8], [fc.numeric_column("x", shape=[2])], model_dir=str(tmp_path / "m")
    )
    train, _ = _fns({"x": X}, Y)
    clf.train(train, steps=20)
    fn = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 2])}
    )
    path = clf.export_saved_model(str(tmp_path / "export"), fn).decode()
    served = Servable("clf", int(os.path.basename(path)), path)
    try:
        assert {"serving_default", "predict", "classification"} <= set(served.signatures)
        out = served.run("serving_default", {"x": X[:4]})
    finally:
        served.close()
    want = [
        p["probabilities"]
        for p in clf.predict(tf.estimator.inputs.numpy_input_fn({"x": X[:4]}, shuffle=False))
    ]
    np.testing.assert_allclose(out["probabilities"], want, rtol=1e-5)
    # labels of the wrong shape: a typed error naming the shapes
    bad, _ = _fns({"x": X}, np.stack([Y, Y], 1))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels shape must be .*\[batch"):
        clf.train(bad, steps=1)
    with pytest.raises(ValueError, match="n_classes"):
        tf.estimator.DNNClassifier([8], [fc.numeric_column("x")], n_classes=1)
    with pytest.raises(ValueError, match="Unsupported optimizer"):
        tf.estimator.DNNClassifier(
            [8], [fc.numeric_column("x", shape=[2])], optimizer="Nope"
        ).train(train, steps=1)
