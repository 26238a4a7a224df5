"""Sorting and set ops: sort and argsort (composites over top_k, as TF builds them), unique,
unique_with_counts and setdiff1d."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for
from flowzero.ops.unary_ops import negative


def _sort_along(values: Tensor, axis: int, descending: bool, want_indices: bool) -> Tensor:
    """values sorted (or their int32 argsort) along `axis` by top_k over the last axis."""
    from flowzero.ops.array_ops import shape
    from flowzero.ops.nn_ops import top_k
    from flowzero.ops.reshape_ops import transpose

    r = values.shape.ndims
    if r == 0:
        raise ValueError(f"sort: '{values.name}' must have rank >= 1; got a scalar.")
    if r is not None:
        if not -r <= axis < r:
            raise ValueError(f"sort: axis {axis} is out of range for rank {r}.")
        axis %= r
    elif axis < -1:
        raise ValueError(
            f"sort: a negative axis other than -1 needs '{values.name}' to have a "
            f"known rank; got {values.shape}."
        )
    dt = values.dtype
    if descending:
        keys = values
    elif dt.is_unsigned:
        keys = dt.np.type(np.iinfo(dt.np).max) - values  # no negation for unsigned
    elif dt.is_integer:
        keys = negative(values) - 1  # -x - 1 cannot overflow, unlike -x at the minimum
    else:
        keys = negative(values)
    perm: Any = None
    if r is not None and axis != r - 1:
        perm = list(range(r))
        perm[axis], perm[-1] = r - 1, axis
    elif r is None and axis != -1:
        perm = _swap_with_last(keys, axis)
    if perm is not None:
        keys = transpose(keys, perm)
    k = None if keys.shape.ndims is None else keys.shape.known[-1]  # type: ignore[index]
    top, idx = top_k(keys, shape(keys)[-1] if k is None else k)
    out = idx if want_indices else top
    if not want_indices and not descending:
        if dt.is_unsigned:
            out = dt.np.type(np.iinfo(dt.np).max) - out
        elif dt.is_integer:
            out = negative(out) - 1
        else:
            out = negative(out)
    return out if perm is None else transpose(out, perm)


def _swap_with_last(x: Tensor, axis: int) -> Tensor:
    """The permutation [0, 1, ..., rank - 1] with `axis` and the last swapped, for an x of
    unknown rank: i + (i == axis) (last - axis) + (i == last) (axis - last)."""
    from flowzero.ops.array_ops import rank
    from flowzero.ops.cast_ops import cast
    from flowzero.ops.logic_ops import equal
    from flowzero.ops.range_ops import range as range_

    last = rank(x) - 1
    i = range_(rank(x))
    at_axis = cast(equal(i, axis), dtypes.int32)
    at_last = cast(equal(i, last), dtypes.int32)
    return i + at_axis * (last - axis) + at_last * (axis - last)


def _direction(direction: str) -> bool:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"direction must be 'ASCENDING' or 'DESCENDING'; got {direction!r}.")
    return direction == "DESCENDING"


def sort(
    values: Any, axis: int = -1, direction: str = "ASCENDING", name: str | None = None
) -> Tensor:
    """`values` sorted along `axis` (a stable sort: equal values keep their order).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.sort([3, 1, 2], direction="DESCENDING"))
        array([3, 2, 1], dtype=int32)
    """
    desc = _direction(direction)
    with _graph_for(values):
        v = convert_to_tensor(values)
        with v.graph.name_scope(name or "sort"):
            return _sort_along(v, int(axis), desc, False)


def argsort(
    values: Any,
    axis: int = -1,
    direction: str = "ASCENDING",
    stable: bool = False,
    name: str | None = None,
) -> Tensor:
    """The int32 indices that sort `values` along `axis`. Always stable (equal values keep
    their order), so `stable=True` and `stable=False` agree.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.argsort([3., 1., 2.]))
        array([1, 2, 0], dtype=int32)
    """
    desc = _direction(direction)
    with _graph_for(values):
        v = convert_to_tensor(values)
        with v.graph.name_scope(name or "argsort"):
            return _sort_along(v, int(axis), desc, True)


def _check_index_dtype(self: OpDef, what: str) -> dtypes.DType:
    dt = dtypes.as_dtype(self.attrs["out_idx"])
    if dt not in (dtypes.int32, dtypes.int64):
        raise self.error(f"{what} must be int32 or int64; got {dt.name}.", cls=DTypeError)
    return dt


def _unique(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values of x in order of first occurrence, each element's position among
    them, and how often each occurs."""
    if x.size == 0:
        return x.copy(), np.zeros(0, np.int64), np.zeros(0, np.int64)
    u, first, inv, cnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return u[order], rank[inv.reshape(-1)], cnt[order]


