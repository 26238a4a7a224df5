"""ApplyAdam's update in one pass over var, m, v and grad (train/adam.py holds the reference).

Per element, the reference's operations in the reference's order and dtype, so the result is
bit-identical (no fast-math: LLVM may not fuse a multiply and an add):

    m += (grad - m) * (1 - beta1)
    v += (grad * grad - v) * (1 - beta2)
    var -= m * alpha / (sqrt(v) + epsilon)

NumPy makes seven passes over the arrays (through two scratch buffers); here each element is
read and written once.
"""

from __future__ import annotations

import math

import numpy as np

from flowzero.ops.compiled import njit


@njit(error_model="numpy")  # no ZeroDivisionError branch: the loop vectorises
def apply_adam(var, m, v, grad, alpha, one_minus_beta1, one_minus_beta2, epsilon):  # noqa: ANN001, ANN201
    """In place on the 1-D (flattened, contiguous) var, m and v; scalars in their dtype."""
    for i in range(var.shape[0]):
        g = grad[i]
        mi = m[i] + (g - m[i]) * one_minus_beta1
        vi = v[i] + (g * g - v[i]) * one_minus_beta2
        m[i] = mi
        v[i] = vi
        var[i] -= mi * alpha / (math.sqrt(vi) + epsilon)
    return var


def warm_up() -> None:
    """Compile (or load from Numba's cache) the float32 and float64 versions."""
    for dt in (np.float32, np.float64):
        a = np.zeros(2, dtype=dt)
        s = dt(0.5)
        apply_adam(a, a.copy(), a.copy(), a.copy(), s, s, s, s)
