"""Shared fixtures for the book's networks: the bundled digits."""

from __future__ import annotations

import numpy as np
import pytest

from flowzero.datasets import mnist


@pytest.fixture(scope="session")
def digits():
    """(x_train (4000, 784), t_train, x_test (1000, 784), t_test) of the bundled subset."""
    (x, t), (xt, tt) = mnist.load_mnist(normalize=True, flatten=True)
    return x, t.astype(np.int32), xt, tt.astype(np.int32)


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """NOTE: these graphs are small (GEMMs of ~100 x 784), and on a 2-core machine shared with
    other processes a multi-threaded BLAS spins its threads against them: measured 67 s vs 7.6 s
    for test_multi_layer_net.py at load average 5. One BLAS thread per module here, restored
    afterwards."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it the tests are only slower under load
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
