"""DataSet.next_batch as TF1's tutorial helper, the epoch iterator, the book's random batches."""

from __future__ import annotations

import numpy as np
import pytest

from flowzero.datasets import DataSet, Dataset, iterate_minibatches, random_batch


def make(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return x, np.arange(n)  # label i belongs to row i


def rows(xb: np.ndarray) -> np.ndarray:
    return (xb[:, 0] // 3).astype(int)


def test_epoch_boundary_like_tf() -> None:
    x, t = make(10)
    ds = DataSet(x, t, seed=42)
    rng = np.random.default_rng(42)  # the same draws, replayed
    perm0, perm1 = rng.permutation(10), rng.permutation(10)
    b1, b2 = ds.next_batch(4), ds.next_batch(4)
    np.testing.assert_array_equal(b1[1], perm0[:4])
    np.testing.assert_array_equal(b2[1], perm0[4:8])
    assert (ds.epochs_completed, ds.index_in_epoch) == (0, 8)
    # Crossing the end: the rest of epoch 0, then the start of the newly shuffled epoch 1.
    xb, tb = ds.next_batch(4)
    np.testing.assert_array_equal(tb, np.concatenate([perm0[8:], perm1[:2]]))
    np.testing.assert_array_equal(rows(xb), tb)  # inputs and labels stay together
    assert (ds.epochs_completed, ds.index_in_epoch) == (1, 2)
    np.testing.assert_array_equal(ds.next_batch(4)[1], perm1[2:6])


def test_each_epoch_sees_every_sample_once() -> None:
    x, t = make(12)
    ds = Dataset(x, t, seed=0)
    seen = np.concatenate([ds.next_batch(3)[1] for _ in range(4 * 5)])
    for epoch in seen.reshape(5, 12):
        assert sorted(epoch) == list(range(12))
    assert not all((e == seen[:12]).all() for e in seen.reshape(5, 12)[1:])  # reshuffled


def test_epochs_completed_counts_lazily_when_batches_divide_the_set() -> None:
    # TF's helper increments epochs_completed on the call that *starts* past the end.
    ds = DataSet(*make(10), seed=0)
    ds.next_batch(5)
    ds.next_batch(5)
    assert (ds.epochs_completed, ds.index_in_epoch) == (0, 10)
    ds.next_batch(5)
    assert (ds.epochs_completed, ds.index_in_epoch) == (1, 5)


def test_seeded_reproducibility() -> None:
    x, t = make(50)

    def run(seed: int) -> list[np.ndarray]:
        ds = DataSet(x, t, seed=seed)
        return [ds.next_batch(7)[1] for _ in range(20)]

    a, b, c = run(3), run(3), run(4)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert any((u != w).any() for u, w in zip(a, c))


def test_no_shuffle_is_sequential_and_wraps() -> None:
    ds = DataSet(*make(5))
    got = [ds.next_batch(2, shuffle=False)[1].tolist() for _ in range(4)]
    assert got == [[0, 1], [2, 3], [4, 0], [1, 2]]
    assert ds.epochs_completed == 1


def test_dataset_properties_and_errors() -> None:
    x, t = make(6)
    ds = DataSet(x, t, seed=1)
    assert ds.images is x and ds.labels is t and ds.num_examples == len(ds) == 6
    assert "num_examples=6" in repr(ds)
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        ds.next_batch(0)
    # More than the samples (a big batch on a small set): the epoch, then the next one's
    # start, as TF1's DataSet does.
    xs, _ = ds.next_batch(9)
    assert len(xs) == 9 and ds.epochs_completed == 1 and len(np.unique(xs[:6], axis=0)) == 6
    with pytest.raises(ValueError, match="same number of samples; got 6 inputs and 5 labels"):
        DataSet(x, t[:5])
    assert ds.next_batch(6)[1].tolist() != []  # a whole epoch at once is fine


def test_dataset_batches_is_one_epoch() -> None:
    ds = DataSet(*make(10), seed=5)
    e1 = np.concatenate([tb for _, tb in ds.batches(4)])
    e2 = np.concatenate([tb for _, tb in ds.batches(4)])
    assert sorted(e1) == sorted(e2) == list(range(10)) and (e1 != e2).any()
    assert [len(tb) for _, tb in ds.batches(4, drop_last=True)] == [4, 4]


def test_iterate_minibatches() -> None:
    x, t = make(10)
    batches = list(iterate_minibatches(x, t, 4, seed=0))
    assert [len(tb) for _, tb in batches] == [4, 4, 2]
    order = np.concatenate([tb for _, tb in batches])
    assert sorted(order) == list(range(10))
    np.testing.assert_array_equal(order, np.random.default_rng(0).permutation(10))
    for xb, tb in batches:
        np.testing.assert_array_equal(rows(xb), tb)
    # An int seed repeats the order; a Generator moves on every epoch, reproducibly.
    again = np.concatenate([tb for _, tb in iterate_minibatches(x, t, 4, seed=0)])
    np.testing.assert_array_equal(again, order)
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    e = [np.concatenate([tb for _, tb in iterate_minibatches(x, t, 3, seed=g1)]) for _ in range(2)]
    f = [np.concatenate([tb for _, tb in iterate_minibatches(x, t, 3, seed=g2)]) for _ in range(2)]
    assert (e[0] != e[1]).any()
    np.testing.assert_array_equal(e[1], f[1])
    plain = list(iterate_minibatches(x, t, 4, shuffle=False, drop_last=True))
    assert [tb.tolist() for _, tb in plain] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="positive integer"):
        list(iterate_minibatches(x, t, -1))


def test_random_batch_like_the_book() -> None:
    x, t = make(100)
    rng = np.random.default_rng(0)
    xb, tb = random_batch(x, t, 30, rng)
    assert len(set(tb.tolist())) == 30  # without replacement
    np.testing.assert_array_equal(rows(xb), tb)
    np.testing.assert_array_equal(tb, np.random.default_rng(0).choice(100, 30, replace=False))
    assert (random_batch(x, t, 30, rng)[1] != tb).any()  # a fresh draw each step
    np.testing.assert_array_equal(random_batch(x, t, 30, 0)[1], tb)  # int seed: a new Generator
    # rng=None draws from NumPy's global state, as the book's np.random.choice does.
    np.random.seed(7)
    a = random_batch(x, t, 10)[1]
    np.random.seed(7)
    np.testing.assert_array_equal(a, np.random.choice(100, 10, replace=False))
    legacy = np.random.RandomState(1)
    np.testing.assert_array_equal(
        random_batch(x, t, 10, legacy, replace=True)[1], np.random.RandomState(1).choice(100, 10)
    )
    assert len(random_batch(x[:5], t[:5], 8, rng, replace=True)[1]) == 8
    with pytest.raises(ValueError, match=r"at most the number of samples \(5\); got 8"):
        random_batch(x[:5], t[:5], 8, rng)
