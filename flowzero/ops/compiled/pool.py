"""Max pooling in one pass per array (NHWC, C-contiguous, float32/float64).

The reference is pool_ops' NumPy kernels; these loops compute the same numbers:

- `max_pool`: the window max in row-major window order (a NaN wins, as np.maximum's), and
  optionally `first`, the row-major offset of the first element equal to it (255 for a NaN
  max): MaxPool.compute_handing_over's by-product. Padded positions hold `lowest` and take part
  in the comparison, as the NumPy kernel's padded copy does.
- `max_pool_grad_tiled`: dx from `first` and dy when the windows tile the input: each element
  is dy * (1 if it is its window's first max else 0), as NumPy's dy * mask (so a NaN/inf dy
  leaves NaN at the other positions too, exactly as the reference).
- `first_equal` + `max_pool_grad_taps`: the general case (strides, padding, overlapping
  windows): offsets from x == y, then dy * mask added tap after tap in row-major order, the
  reference's order of additions, so overlapping windows sum identically (bit-identical).

NumPy walks the whole batch once per window offset through strided views; here each window is
read once and its channels form the inner, vectorised loop.
"""

from __future__ import annotations

import numpy as np

from flowzero.ops.compiled import njit

# max_pool_tiled's offsets scratch: an int as wide as the float.
SCRATCH = {np.float32: np.int32, np.float64: np.int64}


@njit
def max_pool(x, kh, kw, sh, sw, pt, pl, lowest, y, first, with_first):  # noqa: ANN001, ANN201
    n, h, w, c = x.shape
    _, oh, ow, _ = y.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                yr = y[b, i, j]
                fr = first[b, i, j] if with_first else first[0, 0, 0]
                k = 0
                for p in range(kh):
                    hh = i * sh + p - pt
                    for q in range(kw):
                        ww = j * sw + q - pl
                        inside = hh >= 0 and hh < h and ww >= 0 and ww < w
                        if k == 0:
                            if inside:
                                yr[:] = x[b, hh, ww]
                            else:
                                yr[:] = lowest
                            if with_first:
                                fr[:] = 0
                        elif inside:
                            xr = x[b, hh, ww]
                            for cc in range(c):
                                v = xr[cc]
                                cur = yr[cc]
                                # NaN wins and stays (np.maximum); otherwise only a larger
                                # value moves the first max.
                                if v > cur or (v != v and cur == cur):
                                    yr[cc] = v
                                    if with_first:
                                        fr[cc] = k
                        else:
                            for cc in range(c):
                                if lowest > yr[cc]:
                                    yr[cc] = lowest
                                    if with_first:
                                        fr[cc] = k
                        k += 1
                if with_first:
                    for cc in range(c):
                        if yr[cc] != yr[cc]:
                            fr[cc] = 255
    return y


@njit
def max_pool_tiled(x, kh, kw, y, first, scratch, with_first):  # noqa: ANN001, ANN201
    """max_pool when the windows tile x (stride == window, no padding), row by row of y.

    The offsets are tracked in `scratch` (ow*c ints as wide as x's floats, so the compare and
    the two selects vectorise together) and narrowed to uint8 per row. A NaN makes the select
    inexact, so rows whose inputs hold a NaN are redone by the general loop."""
    n, oh, ow, c = y.shape
    h, w = x.shape[1], x.shape[2]
    xf = x.reshape(n * h, w * c)
    yf = y.reshape(n * oh, ow * c)
    m = ow * c
    for r in range(n * oh):
        b = r // oh
        i = r % oh
        x0 = xf[b * h + i * kh]
        yr = yf[r]
        for j in range(ow):
            for cc in range(c):
                yr[j * c + cc] = x0[j * kw * c + cc]
        scratch[:m] = 0
        for p in range(kh):
            xr = xf[b * h + i * kh + p]
            for q in range(kw):
                k = p * kw + q
                if k == 0:
                    continue
                kk = scratch.dtype.type(k)
                for j in range(ow):
                    base = (j * kw + q) * c
                    for cc in range(c):
                        v = xr[base + cc]
                        cur = yr[j * c + cc]
                        gt = v > cur
                        yr[j * c + cc] = v if gt else cur
                        scratch[j * c + cc] = kk if gt else scratch[j * c + cc]
        bad = False
        for p in range(kh):
            xr = xf[b * h + i * kh + p]
            for e in range(ow * kw * c):
                bad |= xr[e] != xr[e]
        if bad:  # this row again with the NaN-aware rule of max_pool
            for j in range(ow):
                for cc in range(c):
                    cur = x0[j * kw * c + cc]
                    f = 0
                    for p in range(kh):
                        xr = xf[b * h + i * kh + p]
                        for q in range(kw):
                            v = xr[(j * kw + q) * c + cc]
                            if v > cur or (v != v and cur == cur):
                                cur = v
                                f = p * kw + q
                    yr[j * c + cc] = cur
                    scratch[j * c + cc] = 255 if cur != cur else f
        if with_first:
            fr = first[b, i].reshape(m)
            for e in range(m):
                fr[e] = scratch[e]
    return y


