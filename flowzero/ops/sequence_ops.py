"""Positions along an axis: reverse_sequence, roll, searchsorted, unravel_index, and the
composites TF builds from ops (sequence_mask, repeat, meshgrid, batch_gather)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, shape, stack
from flowzero.ops.common import (
    DTypeError,
    _axis_in,
    _graph_for,
    _partial_ints,
    _require_int,
    binary_operands,
)


# -- reverse_sequence --------------------------------------------------------------------------
@register_op("ReverseSequence")
class ReverseSequence(OpDef):
    """y[b, ..., j, ...] = x[b, ..., L_b - 1 - j, ...] for j < L_b = seq_lengths[b] along
    seq_dim (batch b along batch_dim), else x itself."""

    grads_match_inputs = True

    def _dims(self, r: int) -> tuple[int, int]:
        s, b = self.attrs["seq_dim"], self.attrs["batch_dim"]
        s, b = _axis_in(self, s, r, "seq_axis"), _axis_in(self, b, r, "batch_axis")
        if s == b:
            raise self.error(f"seq_axis and batch_axis must differ; got both {s}.")
        return s, b

    def infer(self, x: Tensor, lengths: Tensor) -> TensorSpec:
        _require_int(self, lengths, "seq_lengths")
        if lengths.shape.ndims not in (None, 1):
            raise self.error(f"seq_lengths must be a vector; got shape {lengths.shape}.")
        r = x.shape.ndims
        if r is not None:
            if r < 2:
                raise self.error(f"input must have rank >= 2; got shape {x.shape}.")
            _, b = self._dims(r)
            n, nb = x.shape.known[b], lengths.shape.known  # type: ignore[index]
            if n is not None and nb is not None and nb[0] is not None and nb[0] != n:
                raise self.error(
                    f"seq_lengths must have one entry per batch element (input.shape[{b}] = "
                    f"{n}); got seq_lengths of shape {lengths.shape}."
                )
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        if x.ndim < 2:
            raise self.error(f"input must have rank >= 2; got shape {x.shape}.")
        s, b = self._dims(x.ndim)
        if lengths.shape != (x.shape[b],):
            raise self.error(
                f"seq_lengths must have one entry per batch element (input.shape[{b}] = "
                f"{x.shape[b]}); got seq_lengths of shape {lengths.shape}."
            )
        if lengths.size and (lengths.max() > x.shape[s] or lengths.min() < 0):
            raise self.error(
                f"seq_lengths must be in [0, input.shape[{s}] = {x.shape[s]}]; got "
                f"{lengths.tolist()}."
            )
        xm = np.moveaxis(x, (b, s), (0, 1))
        j = np.arange(x.shape[s])
        n = lengths.astype(np.int64)[:, None]
        src = np.where(j < n, n - 1 - j, j)
        out = xm[np.arange(x.shape[b])[:, None], src]
        return np.ascontiguousarray(np.moveaxis(out, (0, 1), (b, s)))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(ReverseSequence, [dy, op.inputs[1]], dict(self.attrs)), None]


def reverse_sequence(
    input: Any,  # noqa: A002
    seq_lengths: Any,
    seq_axis: int | None = None,
    batch_axis: int | None = None,
    name: str | None = None,
    seq_dim: int | None = None,
    batch_dim: int | None = None,
) -> Tensor:
    """Reverses the first seq_lengths[b] entries along `seq_axis` of each batch element b
    (batch elements along `batch_axis`, default 0); the rest stay in place.

    Raises:
        ValueError: both seq_axis and seq_dim (or batch_axis and batch_dim) given.
        InvalidArgumentError: a length outside [0, input.shape[seq_axis]], or seq_lengths not
            one entry per batch element.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.reverse_sequence([[1, 2, 3], [4, 5, 6]], [2, 3], seq_axis=1))
        array([[2, 1, 3],
               [6, 5, 4]], dtype=int32)
    """
    if seq_axis is not None and seq_dim is not None:
        raise ValueError("reverse_sequence: give seq_axis or seq_dim, not both.")
    if batch_axis is not None and batch_dim is not None:
        raise ValueError("reverse_sequence: give batch_axis or batch_dim, not both.")
    s = seq_axis if seq_axis is not None else seq_dim
    if s is None:
        raise TypeError("reverse_sequence() missing required argument 'seq_axis'.")
    b = batch_axis if batch_axis is not None else batch_dim
    with _graph_for(input, seq_lengths):
        attrs = {"seq_dim": int(s), "batch_dim": 0 if b is None else int(b)}
        return apply_op(
            ReverseSequence,
            [convert_to_tensor(input), _int_operand(seq_lengths, "seq_lengths")],
            attrs,
            name=name,
        )


def sequence_mask(
    lengths: Any, maxlen: Any = None, dtype: Any = dtypes.bool, name: str | None = None
) -> Tensor:
    """mask[i..., j] = j < lengths[i...], for j in [0, maxlen) (maxlen defaults to
    max(lengths)); shape lengths.shape + [maxlen].

    Raises:
        ValueError: maxlen is not a scalar.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.sequence_mask([1, 3], 4))
        array([[ True, False, False, False],
               [ True,  True,  True, False]])
    """
    from flowzero.ops.cast_ops import cast
    from flowzero.ops.logic_ops import less
    from flowzero.ops.range_ops import range as range_
    from flowzero.ops.reduction_ops import reduce_max
    from flowzero.ops.reshape_ops import expand_dims

    with _graph_for(lengths, maxlen):
        g = convert_to_tensor(lengths).graph
        with g.name_scope(name or "SequenceMask"):
            lengths = convert_to_tensor(lengths)
            if not lengths.dtype.is_integer:
                raise TypeError(
                    f"sequence_mask: lengths must be integers; got {lengths.dtype.name}."
                )
            if maxlen is None:
                maxlen = reduce_max(lengths)
            else:
                maxlen = _int_operand(maxlen, "maxlen")
                if maxlen.shape.ndims not in (None, 0):
                    raise ValueError(
                        f"sequence_mask: maxlen must be scalar; got shape {maxlen.shape}."
                    )
            row = range_(maxlen)
            lens = expand_dims(lengths, -1)
            if lens.dtype is not row.dtype:
                lens = cast(lens, row.dtype)
            mask = less(row, lens)
            dt = dtypes.as_dtype(dtype)
            return mask if dt is dtypes.bool else cast(mask, dt)


# -- roll --------------------------------------------------------------------------------------
@register_op("Roll")
class Roll(OpDef):
    """y = x with entries moved shift[i] places (cyclically) along axis[i]; shifts along a
    repeated axis add up."""

    grads_match_inputs = True

    def infer(self, x: Tensor, shift: Tensor, axis: Tensor) -> TensorSpec:
        _require_int(self, shift, "shift")
        _require_int(self, axis, "axis")
        for t, what in ((shift, "shift"), (axis, "axis")):
            if t.shape.ndims not in (None, 0, 1):
                raise self.error(f"{what} must be a scalar or a vector; got shape {t.shape}.")
        s, a = _partial_ints(shift), _partial_ints(axis)
        if s is not None and a is not None and len(s) != len(a):
            raise self.error(
                f"shift and axis must have the same size; got shift {shift.shape}, "
                f"axis {axis.shape}."
            )
        r = x.shape.ndims
        if r == 0:
            raise self.error("input must have rank >= 1; got a scalar.")
        if a is not None and r is not None:
            for i in a:
                if i is not None:
                    _axis_in(self, i, r)
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, shift: np.ndarray, axis: np.ndarray) -> np.ndarray:
        s, a = shift.reshape(-1), axis.reshape(-1)
        if s.size != a.size:
            raise self.error(
                f"shift and axis must have the same size; got shift {shift.shape}, "
                f"axis {axis.shape}."
            )
        if x.ndim == 0:
            raise self.error("input must have rank >= 1; got a scalar.")
        axes = tuple(_axis_in(self, int(i), x.ndim) for i in a)
        return np.roll(x, tuple(int(v) for v in s), axes) if axes else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops.unary_ops import negative

        return [apply_op(Roll, [dy, negative(op.inputs[1]), op.inputs[2]]), None, None]


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Rolls `input` by `shift` places along `axis` (ints or equal-length int vectors);
    entries leaving one end come back at the other.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.roll([0, 1, 2, 3, 4], shift=2, axis=0))
        array([3, 4, 0, 1, 2], dtype=int32)
    """
    with _graph_for(input, shift, axis):
        return apply_op(
            Roll,
            [convert_to_tensor(input), _int_operand(shift, "shift"), _int_operand(axis, "axis")],
            name=name,
        )


