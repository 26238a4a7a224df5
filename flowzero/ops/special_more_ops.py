"""More special functions: the regularized incomplete gamma and beta functions (igamma, igammac,
betainc) and the modified Bessel functions of order 0 and 1 (bessel_i0, i0e, i1, i1e).

All vectorised NumPy in float64 (float32 inputs are computed in double and rounded): every
element runs the same recurrence, and the elements that have converged drop out of the working
arrays, so the Python loop is over iterations, never over elements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import (
    BinaryOp,
    DTypeError,
    UnaryOp,
    _binary,
    _convert_list,
    _dtype_of,
    _has_tensor,
    _quiet,
)
from flowzero.ops.special_ops import _lgamma64, lgamma
from flowzero.ops.unary_ops import exp, log, log1p, sign

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITER = 5000


def _run(state: list[np.ndarray], step: Any) -> None:
    """Runs `step(*active_state) -> (new_state, done)` until every element is done, updating
    `state` (flat arrays) in place; the finished elements leave the working set."""
    idx = np.arange(state[0].size)
    work = [s.copy() for s in state]
    for _ in range(_MAX_ITER):
        if not idx.size:
            return
        work, done = step(*work)
        fin = np.flatnonzero(done)
        if fin.size:
            for s, w in zip(state, work):
                s[idx[fin]] = w[fin]
            keep = np.flatnonzero(~done)
            idx = idx[keep]
            work = [w[keep] for w in work]
    for s, w in zip(state, work):  # not converged in _MAX_ITER: the last iterate
        s[idx] = w


def _gamma_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_n x^n / ((a+1)...(a+n)), so that P(a, x) = x^a e^-x / Gamma(a+1) times it."""
    total = np.ones_like(a)
    term = np.ones_like(a)
    n = np.zeros_like(a)

    def step(a, x, n, term, total):
        n = n + 1.0
        term = term * x / (a + n)
        total = total + term
        return [a, x, n, term, total], term <= _EPS * total

    _run([a.copy(), x.copy(), n, term, total], step)
    return total


def _gamma_cf(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The continued fraction 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))), modified Lentz,
    so that Q(a, x) = x^a e^-x / Gamma(a) times it (for x > a + 1 it converges fast)."""
    b = x + 1.0 - a
    c = np.full_like(a, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    i = np.zeros_like(a)

    def step(a, b, c, d, h, i):
        i = i + 1.0
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        return [a, b, c, d, h, i], np.abs(delta - 1.0) <= _EPS

    _run([a.copy(), b, c, d, h, i], step)
    return h


def _igamma64(a: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    """P(a, x) (upper=False) or Q(a, x) = 1 - P (upper=True); NaN for a <= 0 or x < 0."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1), x.reshape(-1)
    out = np.full(a.shape, np.nan)
    with _quiet():
        ok = (a > 0) & (x >= 0) & np.isfinite(a)
        out[ok & (x == 0)] = 1.0 if upper else 0.0
        out[ok & (x == np.inf)] = 0.0 if upper else 1.0
        out[(a == np.inf) & (x >= 0) & np.isfinite(x)] = 1.0 if upper else 0.0
        reg = ok & (x > 0) & np.isfinite(x)
        ser = np.flatnonzero(reg & (x < a + 1.0))
        cf = np.flatnonzero(reg & (x >= a + 1.0))
        if ser.size:
            aa, xx = a[ser], x[ser]
            p = np.exp(aa * np.log(xx) - xx - _lgamma64(aa + 1.0)) * _gamma_series(aa, xx)
            out[ser] = 1.0 - p if upper else p
        if cf.size:
            aa, xx = a[cf], x[cf]
            q = np.exp(aa * np.log(xx) - xx - _lgamma64(aa)) * _gamma_cf(aa, xx)
            out[cf] = q if upper else 1.0 - q
    return out.reshape(shape)


