"""Matrices in the last two axes (batched): diagonals, inverse, determinant, and the
composites TF1 builds from them (eye, trace, matrix_transpose, diag for vectors)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import (
    array_ops,
    math_ops,
    reduction_ops,
    reshape_ops,
    unary_ops,
)
from flowzero.ops.common import DTypeError
from flowzero.ops.linalg_ops import matmul


def _known(t: Tensor) -> list[int | None] | None:
    k = t.shape.known
    return None if k is None else list(k)


@register_op("MatrixDiag")
class MatrixDiag(OpDef):
    """y[..., i, j] = x[..., i] if i == j else 0."""

    grads_match_inputs = True

    def infer(self, x: Tensor) -> TensorSpec:
        k = _known(x)
        if k is not None and len(k) < 1:
            raise self.error(f"x must have rank >= 1; got shape {x.shape}.")
        return spec(TensorShape(None) if k is None else TensorShape(k + [k[-1]]), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[-1]
        out = np.zeros(x.shape + (n,), x.dtype)
        idx = np.arange(n)
        out[..., idx, idx] = x
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [matrix_diag_part(dy)]


@register_op("MatrixDiagPart")
class MatrixDiagPart(OpDef):
    """y[..., i] = x[..., i, i] (the main diagonal; min(rows, cols) long)."""

    def infer(self, x: Tensor) -> TensorSpec:
        k = _known(x)
        if k is not None and len(k) < 2:
            raise self.error(f"x must have rank >= 2; got shape {x.shape}.")
        if k is None:
            return spec(TensorShape(None), x.dtype)
        m, n = k[-2], k[-1]
        d = None if m is None or n is None else min(m, n)
        return spec(TensorShape(k[:-2] + [d]), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.diagonal(x, axis1=-2, axis2=-1))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        k = _known(x)
        if k is not None and k[-1] is not None and k[-1] == k[-2]:
            return [matrix_diag(dy)]
        return [apply_op(MatrixSetDiagLike, [x, dy])]


@register_op("MatrixSetDiagLike")
class MatrixSetDiagLike(OpDef):
    """y = zeros shaped like x with diagonal d (the gradient of a non-square diagonal part)."""

    differentiable = False

    def infer(self, x: Tensor, d: Tensor) -> TensorSpec:
        return spec(x.shape, d.dtype)

    def compute(self, x: np.ndarray, d: np.ndarray) -> np.ndarray:
        out = np.zeros(x.shape, d.dtype)
        n = min(x.shape[-2], x.shape[-1])
        idx = np.arange(n)
        out[..., idx, idx] = d
        return out


def _square(self: OpDef, x: Tensor) -> None:
    if not x.dtype.is_floating:
        raise self.error(f"x must be a float matrix; got {x.dtype.name}.", cls=DTypeError)
    k = _known(x)
    if k is not None and (len(k) < 2 or (None not in k[-2:] and k[-1] != k[-2])):
        raise self.error(f"x must be square matrices [..., M, M]; got shape {x.shape}.")


@register_op("MatrixInverse")
class MatrixInverse(OpDef):
    """y = x^-1 (or x^-H with adjoint), for each matrix of the batch."""

    grads_match_inputs = True

    def infer(self, x: Tensor) -> TensorSpec:
        _square(self, x)
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        a = np.swapaxes(x, -1, -2) if self.attrs.get("adjoint") else x
        try:
            return np.linalg.inv(a).astype(x.dtype, copy=False)
        except np.linalg.LinAlgError:
            raise self.error("Input is not invertible.") from None

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y = op.outputs[0]  # d(A^-1) = -A^-1 dA A^-1
        if self.attrs.get("adjoint"):  # y = (x^T)^-1: dx = -y dy^T y
            return [-matmul(y, matmul(dy, y, transpose_a=True))]
        return [-matmul(y, matmul(dy, y, transpose_b=True), transpose_a=True)]


@register_op("MatrixDeterminant")
class MatrixDeterminant(OpDef):
    """y = det(x) for each matrix of the batch."""

    def infer(self, x: Tensor) -> TensorSpec:
        _square(self, x)
        k = _known(x)
        return spec(TensorShape(None if k is None else k[:-2]), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.linalg.det(x), dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, det = op.inputs[0], op.outputs[0]  # d det / dA = det * A^-T
        scale = reshape_ops.expand_dims(reshape_ops.expand_dims(dy * det, -1), -1)
        return [scale * matrix_transpose(matrix_inverse(x))]


def matrix_diag(diagonal: Any, name: str | None = None) -> Tensor:
    """Batched diagonal matrices with `diagonal` ([..., N] -> [..., N, N])."""
    return apply_op(MatrixDiag, [diagonal], name=name)


def matrix_diag_part(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The main diagonal of each matrix ([..., M, N] -> [..., min(M, N)])."""
    return apply_op(MatrixDiagPart, [input], name=name)


def matrix_inverse(input: Any, adjoint: bool = False, name: str | None = None) -> Tensor:  # noqa: A002
    """The inverse of each square matrix (InvalidArgumentError when one is singular)."""
    return apply_op(MatrixInverse, [input], {"adjoint": bool(adjoint)}, name=name)


