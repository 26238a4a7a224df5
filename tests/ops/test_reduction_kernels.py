"""Sum, Mean, Max and Min call the ufunc's reduce directly (np.sum/np.max without their Python
wrappers): their results must be the wrappers', bit for bit, dtype included."""

from __future__ import annotations

import numpy as np
import pytest

from flowzero.ops.reduction_ops import Max, Mean, Min, Sum

AXES = [None, (0,), (1,), (0, 2), (-1,)]


def _x(dtype: type) -> np.ndarray:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5)) * 100
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal((3, 4, 5))
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.complex64])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean_equal_the_numpy_wrappers(dtype, keepdims) -> None:
    x = _x(dtype)
    for axis in AXES:
        attrs = {"axis": axis, "keepdims": keepdims}
        got = Sum(attrs, "Sum").compute(x)
        want = np.asarray(np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        if np.dtype(dtype).kind == "f":
            acc = np.float32 if dtype == np.float16 else dtype
            s = np.sum(x, axis=axis, keepdims=keepdims, dtype=acc)
            n = x.size // max(np.asarray(s).size, 1)
            want = np.asarray(np.true_divide(s, n), dtype=x.dtype)
            np.testing.assert_array_equal(Mean(attrs, "Mean").compute(x), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8])
def test_max_and_min_equal_the_numpy_wrappers_nan_and_empty_included(dtype) -> None:
    x = _x(np.float64).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[1, 2, 3] = np.nan
    for axis in AXES:
        for keepdims in (False, True):
            attrs = {"axis": axis, "keepdims": keepdims}
            for cls, ref in ((Max, np.max), (Min, np.min)):
                got = cls(attrs, cls.__name__).compute(x)
                want = np.asarray(ref(x, axis=axis, keepdims=keepdims), dtype=x.dtype)
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_array_equal(got, want)
    empty = np.zeros((0, 3), dtype)
    attrs = {"axis": (0,), "keepdims": False}
    lo = -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min
    np.testing.assert_array_equal(Max(attrs, "Max").compute(empty), np.full(3, lo, dtype))