def _beta_cf(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The continued fraction of I_x(a, b) (x below its mean), modified Lentz: each step takes
    the even and the odd term d_2m, d_2m+1."""
    c = np.ones_like(a)
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    m = np.zeros_like(a)

    def lentz(aa, c, d):
        d = 1.0 + aa * d
        d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        return c, d

    def step(a, b, x, m, c, d, h):
        m = m + 1.0
        c, d = lentz(m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m)), c, d)
        h = h * d * c
        c, d = lentz(-(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0)), c, d)
        delta = d * c
        h = h * delta
        return [a, b, x, m, c, d, h], np.abs(delta - 1.0) <= _EPS

    _run([a.copy(), b.copy(), x.copy(), m, c, d, h], step)
    return h


def _betainc64(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """I_x(a, b), the regularized incomplete beta function; NaN outside a, b > 0, 0 <= x <= 1."""
    a, b, x = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    shape = a.shape
    a, b, x = a.reshape(-1), b.reshape(-1), x.reshape(-1)
    out = np.full(a.shape, np.nan)
    with _quiet():
        ok = (a > 0) & (b > 0) & (x >= 0) & (x <= 1) & np.isfinite(a) & np.isfinite(b)
        out[ok & (x == 0)] = 0.0
        out[ok & (x == 1)] = 1.0
        inner = ok & (x > 0) & (x < 1)
        flip = x > (a + 1.0) / (a + b + 2.0)  # I_x(a, b) = 1 - I_(1-x)(b, a)
        sel = np.flatnonzero(inner)
        aa = np.where(flip, b, a)[sel]
        bb = np.where(flip, a, b)[sel]
        xx = np.where(flip, 1.0 - x, x)[sel]
        lbeta = _lgamma64(aa) + _lgamma64(bb) - _lgamma64(aa + bb)
        front = np.exp(aa * np.log(xx) + bb * np.log1p(-xx) - lbeta) / aa
        v = front * _beta_cf(aa, bb, xx)
        out[sel] = np.where(flip[sel], 1.0 - v, v)
    return out.reshape(shape)


# -- modified Bessel functions -------------------------------------------------------------
_BESSEL_SPLIT = 25.0  # the power series below, the asymptotic expansion above
_SERIES_TERMS = 75  # (x^2/4)^k / (k!)^2 is < 1e-17 of the sum by then, for x < 25
_ASYMPTOTIC_TERMS = 30  # the terms fall like k / (2x) at first: < 1e-17 by then, for x >= 25


def _bessel_e64(x: np.ndarray, order: int) -> np.ndarray:
    """exp(-|x|) I_order(x) for order 0 or 1 (I_0 even, I_1 odd)."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    out = np.full(x.shape, np.nan)
    small = ax < _BESSEL_SPLIT
    v = ax[small]
    if v.size:  # sum_k (x/2)^(2k + order) / (k! (k + order)!), every term positive
        q = 0.25 * v * v
        term = np.ones_like(v)
        total = np.ones_like(v)
        for k in range(1, _SERIES_TERMS):
            term *= q / (k * (k + order))
            total += term
        if order:
            total *= 0.5 * v
        out[small] = total * np.exp(-v)
    big = ~small & ~np.isnan(ax)
    v = ax[big]
    if v.size:  # e^-x I_n(x) ~ 1/sqrt(2 pi x) sum_k prod_j ((2j - 1)^2 - 4n^2) / (k! (8x)^k)
        with _quiet():
            term = np.ones_like(v)
            total = np.ones_like(v)
            mu = 4.0 * order * order
            for k in range(1, _ASYMPTOTIC_TERMS):
                term *= -(mu - (2 * k - 1) ** 2) / (8.0 * k * v)
                total += term
            out[big] = np.where(np.isinf(v), 0.0, total / np.sqrt(2.0 * np.pi * v))
    return np.copysign(out, x) if order else out


def _bessel64(x: np.ndarray, order: int) -> np.ndarray:
    """I_order(x) = exp(|x|) times the scaled form: inf past |x| ~ 713, and NaN at +-inf
    (inf * 0), as TF's exp(|x|) * bessel_i0e(x)."""
    x = np.asarray(x, np.float64)
    with _quiet():
        return _bessel_e64(x, order) * np.exp(np.abs(x))


class _Bessel(UnaryOp):
    kinds = "f"
    order = 0
    scaled = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        x64 = x.astype(np.float64, copy=False)
        f = _bessel_e64 if self.scaled else _bessel64
        return f(x64, self.order).astype(x.dtype, copy=False)


@register_op("BesselI0")
class BesselI0(_Bessel):
    """y = I_0(x), the modified Bessel function of the first kind of order 0."""

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * bessel_i1(op.inputs[0])]


