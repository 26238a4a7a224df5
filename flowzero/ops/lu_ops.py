"""LU, determinants and least squares over the last two axes (batched): Lu (partial pivoting,
as LAPACK's getrf), LogMatrixDeterminant (slogdet), MatrixSolveLs (lstsq), and the composites
lu_reconstruct, lu_solve, lu_matrix_inverse, pinv and matrix_rank."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError, _graph_for
from flowzero.ops.decomposition_ops import cholesky, matrix_band_part, svd
from flowzero.ops.linalg_ops import matmul
from flowzero.ops.matrix_ops import _known, _square, matrix_inverse, matrix_transpose
from flowzero.ops.reshape_ops import expand_dims
from flowzero.ops.solve_ops import cholesky_solve, matrix_triangular_solve


# -- LU ----------------------------------------------------------------------------------------
def _lu_factor(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Doolittle LU with partial pivoting of a batch [B, N, N]: (lu, perm, singular) with
    a[b][perm[b]] = L U, L unit lower (below lu's diagonal), U upper (on and above it). The
    pivot is the first largest |entry| of the column, as LAPACK's getrf picks it."""
    lu = a.copy()
    b, n = lu.shape[0], lu.shape[-1]
    perm = np.broadcast_to(np.arange(n), (b, n)).copy()
    rows = np.arange(b)
    singular = np.zeros(b, bool)
    for k in range(n):
        piv = k + np.argmax(np.abs(lu[:, k:, k]), axis=1)
        lu[rows, [k], :], lu[rows, piv, :] = lu[rows, piv, :], lu[rows, [k], :].copy()
        perm[rows, k], perm[rows, piv] = perm[rows, piv], perm[rows, k].copy()
        d = lu[:, k, k]
        singular |= d == 0
        safe = np.where(d == 0, 1, d)
        lu[:, k + 1 :, k] /= safe[:, None]
        lu[:, k + 1 :, k + 1 :] -= lu[:, k + 1 :, k, None] * lu[:, None, k, k + 1 :]
    return lu, perm, singular


@register_op("Lu")
class Lu(OpDef):
    """lu, p with input[..., p, :] = L U: L unit lower triangular (strictly below lu's
    diagonal), U upper triangular (on and above it), p the row permutation."""

    differentiable = False  # as TF: no gradient for Lu

    def infer(self, x: Tensor) -> list[TensorSpec]:
        _square(self, x)
        k = _known(x)
        idx = dtypes.as_dtype(self.attrs["output_idx_type"])
        if k is None:
            return [spec(TensorShape(None), x.dtype), spec(TensorShape(None), idx)]
        return [spec(k, x.dtype), spec(k[:-1], idx)]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        n = x.shape[-1]
        lu, perm, singular = _lu_factor(x.reshape((-1, n, n)))
        if singular.any():
            raise self.error("Input is not invertible.")
        idx = dtypes.as_dtype(self.attrs["output_idx_type"]).np
        return [lu.reshape(x.shape), perm.reshape(x.shape[:-1]).astype(idx)]


def lu(input: Any, output_idx_type: Any = dtypes.int32, name: str | None = None) -> Any:  # noqa: A002
    """The LU decomposition with partial pivoting of each square matrix: (lu, p) with
    input[..., p, :] = L @ U (L = unit lower part of lu, U = its upper part).

    Raises:
        InvalidArgumentError: at run time, for a singular matrix ("Input is not invertible.").

    Example:
        >>> lu, p = tf.linalg.lu([[1., 2.], [3., 4.]])
        >>> tf.Session().run(p)   # row 1 first
        array([1, 0], dtype=int32)
    """
    out = apply_op(Lu, [input], {"output_idx_type": dtypes.as_dtype(output_idx_type)}, name=name)
    return LuResult(*out)


class LuResult(NamedTuple):
    lu: Tensor
    p: Tensor


def _unit_lower_upper(lower_upper: Tensor) -> tuple[Tensor, Tensor]:
    from flowzero.ops.array_ops import ones_like
    from flowzero.ops.linalg_more_ops import matrix_set_diag
    from flowzero.ops.matrix_ops import matrix_diag_part

    lower = matrix_set_diag(
        matrix_band_part(lower_upper, -1, 0), ones_like(matrix_diag_part(lower_upper))
    )
    return lower, matrix_band_part(lower_upper, 0, -1)


