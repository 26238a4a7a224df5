"""TF1's `tensorflow.examples.tutorials.mnist.input_data`: `read_data_sets` -> DataSets.

    from flowzero.datasets import input_data
    mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)
    batch_xs, batch_ys = mnist.train.next_batch(100)

On the full set when it is in the data directory, else on the bundled subset (see
`flowzero.datasets.mnist`; `mnist.last_source` says which).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np

from flowzero.datasets.batching import DataSet
from flowzero.datasets.mnist import _one_hot, _record, _resolve

__all__ = ["DataSet", "Datasets", "read_data_sets"]


class Datasets(NamedTuple):
    """TF1's `base.Datasets`: three DataSets."""

    train: DataSet
    validation: DataSet
    test: DataSet


def read_data_sets(
    train_dir: str | os.PathLike[str] | None = None,
    fake_data: bool = False,
    one_hot: bool = False,
    dtype: Any = np.float32,
    reshape: bool = True,
    validation_size: int | None = None,
    seed: int | None = None,
    source: str = "auto",
    download: bool | None = None,
) -> Datasets:
    """TF1's `tensorflow.examples.tutorials.mnist.input_data.read_data_sets`.

    Args:
        train_dir: the directory with the full set's files (TF's argument; see
            `mnist.get_data_dir()`).
        fake_data: TF1's unit-test mode: three DataSets that hold no samples, count 10,000
            (`num_examples`, as TF1's) and give all-ones images from `next_batch` (nothing is
            read).
        one_hot: labels as (N, 10) float32 one-hot (else uint8).
        dtype: float32 (tf.float32 or np.float32) scales pixels to [0, 1] (as TF); uint8 keeps
            0-255.
        reshape: images as (N, 784); else (N, 28, 28, 1) as TF.
        validation_size: the first `validation_size` training images become the validation
            set (as TF). None: 5,000 on the full set (TF's default), 500 on the subset.
        seed: seeds the shuffles of the three DataSets' `next_batch`.
        source, download: as `load_data`.

    Raises:
        ValueError: validation_size is not between 0 and the number of training images.
    """
    if fake_data:
        dt0 = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
        shape = (0, 784) if reshape else (0, 28, 28, 1)
        empty = DataSet(
            np.zeros(shape, dt0),
            np.zeros((0, 10) if one_hot else 0, np.float32 if one_hot else np.uint8),
            fake_data=True,
        )
        return Datasets(train=empty, validation=empty, test=empty)
    arrays, src = _resolve(source, train_dir, download)
    _record(src)
    (xtr, ytr), (xte, yte) = arrays
    # A flowzero DType (tf.float32) or anything NumPy understands.
    dt = np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
    if dt not in (np.float32, np.uint8):
        raise TypeError(f"read_data_sets: dtype must be float32 or uint8; got {dt}.")
    if validation_size is None:
        validation_size = 5000 if src.name == "full" else 500
    if not 0 <= validation_size <= len(xtr):
        raise ValueError(
            f"read_data_sets: validation_size must be between 0 and {len(xtr)} "
            f"(the {src.name} set's training images); got {validation_size}."
        )

    def images(x: np.ndarray) -> np.ndarray:
        x = x.reshape(len(x), 784) if reshape else x.reshape(len(x), 28, 28, 1)
        return x.astype(np.float32) * np.float32(1.0 / 255.0) if dt == np.float32 else x

    def labels(y: np.ndarray) -> np.ndarray:
        return _one_hot(y) if one_hot else y

    ss = np.random.SeedSequence(seed).spawn(3)
    v = validation_size
    return Datasets(
        train=DataSet(images(xtr[v:]), labels(ytr[v:]), seed=np.random.default_rng(ss[0])),
        validation=DataSet(images(xtr[:v]), labels(ytr[:v]), seed=np.random.default_rng(ss[1])),
        test=DataSet(images(xte), labels(yte), seed=np.random.default_rng(ss[2])),
    )
