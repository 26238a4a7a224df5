"""tf.contrib.factorization: k-means clustering (TF 1.15's KMeans graph builder and the
KMeansClustering estimator, loaded on first use)."""

from flowzero.contrib.factorization.clustering_ops import (
    CLUSTERS_VAR_NAME,
    COSINE_DISTANCE,
    KMC2_INIT,
    KMEANS_PLUS_PLUS_INIT,
    RANDOM_INIT,
    SQUARED_EUCLIDEAN_DISTANCE,
    KMeans,
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
]
