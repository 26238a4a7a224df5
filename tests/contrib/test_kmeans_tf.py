"""tf.contrib.factorization.KMeans and its kernels against TensorFlow (skipped where it is not
installed). TF 2.x has no tf.contrib but keeps TF 1.15's KMeans graph builder internally
(tensorflow.python.ops.clustering_ops, whose training_graph returns 6 items: no
cluster_centers_var) and the kernels as raw ops.

Only what TF computes deterministically is compared: full-batch training (mini-batch steps
read and scatter into the same variables with no order between them, so TF's own results vary
from run to run), the nearest-neighbour kernel, and the samplers where the data leave them one
choice (their random streams differ from TF's Philox ones).
"""

import numpy as np
import pytest

import flowzero as tf
from flowzero.contrib.factorization import KMeans
from flowzero.ops.clustering_ops import kmc2_chain_initialization, nearest_neighbors

tf_real = pytest.importorskip("tensorflow")
tf1 = tf_real.compat.v1
tf1.disable_eager_execution()
clustering_ops = pytest.importorskip("tensorflow.python.ops.clustering_ops")


def _run_tf(build):
    with tf1.Graph().as_default():
        out = build()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            return sess.run(out) if not callable(out) else out(sess)


def _run_fz(build):
    with tf.Graph().as_default():
        out = build()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(out) if not callable(out) else out(sess)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_nearest_neighbors_matches_tf(k):
    rng = np.random.default_rng(k)
    p = rng.normal(size=(30, 4)).astype(np.float32)
    c = rng.normal(size=(6, 4)).astype(np.float32)
    want = _run_tf(lambda: list(tf_real.raw_ops.NearestNeighbors(points=p, centers=c, k=k)))
    got = _run_fz(lambda: nearest_neighbors(p, c, k))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-5)


def test_kmc2_chain_with_one_possible_state_matches_tf():
    d = np.float32([0.0, 0.0, 3.0, 0.0, 0.0])
    want = _run_tf(lambda: tf_real.raw_ops.KMC2ChainInitialization(distances=d, seed=5))
    got = _run_fz(lambda: kmc2_chain_initialization(d, 5))
    assert int(got) == int(want) == 2


def _data():
    rng = np.random.default_rng(0)
    means = np.float32([[0, 0, 3], [4, 4, 0], [-3, 5, 1]])
    return (means[rng.integers(0, 3, 50)] + rng.normal(0, 0.8, (50, 3))).astype(np.float32)


def _train(lib, kmeans_cls, x, init, metric, steps):
    def build():
        ph = lib.placeholder(lib.float32, [None, 3])
        out = kmeans_cls(ph, 3, initial_clusters=init, distance_metric=metric).training_graph()
        all_scores, idx, scores, init_op, train_op = out[0], out[1], out[2], out[-2], out[-1]
        centers = [v for v in lib.global_variables() if v.op.name == "clusters"][0]

        def run(sess):
            sess.run(init_op, {ph: x})
            for _ in range(steps):
                got = sess.run([all_scores[0], idx[0], scores[0], train_op], {ph: x})[:3]
            return [sess.run(centers)] + got

        return run

    return build


@pytest.mark.parametrize("metric", ["squared_euclidean", "cosine"])
def test_full_batch_training_matches_tf(metric):
    x = _data()
    init = x[[0, 1, 2]] + 0.3
    want = _run_tf(_train(tf1, clustering_ops.KMeans, x, init, metric, 5))
    got = _run_fz(_train(tf, KMeans, x, init, metric, 5))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)  # centers
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-4)  # all_scores
    np.testing.assert_array_equal(got[2], want[2])  # cluster_idx
    np.testing.assert_allclose(got[3], want[3], rtol=1e-4, atol=1e-4)  # scores


def test_unknown_metric_is_a_value_error_in_both():
    for lib, cls in ((tf1, clustering_ops.KMeans), (tf, KMeans)):
        with pytest.raises(ValueError, match="l1"):
            cls(lib.zeros([2, 2]), 2, distance_metric="l1")
