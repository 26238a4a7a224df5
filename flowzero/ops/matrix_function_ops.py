"""Matrix functions and tridiagonal systems over the last two axes (batched): expm
(MatrixExponential: Pade with scaling and squaring, as TF), sqrtm (MatrixSquareRoot), logm
(MatrixLogarithm, complex), tridiagonal_solve (TridiagonalSolve) and tridiagonal_matmul (a
composite of shifts)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for
from flowzero.ops.matrix_ops import _known

# -- expm --------------------------------------------------------------------------------------
# Higham (2005)'s l1-norm bounds under which the Pade approximant of each degree is accurate to
# the dtype's precision (the degree-13 bound is where scaling starts), as TF uses them.
_PADE_BOUNDS = {
    np.dtype(np.float64): (
        (1.495585217958292e-002, 3),
        (2.539398330063230e-001, 5),
        (9.504178996162932e-001, 7),
        (2.097847961257068e000, 9),
        (5.371920351148152e000, 13),
    ),
    np.dtype(np.float32): (
        (4.258730016922831e-001, 3),
        (1.880152677804762e000, 5),
        (3.925724783138660e000, 7),
    ),
}


def _pade_coefficients(m: int) -> list[float]:
    """b_j of the [m/m] Pade approximant of exp: (2m - j)! m! / ((2m)! j! (m - j)!), scaled
    so that b_m = 1 (only ratios matter)."""
    c = [
        math.factorial(2 * m - j) * math.factorial(m) / (math.factorial(j) * math.factorial(m - j))
        for j in range(m + 1)
    ]
    return [v / c[m] for v in c]


def _pade(a: np.ndarray, m: int) -> np.ndarray:
    """exp(a) ~ q(a)^-1 p(a), p = u + v (odd + even part), q = -u + v."""
    b = _pade_coefficients(m)
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    a2 = a @ a
    powers = [eye, a2]
    for _ in range(2, m // 2 + 1):
        powers.append(powers[-1] @ a2)
    if m == 13:  # Higham's grouping: only a^2, a^4, a^6 (and products) are formed
        a4, a6 = powers[2], powers[3]
        odd = b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye
        u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + odd)
        even = b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
        v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + even
    else:
        u = a @ sum(b[2 * k + 1] * powers[k] for k in range(m // 2 + 1))
        v = sum(b[2 * k] * powers[k] for k in range(m // 2 + 1))
    return np.linalg.solve(v - u, v + u)


def _expm(x: np.ndarray) -> np.ndarray:
    bounds = _PADE_BOUNDS[np.dtype(x.dtype)]
    n = x.shape[-1]
    flat = x.reshape((-1, n, n))
    out = np.empty_like(flat)
    norms = np.abs(flat).sum(axis=-2).max(axis=-1) if n else np.zeros(len(flat))
    done = np.zeros(len(flat), bool)
    for bound, m in bounds[:-1]:
        sel = np.flatnonzero(~done & (norms < bound))
        if sel.size:
            out[sel] = _pade(flat[sel], m)
            done[sel] = True
    sel = np.flatnonzero(~done)
    if sel.size:  # exp(a) = exp(a / 2^s)^(2^s)
        bound, m = bounds[-1]
        with np.errstate(divide="ignore"):
            s = np.maximum(0, np.floor(np.log2(norms[sel] / bound))).astype(np.int64)
        r = _pade(flat[sel] / (2.0**s)[:, None, None].astype(x.dtype), m)
        for k in range(int(s.max()) if s.size else 0):
            more = s > k
            r[more] = r[more] @ r[more]
        out[sel] = r
    return out.reshape(x.shape)


def _float_square(self: OpDef, x: Tensor, kinds: str = "f") -> list[int | None] | None:
    if x.dtype.np.kind not in kinds:
        want = "a complex" if kinds == "c" else "a float"
        raise self.error(f"input must be {want} matrix; got {x.dtype.name}.", cls=DTypeError)
    k = _known(x)
    if k is not None and (len(k) < 2 or (None not in k[-2:] and k[-1] != k[-2])):
        raise self.error(f"input must be square matrices [..., M, M]; got shape {x.shape}.")
    return k


@register_op("MatrixExponential")
class MatrixExponential(OpDef):
    """y = exp(x) = sum_k x^k / k! for each matrix of the batch."""

    grads_match_inputs = True

    def infer(self, x: Tensor) -> TensorSpec:
        _float_square(self, x)
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return _expm(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # The adjoint of the Frechet derivative: L(x^T, dy), the upper right block of
        # exp([[x^T, dy], [0, x^T]]) (Mathias 1996), itself an expm, so it differentiates again.
        from flowzero.ops.array_ops import zeros_like
        from flowzero.ops.manip_ops import concat
        from flowzero.ops.matrix_ops import matrix_transpose
        from flowzero.ops.slicing_ops import strided_slice

        xt = matrix_transpose(op.inputs[0])
        big = concat([concat([xt, dy], -1), concat([zeros_like(xt), xt], -1)], -2)
        k = _known(xt)
        if k is None or k[-1] is None:
            raise NotImplementedError("the gradient of expm needs a static matrix size")
        n = k[-1]
        e = expm(big)
        rank = len(k)
        begin = [0] * (rank - 2) + [0, n]
        end = [0] * (rank - 2) + [n, 2 * n]
        mask = (1 << (rank - 2)) - 1  # every batch axis whole
        return [strided_slice(e, begin, end, begin_mask=mask, end_mask=mask)]


def expm(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The matrix exponential of each square matrix (Pade approximant with scaling and
    squaring, as TF: degree up to 13 in float64, 7 in float32). Differentiable.

    Example:
        >>> tf.Session().run(tf.linalg.expm([[0., 1.], [0., 0.]]))
        array([[1., 1.],
               [0., 1.]], dtype=float32)
    """
    return apply_op(MatrixExponential, [input], name=name)


