"""Pad ops: pad in CONSTANT, REFLECT and SYMMETRIC modes (Pad, PadV2, MirrorPad) and the
MirrorPad gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import slicing_ops
from flowzero.ops.array_ops import _index_dtype_const, _int_operand, _shape_like, constant, shape
from flowzero.ops.common import (
    DTypeError,
    _graph_for,
    _is_tensorish,
    _partial_ints,
    _require_int,
    static_value,
)
from flowzero.ops.reshape_ops import reshape


class _PadBase(OpDef):
    """Shared shape rule: y.shape[i] = x.shape[i] + paddings[i, 0] + paddings[i, 1]."""

    # how far each side may reach: None = any (constant), 1 = dim-1 (REFLECT), 0 = dim
    def _limit(self) -> int | None:
        return None

    def _check(self, i: int, a: int | None, b: int | None, d: int | None) -> None:
        for v in (a, b):
            if v is not None and v < 0:
                raise self.error(f"paddings must be non-negative; got paddings[{i}] = "
                                 f"[{a}, {b}].")
        lim = self._limit()
        if lim is not None and d is not None:
            for v in (a, b):
                if v is not None and v > d - lim:
                    raise self.error(f"paddings must be at most {d - lim} (dimension {i} of "
                                     f"size {d} in {self.attrs['mode']} mode); got "
                                     f"paddings[{i}] = [{a}, {b}].")

    def infer(self, x: Tensor, paddings: Tensor, *rest: Tensor) -> TensorSpec:
        _require_int(self, paddings, "paddings")
        ps = paddings.shape
        if ps.ndims is not None and (ps.ndims != 2 or ps.known[1] not in (None, 2) or (  # type: ignore
                x.shape.ndims is not None and ps.known[0] not in (None, x.shape.ndims))):  # type: ignore
            raise self.error(f"paddings must have shape [rank(x), 2] = [{x.shape.ndims}, 2]; "
                             f"got {ps}.")
        for t in rest:
            if t.dtype is not x.dtype:
                raise self.error(f"constant_values must have x's dtype {x.dtype.name}; got "
                                 f"{t.dtype.name}.", cls=DTypeError)
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
            raise self.error(f"paddings must have shape [rank(x), 2] = [{x.ndim}, 2]; got "
                             f"{list(paddings.shape)}.")
        pads = [(int(a), int(b)) for a, b in paddings]
        for i, ((a, b), d) in enumerate(zip(pads, x.shape)):
            self._check(i, a, b, d)
        return pads


def _pad_grad(x: Tensor, paddings: Tensor, dy: Tensor) -> Tensor:
    """dy with the padding cut off: slice(dy, paddings[:, 0], shape(x))."""
    pv = static_value(paddings)
    if pv is not None:
        begin: Any = constant(np.asarray(pv)[:, 0].astype(np.int32), name="begin")
        return slicing_ops.slice(dy, begin, _shape_like(x))
    begin = reshape(slicing_ops.slice(paddings, _index_dtype_const([0, 0], paddings),
                                      _index_dtype_const([-1, 1], paddings)), [-1], name="begin")
    return slicing_ops.slice(dy, begin, shape(x, out_type=paddings.dtype))


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
        from flowzero.ops import reduction_ops

        dx = _pad_grad(op.inputs[0], op.inputs[1], dy)
        # NOTE: TF gives constant_values no gradient; the exact one costs two sums.
        dcv = reduction_ops.reduce_sum(dy) - reduction_ops.reduce_sum(dx)
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
        return spec([None if d is None or p[2 * i] is None or p[2 * i + 1] is None
                     else d - p[2 * i] - p[2 * i + 1]  # type: ignore[operator]
                     for i, d in enumerate(dims)], dy.dtype)  # type: ignore[arg-type]

    def compute(self, dy: np.ndarray, paddings: np.ndarray) -> np.ndarray:
        mode = _MIRROR[self.attrs["mode"]][0]
        g = dy
        for ax, (a, b) in enumerate(paddings.tolist()):
            if a == 0 and b == 0:
                continue
            n = g.shape[ax] - a - b
            src = np.pad(np.arange(n), (a, b), mode=mode)  # padded position -> source index
            out = np.zeros(g.shape[:ax] + (n,) + g.shape[ax + 1:], dtype=dy.dtype)
            np.add.at(np.moveaxis(out, ax, 0), src, np.moveaxis(g, ax, 0))
            g = out
        return g if g is not dy else np.array(dy)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [pad(ddx, op.inputs[1], mode=self.attrs["mode"]), None]


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str | None = None,
        constant_values: Any = 0) -> Tensor:
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
            cv = convert_to_tensor(constant_values, dtype=None if _is_tensorish(
                constant_values) else x.dtype)
            return apply_op(PadV2, [x, p, cv], name=name)
        if m in _MIRROR:
            return apply_op(MirrorPad, [x, p], {"mode": m}, name=name)
    raise ValueError(f"pad: unknown padding mode {mode!r}; expected CONSTANT, REFLECT or "
                     "SYMMETRIC.")


__all__ = ["pad"]
