"""Regenerates the polynomial tables of flowzero/ops/erf_kernel.py (needs mpmath; offline only).

Chebyshev interpolation at 40 digits of erf(x)/x on x^2 in [0, 1/4] and of x erfcx(x) on each
interval, converted to powers of the interval variable t in [-1, 1], trailing terms below
2e-18 (small table) or 5e-18 dropped. Prints Python literals to paste into the kernel.
"""

import mpmath as mp
from numpy.polynomial import chebyshev

mp.mp.dps = 40
EDGES = [0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6.5, 8.5, 12, 18, 28]


def cheb(f, lo, hi, deg):
    n = deg + 1
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    vals = [f(lo + (hi - lo) * (t + 1) / 2) for t in nodes]
    c = [
        2 * sum(vals[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / n) for k in range(n)) / n
        for j in range(n)
    ]
    c[0] /= 2
    return [float(v) for v in c]


def trimmed(c, tol):
    while abs(c[-1]) < tol:
        c = c[:-1]
    return c


def main():
    def x_erfcx(x):
        return x * mp.exp(x * x) * mp.erfc(x)

    def erf_over_x(t):  # as a function of t = x^2
        return mp.erf(mp.sqrt(t)) / mp.sqrt(t) if t > 0 else 2 / mp.sqrt(mp.pi)

    small = trimmed(cheb(erf_over_x, 0, 0.25, 10), 2e-18)
    print("_ERF_SMALL =", tuple(chebyshev.cheb2poly(small).tolist()))
    for lo, hi in zip(EDGES[:-1], EDGES[1:]):
        c = cheb(x_erfcx, lo, hi, 24)
        deg = max(j for j in range(len(c)) if abs(c[j]) > 5e-18)
        c = cheb(x_erfcx, lo, hi, deg)
        print((float(lo), float(hi), tuple(chebyshev.cheb2poly(c).tolist())))


if __name__ == "__main__":
    main()