# -- searchsorted ------------------------------------------------------------------------------
class _Bound(OpDef):
    differentiable = False
    side = "left"

    def infer(self, seq: Tensor, values: Tensor) -> TensorSpec:
        if seq.dtype is not values.dtype:
            raise self.error(
                f"sorted_inputs and values must have the same dtype; got "
                f"{seq.dtype.name} and {values.dtype.name}.",
                cls=DTypeError,
            )
        dt = dtypes.as_dtype(self.attrs["out_type"])
        if dt not in (dtypes.int32, dtypes.int64):
            raise self.error(f"out_type must be int32 or int64; got {dt.name}.", cls=DTypeError)
        for t, what in ((seq, "sorted_inputs"), (values, "values")):
            if t.shape.ndims not in (None, 2):
                raise self.error(f"{what} must be a matrix; got shape {t.shape}.")
        b1 = seq.shape.known[0] if seq.shape.ndims else None  # type: ignore[index]
        b2 = values.shape.known[0] if values.shape.ndims else None  # type: ignore[index]
        if b1 is not None and b2 is not None and b1 != b2:
            raise self.error(
                f"sorted_inputs and values must have the same leading (batch) dimensions; "
                f"got {seq.shape} and {values.shape}."
            )
        return spec(values.shape, dt)

    def compute(self, seq: np.ndarray, values: np.ndarray) -> np.ndarray:
        if seq.shape[0] != values.shape[0]:
            raise self.error(
                f"sorted_inputs and values must have the same leading (batch) dimensions; "
                f"got {seq.shape} and {values.shape}."
            )
        dt = dtypes.as_dtype(self.attrs["out_type"]).np
        out = np.empty(values.shape, dt)
        for i in range(seq.shape[0]):  # one row per batch entry; each searchsorted vectorised
            out[i] = np.searchsorted(seq[i], values[i], side=self.side)
        return out


