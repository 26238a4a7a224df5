"""Datasets: MNIST (full set from the standard IDX files, or a bundled real 5,000-digit subset
that works offline) and mini-batching helpers.

    from flowzero.datasets import mnist
    (x_train, t_train), (x_test, t_test) = mnist.load_mnist(normalize=True, one_hot_label=True)
    print(mnist.last_source)    # which MNIST was used, and why
"""

from flowzero.datasets import input_data, mnist
from flowzero.datasets.batching import DataSet, Dataset, iterate_minibatches, random_batch
from flowzero.datasets.input_data import Datasets, read_data_sets

__all__ = [
    "DataSet",
    "Dataset",
    "Datasets",
    "input_data",
    "iterate_minibatches",
    "mnist",
    "random_batch",
    "read_data_sets",
]
