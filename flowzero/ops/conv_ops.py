"""Convolution: Conv2D and its two backprop ops, and the windowed-op machinery that pooling
(pool_ops) shares.

Layout is NHWC by default, NCHW via `data_format`; kernels work in NHWC internally (an NCHW
input is a transposed view). Padding follows TF exactly: VALID, SAME (out = ceil(in / stride),
pad_top = total // 2, the extra row/column at the bottom/right) or explicit [before, after]
pairs.

Speed (DESIGN.md §6): Conv2D is im2col over a strided view of the padded input plus one GEMM;
the backward kernels are their own ops (Conv2DBackpropInput = GEMM + col2im over the kh*kw
filter taps, Conv2DBackpropFilter = im2col + one GEMM). No loop ever runs over pixels, and
everything stays in the input's dtype.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, Unfusable, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import compiled, fastpaths
from flowzero.ops.array_ops import _shape_like
from flowzero.ops.common import DTypeError, _static_shape_value, binary_operands, static_value

# im2col buffers above this many bytes are built a batch slice at a time (bounded memory).
_COLS_BYTES = 1 << 28
# Up to this many input channels the patch matrix is built tap by tap (_cols_t), above it by
# one strided copy (_im2col). Measured at batch 100 (ms, im2col -> taps), forward: c=1 2.80 ->
# 1.52, c=3 2.79 -> 2.49, c=4 2.92 -> 3.69; filter gradient: c=1 4.72 -> 2.18, c=4 5.75 -> 3.85,
# c=8 1.82 -> 1.63, c=16 2.48 -> 4.37.
_FEW_CHANNELS_FORWARD = 3
_FEW_CHANNELS_FILTER = 8

# The "got ..." part of an error message, built only when an error is raised (not every run).
Got = Callable[[], str]


class _Geom(NamedTuple):
    fmt: str
    strides: tuple[int, int]
    dilations: tuple[int, int]
    ksize: tuple[int, int]  # pools only; (0, 0) for convolutions
    padding: str  # "SAME" | "VALID" | "EXPLICIT"
    pads: tuple[int, int, int, int]  # explicit (top, bottom, left, right)


def _nhwc_dims(dims: Any, fmt: str) -> tuple[Any, Any, Any, Any]:
    """(n, h, w, c) of a 4-entry shape/list given in `fmt` order."""
    n, a, b, c = dims
    return (n, a, b, c) if fmt == "NHWC" else (n, b, c, a)


def _fmt_dims(n: Any, h: Any, w: Any, c: Any, fmt: str) -> tuple[Any, ...]:
    return (n, h, w, c) if fmt == "NHWC" else (n, c, h, w)


def _to_nhwc(x: np.ndarray, fmt: str) -> np.ndarray:
    return x if fmt == "NHWC" else x.transpose(0, 2, 3, 1)


def _from_nhwc(y: np.ndarray, fmt: str) -> np.ndarray:
    return y if fmt == "NHWC" else np.ascontiguousarray(y.transpose(0, 3, 1, 2))


def _pad(x: np.ndarray, pads: tuple[int, int, int, int], fill: Any = 0) -> np.ndarray:
    """x (NHWC) padded in H and W with `fill` (no copy when there is nothing to pad)."""
    t, b, left, r = pads
    if not (t or b or left or r):
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + t + b, w + left + r, c), fill, dtype=x.dtype)
    out[:, t : t + h, left : left + w] = x
    return out


def _crop(xp: np.ndarray, pads: tuple[int, int, int, int], h: int, w: int) -> np.ndarray:
    t, _, left, _ = pads
    if xp.shape[1] == h and xp.shape[2] == w:
        return xp
    return np.ascontiguousarray(xp[:, t : t + h, left : left + w])


def _tap(a: np.ndarray, i: int, j: int, oh: int, ow: int, sh: int, sw: int) -> np.ndarray:
    """The view a[:, i + sh*y, j + sw*x] for y < oh, x < ow: one window offset, all windows."""
    return a[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]


def _im2col(xp: np.ndarray, oh: int, ow: int, kh: int, kw: int, g: _Geom) -> np.ndarray:
    """Rows = output pixels, columns = (kh, kw, c) patch entries: (n*oh*ow, kh*kw*c)."""
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    (sh, sw), (dh, dw) = g.strides, g.dilations
    # Safe: the geometry guarantees (oh-1)*sh + (kh-1)*dh < padded height (same for width).
    v = as_strided(
        xp, (n, oh, ow, kh, kw, c), (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False
    )
    return v.reshape(n * oh * ow, kh * kw * c)


def _cols_t(
    xp: np.ndarray, oh: int, ow: int, kh: int, kw: int, g: _Geom, ones_row: bool = False
) -> np.ndarray:
    """The transpose of _im2col, (kh*kw*c, n*oh*ow), built one filter tap at a time.

    With few input channels the 6-D strided copy of _im2col moves one element per inner
    iteration; kh*kw copies of whole tap views are faster (the book's first conv layer, 1
    channel, 100x24x24 outputs, 5x5: 0.5 ms here vs 1.8 ms for _im2col).
    """
    n, _, _, c = xp.shape
    (sh, sw), (dh, dw) = g.strides, g.dilations
    k = kh * kw * c
    flat = np.empty((k + ones_row) * n * oh * ow, dtype=xp.dtype)
    out = flat[: k * n * oh * ow].reshape(kh, kw, c, n, oh, ow)
    for p in range(kh):
        for q in range(kw):
            out[p, q] = _tap(xp, p * dh, q * dw, oh, ow, sh, sw).transpose(3, 0, 1, 2)
    if ones_row:  # a last row of ones: the bias rides along in the GEMM (fused_conv2d)
        flat[k * n * oh * ow :] = 1
    return flat.reshape(k + ones_row, n * oh * ow)


def _compiled_conv(a: np.ndarray) -> Any:
    """compiled/conv.py when it covers `a` (C-contiguous float32/float64), else None."""
    if a.dtype.type not in (np.float32, np.float64) or not a.flags.c_contiguous or not a.size:
        return None
    return compiled.load("conv")


def _bias_relu(y: np.ndarray, bias: np.ndarray | None, relu: bool) -> None:
    """y += bias (channels last) and/or y = max(y, 0), in place. Bias and relu together: one
    compiled pass when compiled/conv.py covers y (100x12x12x32 float32: 0.055 ms vs 0.126 for
    the two NumPy passes); a relu alone stays on fastpaths.relu (as fast: 0.36 ms either way
    at 100x24x24x30)."""
    if (
        relu
        and bias is not None
        and bias.dtype == y.dtype
        and bias.shape == (y.shape[-1],)
        and bias.flags.c_contiguous
    ):
        fast = _compiled_conv(y)
        if fast is not None:
            fast.bias_relu(y.reshape(-1, y.shape[-1]), bias)
            return
    if bias is not None:
        fastpaths.add_channel_bias(y, bias, out=y)
    if relu:
        fastpaths.relu(y, out=y)


def _batches(n: int, bytes_per_item: int) -> Iterator[slice]:
    step = max(1, _COLS_BYTES // max(bytes_per_item, 1))
    for i in range(0, n, step):
        yield slice(i, min(i + step, n))


def _out_dim(
    size: int | None, k: int, s: int, d: int, mode: str, before: int, after: int
) -> tuple[int | None, int, int]:
    """TF's output size and (before, after) padding of one spatial dimension."""
    ek = (k - 1) * d + 1
    if size is None:
        return None, before, after
    if mode == "VALID":
        return (size - ek) // s + 1, 0, 0
    if mode == "SAME":
        out = -(-size // s)
        total = max((out - 1) * s + ek - size, 0)
        return out, total // 2, total - total // 2
    return (size + before + after - ek) // s + 1, before, after


class _Windowed(OpDef):
    """Attr parsing and output geometry shared by the convolution and pooling ops."""

    pooling: ClassVar[bool] = False

    def _geom(self) -> _Geom:
        a = self.attrs
        fmt = a.get("data_format", "NHWC")
        if fmt not in ("NHWC", "NCHW"):
            raise self.error(f"data_format must be 'NHWC' or 'NCHW'; got {fmt!r}.")
        strides = self._pair("strides", a.get("strides"), fmt)
        dil = self._pair("dilations", a.get("dilations", [1, 1, 1, 1]), fmt)
        ksize = self._pair("ksize", a.get("ksize"), fmt) if self.pooling else (0, 0)
        padding = a.get("padding")
        pads = (0, 0, 0, 0)
        if padding == "EXPLICIT":
            ep = list(a.get("explicit_paddings", []))
            if len(ep) != 8 or any(p < 0 for p in ep):
                raise self.error(
                    f"explicit padding must be 4 non-negative [before, after] "
                    f"pairs, one per dimension of {fmt}; got {a.get('pad_arg')}."
                )
            n, h, w, c = _nhwc_dims([ep[0:2], ep[2:4], ep[4:6], ep[6:8]], fmt)
            if any(n) or any(c):
                raise self.error(
                    f"explicit padding in the batch and depth dimensions must be 0;"
                    f" got {a.get('pad_arg')} ({fmt})."
                )
            pads = (h[0], h[1], w[0], w[1])
        elif padding not in ("SAME", "VALID"):
            hint = ""
            if isinstance(padding, str) and padding.upper() in ("SAME", "VALID"):
                hint = f" Did you mean padding='{padding.upper()}'?"
            raise self.error(
                f"padding must be 'SAME', 'VALID' or a list of [before, after] "
                f"pairs; got {padding!r}.{hint}"
            )
        return _Geom(fmt, strides, dil, ksize, padding, pads)

    def _pair(self, name: str, value: Any, fmt: str) -> tuple[int, int]:
        v = list(value) if isinstance(value, (list, tuple)) else value
        if not isinstance(v, list) or len(v) != 4:
            raise self.error(
                f"{name} must have 4 entries, one per dimension of {fmt} (or 1 or 2"
                f" for the spatial dimensions); got {name}={value}."
            )
        n, h, w, c = _nhwc_dims(v, fmt)
        if n != 1 or c != 1:
            raise self.error(
                f"{name} in the batch and depth dimensions must be 1; got {name}={v} ({fmt})."
            )
        if h < 1 or w < 1:
            raise self.error(f"{name} must be positive; got {name}={v}.")
        return int(h), int(w)

    def _out_hw(
        self, h: int | None, w: int | None, kh: int | None, kw: int | None, g: _Geom, got: Got
    ) -> tuple[int | None, int | None, tuple[int, int, int, int]]:
        """Output height/width and (top, bottom, left, right) padding; raises when empty."""
        if kh is None or kw is None:
            return None, None, g.pads
        oh, t, b = _out_dim(h, kh, g.strides[0], g.dilations[0], g.padding, *g.pads[:2])
        ow, left, r = _out_dim(w, kw, g.strides[1], g.dilations[1], g.padding, *g.pads[2:])
        if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
            what = "window" if self.pooling else "filter"
            ek = ((kh - 1) * g.dilations[0] + 1, (kw - 1) * g.dilations[1] + 1)
            dil = f", dilated to {ek[0]}x{ek[1]}" if g.dilations != (1, 1) else ""
            raise self.error(
                f"the {what} ({kh}x{kw}{dil}) must fit in the padded input "
                f"({h}x{w}, padding={g.padding!r}); got {got()}. Use padding='SAME' or a smaller "
                f"{what}."
            )
        return oh, ow, (t, b, left, r)

    def _dims4(self, t: Tensor, what: str) -> tuple[Any, ...]:
        s = t.shape.known
        if s is None:
            return (None,) * 4
        if len(s) != 4:
            raise self.error(f"{what} must be rank 4; got {what}: {t.shape}.")
        return s

    def _float(self, *named: tuple[str, Tensor], kinds: str = "f") -> None:
        (n0, t0) = named[0]
        for n, t in named[1:]:
            if t.dtype is not t0.dtype:
                raise self.error(
                    f"{n0} and {n} must have the same dtype; got {n0}: "
                    f"{t0.dtype.name}, {n}: {t.dtype.name}. Use tf.cast.",
                    cls=DTypeError,
                )
        if t0.dtype.np.kind not in kinds:
            kind = "floating" if kinds == "f" else "real numeric"
            raise self.error(f"{n0} must have a {kind} dtype; got {t0.dtype.name}.", cls=DTypeError)

    def _sizes(self, t: Tensor, what: str) -> tuple[Any, ...]:
        if t.dtype.np.kind not in "iu":
            raise self.error(
                f"{what} must be an int32/int64 shape vector; got {t.dtype.name}.", cls=DTypeError
            )
        s = _static_shape_value(t)
        if s.known is not None and len(s.known) != 4:
            raise self.error(f"{what} must have 4 entries; got {what}: {s}.")
        return s.known if s.known is not None else (None,) * 4

    def _same_attrs(self) -> dict[str, Any]:
        return dict(self.attrs)


def _compat(a: Any, b: Any) -> bool:
    return a is None or b is None or a == b


def _shape_str(dims: Any) -> str:
    return str(TensorShape(list(dims)))


# -- Conv2D and its two backprop ops ---------------------------------------------------------
class _Conv(_Windowed):
    # What the backprop ops' checks call the forward op and its output depth.
    _forward: ClassVar[str] = "Conv2D"
    _out_words: ClassVar[str] = "filter out_channels"

    def _out_channels(self, wd: Any) -> Any:
        return wd[3]

    def _conv_geometry(
        self, xd: Any, wd: Any, g: _Geom, got: Got
    ) -> tuple[Any, Any, tuple[int, int, int, int]]:
        _, h, w, c = _nhwc_dims(xd, g.fmt)
        kh, kw, ci, _ = wd
        if not _compat(c, ci):
            hint = ""
            alt = "NCHW" if g.fmt == "NHWC" else "NHWC"
            if _nhwc_dims(xd, alt)[3] == ci:
                hint = f" Did you mean data_format='{alt}'?"
            raise self.error(f"input depth must equal filter in_channels; got {got()}.{hint}")
        return self._out_hw(h, w, kh, kw, g, got)

    def _check_out(
        self, xd: Any, wd: Any, dyd: Any, g: _Geom, got: Got
    ) -> tuple[Any, Any, tuple[int, int, int, int]]:
        n, oh_, ow_, co = _nhwc_dims(dyd, g.fmt)
        if not _compat(co, self._out_channels(wd)):
            raise self.error(f"out_backprop depth must equal {self._out_words}; got {got()}.")
        if not _compat(n, xd[0]):
            raise self.error(
                f"out_backprop and the input must have the same batch size; got {got()}."
            )
        oh, ow, pads = self._conv_geometry(xd, wd, g, got)
        if not (_compat(oh, oh_) and _compat(ow, ow_)):
            raise self.error(
                f"out_backprop must have the {self._forward} output size for this input, "
                f"filter, strides and padding ({oh}x{ow}); got {got()}."
            )
        return oh, ow, pads


@register_op("Conv2D")
class Conv2D(_Conv):
    """y[n, i, j, o] = sum_{p, q, c} x_pad[n, i*sh + p*dh, j*sw + q*dw, c] * w[p, q, c, o]."""

    def infer(self, x: Tensor, w: Tensor) -> TensorSpec:
        g = self._geom()
        self._float(("input", x), ("filter", w))
        xd, wd = self._dims4(x, "input"), self._dims4(w, "filter")
        oh, ow, _ = self._conv_geometry(xd, wd, g, lambda: f"input: {x.shape}, filter: {w.shape}")
        return spec(_fmt_dims(_nhwc_dims(xd, g.fmt)[0], oh, ow, wd[3], g.fmt), x.dtype)

    def compute(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return self.compute_fused(x, w)

    def compute_fused(
        self,
        x: np.ndarray,
        w: np.ndarray,
        bias: np.ndarray | None = None,
        relu: bool = False,
        keep_cols: bool = False,
    ) -> Any:
        """The convolution, then `+ bias` along the channels and max(., 0) when asked: the
        kernel of the plan's Conv2D+BiasAdd(+Relu) fusion (TF's _FusedConv2D). With few input
        channels the bias is one more row of the GEMM; otherwise it and the relu are applied in
        place, so the activation is written once instead of three times.

        keep_cols: return (y, (patches, (kh, kw, c))) where patches is the
        (kh*kw*c [+1], n*oh*ow) matrix the filter gradient of the same step can reuse
        (Conv2DBackpropFilter.compute's `cols`), or (y, None) when it was not built that way
        (many channels, or built in batch slices).
        """
        g = self._geom()
        x = _to_nhwc(x, g.fmt)
        n, h, wd, c = x.shape
        kh, kw, _, co = w.shape
        oh, ow, pads = self._conv_geometry(
            _fmt_dims(*x.shape, g.fmt),
            w.shape,
            g,
            lambda: f"input: {_shape_str(x.shape)} (NHWC), filter: {_shape_str(w.shape)}",
        )
        xp = _pad(x, pads)
        w2 = w.reshape(kh * kw * c, co)
        few = c <= _FEW_CHANNELS_FORWARD
        if bias is not None and few:
            w2 = np.concatenate([w2, bias.reshape(1, co).astype(w2.dtype, copy=False)])
        y = np.empty((n, oh, ow, co), dtype=x.dtype)
        slices = list(_batches(n, oh * ow * kh * kw * c * x.itemsize))
        cols: Any = None
        for b in slices:
            cols = (
                _cols_t(xp[b], oh, ow, kh, kw, g, ones_row=bias is not None).T
                if few
                else _im2col(xp[b], oh, ow, kh, kw, g)
            )
            np.matmul(cols, w2, out=y[b].reshape(-1, co))
        if (bias is not None and not few) or relu:
            _bias_relu(y, None if few else bias, relu)
        if keep_cols:
            kept = (cols.T, (kh, kw, c)) if few and len(slices) == 1 else None
            return _from_nhwc(y, g.fmt), kept
        return _from_nhwc(y, g.fmt)

    def fuse(self, ops: list[Any]) -> tuple[list[Any], Any] | None:
        """Conv2D -> BiasAdd on the channel axis [-> Relu] (TF's _FusedConv2D): compute_fused."""
        conv, bias_add = ops[0], ops[1]
        y = conv._outputs[0]
        if y.dtype is not bias_add._inputs[1].dtype:
            return None
        fmt, axis = self.attrs.get("data_format", "NHWC"), bias_add._opdef.attrs["axis"]
        if not ((fmt == "NHWC" and axis in (-1, 3)) or (fmt == "NCHW" and axis == 1)):
            return None
        with_relu = len(ops) > 2

        def kernel(x: np.ndarray, w: np.ndarray, b: np.ndarray, keep: bool = False) -> Any:
            if b.ndim != 1 or b.shape[0] != w.shape[-1] or w.ndim != 4:
                raise Unfusable
            return self.compute_fused(x, w, b, with_relu, keep_cols=keep)

        return [conv._inputs[0], conv._inputs[1], bias_add._inputs[1]], kernel

    def compute_handing_over(self, x: np.ndarray, w: np.ndarray) -> tuple[Any, Any]:
        """The convolution and its patch matrix, for Conv2DBackpropFilter of the same input."""
        return self.compute_fused(x, w, keep_cols=True)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, w = op.inputs
        a = self._same_attrs()
        return [
            apply_op(Conv2DBackpropInput, [_shape_like(x), w, dy], a),
            apply_op(Conv2DBackpropFilter, [x, _shape_like(w), dy], a),
        ]


@register_op("Conv2DBackpropInput")
class Conv2DBackpropInput(_Conv):
    """dx = d(sum(dy * Conv2D(x, w)))/dx for x of shape input_sizes (the transposed conv)."""

    def infer(self, sizes: Tensor, w: Tensor, dy: Tensor) -> TensorSpec:
        g = self._geom()
        self._float(("filter", w), ("out_backprop", dy))
        xd = self._sizes(sizes, "input_sizes")
        wd, dyd = self._dims4(w, "filter"), self._dims4(dy, "out_backprop")
        self._check_out(
            xd,
            wd,
            dyd,
            g,
            lambda: f"input_sizes: {_shape_str(xd)}, filter: {w.shape}, out_backprop: {dy.shape}",
        )
        return spec(xd, w.dtype)

    def compute(self, sizes: np.ndarray, w: np.ndarray, dy: np.ndarray) -> np.ndarray:
        g = self._geom()
        xd = tuple(int(s) for s in sizes)
        n, h, wd, c = _nhwc_dims(xd, g.fmt)
        dy = _to_nhwc(dy, g.fmt)
        kh, kw, _, co = w.shape
        oh, ow, pads = self._check_out(
            _fmt_dims(n, h, wd, c, g.fmt),
            w.shape,
            _fmt_dims(*dy.shape, g.fmt),
            g,
            lambda: (
                f"input_sizes: {list(xd)}, filter: {_shape_str(w.shape)}, out_backprop: "
                f"{_shape_str(dy.shape)} (NHWC)"
            ),
        )
        (sh, sw), (dh, dw) = g.strides, g.dilations
        hp, wp = h + pads[0] + pads[1], wd + pads[2] + pads[3]
        w2 = w.reshape(kh * kw * c, co)
        # col2im: one strided add per filter tap. NOTE: with few input channels (first layers)
        # accumulating (c, n, h, w) planes is measured ~2-3x faster than NHWC, with many slower.
        planes = c <= 16
        dxp = np.zeros((c, n, hp, wp) if planes else (n, hp, wp, c), dtype=dy.dtype)
        for b in _batches(n, oh * ow * kh * kw * c * dy.itemsize):
            dy2 = dy[b].reshape(-1, co)
            if planes:
                cols = (w2 @ dy2.T).reshape(kh, kw, c, -1, oh, ow)
                dxb = dxp[:, b].transpose(1, 2, 3, 0)  # an NHWC view of the planes
                for p in range(kh):
                    for q in range(kw):
                        _tap(dxb, p * dh, q * dw, oh, ow, sh, sw)[...] += cols[p, q].transpose(
                            1, 2, 3, 0
                        )
            else:
                cols = (dy2 @ w2.T).reshape(-1, oh, ow, kh, kw, c)
                dxb = dxp[b]
                for p in range(kh):
                    for q in range(kw):
                        _tap(dxb, p * dh, q * dw, oh, ow, sh, sw)[...] += cols[:, :, :, p, q]
        if planes:
            dxp = dxp.transpose(1, 2, 3, 0)
            if g.fmt == "NHWC" and not any(pads):
                return np.ascontiguousarray(dxp)
        return _from_nhwc(_crop(dxp, pads, h, wd), g.fmt)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        _, w, dy = op.inputs
        a = self._same_attrs()
        return [
            None,
            apply_op(Conv2DBackpropFilter, [ddx, _shape_like(w), dy], a),
            apply_op(Conv2D, [ddx, w], a),
        ]


@register_op("Conv2DBackpropFilter")
class Conv2DBackpropFilter(_Conv):
    """dw[p, q, c, o] = sum_{n, i, j} x_pad[n, i*sh + p*dh, j*sw + q*dw, c] * dy[n, i, j, o]."""

    def infer(self, x: Tensor, sizes: Tensor, dy: Tensor) -> TensorSpec:
        g = self._geom()
        self._float(("input", x), ("out_backprop", dy))
        wd = self._sizes(sizes, "filter_sizes")
        xd, dyd = self._dims4(x, "input"), self._dims4(dy, "out_backprop")
        self._check_out(
            xd,
            wd,
            dyd,
            g,
            lambda: f"input: {x.shape}, filter_sizes: {_shape_str(wd)}, out_backprop: {dy.shape}",
        )
        return spec(wd, x.dtype)

    def takes_handover(self, op: Any, producer: Any) -> bool:
        # The patch matrix depends on the input, the geometry and the filter's (kh, kw, c)
        # only: it fits a conv of the same input whose filter has this op's filter_sizes
        # (statically, or as Shape(that filter)). compute checks (kh, kw, c) again at run time.
        if producer._inputs[0] is not op._inputs[0] or producer._opdef._same_attrs() != (
            self._same_attrs()
        ):
            return False
        sizes, w = op._inputs[1], producer._inputs[1]
        if sizes.op.type == "Shape":
            return sizes.op._inputs[0] is w
        v = static_value(sizes)
        dims = w.shape.known
        return (
            v is not None
            and dims is not None
            and None not in dims
            and [int(d) for d in v.reshape(-1)] == list(dims)
        )

    def compute(
        self, x: np.ndarray, sizes: np.ndarray, dy: np.ndarray, cols: Any = None
    ) -> np.ndarray:
        """`cols`: (patch matrix, (kh, kw, c)) as the forward Conv2D of the same step built it
        from this x (Conv2D.compute_fused's keep_cols); it saves building the matrix again and
        is used only when its (kh, kw, c) are this filter's."""
        g = self._geom()
        x, dy = _to_nhwc(x, g.fmt), _to_nhwc(dy, g.fmt)
        kh, kw, c, co = (int(s) for s in sizes)
        oh, ow, pads = self._check_out(
            _fmt_dims(*x.shape, g.fmt),
            (kh, kw, c, co),
            _fmt_dims(*dy.shape, g.fmt),
            g,
            lambda: (
                f"input: {_shape_str(x.shape)}, filter_sizes: {[kh, kw, c, co]}, "
                f"out_backprop: {_shape_str(dy.shape)} (NHWC)"
            ),
        )
        k = kh * kw * c
        if (
            cols is not None
            and cols[1] == (kh, kw, c)
            and cols[0].shape[1] == dy.size // max(co, 1)
        ):
            return (cols[0][:k] @ dy.reshape(-1, co)).reshape(kh, kw, c, co)
        xp = _pad(x, pads)
        dw = None
        for b in _batches(x.shape[0], oh * ow * kh * kw * c * x.itemsize):
            cols_t = (
                _cols_t(xp[b], oh, ow, kh, kw, g)
                if c <= _FEW_CHANNELS_FILTER
                else _im2col(xp[b], oh, ow, kh, kw, g).T
            )
            part = cols_t @ dy[b].reshape(-1, co)
            dw = part if dw is None else np.add(dw, part, out=dw)
        if dw is None:  # empty batch
            dw = np.zeros((kh * kw * c, co), dtype=x.dtype)
        return dw.reshape(kh, kw, c, co)

    def gradient(self, op: Any, ddw: Tensor) -> list[Any]:
        x, _, dy = op.inputs
        a = self._same_attrs()
        return [
            apply_op(Conv2DBackpropInput, [_shape_like(x), ddw, dy], a),
            None,
            apply_op(Conv2D, [x, ddw], a),
        ]


# -- public functions --------------------------------------------------------------------------
def _four(value: Any, fmt: str) -> Any:
    """An int, [v], [h, w] or 4-list as TF's 4-entry attr in `fmt` order (others unchanged)."""
    if isinstance(value, (int, np.integer)):
        value = [int(value)]
    if not isinstance(value, (list, tuple)):
        return value
    v = [int(getattr(d, "value", d)) for d in value]
    if len(v) == 1:
        v = v * 2
    if len(v) == 2:
        return [1, 1, v[0], v[1]] if fmt == "NCHW" else [1, v[0], v[1], 1]
    return v


def _attrs(
    strides: Any, padding: Any, data_format: Any, dilations: Any = None, ksize: Any = None
) -> dict[str, Any]:
    fmt = data_format.decode() if isinstance(data_format, bytes) else data_format
    a: dict[str, Any] = {"data_format": fmt, "strides": _four(strides, fmt)}
    if ksize is not None:
        a["ksize"] = _four(ksize, fmt)
    else:
        a["dilations"] = _four(dilations if dilations is not None else 1, fmt)
    if isinstance(padding, bytes):
        padding = padding.decode()
    if isinstance(padding, (list, tuple)):
        a["pad_arg"] = [list(p) if isinstance(p, (list, tuple)) else p for p in padding]
        try:
            flat = [int(v) for pair in padding for v in pair]
            ok = all(len(pair) == 2 for pair in padding)
        except (TypeError, ValueError):
            flat, ok = [], False
        a["padding"], a["explicit_paddings"] = "EXPLICIT", flat if ok else []
    else:
        a["padding"], a["explicit_paddings"] = padding, []
    return a


def _one_of(a: Any, b: Any, fn: str, names: str) -> Any:
    if (a is None) == (b is None):
        raise ValueError(f"{fn}: pass exactly one of {names}.")
    return a if a is not None else b


def conv2d(
    input: Any,  # noqa: A002
    filter: Any = None,  # noqa: A002
    strides: Any = None,
    padding: Any = None,  # noqa: A002
    use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
    filters: Any = None,
) -> Tensor:
    """2-D convolution (cross-correlation, as TF) of a batch of images with a filter bank.

    Args:
        input: 4-D tensor [batch, height, width, in_channels] (NCHW: [batch, in_channels,
            height, width]).
        filter: 4-D tensor [filter_height, filter_width, in_channels, out_channels]; TF2's
            name `filters` is accepted too.
        strides: 4 ints in data_format order, batch and depth 1 (or 1 or 2 spatial ints).
        padding: 'SAME', 'VALID' or explicit pairs, e.g. [[0, 0], [1, 1], [2, 2], [0, 0]].
        data_format: 'NHWC' (default) or 'NCHW'.
        dilations: 4 ints like strides (atrous convolution); default no dilation.
        name: node name (default "Conv2D").

    Returns:
        A tensor [batch, out_height, out_width, out_channels] of input's dtype.

    Raises:
        InvalidArgumentError: at build time, when channels, rank, strides, padding or
            data_format are wrong, or the filter does not fit with padding='VALID'.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 28, 28, 1])
        >>> w = tf.Variable(tf.truncated_normal([5, 5, 1, 30], stddev=0.01))
        >>> tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="VALID").shape
        TensorShape([None, 24, 24, 30])
    """
    filter = _one_of(filter, filters, "conv2d", "filter or filters")  # noqa: A001
    x, w = binary_operands(input, filter, "Conv2D")
    return apply_op(Conv2D, [x, w], _attrs(strides, padding, data_format, dilations), name=name)


def _sizes_operand(sizes: Any) -> Any:
    if isinstance(sizes, Tensor):
        return sizes
    if isinstance(sizes, TensorShape):
        sizes = sizes.as_list()
    return np.asarray([int(getattr(d, "value", d)) for d in sizes], dtype=np.int32)


def conv2d_backprop_input(
    input_sizes: Any,
    filter: Any = None,  # noqa: A002
    out_backprop: Any = None,
    strides: Any = None,
    padding: Any = None,
    use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
    filters: Any = None,
) -> Tensor:
    """Gradient of conv2d with respect to its input (a tensor of shape `input_sizes`).

    Args:
        input_sizes: the input's shape, 4 ints (or an int32 tensor) in data_format order.
        filter: [filter_height, filter_width, in_channels, out_channels].
        out_backprop: the gradient of conv2d's output [batch, out_height, out_width,
            out_channels].
        strides, padding, data_format, dilations: those of the forward conv2d.

    Raises:
        InvalidArgumentError: at build time, when out_backprop's size or depth does not match
            what conv2d would produce for input_sizes and filter.
    """
    filter = _one_of(filter, filters, "conv2d_backprop_input", "filter or filters")  # noqa: A001
    w, dy = binary_operands(filter, out_backprop, "Conv2DBackpropInput")
    return apply_op(
        Conv2DBackpropInput,
        [_sizes_operand(input_sizes), w, dy],
        _attrs(strides, padding, data_format, dilations),
        name=name,
    )


def conv2d_backprop_filter(
    input: Any,  # noqa: A002
    filter_sizes: Any,
    out_backprop: Any,  # noqa: A002
    strides: Any,
    padding: Any,
    use_cudnn_on_gpu: bool = True,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """Gradient of conv2d with respect to its filter (a tensor of shape `filter_sizes`).

    Args:
        input: the forward conv2d's input.
        filter_sizes: [filter_height, filter_width, in_channels, out_channels].
        out_backprop: the gradient of conv2d's output.
        strides, padding, data_format, dilations: those of the forward conv2d.
    """
    x, dy = binary_operands(input, out_backprop, "Conv2DBackpropFilter")
    return apply_op(
        Conv2DBackpropFilter,
        [x, _sizes_operand(filter_sizes), dy],
        _attrs(strides, padding, data_format, dilations),
        name=name,
    )


def conv2d_transpose(
    value: Any = None,
    filter: Any = None,  # noqa: A002
    output_shape: Any = None,
    strides: Any = None,
    padding: str = "SAME",
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002
    filters: Any = None,
    dilations: Any = None,
) -> Tensor:
    """Transposed convolution ("deconvolution"): the gradient of conv2d w.r.t. its input.

    Args:
        value: 4-D input [batch, height, width, in_channels] (TF2 name: `input`).
        filter: [height, width, output_channels, in_channels] — note the order (TF2: `filters`).
        output_shape: the output's shape, 4 ints or a 1-D int32 tensor, data_format order.
        strides, padding, data_format, dilations: as conv2d (of the conv this one inverts).

    Example:
        >>> h = tf.placeholder(tf.float32, [None, 7, 7, 32])
        >>> w = tf.Variable(tf.truncated_normal([5, 5, 16, 32], stddev=0.1))  # out, in channels
        >>> batch = tf.shape(h)[0]
        >>> up = tf.nn.conv2d_transpose(h, w, tf.stack([batch, 14, 14, 16]), [1, 2, 2, 1], "SAME")
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(up, {h: np.ones([2, 7, 7, 32])}).shape
        (2, 14, 14, 16)
    """
    value = _one_of(value, input, "conv2d_transpose", "value or input")
    filter = _one_of(filter, filters, "conv2d_transpose", "filter or filters")  # noqa: A001
    return conv2d_backprop_input(
        output_shape,
        filter,
        value,
        strides,
        padding,
        data_format=data_format,
        dilations=dilations,
        name=name or "conv2d_transpose",
    )


__all__ = ["conv2d", "conv2d_transpose", "conv2d_backprop_input", "conv2d_backprop_filter"]