def _permutation_matrix(perm: Tensor, dtype: Any) -> Tensor:
    """P with P[..., i, perm[i]] = 1, so that P @ x = x[..., perm, :]."""
    from flowzero.ops.array_ops import shape
    from flowzero.ops.indexing_ops import one_hot

    return one_hot(perm, shape(perm)[-1], dtype=dtype)


def lu_reconstruct(
    lower_upper: Any, perm: Any, validate_args: bool = False, name: str | None = None
) -> Tensor:
    """The matrix `tf.linalg.lu` factored: P^T (L @ U).

    Example:
        >>> a = tf.constant([[1., 2.], [3., 4.]])
        >>> tf.Session().run(tf.linalg.lu_reconstruct(*tf.linalg.lu(a)))   # a again
        array([[1., 2.],
               [3., 4.]], dtype=float32)
    """
    with _graph_for(lower_upper, perm):
        lower_upper = convert_to_tensor(lower_upper)
        with lower_upper.graph.name_scope(name or "lu_reconstruct"):
            lower, upper = _unit_lower_upper(lower_upper)
            p = _permutation_matrix(convert_to_tensor(perm), lower_upper.dtype)
            return matmul(p, matmul(lower, upper), transpose_a=True)


def lu_solve(
    lower_upper: Any, perm: Any, rhs: Any, validate_args: bool = False, name: str | None = None
) -> Tensor:
    """Solves A @ x = rhs given A's `tf.linalg.lu` factors: L U x = rhs[perm], two triangular
    solves."""
    with _graph_for(lower_upper, perm, rhs):
        lower_upper = convert_to_tensor(lower_upper)
        with lower_upper.graph.name_scope(name or "lu_solve"):
            lower, upper = _unit_lower_upper(lower_upper)
            p = _permutation_matrix(convert_to_tensor(perm), lower_upper.dtype)
            y = matrix_triangular_solve(lower, matmul(p, rhs), lower=True)
            return matrix_triangular_solve(upper, y, lower=False)


def lu_matrix_inverse(
    lower_upper: Any, perm: Any, validate_args: bool = False, name: str | None = None
) -> Tensor:
    """A^-1 from A's `tf.linalg.lu` factors (lu_solve with the identity)."""
    from flowzero.ops.array_ops import ones_like, zeros_like
    from flowzero.ops.linalg_more_ops import matrix_set_diag
    from flowzero.ops.matrix_ops import matrix_diag_part

    with _graph_for(lower_upper, perm):
        lower_upper = convert_to_tensor(lower_upper)
        with lower_upper.graph.name_scope(name or "lu_matrix_inverse"):
            eye = matrix_set_diag(zeros_like(lower_upper), ones_like(matrix_diag_part(lower_upper)))
            return lu_solve(lower_upper, perm, eye)


# -- slogdet -----------------------------------------------------------------------------------
@register_op("LogMatrixDeterminant")
class LogMatrixDeterminant(OpDef):
    """sign, log|det(x)| for each matrix of the batch (0 and -inf for a singular one)."""

    def infer(self, x: Tensor) -> list[TensorSpec]:
        _square(self, x)
        k = _known(x)
        batch = TensorShape(None if k is None else k[:-2])
        return [spec(batch, x.dtype), spec(batch, x.dtype)]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        sign, logabs = np.linalg.slogdet(x)
        return [np.asarray(sign, x.dtype), np.asarray(logabs, x.dtype)]

    def gradient(self, op: Any, dsign: Tensor | None, dlog: Tensor) -> list[Any]:
        x = op.inputs[0]  # d log|det A| / dA = A^-T; the sign is piecewise constant
        return [expand_dims(expand_dims(dlog, -1), -1) * matrix_transpose(matrix_inverse(x))]


