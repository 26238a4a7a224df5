"""Datasets: MNIST (a bundled real 5,000-digit subset, works offline)."""

from flowzero.datasets import mnist

__all__ = ["mnist"]