@register_op("LowerBound")
class LowerBound(_Bound):
    """y[b, i] = the first j with sorted_inputs[b, j] >= values[b, i] (N if none)."""


@register_op("UpperBound")
class UpperBound(_Bound):
    """y[b, i] = the first j with sorted_inputs[b, j] > values[b, i] (N if none)."""

    side = "right"


def searchsorted(
    sorted_sequence: Any,
    values: Any,
    side: str = "left",
    out_type: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """For each value, the index in the innermost dimension of `sorted_sequence` where it
    would be inserted to keep it sorted: before equal entries (side="left") or after them
    (side="right"). Leading dimensions of both are batch dimensions and must match.

    Raises:
        ValueError: side is neither "left" nor "right".

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.searchsorted([1., 3., 5.], [0., 3., 6.], side="right"))
        array([0, 2, 3], dtype=int32)
    """
    from flowzero.ops.reduction_ops import reduce_prod
    from flowzero.ops.reshape_ops import reshape

    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; got {side!r}.")
    op = LowerBound if side == "left" else UpperBound
    with _graph_for(sorted_sequence, values):
        seq, vals = binary_operands(sorted_sequence, values, "SearchSorted")
        with seq.graph.name_scope(name or "SearchSorted"):
            if seq.shape.ndims is not None and vals.shape.ndims is not None:
                if seq.shape.ndims == 0 or seq.shape.ndims != vals.shape.ndims:
                    raise ValueError(
                        f"searchsorted: sorted_sequence and values must have the same rank "
                        f"(>= 1); got {seq.shape} and {vals.shape}."
                    )
            if seq.shape.ndims == 2 and vals.shape.ndims == 2:
                return apply_op(op, [seq, vals], {"out_type": dtypes.as_dtype(out_type)})
            # [batch, n] views; the batch size is computed (not -1) so empty inputs work.
            ss, vs = shape(seq), shape(vals)
            seq2 = reshape(seq, stack([reduce_prod(ss[:-1]), ss[-1]]))
            vals2 = reshape(vals, stack([reduce_prod(vs[:-1]), vs[-1]]))
            out = apply_op(op, [seq2, vals2], {"out_type": dtypes.as_dtype(out_type)})
            return reshape(out, shape(vals))


# -- unravel_index -----------------------------------------------------------------------------
@register_op("UnravelIndex")
class UnravelIndex(OpDef):
    """y[:, i] = the coordinates of flat index indices[i] in an array of shape `dims`
    (row-major); y is a vector for a scalar index."""

    differentiable = False

    def infer(self, indices: Tensor, dims: Tensor) -> TensorSpec:
        _require_int(self, indices, "indices")
        if dims.dtype is not indices.dtype:
            raise self.error(
                f"dims must have the dtype of indices ({indices.dtype.name}); got "
                f"{dims.dtype.name}.",
                cls=DTypeError,
            )
        if indices.shape.ndims not in (None, 0, 1):
            raise self.error(f"indices must be a scalar or a vector; got shape {indices.shape}.")
        if dims.shape.ndims not in (None, 1):
            raise self.error(f"dims must be a vector; got shape {dims.shape}.")
        n = dims.shape.known[0] if dims.shape.ndims == 1 else None  # type: ignore[index]
        if indices.shape.ndims is None:
            return spec(TensorShape(None), indices.dtype)
        return spec([n] + list(indices.shape.known), indices.dtype)  # type: ignore[arg-type]

    def compute(self, indices: np.ndarray, dims: np.ndarray) -> np.ndarray:
        if dims.size and dims.min() <= 0:
            raise self.error(f"dims must be positive; got {dims.tolist()}.")
        total = int(np.prod(dims.astype(np.int64)))
        if indices.size and (indices.min() < 0 or indices.max() >= total):
            raise self.error(
                f"index out of bounds for array in dims: indices {indices.tolist()} must be "
                f"in [0, {total}) for dims {dims.tolist()}."
            )
        coords = np.unravel_index(indices.astype(np.int64), tuple(int(d) for d in dims))
        return np.stack(coords).astype(indices.dtype, copy=False)


def unravel_index(indices: Any, dims: Any, name: str | None = None) -> Tensor:
    """The coordinates that flat (row-major) `indices` have in an array of shape `dims`:
    shape [len(dims)] for a scalar index, [len(dims), n] for n indices.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.unravel_index([1, 5], [2, 3]))
        array([[0, 1],
               [1, 2]], dtype=int32)
    """
    with _graph_for(indices, dims):
        idx = _int_operand(indices, "indices")
        d = convert_to_tensor(dims, dtype=idx.dtype) if not isinstance(dims, Tensor) else dims
        return apply_op(UnravelIndex, [idx, d], name=name)


# -- composites over gather / broadcast ------------------------------------------------------
def repeat(input: Any, repeats: Any, axis: int | None = None, name: str | None = None) -> Tensor:  # noqa: A002
    """Each entry of `input` along `axis` repeated `repeats` times (an int, or one count per
    entry); with axis=None the input is flattened first, as np.repeat.

    Raises:
        ValueError: repeats has rank > 1.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.repeat([[1, 2], [3, 4]], [1, 2], axis=0))
        array([[1, 2],
               [3, 4],
               [3, 4]], dtype=int32)
    """
    from flowzero.ops.array_ops import broadcast_to
    from flowzero.ops.indexing_ops import gather
    from flowzero.ops.range_ops import range as range_
    from flowzero.ops.reduction_ops import reduce_sum
    from flowzero.ops.reshape_ops import reshape
    from flowzero.ops.scan_ops import cumsum

    with _graph_for(input, repeats):
        x = convert_to_tensor(input)
        with x.graph.name_scope(name or "Repeat"):
            if axis is None:
                x, axis = reshape(x, [-1]), 0
            r = _int_operand(repeats, "repeats")
            if r.shape.ndims not in (None, 0, 1):
                raise ValueError(
                    f"repeat: repeats must be a scalar or a vector; got shape {r.shape}."
                )
            n = shape(x, out_type=r.dtype)[axis]
            counts = broadcast_to(reshape(r, [-1]), stack([n]))
            ends = cumsum(counts)
            total = reduce_sum(counts)
            idx = searchsorted(ends, range_(total, dtype=r.dtype), side="right")
            return gather(x, idx, axis=axis)


def meshgrid(*args: Any, **kwargs: Any) -> list[Tensor]:
    """N coordinate grids from N vectors: output i holds args[i] broadcast along the other
    dimensions. indexing="xy" (default, Cartesian) swaps the first two dimensions of every
    grid; "ij" (matrix) keeps them in argument order.

    Raises:
        ValueError: indexing is neither "xy" nor "ij".
        TypeError: an unknown keyword argument.

    Example:
        >>> sess = tf.Session()
        >>> x, y = tf.meshgrid([1, 2, 3], [4, 5])
        >>> sess.run(x)
        array([[1, 2, 3],
               [1, 2, 3]], dtype=int32)
    """
    from flowzero.ops.array_ops import broadcast_to
    from flowzero.ops.reshape_ops import reshape

    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        raise TypeError(f"meshgrid: unknown keyword arguments {sorted(kwargs)}.")
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"meshgrid: indexing parameter must be either 'xy' or 'ij'; got {indexing!r}."
        )
    with _graph_for(list(args)):
        xs = [convert_to_tensor(a) for a in args]
        if not xs:
            return []
        with xs[0].graph.name_scope(name):
            nd = len(xs)
            order = list(range(nd))
            if indexing == "xy" and nd > 1:
                order[0], order[1] = 1, 0
            # order[d] = which argument runs along output dimension d
            sizes = [shape(reshape(xs[order[d]], [-1]))[0] for d in range(nd)]
            full = stack(sizes)
            outs = []
            for i, x in enumerate(xs):
                dims = [1] * nd
                dims[order.index(i)] = -1
                outs.append(broadcast_to(reshape(x, dims), full))
            return outs


