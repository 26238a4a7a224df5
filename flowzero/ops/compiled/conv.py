"""The conv block's epilogue after its GEMM (conv_ops holds the reference).

`bias_relu`: y += bias along the channels, then max(y, 0), in one pass over y (NumPy: two,
fastpaths.add_channel_bias and fastpaths.relu). The same operations per element, so the same
bits; NaN stays NaN as with np.maximum. The GEMM stays on NumPy's BLAS.

NOTE: a compiled im2col (the transposed patch matrix of conv_ops._cols_t) was measured no
faster than NumPy's tap-by-tap copies at the book's first layer (0.54-0.9 ms vs 0.6 ms for
100x28x28x1, 5x5), and a compiled relu alone no faster than fastpaths.relu: both stay NumPy.
"""

from __future__ import annotations

import numpy as np

from flowzero.ops.compiled import njit


@njit
def bias_relu(y, bias):  # noqa: ANN001, ANN201
    """y = max(y + bias, 0) in place, y 2-D contiguous (rows of channels)."""
    rows, c = y.shape
    zero = y.dtype.type(0)
    for r in range(rows):
        yr = y[r]
        for ch in range(c):
            v = yr[ch] + bias[ch]
            yr[ch] = zero if v < zero else v  # NaN and -0.0 stay, as np.maximum(v, 0)
    return y


def warm_up() -> None:
    """Compile (or load from Numba's cache) the float32 and float64 versions."""
    for dt in (np.float32, np.float64):
        y = np.zeros((2, 2), dtype=dt)
        bias_relu(y, np.zeros(2, dtype=dt))
