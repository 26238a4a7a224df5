"""More of tf.linalg: cross products of 3-vectors (Cross), setting a matrix diagonal
(MatrixSetDiag), and composites over the existing decompositions and solves."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError, _graph_for, binary_operands


# -- cross -------------------------------------------------------------------------------------
@register_op("Cross")
class Cross(OpDef):
    """c[..., :] = a[..., :] x b[..., :], the cross product of 3-vectors in the last axis."""

    grads_match_inputs = True

    def infer(self, a: Tensor, b: Tensor) -> TensorSpec:
        if a.dtype is not b.dtype:
            raise self.error(
                f"a and b must have the same dtype; got {a.dtype.name} and {b.dtype.name}.",
                cls=DTypeError,
            )
        if a.dtype.np.kind not in "iuf":
            raise self.error(f"a must be real numbers; got {a.dtype.name}.", cls=DTypeError)
        if not a.shape.is_compatible_with(b.shape):
            raise self.error(f"a and b must have the same shape; got {a.shape} and {b.shape}.")
        s = a.shape.merge_with(b.shape)
        if s.ndims == 0 or (s.ndims is not None and s.known[-1] not in (None, 3)):  # type: ignore[index]
            raise self.error(f"inner dimension must be 3; got shapes {a.shape} and {b.shape}.")
        return spec(s, a.dtype)

    def compute(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape or a.ndim == 0 or a.shape[-1] != 3:
            raise self.error(
                f"a and b must have the same shape [..., 3]; got {a.shape} and {b.shape}."
            )
        return np.cross(a, b).astype(a.dtype, copy=False)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        a, b = op.inputs
        return [cross(b, dy), cross(dy, a)]


def cross(a: Any, b: Any, name: str | None = None) -> Tensor:
    """The pairwise cross product of the 3-vectors in the last axis of `a` and `b` (same
    shape [..., 3]).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.cross([1., 0., 0.], [0., 1., 0.]))
        array([0., 0., 1.], dtype=float32)
    """
    a, b = binary_operands(a, b, "Cross")
    return apply_op(Cross, [a, b], name=name)


# -- set_diag ----------------------------------------------------------------------------------
@register_op("MatrixSetDiag")
class MatrixSetDiag(OpDef):
    """y = x with its main diagonal y[..., i, i] replaced by d[..., i]."""

    def infer(self, x: Tensor, d: Tensor) -> TensorSpec:
        if x.dtype is not d.dtype:
            raise self.error(
                f"input and diagonal must have the same dtype; got {x.dtype.name} and "
                f"{d.dtype.name}.",
                cls=DTypeError,
            )
        if x.shape.ndims is not None and x.shape.ndims < 2:
            raise self.error(f"input must have rank >= 2; got shape {x.shape}.")
        if x.shape.ndims is not None and d.shape.ndims is not None:
            k = list(x.shape.known)  # type: ignore[arg-type]
            m, n = k[-2], k[-1]
            want = TensorShape(k[:-2] + [None if m is None or n is None else min(m, n)])
            if not want.is_compatible_with(d.shape):
                raise self.error(
                    f"diagonal must have shape input.shape[:-2] + [min(M, N)] = {want}; got "
                    f"input {x.shape}, diagonal {d.shape}."
                )
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, d: np.ndarray) -> np.ndarray:
        n = min(x.shape[-2:]) if x.ndim >= 2 else -1
        if x.ndim < 2 or d.shape != x.shape[:-2] + (n,):
            raise self.error(
                f"diagonal must have shape input.shape[:-2] + [min(M, N)]; got input "
                f"{x.shape}, diagonal {d.shape}."
            )
        out = np.array(x)
        i = np.arange(n)
        out[..., i, i] = d
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops.array_ops import zeros_like
        from flowzero.ops.matrix_ops import matrix_diag_part

        dd = matrix_diag_part(dy)
        return [matrix_set_diag(dy, zeros_like(dd)), dd]


def matrix_set_diag(
    input: Any,  # noqa: A002
    diagonal: Any,
    name: str = "set_diag",
    k: int = 0,
) -> Tensor:
    """`input` ([..., M, N]) with its main diagonal replaced by `diagonal` ([..., min(M, N)]).

    Raises:
        NotImplementedError: k != 0 (TF 1.15's off-diagonal form).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.matrix_set_diag(tf.zeros([2, 2]), [1., 2.]))
        array([[1., 0.],
               [0., 2.]], dtype=float32)
    """
    if k != 0:
        raise NotImplementedError("matrix_set_diag: only the main diagonal (k=0) is supported.")
    with _graph_for(input, diagonal):
        x, d = binary_operands(input, diagonal, "MatrixSetDiag")
        return apply_op(MatrixSetDiag, [x, d], name=name)


# -- composites --------------------------------------------------------------------------------
def adjoint(matrix: Any, name: str | None = None) -> Tensor:
    """The conjugate transpose of the matrices in the last two axes of `matrix`."""
    from flowzero.ops.complex_ops import conj
    from flowzero.ops.matrix_ops import matrix_transpose

    # NOTE: conj explicitly; matrix_transpose(conjugate=True) does not conjugate today.
    with _graph_for(matrix):
        m = convert_to_tensor(matrix)
        return matrix_transpose(conj(m) if m.dtype.is_complex else m, name=name or "adjoint")


def matvec(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    adjoint_a: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    name: str | None = None,
) -> Tensor:
    """The matrix-vector products a @ b for matrices a [..., M, N] and vectors b [..., N]
    (a transposed or adjointed first if asked); shape [..., M].

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.linalg.matvec([[1., 2.], [3., 4.]], [1., 1.]))
        array([3., 7.], dtype=float32)
    """
    from flowzero.ops.linalg_ops import matmul
    from flowzero.ops.reshape_ops import expand_dims, squeeze

    with _graph_for(a, b):
        a_t, b_t = binary_operands(a, b, "MatVec")
        with a_t.graph.name_scope(name or "MatVec"):
            out = matmul(a_t, expand_dims(b_t, -1), transpose_a=transpose_a, adjoint_a=adjoint_a)
            return squeeze(out, [-1])


def logdet(matrix: Any, name: str | None = None) -> Tensor:
    """log(det(matrix)) of Hermitian positive definite matrices, as 2 * sum(log(diag(L)))
    of their Cholesky factor L (stable where det itself would overflow).

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.linalg.logdet([[4., 0.], [0., 9.]])))   # log 36
        3.583519
    """
    from flowzero.ops.decomposition_ops import cholesky
    from flowzero.ops.matrix_ops import matrix_diag_part
    from flowzero.ops.reduction_ops import reduce_sum
    from flowzero.ops.unary_ops import log

    with _graph_for(matrix):
        m = convert_to_tensor(matrix)
        with m.graph.name_scope(name or "logdet"):
            return 2.0 * reduce_sum(log(matrix_diag_part(cholesky(m))), axis=-1)


def normalize(
    tensor: Any,
    ord: Any = "euclidean",  # noqa: A002
    axis: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """(tensor / norm, norm): `tensor` scaled to unit norm along `axis` (tf.norm's ord and
    axis), and the norm it had (kept dims, for broadcasting back).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.linalg.normalize([3., 4.]))
        (array([0.6, 0.8], dtype=float32), array([5.], dtype=float32))
    """
    from flowzero.ops.division_ops import truediv
    from flowzero.ops.matrix_ops import norm

    with _graph_for(tensor):
        t = convert_to_tensor(tensor)
        with t.graph.name_scope(name or "normalize"):
            n = norm(t, ord=ord, axis=axis, keepdims=True)
            return truediv(t, n), n


__all__ = ["cross", "matrix_set_diag"]
