"""tf.contrib.factorization.KMeans against NumPy references of Lloyd's algorithm and TF's
mini-batch update, for both metrics; the initializers; the errors; the MNIST tutorial."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.contrib.factorization import (
    COSINE_DISTANCE,
    KMC2_INIT,
    KMEANS_PLUS_PLUS_INIT,
    SQUARED_EUCLIDEAN_DISTANCE,
    KMeans,
)

METRICS = [SQUARED_EUCLIDEAN_DISTANCE, COSINE_DISTANCE]


# -- NumPy references (float64; written from the algorithm, not from our graph) ---------------
def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.sqrt(np.maximum((x * x).sum(1, keepdims=True), 1e-12))


def _assign(x: np.ndarray, c: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(all_scores, nearest index) of the rows of x to the centers c."""
    if metric == COSINE_DISTANCE:
        all_scores = 1 - x @ c.T
    else:
        all_scores = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    return all_scores, all_scores.argmin(1)


def np_full_batch(x, init, metric, steps):
    """Lloyd: centers := mean of their points (sum / (count + 1e-6)); cosine keeps unit
    inputs and unit centers. Returns the centers after each step's update and the last step's
    (all_scores, idx) computed before its update."""
    x = np.asarray(x, np.float64)
    c = np.asarray(init, np.float64)
    if metric == COSINE_DISTANCE:
        x, c = _unit(x), _unit(c)
    for _ in range(steps):
        all_scores, idx = _assign(x, c, metric)
        sums = np.zeros_like(c)
        np.add.at(sums, idx, x)
        counts = np.bincount(idx, minlength=len(c))[:, None]
        c = sums / (counts + 1e-6)
        if metric == COSINE_DISTANCE:
            c = _unit(c)
    return c, all_scores, idx


def np_mini_batch(batches, init, metric, steps_per_iteration=1):
    """TF's mini-batch k-means: a center x seen n times before and by k batch points d_i now
    becomes x + (sum d_i - k x) / (n + k) (n read before this step's counts are added: TF's
    own graph leaves that to a race). With steps_per_iteration m > 1 the updates go to a copy
    (counts from 0) that replaces the assignment centers (normalized for cosine, counts reset)
    on every (m + 1)-th step, after that step's points were assigned; with m == 1 counts start
    at 1 and assignment uses the (normalized for cosine) updated centers."""
    c = np.asarray(init, np.float64)
    if metric == COSINE_DISTANCE:
        c = _unit(c)
    m = steps_per_iteration
    updated = c.copy()
    counts = np.zeros(len(c)) if m > 1 else np.ones(len(c))
    left = m
    for b in batches:
        b = np.asarray(b, np.float64)
        if metric == COSINE_DISTANCE:
            b = _unit(b)
        _, idx = _assign(
            b, c if m > 1 else _unit(updated) if metric == COSINE_DISTANCE else updated, metric
        )
        if m > 1:
            if left <= 0:
                left = m - 1
                c = _unit(updated) if metric == COSINE_DISTANCE else updated.copy()
                counts[:] = 0
            else:
                left -= 1
        for j in np.unique(idx):
            k = (idx == j).sum()
            updated[j] += (b[idx == j].sum(0) - k * updated[j]) / (counts[j] + k)
            counts[j] += k
    return (c if m > 1 else updated), updated, counts


def _data(n=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 3], [4, 4, 0], [-3, 5, 1]], np.float64)[:, :d]
    x = means[rng.integers(0, len(means), n)] + rng.normal(0, 0.8, (n, d))
    return x.astype(np.float32)


def _build(x_shape, **kwargs):
    x = tf.placeholder(tf.float32, x_shape)
    out = KMeans(x, **kwargs).training_graph()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return x, out, sess


