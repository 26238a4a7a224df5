"""Indexing ops: gather, gather_nd, scatter_nd, one_hot, where (Select/Where), boolean_mask."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, _shape_like, shape, zeros_like
from flowzero.ops.common import (
    DTypeError,
    _axis_in,
    _dtype_of,
    _graph_for,
    _is_tensorish,
    _require_int,
    _scalar_int,
    _static_shape_value,
    scatter_add_rows,
)
from flowzero.ops.manip_ops import concat
from flowzero.ops.reshape_ops import reshape, squeeze


# -- gather / scatter --------------------------------------------------------------------------
def _check_indices(self: OpDef, idx: np.ndarray, n: int, what: str = "indices") -> None:
    """TF's error for an out-of-range index: `indices[i] = v is not in [0, n)`."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        pos = np.argwhere((idx < 0) | (idx >= n))[0]
        at = ",".join(str(int(p)) for p in pos)
        raise self.error(f"{what}[{at}] = {int(idx[tuple(pos)])} is not in [0, {n}).")


@register_op("GatherV2")
class GatherV2(OpDef):
    """y[p..., i..., q...] = params[p..., indices[i...], q...] (indexing along `axis`)."""

    def infer(self, params: Tensor, indices: Tensor, axis: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        _require_int(self, axis, "axis")
        r, ir = params.shape.ndims, indices.shape.ndims
        if r == 0:
            raise self.error("params must be at least rank 1; got a scalar.")
        a = _scalar_int(axis)
        if r is None or ir is None:
            return spec(TensorShape(None), params.dtype)
        if a is None:
            return spec([None] * (r + ir - 1), params.dtype)
        a = _axis_in(self, a, r)
        p = list(params.shape.known)  # type: ignore[arg-type]
        return spec(p[:a] + list(indices.shape.known) + p[a + 1 :], params.dtype)  # type: ignore

    def compute(self, params: np.ndarray, indices: np.ndarray, axis: np.ndarray) -> np.ndarray:
        a = _axis_in(self, int(axis), params.ndim)
        _check_indices(self, indices, params.shape[a])
        return np.asarray(np.take(params, indices, axis=a))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        params, indices, axis = op.inputs
        a = _scalar_int(axis)
        if a is None:
            raise NotImplementedError("gradient of GatherV2 needs a static axis")
        return [_gather_grad(dy, indices, _shape_like(params), a), None, None]


@register_op("GatherGrad")
class GatherGrad(OpDef):
    """y = zeros(shape) with y[..., indices[i], ...] += dy[..., i, ...] along `axis` (the
    adjoint of GatherV2: repeated indices accumulate)."""

    def infer(self, dy: Tensor, indices: Tensor, shape_: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        return spec(_static_shape_value(shape_), dy.dtype)

    def compute(self, dy: np.ndarray, indices: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        out = np.zeros(tuple(int(d) for d in shape_), dtype=dy.dtype)
        a = self.attrs["axis"] % out.ndim
        idx = indices.reshape(-1)
        d = dy.reshape(out.shape[:a] + (idx.size,) + out.shape[a + 1 :])
        if a == 0:
            scatter_add_rows(out, idx, d)
        else:
            np.add.at(np.moveaxis(out, a, 0), idx, np.moveaxis(d, a, 0))
        return out

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [gather(ddx, op.inputs[1], axis=self.attrs["axis"]), None, None]


def _gather_grad(dy: Any, indices: Any, shape_: Any, axis: int) -> Tensor:
    return apply_op(GatherGrad, [dy, indices, _int_operand(shape_, "shape")], {"axis": int(axis)})


def gather(
    params: Any, indices: Any, validate_indices: Any = None, name: str | None = None, axis: Any = 0
) -> Tensor:
    """Gathers slices of `params` along `axis` at `indices`.

    The output shape is params.shape[:axis] + indices.shape + params.shape[axis+1:].

    Raises:
        InvalidArgumentError: at run time, an index outside [0, params.shape[axis]) (the
            message names the op and the offending index).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.gather([10, 20, 30], [2, 0, 2]))
        array([30, 10, 30], dtype=int32)
    """
    with _graph_for(params, indices, axis):
        return apply_op(
            GatherV2,
            [params, _int_operand(indices, "indices"), _int_operand(axis, "axis")],
            name=name,
        )


@register_op("GatherNd")
class GatherNd(OpDef):
    """y[i...] = params[indices[i..., 0], ..., indices[i..., K-1], ...]."""

    def infer(self, params: Tensor, indices: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        r, ish = params.shape.ndims, indices.shape
        if ish.ndims == 0:
            raise self.error("indices must be at least rank 1; got a scalar.")
        if r is None or ish.ndims is None or ish.known[-1] is None:  # type: ignore[index]
            return spec(TensorShape(None), params.dtype)
        k = ish.known[-1]  # type: ignore[index]
        if k > r:
            raise self.error(
                f"index depth {k} (indices.shape[-1]) must be <= rank of params "
                f"{r}; got params: {params.shape}, indices: {ish}."
            )
        return spec(
            list(ish.known[:-1]) + list(params.shape.known[k:]),  # type: ignore
            params.dtype,
        )

    def compute(self, params: np.ndarray, indices: np.ndarray) -> np.ndarray:
        k = indices.shape[-1]
        if k > params.ndim:
            raise self.error(f"index depth {k} must be <= rank of params {params.ndim}.")
        for j in range(k):
            _check_indices(self, indices[..., j], params.shape[j], f"indices[..., {j}]")
        if k == 0:
            return np.array(np.broadcast_to(params, indices.shape[:-1] + params.shape))
        return np.asarray(params[tuple(indices[..., j] for j in range(k))])

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        params, indices = op.inputs
        sx = (
            _shape_like(params)
            if indices.dtype is dtypes.int32
            else shape(params, out_type=indices.dtype)
        )
        return [scatter_nd(indices, dy, sx), None]


def gather_nd(params: Any, indices: Any, name: str | None = None) -> Tensor:
    """Gathers slices of `params` addressed by the last dimension of `indices`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.gather_nd([[1, 2], [3, 4]], [[0, 1], [1, 0]]))
        array([2, 3], dtype=int32)
    """
    with _graph_for(params, indices):
        return apply_op(GatherNd, [params, _int_operand(indices, "indices")], name=name)


@register_op("ScatterNd")
class ScatterNd(OpDef):
    """y = zeros(shape) with y[indices[i..., :]] += updates[i...] (duplicates accumulate)."""

    def infer(self, indices: Tensor, updates: Tensor, shape_: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        _require_int(self, shape_, "shape")
        return spec(_static_shape_value(shape_), updates.dtype)

    def compute(self, indices: np.ndarray, updates: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        out = np.zeros(tuple(int(d) for d in shape_), dtype=updates.dtype)
        k = indices.shape[-1]
        want = indices.shape[:-1] + out.shape[k:]
        if updates.shape != want:
            raise self.error(
                f"updates must have shape indices.shape[:-1] + shape[{k}:] = "
                f"{want}; got {updates.shape}."
            )
        for j in range(k):
            _check_indices(self, indices[..., j], out.shape[j], f"indices[..., {j}]")
        if k == 0:
            out += updates.reshape((-1,) + out.shape).sum(axis=0, dtype=out.dtype)
        else:
            np.add.at(out, tuple(indices[..., j] for j in range(k)), updates)
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [None, gather_nd(dy, op.inputs[0]), None]


def scatter_nd(
    indices: Any,
    updates: Any,
    shape: Any,
    name: str | None = None,  # noqa: A002
) -> Tensor:
    """A tensor of `shape`, zero except for `updates` added at `indices` (duplicates sum).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.scatter_nd([[1], [3]], [9., 10.], [5]))
        array([ 0.,  9.,  0., 10.,  0.], dtype=float32)
    """
    with _graph_for(indices, updates, shape):
        idx = _int_operand(indices, "indices")
        sh = _int_operand(shape, "shape")
        return apply_op(ScatterNd, [idx, updates, sh], name=name)


# -- one_hot -----------------------------------------------------------------------------------
@register_op("OneHot")
class OneHot(OpDef):
    """y[..., j, ...] = on_value if indices[...] == j else off_value, j in [0, depth), with the
    new dimension at `axis` (-1: last)."""

    differentiable = False  # as TF: NotDifferentiable("OneHot")

    def infer(self, indices: Tensor, depth: Tensor, on: Tensor, off: Tensor) -> TensorSpec:
        if indices.dtype.np.kind not in "iu":
            raise self.error(f"indices must be integers; got {indices.dtype.name}.", cls=DTypeError)
        _require_int(self, depth, "depth")
        if on.dtype is not off.dtype:
            raise self.error(
                f"on_value and off_value must have the same dtype; got "
                f"{on.dtype.name} and {off.dtype.name}.",
                cls=DTypeError,
            )
        for t, nm in ((depth, "depth"), (on, "on_value"), (off, "off_value")):
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        d = _scalar_int(depth)
        if d is not None and d < 0:
            raise self.error(f"depth must be non-negative; got {d}.")
        r = indices.shape.ndims
        if r is None:
            return spec(TensorShape(None), on.dtype)
        a = self.attrs["axis"]
        if not -1 <= a <= r:
            raise self.error(f"axis must be -1 or in [0, {r}] for indices of rank {r}; got {a}.")
        dims = list(indices.shape.known)  # type: ignore[arg-type]
        a = r if a == -1 else a
        return spec(dims[:a] + [d] + dims[a:], on.dtype)

    def compute(
        self, indices: np.ndarray, depth: np.ndarray, on: np.ndarray, off: np.ndarray
    ) -> np.ndarray:
        d = int(depth)
        if d < 0:
            raise self.error(f"depth must be non-negative; got {d}.")
        hot = indices[..., None] == np.arange(d)  # out-of-range indices match nothing
        out = np.where(hot, on, off).astype(on.dtype, copy=False)
        a = self.attrs["axis"]
        return out if a in (-1, indices.ndim) else np.moveaxis(out, -1, a)


def one_hot(
    indices: Any,
    depth: Any,
    on_value: Any = None,
    off_value: Any = None,
    axis: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> Tensor:
    """One-hot encoding of integer `indices` with `depth` classes.

    Args:
        indices: int Tensor; entries outside [0, depth) give an all-`off_value` row.
        depth: number of classes.
        on_value / off_value: values at / off the hot position (default 1 / 0).
        axis: where the new dimension goes (default -1, the last).
        dtype: output dtype; default the dtype of on/off_value if given, else float32.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.one_hot([0, 2], 3))
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    with _graph_for(indices, depth, on_value, off_value):
        if dtype is not None:
            dt: Any = dtypes.as_dtype(dtype)
        else:  # a Tensor's dtype first, then a Python value's (TF's defaults), else float32
            given = sorted(
                (v for v in (on_value, off_value) if v is not None),
                key=lambda v: not _is_tensorish(v),
            )
            dt = _dtype_of(given[0]) if given else dtypes.float32
        on = convert_to_tensor(
            1 if on_value is None else on_value, dtype=None if _is_tensorish(on_value) else dt
        )
        off = convert_to_tensor(
            0 if off_value is None else off_value, dtype=None if _is_tensorish(off_value) else dt
        )
        return apply_op(
            OneHot,
            [indices, _int_operand(depth, "depth"), on, off],
            {"axis": -1 if axis is None else int(axis)},
            name=name or "one_hot",
        )


# -- where / select ----------------------------------------------------------------------------
@register_op("Select")
class Select(OpDef):
    """y = x where condition else y (condition: same shape as x, a scalar, or a vector
    selecting whole rows of x)."""

    def _cond_ok(self, c: TensorShape, s: TensorShape) -> bool:
        if c.ndims is None or s.ndims is None or c.ndims == 0:
            return True
        if c.ndims == 1 and s.ndims > 1:
            return c.is_compatible_with(s[:1])
        return c.is_compatible_with(s)

    def infer(self, cond: Tensor, x: Tensor, y: Tensor) -> TensorSpec:
        if cond.dtype is not dtypes.bool:
            raise self.error(f"condition must be bool; got {cond.dtype.name}.", cls=DTypeError)
        if x.dtype is not y.dtype:
            raise self.error(
                f"x and y must have the same dtype; got x: {x.dtype.name}, y: "
                f"{y.dtype.name}. Use tf.cast.",
                cls=DTypeError,
            )
        if not x.shape.is_compatible_with(y.shape):
            raise self.error(
                f"x and y must have the same shape (no broadcasting in TF1 "
                f"tf.where); got x: {x.shape}, y: {y.shape}."
            )
        s = x.shape.merge_with(y.shape)
        if not self._cond_ok(cond.shape, s):
            raise self.error(
                f"condition must have x's shape, be a scalar, or be a vector of "
                f"length x.shape[0]; got condition: {cond.shape}, x: {s}."
            )
        return spec(s, x.dtype)

    def compute(self, cond: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if x.shape != y.shape or not self._cond_ok(TensorShape(cond.shape), TensorShape(x.shape)):
            raise self.error(
                f"condition must have x's shape, be a scalar, or be a vector of "
                f"length x.shape[0], and x and y the same shape; got condition: "
                f"{cond.shape}, x: {x.shape}, y: {y.shape}."
            )
        if cond.ndim == 1 and x.ndim > 1:
            cond = cond.reshape((-1,) + (1,) * (x.ndim - 1))
        return np.where(cond, x, y)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        cond = op.inputs[0]
        zeros = zeros_like(dy)
        return [None, where(cond, dy, zeros), where(cond, zeros, dy)]


@register_op("Where")
class Where(OpDef):
    """y = the coordinates of the true (non-zero) entries of x, one row each, in row-major
    order (int64, shape [num_true, rank(x)])."""

    differentiable = False

    def infer(self, cond: Tensor) -> TensorSpec:
        r = cond.shape.ndims
        return spec(TensorShape(None) if r is None else [None, r], dtypes.int64)

    def compute(self, cond: np.ndarray) -> np.ndarray:
        return np.argwhere(cond).astype(np.int64, copy=False)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """Elementwise selection `x if condition else y`, or the coordinates of true entries.

    With x and y (TF1 semantics, no broadcasting): x and y have the same shape; condition has
    that shape too, or is a scalar, or a vector that picks whole rows (first dimension).
    With neither: the int64 [num_true, rank] coordinates of condition's true entries.

    Raises:
        InvalidArgumentError: shapes do not fit; TypeError-compatible when condition is not bool.
        ValueError: only one of x and y is given.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.where([True, False], [1, 2], [10, 20]))     # [1, 20]
        array([ 1, 20], dtype=int32)
        >>> sess.run(tf.where([[True, False], [False, True]]))       # [[0, 0], [1, 1]]
        array([[0, 0],
               [1, 1]])
    """
    if x is None and y is None:
        return apply_op(Where, [condition], name=name)
    if x is None or y is None:
        raise ValueError("where: x and y must both be given or both be None.")
    from flowzero.ops.common import binary_operands

    with _graph_for(condition, x, y):
        xt, yt = binary_operands(x, y, "Select")
        c = convert_to_tensor(condition)
        return apply_op(Select, [c, xt, yt], name=name)


# -- boolean_mask ------------------------------------------------------------------------------
def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Tensor:
    """The entries of `tensor` where the bool `mask` is true (mask covers dimensions
    [axis, axis + rank(mask)), which collapse into one of unknown size).

    Raises:
        ValueError: the mask's rank is unknown or 0, or its shape does not fit the tensor's.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.boolean_mask([[1, 2], [3, 4], [5, 6]], [True, False, True]))
        array([[1, 2],
               [5, 6]], dtype=int32)
    """
    with _graph_for(tensor, mask):
        t = convert_to_tensor(tensor)
        m = convert_to_tensor(mask)
        k = m.shape.ndims
        if k is None:
            raise ValueError("boolean_mask: the number of mask dimensions must be known.")
        if k == 0:
            raise ValueError("boolean_mask: mask cannot be a scalar.")
        a = 0 if axis is None else int(axis)
        ts = t.shape
        if ts.ndims is not None:
            if a < 0:
                a += ts.ndims
            if not ts[a : a + k].is_compatible_with(m.shape) or a + k > ts.ndims:
                raise ValueError(
                    f"boolean_mask: mask of shape {m.shape} does not fit tensor "
                    f"of shape {ts} at axis {a}."
                )
        elif a < 0:
            raise ValueError("boolean_mask: a negative axis needs the tensor's rank.")
        if ts.ndims is not None and all(
            d is not None
            for i, d in enumerate(ts.known)  # type: ignore
            if not a <= i < a + k
        ):
            known = list(ts.known)  # type: ignore[arg-type]
            new_shape: Any = known[:a] + [-1] + known[a + k :]
        else:
            s = shape(t)
            new_shape = concat([s[:a], [-1], s[a + k :]], 0)
        flat = reshape(t, new_shape)
        idx = squeeze(where(reshape(m, [-1])), axis=[1])
        return gather(flat, idx, axis=a, name=name)


__all__ = ["gather", "gather_nd", "scatter_nd", "one_hot", "where", "boolean_mask"]