@njit
def max_pool_grad_tiled(first, dy, relu_of, use_relu, kh, kw, dx, db, want_db):  # noqa: ANN001, ANN201
    """dx from the offsets when the windows tile x; with use_relu dy is first multiplied by
    (relu_of > 0) (ReluGrad(dy, relu_of), fused; the same two products as NumPy's); with
    want_db also db[c] += every dx[..., c] (BiasAddGrad of dx as a by-product, accumulated in
    db's dtype: float64)."""
    n, oh, ow, c = dy.shape
    _, h, w, _ = dx.shape
    one = dy.dtype.type(1)
    zero = dy.dtype.type(0)
    for b in range(n):
        for i in range(oh):
            for p in range(kh):
                row = dx[b, i * kh + p]
                for j in range(ow):
                    dr = dy[b, i, j]
                    rr = relu_of[b, i, j] if use_relu else dr
                    fr = first[b, i, j]
                    for q in range(kw):
                        k = p * kw + q
                        out = row[j * kw + q]
                        for cc in range(c):
                            d = dr[cc]
                            if use_relu:
                                d = d * (one if rr[cc] > zero else zero)
                            v = d * (one if fr[cc] == k else zero)
                            out[cc] = v
                            if want_db:
                                db[cc] += v
                for jj in range(ow * kw, w):
                    row[jj] = zero
        for ii in range(oh * kh, h):
            dx[b, ii] = zero
    return dx


@njit
def first_equal(x, y, kh, kw, sh, sw, pt, pl, lowest, first):  # noqa: ANN001, ANN201
    n, h, w, c = x.shape
    _, oh, ow, _ = y.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                yr = y[b, i, j]
                fr = first[b, i, j]
                fr[:] = 255
                k = 0
                for p in range(kh):
                    hh = i * sh + p - pt
                    for q in range(kw):
                        ww = j * sw + q - pl
                        if hh >= 0 and hh < h and ww >= 0 and ww < w:
                            xr = x[b, hh, ww]
                            for cc in range(c):
                                if fr[cc] == 255 and xr[cc] == yr[cc]:
                                    fr[cc] = k
                        else:
                            for cc in range(c):
                                if fr[cc] == 255 and lowest == yr[cc]:
                                    fr[cc] = k
                        k += 1
    return first


@njit
def first_equal_tiled(x, y, kh, kw, first, scratch):  # noqa: ANN001, ANN201
    """first_equal when the windows tile x: offsets walked last to first (the first match
    wins) through `scratch`, ints as wide as x's floats, so the loop vectorises."""
    n, oh, ow, c = y.shape
    h, w = x.shape[1], x.shape[2]
    xf = x.reshape(n * h, w * c)
    yf = y.reshape(n * oh, ow * c)
    m = ow * c
    none = scratch.dtype.type(255)
    for r in range(n * oh):
        b = r // oh
        i = r % oh
        yr = yf[r]
        scratch[:m] = none
        for k in range(kh * kw - 1, -1, -1):
            p = k // kw
            q = k % kw
            xr = xf[b * h + i * kh + p]
            kk = scratch.dtype.type(k)
            for j in range(ow):
                base = (j * kw + q) * c
                for cc in range(c):
                    e = j * c + cc
                    scratch[e] = kk if xr[base + cc] == yr[e] else scratch[e]
        fr = first[b, i].reshape(m)
        for e in range(m):
            fr[e] = scratch[e]
    return first


@njit
def max_pool_grad_taps(first, dy, kh, kw, sh, sw, dxp):  # noqa: ANN001, ANN201
    """dxp (padded, zeros) += dy * (first == k) at tap k, tap after tap."""
    n, oh, ow, c = dy.shape
    one = dy.dtype.type(1)
    zero = dy.dtype.type(0)
    for p in range(kh):
        for q in range(kw):
            k = p * kw + q
            for b in range(n):
                for i in range(oh):
                    for j in range(ow):
                        out = dxp[b, i * sh + p, j * sw + q]
                        dr = dy[b, i, j]
                        fr = first[b, i, j]
                        for cc in range(c):
                            out[cc] += dr[cc] * (one if fr[cc] == k else zero)
    return dxp


def warm_up() -> None:
    """Compile (or load from Numba's cache) the float32 versions, what models train in; a
    float64 version compiles on its first call (then it is cached too)."""
    for dt in (np.float32,):
        x = np.zeros((1, 2, 2, 1), dtype=dt)
        y = np.empty((1, 1, 1, 1), dtype=dt)
        first = np.empty((1, 1, 1, 1), dtype=np.uint8)
        low = dt(-np.inf)
        max_pool(x, 2, 2, 2, 2, 0, 0, low, y, first, True)
        for with_first in (True, False):
            max_pool_tiled(x, 2, 2, y, first, np.empty(1, dtype=SCRATCH[dt]), with_first)
        for want_db in (True, False):
            for use_relu in (True, False):
                dx = np.empty_like(x)
                max_pool_grad_tiled(first, y, y, use_relu, 2, 2, dx, np.zeros(1), want_db)
        first_equal(x, y, 2, 2, 2, 2, 0, 0, low, first)
        first_equal_tiled(x, y, 2, 2, first, np.empty(1, dtype=SCRATCH[dt]))
        max_pool_grad_taps(first, y, 2, 2, 2, 2, np.zeros_like(x))
