"""Special functions: erf, erfc, erfinv, erfcinv, ndtri, lgamma, digamma, polygamma, zeta,
lbeta and log_sigmoid.

NumPy has none of them. erf/erfc are vectorised polynomial pieces (flowzero/ops/erf_kernel.py,
a few ulp in float64); lgamma, digamma and polygamma are vectorized
NumPy: shift x upwards with the recurrence until it is large, then sum the asymptotic series.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import register_op
from flowzero.ops.common import BinaryOp, UnaryOp, _binary, _quiet
from flowzero.ops.erf_kernel import erf64, erfc64
from flowzero.ops.unary_ops import exp, negative, square

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)
# The asymptotic series start where every kept term is below double precision.
_LARGE = 12.0
_SHIFT = 12
_ERFINV_STEPS = 3  # Newton steps from a start good to ~2e-3: 2e-3 -> 4e-6 -> 1e-11 -> 1e-16


def _apply64(fn: Any, x: np.ndarray) -> np.ndarray:
    """A float64 kernel applied to x, the result in x's dtype."""
    return fn(x.astype(np.float64, copy=False)).astype(x.dtype, copy=False)


def _shift_up(x: np.ndarray, log_product: bool) -> tuple[np.ndarray, np.ndarray]:
    """x (>= 0.5) moved up by _SHIFT where below _LARGE, and for those elements the recurrence's
    correction: log(x (x+1) ... (x+_SHIFT-1)) for lgamma, or sum 1/(x+k) for digamma."""
    z = x.reshape(-1).copy()
    acc = np.zeros_like(z)
    sel = np.flatnonzero(z < _LARGE)
    if sel.size:
        v = z[sel]
        part = v.copy() if log_product else 1.0 / v
        tmp = np.empty_like(v)
        for _ in range(_SHIFT - 1):
            v += 1.0
            if log_product:
                part *= v  # <= 23! / 11!: no overflow
            else:
                np.divide(1.0, v, out=tmp)
                part += tmp
        z[sel] = v + 1.0
        acc[sel] = np.log(part) if log_product else part
    return z.reshape(x.shape), acc.reshape(x.shape)


def _lgamma64(x: np.ndarray) -> np.ndarray:
    with _quiet():
        bad = ~np.isfinite(x) | ((x <= 0) & (x == np.floor(x)))
        neg = x < 0.5  # reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)
        y = np.where(bad, _LARGE, np.where(neg, 1.0 - x, x))
        z, acc = _shift_up(y, True)  # lgamma(v) = lgamma(v + 1) - log(v)
        r = 1.0 / z
        r2 = r * r
        series = r * (
            1 / 12
            + r2
            * (
                -1 / 360
                + r2
                * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 / 156))))
            )
        )
        out = (z - 0.5) * np.log(z) - z + _HALF_LOG_TWO_PI + series - acc
        refl = np.log(np.pi / np.abs(np.sin(np.pi * (x - np.round(x))))) - out
        out = np.where(neg & (y < 1e15), refl, out)
        out = np.where((x == 1.0) | (x == 2.0), 0.0, out)  # exact, as C's lgamma (lbeta(1, 1) = 0)
        return np.where(bad, np.where(np.isnan(x), np.nan, np.inf), out)


def _digamma64(x: np.ndarray) -> np.ndarray:
    with _quiet():
        pole = (x <= 0) & (x == np.floor(x))
        bad = ~np.isfinite(x) | pole
        neg = x < 0.5  # reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
        y = np.where(bad, _LARGE, np.where(neg, 1.0 - x, x))
        z, acc = _shift_up(y, False)  # psi(v) = psi(v + 1) - 1 / v
        r2 = 1.0 / (z * z)
        series = r2 * (
            1 / 12
            - r2
            * (
                1 / 120
                - r2 * (1 / 252 - r2 * (1 / 240 - r2 * (1 / 132 - r2 * (691 / 32760 - r2 / 12))))
            )
        )
        out = np.log(z) - 0.5 / z - series - acc
        out = np.where(neg, out - np.pi / np.tan(np.pi * (x - np.round(x))), out)
        return np.where(bad, np.where(x == np.inf, np.inf, np.nan), out)


# B_2j / (2j)!, the Euler-Maclaurin coefficients of the Hurwitz zeta tail.
_EM = [
    1 / 12,
    -1 / 720,
    1 / 30240,
    -1 / 1209600,
    1 / 47900160,
    -691 / 1307674368000,
    1 / 74724249600,
]


