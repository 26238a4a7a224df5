"""Mini-batches: TF1's `DataSet.next_batch`, an epoch iterator, and the book's random sampling.

Three ways to walk a training set, each with its own source of randomness (never NumPy's
global state unless you ask for it, as the book's loop does):

- `DataSet(x, t, seed=0).next_batch(100)`: TF1's MNIST tutorial helper. Shuffles at the start
  of every epoch; a batch that crosses the end of an epoch is the rest of the old epoch followed
  by the start of the newly shuffled one, and `epochs_completed` counts up when that happens.
- `iterate_minibatches(x, t, 100, seed=0)`: one epoch, every sample exactly once.
- `random_batch(x, t, 100, rng)`: the book's `np.random.choice(train_size, batch_size)` step.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Union

import numpy as np

Seed = Union[int, np.random.Generator, None]


def _generator(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_pair(x: np.ndarray, t: np.ndarray, who: str) -> None:
    if len(x) != len(t):
        raise ValueError(
            f"{who}: inputs and labels must have the same number of samples; got "
            f"{len(x)} inputs and {len(t)} labels."
        )


def _check_batch_size(batch_size: int, n: int | None, who: str) -> None:
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"{who}: batch_size must be a positive integer; got {batch_size!r}.")
    if n is not None and batch_size > n:
        raise ValueError(
            f"{who}: batch_size must be at most the number of samples ({n}); got {batch_size}."
        )


class DataSet:
    """Samples and labels with TF1's `next_batch` (tensorflow.examples.tutorials.mnist).

    Args:
        images: inputs, first axis = samples (any trailing shape).
        labels: targets, first axis = samples.
        seed: an int or a `np.random.Generator` for the per-epoch shuffles (None: fresh
            entropy). The same seed gives the same batches.

    `images` and `labels` are the arrays as given (unshuffled); batches gather through a
    permutation, so no epoch copies the whole set.
    """

    # TF1's fake DataSet (read_data_sets(..., fake_data=True)) reports this many examples.
    FAKE_NUM_EXAMPLES = 10000

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, *, seed: Seed = None, fake_data: bool = False
    ) -> None:
        images, labels = np.asarray(images), np.asarray(labels)
        _check_pair(images, labels, "DataSet")
        self._images, self._labels = images, labels
        # A fake DataSet holds no samples but, as TF1's, counts 10,000, so tutorial loops over
        # `num_examples // batch_size` steps run; every batch of it is fake (all ones).
        self._fake = fake_data
        self._n = self.FAKE_NUM_EXAMPLES if fake_data else len(images)
        self._rng = _generator(seed)
        self._perm = np.arange(self._n)
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self) -> np.ndarray:
        return self._images

    @property
    def labels(self) -> np.ndarray:
        return self._labels

    @property
    def num_examples(self) -> int:
        return self._n

    @property
    def epochs_completed(self) -> int:
        return self._epochs_completed

    @property
    def index_in_epoch(self) -> int:
        return self._index_in_epoch

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return (
            f"DataSet(num_examples={self._n}, images={self._images.shape} "
            f"{self._images.dtype}, labels={self._labels.shape} {self._labels.dtype}, "
            f"epochs_completed={self._epochs_completed})"
        )

    def _take(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._images[idx], self._labels[idx]

    def next_batch(
        self, batch_size: int, fake_data: bool = False, shuffle: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """The next `batch_size` samples, as TF1's `DataSet.next_batch`.

        Args:
            batch_size: a positive int. Larger than `num_examples` (a big batch on the bundled
                subset), it takes the whole epoch and then the start of the next, as TF1 does.
            fake_data: TF1's unit-test data: every image all ones, every label class 0 (one-hot
                when this DataSet's labels are); nothing is read from the set.
            shuffle: reshuffle at the start of each epoch (the first included).

        Returns:
            (images, labels) of the batch (copies).
        """
        _check_batch_size(batch_size, None, "DataSet.next_batch")
        if fake_data or self._fake:
            shape = self._images.shape[1:] if self._images.ndim > 1 else (784,)
            images = np.ones((batch_size, *shape), dtype=self._images.dtype)
            if self._labels.ndim == 2:
                labels = np.zeros((batch_size, self._labels.shape[1]), self._labels.dtype)
                labels[:, 0] = 1
            else:
                labels = np.zeros(batch_size, self._labels.dtype)
            return images, labels
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._perm = self._rng.permutation(self._n)
        if start + batch_size > self._n:
            # The epoch ends inside this batch: its rest, then the start of a fresh shuffle.
            self._epochs_completed += 1
            rest = self._perm[start:]
            if shuffle:
                self._perm = self._rng.permutation(self._n)
            self._index_in_epoch = batch_size - len(rest)
            return self._take(np.concatenate([rest, self._perm[: self._index_in_epoch]]))
        self._index_in_epoch = start + batch_size
        return self._take(self._perm[start : self._index_in_epoch])

    def batches(
        self, batch_size: int, shuffle: bool = True, drop_last: bool = False
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One epoch of batches drawn with this DataSet's generator (see iterate_minibatches).

        Independent of `next_batch`'s position; each call is a new epoch with a new order.
        """
        return iterate_minibatches(
            self._images,
            self._labels,
            batch_size,
            shuffle=shuffle,
            seed=self._rng,
            drop_last=drop_last,
        )