# -- full batch --------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", METRICS)
def test_full_batch_matches_lloyd(metric):
    x = _data()
    init = x[[0, 1, 2]] + 0.5
    ph, out, sess = _build([None, 3], num_clusters=3, initial_clusters=init, distance_metric=metric)
    all_scores, idx, scores, initialized, centers, init_op, train_op = out
    assert len(out) == 7 and isinstance(idx, tuple) and len(idx) == 1
    sess.run(init_op, {ph: x})
    assert sess.run(initialized)
    for _ in range(4):
        got_all, got_idx, got_scores, _ = sess.run(
            [all_scores[0], idx[0], scores[0], train_op], {ph: x}
        )
    want_c, want_all, want_idx = np_full_batch(x, init, metric, 4)
    np.testing.assert_allclose(sess.run(centers), want_c, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_all, want_all, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(got_idx, want_idx)
    assert got_idx.dtype == np.int64
    np.testing.assert_allclose(got_scores, want_all[np.arange(len(x)), want_idx], atol=1e-4)


def test_full_batch_empty_cluster_goes_to_zero():
    # A center no point chooses becomes 0 / (0 + 1e-6) = 0, as TF's update.
    x = np.array([[0.0, 0.0], [1.0, 0.0]], np.float32)
    ph, out, sess = _build([None, 2], num_clusters=2, initial_clusters=[[0.5, 0.0], [50.0, 50.0]])
    sess.run(out[5], {ph: x})
    sess.run(out[6], {ph: x})
    np.testing.assert_allclose(sess.run(out[4]), [[0.5, 0.0], [0.0, 0.0]], atol=1e-6)


def test_full_batch_sharded_inputs_equal_one_input():
    x = _data()
    init = x[[3, 4, 5]]
    got = []
    for shards in ([x], [x[:15], x[15:]]):
        with tf.Graph().as_default():
            phs = [tf.placeholder(tf.float32, [None, 3]) for _ in shards]
            out = KMeans(phs, 3, initial_clusters=tf.constant(init)).training_graph()
            assert len(out[1]) == len(shards)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                feed = dict(zip(phs, shards))
                sess.run(out[5], feed)
                for _ in range(3):
                    sess.run(out[6], feed)
                got.append(sess.run(out[4]))
    np.testing.assert_allclose(got[0], got[1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        got[0], np_full_batch(x, init, SQUARED_EUCLIDEAN_DISTANCE, 3)[0], atol=1e-5
    )


# -- mini batch --------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("steps_per_iteration", [1, 3])
def test_mini_batch_matches_reference(metric, steps_per_iteration):
    x = _data(n=60)
    batches = [x[i : i + 12] for i in range(0, 60, 12)] * 2
    init = x[[0, 1, 2]] + 0.25
    ph, out, sess = _build(
        [None, 3],
        num_clusters=3,
        initial_clusters=init,
        distance_metric=metric,
        use_mini_batch=True,
        mini_batch_steps_per_iteration=steps_per_iteration,
    )
    centers, init_op, train_op = out[4], out[5], out[6]
    sess.run(init_op, {ph: batches[0]})
    for b in batches:
        sess.run(train_op, {ph: b})
    want_c, want_updated, want_counts = np_mini_batch(batches, init, metric, steps_per_iteration)
    np.testing.assert_allclose(sess.run(centers), want_c, rtol=1e-5, atol=1e-5)
    if steps_per_iteration > 1:
        g = tf.get_default_graph()
        names = {v.op.name: v for v in tf.global_variables()}
        updated = names["clusters_updated"]
        assert updated.graph is g
        np.testing.assert_allclose(sess.run(updated), want_updated, rtol=1e-5, atol=1e-5)
    counts = [
        v
        for v in tf.global_variables()
        if v.dtype.base_dtype == tf.int64 and v.op.name.startswith("Variable")
    ]
    np.testing.assert_array_equal(sess.run(counts[0]), want_counts)


# -- initialization ----------------------------------------------------------------------------
def test_kmeans_plus_plus_picks_distinct_input_points():
    x = _data(n=30)
    for seed in range(4):
        with tf.Graph().as_default():
            ph, out, sess = _build(
                [None, 3], num_clusters=8, initial_clusters=KMEANS_PLUS_PLUS_INIT, random_seed=seed
            )
            sess.run(out[5], {ph: x})
            c = sess.run(out[4])
            assert sess.run(out[3])
        assert c.shape == (8, 3)
        rows = [int(np.flatnonzero((x == r).all(1))[0]) for r in c]  # each is a row of x
        assert len(set(rows)) == 8, rows


def test_kmeans_plus_plus_prefers_far_points():
    # Three tight groups: k-means++ with k=3 takes one center in each (the others have ~zero
    # weight once their group has a center).
    x = np.concatenate([np.full((5, 2), v, np.float32) for v in (0.0, 10.0, 20.0)])
    x += np.random.default_rng(1).normal(0, 1e-3, x.shape).astype(np.float32)
    ph, out, sess = _build([None, 2], num_clusters=3, initial_clusters=KMEANS_PLUS_PLUS_INIT)
    sess.run(out[5], {ph: x})
    np.testing.assert_allclose(np.sort(np.round(sess.run(out[4])[:, 0], 1)), [0, 10, 20])


def test_kmeans_plus_plus_cosine_centers_are_unit_rows():
    x = _data(n=20) * 3
    ph, out, sess = _build(
        [None, 3],
        num_clusters=4,
        initial_clusters=KMEANS_PLUS_PLUS_INIT,
        distance_metric=COSINE_DISTANCE,
    )
    sess.run(out[5], {ph: x})
    c = sess.run(out[4])
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1, rtol=1e-5)
    unit = _unit(x.astype(np.float64))
    assert all(np.abs(unit - r).max(1).min() < 1e-5 for r in c)


def test_random_init_takes_input_rows_and_is_reproducible():
    x = _data(n=25)
    picks = []
    for _ in range(2):
        with tf.Graph().as_default():
            ph, out, sess = _build([None, 3], num_clusters=5, random_seed=3)
            sess.run(out[5], {ph: x})
            assert sess.run(out[3])
            picks.append(sess.run(out[4]))
    assert picks[0].shape == (5, 3)
    assert all((x == r).all(1).any() for r in picks[0])
    np.testing.assert_array_equal(picks[0], picks[1])


def test_random_init_with_fewer_points_takes_them_all_and_waits_for_more():
    # TF's greedy sampler: a batch no larger than the centers missing becomes centers whole;
    # init_op runs again on the next batch until all num_clusters are chosen.
    ph, out, sess = _build([None, 2], num_clusters=5)
    initialized, centers, init_op = out[3], out[4], out[5]
    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    sess.run(init_op, {ph: a})
    np.testing.assert_array_equal(sess.run(centers), a)
    assert not sess.run(initialized)
    b = np.arange(100, 120, dtype=np.float32).reshape(10, 2)
    sess.run(init_op, {ph: b})
    c = sess.run(centers)
    assert c.shape == (5, 2) and sess.run(initialized)
    np.testing.assert_array_equal(c[:3], a)
    assert all((b == r).all(1).any() for r in c[3:])
    sess.run(init_op, {ph: b})  # all chosen: only checks `initialized`
    np.testing.assert_array_equal(sess.run(centers), c)


def test_kmc2_init_adds_input_rows_until_initialized():
    # As TF: the first run takes the batch's first point; the next adds one center per chain
    # of kmc2_chain_length points (30 / 10: up to 3), each chain seeing the centers so far.
    x = _data(n=30)
    ph, out, sess = _build(
        [None, 3], num_clusters=4, initial_clusters=KMC2_INIT, kmc2_chain_length=10
    )
    initialized, centers, init_op = out[3], out[4], out[5]
    sess.run(init_op, {ph: x})
    np.testing.assert_array_equal(sess.run(centers), x[:1])
    assert not sess.run(initialized)
    sess.run(init_op, {ph: x})
    c = sess.run(centers)
    assert sess.run(initialized) and c.shape == (4, 3)
    rows = [int(np.flatnonzero((x == r).all(1))[0]) for r in c]
    assert rows[0] == 0 and len(set(rows)) == 4, rows
    # the i-th chain picks from the i-th subset of 10 points
    assert [r // 10 for r in rows[1:]] == [0, 1, 2], rows


def test_kmc2_short_batch_adds_one_center_per_run():
    x = _data(n=30)
    ph, out, sess = _build([None, 3], num_clusters=2, initial_clusters=KMC2_INIT)  # chain 200
    sess.run(out[5], {ph: x})
    assert sess.run(out[4]).shape == (1, 3) and not sess.run(out[3])
    sess.run(out[5], {ph: x})
    assert sess.run(out[4]).shape == (2, 3) and sess.run(out[3])


def test_callable_initial_clusters_gets_inputs_and_count():
    x = _data(n=10)
    seen = {}

    def first_rows(inputs, k):
        seen["inputs"], seen["k"] = inputs, k
        return inputs[0][:k]

    ph, out, sess = _build([None, 3], num_clusters=4, initial_clusters=first_rows)
    assert isinstance(seen["inputs"], list) and seen["inputs"][0] is ph
    sess.run(out[5], {ph: x})
    np.testing.assert_array_equal(sess.run(out[4]), x[:4])
    assert sess.run(out[3])


def test_tensor_initial_clusters_set_num_clusters():
    # num_clusters is ignored when the centers are given.
    init = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    ph, out, sess = _build([None, 2], num_clusters=99, initial_clusters=tf.constant(init))
    sess.run(out[5], {ph: np.zeros((4, 2), np.float32)})
    np.testing.assert_array_equal(sess.run(out[4]), init)
    assert sess.run(out[3])


# -- errors ------------------------------------------------------------------------------------
def test_unknown_metric_and_initializer_are_value_errors():
    x = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(ValueError, match="distance_metric 'l1'"):
        KMeans(x, 2, distance_metric="l1")
    with pytest.raises(ValueError, match="initial_clusters.*'foo'"):
        KMeans(x, 2, initial_clusters="foo")


def test_kmeans_plus_plus_with_too_few_points_fails_at_init_op():
    ph, out, sess = _build([None, 2], num_clusters=5, initial_clusters=KMEANS_PLUS_PLUS_INIT)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_clusters must be <= the number"):
        sess.run(out[5], {ph: np.zeros((3, 2), np.float32)})


def test_training_before_init_op_says_to_run_it():
    ph, out, sess = _build([None, 2], num_clusters=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="NearestNeighbors.*run init_op"):
        sess.run(out[6], {ph: np.zeros((3, 2), np.float32)})


def test_nearest_neighbors_mismatched_columns_is_a_build_error():
    from flowzero.ops.clustering_ops import nearest_neighbors

    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"NearestNeighbors.*same number of columns"
    ):
        nearest_neighbors(tf.zeros([3, 2]), tf.zeros([4, 5]), 1)
    with pytest.raises(TypeError, match="NearestNeighbors: points must be a float32"):
        nearest_neighbors(tf.zeros([3, 2], tf.float64), tf.zeros([4, 2]), 1)


def test_kmeans_plus_plus_kernel_errors_name_the_op():
    from flowzero.ops.clustering_ops import kmeans_plus_plus_initialization

    p = tf.placeholder(tf.float32, [None, 2])
    out = kmeans_plus_plus_initialization(p, tf.constant(4, tf.int64), 0, 1)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"KmeansPlusPlus.*4 vs 2 points"):
            sess.run(out, {p: np.zeros((2, 2), np.float32)})


