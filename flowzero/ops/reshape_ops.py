"""Reshape ops: reshape, expand_dims, squeeze, transpose (the same elements over other
dimensions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import range_ops
from flowzero.ops.array_ops import _index_dtype_const, _int_operand, _shape_like, constant, rank
from flowzero.ops.common import (
    _axis_in,
    _graph_for,
    _partial_ints,
    _require_int,
    _scalar_int,
    static_value,
)


# -- reshape -----------------------------------------------------------------------------------
@register_op("Reshape")
class Reshape(OpDef):
    """y = x with the given shape (one dim may be -1: inferred from the size)."""

    grads_match_inputs = True  # the gradient is reshaped to x's shape explicitly

    forwards_input = True

    def infer(self, x: Tensor, shape_: Tensor) -> TensorSpec:
        dims_p = _partial_ints(shape_)
        if dims_p is None:
            return spec(TensorShape(None), x.dtype)
        given = [d for d in dims_p if d is not None]
        if sum(d == -1 for d in given) > 1:
            raise self.error(f"only one dimension may be -1; got shape {dims_p}.")
        if any(d < -1 for d in given):
            raise self.error(f"dimensions must be >= -1; got shape {dims_p}.")
        if None in dims_p:
            return spec(_reshape_partial(x, shape_, dims_p), x.dtype)
        dims = [int(d) for d in dims_p]  # type: ignore[arg-type]
        n = x.shape.num_elements()
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        if -1 in dims:
            if n is not None:
                if known == 0 or n % known:
                    raise self.error(
                        f"cannot reshape a tensor of {n} elements (shape {x.shape})"
                        f" to {dims}: {n} is not divisible by {known}."
                    )
                dims = [n // known if d == -1 else d for d in dims]
            return spec([None if d == -1 else d for d in dims], x.dtype)
        if n is not None and n != known:
            raise self.error(
                f"cannot reshape a tensor with {n} elements (shape {x.shape}) to "
                f"shape {dims} ({known} elements)."
            )
        return spec(dims, x.dtype)

    def compute(self, x: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        try:
            return x.reshape(tuple(shape_))
        except ValueError:
            raise self.error(
                f"cannot reshape a tensor with {x.size} elements (shape "
                f"{x.shape}) to shape {np.asarray(shape_).tolist()}."
            ) from None

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reshape(dy, _shape_like(op.inputs[0])), None]


def _dim_source(t: Tensor, i: int) -> tuple[Tensor, int] | None:
    """(x, k) when element i of the shape vector t is `tf.shape(x)[k]`, else None."""
    op = t.op
    if op.type != "Pack" or i >= len(op.inputs):
        return None
    e = op.inputs[i].op
    if (
        e.type != "StridedSlice"
        or e.inputs[0].op.type != "Shape"
        or e.get_attr("shrink_axis_mask") != 1
    ):
        return None
    k = static_value(e.inputs[1])
    x = e.inputs[0].op.inputs[0]
    if k is None or x.shape.ndims is None:
        return None
    return x, int(np.asarray(k).reshape(-1)[0]) % max(x.shape.ndims, 1)


def _reshape_partial(x: Tensor, shape_: Tensor, dims: list[int | None]) -> list[int | None]:
    """Static output dims when some target entries are computed. As TF, an entry that is
    `tf.shape(x)[k]` of the reshaped x itself cancels x's dimension k, so the -1 in
    `reshape(x, [tf.shape(x)[0], -1])` is still known when x's other dimensions are."""
    out = [None if d is None or d == -1 else d for d in dims]
    if -1 not in dims or x.shape.ndims is None:
        return out
    x_dims = list(x.shape.known)  # type: ignore[arg-type]
    for i, d in enumerate(dims):
        if d is None:
            src = _dim_source(shape_, i)
            # (a known dim of x would have been read as an int already)
            if src is None or src[0] is not x or x_dims[src[1]] is not None:
                return out
            x_dims[src[1]] = 1  # cancels: the same unknown size on both sides
    x_known = [d for d in x_dims if d is not None]
    if len(x_known) < len(x_dims):
        return out
    known_out = int(np.prod([d for d in dims if d is not None and d != -1], dtype=np.int64))
    n = int(np.prod(x_known, dtype=np.int64))
    if known_out and n % known_out == 0:
        out[dims.index(-1)] = n // known_out
    return out


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tensor` with a new shape of the same size.

    Args:
        tensor: a Tensor (or convertible value).
        shape: a list/tuple/TensorShape/1-D int Tensor; one entry may be -1 (inferred from the
            size). A list may mix ints and scalar Tensors, e.g. `[tf.shape(x)[0], -1]`.
        name: node name.

    Returns:
        A Tensor with `tensor`'s values in row-major order and the new shape.

    Raises:
        InvalidArgumentError: at build time when the sizes are statically incompatible (at run
            time otherwise).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.reshape(tf.range(6), [2, -1]))
        array([[0, 1, 2],
               [3, 4, 5]], dtype=int32)
    """
    with _graph_for(tensor, shape):
        return apply_op(Reshape, [tensor, _int_operand(shape, "shape", unknown=-1)], name=name)


# -- expand_dims / squeeze ---------------------------------------------------------------------
@register_op("ExpandDims")
class ExpandDims(OpDef):
    """y = x with a dimension of size 1 inserted at `axis`."""

    forwards_input = True

    def infer(self, x: Tensor, axis: Tensor) -> TensorSpec:
        _require_int(self, axis, "axis")
        r = x.shape.ndims
        if r is None:
            return spec(TensorShape(None), x.dtype)
        a = _scalar_int(axis)
        if a is None:
            return spec([None] * (r + 1), x.dtype)
        a = _axis_in(self, a, r + 1)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        return spec(dims[:a] + [1] + dims[a:], x.dtype)

    def compute(self, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        a = int(np.asarray(axis).reshape(-1)[0])
        return np.expand_dims(x, _axis_in(self, a, x.ndim + 1))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reshape(dy, _shape_like(op.inputs[0])), None]


def expand_dims(
    input: Any,  # noqa: A002
    axis: Any = None,
    name: str | None = None,
    dim: Any = None,  # noqa: A002
) -> Tensor:
    """Inserts a dimension of size 1 at `axis` (in [-rank-1, rank]; `dim` is the old name).

    Example:
        >>> tf.expand_dims(tf.zeros([2, 3]), 0).shape    # (1, 2, 3)
        TensorShape([1, 2, 3])
        >>> tf.expand_dims(tf.zeros([2, 3]), -1).shape   # (2, 3, 1)
        TensorShape([2, 3, 1])
    """
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("expand_dims: axis must be given.")
    with _graph_for(input, axis):
        return apply_op(ExpandDims, [input, _int_operand(axis, "dim")], name=name)


@register_op("Squeeze")
class Squeeze(OpDef):
    """y = x without its size-1 dimensions (only those in `squeeze_dims` when given)."""

    forwards_input = True

    def infer(self, x: Tensor) -> TensorSpec:
        r = x.shape.ndims
        if r is None:
            return spec(TensorShape(None), x.dtype)
        dims = x.shape.as_list()
        axes = self.attrs["squeeze_dims"]
        if not axes:
            if None in dims:
                return spec(TensorShape(None), x.dtype)  # unknown which dims are 1
            return spec([d for d in dims if d != 1], x.dtype)
        norm = {_axis_in(self, a, r) for a in axes}
        for a in sorted(norm):
            if dims[a] is not None and dims[a] != 1:
                raise self.error(
                    f"can not squeeze dim[{a}], expected a dimension of 1; got "
                    f"{dims[a]} (x has shape {x.shape})."
                )
        return spec([d for i, d in enumerate(dims) if i not in norm], x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        axes = self.attrs["squeeze_dims"]
        if not axes:
            return np.squeeze(x)
        norm = tuple(sorted({_axis_in(self, a, x.ndim) for a in axes}))
        for a in norm:
            if x.shape[a] != 1:
                raise self.error(
                    f"can not squeeze dim[{a}], expected a dimension of 1; got "
                    f"{x.shape[a]} (x has shape {x.shape})."
                )
        return np.squeeze(x, axis=norm)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reshape(dy, _shape_like(op.inputs[0]))]


def squeeze(
    input: Any,  # noqa: A002
    axis: Any = None,
    name: str | None = None,  # noqa: A002
    squeeze_dims: Any = None,
) -> Tensor:
    """Removes dimensions of size 1 (all of them, or those listed in `axis`).

    Raises:
        InvalidArgumentError: a dimension listed in `axis` is not of size 1.

    Example:
        >>> tf.squeeze(tf.zeros([1, 2, 1, 3])).shape            # (2, 3)
        TensorShape([2, 3])
        >>> tf.squeeze(tf.zeros([1, 2, 1, 3]), [2]).shape       # (1, 2, 3)
        TensorShape([1, 2, 3])
    """
    if axis is None:
        axis = squeeze_dims
    axes = [] if axis is None else [int(a) for a in np.asarray(axis).reshape(-1)]
    return apply_op(Squeeze, [input], {"squeeze_dims": axes}, name=name)


# -- transpose ---------------------------------------------------------------------------------
@register_op("Transpose")
class Transpose(OpDef):
    """y[i_perm[0], ..., i_perm[n-1]] = x[i_0, ..., i_{n-1}]: y.shape[k] = x.shape[perm[k]]."""

    forwards_input = True

    def infer(self, x: Tensor, perm: Tensor) -> TensorSpec:
        _require_int(self, perm, "perm")
        p = _partial_ints(perm)
        r = x.shape.ndims
        if p is None:
            return spec(TensorShape(None if r is None else [None] * r), x.dtype)
        if r is not None and len(p) != r:
            raise self.error(
                f"perm must have one entry per dimension of x; got perm {p} for x "
                f"of shape {x.shape}."
            )
        if None not in p and sorted(p) != list(range(len(p))):  # type: ignore[type-var]
            raise self.error(f"perm must be a permutation of [0, ..., {len(p) - 1}]; got {p}.")
        if r is None:
            return spec([None] * len(p), x.dtype)
        dims = x.shape.known
        return spec([None if i is None else dims[i] for i in p], x.dtype)  # type: ignore[index]

    def compute(self, x: np.ndarray, perm: np.ndarray) -> np.ndarray:
        p = [int(i) for i in perm]
        if sorted(p) != list(range(x.ndim)):
            raise self.error(
                f"perm must be a permutation of [0, ..., {x.ndim - 1}]; got {p} "
                f"for x of shape {x.shape}."
            )
        return np.transpose(x, p)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        perm = op.inputs[1]
        p = static_value(perm)
        inv = (
            _index_dtype_const(np.argsort(np.asarray(p).reshape(-1)), perm)
            if p is not None
            else invert_permutation(perm)
        )
        return [transpose(dy, inv), None]


def transpose(a: Any, perm: Any = None, name: str = "transpose", conjugate: bool = False) -> Tensor:
    """Permutes the dimensions of `a`: output dimension k is input dimension perm[k].

    Args:
        a: a Tensor.
        perm: a permutation of [0, ..., rank(a)-1]; default reversed (a matrix transpose for
            rank 2).
        name: node name.
        conjugate: accepted for TF compatibility (real dtypes only have nothing to conjugate).

    Raises:
        InvalidArgumentError: `perm` is not a permutation of a's dimensions.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.transpose([[1, 2, 3]]))
        array([[1], [2], [3]], dtype=int32)
    """
    with _graph_for(a, perm):
        a = convert_to_tensor(a)
        if perm is None:
            r = a.shape.ndims
            perm = (
                constant(np.arange(r)[::-1].astype(np.int32), name="perm")
                if r is not None
                else range_ops.range(rank(a) - 1, -1, -1, name="perm")
            )
        return apply_op(Transpose, [a, _int_operand(perm, "perm")], name=name)


@register_op("InvertPermutation")
class InvertPermutation(OpDef):
    """y[x[i]] = i (the inverse of the permutation x)."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        _require_int(self, x, "x")
        if x.shape.ndims not in (None, 1):
            raise self.error(f"x must be a vector; got shape {x.shape}.")
        return spec(x.shape.with_rank(1), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        n = x.shape[0]
        if sorted(x.tolist()) != list(range(n)):
            raise self.error(f"x must be a permutation of [0, ..., {n - 1}]; got {x.tolist()}.")
        y = np.empty_like(x)
        y[x] = np.arange(n, dtype=x.dtype)
        return y


def invert_permutation(x: Any, name: str | None = None) -> Tensor:
    """The inverse permutation of the int vector `x`: y[x[i]] = i."""
    with _graph_for(x):
        return apply_op(InvertPermutation, [_int_operand(x, "x")], name=name)


__all__ = ["reshape", "expand_dims", "squeeze", "transpose", "invert_permutation"]