def matrix_determinant(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The determinant of each square matrix."""
    return apply_op(MatrixDeterminant, [input], name=name)


def matrix_transpose(a: Any, name: str = "matrix_transpose", conjugate: bool = False) -> Tensor:
    """Swaps the last two axes (tf.linalg.transpose)."""
    a = convert_to_tensor(a)
    rank = a.shape.ndims
    if rank is None:
        raise ValueError(f"matrix_transpose: '{a.name}' needs a known rank; got {a.shape}.")
    if rank < 2:
        raise ValueError(f"matrix_transpose: '{a.name}' must have rank >= 2; got {a.shape}.")
    perm = list(range(rank - 2)) + [rank - 1, rank - 2]
    return reshape_ops.transpose(a, perm, name=name)


def trace(x: Any, name: str | None = None) -> Tensor:
    """The sum of the main diagonal of each matrix ([..., M, N] -> [...])."""
    return reduction_ops.reduce_sum(matrix_diag_part(x), axis=-1, name=name or "trace")


def eye(
    num_rows: int,
    num_columns: int | None = None,
    batch_shape: Any = None,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """An identity matrix [num_rows, num_columns] (batched to batch_shape + that)."""
    cols = num_rows if num_columns is None else num_columns
    m = np.eye(int(num_rows), int(cols), dtype=dtypes.as_dtype(dtype).np)
    if batch_shape is not None:
        m = np.broadcast_to(m, tuple(int(b) for b in batch_shape) + m.shape).copy()
    return array_ops.constant(m, dtype=dtype, name=name or "eye")


def diag(diagonal: Any, name: str | None = None) -> Tensor:
    """tf.diag for a vector: the square matrix with it on the diagonal."""
    d = convert_to_tensor(diagonal)
    if d.shape.ndims != 1:
        raise ValueError(
            f"diag: flowzero supports a vector diagonal; got '{d.name}' of shape "
            f"{d.shape} (use tf.matrix_diag for batches)."
        )
    return matrix_diag(d, name=name)


def diag_part(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """tf.diag_part for a square matrix: its diagonal."""
    x = convert_to_tensor(input)
    if x.shape.ndims != 2:
        raise ValueError(
            f"diag_part: flowzero supports a matrix; got '{x.name}' of shape "
            f"{x.shape} (use tf.matrix_diag_part for batches)."
        )
    return matrix_diag_part(x, name=name)


# -- norms -------------------------------------------------------------------------------------
def norm(
    tensor: Any,
    ord: Any = "euclidean",  # noqa: A002
    axis: Any = None,
    keepdims: Any = None,  # noqa: A002
    name: str | None = None,
    keep_dims: Any = None,
) -> Tensor:
    """A vector or matrix norm, as TF1's tf.norm (also tf.linalg.norm).

    Args:
        tensor: a float Tensor.
        ord: 'euclidean' (default; the 2-norm of a vector, Frobenius of a matrix), 'fro', a
            positive real p (vectors: (sum |x|**p)**(1/p)), np.inf (vectors: max |x|); for
            matrices only 'euclidean', 'fro', 1 (max column sum) and np.inf (max row sum).
        axis: None (the whole tensor as one vector), an int (vectors along it), or a pair of
            ints (matrices in those axes).
        keepdims: keep the reduced axes with size 1 (TF 0.x name: keep_dims).

    Returns:
        The norm(s), in tensor's dtype.

    Raises:
        ValueError: an ord or axis TF rejects (the message says which are allowed).

    Example:
        >>> g = tf.constant([[3., 4.], [6., 8.]])
        >>> sess = tf.Session()
        >>> sess.run(tf.norm(g, axis=1))   # the 2-norm of each row: a gradient penalty's norm
        array([ 5., 10.], dtype=float32)
    """
    keep = bool(keepdims if keepdims is not None else keep_dims)
    is_matrix = isinstance(axis, (list, tuple)) and len(axis) == 2
    if not (is_matrix or axis is None or isinstance(axis, (int, np.integer))):
        raise ValueError(
            f"norm: 'axis' must be None, an integer, or a tuple of 2 unique integers; got {axis}."
        )
    if is_matrix:
        if axis[0] == axis[1]:
            raise ValueError(f"norm: 'axis' must be 2 unique integers; got {axis}.")
        if ord not in ("euclidean", "fro", 1, np.inf):
            raise ValueError(
                f"norm: 'ord' must be a supported matrix norm in ['euclidean', "
                f"'fro', 1, inf]; got {ord}."
            )
    elif not (
        ord in ("euclidean", "fro", np.inf)
        or (isinstance(ord, (int, float)) and not isinstance(ord, bool) and ord > 0)
    ):
        raise ValueError(f"norm: 'ord' must be a supported vector norm, got {ord}.")
    with convert_to_tensor(tensor).graph.name_scope(name or "norm"):
        x = convert_to_tensor(tensor)
        if ord in ("euclidean", "fro") or (ord == 2 and not is_matrix):
            sq = reduction_ops.reduce_sum(x * x, axis=axis, keepdims=True)
            result = unary_ops.sqrt(sq)
        elif is_matrix:
            a = unary_ops.abs(x)
            sum_axis, max_axis = (axis[0], axis[1]) if ord == 1 else (axis[1], axis[0])
            s = reduction_ops.reduce_sum(a, axis=sum_axis, keepdims=True)
            result = reduction_ops.reduce_max(s, axis=max_axis, keepdims=True)
        elif ord == np.inf:
            result = reduction_ops.reduce_max(unary_ops.abs(x), axis=axis, keepdims=True)
        else:
            p = float(ord)
            s = reduction_ops.reduce_sum(
                math_ops.pow(unary_ops.abs(x), p), axis=axis, keepdims=True
            )
            result = math_ops.pow(s, 1.0 / p)
        if not keep:
            axes = list(axis) if is_matrix else None if axis is None else [axis]
            result = (
                reshape_ops.squeeze(result, axes)
                if axes is not None
                else reshape_ops.reshape(result, [])
            )
        return result


__all__ = [
    "norm",
    "matrix_diag",
    "matrix_diag_part",
    "matrix_inverse",
    "matrix_determinant",
    "matrix_transpose",
    "trace",
    "eye",
    "diag",
    "diag_part",
]