# -- sqrtm and logm ----------------------------------------------------------------------------
_SQRT_ITERS = 60


def _sqrtm(a: np.ndarray) -> np.ndarray:
    """The principal square root by the scaled product-form Denman-Beavers iteration
    (Higham 2008, 6.29): m -> I and y -> a^(1/2) quadratically. NaN where it does not converge
    (an eigenvalue on the closed negative real axis has no principal root)."""
    n = a.shape[-1]
    flat = a.reshape((-1, n, n)).astype(np.result_type(a.dtype, np.float64))
    eye = np.eye(n, dtype=flat.dtype)
    y, m = flat.copy(), flat.copy()
    ok = np.ones(len(flat), bool)
    tol = n * np.finfo(np.float64).eps * 4
    with np.errstate(all="ignore"):
        for it in range(_SQRT_ITERS):
            try:
                minv = np.linalg.inv(m)
            except np.linalg.LinAlgError:
                minv = np.linalg.pinv(m) * np.nan
            if it < 6:  # determinant scaling while far from convergence
                mu = np.abs(np.linalg.det(m)) ** (-1.0 / (2 * n))
                mu = np.where(np.isfinite(mu) & (mu > 0), mu, 1.0)[:, None, None]
            else:
                mu = 1.0
            y = 0.5 * mu * (y @ (eye + minv / mu**2))
            m = 0.5 * (eye + 0.5 * (mu**2 * m + minv / mu**2))
            err = np.abs(m - eye).max(axis=(-1, -2)) if n else np.zeros(len(flat))
            if np.all(err <= tol):
                break
        ok = np.abs(m - eye).max(axis=(-1, -2)) <= 1e3 * tol if n else ok
    y[~ok] = np.nan
    if a.dtype.kind != "c":
        y = y.real
    return y.reshape(a.shape).astype(a.dtype, copy=False)


@register_op("MatrixSquareRoot")
class MatrixSquareRoot(OpDef):
    """y with y y = x, the principal square root of each matrix (NaN where none is real)."""

    differentiable = False  # no gradient in TF 1.15

    def infer(self, x: Tensor) -> TensorSpec:
        _float_square(self, x, "fc")
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-1] == 0:
            return x.copy()
        return _sqrtm(x)


