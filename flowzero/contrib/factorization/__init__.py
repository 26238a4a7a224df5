"""tf.contrib.factorization: k-means clustering (TF 1.15's KMeans graph builder, its
kernels, and the KMeansClustering estimator, loaded on first use). TF's WALS and GMM models
are not here."""

from flowzero.contrib.factorization.clustering_ops import (
    CLUSTERS_VAR_NAME,
    COSINE_DISTANCE,
    KMC2_INIT,
    KMEANS_PLUS_PLUS_INIT,
    RANDOM_INIT,
    SQUARED_EUCLIDEAN_DISTANCE,
    KMeans,
)
from flowzero.ops.clustering_ops import (
    kmc2_chain_initialization,
    kmeans_plus_plus_initialization,
    nearest_neighbors,
)


def __getattr__(name: str) -> object:
    if name != "KMeansClustering":
        raise AttributeError(f"module 'flowzero.contrib.factorization' has no attribute '{name}'")
    from flowzero.contrib.factorization.kmeans import KMeansClustering

    globals()[name] = KMeansClustering
    return KMeansClustering


__all__ = [
    "KMeans",
    "KMeansClustering",
    "SQUARED_EUCLIDEAN_DISTANCE",
    "COSINE_DISTANCE",
    "RANDOM_INIT",
    "KMEANS_PLUS_PLUS_INIT",
    "KMC2_INIT",
    "CLUSTERS_VAR_NAME",
    # the kernels, which TF's contrib module re-exports from gen_clustering_ops
    "nearest_neighbors",
    "kmeans_plus_plus_initialization",
    "kmc2_chain_initialization",
]
