"""Op-table rows for the k-means kernels (flowzero/ops/clustering_ops.py). The two samplers are
random, so their rows build what their randomness cannot change: every column of the picks
sorted when all points are taken or when the data leave one choice, and a Markov chain whose
candidates leave it one state."""

import numpy as np

import flowzero as tf
from flowzero.ops.clustering_ops import (
    kmc2_chain_initialization,
    kmeans_plus_plus_initialization,
    nearest_neighbors,
)
from flowzero.testing.op_cases import OpCase

POINTS = np.array([[0.0, 0.0], [1.0, 0.2], [4.0, 4.5], [9.0, -1.0], [2.5, 2.0]], np.float32)
CENTERS = np.array([[0.5, 0.0], [4.0, 4.0], [8.0, 0.0]], np.float32)
# Two groups of identical points: once one group gave a center, the other group is the only
# place with any weight left, so k-means++ must take one point from each.
TWO_BLOBS = np.array([[0, 0], [0, 0], [0, 0], [10, 10], [10, 10], [10, 10]], np.float32)


def _np_nearest(p, c, k):
    d = ((p[:, None, :].astype(np.float64) - c[None, :, :]) ** 2).sum(-1)
    k = min(int(k), c.shape[0])
    idx = np.argsort(d, axis=1, kind="stable")[:, :k]
    return idx.astype(np.int64), np.take_along_axis(d, idx, 1).astype(np.float32)


def _columns_sorted(x):
    return [tf.sort(x[:, j]) for j in range(2)]


def _i64(v):
    return np.array(v, np.int64)


CASES = [
    OpCase(
        "NearestNeighbors",
        lambda p, c, k: nearest_neighbors(p, c, k),
        _np_nearest,
        [POINTS, CENTERS, _i64(1)],
        name="k1",
        grad=False,
        atol=1e-5,
    ),
    OpCase(
        "NearestNeighbors",
        lambda p, c, k: nearest_neighbors(p, c, k),
        _np_nearest,
        [POINTS, CENTERS, _i64(2)],
        name="k2",
        grad=False,
        atol=1e-5,
    ),
    OpCase(
        "NearestNeighbors",
        lambda p, c, k: nearest_neighbors(p, c, k),
        _np_nearest,
        [POINTS, CENTERS, _i64(7)],
        name="k_clipped_to_centers",
        grad=False,
        atol=1e-5,
    ),
    OpCase(
        "KmeansPlusPlusInitialization",
        lambda p, n, s, r: _columns_sorted(kmeans_plus_plus_initialization(p, n, s, r)),
        lambda p, n, s, r: [np.sort(p[:, 0]), np.sort(p[:, 1])],
        [POINTS, _i64(5), _i64(7), _i64(2)],
        name="all_points",
        grad=False,
    ),
    OpCase(
        "KmeansPlusPlusInitialization",
        lambda p, n, s, r: _columns_sorted(kmeans_plus_plus_initialization(p, n, s, r)),
        lambda p, n, s, r: [np.float32([0, 10]), np.float32([0, 10])],
        [TWO_BLOBS, _i64(2), _i64(3), _i64(-1)],
        name="one_per_blob",
        grad=False,
    ),
    OpCase(
        "KMC2ChainInitialization",
        lambda d, s: kmc2_chain_initialization(d, s),
        lambda d, s: np.int64(2),
        [np.float32([0.0, 0.0, 5.0, 0.0]), _i64(11)],
        grad=False,
    ),
]