class _UniqueBase(OpDef):
    differentiable = False

    def _specs(self, x: Tensor) -> list[TensorSpec]:
        if x.shape.ndims not in (None, 1):
            raise self.error(f"x must be a vector; got shape {x.shape}.")
        dt = _check_index_dtype(self, "out_idx")
        n = x.shape.known[0] if x.shape.ndims == 1 else None  # type: ignore[index]
        return [spec([None], x.dtype), spec([n], dt)]

    def _run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if x.ndim != 1:
            raise self.error(f"x must be a vector; got shape {x.shape}.")
        y, idx, cnt = _unique(x)
        dt = dtypes.as_dtype(self.attrs["out_idx"]).np
        return y, idx.astype(dt), cnt.astype(dt)


@register_op("Unique")
class Unique(_UniqueBase):
    """y = the distinct values of x in order of first occurrence; idx[i] = where x[i] is in y."""

    def infer(self, x: Tensor) -> list[TensorSpec]:
        return self._specs(x)

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        y, idx, _ = self._run(x)
        return [y, idx]


@register_op("UniqueWithCounts")
class UniqueWithCounts(_UniqueBase):
    """As Unique, plus count[j] = how often y[j] occurs in x."""

    def infer(self, x: Tensor) -> list[TensorSpec]:
        y, idx = self._specs(x)
        return [y, idx, spec([None], idx.dtype)]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        return list(self._run(x))


@register_op("ListDiff")
class ListDiff(OpDef):
    """out = the entries of x not in y, in x's order (duplicates kept); idx = their positions."""

    differentiable = False

    def infer(self, x: Tensor, y: Tensor) -> list[TensorSpec]:
        if x.dtype is not y.dtype:
            raise self.error(
                f"x and y must have the same dtype; got x: {x.dtype.name}, y: {y.dtype.name}.",
                cls=DTypeError,
            )
        for t, nm in ((x, "x"), (y, "y")):
            if t.shape.ndims not in (None, 1):
                raise self.error(f"{nm} must be a vector; got shape {t.shape}.")
        dt = _check_index_dtype(self, "index_dtype")
        return [spec([None], x.dtype), spec([None], dt)]

    def compute(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        if x.ndim != 1 or y.ndim != 1:
            raise self.error(f"x and y must be vectors; got x: {x.shape}, y: {y.shape}.")
        keep = ~np.isin(x, y)
        idx = np.flatnonzero(keep).astype(dtypes.as_dtype(self.attrs["out_idx"]).np)
        return [x[keep], idx]


def unique(x: Any, out_idx: Any = dtypes.int32, name: str | None = None) -> tuple[Tensor, Tensor]:
    """The distinct values of the vector `x` in order of first occurrence, and for each element
    of x its index into them.

    Example:
        >>> sess = tf.Session()
        >>> y, idx = tf.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
        >>> sess.run([y, idx])   # [1, 2, 4, 7, 8], [0, 0, 1, 2, 2, 2, 3, 4, 4]
        [array([1, 2, 4, 7, 8], dtype=int32), array([0, 0, 1, 2, 2, 2, 3, 4, 4], dtype=int32)]
    """
    y, idx = apply_op(Unique, [x], {"out_idx": dtypes.as_dtype(out_idx)}, name=name)
    return y, idx


def unique_with_counts(
    x: Any, out_idx: Any = dtypes.int32, name: str | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """As tf.unique, plus how often each distinct value occurs."""
    y, idx, count = apply_op(
        UniqueWithCounts, [x], {"out_idx": dtypes.as_dtype(out_idx)}, name=name
    )
    return y, idx, count


def setdiff1d(
    x: Any, y: Any, index_dtype: Any = dtypes.int32, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """The entries of the vector `x` that are not in `y` (order and duplicates kept), and
    their positions in x.

    Example:
        >>> out, idx = tf.setdiff1d([1, 2, 3, 4, 5, 6], [1, 3, 5])   # [2, 4, 6], [1, 3, 5]
    """
    from flowzero.ops.common import binary_operands

    xt, yt = binary_operands(x, y, "ListDiff")
    out, idx = apply_op(ListDiff, [xt, yt], {"out_idx": dtypes.as_dtype(index_dtype)}, name=name)
    return out, idx


__all__ = ["sort", "argsort", "unique", "unique_with_counts", "setdiff1d"]
