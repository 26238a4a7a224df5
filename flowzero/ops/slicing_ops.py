"""Slicing and padding ops: slice, strided_slice (and its gradient op), NumPy-style indexing,
and pad in CONSTANT, REFLECT and SYMMETRIC modes (Pad, PadV2, MirrorPad and its gradient) —
one module because each is the other's gradient (slice's is a pad, pad's a slice).

Installs `Tensor.__getitem__` (NumPy-style indexing through StridedSlice), so the graph layer
itself knows nothing about slicing.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import (
    _index_dtype_const,
    _int_operand,
    _shape_like,
    constant,
    ones_like,
    shape,
    stack,
    sum_to,
)
from flowzero.ops.common import (
    DTypeError,
    _graph_for,
    _is_int,
    _is_tensorish,
    _partial_ints,
    _require_int,
    _static_shape_value,
    _strided_index,
    scatter_add_rows,
    static_value,
)
from flowzero.ops.reshape_ops import reshape

# NOTE: this module defines tf.slice, which shadows the builtin inside it.
_slice = builtins.slice


# -- slice / strided_slice / __getitem__ -------------------------------------------------------
@register_op("Slice")
class Slice(OpDef):
    """y = x[begin[0] : begin[0] + size[0], ...] (size[i] = -1: to the end of dimension i)."""

    forwards_input = True

    def _check(self, i: int, b: int | None, s: int | None, d: int | None) -> None:
        if b is not None and b < 0:
            raise self.error(f"begin must be >= 0; got begin[{i}] = {b}.")
        if s is not None and s < -1:
            raise self.error(f"size must be >= -1; got size[{i}] = {s}.")
        if d is not None and b is not None and (b > d or (s is not None and s != -1 and b + s > d)):
            raise self.error(
                f"expected begin[{i}] + size[{i}] <= {d} (dimension {i}); got "
                f"begin[{i}] = {b}, size[{i}] = {s}."
            )

    def infer(self, x: Tensor, begin: Tensor, size_: Tensor) -> TensorSpec:
        _require_int(self, begin, "begin")
        _require_int(self, size_, "size")
        b, s = _partial_ints(begin), _partial_ints(size_)
        r = x.shape.ndims
        lengths = {len(v) for v in (b, s) if v is not None} | ({r} if r is not None else set())
        if len(lengths) > 1:
            raise self.error(
                f"begin and size must have one entry per dimension of x; got "
                f"begin {b}, size {s} for x of shape {x.shape}."
            )
        if not lengths:
            return spec(TensorShape(None), x.dtype)
        n = lengths.pop()
        b, s = b or [None] * n, s or [None] * n
        dims = x.shape.known if r is not None else (None,) * n
        out: list[int | None] = []
        for i, (bi, si, d) in enumerate(zip(b, s, dims)):  # type: ignore[arg-type]
            self._check(i, bi, si, d)
            if si == -1:
                out.append(None if d is None or bi is None else d - bi)
            else:
                out.append(si)
        return spec(out, x.dtype)

    def compute(self, x: np.ndarray, begin: np.ndarray, size_: np.ndarray) -> np.ndarray:
        if len(begin) != x.ndim or len(size_) != x.ndim:
            raise self.error(
                f"begin and size must have one entry per dimension of x; got "
                f"begin {begin.tolist()}, size {size_.tolist()} for x of shape "
                f"{x.shape}."
            )
        idx = []
        for i, (b, s, d) in enumerate(zip(begin.tolist(), size_.tolist(), x.shape)):
            self._check(i, b, s, d)
            idx.append(_slice(b, d if s == -1 else b + s))
        return x[tuple(idx)]

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, begin = op.inputs[0], op.inputs[1]
        bv = static_value(begin)
        if bv is not None and x.shape.is_fully_defined() and dy.shape.is_fully_defined():
            b = np.asarray(bv).reshape(-1)
            after = np.asarray(x.shape.as_list()) - np.asarray(dy.shape.as_list()) - b
            paddings: Any = constant(np.stack([b, after], axis=1).astype(np.int32), name="paddings")
        else:
            before = begin
            after_t = shape(x, out_type=begin.dtype) - shape(dy, out_type=begin.dtype) - before
            paddings = stack([before, after_t], axis=1, name="paddings")
        return [pad(dy, paddings), None, None]


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """Extracts the block of `size` starting at `begin` (size -1: to the end).

    Raises:
        InvalidArgumentError: begin < 0 or begin + size beyond a dimension.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.slice([[1, 2, 3], [4, 5, 6]], [1, 0], [1, 2]))
        array([[4, 5]], dtype=int32)
    """
    with _graph_for(input_, begin, size):
        return apply_op(
            Slice, [input_, _int_operand(begin, "begin"), _int_operand(size, "size")], name=name
        )


_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _strided_shape(
    self: OpDef, x: TensorShape, b: list[int | None], e: list[int | None], s: list[int | None]
) -> TensorShape:
    """Static output shape of a strided slice; None entries (and unknown dims) give None."""
    at = self.attrs
    n = len(b)
    has = [[bool(at[m] >> i & 1) for i in range(n)] for m in _MASKS]
    bm, em, ell, new, shrink = has
    if sum(ell) > 1:
        raise self.error(
            f"only one ellipsis may appear in a slice spec; got ellipsis_mask "
            f"{at['ellipsis_mask']}."
        )
    for i in range(n):
        if not ell[i] and not new[i] and not shrink[i] and s[i] == 0:
            raise self.error(f"strides must be non-zero; got strides[{i}] = 0.")
    if x.ndims is None:
        return TensorShape(None)
    r = x.ndims
    dims = list(x.known)  # type: ignore[arg-type]
    consumed = sum(1 for i in range(n) if not ell[i] and not new[i])
    if consumed > r:
        raise self.error(
            f"the slice spec indexes {consumed} dimensions but the input has shape {x} (rank {r})."
        )
    out: list[int | None] = []
    k = 0  # the input dimension the next spec entry consumes
    for i in range(n):
        if ell[i]:
            m = r - consumed
            out.extend(dims[k : k + m])
            k += m
        elif new[i]:
            out.append(1)
        elif shrink[i]:
            d, bi = dims[k], b[i]
            if d is not None and bi is not None and not -d <= bi < d:
                raise self.error(
                    f"index {bi} is out of bounds for dimension {k} of size {d} (input shape {x})."
                )
            k += 1
        else:
            d = dims[k]
            lo = None if bm[i] else b[i]
            hi = None if em[i] else e[i]
            if (
                d is None
                or s[i] is None
                or (lo is None and not bm[i])
                or (hi is None and not em[i])
            ):
                out.append(None)
            else:
                out.append(len(range(*_slice(lo, hi, s[i]).indices(d))))
            k += 1
    out.extend(dims[k:])
    return TensorShape(out)


@register_op("StridedSlice")
class StridedSlice(OpDef):
    """y = x[begin:end:strides] per dimension, with TF's begin/end/ellipsis/new-axis/shrink
    masks (the NumPy basic-indexing semantics of `x[...]`)."""

    forwards_input = True

    def infer(self, x: Tensor, begin: Tensor, end: Tensor, strides: Tensor) -> TensorSpec:
        for t, nm in ((begin, "begin"), (end, "end"), (strides, "strides")):
            _require_int(self, t, nm)
        parts = [_partial_ints(t) for t in (begin, end, strides)]
        if any(p is None for p in parts):
            return spec(TensorShape(None), x.dtype)
        if len({len(p) for p in parts}) != 1:  # type: ignore[arg-type]
            raise self.error(
                f"begin, end and strides must have the same length; got "
                f"{parts[0]}, {parts[1]}, {parts[2]}."
            )
        return spec(_strided_shape(self, x.shape, *parts), x.dtype)  # type: ignore[arg-type]

    def compute(
        self, x: np.ndarray, begin: np.ndarray, end: np.ndarray, strides: np.ndarray
    ) -> np.ndarray:
        try:
            y = x[_strided_index(begin, end, strides, self.attrs)]
        except IndexError as exc:
            raise self.error(
                f"slice out of range for input of shape {x.shape}: {exc}; got "
                f"begin {begin.tolist()}, end {end.tolist()}, strides "
                f"{strides.tolist()}."
            ) from None
        return y if isinstance(y, np.ndarray) else np.asarray(y, dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, begin, end, strides = op.inputs
        sx = _shape_like(x) if begin.dtype is dtypes.int32 else shape(x, out_type=begin.dtype)
        return [
            apply_op(StridedSliceGrad, [sx, begin, end, strides, dy], dict(self.attrs)),
            None,
            None,
            None,
        ]


@register_op("StridedSliceGrad")
class StridedSliceGrad(OpDef):
    """y = zeros(shape) with y[begin:end:strides] = dy (the adjoint of StridedSlice)."""

    def infer(
        self, shape_: Tensor, begin: Tensor, end: Tensor, strides: Tensor, dy: Tensor
    ) -> TensorSpec:
        return spec(_static_shape_value(shape_), dy.dtype)

    def compute(
        self,
        shape_: np.ndarray,
        begin: np.ndarray,
        end: np.ndarray,
        strides: np.ndarray,
        dy: np.ndarray,
    ) -> np.ndarray:
        out = np.zeros(tuple(int(d) for d in shape_), dtype=dy.dtype)
        out[_strided_index(begin, end, strides, self.attrs)] = dy
        return out

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        _, begin, end, strides, _ = op.inputs
        return [
            None,
            None,
            None,
            None,
            strided_slice(ddx, begin, end, strides, **{m: self.attrs[m] for m in _MASKS}),
        ]


def strided_slice(
    input_: Any,
    begin: Any,
    end: Any,
    strides: Any = None,
    begin_mask: int = 0,
    end_mask: int = 0,
    ellipsis_mask: int = 0,
    new_axis_mask: int = 0,
    shrink_axis_mask: int = 0,
    var: Any = None,
    name: str | None = None,
) -> Tensor:
    """`input_[begin:end:strides]` with TF's mask arguments (bit i refers to spec entry i).

    Args:
        begin, end, strides: 1-D int lists/Tensors of equal length (strides default 1).
        begin_mask / end_mask: bit i set = ignore begin[i] / end[i] (slice from the start / to
            the end, as an omitted Python slice bound).
        ellipsis_mask: bit i set = entry i is `...`.
        new_axis_mask: bit i set = entry i inserts a dimension of size 1 (`tf.newaxis`).
        shrink_axis_mask: bit i set = entry i is the single index begin[i] (dimension removed).

    Example:
        >>> x = tf.reshape(tf.range(24), [4, 3, 2])
        >>> y = tf.strided_slice(x, [1, 0, 0], [3, 0, 0], [1, 1, -1],
        ...                      begin_mask=4, ellipsis_mask=2, end_mask=4)   # x[1:3, ..., ::-1]
        >>> sess = tf.Session()
        >>> np.array_equal(sess.run(y), sess.run(x[1:3, ..., ::-1]))
        True
    """
    with _graph_for(input_, begin, end, strides):
        b = _int_operand(begin, "begin")
        e = _int_operand(end, "end")
        s = (
            _int_operand(strides, "strides")
            if strides is not None
            else ones_like(b, name="strides")
        )
        attrs = {
            "begin_mask": int(begin_mask),
            "end_mask": int(end_mask),
            "ellipsis_mask": int(ellipsis_mask),
            "new_axis_mask": int(new_axis_mask),
            "shrink_axis_mask": int(shrink_axis_mask),
        }
        return apply_op(StridedSlice, [input_, b, e, s], attrs, name=name)


newaxis = None


def _index_part(v: Any, name: str) -> Any:
    """A slice bound / index: a Python int or a scalar int Tensor."""
    if _is_int(v):
        return int(v)
    if _is_tensorish(v):
        t = convert_to_tensor(v)
        if t.dtype in (dtypes.int32, dtypes.int64) and t.shape.ndims in (None, 0):
            return t
    raise TypeError(
        "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
        f"tf.int32/tf.int64 tensors are valid indices; got {v!r} as {name}."
    )


def _pack_index(values: list[Any], name: str) -> Tensor:
    if not any(isinstance(v, Tensor) for v in values):
        return _int_operand(values, name)
    return stack(values, name=name)


def _getitem(tensor: Any, key: Any) -> Tensor:
    """`tensor[key]`: NumPy basic indexing (ints, slices incl. negative steps, `...`,
    tf.newaxis, scalar int Tensors) as one StridedSlice."""
    if not isinstance(key, tuple):
        key = (key,)
    begin: list[Any] = []
    end: list[Any] = []
    strides: list[Any] = []
    masks = dict.fromkeys(_MASKS, 0)
    with _graph_for(tensor, *[k for k in key if _is_tensorish(k)]):
        for i, k in enumerate(key):
            bit = 1 << i
            if isinstance(k, _slice):
                lo, hi, st = (
                    None if v is None else _index_part(v, "a slice bound")
                    for v in (k.start, k.stop, k.step)
                )
                if lo is None:
                    masks["begin_mask"] |= bit
                if hi is None:
                    masks["end_mask"] |= bit
                if isinstance(st, int) and st == 0:
                    raise ValueError("slice step cannot be zero")
                begin.append(0 if lo is None else lo)
                end.append(0 if hi is None else hi)
                strides.append(1 if st is None else st)
            elif k is Ellipsis or k is None:
                masks["ellipsis_mask" if k is Ellipsis else "new_axis_mask"] |= bit
                begin.append(0)
                end.append(0)
                strides.append(1)
            else:
                ix = _index_part(k, "an index")
                masks["shrink_axis_mask"] |= bit
                begin.append(ix)
                end.append(ix + 1 if isinstance(ix, int) else ix)  # end is unused for shrink
                strides.append(1)
        return strided_slice(
            tensor,
            _pack_index(begin, "stack"),
            _pack_index(end, "stack_1"),
            _pack_index(strides, "stack_2"),
            name="strided_slice",
            **masks,
        )


Tensor.__getitem__ = _getitem  # type: ignore[attr-defined]


# -- pad --------------------------------------------------------------------------------------
class _PadBase(OpDef):
    """Shared shape rule: y.shape[i] = x.shape[i] + paddings[i, 0] + paddings[i, 1]."""

    # how far each side may reach: None = any (constant), 1 = dim-1 (REFLECT), 0 = dim
    def _limit(self) -> int | None:
        return None

    def _check(self, i: int, a: int | None, b: int | None, d: int | None) -> None:
        for v in (a, b):
            if v is not None and v < 0:
                raise self.error(f"paddings must be non-negative; got paddings[{i}] = [{a}, {b}].")
        lim = self._limit()
        if lim is not None and d is not None:
            for v in (a, b):
                if v is not None and v > d - lim:
                    raise self.error(
                        f"paddings must be at most {d - lim} (dimension {i} of "
                        f"size {d} in {self.attrs['mode']} mode); got "
                        f"paddings[{i}] = [{a}, {b}]."
                    )

    def infer(self, x: Tensor, paddings: Tensor, *rest: Tensor) -> TensorSpec:
        _require_int(self, paddings, "paddings")
        ps = paddings.shape
        if ps.ndims is not None and (
            ps.ndims != 2
            or ps.known[1] not in (None, 2)
            or (  # type: ignore
                x.shape.ndims is not None and ps.known[0] not in (None, x.shape.ndims)
            )
        ):  # type: ignore
            raise self.error(
                f"paddings must have shape [rank(x), 2] = [{x.shape.ndims}, 2]; got {ps}."
            )
        for t in rest:
            if t.dtype is not x.dtype:
                raise self.error(
                    f"constant_values must have x's dtype {x.dtype.name}; got {t.dtype.name}.",
                    cls=DTypeError,
                )
            if t.shape.ndims not in (None, 0):
                raise self.error(f"constant_values must be a scalar; got shape {t.shape}.")
        p = _partial_ints(paddings)
        r = x.shape.ndims
        if r is None:
            if p is None or ps.ndims is None:
                return spec(TensorShape(None), x.dtype)
            r = len(p) // 2
        p = p if p is not None and len(p) == 2 * r else [None] * (2 * r)
        dims = x.shape.known if x.shape.ndims is not None else (None,) * r
        out = []
        for i, d in enumerate(dims):  # type: ignore[arg-type]
            a, b = p[2 * i], p[2 * i + 1]
            self._check(i, a, b, d)
            out.append(None if d is None or a is None or b is None else d + a + b)
        return spec(out, x.dtype)

    def _pads(self, x: np.ndarray, paddings: np.ndarray) -> list[tuple[int, int]]:
        if paddings.shape != (x.ndim, 2):
            raise self.error(
                f"paddings must have shape [rank(x), 2] = [{x.ndim}, 2]; got "
                f"{list(paddings.shape)}."
            )
        pads = [(int(a), int(b)) for a, b in paddings]
        for i, ((a, b), d) in enumerate(zip(pads, x.shape)):
            self._check(i, a, b, d)
        return pads


def _pad_grad(x: Tensor, paddings: Tensor, dy: Tensor) -> Tensor:
    """dy with the padding cut off: slice(dy, paddings[:, 0], shape(x))."""
    pv = static_value(paddings)
    if pv is not None:
        begin: Any = constant(np.asarray(pv)[:, 0].astype(np.int32), name="begin")
        return slice(dy, begin, _shape_like(x))
    begin = reshape(
        slice(
            paddings, _index_dtype_const([0, 0], paddings), _index_dtype_const([-1, 1], paddings)
        ),
        [-1],
        name="begin",
    )
    return slice(dy, begin, shape(x, out_type=paddings.dtype))


@register_op("Pad")
class Pad(_PadBase):
    """y = x with paddings[i, 0] zeros before and paddings[i, 1] after, in each dimension i."""

    def compute(self, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
        pads = self._pads(x, paddings)
        return np.pad(x, pads, mode="constant") if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [_pad_grad(op.inputs[0], op.inputs[1], dy), None]


@register_op("PadV2")
class PadV2(_PadBase):
    """y = x padded with `constant_values` (paddings[i, 0] before, paddings[i, 1] after)."""

    def compute(self, x: np.ndarray, paddings: np.ndarray, cv: np.ndarray) -> np.ndarray:
        pads = self._pads(x, paddings)
        return np.pad(x, pads, mode="constant", constant_values=cv) if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        dx = _pad_grad(op.inputs[0], op.inputs[1], dy)
        # NOTE: TF gives constant_values no gradient; the exact one costs two sums.
        dcv = sum_to(dy, []) - sum_to(dx, [])
        return [dx, None, dcv]


_MIRROR = {"REFLECT": ("reflect", 1), "SYMMETRIC": ("symmetric", 0)}


@register_op("MirrorPad")
class MirrorPad(_PadBase):
    """y = x padded with its own mirror image: REFLECT excludes the edge, SYMMETRIC repeats it."""

    def _limit(self) -> int | None:
        return _MIRROR[self.attrs["mode"]][1]

    def compute(self, x: np.ndarray, paddings: np.ndarray) -> np.ndarray:
        pads = self._pads(x, paddings)
        return np.pad(x, pads, mode=_MIRROR[self.attrs["mode"]][0]) if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(MirrorPadGrad, [dy, op.inputs[1]], {"mode": self.attrs["mode"]}), None]


@register_op("MirrorPadGrad")
class MirrorPadGrad(OpDef):
    """y = dy folded back onto the unpadded region: each mirrored entry adds to its source."""

    def infer(self, dy: Tensor, paddings: Tensor) -> TensorSpec:
        _require_int(self, paddings, "paddings")
        r = dy.shape.ndims
        p = _partial_ints(paddings)
        if r is None:
            return spec(TensorShape(None), dy.dtype)
        p = p if p is not None and len(p) == 2 * r else [None] * (2 * r)
        dims = dy.shape.known
        return spec(
            [
                None
                if d is None or p[2 * i] is None or p[2 * i + 1] is None
                else d - p[2 * i] - p[2 * i + 1]  # type: ignore[operator]
                for i, d in enumerate(dims)
            ],
            dy.dtype,
        )  # type: ignore[arg-type]

    def compute(self, dy: np.ndarray, paddings: np.ndarray) -> np.ndarray:
        mode = _MIRROR[self.attrs["mode"]][0]
        g = dy
        for ax, (a, b) in enumerate(paddings.tolist()):
            if a == 0 and b == 0:
                continue
            n = g.shape[ax] - a - b
            src = np.pad(np.arange(n), (a, b), mode=mode)  # padded position -> source index
            out = np.zeros(g.shape[:ax] + (n,) + g.shape[ax + 1 :], dtype=dy.dtype)
            scatter_add_rows(np.moveaxis(out, ax, 0), src, np.moveaxis(g, ax, 0))
            g = out
        return g if g is not dy else np.array(dy)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [pad(ddx, op.inputs[1], mode=self.attrs["mode"]), None]


def pad(
    tensor: Any,
    paddings: Any,
    mode: str = "CONSTANT",
    name: str | None = None,
    constant_values: Any = 0,
) -> Tensor:
    """Pads `tensor`: paddings[i] = [before, after] entries added to dimension i.

    Args:
        tensor: the Tensor to pad.
        paddings: int [rank, 2] list/Tensor.
        mode: "CONSTANT" (fill with `constant_values`), "REFLECT" (mirror, edge excluded;
            padding <= dim - 1) or "SYMMETRIC" (mirror, edge included; padding <= dim).
        constant_values: the fill value in CONSTANT mode.

    Raises:
        InvalidArgumentError: negative paddings, paddings not [rank, 2], or a mirror padding
            larger than the mode allows.
        ValueError: an unknown mode.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.pad([[1, 2]], [[1, 0], [0, 1]]))
        array([[0, 0, 0],
               [1, 2, 0]], dtype=int32)
    """
    m = str(mode).upper()
    with _graph_for(tensor, paddings, constant_values):
        x = convert_to_tensor(tensor)
        p = _int_operand(paddings, "paddings")
        if m == "CONSTANT":
            if not _is_tensorish(constant_values) and np.all(np.asarray(constant_values) == 0):
                return apply_op(Pad, [x, p], name=name)
            cv = convert_to_tensor(
                constant_values, dtype=None if _is_tensorish(constant_values) else x.dtype
            )
            return apply_op(PadV2, [x, p, cv], name=name)
        if m in _MIRROR:
            return apply_op(MirrorPad, [x, p], {"mode": m}, name=name)
    raise ValueError(
        f"pad: unknown padding mode {mode!r}; expected CONSTANT, REFLECT or SYMMETRIC."
    )


__all__ = ["slice", "strided_slice", "newaxis", "pad"]
