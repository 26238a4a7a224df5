"""ops.common.scatter_add_rows: np.add.at's result (up to rounding), on the shapes the segment
sums and gather gradients give it, including repeated, missing and unsorted indices."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flowzero.ops.common import scatter_add_rows


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 300),
    n=st.integers(1, 40),
    tail=st.lists(st.integers(1, 9), min_size=0, max_size=2),
    seed=st.integers(0, 2**16),
)
def test_matches_np_add_at(m, n, tail, seed):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, m)
    rows = rng.normal(size=(m, *tail))
    start = rng.normal(size=(n, *tail))
    want = start.copy()
    np.add.at(want, idx, rows)
    got = start.copy()
    scatter_add_rows(got, idx, rows)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_negative_indices_wrap_as_np_add_at():
    idx = np.array([-1, 4] * 40)
    rows = np.ones((80, 10), np.float32)
    out = np.zeros((5, 10), np.float32)
    scatter_add_rows(out, idx, rows)
    assert out[4, 0] == 80 and out[:4].sum() == 0


def test_float32_segment_sums_stay_float32_and_close():
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 25, 3500)
    rows = rng.normal(size=(3500, 784)).astype(np.float32)
    out = np.zeros((25, 784), np.float32)
    scatter_add_rows(out, idx, rows)
    want = np.zeros((25, 784), np.float64)
    np.add.at(want, idx, rows.astype(np.float64))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-3)