# -- the MNIST tutorial (aymericdamien's TensorFlow-Examples kmeans.py) -------------------------
def _mnist():
    from flowzero.datasets import input_data

    return input_data.read_data_sets("/tmp/data/", one_hot=True)


def test_mnist_cosine_mini_batch_matches_reference():
    # The tutorial's graph (25 clusters, cosine, mini-batch, the whole training set per step)
    # from fixed initial centers: the centers after a few steps are the NumPy reference's.
    mnist = _mnist()
    x = mnist.train.images[:1500]
    init = x[:25]
    ph, out, sess = _build(
        [None, 784],
        num_clusters=25,
        initial_clusters=init,
        distance_metric="cosine",
        use_mini_batch=True,
    )
    sess.run(out[5], {ph: x})
    avg = tf.reduce_mean(out[2][0])
    dists = [sess.run([out[6], avg], {ph: x})[1] for _ in range(4)]
    assert dists[-1] < dists[0]
    want = np_mini_batch([x] * 4, init, COSINE_DISTANCE)[0]
    np.testing.assert_allclose(sess.run(out[4]), want, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_mnist_tutorial_distance_trend_and_accuracy():
    # The tutorial as written: random init, 50 steps. TF 1.x (TF 2.21's internal KMeans, same
    # data) goes 0.323 -> 0.220 (step 10) -> 0.2134 (step 50), test accuracy 0.725.
    mnist = _mnist()
    X = tf.placeholder(tf.float32, [None, 784])  # noqa: N806 - the tutorial's names
    Y = tf.placeholder(tf.float32, [None, 10])  # noqa: N806
    out = KMeans(
        inputs=X, num_clusters=25, distance_metric="cosine", use_mini_batch=True
    ).training_graph()
    all_scores, cluster_idx, scores, initialized, centers, init_op, train_op = out
    cluster_idx = cluster_idx[0]
    avg_distance = tf.reduce_mean(scores)
    sess = tf.Session()
    full = mnist.train.images
    sess.run(tf.global_variables_initializer(), {X: full})
    sess.run(init_op, {X: full})
    d = [sess.run([train_op, avg_distance, cluster_idx], {X: full})[1:] for _ in range(50)]
    dist = [v for v, _ in d]
    idx = d[-1][1]
    assert dist[0] > dist[9] > dist[49]
    assert 0.205 < dist[49] < 0.222
    counts = np.zeros((25, 10))
    np.add.at(counts, idx, mnist.train.labels)
    labels_map = tf.convert_to_tensor([int(np.argmax(c)) for c in counts])
    cluster_label = tf.nn.embedding_lookup(labels_map, cluster_idx)
    correct = tf.equal(cluster_label, tf.cast(tf.argmax(Y, 1), tf.int32))
    acc = sess.run(
        tf.reduce_mean(tf.cast(correct, tf.float32)), {X: mnist.test.images, Y: mnist.test.labels}
    )
    assert acc > 0.6


def test_namespace_names():
    from flowzero.ops import clustering_ops

    fac = tf.contrib.factorization
    assert fac.KMeans is KMeans
    assert fac.nearest_neighbors is clustering_ops.nearest_neighbors
    assert fac.kmeans_plus_plus_initialization is clustering_ops.kmeans_plus_plus_initialization
    assert fac.kmc2_chain_initialization is clustering_ops.kmc2_chain_initialization
    assert (fac.RANDOM_INIT, fac.KMEANS_PLUS_PLUS_INIT, fac.KMC2_INIT) == (
        "random",
        "kmeans_plus_plus",
        "kmc2",
    )
    assert (fac.SQUARED_EUCLIDEAN_DISTANCE, fac.COSINE_DISTANCE) == ("squared_euclidean", "cosine")
    assert fac.KMeansClustering.CLUSTER_CENTERS_VAR_NAME == fac.CLUSTERS_VAR_NAME == "clusters"
    with pytest.raises(AttributeError, match="factorization' has no attribute 'WALSModel'"):
        fac.WALSModel  # noqa: B018 - not implemented