def batch_gather(params: Any, indices: Any, name: str | None = None) -> Tensor:
    """out[b..., j...] = params[b..., indices[b..., j...], ...] with the leading
    rank(indices) - 1 dimensions of both batch dimensions (deprecated in TF for
    tf.gather(..., batch_dims=...)).

    Raises:
        ValueError: indices of unknown rank, or a scalar.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.batch_gather([[1, 2, 3], [4, 5, 6]], [[2], [0]]))
        array([[3],
               [4]], dtype=int32)
    """
    from flowzero.ops.indexing_ops import gather
    from flowzero.ops.manip_ops import concat
    from flowzero.ops.range_ops import range as range_
    from flowzero.ops.reduction_ops import reduce_prod
    from flowzero.ops.reshape_ops import reshape

    with _graph_for(params, indices):
        p = convert_to_tensor(params)
        idx = _int_operand(indices, "indices")
        with p.graph.name_scope(name or "BatchGather"):
            r = idx.shape.ndims
            if r is None:
                raise ValueError("batch_gather does not allow indices with unknown shape.")
            if r == 0:
                raise ValueError("batch_gather: indices must have rank >= 1; got a scalar.")
            if r == 1:
                return gather(p, idx)
            nb = r - 1
            ps = shape(p, out_type=idx.dtype)
            batch = reduce_prod(ps[:nb])
            # Flatten the batch dimensions into one and offset each batch's indices by its
            # position times params.shape[nb], so one gather reads every batch.
            flat = reshape(p, concat([[-1], ps[nb + 1 :]], 0))
            offs = reshape(range_(batch) * ps[nb], concat([ps[:nb], [1] * (r - nb)], 0))
            return gather(flat, idx + offs)


__all__ = [
    "reverse_sequence",
    "sequence_mask",
    "roll",
    "searchsorted",
    "unravel_index",
    "repeat",
    "meshgrid",
    "batch_gather",
]