@register_op("BesselI0e")
class BesselI0e(_Bessel):
    """y = exp(-|x|) I_0(x)."""

    scaled = True

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs[0], op.outputs[0]  # d/dx = I_1e(x) - sign(x) I_0e(x)
        return [dy * (bessel_i1e(x) - sign(x) * y)]


@register_op("BesselI1")
class BesselI1(_Bessel):
    """y = I_1(x), the modified Bessel function of the first kind of order 1."""

    order = 1

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs[0], op.outputs[0]  # d/dx = I_0(x) - I_1(x)/x; 1/2 at x = 0
        return [dy * _i1_slope(x, y, bessel_i0(x), None)]


@register_op("BesselI1e")
class BesselI1e(_Bessel):
    """y = exp(-|x|) I_1(x)."""

    order = 1
    scaled = True

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs[0], op.outputs[0]  # d/dx = I_0e(x) - I_1e(x) (sign(x) + 1/x)
        return [dy * _i1_slope(x, y, bessel_i0e(x), sign(x))]


def _i1_slope(x: Tensor, y: Tensor, i0: Tensor, sgn: Tensor | None) -> Tensor:
    """i0 - y/x (- y sign(x) for the scaled form), with the limit 1/2 at x = 0 (the division
    runs on a safe x so that neither branch of the select is NaN)."""
    from flowzero.ops.array_ops import ones_like
    from flowzero.ops.indexing_ops import where
    from flowzero.ops.logic_ops import equal

    zero = equal(x, 0.0)
    safe_x = where(zero, ones_like(x), x)
    slope = i0 - y / safe_x
    if sgn is not None:
        slope = slope - y * sgn
    return where(zero, 0.5 * ones_like(x), slope)


# -- incomplete gamma and beta ---------------------------------------------------------------
@register_op("Igamma")
class Igamma(BinaryOp):
    """z = P(a, x) = 1/Gamma(a) integral_0^x t^(a-1) e^-t dt (NaN for a <= 0 or x < 0)."""

    kinds = "f"

    def compute(self, a: np.ndarray, x: np.ndarray) -> np.ndarray:
        return _igamma64(a, x, upper=False).astype(x.dtype, copy=False)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        a, x = op.inputs  # none for a here (TF's IgammaGradA is not implemented)
        return [None, dz * _igamma_density(a, x)]


@register_op("Igammac")
class Igammac(BinaryOp):
    """z = Q(a, x) = 1 - P(a, x), accurate where P is close to 1."""

    kinds = "f"

    def compute(self, a: np.ndarray, x: np.ndarray) -> np.ndarray:
        return _igamma64(a, x, upper=True).astype(x.dtype, copy=False)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        a, x = op.inputs
        return [None, -dz * _igamma_density(a, x)]


def _igamma_density(a: Tensor, x: Tensor) -> Tensor:
    """dP/dx = x^(a-1) e^-x / Gamma(a)."""
    return exp((a - 1.0) * log(x) - x - lgamma(a))


