"""The candidate samplers draw random classes: no NumPy reference value; their distributions
and expected counts are tested in tests/ops/test_candidate_sampling.py and
tests/ops/test_candidate_samplers_more.py. ComputeAccidentalHits is deterministic."""

import numpy as np

from flowzero.ops import candidate_sampling_ops as cs
from flowzero.testing.op_cases import OpCase


def ref_hits(t, s):
    rows, ids = [], []
    for i in range(t.shape[0]):
        for v in t[i]:
            where = np.flatnonzero(s == v)
            if where.size:
                rows.append(i)
                ids.append(where[-1])  # the last position of a repeated candidate
    lowest = np.finfo(np.float32).min
    return (
        np.array(rows, np.int32),
        np.array(ids, np.int64),
        np.full(len(rows), lowest, np.float32),
    )


CASES = [
    OpCase(
        "ComputeAccidentalHits",
        lambda t, s: cs.compute_accidental_hits(t, s, 2),
        ref_hits,
        [np.array([[1, 3], [2, 2], [0, 3], [9, 8]], np.int64), np.array([3, 2, 7, 3, 5], np.int64)],
        grad=False,
    ),
    OpCase(
        "ComputeAccidentalHits",
        lambda t, s: cs.compute_accidental_hits(t, s, 1),
        ref_hits,
        [np.array([[4], [6]], np.int64), np.array([1, 2], np.int64)],
        name="none",
        grad=False,
    ),
]

EXEMPT = {
    "LogUniformCandidateSampler": "random: tests/ops/test_candidate_sampling.py",
    "UniformCandidateSampler": "random: tests/ops/test_candidate_sampling.py",
    "FixedUnigramCandidateSampler": "random: tests/ops/test_candidate_samplers_more.py",
    "LearnedUnigramCandidateSampler": "random: tests/ops/test_candidate_samplers_more.py",
    "AllCandidateSampler": "stateful sampler op: tests/ops/test_candidate_samplers_more.py",
}
