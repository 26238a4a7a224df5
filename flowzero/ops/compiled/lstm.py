"""Compiled LSTM gate and state arithmetic (BlockLSTM, BlockLSTMGrad, LSTMBlockCell).

The OpDefs in flowzero/ops/rnn_ops.py keep the GEMMs (input projection, ``h @ w_h``, dx, dw)
on NumPy's BLAS and the activations' ``tanh`` on NumPy's SIMD tanh; what is left of a time
step — a dozen elementwise NumPy passes over [batch, units] blocks, each one Python call —
is one compiled pass here. Each kernel performs the same IEEE operations in the same order as
the NumPy code it replaces (no fastmath, so no fused multiply-adds), so results agree with
the NumPy kernels to the last bit or within a rounding of it.

NOTE: the tanh stays in NumPy on purpose: without Intel's SVML, Numba's ``math.tanh`` is a
scalar libm call per element, measured here 60x slower than ``np.tanh`` on a 128x512 float32
block (1.39 ms vs 22 us).

Every kernel takes C-contiguous 2-D arrays of one float dtype (float32 or float64), the
constants as scalars of that dtype, and writes its outputs in place. Arrays a call does not
need (a gradient factor when no gradient is wanted) are passed as empty [0, 0] arrays with
their flag off.
"""

from __future__ import annotations

import numpy as np

from flowzero.ops.compiled import njit

# NOTE: each inner loop writes one array. Numba cannot tell LLVM that the arrays do not
# overlap, so a loop that stores to several arrays gets too many run-time overlap checks to
# be vectorised and runs scalar (measured 3-4x slower at [128, 128]); one store per loop
# vectorises. The loops run row by row so that a row's operands stay in L1 between them.


@njit
def block_fwd_gates(g, c, i, f, o, ci, cs, fac, grad, half, quarter, one):  # pragma: no cover
    """From the step's gate tanh values g [batch, 4u] (sigmoid gates pre-halved): the gates,
    cs = c * f + ci * i, and (when grad) the chain-rule factors of i, ci and f and the first
    half of o's (block_fwd_out multiplies in co)."""
    batch = g.shape[0]
    u = g.shape[1] // 4
    for a in range(batch):
        for j in range(u):
            i[a, j] = g[a, j] * half + half
        for j in range(u):
            ci[a, j] = g[a, u + j]
        for j in range(u):
            f[a, j] = g[a, 2 * u + j] * half + half
        for j in range(u):
            o[a, j] = g[a, 3 * u + j] * half + half
        for j in range(u):
            cs[a, j] = c[a, j] * f[a, j] + ci[a, j] * i[a, j]
        if grad:
            for j in range(u):
                t = g[a, j]
                fac[a, j] = (one - t * t) * quarter * ci[a, j]
            for j in range(u):
                t = g[a, u + j]
                fac[a, u + j] = (one - t * t) * i[a, j]
            for j in range(u):
                t = g[a, 2 * u + j]
                fac[a, 2 * u + j] = (one - t * t) * quarter * c[a, j]
            for j in range(u):
                t = g[a, 3 * u + j]
                fac[a, 3 * u + j] = (one - t * t) * quarter


@njit
def block_fwd_out(co, o, h, fac, fac_c, grad, one):  # pragma: no cover
    """h = co * o; when grad, o's factor times co, and fac_c = o (1 - co^2)."""
    batch, u = co.shape
    for a in range(batch):
        for j in range(u):
            h[a, j] = co[a, j] * o[a, j]
        if grad:
            for j in range(u):
                fac[a, 3 * u + j] *= co[a, j]
            for j in range(u):
                v = co[a, j]
                fac_c[a, j] = (one - v * v) * o[a, j]