@register_op("Betainc")
class Betainc(OpDef):
    """z = I_x(a, b) = B(x; a, b) / B(a, b), the regularized incomplete beta function."""

    def infer(self, a: Tensor, b: Tensor, x: Tensor) -> TensorSpec:
        if not (a.dtype is b.dtype is x.dtype) or a.dtype.np.kind != "f":
            raise self.error(
                f"a, b and x must share a floating dtype; got a: {a.dtype.name}, "
                f"b: {b.dtype.name}, x: {x.dtype.name}.",
                cls=DTypeError,
            )
        shape = None
        for t in (a, b, x):  # as TF: each a scalar or all of one shape (no broadcasting)
            if t.shape.ndims == 0:
                continue
            if shape is not None and not shape.is_compatible_with(t.shape):
                raise self.error(
                    "a, b and x must be scalars or have the same shape; got "
                    f"a: {a.shape}, b: {b.shape}, x: {x.shape}."
                )
            shape = t.shape if shape is None else shape.merge_with(t.shape)
        return spec(shape if shape is not None else x.shape, x.dtype)

    def compute(self, a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
        shapes = {v.shape for v in (a, b, x) if v.ndim}
        if len(shapes) > 1:
            raise self.error(
                "a, b and x must be scalars or have the same shape; got "
                f"a: {a.shape}, b: {b.shape}, x: {x.shape}."
            )
        return _betainc64(a, b, x).astype(x.dtype, copy=False)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        a, b, x = op.inputs  # none for a and b, as TF; dI/dx = x^(a-1) (1-x)^(b-1) / B(a, b)
        from flowzero.ops.array_ops import ones_like

        log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
        dx = dz * exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - log_beta)
        return [None, None, dx * ones_like(op.outputs[0])]


def igamma(a: Any, x: Any, name: str | None = None) -> Tensor:
    """The lower regularized incomplete gamma function P(a, x), elementwise with broadcasting.

    Example:
        >>> tf.Session().run(tf.igamma(1.0, [0.0, 1.0])).round(6)   # 1 - exp(-x)
        array([0.      , 0.632121], dtype=float32)
    """
    return _binary(Igamma, a, x, name)


def igammac(a: Any, x: Any, name: str | None = None) -> Tensor:
    """The upper regularized incomplete gamma function Q(a, x) = 1 - P(a, x), elementwise."""
    return _binary(Igammac, a, x, name)


def betainc(a: Any, b: Any, x: Any, name: str | None = None) -> Tensor:
    """The regularized incomplete beta function I_x(a, b), elementwise; a, b and x are each a
    scalar or all of one shape.

    Example:
        >>> print(tf.Session().run(tf.betainc(1.0, 1.0, 0.25)))   # I_x(1, 1) = x
        0.25
    """
    from flowzero.ops.common import _graph_for

    with _graph_for(a, b, x):
        if _has_tensor([a, b, x]):
            return apply_op(Betainc, _convert_list([a, b, x]), name=name)
        dt = _dtype_of(a)  # as TF: the first input's dtype is the op's
        return apply_op(Betainc, [convert_to_tensor(v, dtype=dt) for v in (a, b, x)], name=name)


def bessel_i0(x: Any, name: str | None = None) -> Tensor:
    """I_0(x), the modified Bessel function of order 0, elementwise."""
    return apply_op(BesselI0, [x], name=name)


def bessel_i0e(x: Any, name: str | None = None) -> Tensor:
    """exp(-|x|) I_0(x), elementwise (no overflow for large x)."""
    return apply_op(BesselI0e, [x], name=name)


def bessel_i1(x: Any, name: str | None = None) -> Tensor:
    """I_1(x), the modified Bessel function of order 1, elementwise."""
    return apply_op(BesselI1, [x], name=name)


def bessel_i1e(x: Any, name: str | None = None) -> Tensor:
    """exp(-|x|) I_1(x), elementwise (no overflow for large x)."""
    return apply_op(BesselI1e, [x], name=name)


__all__ = ["igamma", "igammac", "betainc"]
