"""Data parallelism's bookkeeping: each rank's shard of every epoch, metrics averaged across
ranks, and rank-0-only output.

`shard_indices` / `iterate_shard` split every epoch into disjoint, equal shards: all ranks draw
the same seeded permutation of the samples (seeded by (seed, epoch)), global batch `i` is
`perm[i*B*n : (i+1)*B*n]` for n ranks and B samples per rank, and rank `r` takes its `r`-th
block of B. So:

- the shards of one epoch are disjoint and together hold every sample of the full global
  batches (the remainder, fewer than B*n samples, is dropped: every rank must take the same
  number of steps, or the others would wait for it in an allreduce);
- n ranks with B each see, step by step, exactly the batches of one process with batch B*n
  and the same seed, so DistributedOptimizer reproduces single-process training.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import comm


def steps_per_epoch(num_samples: int, batch_size: int, num_ranks: int | None = None) -> int:
    """How many steps each rank takes per epoch: full global batches of batch_size * ranks."""
    n = comm.size() if num_ranks is None else num_ranks
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive; got {batch_size}.")
    return num_samples // (batch_size * n)


def shard_indices(
    num_samples: int,
    batch_size: int,
    epoch: int,
    seed: int = 0,
    *,
    shuffle: bool = True,
    rank: int | None = None,
    num_ranks: int | None = None,
) -> np.ndarray:
    """This rank's sample indices for `epoch`, in step order (steps_per_epoch * batch_size).

    Args:
        num_samples: size of the training set.
        batch_size: samples per step on each rank.
        epoch: the epoch number (every epoch has its own permutation).
        seed: the same on every rank.
        shuffle: False: global batch i is samples i*B*n .. (i+1)*B*n - 1 in order.
        rank, num_ranks: default to this process's rank() and size().

    Raises:
        ValueError: the set holds fewer samples than one global batch (batch_size * ranks).
    """
    r = comm.rank() if rank is None else rank
    n = comm.size() if num_ranks is None else num_ranks
    if not 0 <= r < n:
        raise ValueError(f"rank must be in [0, {n}); got {r}.")
    steps = steps_per_epoch(num_samples, batch_size, n)
    if steps == 0:
        raise ValueError(
            f"{num_samples} samples do not fill one global batch of "
            f"{batch_size} x {n} ranks = {batch_size * n}; use a smaller "
            "batch_size."
        )
    order = (
        np.random.default_rng([int(seed), int(epoch)]).permutation(num_samples)
        if shuffle
        else np.arange(num_samples)
    )
    blocks = order[: steps * batch_size * n].reshape(steps, n, batch_size)
    return blocks[:, r, :].reshape(-1)


def iterate_shard(
    x: np.ndarray,
    t: np.ndarray,
    batch_size: int,
    epoch: int,
    seed: int = 0,
    *,
    shuffle: bool = True,
    rank: int | None = None,
    num_ranks: int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of this rank's mini-batches: (x_batch, t_batch) of `batch_size` each.

    Every rank yields the same number of batches (see shard_indices).

    Example:
        >>> import flowzero.distributed as dist   # run alone (no mpirun): size() == 1
        >>> x_train, t_train = np.arange(10.0), np.arange(10)
        >>> for epoch in range(2):
        ...     for xb, tb in dist.iterate_shard(x_train, t_train, 4, epoch, seed=0):
        ...         print(epoch, xb.shape)   # the last 2 samples do not fill a batch
        0 (4,)
        0 (4,)
        1 (4,)
        1 (4,)
    """
    x, t = np.asarray(x), np.asarray(t)
    if len(x) != len(t):
        raise ValueError(
            f"iterate_shard: inputs and labels must have the same number of "
            f"samples; got {len(x)} and {len(t)}."
        )
    idx = shard_indices(
        len(x), batch_size, epoch, seed, shuffle=shuffle, rank=rank, num_ranks=num_ranks
    )
    for start in range(0, len(idx), batch_size):
        sel = idx[start : start + batch_size]
        yield x[sel], t[sel]


def shard_range(num_samples: int, rank: int | None = None, num_ranks: int | None = None) -> slice:
    """A contiguous, nearly equal slice of `num_samples` for this rank (no sample dropped): for
    evaluation, where each rank scores its part of the test set and `average_metrics(...,
    weight=count)` combines the results."""
    r = comm.rank() if rank is None else rank
    n = comm.size() if num_ranks is None else num_ranks
    base, extra = divmod(num_samples, n)
    start = r * base + min(r, extra)
    return slice(start, start + base + (1 if r < extra else 0))


def average_metrics(values: Any, weight: float | None = None) -> Any:
    """The mean over ranks of a float, a sequence of floats or a {name: float} dict.

    Args:
        values: this rank's metrics (e.g. loss and accuracy on its shard).
        weight: this rank's weight (e.g. its number of samples) for a weighted mean; None:
            every rank counts the same.

    Returns:
        The same structure with every value replaced by the mean across ranks (Python floats).
        Every rank receives the result; only the root usually prints it.
    """
    st = comm._ensure()
    keys: list[Any] = []
    if isinstance(values, dict):
        keys = list(values)
        flat = [float(values[k]) for k in keys]
    elif isinstance(values, (list, tuple)):
        flat = [float(v) for v in values]
    else:
        flat = [float(values)]
    w = 1.0 if weight is None else float(weight)
    buf = np.array([v * w for v in flat] + [w], dtype=np.float64)
    if st.size > 1:
        if not comm.agree("average_metrics", (len(flat), comm._sig_hash(keys))):
            raise ValueError(
                "average_metrics: every rank must pass the same metrics (the "
                f"same keys in the same order); this rank (rank {st.rank}) passed "
                f"{len(flat)}: {keys or 'unnamed'}."
            )
        comm.allreduce_inplace(buf, average=False, what="average_metrics")
    total_w = buf[-1]
    means = [float(v / total_w) if total_w else float("nan") for v in buf[:-1]]
    if isinstance(values, dict):
        return dict(zip(keys, means))
    if isinstance(values, (list, tuple)):
        if hasattr(values, "_fields"):
            return type(values)(*means)
        return tuple(means) if isinstance(values, tuple) else means
    return means[0]


def root_print(*args: Any, **kwargs: Any) -> None:
    """print() on rank 0 only."""
    if comm.is_root():
        kwargs.setdefault("flush", True)
        print(*args, **kwargs)


__all__ = [
    "average_metrics",
    "iterate_shard",
    "root_print",
    "shard_indices",
    "shard_range",
    "steps_per_epoch",
]
