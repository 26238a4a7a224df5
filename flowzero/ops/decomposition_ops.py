"""Matrix decompositions over the last two axes (batched), with NumPy's LAPACK as kernels and
TF's gradient rules: matrix_band_part, cholesky, qr, svd, self_adjoint_eig(vals)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, zeros_like
from flowzero.ops.common import DTypeError, _graph_for, _require_int
from flowzero.ops.linalg_ops import matmul
from flowzero.ops.matrix_ops import (
    _known,
    _square,
    matrix_diag,
    matrix_diag_part,
    matrix_inverse,
    matrix_transpose,
)
from flowzero.ops.reshape_ops import expand_dims


def _float_matrices(self: OpDef, x: Tensor) -> list[int | None] | None:
    if not x.dtype.is_floating:
        raise self.error(f"input must be float matrices; got {x.dtype.name}.", cls=DTypeError)
    k = _known(x)
    if k is not None and len(k) < 2:
        raise self.error(f"input must have rank >= 2 ([..., M, N]); got shape {x.shape}.")
    return k


def _safe_reciprocal(x: Tensor, eps: float = 1e-20) -> Tensor:
    """x / (x^2 + eps): 1 / x away from 0, and 0 at 0 (for the eigen/singular-value gaps)."""
    return x / (x * x + eps)


def _set_diag_half(x: Tensor) -> Tensor:
    """x with its diagonal halved."""
    return x - 0.5 * matrix_diag(matrix_diag_part(x))


# -- band part ---------------------------------------------------------------------------------
@register_op("MatrixBandPart")
class MatrixBandPart(OpDef):
    """y[..., m, n] = x[..., m, n] if (lower < 0 or m - n <= lower) and (upper < 0 or
    n - m <= upper), else 0."""

    def infer(self, x: Tensor, lower: Tensor, upper: Tensor) -> TensorSpec:
        _require_int(self, lower, "num_lower")
        _require_int(self, upper, "num_upper")
        k = _known(x)
        if k is not None and len(k) < 2:
            raise self.error(f"input must have rank >= 2; got shape {x.shape}.")
        for t, nm in ((lower, "num_lower"), (upper, "num_upper")):
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        m, n = x.shape[-2], x.shape[-1]
        lo, up = int(lower), int(upper)
        if lo > m or up > n:
            raise self.error(
                f"num_lower must be <= {m} and num_upper <= {n} for [{m}, {n}] "
                f"matrices; got {lo} and {up}."
            )
        d = np.arange(m)[:, None] - np.arange(n)[None, :]
        keep = np.ones((m, n), bool)
        if lo >= 0:
            keep &= d <= lo
        if up >= 0:
            keep &= -d <= up
        return np.where(keep, x, np.zeros((), x.dtype))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [matrix_band_part(dy, op.inputs[1], op.inputs[2]), None, None]


def matrix_band_part(
    input: Any,  # noqa: A002
    num_lower: Any,
    num_upper: Any,
    name: str | None = None,
) -> Tensor:
    """Keeps a band of each matrix: `num_lower` subdiagonals and `num_upper` superdiagonals
    (a negative count keeps that whole triangle), zeroing the rest.

    Example:
        >>> x = tf.ones([3, 3])
        >>> sess = tf.Session()
        >>> sess.run(tf.matrix_band_part(x, -1, 0))   # lower triangle
        array([[1., 0., 0.],
               [1., 1., 0.],
               [1., 1., 1.]], dtype=float32)
        >>> sess.run(tf.matrix_band_part(x, 0, 0))    # diagonal
        array([[1., 0., 0.],
               [0., 1., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    with _graph_for(input, num_lower, num_upper):
        lo = _int_operand(num_lower, "num_lower")
        up = _int_operand(num_upper, "num_upper")
        return apply_op(MatrixBandPart, [input, lo, up], name=name)


# -- Cholesky ----------------------------------------------------------------------------------
@register_op("Cholesky")
class Cholesky(OpDef):
    """y = L, lower triangular with x = L L^T (x symmetric positive definite; only its lower
    triangle is read)."""

    def infer(self, x: Tensor) -> TensorSpec:
        _square(self, x)
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        try:
            return np.linalg.cholesky(x).astype(x.dtype, copy=False)
        except np.linalg.LinAlgError:
            raise self.error(
                "Cholesky decomposition was not successful. The input might not "
                "be valid (it must be symmetric positive definite)."
            ) from None

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # TF's rule (Murray 2016): with P = Phi(L^T dL) (lower triangle, diagonal halved),
        # dA = sym(L^-T P L^-1) / 2.
        l_ = op.outputs[0]
        l_inv = matrix_inverse(l_)
        middle = matrix_band_part(_set_diag_half(matmul(l_, dy, transpose_a=True)), -1, 0)
        g = matmul(matmul(l_inv, middle, transpose_a=True), l_inv)
        return [0.5 * (g + matrix_transpose(g))]


def cholesky(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The lower-triangular Cholesky factor L of each symmetric positive definite matrix
    (x = L L^T). InvalidArgumentError at run time when a matrix is not positive definite."""
    return apply_op(Cholesky, [input], name=name)


# -- QR ----------------------------------------------------------------------------------------
@register_op("Qr")
class Qr(OpDef):
    """q, r with x = q r, q orthonormal columns, r upper triangular ([M, K] and [K, N] with
    K = min(M, N), or [M, M] and [M, N] with full_matrices)."""

    def infer(self, x: Tensor) -> list[TensorSpec]:
        k = _float_matrices(self, x)
        if k is None:
            return [spec(TensorShape(None), x.dtype)] * 2
        m, n = k[-2], k[-1]
        kk = m if self.attrs["full_matrices"] else (None if m is None or n is None else min(m, n))
        return [spec(k[:-2] + [m, kk], x.dtype), spec(k[:-2] + [kk, n], x.dtype)]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        q, r = np.linalg.qr(x, mode="complete" if self.attrs["full_matrices"] else "reduced")
        return [q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)]

    def gradient(self, op: Any, dq: Tensor, dr: Tensor) -> list[Any]:
        q, r = op.outputs
        k = _known(r)
        if k is None or k[-2] is None or k[-1] is None:
            raise NotImplementedError("the gradient of qr needs static matrix dimensions")
        if k[-2] != k[-1]:  # r is square exactly when M >= N without full_matrices
            raise NotImplementedError(
                "the gradient of qr is implemented for M >= N without "
                "full_matrices only (as in TensorFlow 1.15)"
            )
        # TF's rule for real matrices, M >= N (Walter & Lehmann 2018).
        qdq = matmul(q, dq, transpose_a=True)
        qdq_ = qdq - matrix_transpose(qdq)
        rdr = matmul(r, dr, transpose_b=True)
        rdr_ = rdr - matrix_transpose(rdr)
        tril = matrix_band_part(qdq_ + rdr_, -1, 0)
        r_inv_t = matrix_transpose(matrix_inverse(r))  # x r^-T solves the triangular systems
        grad_a = matmul(q, dr + matmul(tril, r_inv_t))
        grad_b = matmul(dq - matmul(q, qdq), r_inv_t)
        return [grad_a + grad_b]


def qr(
    input: Any,  # noqa: A002
    full_matrices: bool = False,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The QR decomposition of each matrix: q (orthonormal columns) and r (upper triangular).

    Example:
        >>> a = tf.random_normal([5, 3])
        >>> q, r = tf.qr(a)   # a: [M, N] -> q: [M, min(M, N)], r: [min(M, N), N]
        >>> q.shape, r.shape
        (TensorShape([5, 3]), TensorShape([3, 3]))
        >>> sess = tf.Session()
        >>> a_val, qr_val = sess.run([a, tf.matmul(q, r)])
        >>> np.allclose(a_val, qr_val, atol=1e-5)
        True
    """
    q, r = apply_op(Qr, [input], {"full_matrices": bool(full_matrices)}, name=name)
    return q, r


# -- SVD ---------------------------------------------------------------------------------------
@register_op("Svd")
class Svd(OpDef):
    """s, u, v with x = u diag(s) v^T; s descending, [..., K] with K = min(M, N); u [M, K] and
    v [N, K] ([M, M] and [N, N] with full_matrices); u and v empty without compute_uv."""

    none_for_missing_grads = True

    def infer(self, x: Tensor) -> list[TensorSpec]:
        k = _float_matrices(self, x)
        if k is None:
            return [spec(TensorShape(None), x.dtype)] * 3
        m, n = k[-2], k[-1]
        kk = None if m is None or n is None else min(m, n)
        b = k[:-2]
        if not self.attrs["compute_uv"]:
            return [spec(b + [kk], x.dtype), spec([0], x.dtype), spec([0], x.dtype)]
        full = self.attrs["full_matrices"]
        return [
            spec(b + [kk], x.dtype),
            spec(b + [m, m if full else kk], x.dtype),
            spec(b + [n, n if full else kk], x.dtype),
        ]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        if not self.attrs["compute_uv"]:
            s = np.linalg.svd(x, compute_uv=False)
            empty = np.zeros(0, x.dtype)
            return [s.astype(x.dtype, copy=False), empty, empty]
        u, s, vh = np.linalg.svd(x, full_matrices=self.attrs["full_matrices"])
        return [
            s.astype(x.dtype, copy=False),
            u.astype(x.dtype, copy=False),
            np.ascontiguousarray(np.swapaxes(vh, -1, -2)).astype(x.dtype, copy=False),
        ]

    def gradient(
        self, op: Any, ds: Tensor | None, du: Tensor | None, dv: Tensor | None
    ) -> list[Any]:
        a = op.inputs[0]
        if not self.attrs["compute_uv"]:
            if ds is None:
                return [None]
            s, u, v = svd(a, compute_uv=True)
            return [matmul(u, matmul(matrix_diag(ds), v, transpose_b=True))]
        return [_svd_grad(self, op, ds, du, dv)]


def _svd_grad(
    self: OpDef, op: Any, ds: Tensor | None, du: Tensor | None, dv: Tensor | None
) -> Tensor:
    """TF's rule for real matrices (Townsend 2016; Giles 2008)."""
    k = _known(op.inputs[0])
    if k is None or k[-2] is None or k[-1] is None:
        raise NotImplementedError("the gradient of svd needs static matrix dimensions")
    m, n = k[-2], k[-1]
    s, u, v = op.outputs
    ds = zeros_like(s) if ds is None else ds
    du = zeros_like(u) if du is None else du
    dv = zeros_like(v) if dv is None else dv
    transposed = m > n
    if transposed:  # work on a^T = v s u^T
        m, n = n, m
        u, v, du, dv = v, u, dv, du
    full = self.attrs["full_matrices"]
    if full and abs(m - n) > 1:
        raise NotImplementedError(
            "the gradient of svd with full_matrices is implemented for "
            "|M - N| <= 1 only (as in TensorFlow)"
        )
    s_mat = matrix_diag(s)
    s2 = s * s
    f = _safe_reciprocal(expand_dims(s2, -2) - expand_dims(s2, -1))  # 0 on the diagonal
    v1, dv1 = v[..., :, :m], dv[..., :, :m]
    u_gu = matmul(u, du, transpose_a=True)
    v_gv = matmul(v1, dv1, transpose_a=True)
    f_u, f_v = f * u_gu, f * v_gv
    inner = (
        matrix_diag(ds)
        + matmul(f_u + matrix_transpose(f_u), s_mat)
        + matmul(s_mat, f_v + matrix_transpose(f_v))
    )
    grad = matmul(u, matmul(inner, v1, transpose_b=True))
    if m != n:
        gv1t = matrix_transpose(dv1)
        term = gv1t - matmul(matmul(gv1t, v1), v1, transpose_b=True)
        if full:
            v2, dv2 = v[..., :, m:n], dv[..., :, m:n]
            term = term - matmul(matmul(v1, dv2, transpose_a=True), v2, transpose_b=True)
        grad = grad + matmul(matmul(u, matrix_diag(_safe_reciprocal(s))), term)
    return matrix_transpose(grad) if transposed else grad


def svd(
    tensor: Any, full_matrices: bool = False, compute_uv: bool = True, name: str | None = None
) -> Any:
    """The singular value decomposition of each matrix: tensor = u diag(s) v^T.

    Returns:
        s (descending singular values) if not compute_uv; else (s, u, v) — note v, not v^T.

    Example:
        >>> a = tf.constant([[3., 0.], [4., 5.]])
        >>> s, u, v = tf.svd(a)
        >>> a_again = tf.matmul(u, tf.matmul(tf.matrix_diag(s), v, adjoint_b=True))
        >>> sess = tf.Session()
        >>> sess.run(s)
        array([6.708204, 2.236068], dtype=float32)
        >>> np.allclose(sess.run(a_again), [[3., 0.], [4., 5.]], atol=1e-5)
        True
    """
    attrs = {"full_matrices": bool(full_matrices), "compute_uv": bool(compute_uv)}
    s, u, v = apply_op(Svd, [tensor], attrs, name=name)
    return (s, u, v) if compute_uv else s


# -- symmetric eigendecomposition --------------------------------------------------------------
@register_op("SelfAdjointEigV2")
class SelfAdjointEigV2(OpDef):
    """e, v with x = v diag(e) v^T, e ascending (x symmetric; only its lower triangle is
    read); v is empty without compute_v."""

    none_for_missing_grads = True

    def infer(self, x: Tensor) -> list[TensorSpec]:
        _square(self, x)
        k = _known(x)
        if k is None:
            return [spec(TensorShape(None), x.dtype)] * 2
        v = spec(k, x.dtype) if self.attrs["compute_v"] else spec([0], x.dtype)
        return [spec(k[:-1], x.dtype), v]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        if not self.attrs["compute_v"]:
            e = np.linalg.eigvalsh(x, UPLO="L")
            return [e.astype(x.dtype, copy=False), np.zeros(0, x.dtype)]
        e, v = np.linalg.eigh(x, UPLO="L")
        return [e.astype(x.dtype, copy=False), v.astype(x.dtype, copy=False)]

    def gradient(self, op: Any, de: Tensor | None, dv: Tensor | None) -> list[Any]:
        e = op.outputs[0]
        de = zeros_like(e) if de is None else de
        if self.attrs["compute_v"]:
            v = op.outputs[1]
            if dv is None:
                dv = zeros_like(v)
            f = _safe_reciprocal(expand_dims(e, -2) - expand_dims(e, -1))  # 0 on the diagonal
            g = matmul(
                v,
                matmul(matrix_diag(de) + f * matmul(v, dv, transpose_a=True), v, transpose_b=True),
            )
        else:
            _, v = self_adjoint_eig(op.inputs[0])
            g = matmul(v, matmul(matrix_diag(de), v, transpose_b=True))
        # The op reads the lower triangle only: symmetrize onto it.
        return [_set_diag_half(matrix_band_part(g + matrix_transpose(g), -1, 0))]


def self_adjoint_eig(tensor: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
    """The eigenvalues (ascending) and eigenvectors (columns) of each symmetric matrix.

    Example:
        >>> a = tf.constant([[2., 1.], [1., 2.]])
        >>> e, v = tf.self_adjoint_eig(a)   # a = v diag(e) v^T
        >>> sess = tf.Session()
        >>> sess.run(e)
        array([1., 3.], dtype=float32)
    """
    e, v = apply_op(SelfAdjointEigV2, [tensor], {"compute_v": True}, name=name)
    return e, v


def self_adjoint_eigvals(tensor: Any, name: str | None = None) -> Tensor:
    """The eigenvalues (ascending) of each symmetric matrix."""
    e, _ = apply_op(SelfAdjointEigV2, [tensor], {"compute_v": False}, name=name)
    return e


__all__ = ["matrix_band_part", "cholesky", "qr", "svd", "self_adjoint_eig", "self_adjoint_eigvals"]
