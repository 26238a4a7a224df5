"""Each rank's shard of every epoch: disjoint, equal, seeded, and equal to the 1-process batch."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero.distributed as dist


@pytest.mark.parametrize("ranks", [1, 2, 3, 4])
def test_shards_are_disjoint_equal_and_rebuild_the_single_process_batches(ranks: int) -> None:
    n, batch = 103, 5
    shards = [
        dist.shard_indices(n, batch, epoch=2, seed=9, rank=r, num_ranks=ranks) for r in range(ranks)
    ]
    steps = n // (batch * ranks)
    assert dist.steps_per_epoch(n, batch, ranks) == steps
    assert all(len(s) == steps * batch for s in shards)
    together = np.concatenate(shards)
    assert len(np.unique(together)) == len(together)  # disjoint, no repeats
    single = dist.shard_indices(n, batch * ranks, epoch=2, seed=9, rank=0, num_ranks=1)
    for step in range(steps):
        per_rank = [s[step * batch : (step + 1) * batch] for s in shards]
        np.testing.assert_array_equal(
            np.concatenate(per_rank), single[step * batch * ranks : (step + 1) * batch * ranks]
        )


def test_shards_are_seeded_per_epoch() -> None:
    a = dist.shard_indices(1000, 10, epoch=0, seed=1, rank=1, num_ranks=2)
    np.testing.assert_array_equal(a, dist.shard_indices(1000, 10, 0, 1, rank=1, num_ranks=2))
    assert not np.array_equal(a, dist.shard_indices(1000, 10, 1, 1, rank=1, num_ranks=2))
    assert not np.array_equal(a, dist.shard_indices(1000, 10, 0, 2, rank=1, num_ranks=2))
    ordered = dist.shard_indices(12, 2, 0, shuffle=False, rank=1, num_ranks=3)
    np.testing.assert_array_equal(ordered, [2, 3, 8, 9])


def test_iterate_shard_yields_this_ranks_batches() -> None:
    x = np.arange(40).reshape(20, 2)
    t = np.arange(20)
    batches = list(dist.iterate_shard(x, t, 3, epoch=0, seed=0, rank=1, num_ranks=2))
    assert len(batches) == 3
    idx = dist.shard_indices(20, 3, 0, 0, rank=1, num_ranks=2)
    np.testing.assert_array_equal(np.concatenate([tb for _, tb in batches]), idx)
    for xb, tb in batches:
        np.testing.assert_array_equal(xb[:, 0] // 2, tb)
    # In this (1-rank) process the defaults are rank 0 of 1.
    assert len(list(dist.iterate_shard(x, t, 4, epoch=0))) == 5


def test_sharding_errors() -> None:
    with pytest.raises(ValueError, match="do not fill one global batch of 8 x 2 ranks = 16"):
        dist.shard_indices(10, 8, 0, rank=0, num_ranks=2)
    with pytest.raises(ValueError, match="rank must be in"):
        dist.shard_indices(10, 1, 0, rank=2, num_ranks=2)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        dist.steps_per_epoch(10, 0)
    with pytest.raises(ValueError, match="same number of samples"):
        next(dist.iterate_shard(np.zeros(3), np.zeros(4), 1, 0))


def test_shard_range_splits_an_evaluation_set() -> None:
    parts = [dist.shard_range(10, r, 3) for r in range(3)]
    assert [(p.start, p.stop) for p in parts] == [(0, 4), (4, 7), (7, 10)]
    assert dist.shard_range(10) == slice(0, 10)


def test_root_print(capsys: pytest.CaptureFixture[str]) -> None:
    dist.root_print("only on rank", 0)
    assert capsys.readouterr().out == "only on rank 0\n"