def sqrtm(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The principal square root of each square matrix (NaN for a matrix with an eigenvalue
    on the negative real axis). No gradient, as in TF 1.15.

    Example:
        >>> tf.Session().run(tf.linalg.sqrtm([[4., 0.], [0., 9.]]))
        array([[2., 0.],
               [0., 3.]], dtype=float32)
    """
    return apply_op(MatrixSquareRoot, [input], name=name)


def _logm(a: np.ndarray) -> np.ndarray:
    """The principal logarithm by inverse scaling and squaring: square roots until
    ||a^(1/2^k) - I|| <= 1/4, then the series of log(I + x) (40 terms: < 1e-25), times 2^k."""
    n = a.shape[-1]
    flat = a.reshape((-1, n, n)).astype(np.complex128)
    eye = np.eye(n, dtype=flat.dtype)
    out = np.empty_like(flat)
    for i, mat in enumerate(flat):  # each matrix needs its own number of roots
        k = 0
        while np.abs(mat - eye).sum(axis=0).max() > 0.25 and k < 60:
            mat = _sqrtm(mat)
            k += 1
        x = mat - eye
        term = x.copy()
        total = x.copy()
        for j in range(2, 41):
            term = term @ x
            total += ((-1) ** (j + 1) / j) * term
        out[i] = total * 2.0**k
    return out.reshape(a.shape).astype(a.dtype, copy=False)


@register_op("MatrixLogarithm")
class MatrixLogarithm(OpDef):
    """y = log(x), the principal matrix logarithm of each complex matrix."""

    differentiable = False  # no gradient in TF

    def infer(self, x: Tensor) -> TensorSpec:
        _float_square(self, x, "c")
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return _logm(x) if x.size else x.copy()


def logm(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The principal logarithm of each square complex matrix (as TF: complex64/128 only).

    Example:
        >>> tf.Session().run(tf.linalg.logm(tf.cast([[1., 1.], [0., 1.]], tf.complex128))).real
        array([[0., 1.],
               [0., 0.]])
    """
    return apply_op(MatrixLogarithm, [input], name=name)


# -- tridiagonal systems -----------------------------------------------------------------------
def _thomas(sup: np.ndarray, main: np.ndarray, sub: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tridiagonal solve without pivoting, every batch entry and column at once; a zero pivot
    gives inf/NaN, as TF's partial_pivoting=False."""
    m = main.shape[-1]
    c = np.empty_like(main)
    d = np.empty_like(b)
    with np.errstate(all="ignore"):
        c[..., 0] = sup[..., 0] / main[..., 0]
        d[..., 0, :] = b[..., 0, :] / main[..., 0, None]
        for i in range(1, m):
            den = main[..., i] - sub[..., i] * c[..., i - 1]
            c[..., i] = sup[..., i] / den
            d[..., i, :] = (b[..., i, :] - sub[..., i, None] * d[..., i - 1, :]) / den[..., None]
        x = np.empty_like(d)
        x[..., m - 1, :] = d[..., m - 1, :]
        for i in range(m - 2, -1, -1):
            x[..., i, :] = d[..., i, :] - c[..., i, None] * x[..., i + 1, :]
    return x


def _dense(sup: np.ndarray, main: np.ndarray, sub: np.ndarray) -> np.ndarray:
    m = main.shape[-1]
    a = np.zeros(main.shape + (m,), main.dtype)
    i = np.arange(m)
    a[..., i, i] = main
    a[..., i[:-1], i[:-1] + 1] = sup[..., :-1]
    a[..., i[1:], i[1:] - 1] = sub[..., 1:]
    return a


@register_op("TridiagonalSolve")
class TridiagonalSolve(OpDef):
    """x with A x = rhs, A tridiagonal given as diagonals [..., 3, M] (superdiagonal, main
    diagonal, subdiagonal; the superdiagonal's last and the subdiagonal's first entry unused)."""

    def infer(self, diags: Tensor, rhs: Tensor) -> TensorSpec:
        if diags.dtype is not rhs.dtype or diags.dtype.np.kind not in "fc":
            raise self.error(
                f"diagonals and rhs must share a float or complex dtype; got "
                f"{diags.dtype.name} and {rhs.dtype.name}.",
                cls=DTypeError,
            )
        kd, kr = _known(diags), _known(rhs)
        if kd is not None and (len(kd) < 2 or kd[-2] not in (None, 3)):
            raise self.error(f"diagonals must have shape [..., 3, M]; got {diags.shape}.")
        if kr is not None and len(kr) < 2:
            raise self.error(f"rhs must have shape [..., M, K]; got {rhs.shape}.")
        if kd is not None and kr is not None and None not in (kd[-1], kr[-2]):
            if kd[-1] != kr[-2]:
                raise self.error(
                    f"diagonals [..., 3, M] and rhs [..., M, K] must agree on M; got "
                    f"diagonals: {diags.shape}, rhs: {rhs.shape}."
                )
        return spec(rhs.shape, rhs.dtype)

    def compute(self, diags: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        if diags.shape[-1] != rhs.shape[-2] or diags.shape[:-2] != rhs.shape[:-2]:
            raise self.error(
                f"diagonals [..., 3, M] and rhs [..., M, K] must agree; got diagonals: "
                f"{diags.shape}, rhs: {rhs.shape}."
            )
        if rhs.shape[-2] == 0:
            return rhs.copy()
        sup, main, sub = diags[..., 0, :], diags[..., 1, :], diags[..., 2, :]
        if not self.attrs["partial_pivoting"]:
            return _thomas(sup, main, sub, rhs).astype(rhs.dtype, copy=False)
        try:  # LAPACK's dense LU with partial pivoting (what gtsv does on the band)
            return np.linalg.solve(_dense(sup, main, sub), rhs).astype(rhs.dtype, copy=False)
        except np.linalg.LinAlgError:
            raise self.error("The matrix is not invertible.") from None

    def gradient(self, op: Any, dx: Tensor) -> list[Any]:
        from flowzero.ops.array_ops import stack
        from flowzero.ops.reduction_ops import reduce_sum

        diags, x = op.inputs[0], op.outputs[0]
        # A^T has the superdiagonal and subdiagonal swapped (and shifted by one)
        sup, main, sub = diags[..., 0, :], diags[..., 1, :], diags[..., 2, :]
        t_sup = _pad_one(sub[..., 1:], -1, at_end=True)
        t_sub = _pad_one(sup[..., :-1], -1, at_end=False)
        db = tridiagonal_solve(
            stack([t_sup, main, t_sub], -2), dx, partial_pivoting=self.attrs["partial_pivoting"]
        )
        # dA = -db x^T on the three diagonals
        d_main = -reduce_sum(db * x, -1)
        d_sup = _pad_one(-reduce_sum(db[..., :-1, :] * x[..., 1:, :], -1), -1, at_end=True)
        d_sub = _pad_one(-reduce_sum(db[..., 1:, :] * x[..., :-1, :], -1), -1, at_end=False)
        return [stack([d_sup, d_main, d_sub], -2), db]


def _pad_one(x: Tensor, axis: int, at_end: bool) -> Tensor:
    """x with one zero slice added along a negative `axis` (-1 or -2), at its end or start;
    any rank, known or not."""
    from flowzero.ops.array_ops import zeros_like
    from flowzero.ops.manip_ops import concat

    zero = zeros_like(x[..., :1] if axis == -1 else x[..., :1, :])
    return concat([x, zero] if at_end else [zero, x], axis)


def _compact(diagonals: Any, diagonals_format: str) -> Tensor:
    """diagonals in the [..., 3, M] form, from 'compact', 'sequence' or 'matrix'."""
    from flowzero.ops.array_ops import stack
    from flowzero.ops.matrix_ops import matrix_diag_part

    if diagonals_format == "compact":
        return convert_to_tensor(diagonals)
    if diagonals_format == "sequence":
        if not isinstance(diagonals, (list, tuple)) or len(diagonals) != 3:
            raise ValueError(
                "tridiagonal: diagonals_format='sequence' expects a list of three tensors "
                f"(superdiagonal, diagonal, subdiagonal); got {type(diagonals).__name__}."
            )
        return stack([convert_to_tensor(d) for d in diagonals], -2)
    if diagonals_format == "matrix":
        m = convert_to_tensor(diagonals)
        sup = _pad_one(matrix_diag_part(m[..., :, 1:]), -1, at_end=True)  # A[i, i + 1]
        sub = _pad_one(matrix_diag_part(m[..., 1:, :]), -1, at_end=False)  # A[i + 1, i]
        return stack([sup, matrix_diag_part(m), sub], -2)
    raise ValueError(
        "tridiagonal: diagonals_format must be 'compact', 'sequence' or 'matrix'; got "
        f"{diagonals_format!r}."
    )


def tridiagonal_solve(
    diagonals: Any,
    rhs: Any,
    diagonals_format: str = "compact",
    transpose_rhs: bool = False,
    conjugate_rhs: bool = False,
    name: str | None = None,
    partial_pivoting: bool = True,
) -> Tensor:
    """Solves A @ x = rhs for tridiagonal A: diagonals [..., 3, M] ('compact': superdiagonal,
    diagonal, subdiagonal), a list of three [..., M] ('sequence') or the matrix [..., M, M]
    ('matrix'); rhs [..., M, K] or [..., M]. Differentiable in the diagonals and rhs.

    Raises:
        InvalidArgumentError: at run time, for a singular A (with partial_pivoting).

    Example:
        >>> x = tf.linalg.tridiagonal_solve([[1., 0.], [2., 2.], [0., 1.]], [[3.], [3.]])
        >>> tf.Session().run(x)
        array([[1.],
               [1.]], dtype=float32)
    """
    from flowzero.ops.complex_ops import conj
    from flowzero.ops.matrix_ops import matrix_transpose
    from flowzero.ops.reshape_ops import expand_dims, squeeze

    with _graph_for(diagonals, rhs):
        d = _compact(diagonals, diagonals_format)
        r = convert_to_tensor(rhs, dtype=d.dtype)
        with d.graph.name_scope(name or "tridiagonal_solve"):
            if transpose_rhs:
                r = matrix_transpose(r) if r.shape.ndims != 1 else r
            if conjugate_rhs:
                r = conj(r)
            kd, kr = _known(d), _known(r)
            vector = kd is not None and kr is not None and len(kr) == len(kd) - 1
            if vector:
                r = expand_dims(r, -1)
            x = apply_op(TridiagonalSolve, [d, r], {"partial_pivoting": bool(partial_pivoting)})
            return squeeze(x, [-1]) if vector else x


def tridiagonal_matmul(
    diagonals: Any, rhs: Any, diagonals_format: str = "compact", name: str | None = None
) -> Tensor:
    """A @ rhs for tridiagonal A (the formats of tridiagonal_solve), without forming A:
    superdiagonal * rhs shifted up + diagonal * rhs + subdiagonal * rhs shifted down.

    Example:
        >>> y = tf.linalg.tridiagonal_matmul([[1., 0.], [2., 2.], [0., 1.]], [[1.], [1.]])
        >>> tf.Session().run(y)
        array([[3.],
               [3.]], dtype=float32)
    """
    from flowzero.ops.reshape_ops import expand_dims

    with _graph_for(diagonals, rhs):
        d = _compact(diagonals, diagonals_format)
        r = convert_to_tensor(rhs, dtype=d.dtype)
        with d.graph.name_scope(name or "tridiagonal_matmul"):
            up = _pad_one(r[..., 1:, :], -2, at_end=True)  # row i holds rhs[i + 1]
            down = _pad_one(r[..., :-1, :], -2, at_end=False)  # row i holds rhs[i - 1]
            sup = expand_dims(d[..., 0, :], -1)
            main = expand_dims(d[..., 1, :], -1)
            sub = expand_dims(d[..., 2, :], -1)
            return sup * up + main * r + sub * down


matrix_square_root = sqrtm  # TF 1.15's root name for tf.linalg.sqrtm

__all__ = ["matrix_square_root"]
