"""The clustering kernels behind k-means (TF's gen_clustering_ops): NearestNeighbors,
KmeansPlusPlusInitialization and KMC2ChainInitialization.

TF exposes them only as raw ops (tf.contrib.factorization's KMeans builds them); so does
flowzero: the builders here are used by flowzero/contrib/factorization and are not in the root
namespace. Like TF's kernels they take float32 points and int64 scalars, and the two samplers
are stateless: the same seed picks the same points on every run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import _graph_for, op_input


def _matrix_dims(self: OpDef, t: Tensor, what: str) -> tuple[Any, Any]:
    if t.shape.ndims not in (None, 2):
        raise self.error(f"{what} must be a matrix; got shape {t.shape}.")
    if t.shape.ndims is None:
        return None, None
    rows, cols = t.shape.known  # type: ignore[misc]
    return rows, cols


def _scalar_spec(self: OpDef, t: Tensor, what: str) -> None:
    if t.shape.ndims not in (None, 0):
        raise self.error(f"{what} must be a scalar; got shape {t.shape}.")


def _check_matrix(self: OpDef, a: np.ndarray, what: str) -> None:
    if a.ndim != 2:
        raise self.error(f"{what} must be a matrix; got shape {a.shape}.")


def _check_scalar(self: OpDef, a: np.ndarray, what: str) -> int:
    if a.ndim != 0:
        raise self.error(f"{what} must be a scalar; got shape {a.shape}.")
    return int(a)


def _rng(seed: int) -> np.random.Generator:
    # The kernel is stateless, as TF's (a Philox stream made from `seed` on every run).
    return np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)


@register_op("NearestNeighbors")
class NearestNeighbors(OpDef):
    """indices[i], distances[i] = the k centers nearest to points[i] (squared Euclidean
    distance, nearest first, ties to the lower index); k is clipped to the number of centers."""

    differentiable = False

    def infer(self, points: Tensor, centers: Tensor, k: Tensor) -> list[TensorSpec]:
        n, d = _matrix_dims(self, points, "points")
        _, dc = _matrix_dims(self, centers, "centers")
        _scalar_spec(self, k, "k")
        if d is not None and dc is not None and d != dc:
            raise self.error(
                f"points and centers must have the same number of columns; got points: "
                f"{points.shape}, centers: {centers.shape}."
            )
        return [spec([n, None], dtypes.int64), spec([n, None], dtypes.float32)]

    def compute(self, points: np.ndarray, centers: np.ndarray, k: np.ndarray) -> list[Any]:
        _check_matrix(self, points, "points")
        if centers.ndim == 1 and centers.size == 0:
            raise self.error(
                "centers must be a matrix; got shape (0,): no centers chosen yet (KMeans: run "
                "init_op until cluster_centers_initialized is True before training)."
            )
        _check_matrix(self, centers, "centers")
        kv = _check_scalar(self, k, "k")
        if points.shape[0] == 0:
            raise self.error("points must have at least one row; got shape (0, ...).")
        if points.shape[1] != centers.shape[1]:
            raise self.error(
                f"points and centers must have the same number of columns; got points: "
                f"{points.shape}, centers: {centers.shape}."
            )
        if kv < 0:
            raise self.error(f"k must be >= 0; got {kv}.")
        n = points.shape[0]
        kv = min(kv, centers.shape[0])
        if kv == 0:
            return [np.zeros((n, 0), np.int64), np.zeros((n, 0), np.float32)]
        # |x - c|^2 = 2 (|x|^2 / 2 + (|c|^2 / 2 - x.c)): the point's term does not change
        # which centers are nearest, so rank on the centers' part only (as TF's kernel).
        half_c = 0.5 * np.einsum("ij,ij->i", centers, centers)
        part = half_c[None, :] - points @ centers.T
        if kv == 1:
            idx = np.argmin(part, axis=1)[:, None]
        else:
            idx = np.argsort(part, axis=1, kind="stable")[:, :kv]
        half_x = 0.5 * np.einsum("ij,ij->i", points, points)
        dist = 2.0 * (half_x[:, None] + np.take_along_axis(part, idx, axis=1))
        return [idx.astype(np.int64), dist.astype(np.float32)]


@register_op("KmeansPlusPlusInitialization")
class KmeansPlusPlusInitialization(OpDef):
    """samples = num_to_sample distinct rows of points picked by k-means++: the first
    uniformly, each next one with probability proportional to its squared distance to the
    nearest row already picked (of 1 + num_retries_per_sample draws, the one leaving the least
    total distance)."""

    differentiable = False

    def infer(
        self, points: Tensor, num_to_sample: Tensor, seed: Tensor, num_retries: Tensor
    ) -> TensorSpec:
        _, d = _matrix_dims(self, points, "points")
        _scalar_spec(self, num_to_sample, "num_to_sample")
        _scalar_spec(self, seed, "seed")
        _scalar_spec(self, num_retries, "num_retries_per_sample")
        return spec([None, d], dtypes.float32)

    def compute(
        self, points: np.ndarray, num_to_sample: np.ndarray, seed: np.ndarray, retries: np.ndarray
    ) -> np.ndarray:
        _check_matrix(self, points, "points")
        k = _check_scalar(self, num_to_sample, "num_to_sample")
        s = _check_scalar(self, seed, "seed")
        r = _check_scalar(self, retries, "num_retries_per_sample")
        n = points.shape[0]
        if n <= 0:
            raise self.error("points must have at least one row; got shape (0, ...).")
        if k <= 0:
            raise self.error(f"num_to_sample must be > 0; got {k}.")
        if k > n:
            raise self.error(
                f"num_to_sample must be <= the number of points; got {k} vs {n} points "
                f"(points: {points.shape})."
            )
        if r < 0:
            r = 2 + int(np.log(k))
        rng = _rng(s)
        half_norm = 0.5 * np.einsum("ij,ij->i", points, points)
        min_dist = np.full(n, np.inf, np.float32)
        picked: list[int] = []
        taken = np.zeros(n, bool)

        def draw(cumsum: np.ndarray | None) -> int:
            while True:
                if cumsum is None or not cumsum[-1] > 0:
                    i = int(rng.integers(n))
                else:
                    u = rng.random() * cumsum[-1]
                    i = min(int(np.searchsorted(cumsum, u, side="right")), n - 1)
                if not taken[i]:
                    return i

        def half_dist_to(i: int) -> np.ndarray:
            d = half_norm - points @ points[i] + half_norm[i]
            return np.maximum(d, 0, out=d)  # rounding must not give a negative weight

        for _ in range(k):
            cumsum = np.cumsum(min_dist, dtype=np.float64) if picked else None
            best, best_pot, best_min = -1, np.inf, min_dist
            for _ in range(1 + r):
                i = draw(cumsum)
                new_min = np.minimum(min_dist, half_dist_to(i))
                pot = float(new_min.sum(dtype=np.float64))
                if best < 0 or pot < best_pot:
                    best, best_pot, best_min = i, pot, new_min
            min_dist = best_min
            picked.append(best)
            taken[best] = True
        return points[picked].astype(np.float32)


@register_op("KMC2ChainInitialization")
class KMC2ChainInitialization(OpDef):
    """index = the last state of a Markov chain over the candidates: start at 0, then move to
    candidate i with probability min(1, distances[i] / distances[current])."""

    differentiable = False

    def infer(self, distances: Tensor, seed: Tensor) -> TensorSpec:
        if distances.shape.ndims not in (None, 1):
            raise self.error(f"distances must be a vector; got shape {distances.shape}.")
        _scalar_spec(self, seed, "seed")
        return spec([], dtypes.int64)

    def compute(self, distances: np.ndarray, seed: np.ndarray) -> np.ndarray:
        if distances.ndim != 1:
            raise self.error(f"distances must be a vector; got shape {distances.shape}.")
        s = _check_scalar(self, seed, "seed")
        n = distances.shape[0]
        if n <= 0:
            raise self.error("distances must not be empty; got shape (0,).")
        u = _rng(s).random(n - 1)
        cur, cur_d = 0, float(distances[0])
        for i in range(1, n):
            d = float(distances[i])
            if d > u[i - 1] * cur_d:
                cur, cur_d = i, d
        return np.array(cur, np.int64)


def nearest_neighbors(points: Any, centers: Any, k: Any, name: str | None = None) -> list[Tensor]:
    """For each row of `points` (float32 [n, d]), the int64 indices [n, k] and the squared
    Euclidean distances [n, k] of its `k` nearest rows of `centers` ([m, d]), nearest first.

    Example:
        >>> from flowzero.ops.clustering_ops import nearest_neighbors
        >>> idx, dist = nearest_neighbors([[0.0, 0.0], [5.0, 5.0]], [[4.0, 4.0], [1.0, 0.0]], 1)
        >>> print(tf.Session().run([idx, dist]))
        [array([[1],
               [0]]), array([[1.],
               [2.]], dtype=float32)]
    """
    with _graph_for(points, centers, k):
        p = op_input(points, dtypes.float32, "NearestNeighbors", "points")
        c = op_input(centers, dtypes.float32, "NearestNeighbors", "centers")
        kk = op_input(k, dtypes.int64, "NearestNeighbors", "k")
        idx, dist = apply_op(NearestNeighbors, [p, c, kk], name=name)
    return [idx, dist]


def kmeans_plus_plus_initialization(
    points: Any,
    num_to_sample: Any,
    seed: Any,
    num_retries_per_sample: Any,
    name: str | None = None,
) -> Tensor:
    """`num_to_sample` distinct rows of `points` (float32 [n, d]) chosen by k-means++ with
    `seed`; a negative `num_retries_per_sample` means 2 + log(num_to_sample) retries."""
    with _graph_for(points, num_to_sample, seed, num_retries_per_sample):
        op = "KmeansPlusPlusInitialization"
        p = op_input(points, dtypes.float32, op, "points")
        k = op_input(num_to_sample, dtypes.int64, op, "num_to_sample")
        s = op_input(seed, dtypes.int64, op, "seed")
        r = op_input(num_retries_per_sample, dtypes.int64, op, "num_retries_per_sample")
        return apply_op(KmeansPlusPlusInitialization, [p, k, s, r], name=name)


def kmc2_chain_initialization(distances: Any, seed: Any, name: str | None = None) -> Tensor:
    """The int64 index picked by one k-MC2 Markov chain over the candidates' `distances`
    (float32 vector) to the current centers."""
    with _graph_for(distances, seed):
        d = op_input(distances, dtypes.float32, "KMC2ChainInitialization", "distances")
        s = op_input(seed, dtypes.int64, "KMC2ChainInitialization", "seed")
        return apply_op(KMC2ChainInitialization, [d, s], name=name)


# TF has these only as raw ops (gen_clustering_ops): nothing for the root namespace.
__all__: list[str] = []
