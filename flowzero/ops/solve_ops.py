"""Linear systems over the last two axes (batched): matrix_solve, matrix_triangular_solve and
cholesky_solve, with TF's gradient rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError
from flowzero.ops.decomposition_ops import matrix_band_part
from flowzero.ops.linalg_ops import matmul
from flowzero.ops.matrix_ops import _known, _square


def _system(self: OpDef, a: Tensor, b: Tensor) -> TensorSpec:
    _square(self, a)
    if b.dtype is not a.dtype:
        raise self.error(
            f"rhs must have the matrix's dtype {a.dtype.name}; got {b.dtype.name}.", cls=DTypeError
        )
    ka, kb = _known(a), _known(b)
    if kb is not None and len(kb) < 2:
        raise self.error(f"rhs must have rank >= 2 ([..., M, K]); got shape {b.shape}.")
    if ka is not None and kb is not None:
        if len(ka) != len(kb) or not TensorShape(ka[:-2]).is_compatible_with(kb[:-2]):
            raise self.error(
                f"matrix and rhs must have the same batch shape; got matrix: "
                f"{a.shape}, rhs: {b.shape}."
            )
        m = ka[-1] if ka[-1] is not None else ka[-2]
        if m is not None and kb[-2] is not None and m != kb[-2]:
            raise self.error(
                f"rhs must have as many rows as the matrix ({m}); got matrix: "
                f"{a.shape}, rhs: {b.shape}."
            )
    return spec(b.shape, b.dtype)


def _run_solve(self: OpDef, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
        raise self.error(
            f"matrix [..., M, M] and rhs [..., M, K] do not fit; got matrix: "
            f"{a.shape}, rhs: {b.shape}."
        )
    if self.attrs.get("adjoint"):
        a = np.swapaxes(a, -1, -2)
    try:
        return np.linalg.solve(a, b).astype(b.dtype, copy=False)
    except np.linalg.LinAlgError:
        raise self.error("Input matrix is not invertible.") from None


@register_op("MatrixSolve")
class MatrixSolve(OpDef):
    """x with matrix x = rhs (matrix^T x = rhs with adjoint), for each matrix of the batch."""

    grads_match_inputs = True

    def infer(self, a: Tensor, b: Tensor) -> TensorSpec:
        return _system(self, a, b)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _run_solve(self, a, b)

    def gradient(self, op: Any, dx: Tensor) -> list[Any]:
        a, x = op.inputs[0], op.outputs[0]
        adjoint = self.attrs["adjoint"]
        db = matrix_solve(a, dx, adjoint=not adjoint)
        da = -matmul(x, db, transpose_b=True) if adjoint else -matmul(db, x, transpose_b=True)
        return [da, db]


@register_op("MatrixTriangularSolve")
class MatrixTriangularSolve(OpDef):
    """x with T x = rhs (T^T x = rhs with adjoint), T the lower (or upper) triangle of matrix;
    the other triangle is not read."""

    grads_match_inputs = True

    def infer(self, a: Tensor, b: Tensor) -> TensorSpec:
        return _system(self, a, b)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        t = np.tril(a) if self.attrs["lower"] else np.triu(a)
        return _run_solve(self, t, b)

    def gradient(self, op: Any, dx: Tensor) -> list[Any]:
        a, x = op.inputs[0], op.outputs[0]
        lower, adjoint = self.attrs["lower"], self.attrs["adjoint"]
        db = matrix_triangular_solve(a, dx, lower=lower, adjoint=not adjoint)
        da = -matmul(x, db, transpose_b=True) if adjoint else -matmul(db, x, transpose_b=True)
        return [matrix_band_part(da, -1, 0) if lower else matrix_band_part(da, 0, -1), db]


def matrix_solve(matrix: Any, rhs: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    """Solves matrix @ x = rhs for x (each square matrix of the batch; rhs [..., M, K]).

    Raises:
        InvalidArgumentError: at run time, when a matrix is singular.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.matrix_solve([[2., 0.], [0., 4.]], [[2.], [8.]]))  # [[1.], [2.]]
        array([[1.],
               [2.]], dtype=float32)
    """
    return apply_op(MatrixSolve, [matrix, rhs], {"adjoint": bool(adjoint)}, name=name)


def matrix_triangular_solve(
    matrix: Any, rhs: Any, lower: bool = True, adjoint: bool = False, name: str | None = None
) -> Tensor:
    """Solves T @ x = rhs, T the lower (`lower=True`) or upper triangle of `matrix`."""
    return apply_op(
        MatrixTriangularSolve,
        [matrix, rhs],
        {"lower": bool(lower), "adjoint": bool(adjoint)},
        name=name,
    )


def cholesky_solve(chol: Any, rhs: Any, name: str | None = None) -> Tensor:
    """Solves A @ x = rhs given A's Cholesky factor `chol` (tf.cholesky(A)): two triangular
    solves."""
    y = matrix_triangular_solve(chol, rhs, lower=True, adjoint=False)
    return matrix_triangular_solve(chol, y, lower=True, adjoint=True, name=name)


__all__ = ["matrix_solve", "matrix_triangular_solve", "cholesky_solve"]
