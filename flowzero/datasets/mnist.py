"""MNIST: the bundled real subset, in the shapes the book's `load_mnist` returns.

The subset is 5,000 real MNIST digits (4,000 train / 1,000 test, a fixed seeded split) stored
as uint8 in a NumPy `.npz` read with allow_pickle=False — never a pickle.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import numpy as np

SUBSET_SHA256 = "2d08a2e7b222682d740f8a8720a88f7bfeeacbbdcf4f7927737b279b513ded5a"


def load_subset() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, y_train), (x_test, y_test)) of the bundled subset: uint8 (N, 28, 28), (N,).

    Raises:
        OSError: the bundled file is missing or does not match its checksum.
    """
    ref = resources.files("flowzero.datasets") / "data" / "mnist_subset.npz"
    raw = ref.read_bytes()
    if hashlib.sha256(raw).hexdigest() != SUBSET_SHA256:
        raise OSError(f"bundled MNIST subset {ref} is corrupt (sha256 mismatch); reinstall "
                      "flowzero or rebuild it with scripts/make_mnist_subset.py.")
    import io

    with np.load(io.BytesIO(raw), allow_pickle=False) as d:
        return (d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])


def _one_hot(labels: np.ndarray, n: int = 10) -> np.ndarray:
    out = np.zeros((labels.size, n), dtype=np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False
               ) -> tuple[tuple[np.ndarray, Any], tuple[np.ndarray, Any]]:
    """The book's `load_mnist` on the bundled subset.

    Args:
        normalize: pixels as float32 in [0, 1] (else uint8 0-255).
        flatten: images as (N, 784) (else (N, 1, 28, 28) as the book's CNN chapters use).
        one_hot_label: labels as (N, 10) float32 one-hot (else uint8 indices).

    Returns:
        ((x_train, t_train), (x_test, t_test)).
    """
    (xtr, ytr), (xte, yte) = load_subset()

    def prep(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = x.astype(np.float32) / 255.0 if normalize else x
        return out.reshape(len(x), 784) if flatten else out.reshape(len(x), 1, 28, 28)

    def lab(y: np.ndarray) -> Any:
        return _one_hot(y) if one_hot_label else y

    return (prep(xtr), lab(ytr)), (prep(xte), lab(yte))
