"""Reductions: reduce_sum/mean/max/min/prod/any/all, reduce_logsumexp, count_nonzero, argmax/min.

Every reduction keeps its input's dtype exactly (NumPy would promote int32 sums and products to
int64; we pass `dtype=`). Axes are static: a Python int/list or a build-time constant.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, reduced_shape
from flowzero.ops import (
    array_ops,
    cast_ops,
    control_ops,
    division_ops,
    logic_ops,
    math_ops,
    range_ops,
    reshape_ops,
    unary_ops,
)
from flowzero.ops.common import DTypeError, _kind_words, static_value


def _norm_axes(axis: Any) -> tuple[int, ...] | None:
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        v = static_value(axis)
        if v is None:
            raise ValueError(
                "reduction axis must be known when the graph is built (a Python "
                f"int/list or a constant); got {axis!r}."
            )
        axis = v
    a = np.asarray(axis).reshape(-1)
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"reduction axis must be integers; got {axis!r}.")
    return tuple(int(i) for i in a)


class _Reduce(OpDef):
    """Base: reduce x over attrs['axis'] (None = all), keeping dims when attrs['keepdims']."""

    # dtype kinds x may have ("f", "i", "u", "b", "c"); None = any.
    kinds: ClassVar[str | None] = "fiuc"

    def infer(self, x: Tensor) -> TensorSpec:
        if self.kinds is not None and x.dtype.np.kind not in self.kinds:
            raise self.error(
                f"input must have a {_kind_words(self.kinds)} dtype; got {x.dtype.name}.",
                cls=DTypeError,
            )
        axes = self.attrs["axis"]
        nd = x.shape.ndims
        if axes is not None and nd is not None:
            for a in axes:
                if not -max(nd, 1) <= a < max(nd, 1):
                    raise self.error(
                        f"axis {a} is out of range for input of rank {nd} "
                        f"(shape {x.shape}); it must be in [{-max(nd, 1)}, "
                        f"{max(nd, 1)})."
                    )
            canon = [a % max(nd, 1) for a in axes]
            if len(set(canon)) != len(canon):
                raise self.error(
                    f"axis contains a duplicate dimension; got axis {list(axes)} "
                    f"for input of rank {nd}."
                )
        return spec(reduced_shape(x.shape, axes, self.attrs["keepdims"]), x.dtype)

    def _axes(self, x: np.ndarray) -> tuple[int, ...] | None:
        axes = self.attrs["axis"]
        if axes is None or x.ndim == 0:
            return None
        return axes


@register_op("Sum")
class Sum(_Reduce):
    """y = sum of x over axis."""

    grads_match_inputs = True  # the gradient is broadcast to x's shape explicitly

    def compute(self, x: np.ndarray) -> np.ndarray:
        # NOTE: np.add.reduce is what np.sum runs for an ndarray, without np.sum's Python
        # wrapper (about 1 µs, most of a small reduction's time: an eager op on small operands).
        return np.asarray(
            np.add.reduce(x, axis=self._axes(x), keepdims=self.attrs["keepdims"], dtype=x.dtype)
        )

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        return [array_ops.broadcast_to(_restore_dims(dy, x, self.attrs), array_ops._shape_like(x))]


@register_op("Mean")
class Mean(_Reduce):
    """y = mean of x over axis (integer inputs: sum // count, truncated toward zero, as TF)."""

    grads_match_inputs = True  # the gradient is broadcast to x's shape explicitly

    def compute(self, x: np.ndarray) -> np.ndarray:
        axes = self._axes(x)
        n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
        kd = self.attrs["keepdims"]
        if x.dtype.kind in "iu":
            s = np.add.reduce(x, axis=axes, keepdims=kd, dtype=x.dtype)  # np.sum, unwrapped
            if n == 0:
                return np.zeros_like(np.asarray(s))
            if x.dtype.kind == "u":
                return np.asarray(s // n, dtype=x.dtype)
            q = np.where(s >= 0, s // n, -((-s) // n))  # C-style division, as TF's kernel
            return np.asarray(q, dtype=x.dtype)
        acc = np.float32 if x.dtype == np.float16 else x.dtype  # float16 sums overflow
        s = np.add.reduce(x, axis=axes, keepdims=kd, dtype=acc)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.true_divide(s, n), dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y = op.inputs[0], op.outputs[0]
        if not (x.dtype.is_floating or x.dtype.is_complex):
            return [None]
        if self.attrs["axis"] is None and not x.shape.is_fully_defined():
            # The common loss case, mean over everything of a batch of unknown size: divide the
            # scalar first, then broadcast once (5 ops instead of a dynamic count over shapes).
            count = cast_ops.cast(array_ops.size(x), x.dtype)
            return [array_ops.broadcast_to(division_ops.realdiv(dy, count), array_ops.shape(x))]
        sum_grad = array_ops.broadcast_to(
            _restore_dims(dy, x, self.attrs), array_ops._shape_like(x)
        )
        return [division_ops.realdiv(sum_grad, _reduced_count(x, y, self.attrs))]


def _reduced_count(x: Tensor, y: Tensor, attrs: dict[str, Any]) -> Any:
    """How many elements of x went into each element of y, in x's dtype (static when known)."""
    axes = attrs["axis"]
    known = x.shape.known
    if known is not None:
        dims = (
            known
            if axes is None
            else [known[a % max(len(known), 1)] for a in axes]
            if known
            else []
        )
        sizes = [d for d in dims if d is not None]
        if len(sizes) == len(dims):
            return array_ops.constant(
                max(int(np.prod(sizes, dtype=np.int64)), 1), dtype=x.dtype, name="count"
            )
    # size(x) / size(y); when y is empty so is x, and the nan never reaches a value
    n_in = reduce_prod(array_ops.shape(x, out_type=dtypes.int64))
    n_out = reduce_prod(array_ops.shape(y, out_type=dtypes.int64))
    return division_ops.realdiv(cast_ops.cast(n_in, x.dtype), cast_ops.cast(n_out, x.dtype))


class _MinOrMax(_Reduce):
    kinds = "fiu"
    _np_fn: ClassVar[Any] = None
    _empty: ClassVar[str] = ""  # "min" or "max": the identity for an empty reduction

    def compute(self, x: np.ndarray) -> np.ndarray:
        fn = type(self)._np_fn
        kw: dict[str, Any] = {}
        if x.size == 0:  # TF gives the identity (-inf for max of floats) instead of failing
            if x.dtype.kind == "f":
                kw["initial"] = -np.inf if self._empty == "min" else np.inf
            else:
                kw["initial"] = getattr(np.iinfo(x.dtype), self._empty)
        return np.asarray(
            fn(x, axis=self._axes(x), keepdims=self.attrs["keepdims"], **kw), dtype=x.dtype
        )

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # dy goes to the positions equal to the extremum, split evenly among ties (as TF).
        x = op.inputs[0]
        if not x.dtype.is_floating:
            return [None]
        y = _restore_dims(op.outputs[0], x, self.attrs)
        dy = _restore_dims(dy, x, self.attrs)
        hits = cast_ops.cast(logic_ops.equal(y, x), dy.dtype)
        n_hits = reduce_sum(hits, self.attrs["axis"], keepdims=True)
        return [math_ops.multiply(division_ops.realdiv(hits, n_hits), dy)]


@register_op("Max")
class Max(_MinOrMax):
    """y = max of x over axis."""

    _np_fn = np.maximum.reduce  # np.max, without its Python wrapper (see Sum)
    _empty = "min"


@register_op("Min")
class Min(_MinOrMax):
    """y = min of x over axis."""

    _np_fn = np.minimum.reduce
    _empty = "max"


@register_op("Prod")
class Prod(_Reduce):
    """y = product of x over axis."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(
            np.prod(x, axis=self._axes(x), keepdims=self.attrs["keepdims"], dtype=x.dtype)
        )

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # dx_i = dy * (product of the other reduced elements). With z = [x == 0] and
        # P = product of the nonzero elements, that product is P / x_i where no zero is left out
        # of it, i.e. where (zeros in the slice) - z_i == 0, and 0 elsewhere; so zeros are exact
        # (TF's cumprod formulation gives the same values).
        # NOTE: the second derivative is exact away from zeros only.
        x = op.inputs[0]
        if not (x.dtype.is_floating or x.dtype.is_complex):
            return [None]
        axes = self.attrs["axis"]
        z = cast_ops.cast(logic_ops.equal(x, 0), x.dtype)
        x_nz = math_ops.add(x, z)  # zeros replaced by ones
        p_nz = reduce_prod(x_nz, axes, keepdims=True)
        zeros_left_out = math_ops.subtract(reduce_sum(z, axes, keepdims=True), z)
        keep = cast_ops.cast(logic_ops.equal(zeros_left_out, 0), x.dtype)
        others = math_ops.multiply(division_ops.realdiv(p_nz, x_nz), keep)
        return [math_ops.multiply(_restore_dims(dy, x, self.attrs), others)]


@register_op("Any")
class ReduceAny(_Reduce):
    """y = logical or of x over axis."""

    kinds = "b"
    differentiable = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.any(x, axis=self._axes(x), keepdims=self.attrs["keepdims"]))


@register_op("All")
class ReduceAll(_Reduce):
    """y = logical and of x over axis."""

    kinds = "b"
    differentiable = False

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.all(x, axis=self._axes(x), keepdims=self.attrs["keepdims"]))


def _restore_dims(dy: Tensor, x: Tensor, attrs: dict[str, Any]) -> Tensor:
    """dy with the reduced axes put back as size-1 dims (so it broadcasts against x)."""
    axes = attrs["axis"]
    if attrs["keepdims"] or axes is None:
        return dy  # already broadcastable: same rank, or a scalar
    if x.shape.ndims is not None:
        kept = reduced_shape(x.shape, axes, True)
        if kept.is_fully_defined():
            return reshape_ops.reshape(dy, kept.as_list())
    return reshape_ops.reshape(dy, _kept_shape_tensor(x, axes))


def _kept_shape_tensor(x: Tensor, axes: tuple[int, ...]) -> Tensor:
    """shape(x) with the reduced dims set to 1, as a run-time int32 vector."""
    nd = x.shape.ndims
    if nd is not None:
        mask = np.ones(nd, dtype=np.int32)
        for a in axes:
            mask[a % nd] = 0
    else:
        # Unknown rank (a placeholder made without a shape): the 0/1 mask is built at run time
        # from rank(x), negative axes counting from the end.
        # NOTE: TF's reduced_shape does the same with DynamicStitch; a compare per axis is
        # enough here since the axes are static.
        if not axes:
            return array_ops.shape(x)
        r = array_ops.rank(x)
        dims = range_ops.range(r)
        hit = None
        for a in axes:
            at = math_ops.add(r, a) if a < 0 else a
            h = cast_ops.cast(logic_ops.equal(dims, at), dtypes.int32)
            hit = h if hit is None else math_ops.add(hit, h)
        keep = math_ops.subtract(1, hit)
        return math_ops.add(math_ops.multiply(array_ops.shape(x), keep), hit)
    # shape * mask + (1 - mask): the reduced dims become 1
    return math_ops.add(math_ops.multiply(array_ops.shape(x), mask), 1 - mask)


# -- arg max / arg min -------------------------------------------------------------------------
class _ArgReduce(OpDef):
    differentiable = False
    _np_fn: ClassVar[Any] = None

    def infer(self, x: Tensor) -> TensorSpec:
        if x.dtype.np.kind not in "fiub":
            raise self.error(f"input must be real numeric; got {x.dtype.name}.", cls=DTypeError)
        out = self.attrs["output_type"]
        if out not in (dtypes.int32, dtypes.int64):
            raise self.error(f"output_type must be int32 or int64; got {out.name}.", cls=DTypeError)
        a, nd = self.attrs["axis"], x.shape.ndims
        if nd is None:
            return spec(TensorShape(None), out)
        if not -nd <= a < nd:
            raise self.error(
                f"axis {a} is out of range for input of rank {nd} (shape "
                f"{x.shape}); it must be in [{-nd}, {nd})."
            )
        return spec(reduced_shape(x.shape, (a,), False), out)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.shape and x.shape[self.attrs["axis"]] == 0:
            raise self.error(
                f"reduction dimension {self.attrs['axis']} is empty (input shape {x.shape})."
            )
        fn = type(self)._np_fn
        return np.asarray(fn(x, axis=self.attrs["axis"]), dtype=self.attrs["output_type"].np)


@register_op("ArgMax")
class ArgMax(_ArgReduce):
    """y = index of the largest x along axis (the first one among ties)."""

    _np_fn = np.argmax


@register_op("ArgMin")
class ArgMin(_ArgReduce):
    """y = index of the smallest x along axis (the first one among ties)."""

    _np_fn = np.argmin


def _arg(
    cls: type[OpDef], x: Any, axis: Any, dimension: Any, name: str | None, output_type: Any
) -> Tensor:
    if axis is not None and dimension is not None:
        raise ValueError("Cannot specify both 'axis' and 'dimension'.")
    axis = dimension if axis is None else axis
    axes = _norm_axes(0 if axis is None else axis)
    if axes is None or len(axes) != 1:
        raise ValueError(f"{cls.type}: axis must be a single integer; got {axis!r}.")
    return apply_op(
        cls, [x], {"axis": axes[0], "output_type": dtypes.as_dtype(output_type)}, name=name
    )


def argmax(
    input: Any,  # noqa: A002
    axis: Any = None,
    name: str | None = None,  # noqa: A002
    dimension: Any = None,
    output_type: Any = dtypes.int64,
) -> Tensor:
    """Index of the largest value along `axis` (default 0), as int64 unless `output_type`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.argmax([[1, 9, 3], [7, 2, 2]], axis=1))
        array([1, 0])
    """
    return _arg(ArgMax, input, axis, dimension, name, output_type)


def argmin(
    input: Any,  # noqa: A002
    axis: Any = None,
    name: str | None = None,  # noqa: A002
    dimension: Any = None,
    output_type: Any = dtypes.int64,
) -> Tensor:
    """Index of the smallest value along `axis` (default 0), as int64 unless `output_type`."""
    return _arg(ArgMin, input, axis, dimension, name, output_type)


def arg_max(
    input: Any,  # noqa: A002
    dimension: Any,
    name: str | None = None,  # noqa: A002
    output_type: Any = dtypes.int64,
) -> Tensor:
    """TF 0.x spelling of `argmax(input, axis=dimension)`."""
    return _arg(ArgMax, input, None, dimension, name, output_type)


def arg_min(
    input: Any,  # noqa: A002
    dimension: Any,
    name: str | None = None,  # noqa: A002
    output_type: Any = dtypes.int64,
) -> Tensor:
    """TF 0.x spelling of `argmin(input, axis=dimension)`."""
    return _arg(ArgMin, input, None, dimension, name, output_type)


# -- public reduce_* ---------------------------------------------------------------------------
def _reduce(
    cls: type[OpDef],
    x: Any,
    axis: Any,
    keepdims: Any,
    name: str | None,
    reduction_indices: Any,
    keep_dims: Any,
) -> Tensor:
    if axis is not None and reduction_indices is not None:
        raise ValueError("Can not specify both 'axis' and 'reduction_indices'.")
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Can not specify both 'keepdims' and 'keep_dims'.")
    if axis is None:
        axis = reduction_indices
    kd = keepdims if keepdims is not None else keep_dims
    return apply_op(cls, [x], {"axis": _norm_axes(axis), "keepdims": bool(kd)}, name=name)


def reduce_sum(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Sum of elements across `axis` (all when None); the result keeps the input's dtype.

    Args:
        input_tensor: the tensor to reduce (numeric).
        axis: an int or list of ints (negative counts from the end); None reduces all.
        keepdims: keep the reduced axes as size 1.
        reduction_indices, keep_dims: the TF 0.x/1.x spellings of `axis`/`keepdims`.

    Raises:
        InvalidArgumentError: at build time, when an axis is out of range.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.reduce_sum([[1, 1, 1], [1, 1, 1]], axis=1))
        array([3, 3], dtype=int32)
    """
    return _reduce(Sum, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_mean(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Mean across `axis` (all when None). Integer inputs give a truncated integer mean, as TF.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.reduce_mean([[1., 2.], [3., 4.]], axis=0))
        array([2., 3.], dtype=float32)
    """
    return _reduce(Mean, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_max(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Maximum across `axis` (all when None). The gradient is shared evenly among ties."""
    return _reduce(Max, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Minimum across `axis` (all when None). The gradient is shared evenly among ties."""
    return _reduce(Min, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Product across `axis` (all when None); the result keeps the input's dtype."""
    return _reduce(Prod, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_any(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Logical or across `axis` (all when None) of a bool tensor."""
    return _reduce(ReduceAny, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_all(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Logical and across `axis` (all when None) of a bool tensor."""
    return _reduce(ReduceAll, input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_logsumexp(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """log(sum(exp(x))) across `axis`, computed stably as max + log(sum(exp(x - max))).

    A non-finite max (all -inf, say) is replaced by 0 so the result is -inf, not nan, as TF.

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.reduce_logsumexp([1000., 1000.])))   # no overflow
        1000.6932
    """
    if axis is not None and reduction_indices is not None:
        raise ValueError("Can not specify both 'axis' and 'reduction_indices'.")
    axis = reduction_indices if axis is None else axis
    kd = bool(keepdims if keepdims is not None else keep_dims)
    g = graph_of([input_tensor], "reduce_logsumexp")
    with g.as_default(), g.name_scope(name or "ReduceLogSumExp") as scope:
        x = convert_to_tensor(input_tensor)
        raw_max = reduce_max(x, axis, keepdims=True)
        # NOTE: TF replaces a non-finite max by 0; clipping it to the finite range gives the
        # same results (-inf for an all -inf slice, inf for one holding inf, nan for nan).
        m = control_ops.stop_gradient(
            cast_ops.clip_by_value(raw_max, float(x.dtype.min), float(x.dtype.max))
        )
        s = reduce_sum(unary_ops.exp(math_ops.subtract(x, m)), axis, keepdims=kd)
        if not kd:
            m = reshape_ops.reshape(
                m, s.shape.as_list() if s.shape.is_fully_defined() else array_ops.shape(s)
            )
        return math_ops.add(unary_ops.log(s), m, name=scope)


def count_nonzero(
    input_tensor: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    dtype: Any = dtypes.int64,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """Number of nonzero (or True) elements across `axis`, as `dtype` (int64)."""
    if axis is not None and reduction_indices is not None:
        raise ValueError("Can not specify both 'axis' and 'reduction_indices'.")
    axis = reduction_indices if axis is None else axis
    kd = keepdims if keepdims is not None else keep_dims
    g = graph_of([input_tensor], "count_nonzero")
    with g.as_default(), g.name_scope(name or "count_nonzero") as scope:
        x = convert_to_tensor(input_tensor)
        nz = x if x.dtype is dtypes.bool else logic_ops.not_equal(x, np.zeros((), x.dtype.np))
        counts = reduce_sum(cast_ops.cast(nz, dtypes.int64), axis, keepdims=kd)
        return cast_ops.cast(counts, dtypes.as_dtype(dtype), name=scope)


__all__ = [
    "reduce_sum",
    "reduce_mean",
    "reduce_max",
    "reduce_min",
    "reduce_prod",
    "reduce_any",
    "reduce_all",
    "reduce_logsumexp",
    "count_nonzero",
    "argmax",
    "argmin",
    "arg_max",
    "arg_min",
]
