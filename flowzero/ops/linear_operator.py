"""tf.linalg's LinearOperator family, as composites: a LinearOperator stands for a (batch of)
[M, N] matrices and computes matmul, matvec, solve, determinant, ... through the structure it
knows (a diagonal, a triangle, a product, a multiple of the identity) instead of a dense
matrix. No kernels of its own: every method builds ordinary ops, so gradients flow.

Implemented: LinearOperatorFullMatrix, LinearOperatorDiag, LinearOperatorIdentity,
LinearOperatorScaledIdentity, LinearOperatorLowerTriangular, LinearOperatorComposition.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor
from flowzero.framework.shapes import TensorShape


def _ops() -> Any:
    import flowzero as tf  # the public functions, once flowzero is imported

    return tf


class LinearOperator:
    """Base class: subclasses give `_shape()` and `_to_dense()`, and override the methods
    their structure makes cheaper. Flags (is_non_singular, ...) are hints, as in TF."""

    def __init__(
        self,
        dtype: Any,
        graph_parents: Any = None,
        is_non_singular: bool | None = None,
        is_self_adjoint: bool | None = None,
        is_positive_definite: bool | None = None,
        is_square: bool | None = None,
        name: str | None = None,
    ) -> None:
        if is_positive_definite and is_non_singular is False:
            raise ValueError("A positive definite operator is always non-singular.")
        self._dtype = dtypes.as_dtype(dtype)
        self._is_non_singular = True if is_positive_definite else is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square = is_square
        self._name = name or type(self).__name__

    # -- description -------------------------------------------------------------------------
    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def is_non_singular(self) -> bool | None:
        return self._is_non_singular

    @property
    def is_self_adjoint(self) -> bool | None:
        return self._is_self_adjoint

    @property
    def is_positive_definite(self) -> bool | None:
        return self._is_positive_definite

    @property
    def is_square(self) -> bool | None:
        if self._is_square is not None:
            return self._is_square
        s = self.shape
        if s.ndims is None or s[-1].value is None or s[-2].value is None:
            return None
        return s[-1].value == s[-2].value

    @property
    def shape(self) -> TensorShape:
        """batch_shape + [range_dimension, domain_dimension]."""
        return self._shape()

    @property
    def batch_shape(self) -> TensorShape:
        s = self.shape
        return TensorShape(None) if s.ndims is None else TensorShape(s.as_list()[:-2])

    @property
    def tensor_rank(self) -> int | None:
        return self.shape.ndims

    @property
    def domain_dimension(self) -> Any:
        return self.shape[-1] if self.shape.ndims is not None else None

    @property
    def range_dimension(self) -> Any:
        return self.shape[-2] if self.shape.ndims is not None else None

    def shape_tensor(self, name: str = "shape_tensor") -> Tensor:
        return _ops().shape(self.to_dense())

    def batch_shape_tensor(self, name: str = "batch_shape_tensor") -> Tensor:
        return self.shape_tensor()[:-2]

    def domain_dimension_tensor(self, name: str = "domain_dimension_tensor") -> Tensor:
        return self.shape_tensor()[-1]

    def range_dimension_tensor(self, name: str = "range_dimension_tensor") -> Tensor:
        return self.shape_tensor()[-2]

    def _shape(self) -> TensorShape:
        raise NotImplementedError

    # -- algebra -----------------------------------------------------------------------------
    def to_dense(self, name: str = "to_dense") -> Tensor:
        """The dense [..., M, N] matrix."""
        return self._to_dense()

    def _to_dense(self) -> Tensor:
        raise NotImplementedError

    def _arg(self, x: Any) -> Tensor:
        return convert_to_tensor(x, dtype=self.dtype)

    def matmul(
        self, x: Any, adjoint: bool = False, adjoint_arg: bool = False, name: str = "matmul"
    ) -> Any:
        """self @ x (self^H @ x with adjoint; x^H with adjoint_arg); x may be another
        LinearOperator, giving their composition."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return LinearOperatorComposition([left, right])
        x = self._arg(x)
        if adjoint_arg:
            x = _ops().linalg.adjoint(x)
        return self._matmul(x, adjoint)

    def _matmul(self, x: Tensor, adjoint: bool) -> Tensor:
        return _ops().matmul(self.to_dense(), x, adjoint_a=adjoint)

    def __matmul__(self, other: Any) -> Any:
        return self.matmul(other)

    def matvec(self, x: Any, adjoint: bool = False, name: str = "matvec") -> Tensor:
        """self @ x for vectors x [..., N]."""
        tf = _ops()
        return tf.squeeze(self.matmul(tf.expand_dims(self._arg(x), -1), adjoint=adjoint), [-1])

    def solve(
        self, rhs: Any, adjoint: bool = False, adjoint_arg: bool = False, name: str = "solve"
    ) -> Tensor:
        """x with self @ x = rhs (self^H with adjoint), for a square non-singular operator."""
        if self.is_non_singular is False:
            raise NotImplementedError(f"{self.name}: a singular operator has no solve.")
        if self.is_square is False:
            raise NotImplementedError(f"{self.name}: a non-square operator has no solve.")
        rhs = self._arg(rhs)
        if adjoint_arg:
            rhs = _ops().linalg.adjoint(rhs)
        return self._solve(rhs, adjoint)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return _ops().matrix_solve(self.to_dense(), rhs, adjoint=adjoint)

    def solvevec(self, rhs: Any, adjoint: bool = False, name: str = "solve") -> Tensor:
        tf = _ops()
        return tf.squeeze(self.solve(tf.expand_dims(self._arg(rhs), -1), adjoint=adjoint), [-1])

    def determinant(self, name: str = "det") -> Tensor:
        self._require_square("determinant")
        return self._determinant()

    def _determinant(self) -> Tensor:
        return _ops().matrix_determinant(self.to_dense())

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        self._require_square("log_abs_determinant")
        return self._log_abs_determinant()

    def _log_abs_determinant(self) -> Tensor:
        return _ops().linalg.slogdet(self.to_dense())[1]

    def diag_part(self, name: str = "diag_part") -> Tensor:
        return self._diag_part()

    def _diag_part(self) -> Tensor:
        return _ops().matrix_diag_part(self.to_dense())

    def trace(self, name: str = "trace") -> Tensor:
        return _ops().reduce_sum(self.diag_part(), -1)

    def add_to_tensor(self, x: Any, name: str = "add_to_tensor") -> Tensor:
        return self.to_dense() + self._arg(x)

    def adjoint(self, name: str | None = None) -> LinearOperator:
        """The operator's adjoint (conjugate transpose), as an operator."""
        if self.is_self_adjoint:
            return self
        return self._adjoint()

    def _adjoint(self) -> LinearOperator:
        return LinearOperatorFullMatrix(
            _ops().linalg.adjoint(self.to_dense()),
            is_non_singular=self.is_non_singular,
            is_positive_definite=self.is_positive_definite,
            is_square=self._is_square,
        )

    H = property(adjoint)

    def _require_square(self, what: str) -> None:
        if self.is_square is False:
            raise NotImplementedError(f"{self.name}: {what} needs a square operator.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


class LinearOperatorFullMatrix(LinearOperator):
    """A dense [..., M, N] matrix as an operator."""

    def __init__(
        self,
        matrix: Any,
        is_non_singular: bool | None = None,
        is_self_adjoint: bool | None = None,
        is_positive_definite: bool | None = None,
        is_square: bool | None = None,
        name: str = "LinearOperatorFullMatrix",
    ) -> None:
        self._matrix = convert_to_tensor(matrix, name="matrix")
        if self._matrix.shape.ndims is not None and self._matrix.shape.ndims < 2:
            raise ValueError(f"{name}: matrix must have rank >= 2; got {self._matrix.shape}.")
        super().__init__(
            self._matrix.dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name,
        )

    def _shape(self) -> TensorShape:
        return self._matrix.shape

    def _to_dense(self) -> Tensor:
        return self._matrix


class _Elementwise(LinearOperator):
    """An operator that acts by broadcast multiplication (diag(d), multiplier * I): square,
    self-adjoint by default when real; matmul and solve multiply and divide by `_scale`."""

    def __init__(
        self,
        param: Tensor,
        is_non_singular: bool | None,
        is_self_adjoint: bool | None,
        is_positive_definite: bool | None,
        name: str,
    ) -> None:
        if not param.dtype.is_complex and is_self_adjoint is None:
            is_self_adjoint = True
        super().__init__(
            param.dtype, None, is_non_singular, is_self_adjoint, is_positive_definite, True, name
        )

    def _conj(self, t: Tensor, adjoint: bool) -> Tensor:
        return _ops().conj(t) if adjoint and self.dtype.is_complex else t

    def _scale(self, adjoint: bool) -> Tensor:
        """The factor that broadcasts against a [..., N, K] right-hand side."""
        raise NotImplementedError

    def _matmul(self, x: Tensor, adjoint: bool) -> Tensor:
        return self._scale(adjoint) * x

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return rhs / self._scale(adjoint)


def _det_from_diagonal(diag: Tensor) -> Tensor:
    """The determinant of a triangular (or diagonal) operator: the product of its diagonal."""
    return _ops().reduce_prod(diag, -1)


def _log_abs_det_from_diagonal(diag: Tensor) -> Tensor:
    tf = _ops()
    return tf.reduce_sum(tf.log(tf.abs(diag)), -1)


class LinearOperatorDiag(_Elementwise):
    """diag(d) for a diagonal d [..., N]: products, solves and determinants in O(N)."""

    def __init__(
        self,
        diag: Any,
        is_non_singular: bool | None = None,
        is_self_adjoint: bool | None = None,
        is_positive_definite: bool | None = None,
        is_square: bool | None = True,
        name: str = "LinearOperatorDiag",
    ) -> None:
        self._diag = convert_to_tensor(diag, name="diag")
        if self._diag.shape.ndims is not None and self._diag.shape.ndims < 1:
            raise ValueError(f"{name}: diag must have rank >= 1; got {self._diag.shape}.")
        if is_square is False:
            raise ValueError(f"{name}: a diagonal operator is always square.")
        super().__init__(self._diag, is_non_singular, is_self_adjoint, is_positive_definite, name)

    @property
    def diag(self) -> Tensor:
        return self._diag

    def _shape(self) -> TensorShape:
        s = self._diag.shape
        return TensorShape(None) if s.ndims is None else TensorShape(s.as_list() + [s[-1].value])

    def _to_dense(self) -> Tensor:
        return _ops().matrix_diag(self._diag)

    def _scale(self, adjoint: bool) -> Tensor:
        return _ops().expand_dims(self._conj(self._diag, adjoint), -1)

    def _determinant(self) -> Tensor:
        return _det_from_diagonal(self._diag)

    def _log_abs_determinant(self) -> Tensor:
        return _log_abs_det_from_diagonal(self._diag)

    def _diag_part(self) -> Tensor:
        return self._diag

    def _adjoint(self) -> LinearOperator:
        return LinearOperatorDiag(
            self._conj(self._diag, True),
            is_non_singular=self.is_non_singular,
            is_positive_definite=self.is_positive_definite,
        )


class LinearOperatorScaledIdentity(_Elementwise):
    """multiplier * I_N (multiplier a scalar, or [...] for a batch)."""

    def __init__(
        self,
        num_rows: Any,
        multiplier: Any,
        is_non_singular: bool | None = None,
        is_self_adjoint: bool | None = None,
        is_positive_definite: bool | None = None,
        is_square: bool = True,
        assert_proper_shapes: bool = False,
        name: str = "LinearOperatorScaledIdentity",
    ) -> None:
        self._multiplier = convert_to_tensor(multiplier, name="multiplier")
        self._num_rows = _rows(num_rows, name)
        super().__init__(
            self._multiplier, is_non_singular, is_self_adjoint, is_positive_definite, name
        )

    @property
    def multiplier(self) -> Tensor:
        return self._multiplier

    def _shape(self) -> TensorShape:
        s = self._multiplier.shape
        if s.ndims is None:
            return TensorShape(None)
        return TensorShape(s.as_list() + [self._num_rows, self._num_rows])

    def _scale(self, adjoint: bool) -> Tensor:
        tf = _ops()
        return tf.expand_dims(tf.expand_dims(self._conj(self._multiplier, adjoint), -1), -1)

    def _to_dense(self) -> Tensor:
        return self._scale(False) * _ops().eye(self._num_rows, dtype=self.dtype)

    def _determinant(self) -> Tensor:
        return _ops().pow(self._multiplier, float(self._num_rows))

    def _log_abs_determinant(self) -> Tensor:
        tf = _ops()
        return float(self._num_rows) * tf.log(tf.abs(self._multiplier))

    def _diag_part(self) -> Tensor:
        tf = _ops()
        return tf.expand_dims(self._multiplier, -1) * tf.ones([self._num_rows], self.dtype)

    def _adjoint(self) -> LinearOperator:
        return LinearOperatorScaledIdentity(self._num_rows, _ops().conj(self._multiplier))


class LinearOperatorIdentity(LinearOperator):
    """I_N (batch_shape + [N, N] with batch_shape): matmul and solve return their argument
    (broadcast to the batch shape)."""

    def __init__(
        self,
        num_rows: Any,
        batch_shape: Any = None,
        dtype: Any = None,
        is_non_singular: bool = True,
        is_self_adjoint: bool = True,
        is_positive_definite: bool = True,
        is_square: bool = True,
        assert_proper_shapes: bool = False,
        name: str = "LinearOperatorIdentity",
    ) -> None:
        if not (is_non_singular and is_self_adjoint and is_positive_definite and is_square):
            raise ValueError(
                f"{name}: the identity is non-singular, self-adjoint, positive definite and square."
            )
        self._num_rows = _rows(num_rows, name)
        self._batch = [] if batch_shape is None else [int(b) for b in batch_shape]
        if any(b < 0 for b in self._batch):
            raise ValueError(f"{name}: batch_shape must be non-negative; got {self._batch}.")
        super().__init__(dtype or dtypes.float32, None, True, True, True, True, name)

    def _shape(self) -> TensorShape:
        return TensorShape(self._batch + [self._num_rows, self._num_rows])

    def _to_dense(self) -> Tensor:
        return _ops().eye(self._num_rows, batch_shape=self._batch or None, dtype=self.dtype)

    def _broadcast(self, x: Tensor) -> Tensor:
        if not self._batch:
            return x
        tf = _ops()
        return x + tf.zeros(self._batch + [1, 1], self.dtype)

    def _matmul(self, x: Tensor, adjoint: bool) -> Tensor:
        return self._broadcast(x)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return self._broadcast(rhs)

    def _determinant(self) -> Tensor:
        return _ops().ones(self._batch, self.dtype)

    def _log_abs_determinant(self) -> Tensor:
        return _ops().zeros(self._batch, self.dtype)

    def _diag_part(self) -> Tensor:
        return _ops().ones(self._batch + [self._num_rows], self.dtype)


class LinearOperatorLowerTriangular(LinearOperator):
    """The lower triangle of tril [..., N, N] (the rest is not read): solves by substitution,
    determinant from the diagonal."""

    def __init__(
        self,
        tril: Any,
        is_non_singular: bool | None = None,
        is_self_adjoint: bool | None = None,
        is_positive_definite: bool | None = None,
        is_square: bool | None = None,
        name: str = "LinearOperatorLowerTriangular",
    ) -> None:
        if is_square is False:
            raise ValueError(f"{name}: only square lower triangular operators are supported.")
        t = convert_to_tensor(tril, name="tril")
        if t.shape.ndims is not None and t.shape.ndims < 2:
            raise ValueError(f"{name}: tril must have rank >= 2; got {t.shape}.")
        self._tril = _ops().matrix_band_part(t, -1, 0)
        super().__init__(
            t.dtype, None, is_non_singular, is_self_adjoint, is_positive_definite, True, name
        )

    def _shape(self) -> TensorShape:
        return self._tril.shape

    def _to_dense(self) -> Tensor:
        return self._tril

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return _ops().matrix_triangular_solve(self._tril, rhs, lower=True, adjoint=adjoint)

    def _determinant(self) -> Tensor:
        return _det_from_diagonal(self._diag_part())

    def _log_abs_determinant(self) -> Tensor:
        return _log_abs_det_from_diagonal(self._diag_part())


class LinearOperatorComposition(LinearOperator):
    """operators[0] @ operators[1] @ ... without forming the product: matmul applies them
    right to left, solve left to right, determinants multiply."""

    def __init__(
        self,
        operators: Any,
        is_non_singular: bool | None = None,
        is_self_adjoint: bool | None = None,
        is_positive_definite: bool | None = None,
        is_square: bool | None = None,
        name: str | None = None,
    ) -> None:
        ops = list(operators)
        if not ops or not all(isinstance(o, LinearOperator) for o in ops):
            raise TypeError(
                "LinearOperatorComposition: operators must be a non-empty list of LinearOperators."
            )
        if len({o.dtype for o in ops}) != 1:
            raise TypeError(
                "LinearOperatorComposition: the operators must share a dtype; got "
                f"{[o.dtype.name for o in ops]}."
            )
        for a, b in zip(ops[:-1], ops[1:]):
            da, rb = a.domain_dimension, b.range_dimension
            if da is not None and rb is not None and None not in (da.value, rb.value):
                if da.value != rb.value:
                    raise ValueError(
                        f"LinearOperatorComposition: {a.name} ({a.shape}) and {b.name} "
                        f"({b.shape}) do not compose."
                    )
        if all(o.is_non_singular for o in ops) and is_non_singular is None:
            is_non_singular = True
        self._operators = ops
        super().__init__(
            ops[0].dtype,
            None,
            is_non_singular,
            is_self_adjoint,
            is_positive_definite,
            is_square,
            name or "_o_".join(o.name for o in ops),
        )

    @property
    def operators(self) -> list[LinearOperator]:
        return list(self._operators)

    def _shape(self) -> TensorShape:
        first, last = self._operators[0].shape, self._operators[-1].shape
        if first.ndims is None or last.ndims is None:
            return TensorShape(None)
        batch = _broadcast_batch([o.batch_shape for o in self._operators])
        if batch is None:
            return TensorShape(None)
        return TensorShape(batch + [first[-2].value, last[-1].value])

    def _to_dense(self) -> Tensor:
        tf = _ops()
        out = self._operators[-1].to_dense()
        for o in reversed(self._operators[:-1]):
            out = o.matmul(out)
        return out + tf.zeros_like(out)  # a fresh tensor even for one operator

    def _matmul(self, x: Tensor, adjoint: bool) -> Tensor:
        order = self._operators if adjoint else list(reversed(self._operators))
        for o in order:
            x = o.matmul(x, adjoint=adjoint)
        return x

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        order = list(reversed(self._operators)) if adjoint else self._operators
        for o in order:
            rhs = o.solve(rhs, adjoint=adjoint)
        return rhs

    def _determinant(self) -> Tensor:
        out = self._operators[0].determinant()
        for o in self._operators[1:]:
            out = out * o.determinant()
        return out

    def _log_abs_determinant(self) -> Tensor:
        out = self._operators[0].log_abs_determinant()
        for o in self._operators[1:]:
            out = out + o.log_abs_determinant()
        return out

    def _adjoint(self) -> LinearOperator:
        return LinearOperatorComposition([o.adjoint() for o in reversed(self._operators)])


def _rows(num_rows: Any, name: str) -> int:
    n = getattr(num_rows, "value", num_rows)
    if isinstance(n, Tensor):
        from flowzero.ops.common import static_value

        v = static_value(n)
        if v is None:
            raise ValueError(f"{name}: num_rows must be known when the graph is built.")
        n = v
    n = int(np.asarray(n))
    if n < 0:
        raise ValueError(f"{name}: num_rows must be non-negative; got {n}.")
    return n


def _broadcast_batch(shapes: list[TensorShape]) -> list[int | None] | None:
    from flowzero.framework.shapes import broadcast_shapes

    out = TensorShape([])
    for s in shapes:
        b = broadcast_shapes(out, s)
        if b is None:
            return None
        out = b
    return None if out.ndims is None else out.as_list()
