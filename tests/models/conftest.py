"""Shared fixtures for the book's networks: the bundled digits and a fresh graph per test."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.datasets import mnist


@pytest.fixture(scope="session")
def digits():
    """(x_train (4000, 784), t_train, x_test (1000, 784), t_test) of the bundled subset."""
    (x, t), (xt, tt) = mnist.load_mnist(normalize=True, flatten=True)
    return x, t.astype(np.int32), xt, tt.astype(np.int32)


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield
