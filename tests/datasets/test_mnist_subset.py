"""The bundled MNIST subset: real digits, fixed split, the book's load_mnist shapes."""

from __future__ import annotations

import numpy as np

from flowzero.datasets import mnist


def test_subset_shapes_and_split() -> None:
    (xtr, ytr), (xte, yte) = mnist.load_subset()
    assert xtr.shape == (4000, 28, 28) and xte.shape == (1000, 28, 28)
    assert xtr.dtype == np.uint8 and ytr.dtype == np.uint8
    assert set(np.unique(ytr)) == set(range(10)) and set(np.unique(yte)) == set(range(10))
    assert xtr.max() == 255 and xtr.min() == 0
    # Real digits: ink covers roughly a fifth of the pixels on average.
    assert 0.1 < (xtr > 0).mean() < 0.3


def test_book_load_mnist_formats() -> None:
    (x, t), (xt, tt) = mnist.load_mnist(normalize=True, flatten=True, one_hot_label=True)
    assert x.shape == (4000, 784) and x.dtype == np.float32 and 0.0 <= x.min() <= x.max() <= 1.0
    assert t.shape == (4000, 10) and (t.sum(axis=1) == 1).all()
    (x, t), _ = mnist.load_mnist(normalize=False, flatten=False)
    assert x.shape == (4000, 1, 28, 28) and x.dtype == np.uint8 and t.shape == (4000,)
