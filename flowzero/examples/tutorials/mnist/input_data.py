"""TF1's `tensorflow.examples.tutorials.mnist.input_data`: flowzero.datasets.input_data."""

from flowzero.datasets.input_data import DataSet, Datasets, read_data_sets

__all__ = ["DataSet", "Datasets", "read_data_sets"]
