"""tf.contrib.factorization.KMeansClustering: training, prediction, score and transform
against the NumPy references of tests/contrib/test_kmeans.py."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from tests.contrib.test_kmeans import _data, np_full_batch, np_mini_batch


def _kmc():
    return tf.contrib.factorization.KMeansClustering


def _once(x):
    # The whole input as one batch, once per train/evaluate/predict call.
    return lambda: tf.train.limit_epochs(tf.constant(x), num_epochs=1)


def _sq(x, c):
    return ((x[:, None, :].astype(np.float64) - c[None, :, :]) ** 2).sum(-1)


@pytest.mark.parametrize("metric", ["squared_euclidean", "cosine"])
def test_full_batch_training_matches_lloyd(tmp_path, metric):
    x = _data(n=30)
    init = x[[0, 1, 2]] + 0.5
    est = _kmc()(
        3,
        model_dir=str(tmp_path),
        initial_clusters=init,
        distance_metric=metric,
        use_mini_batch=False,
    )
    for _ in range(3):  # a tensor of centers needs no input: every call is one Lloyd step
        est.train(_once(x))
    assert est.get_variable_value("global_step") == 3
    want = np_full_batch(x, init, metric, 3)[0]
    np.testing.assert_allclose(est.cluster_centers(), want, rtol=1e-5, atol=1e-5)

    c = est.cluster_centers().astype(np.float64)
    if metric == "cosine":
        u = x / np.linalg.norm(x, axis=1, keepdims=True)
        dist = 1 - u @ c.T
    else:
        dist = _sq(x, c)
    idx = list(est.predict_cluster_index(_once(x)))
    np.testing.assert_array_equal(idx, dist.argmin(1))
    np.testing.assert_allclose(np.stack(list(est.transform(_once(x)))), dist, atol=1e-4)
    np.testing.assert_allclose(est.score(_once(x)), dist.min(1).sum(), rtol=1e-4)


def test_mini_batch_training_matches_reference(tmp_path):
    x = _data(n=30)
    init = x[[3, 4, 5]]
    est = _kmc()(3, model_dir=str(tmp_path), initial_clusters=init)  # mini-batch by default
    for _ in range(2):
        est.train(_once(x))
    want = np_mini_batch([x, x], init, "squared_euclidean")[0]
    np.testing.assert_allclose(est.cluster_centers(), want, rtol=1e-5, atol=1e-5)


def test_random_and_kmeans_plus_plus_init_take_input_rows(tmp_path):
    x = _data(n=30)
    for init in ["random", "kmeans_plus_plus"]:
        est = _kmc()(4, model_dir=str(tmp_path / init), initial_clusters=init, use_mini_batch=False)
        # init_op takes the first batch, the step the next: two epochs.
        est.train(lambda: tf.train.limit_epochs(tf.constant(x), num_epochs=2))
        c = est.cluster_centers()
        assert c.shape == (4, 3)
        assert est.get_variable_value("initialized")
        assert np.isfinite(c).all()
    assert est.get_variable_value("global_step") == 1


def test_relative_tolerance_stops_training(tmp_path):
    x = _data(n=30)
    est = _kmc()(
        3,
        model_dir=str(tmp_path),
        initial_clusters=x[:3],
        use_mini_batch=False,
        relative_tolerance=1e-4,
    )
    est.train(lambda: tf.constant(x), steps=50)
    steps = est.get_variable_value("global_step")
    assert 2 <= steps < 20, steps  # Lloyd converges in a few steps on three blobs


def test_dict_features_are_columns_in_key_order(tmp_path):
    x = _data(n=20)
    init = x[:2]
    est = _kmc()(2, model_dir=str(tmp_path), initial_clusters=init, use_mini_batch=False)
    # keys sorted: "a" (x[:, 0:1]), "b" (x[:, 1:3])
    feats = {"b": x[:, 1:], "a": x[:, :1]}
    est.train(lambda: {k: tf.constant(v) for k, v in feats.items()}, steps=1)
    want = np_full_batch(x, init, "squared_euclidean", 1)[0]
    np.testing.assert_allclose(est.cluster_centers(), want, rtol=1e-5, atol=1e-5)


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="distance_metric 'l1'"):
        _kmc()(2, distance_metric="l1")
    with pytest.raises(ValueError, match="initial_clusters.*'kmc2'"):
        _kmc()(2, initial_clusters="kmc2")  # TF's estimator offers random and k-means++ only
