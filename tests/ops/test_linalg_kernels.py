"""MatMul's kernel: matrices go through np.dot (less call overhead than np.matmul); its results
must be np.matmul's, bit for bit, for every dtype, transpose flag and shape kind."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.ops.linalg_ops import MatMul

DTYPES = [np.float32, np.float64, np.complex64, np.int32, np.int64, np.float16]
SHAPES = [(1, 2, 1), (3, 1, 4), (7, 33, 5), (65, 128, 9), (0, 3, 2), (2, 0, 3)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matrix_kernel_equals_np_matmul_exactly(dtype, ta, tb) -> None:
    rng = np.random.default_rng(0)
    op = MatMul({"transpose_a": ta, "transpose_b": tb}, "MatMul")
    for m, k, n in SHAPES:
        a = (rng.standard_normal((k, m) if ta else (m, k)) * 4).astype(dtype)
        b = (rng.standard_normal((n, k) if tb else (k, n)) * 4).astype(dtype)
        want = np.matmul(a.T if ta else a, b.T if tb else b)
        got = op.compute(a, b)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_non_finite_values_and_strided_inputs_match_np_matmul() -> None:
    a = np.array([[np.inf, 1.0], [np.nan, 2.0], [0.0, -np.inf]], np.float32)
    b = np.arange(12, dtype=np.float32).reshape(2, 6)[:, ::2]  # a strided view
    op = MatMul({"transpose_a": False, "transpose_b": False}, "MatMul")
    with np.errstate(invalid="ignore"):  # inf * 0 (both kernels warn alike)
        np.testing.assert_array_equal(op.compute(a, b), np.matmul(a, b))
        np.testing.assert_array_equal(op.compute(a[::2], b), np.matmul(a[::2], b))


def test_run_time_inner_dimension_mismatch_is_an_invalid_argument_error() -> None:
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None])
        y = tf.matmul(x, tf.constant(np.ones((3, 2), np.float32)), name="mm")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="MatMul 'mm'"):
                sess.run(y, {x: np.ones((2, 4), np.float32)})