@njit
def block_bwd_step(dh, dh_t, seq_dh, dcs, dcs_t, seq_dcs, fac, fac_c, f, d):  # pragma: no cover
    """One step back: dh += dh_t; dcs += dh * fac_c (+ dcs_t); d = fac * [dcs, dcs, dcs, dh];
    then dcs *= f (the carried dcs of the step before). dh and dcs are updated in place."""
    batch, u = dh.shape
    for a in range(batch):
        if seq_dh:
            for j in range(u):
                dh[a, j] += dh_t[a, j]
        for j in range(u):
            dcs[a, j] += dh[a, j] * fac_c[a, j]
        if seq_dcs:
            for j in range(u):
                dcs[a, j] += dcs_t[a, j]
        for k in range(3):
            for j in range(u):
                d[a, k * u + j] = fac[a, k * u + j] * dcs[a, j]
        for j in range(u):
            d[a, 3 * u + j] = fac[a, 3 * u + j] * dh[a, j]
        for j in range(u):
            dcs[a, j] *= f[a, j]


@njit
def cell_fwd(g, cs_prev, i, f, o, ci, cs, half):  # pragma: no cover
    """LSTMBlockCell from its gate tanh values g [batch, 4u] (sigmoid gates pre-halved): the
    gates, and cs = ci * i + cs_prev * f."""
    batch = g.shape[0]
    u = g.shape[1] // 4
    for a in range(batch):
        for j in range(u):
            i[a, j] = g[a, j] * half + half
        for j in range(u):
            ci[a, j] = g[a, u + j]
        for j in range(u):
            f[a, j] = g[a, 2 * u + j] * half + half
        for j in range(u):
            o[a, j] = g[a, 3 * u + j] * half + half
        for j in range(u):
            cs[a, j] = ci[a, j] * i[a, j] + cs_prev[a, j] * f[a, j]


@njit
def cell_bwd(dh, dcs, i, f, o, ci, co, cs_prev, d, dcs_prev, one):  # pragma: no cover
    """LSTMBlockCellGrad's gate gradients d [batch, 4u] (i, ci, f, o) and dcs_prev, from dh
    and dcs: dcs_t = (1 - co^2) (dh o) + dcs; d_i = dcs_t ci i (1 - i), d_ci = dcs_t i (1 -
    ci^2), d_f = dcs_t cs_prev f (1 - f), d_o = dh co o (1 - o); dcs_prev = dcs_t f."""
    batch, u = dh.shape
    for a in range(batch):
        for j in range(u):  # dcs_t, kept in dcs_prev until the last loop
            v = co[a, j]
            dcs_prev[a, j] = (one - v * v) * (dh[a, j] * o[a, j]) + dcs[a, j]
        for j in range(u):
            y = i[a, j]
            d[a, j] = dcs_prev[a, j] * ci[a, j] * y * (one - y)
        for j in range(u):
            y = ci[a, j]
            d[a, u + j] = dcs_prev[a, j] * i[a, j] * (one - y * y)
        for j in range(u):
            y = f[a, j]
            d[a, 2 * u + j] = dcs_prev[a, j] * cs_prev[a, j] * y * (one - y)
        for j in range(u):
            y = o[a, j]
            d[a, 3 * u + j] = dh[a, j] * co[a, j] * y * (one - y)
        for j in range(u):
            dcs_prev[a, j] *= f[a, j]


def warm_up() -> None:
    """Compile (or load from Numba's cache) every kernel for float32, what models train in; a
    float64 version compiles on its first call (then it is cached too)."""
    for dt in (np.float32,):
        one, half, quarter = dt(1), dt(0.5), dt(0.25)
        g = np.zeros((1, 4), dt)
        s = [np.zeros((1, 1), dt) for _ in range(8)]
        none = np.empty((0, 0), dt)
        for grad, fac in ((True, g.copy()), (False, none)):
            block_fwd_gates(g, s[0], s[1], s[2], s[3], s[4], s[5], fac, grad, half, quarter, one)
            block_fwd_out(s[5], s[3], s[6], fac, s[7] if grad else none, grad, one)
        block_bwd_step(s[0], s[1], True, s[2], s[3], True, g, s[4], s[5], g.copy())
        cell_fwd(g, s[0], s[1], s[2], s[3], s[4], s[5], half)
        cell_bwd(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], g.copy(), s[0].copy(), one)
