"""Volumetric (3-D) convolution and pooling: Conv3D, Conv3DBackpropInputV2,
Conv3DBackpropFilterV2, MaxPool3D (+ MaxPool3DGrad, MaxPool3DGradGrad), AvgPool3D
(+ AvgPool3DGrad).

Layout NDHWC by default, NCDHW via `data_format`; kernels work in NDHWC. Each spatial dimension
follows conv_ops' padding arithmetic (`_out_dim`: VALID, or SAME with the extra plane at the
end). Speed as the 2-D ops: Conv3D is one im2col (a strided view) + GEMM, its input gradient a
GEMM + col2im over the kd*kh*kw taps, its filter gradient im2col + GEMM; pooling loops over the
window offsets, each a strided view of the whole batch.

NOTE: TF's CPU MaxPool3DGrad gives the gradient to every element of a window within 1e-5 of the
window's max (ties all receive it), unlike the 2-D MaxPoolGrad (first max only); we do the same.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import as_strided

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _shape_like, zeros_like
from flowzero.ops.common import DTypeError, _static_shape_value, binary_operands
from flowzero.ops.conv_ops import _out_dim, _sizes_operand

_Pads = tuple[tuple[int, int], ...]


def _last(x: np.ndarray, fmt: str) -> np.ndarray:
    return x if fmt == "NDHWC" else x.transpose(0, 2, 3, 4, 1)


def _first(y: np.ndarray, fmt: str) -> np.ndarray:
    return y if fmt == "NDHWC" else np.ascontiguousarray(y.transpose(0, 4, 1, 2, 3))


def _ndhwc(dims: Any, fmt: str) -> tuple[Any, ...]:
    d = tuple(dims)
    return d if fmt == "NDHWC" else (d[0], d[2], d[3], d[4], d[1])


def _fmt(dims: Any, fmt: str) -> tuple[Any, ...]:
    d = tuple(dims)
    return d if fmt == "NDHWC" else (d[0], d[4], d[1], d[2], d[3])


def _pad3(x: np.ndarray, pads: _Pads, fill: Any = 0) -> np.ndarray:
    if not any(b or a for b, a in pads):
        return x
    out = np.full(
        (x.shape[0], *(s + b + a for s, (b, a) in zip(x.shape[1:4], pads)), x.shape[4]),
        fill,
        dtype=x.dtype,
    )
    (d0, _), (h0, _), (w0, _) = pads
    out[:, d0 : d0 + x.shape[1], h0 : h0 + x.shape[2], w0 : w0 + x.shape[3]] = x
    return out


def _crop3(xp: np.ndarray, pads: _Pads, size: tuple[int, int, int]) -> np.ndarray:
    if xp.shape[1:4] == size:
        return xp
    (d0, _), (h0, _), (w0, _) = pads
    return np.ascontiguousarray(xp[:, d0 : d0 + size[0], h0 : h0 + size[1], w0 : w0 + size[2]])


def _tap3(a: np.ndarray, off: tuple[int, ...], out: tuple[int, ...], st: tuple[int, ...]) -> Any:
    """The view a[:, off + st*i] over the output positions i: one window offset, all windows."""
    return a[
        :,
        off[0] : off[0] + st[0] * (out[0] - 1) + 1 : st[0],
        off[1] : off[1] + st[1] * (out[1] - 1) + 1 : st[1],
        off[2] : off[2] + st[2] * (out[2] - 1) + 1 : st[2],
    ]


def _offsets(k: tuple[int, ...], dil: tuple[int, ...]) -> list[tuple[int, ...]]:
    return [
        (p * dil[0], q * dil[1], r * dil[2])
        for p in range(k[0])
        for q in range(k[1])
        for r in range(k[2])
    ]


class _Vol(OpDef):
    """Attr parsing and output geometry shared by the 3-D convolution and pooling ops."""

    pooling: ClassVar[bool] = False

    def _fmt_attr(self) -> str:
        fmt = self.attrs.get("data_format", "NDHWC")
        if fmt not in ("NDHWC", "NCDHW"):
            raise self.error(f"data_format must be 'NDHWC' or 'NCDHW'; got {fmt!r}.")
        return fmt

    def _triple(self, name: str, default: Any = None) -> tuple[int, int, int]:
        fmt = self._fmt_attr()
        value = self.attrs.get(name, default)
        v = list(value) if isinstance(value, (list, tuple)) else value
        if not isinstance(v, list) or len(v) != 5:
            raise self.error(
                f"{name} must have 5 entries, one per dimension of {fmt}; got {name}={value}."
            )
        n, d, h, w, c = _ndhwc(v, fmt)
        if n != 1 or c != 1:
            raise self.error(
                f"{name} in the batch and depth dimensions must be 1; got {name}={v} ({fmt})."
            )
        if min(d, h, w) < 1:
            raise self.error(f"{name} must be positive; got {name}={v}.")
        return int(d), int(h), int(w)

    def _padding(self) -> str:
        p = self.attrs.get("padding")
        if p not in ("SAME", "VALID"):
            raise self.error(f"padding must be 'SAME' or 'VALID'; got {p!r}.")
        return p

    def _out(self, size: Any, k: Any, got: Any) -> tuple[tuple[Any, Any, Any], _Pads]:
        """Output (d, h, w) and per-dimension (before, after) padding; raises when empty."""
        st = self._triple("strides")
        dil = (1, 1, 1) if self.pooling else self._triple("dilations", [1] * 5)
        mode = self._padding()
        if None in tuple(k):
            return (None, None, None), ((0, 0),) * 3
        outs, pads = [], []
        for s_, k_, st_, d_ in zip(size, k, st, dil):
            o, b, a = _out_dim(s_, k_, st_, d_, mode, 0, 0)
            if o is not None and o <= 0:
                what = "window" if self.pooling else "filter"
                raise self.error(
                    f"the {what} ({'x'.join(map(str, k))}) must fit in the input "
                    f"(padding={mode!r}); got {got()}. Use padding='SAME' or a smaller {what}."
                )
            outs.append(o)
            pads.append((b, a))
        return (outs[0], outs[1], outs[2]), tuple(pads)

    def _dims5(self, t: Tensor, what: str) -> tuple[Any, ...]:
        s = t.shape.known
        if s is None:
            return (None,) * 5
        if len(s) != 5:
            raise self.error(f"{what} must be rank 5; got {what}: {t.shape}.")
        return s

    def _sizes5(self, t: Tensor, what: str) -> tuple[Any, ...]:
        if t.dtype.np.kind not in "iu":
            raise self.error(
                f"{what} must be an int32/int64 shape vector; got {t.dtype.name}.", cls=DTypeError
            )
        s = _static_shape_value(t)
        if s.known is not None and len(s.known) != 5:
            raise self.error(f"{what} must have 5 entries; got {what}: {s}.")
        return s.known if s.known is not None else (None,) * 5

    def _float(self, *named: tuple[str, Tensor]) -> None:
        n0, t0 = named[0]
        for n, t in named[1:]:
            if t.dtype is not t0.dtype:
                raise self.error(
                    f"{n0} and {n} must have the same dtype; got {n0}: {t0.dtype.name}, "
                    f"{n}: {t.dtype.name}. Use tf.cast.",
                    cls=DTypeError,
                )
        if t0.dtype.np.kind != "f":
            raise self.error(
                f"{n0} must have a floating dtype; got {t0.dtype.name}.", cls=DTypeError
            )


# -- Conv3D ------------------------------------------------------------------------------------
class _Conv3(_Vol):
    def _geometry(self, xd: Any, wd: Any, got: Any) -> tuple[tuple[Any, ...], _Pads]:
        fmt = self._fmt_attr()
        n, d, h, w, c = _ndhwc(xd, fmt)
        if not (c is None or wd[3] is None or c == wd[3]):
            raise self.error(f"input depth must equal filter in_channels; got {got()}.")
        return self._out((d, h, w), wd[:3], got)

    def _check_out(self, xd: Any, wd: Any, dyd: Any, got: Any) -> tuple[tuple[Any, ...], _Pads]:
        fmt = self._fmt_attr()
        n, od, oh, ow, co = _ndhwc(dyd, fmt)
        if not (co is None or wd[4] is None or co == wd[4]):
            raise self.error(f"out_backprop depth must equal filter out_channels; got {got()}.")
        if not (n is None or xd[0] is None or n == xd[0]):
            raise self.error(
                f"out_backprop and the input must have the same batch size; got {got()}."
            )
        outs, pads = self._geometry(xd, wd, got)
        if any(a is not None and b is not None and a != b for a, b in zip(outs, (od, oh, ow))):
            raise self.error(
                f"out_backprop must have the Conv3D output size for this input, filter, strides "
                f"and padding ({'x'.join(map(str, outs))}); got {got()}."
            )
        return outs, pads

    def _im2col(self, xp: np.ndarray, outs: tuple[int, ...], k: tuple[int, ...]) -> np.ndarray:
        """Rows = output voxels, columns = (kd, kh, kw, c) patch entries."""
        n, c = xp.shape[0], xp.shape[4]
        st = self._triple("strides")
        dil = self._triple("dilations", [1] * 5)
        s = xp.strides
        v = as_strided(
            xp,
            (n, *outs, *k, c),
            (
                s[0],
                s[1] * st[0],
                s[2] * st[1],
                s[3] * st[2],
                s[1] * dil[0],
                s[2] * dil[1],
                s[3] * dil[2],
                s[4],
            ),
            writeable=False,
        )
        return v.reshape(n * outs[0] * outs[1] * outs[2], k[0] * k[1] * k[2] * c)

    def _same_attrs(self) -> dict[str, Any]:
        return dict(self.attrs)


@register_op("Conv3D")
class Conv3D(_Conv3):
    """y[n, d, i, j, o] = sum_{p, q, r, c} x_pad[n, d*sd + p*dd, i*sh + q*dh, j*sw + r*dw, c]
    * w[p, q, r, c, o]."""

    def infer(self, x: Tensor, w: Tensor) -> TensorSpec:
        fmt = self._fmt_attr()
        self._float(("input", x), ("filter", w))
        xd, wd = self._dims5(x, "input"), self._dims5(w, "filter")
        outs, _ = self._geometry(xd, wd, lambda: f"input: {x.shape}, filter: {w.shape}")
        return spec(_fmt((_ndhwc(xd, fmt)[0], *outs, wd[4]), fmt), x.dtype)

    def compute(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        x = _last(x, fmt)
        outs, pads = self._geometry(
            _fmt(x.shape, fmt),
            w.shape,
            lambda: f"input: {list(x.shape)} (NDHWC), filter: {list(w.shape)}",
        )
        k, co = w.shape[:3], w.shape[4]
        cols = self._im2col(_pad3(x, pads), outs, k)
        y = (cols @ w.reshape(-1, co)).reshape(x.shape[0], *outs, co)
        return _first(y, fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, w = op.inputs
        a = self._same_attrs()
        return [
            apply_op(Conv3DBackpropInputV2, [_shape_like(x), w, dy], a),
            apply_op(Conv3DBackpropFilterV2, [x, _shape_like(w), dy], a),
        ]


@register_op("Conv3DBackpropInputV2")
class Conv3DBackpropInputV2(_Conv3):
    """dx = d(sum(dy * Conv3D(x, w)))/dx for x of shape input_sizes (the transposed conv)."""

    def infer(self, sizes: Tensor, w: Tensor, dy: Tensor) -> TensorSpec:
        self._float(("filter", w), ("out_backprop", dy))
        xd = self._sizes5(sizes, "input_sizes")
        wd, dyd = self._dims5(w, "filter"), self._dims5(dy, "out_backprop")
        self._check_out(
            xd,
            wd,
            dyd,
            lambda: (
                f"input_sizes: {TensorShape(list(xd))}, filter: {w.shape}, out_backprop: {dy.shape}"
            ),
        )
        return spec(xd, w.dtype)

    def compute(self, sizes: np.ndarray, w: np.ndarray, dy: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        xd = tuple(int(s) for s in sizes)
        n, d, h, wd_, c = _ndhwc(xd, fmt)
        dy = _last(dy, fmt)
        outs, pads = self._check_out(
            xd,
            w.shape,
            _fmt(dy.shape, fmt),
            lambda: (
                f"input_sizes: {list(xd)}, filter: {list(w.shape)}, out_backprop: "
                f"{list(dy.shape)} (NDHWC)"
            ),
        )
        k, co = w.shape[:3], w.shape[4]
        st, dil = self._triple("strides"), self._triple("dilations", [1] * 5)
        cols = (dy.reshape(-1, co) @ w.reshape(-1, co).T).reshape(n, *outs, -1, c)
        dxp = np.zeros((n, *(s + b + a for s, (b, a) in zip((d, h, wd_), pads)), c), dtype=dy.dtype)
        for t, off in enumerate(_offsets(k, dil)):
            _tap3(dxp, off, outs, st)[...] += cols[:, :, :, :, t]
        return _first(_crop3(dxp, pads, (d, h, wd_)), fmt)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        _, w, dy = op.inputs
        a = self._same_attrs()
        return [
            None,
            apply_op(Conv3DBackpropFilterV2, [ddx, _shape_like(w), dy], a),
            apply_op(Conv3D, [ddx, w], a),
        ]


@register_op("Conv3DBackpropFilterV2")
class Conv3DBackpropFilterV2(_Conv3):
    """dw[p, q, r, c, o] = sum_{n, d, i, j} x_pad[n, d*sd + p*dd, ..., c] * dy[n, d, i, j, o]."""

    def infer(self, x: Tensor, sizes: Tensor, dy: Tensor) -> TensorSpec:
        self._float(("input", x), ("out_backprop", dy))
        wd = self._sizes5(sizes, "filter_sizes")
        xd, dyd = self._dims5(x, "input"), self._dims5(dy, "out_backprop")
        self._check_out(
            xd,
            wd,
            dyd,
            lambda: (
                f"input: {x.shape}, filter_sizes: {TensorShape(list(wd))}, out_backprop: {dy.shape}"
            ),
        )
        return spec(wd, x.dtype)

    def compute(self, x: np.ndarray, sizes: np.ndarray, dy: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        x, dy = _last(x, fmt), _last(dy, fmt)
        wd = tuple(int(s) for s in sizes)
        outs, pads = self._check_out(
            _fmt(x.shape, fmt),
            wd,
            _fmt(dy.shape, fmt),
            lambda: (
                f"input: {list(x.shape)}, filter_sizes: {list(wd)}, out_backprop: "
                f"{list(dy.shape)} (NDHWC)"
            ),
        )
        cols = self._im2col(_pad3(x, pads), outs, wd[:3])
        return (cols.T @ dy.reshape(-1, wd[4])).reshape(wd)

    def gradient(self, op: Any, ddw: Tensor) -> list[Any]:
        x, _, dy = op.inputs
        a = self._same_attrs()
        return [
            apply_op(Conv3DBackpropInputV2, [_shape_like(x), ddw, dy], a),
            None,
            apply_op(Conv3D, [x, ddw], a),
        ]


# -- pooling -----------------------------------------------------------------------------------
class _Pool3(_Vol):
    pooling = True

    def _plan(self, xd: Any, got: Any) -> tuple[tuple[Any, ...], tuple[Any, ...], _Pads]:
        """(n, d, h, w, c) of the input (NDHWC), the output (d, h, w) and the padding."""
        fmt = self._fmt_attr()
        nd = _ndhwc(xd, fmt)
        outs, pads = self._out(nd[1:4], self._triple("ksize"), got)
        return nd, outs, pads

    def _out_spec(self, x: Tensor) -> tuple[Any, ...]:
        self._float(("input", x))
        nd, outs, _ = self._plan(self._dims5(x, "input"), lambda: f"input: {x.shape}")
        return _fmt((nd[0], *outs, nd[4]), self._fmt_attr())

    def _check_like(self, what: str, t: Tensor, dims: tuple[Any, ...]) -> None:
        if t.shape.known is not None and not t.shape.is_compatible_with(dims):
            raise self.error(
                f"{what} must have the pooled shape {TensorShape(list(dims))}; "
                f"got {what}: {t.shape}."
            )

    def _taps(self) -> list[tuple[int, ...]]:
        return _offsets(self._triple("ksize"), (1, 1, 1))

    def _max_masks(self, x: np.ndarray, y: np.ndarray) -> Any:
        """For each window offset: (offset, mask of windows whose element there is within 1e-5
        of the window's max) — TF's CPU MaxPool3DGrad rule."""
        _, outs, pads = self._plan(x.shape, lambda: f"input: {list(x.shape)} (NDHWC)")
        xp = _pad3(x, pads, -np.inf)
        st = self._triple("strides")
        for off in self._taps():
            yield off, np.abs(_tap3(xp, off, outs, st) - y) < 1e-5


@register_op("MaxPool3D")
class MaxPool3D(_Pool3):
    """y[n, d, i, j, c] = max of x over the window at (d*sd, i*sh, j*sw) (padding ignored)."""

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(self._out_spec(x), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        x = _last(x, fmt)
        _, outs, pads = self._plan(_fmt(x.shape, fmt), lambda: f"input: {list(x.shape)}")
        xp = _pad3(x, pads, -np.inf)
        st = self._triple("strides")
        y: Any = None
        for off in self._taps():
            t = _tap3(xp, off, outs, st)
            y = np.array(t) if y is None else np.maximum(y, t, out=y)
        return _first(y, fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(MaxPool3DGrad, [op.inputs[0], op.outputs[0], dy], dict(self.attrs))]


@register_op("MaxPool3DGrad")
class MaxPool3DGrad(_Pool3):
    """dx = grad routed to every element within 1e-5 of its window's max, summed (TF's CPU)."""

    def infer(self, x: Tensor, y: Tensor, dy: Tensor) -> TensorSpec:
        dims = self._out_spec(x)
        self._float(("orig_input", x), ("orig_output", y), ("grad", dy))
        self._check_like("orig_output", y, dims)
        self._check_like("grad", dy, dims)
        return spec(x.shape if x.shape.known is not None else [None] * 5, x.dtype)

    def compute(self, x: np.ndarray, y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        x, y, dy = _last(x, fmt), _last(y, fmt), _last(dy, fmt)
        _, outs, pads = self._plan(_fmt(x.shape, fmt), lambda: f"input: {list(x.shape)}")
        st = self._triple("strides")
        dxp = np.zeros(
            (x.shape[0], *(s + b + a for s, (b, a) in zip(x.shape[1:4], pads)), x.shape[4]),
            dtype=dy.dtype,
        )
        for off, m in self._max_masks(x, y):
            _tap3(dxp, off, outs, st)[...] += dy * m
        return _first(_crop3(dxp, pads, x.shape[1:4]), fmt)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        x, y, _ = op.inputs
        return [
            zeros_like(x),
            zeros_like(y),
            apply_op(MaxPool3DGradGrad, [x, y, ddx], dict(self.attrs)),
        ]


@register_op("MaxPool3DGradGrad")
class MaxPool3DGradGrad(_Pool3):
    """y[n, d, i, j, c] = sum of grad over the window's elements within 1e-5 of its max."""

    def infer(self, x: Tensor, y: Tensor, gx: Tensor) -> TensorSpec:
        dims = self._out_spec(x)
        self._float(("orig_input", x), ("orig_output", y), ("grad", gx))
        self._check_like("orig_output", y, dims)
        if not gx.shape.is_compatible_with(x.shape):
            raise self.error(
                f"grad must have the shape of orig_input; got orig_input: {x.shape}, "
                f"grad: {gx.shape}."
            )
        return spec(dims, x.dtype)

    def compute(self, x: np.ndarray, y: np.ndarray, gx: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        x, y, gx = _last(x, fmt), _last(y, fmt), _last(gx, fmt)
        _, outs, pads = self._plan(_fmt(x.shape, fmt), lambda: f"input: {list(x.shape)}")
        st = self._triple("strides")
        gp = _pad3(gx, pads)
        out = np.zeros(y.shape, dtype=gx.dtype)
        for off, m in self._max_masks(x, y):
            out += _tap3(gp, off, outs, st) * m
        return _first(out, fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y, _ = op.inputs
        return [zeros_like(x), zeros_like(y), apply_op(MaxPool3DGrad, [x, y, dy], dict(self.attrs))]


def _counts3(size: Any, outs: Any, k: Any, st: Any, pads: _Pads, dtype: Any) -> Any:
    """How many real (unpadded) inputs each window averages: (od, oh, ow, 1), or a scalar."""
    if not any(b or a for b, a in pads):
        return float(k[0] * k[1] * k[2])
    per = []
    for s_, o, k_, st_, (b, _) in zip(size, outs, k, st, pads):
        start = np.arange(o) * st_ - b
        per.append(np.minimum(start + k_, s_) - np.maximum(start, 0))
    return np.einsum("i,j,k->ijk", *per).astype(dtype)[..., None]


@register_op("AvgPool3D")
class AvgPool3D(_Pool3):
    """y[n, d, i, j, c] = mean of x over the window at (d*sd, i*sh, j*sw), padding excluded."""

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(self._out_spec(x), x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        x = _last(x, fmt)
        _, outs, pads = self._plan(_fmt(x.shape, fmt), lambda: f"input: {list(x.shape)}")
        xp = _pad3(x, pads)
        st = self._triple("strides")
        y: Any = None
        for off in self._taps():
            t = _tap3(xp, off, outs, st)
            y = np.array(t) if y is None else np.add(y, t, out=y)
        k = self._triple("ksize")
        y = np.divide(y, _counts3(x.shape[1:4], outs, k, st, pads, x.dtype), out=y)
        return _first(y, fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(AvgPool3DGrad, [_shape_like(op.inputs[0]), dy], dict(self.attrs))]


@register_op("AvgPool3DGrad")
class AvgPool3DGrad(_Pool3):
    """dx = each grad[n, d, i, j, c] / count spread evenly over its window's real inputs."""

    def infer(self, sizes: Tensor, dy: Tensor) -> TensorSpec:
        xd = self._sizes5(sizes, "orig_input_shape")
        self._float(("grad", dy))
        nd, outs, _ = self._plan(xd, lambda: f"orig_input_shape: {TensorShape(list(xd))}")
        self._check_like("grad", dy, _fmt((nd[0], *outs, nd[4]), self._fmt_attr()))
        return spec(xd, dy.dtype)

    def compute(self, sizes: np.ndarray, dy: np.ndarray) -> np.ndarray:
        fmt = self._fmt_attr()
        xd = tuple(int(s) for s in sizes)
        nd, outs, pads = self._plan(xd, lambda: f"orig_input_shape: {list(xd)}")
        dy = _last(dy, fmt)
        if dy.shape != (nd[0], *outs, nd[4]):
            raise self.error(
                f"grad must have the pooled shape {[nd[0], *outs, nd[4]]} (NDHWC); "
                f"got {list(dy.shape)}."
            )
        st, k = self._triple("strides"), self._triple("ksize")
        gq = np.divide(dy, _counts3(nd[1:4], outs, k, st, pads, dy.dtype), dtype=dy.dtype)
        dxp = np.zeros(
            (nd[0], *(s + b + a for s, (b, a) in zip(nd[1:4], pads)), nd[4]), dtype=dy.dtype
        )
        for off in self._taps():
            _tap3(dxp, off, outs, st)[...] += gq
        return _first(_crop3(dxp, pads, nd[1:4]), fmt)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [None, apply_op(AvgPool3D, [ddx], dict(self.attrs))]


# -- public functions --------------------------------------------------------------------------
def _five(value: Any, fmt: str) -> Any:
    """An int, [v], [d, h, w] or 5-list as TF's 5-entry attr in `fmt` order."""
    if isinstance(value, (int, np.integer)):
        value = [int(value)]
    if not isinstance(value, (list, tuple)):
        return value
    v = [int(getattr(d, "value", d)) for d in value]
    if len(v) == 1:
        v = v * 3
    if len(v) == 3:
        return [1, 1, *v] if fmt == "NCDHW" else [1, *v, 1]
    return v


def _attrs3(
    strides: Any, padding: Any, data_format: Any, dilations: Any = None, ksize: Any = None
) -> dict[str, Any]:
    fmt = data_format.decode() if isinstance(data_format, bytes) else (data_format or "NDHWC")
    if isinstance(padding, bytes):
        padding = padding.decode()
    a: dict[str, Any] = {"data_format": fmt, "strides": _five(strides, fmt), "padding": padding}
    if ksize is not None:
        a["ksize"] = _five(ksize, fmt)
    else:
        a["dilations"] = _five(dilations if dilations is not None else 1, fmt)
    return a


def conv3d(
    input: Any,  # noqa: A002
    filter: Any = None,  # noqa: A002
    strides: Any = None,
    padding: Any = None,
    data_format: str = "NDHWC",
    dilations: Any = None,
    name: str | None = None,
    filters: Any = None,
) -> Tensor:
    """3-D convolution (cross-correlation) of a batch of volumes with a filter bank.

    Args:
        input: 5-D [batch, depth, height, width, in_channels] (NCDHW: channels second).
        filter: [filter_depth, filter_height, filter_width, in_channels, out_channels] (TF2
            name: `filters`).
        strides: 5 ints in data_format order, batch and channel 1 (or 1 or 3 spatial ints).
        padding: 'SAME' or 'VALID'.
        data_format: 'NDHWC' (default) or 'NCDHW'.
        dilations: 5 ints like strides; default no dilation.

    Raises:
        InvalidArgumentError: at build time for wrong ranks, channels, strides or padding.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 8, 32, 32, 3])   # [batch, depth, h, w, c]
        >>> w = tf.Variable(tf.truncated_normal([3, 3, 3, 3, 16], stddev=0.1))
        >>> y = tf.nn.conv3d(x, w, strides=[1, 1, 1, 1, 1], padding="SAME")
        >>> y.shape
        TensorShape([None, 8, 32, 32, 16])
    """
    if (filter is None) == (filters is None):
        raise ValueError("conv3d: pass exactly one of filter or filters.")
    x, w = binary_operands(input, filter if filter is not None else filters, "Conv3D")
    return apply_op(Conv3D, [x, w], _attrs3(strides, padding, data_format, dilations), name=name)


def conv3d_backprop_input_v2(
    input_sizes: Any,
    filter: Any,  # noqa: A002
    out_backprop: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NDHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """Gradient of conv3d with respect to its input, a tensor of shape `input_sizes`."""
    w, dy = binary_operands(filter, out_backprop, "Conv3DBackpropInputV2")
    return apply_op(
        Conv3DBackpropInputV2,
        [_sizes_operand(input_sizes), w, dy],
        _attrs3(strides, padding, data_format, dilations),
        name=name,
    )


def conv3d_backprop_filter_v2(
    input: Any,  # noqa: A002
    filter_sizes: Any,
    out_backprop: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NDHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """Gradient of conv3d with respect to its filter, a tensor of shape `filter_sizes`."""
    x, dy = binary_operands(input, out_backprop, "Conv3DBackpropFilterV2")
    return apply_op(
        Conv3DBackpropFilterV2,
        [x, _sizes_operand(filter_sizes), dy],
        _attrs3(strides, padding, data_format, dilations),
        name=name,
    )


def conv3d_backprop_filter(
    input: Any,  # noqa: A002
    filter: Any,  # noqa: A002
    out_backprop: Any,
    strides: Any,
    padding: Any,
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """TF's deprecated Conv3DBackpropFilter: the filter gradient, its shape taken from the
    `filter` tensor itself (NDHWC only)."""
    w = filter if isinstance(filter, Tensor) else binary_operands(filter, input, "Conv3D")[0]
    return conv3d_backprop_filter_v2(
        input, _shape_like(w), out_backprop, strides, padding, "NDHWC", dilations, name
    )


def conv3d_transpose(
    value: Any = None,
    filter: Any = None,  # noqa: A002
    output_shape: Any = None,
    strides: Any = None,
    padding: str = "SAME",
    data_format: str = "NDHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002
    filters: Any = None,
    dilations: Any = None,
) -> Tensor:
    """Transposed 3-D convolution: the gradient of conv3d w.r.t. its input.

    Args:
        value: 5-D input [batch, depth, height, width, in_channels] (TF2 name: `input`).
        filter: [depth, height, width, output_channels, in_channels] (TF2: `filters`).
        output_shape: the output's shape, 5 ints or a 1-D int32 tensor.
        strides, padding, data_format, dilations: as conv3d.
    """
    if (value is None) == (input is None) or (filter is None) == (filters is None):
        raise ValueError("conv3d_transpose: pass exactly one of value/input and filter/filters.")
    return conv3d_backprop_input_v2(
        output_shape,
        filter if filter is not None else filters,
        value if value is not None else input,
        strides,
        padding,
        data_format,
        dilations,
        name=name or "conv3d_transpose",
    )


def max_pool3d(
    input: Any,  # noqa: A002
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NDHWC",
    name: str | None = None,
) -> Tensor:
    """Max pooling over depth, height and width of a 5-D tensor.

    Args:
        input: [batch, depth, height, width, channels] (NCDHW: channels second).
        ksize, strides: 5 ints in data_format order with batch and channel 1 (or 1 or 3).
        padding: 'SAME' (padding never wins the max) or 'VALID'.
    """
    return apply_op(
        MaxPool3D, [input], _attrs3(strides, padding, data_format, ksize=ksize), name=name
    )


def avg_pool3d(
    input: Any,  # noqa: A002
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NDHWC",
    name: str | None = None,
) -> Tensor:
    """Average pooling over depth, height and width; with 'SAME' each window averages only
    its real (unpadded) inputs, as TF. Arguments as max_pool3d."""
    return apply_op(
        AvgPool3D, [input], _attrs3(strides, padding, data_format, ksize=ksize), name=name
    )


__all__: list[str] = []  # public through tf.nn