def slogdet(input: Any, name: str | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(sign, log|det|) of each square matrix: the determinant without overflow.

    Example:
        >>> sign, logabs = tf.Session().run(tf.linalg.slogdet([[2., 0.], [0., -3.]]))
        >>> print(sign, round(float(logabs), 6))   # the determinant is -6
        -1.0 1.791759
    """
    sign, logabs = apply_op(LogMatrixDeterminant, [input], name=name)
    return sign, logabs


# -- least squares -----------------------------------------------------------------------------
@register_op("MatrixSolveLs")
class MatrixSolveLs(OpDef):
    """x minimising ||matrix x - rhs||^2 + l2 ||x||^2 for each matrix of the batch ([M, N] and
    [M, K] -> [N, K]): normal equations with Cholesky (fast), else an orthogonal solve."""

    def infer(self, a: Tensor, b: Tensor, l2: Tensor) -> TensorSpec:
        if not a.dtype.is_floating or b.dtype is not a.dtype:
            raise self.error(
                f"matrix and rhs must share a float dtype; got {a.dtype.name} and {b.dtype.name}.",
                cls=DTypeError,
            )
        if l2.dtype is not dtypes.float64:
            raise self.error(
                f"l2_regularizer must be a float64 scalar; got {l2.dtype.name}.", cls=DTypeError
            )
        ka, kb = _known(a), _known(b)
        if ka is not None and len(ka) < 2 or kb is not None and len(kb) < 2:
            raise self.error(f"matrix and rhs must have rank >= 2; got {a.shape} and {b.shape}.")
        if ka is None or kb is None:
            return spec(TensorShape(None), a.dtype)
        if ka[-2] is not None and kb[-2] is not None and ka[-2] != kb[-2]:
            raise self.error(
                f"matrix and rhs must have the same number of rows; got matrix: {a.shape}, "
                f"rhs: {b.shape}."
            )
        return spec(ka[:-2] + [ka[-1], kb[-1]], a.dtype)

    def compute(self, a: np.ndarray, b: np.ndarray, l2: np.ndarray) -> np.ndarray:
        if a.shape[:-2] != b.shape[:-2] or a.shape[-2] != b.shape[-2]:
            raise self.error(
                f"matrix [..., M, N] and rhs [..., M, K] do not fit; got matrix: {a.shape}, "
                f"rhs: {b.shape}."
            )
        m, n = a.shape[-2:]
        at = np.swapaxes(a, -1, -2)
        if not self.attrs["fast"]:  # minimum-norm least squares (l2 ignored, as TF)
            return (np.linalg.pinv(a) @ b).astype(a.dtype, copy=False)
        lam = float(l2)
        try:
            if m >= n:
                gram = at @ a + lam * np.eye(n, dtype=a.dtype)
                return np.linalg.solve(gram, at @ b).astype(a.dtype, copy=False)
            gram = a @ at + lam * np.eye(m, dtype=a.dtype)
            return (at @ np.linalg.solve(gram, b)).astype(a.dtype, copy=False)
        except np.linalg.LinAlgError:
            raise self.error("Input matrix is not invertible (rank deficient).") from None

    def gradient(self, op: Any, dx: Tensor) -> list[Any]:
        if not self.attrs["fast"]:
            raise NotImplementedError("MatrixSolveLs: the gradient is defined for fast=True only")
        a, b, l2 = op.inputs
        x = op.outputs[0]
        ka = _known(a)
        if ka is None or ka[-2] is None or ka[-1] is None:
            raise NotImplementedError("MatrixSolveLs: the gradient needs a static matrix shape")
        if ka[-2] >= ka[-1]:  # x = K^-1 A^T b, K = A^T A + l2 I
            chol = cholesky(_gram(a, l2, first=True))
            z = cholesky_solve(chol, dx)
            xz = matmul(x, z, transpose_b=True)
            da = matmul(b, z, transpose_b=True) - matmul(a, xz + matrix_transpose(xz))
            return [da, matmul(a, z), None]
        # x = A^T y, y = K^-1 b, K = A A^T + l2 I
        chol = cholesky(_gram(a, l2, first=False))
        y = cholesky_solve(chol, b)
        z = cholesky_solve(chol, matmul(a, dx))
        da = (
            matmul(y, dx, transpose_b=True)
            - matmul(z, x, transpose_b=True)
            - matmul(matmul(y, z, transpose_b=True), a)
        )
        return [da, z, None]


def _gram(a: Tensor, l2: Tensor, first: bool) -> Tensor:
    """A^T A + l2 I (first) or A A^T + l2 I (l2: TF's double scalar, in a's dtype here)."""
    from flowzero.ops.array_ops import ones_like
    from flowzero.ops.cast_ops import cast
    from flowzero.ops.linalg_more_ops import matrix_set_diag
    from flowzero.ops.matrix_ops import matrix_diag_part

    g = matmul(a, a, transpose_a=True) if first else matmul(a, a, transpose_b=True)
    d = matrix_diag_part(g)
    return matrix_set_diag(g, d + cast(l2, a.dtype) * ones_like(d))


def matrix_solve_ls(
    matrix: Any, rhs: Any, l2_regularizer: Any = 0.0, fast: bool = True, name: str | None = None
) -> Tensor:
    """Least squares: x minimising ||matrix @ x - rhs||^2 + l2_regularizer ||x||^2 for each
    matrix [M, N] of the batch (rhs [M, K], x [N, K]). fast=True solves the regularized
    normal equations (needs full rank when l2_regularizer is 0; differentiable);
    fast=False a minimum-norm solution for any rank (l2_regularizer ignored, as TF).

    Example:
        >>> tf.Session().run(tf.linalg.lstsq([[1.], [1.]], [[1.], [3.]]))
        array([[2.]], dtype=float32)
    """
    with _graph_for(matrix, rhs):
        a = convert_to_tensor(matrix)
        b = convert_to_tensor(rhs, dtype=a.dtype)
        l2 = convert_to_tensor(l2_regularizer, dtype=dtypes.float64)  # TF's op: always double
        return apply_op(MatrixSolveLs, [a, b, l2], {"fast": bool(fast)}, name=name)


# -- composites over the SVD -------------------------------------------------------------------
def _default_tol(a: Tensor, s: Tensor, rcond: Any, scale_by_max: bool) -> Tensor:
    from flowzero.ops.array_ops import shape
    from flowzero.ops.cast_ops import cast
    from flowzero.ops.math_ops import maximum
    from flowzero.ops.reduction_ops import reduce_max

    smax = reduce_max(s, axis=-1, keepdims=True)
    if rcond is None:
        dims = shape(a)
        rcond = cast(maximum(dims[-2], dims[-1]), a.dtype) * float(np.finfo(a.dtype.np).eps)
        if scale_by_max:
            rcond = 10.0 * rcond
    return rcond * smax


def pinv(a: Any, rcond: Any = None, validate_args: bool = False, name: str | None = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix, from its SVD: singular values at or
    below rcond * max(s) count as 0 (rcond default 10 * max(M, N) * eps). Differentiable
    through the SVD.

    Example:
        >>> tf.Session().run(tf.linalg.pinv([[1., 0.], [0., 0.]]))
        array([[1., 0.],
               [0., 0.]], dtype=float32)
    """
    from flowzero.ops.array_ops import ones_like, zeros_like
    from flowzero.ops.indexing_ops import where
    from flowzero.ops.logic_ops import greater

    with _graph_for(a):
        a = convert_to_tensor(a)
        with a.graph.name_scope(name or "pinv"):
            s, u, v = svd(a, full_matrices=False, compute_uv=True)
            cutoff = _default_tol(a, s, rcond, scale_by_max=True)
            keep = greater(s, cutoff)
            s_inv = where(keep, 1.0 / where(keep, s, ones_like(s)), zeros_like(s))
            return matmul(v * expand_dims(s_inv, -2), u, transpose_b=True)


def matrix_rank(
    a: Any, tol: Any = None, validate_args: bool = False, name: str | None = None
) -> Tensor:
    """The number of singular values above tol (default max(s) * max(M, N) * eps), as int32.

    Example:
        >>> print(tf.Session().run(tf.linalg.matrix_rank([[1., 2.], [2., 4.]])))
        1
    """
    from flowzero.ops.cast_ops import cast
    from flowzero.ops.logic_ops import greater
    from flowzero.ops.reduction_ops import reduce_sum

    with _graph_for(a):
        a = convert_to_tensor(a)
        with a.graph.name_scope(name or "matrix_rank"):
            s = svd(a, compute_uv=False)
            cutoff = _default_tol(a, s, None, False) if tol is None else tol
            return reduce_sum(cast(greater(s, cutoff), dtypes.int32), axis=-1)


__all__ = ["matrix_solve_ls"]