def _zeta64(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hurwitz zeta(s, q) = sum_k (q + k)^-s, for s > 1 (inf at s = 1 and at the poles
    q = 0, -1, ...; NaN for s < 1): the recurrence up to _LARGE, then Euler-Maclaurin."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    with _quiet():
        pole = (q <= 0) & (q == np.floor(q))
        good = (s > 1) & np.isfinite(q) & ~pole
        ss = np.where(good, s, 2.0)
        z = np.where(good, q, _LARGE).astype(np.float64)
        acc = np.zeros_like(z)
        while True:  # zeta(s, z) = zeta(s, z + 1) + z^-s
            m = z < _LARGE
            if not m.any():
                break
            acc[m] += z[m] ** -ss[m]
            z[m] += 1.0
        tail = z ** (1.0 - ss) / (ss - 1.0) + 0.5 * z**-ss
        rising = ss.copy()  # s (s + 1) ... (s + 2j - 2)
        power = z ** (-ss - 1.0)
        for j, c in enumerate(_EM):
            tail += c * rising * power
            rising = rising * (ss + 2 * j + 1) * (ss + 2 * j + 2)
            power = power / (z * z)
        out = acc + tail
        out = np.where(q == np.inf, 0.0, out)
        out = np.where(pole | (s == 1), np.inf, out)
        return np.where(np.isnan(s) | np.isnan(q) | (s < 1), np.nan, out)


def _polygamma64(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for integer n >= 1; digamma for n = 0."""
    n, x = np.broadcast_arrays(n.astype(np.float64), x.astype(np.float64))
    out = np.full(x.shape, np.nan)
    zero = n == 0
    out[zero] = _digamma64(x[zero])
    ok = (n >= 1) & (n == np.floor(n))
    if not ok.any():
        return out
    s, q = n[ok] + 1.0, x[ok]
    with _quiet():
        sign = np.where(np.mod(s, 2.0) == 0, 1.0, -1.0)  # (-1)^(n+1), s = n + 1
        out[ok] = sign * np.exp(_lgamma64(s)) * _zeta64(s, q)  # n! = Gamma(n + 1)
    return out


def _erfinv64(x: np.ndarray, one_minus: np.ndarray | None = None) -> np.ndarray:
    """erf^-1(x): an approximation good to ~2e-3, then Newton steps, on erf(y) = |x| in the
    middle and on log erfc(y) = log(1 - |x|) in the tails (1 - |x| given exactly by the
    caller as `one_minus` where it knows it, as ndtri does)."""
    with _quiet():
        ax = np.abs(x)
        c = 1 - ax if one_minus is None else one_minus
        inside = (c > 0) & (ax <= 1)
        a = 0.147  # Winitzki's approximation as the start
        ln = np.log(np.where(inside, c * (1 + ax), 1.0))
        b = 2 / (np.pi * a) + ln / 2
        y = np.sqrt(np.sqrt(b * b - ln / a) - b)
        tail = ax > 0.5
        log_c = np.log(np.where(inside, c, 1.0))
        mid = inside & ~tail
        tail &= inside
        for _ in range(_ERFINV_STEPS):  # each element evaluates erf or erfc, not both
            slope = _TWO_OVER_SQRT_PI * np.exp(-y * y)
            step = np.zeros_like(y)
            step[mid] = (ax[mid] - erf64(y[mid])) / slope[mid]
            e = erfc64(y[tail])
            step[tail] = (np.log(e) - log_c[tail]) * e / slope[tail]
            y = y + step
        y = np.where(c == 0, np.inf, np.where(inside, y, np.nan))
        return np.copysign(y, x)


def _ndtri64(p: np.ndarray) -> np.ndarray:
    """The standard normal quantile: -sqrt(2) erfcinv(2p) below 1/2 (2p exact), else
    sqrt(2) erfinv(2p - 1) (exact there too)."""
    with _quiet():
        low = p < 0.5
        x = np.where(low, 1 - 2 * p, 2 * p - 1)
        y = _erfinv64(x, np.where(low, 2 * p, 1 - x))
        y = np.where((p < 0) | (p > 1), np.nan, y)
        return np.sqrt(2.0) * np.where(low, -y, y)


class _Special(UnaryOp):
    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return self._f64(x.astype(np.float64, copy=False)).astype(x.dtype, copy=False)

    def _f64(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@register_op("Erf")
class Erf(UnaryOp):
    """y = 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return _apply64(erf64, x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        return [dy * (_TWO_OVER_SQRT_PI * exp(negative(square(x))))]


@register_op("Erfc")
class Erfc(UnaryOp):
    """y = 1 - erf(x), accurate where erf(x) is close to 1."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return _apply64(erfc64, x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        return [dy * (-_TWO_OVER_SQRT_PI * exp(negative(square(x))))]


@register_op("Lgamma")
class Lgamma(_Special):
    """y = log|Gamma(x)| (inf at the poles 0, -1, -2, ...)."""

    def _f64(self, x: np.ndarray) -> np.ndarray:
        return _lgamma64(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * digamma(op.inputs[0])]


@register_op("Digamma")
class Digamma(_Special):
    """y = psi(x) = d/dx log Gamma(x) (NaN at the poles 0, -1, -2, ...)."""

    def _f64(self, x: np.ndarray) -> np.ndarray:
        return _digamma64(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        return [dy * polygamma(np.ones((), x.dtype.np), x)]


@register_op("Erfinv")
class Erfinv(_Special):
    """y = erf^-1(x) on (-1, 1) (+-inf at +-1, NaN outside)."""

    def _f64(self, x: np.ndarray) -> np.ndarray:
        return _erfinv64(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y = op.outputs[0]  # d erfinv / dx = sqrt(pi) / 2 exp(y^2)
        return [dy * (math.sqrt(math.pi) / 2 * exp(square(y)))]


@register_op("Ndtri")
class Ndtri(_Special):
    """y = the standard normal quantile of p: Phi(y) = p on (0, 1)."""

    def _f64(self, x: np.ndarray) -> np.ndarray:
        return _ndtri64(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y = op.outputs[0]  # d ndtri / dp = sqrt(2 pi) exp(y^2 / 2)
        return [dy * (math.sqrt(2 * math.pi) * exp(0.5 * square(y)))]


@register_op("Zeta")
class Zeta(BinaryOp):
    """z = the Hurwitz zeta function sum_k (q + k)^-x (x > 1)."""

    kinds = "f"

    def compute(self, x: np.ndarray, q: np.ndarray) -> np.ndarray:
        return np.asarray(_zeta64(x, q)).astype(x.dtype, copy=False)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        x, q = op.inputs  # d zeta / dq = -x zeta(x + 1, q); none for x (as TF)
        return [None, dz * negative(x) * zeta(x + 1, q)]


@register_op("Polygamma")
class Polygamma(BinaryOp):
    """y = psi^(a)(x), the a-th derivative of digamma (a a non-negative integer value)."""

    kinds = "f"

    def compute(self, a: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.asarray(_polygamma64(a, x)).astype(x.dtype, copy=False)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        a, x = op.inputs
        return [None, dy * polygamma(a + 1, x)]


def erf(x: Any, name: str | None = None) -> Tensor:
    """The Gauss error function, elementwise.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.erf([0.0, 1.0]))   # [0., 0.8427008]
        array([0.       , 0.8427008], dtype=float32)
    """
    return apply_op(Erf, [x], name=name)


def erfc(x: Any, name: str | None = None) -> Tensor:
    """The complementary error function 1 - erf(x), elementwise."""
    return apply_op(Erfc, [x], name=name)


def lgamma(x: Any, name: str | None = None) -> Tensor:
    """log(|Gamma(x)|), elementwise (inf at 0, -1, -2, ...).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.lgamma([1.0, 5.0]))   # [0., 3.1780539] (log 4! = log 24)
        array([0.       , 3.1780539], dtype=float32)
    """
    return apply_op(Lgamma, [x], name=name)


def digamma(x: Any, name: str | None = None) -> Tensor:
    """The derivative of lgamma, elementwise (NaN at 0, -1, -2, ...)."""
    return apply_op(Digamma, [x], name=name)


def polygamma(a: Any, x: Any, name: str | None = None) -> Tensor:
    """psi^(a)(x): the a-th derivative of digamma, for whole non-negative `a` (same dtype as x;
    NaN for other a)."""
    return _binary(Polygamma, a, x, name)


def erfinv(x: Any, name: str | None = None) -> Tensor:
    """The inverse error function, elementwise (+-inf at +-1, NaN outside [-1, 1])."""
    return apply_op(Erfinv, [x], name=name)


def ndtri(x: Any, name: str | None = None) -> Tensor:
    """The standard normal quantile function (the inverse of the normal CDF), elementwise."""
    return apply_op(Ndtri, [x], name=name)


def zeta(x: Any, q: Any, name: str | None = None) -> Tensor:
    """The Hurwitz zeta function sum_{k >= 0} (q + k)^-x, elementwise with broadcasting.

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.zeta(2.0, 1.0)))   # pi^2 / 6 = 1.6449341
        1.644934
    """
    return _binary(Zeta, x, q, name)


def erfcinv(x: Any, name: str | None = None) -> Tensor:
    """The inverse of erfc on (0, 2), elementwise: -ndtri(x / 2) / sqrt(2), which keeps full
    precision for tiny x."""
    from flowzero.framework.graph import convert_to_tensor
    from flowzero.ops.common import _graph_for

    with _graph_for(x):
        t = convert_to_tensor(x)
        return negative(ndtri(0.5 * t)) * math.sqrt(0.5)


def lbeta(x: Any, name: str | None = None) -> Tensor:
    """log|B(x)| = sum(lgamma(x)) - lgamma(sum(x)) over the last dimension.

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.lbeta([1.0, 1.0])))   # log B(1, 1) = 0
        0.0
    """
    from flowzero.ops.common import _graph_for
    from flowzero.ops.reduction_ops import reduce_sum

    with _graph_for(x):
        return reduce_sum(lgamma(x), -1) - lgamma(reduce_sum(x, -1), name=name or "lbeta")


def log_sigmoid(x: Any, name: str | None = None) -> Tensor:
    """log(1 / (1 + exp(-x))) = -softplus(-x), elementwise, without overflow.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.log_sigmoid([0.0, -100.0]))   # [-0.6931472, -100.]
        array([  -0.6931472, -100.       ], dtype=float32)
    """
    from flowzero.ops.activation_ops import softplus
    from flowzero.ops.common import _graph_for

    with _graph_for(x):
        return negative(softplus(negative(x)), name=name or "LogSigmoid")


__all__ = ["erf", "erfc", "lgamma", "digamma", "polygamma", "log_sigmoid", "zeta", "lbeta"]