Dataset = DataSet


def iterate_minibatches(
    x: np.ndarray,
    t: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    seed: Seed = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch over (x, t) in batches; every sample appears exactly once.

    Args:
        x: inputs, first axis = samples.
        t: labels, first axis = samples.
        batch_size: samples per batch; the last batch is shorter unless `drop_last`.
        shuffle: visit the samples in a random order.
        seed: an int (the same order every call) or a `np.random.Generator` (a new order each
            epoch, reproducible from the generator's seed); None: fresh entropy.
        drop_last: skip a final batch smaller than `batch_size`.

    Yields:
        (x_batch, t_batch).

    Example:
        >>> from flowzero.datasets import iterate_minibatches
        >>> x, t = np.ones((5, 2), np.float32), np.arange(5)
        >>> x_ph = tf.placeholder(tf.float32, [None, 2])
        >>> batch_total = tf.reduce_sum(x_ph)
        >>> sess = tf.Session()
        >>> rng = np.random.default_rng(0)
        >>> for epoch in range(2):
        ...     seen = []
        ...     for xb, tb in iterate_minibatches(x, t, 2, seed=rng):
        ...         print(epoch, sess.run(batch_total, {x_ph: xb}))
        ...         seen.extend(tb)
        ...     assert sorted(seen) == [0, 1, 2, 3, 4]   # each sample once, shuffled
        0 4.0
        0 4.0
        0 2.0
        1 4.0
        1 4.0
        1 2.0
    """
    x, t = np.asarray(x), np.asarray(t)
    _check_pair(x, t, "iterate_minibatches")
    n = len(x)
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(
            f"iterate_minibatches: batch_size must be a positive integer; got {batch_size!r}."
        )
    order = _generator(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], t[idx]


def random_batch(
    x: np.ndarray,
    t: np.ndarray,
    batch_size: int,
    rng: np.random.Generator | np.random.RandomState | int | None = None,
    replace: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The book's mini-batch step: `batch_size` random samples, drawn afresh each call.

        batch_mask = rng.choice(train_size, batch_size, replace=False)
        return x[batch_mask], t[batch_mask]

    Args:
        x: inputs, first axis = samples.
        t: labels, first axis = samples.
        batch_size: samples per batch.
        rng: a `np.random.Generator` or `RandomState` (pass the same one every step); an int
            seeds a new Generator (so the same int gives the same batch); None uses NumPy's
            global state as the book does (`np.random.seed(...)` makes it reproducible).
        replace: draw with replacement. NOTE: the book's `np.random.choice(train_size,
            batch_size)` is with replacement (NumPy's default); False (no repeated sample
            within a batch) is the default here.

    Returns:
        (x_batch, t_batch).
    """
    x, t = np.asarray(x), np.asarray(t)
    _check_pair(x, t, "random_batch")
    if not replace:
        _check_batch_size(batch_size, len(x), "random_batch")
    elif not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(
            f"random_batch: batch_size must be a positive integer; got {batch_size!r}."
        )
    if rng is None:
        mask = np.random.choice(len(x), batch_size, replace=replace)
    elif isinstance(rng, (np.random.Generator, np.random.RandomState)):
        mask = rng.choice(len(x), batch_size, replace=replace)
    else:
        mask = np.random.default_rng(rng).choice(len(x), batch_size, replace=replace)
    return x[mask], t[mask]
