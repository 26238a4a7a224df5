"""Op-table rows for GatherTree (flowzero/ops/beam_search_ops.py): the reference follows each
beam's parent chain one step at a time, one (batch, beam) pair after another."""

import numpy as np

from flowzero.ops import beam_search_ops
from flowzero.testing.op_cases import OpCase


def gather_tree_ref(step_ids, parent_ids, lengths, end):
    max_time, batch, width = step_ids.shape
    out = np.full(step_ids.shape, end, np.int32)
    for b in range(batch):
        n = min(max_time, int(lengths[b]))
        for k in range(width):
            if n <= 0:
                continue
            beam = k
            for t in range(n - 1, -1, -1):
                out[t, b, k] = step_ids[t, b, beam]
                beam = parent_ids[t, b, beam]
            done = False
            for t in range(n):
                if done:
                    out[t, b, k] = end
                elif out[t, b, k] == end:
                    done = True
    return out


def _inputs(rng):
    step = rng.integers(0, 6, size=(5, 3, 4)).astype(np.int32)
    parent = rng.integers(0, 4, size=(5, 3, 4)).astype(np.int32)
    return [step, parent, np.array([5, 3, 0], np.int32), np.array(2, np.int32)]


def _long_lengths(rng):
    step, parent, _, end = _inputs(rng)
    return [step, parent, np.array([9, 1, 4], np.int32), end]


CASES = [
    OpCase(
        "GatherTree",
        lambda s, p, n, e: beam_search_ops.gather_tree(s, p, n, e),
        gather_tree_ref,
        _inputs,
        grad=False,
    ),
    OpCase(
        "GatherTree",
        lambda s, p, n, e: beam_search_ops.gather_tree(s, p, n, e),
        gather_tree_ref,
        _long_lengths,
        name="lengths_past_max_time",
        grad=False,
    ),
]
