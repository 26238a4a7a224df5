"""Max pooling that also returns where each max came from (MaxPoolWithArgmax), and grayscale
morphology: Dilation2D with its two backprop ops; erosion2d is a composite of dilation2d.

Like pool_ops, the kernels loop over the window (filter) offsets, each a strided view of the
whole batch; no loop runs over pixels. Out-of-image positions never win a max (TF's CPU kernels
skip them), which is tracked with per-offset row/column validity rather than a padding value,
so integer inputs and -inf values behave as TF's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops import array_ops, cast_ops, manip_ops, range_ops, reshape_ops, unary_ops
from flowzero.ops.common import DTypeError
from flowzero.ops.conv_ops import _attrs, _out_dim, _shape_str, _tap
from flowzero.ops.pool_ops import _Pool
from flowzero.ops.segment_ops import unsorted_segment_sum


def _lowest(dt: np.dtype) -> Any:
    return np.finfo(dt).min if dt.kind == "f" else np.iinfo(dt).min


def _valid(size: int, out: int, stride: int, rate: int, before: int, k: int) -> np.ndarray:
    """(k, out) bool: whether offset p of window i lands inside [0, size)."""
    pos = np.arange(out)[None, :] * stride - before + np.arange(k)[:, None] * rate
    return (pos >= 0) & (pos < size)


def _window_max(
    x: np.ndarray,
    taps: Any,
    k: tuple[int, int],
    out: tuple[int, int],
    strides: tuple[int, int],
    rates: tuple[int, int],
    before: tuple[int, int],
    add: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(y, which) over the valid offsets of each window, the first max in row-major offset
    order winning ties (strict >, as TF); `which` is -1 where no offset was valid/beat the
    lowest value. `add[p, q]` (per channel) is added to offset (p, q)'s values (dilation).

    NOTE: a float input is padded with -inf, which never beats the running max (nor does a
    real -inf, as in TF), so only integer inputs and MaxPoolWithArgmax's "first valid element"
    rule need the per-offset validity masks."""
    n, h, w, c = x.shape
    oh, ow = out
    rv = _valid(h, oh, strides[0], rates[0], before[0], k[0])
    cv = _valid(w, ow, strides[1], rates[1], before[1], k[1])
    y = np.full((n, oh, ow, c), _lowest(x.dtype), dtype=x.dtype)
    which = np.full((n, oh, ow, c), -1, dtype=np.int32)
    m = np.empty(y.shape, dtype=bool)
    unset = np.ones(y.shape, dtype=bool) if taps.first else None
    v = np.empty(y.shape, dtype=x.dtype) if add is not None else None
    for p in range(k[0]):
        for q in range(k[1]):
            ok = (rv[p][:, None] & cv[q][None, :])[None, :, :, None]
            everywhere = bool(ok.all())
            t = taps(p, q)
            if v is not None:
                t = np.add(t, add[p, q], out=v)
            np.greater(t, y, out=m)
            if unset is not None:  # MaxPoolWithArgmax: the first valid element always counts
                m |= unset if everywhere else unset & ok
            elif not (everywhere or taps.padded_low):
                m &= ok
            np.copyto(y, t, where=m)
            np.copyto(which, p * k[1] + q, where=m)
            if unset is not None:
                unset &= ~m
    return y, which


class _Taps:
    """Offset (p, q) of every window as a view of the padded input (-inf for floats)."""

    def __init__(self, x: np.ndarray, out: tuple[int, int], strides: Any, rates: Any, pads: Any):
        t, b, left, r = pads
        self.padded_low = x.dtype.kind == "f"
        fill = -np.inf if self.padded_low else 0
        self.xp = (
            np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)), constant_values=fill) if any(pads) else x
        )
        self.out, self.strides, self.rates = out, strides, rates
        self.first = False

    def __call__(self, p: int, q: int) -> np.ndarray:
        return _tap(self.xp, p * self.rates[0], q * self.rates[1], *self.out, *self.strides)


# -- MaxPoolWithArgmax -------------------------------------------------------------------------
@register_op("MaxPoolWithArgmax")
class MaxPoolWithArgmax(_Pool):
    """(y, argmax): max pooling, argmax = the flat index ((b*h + r)*w + s)*c + ch of each max
    (without b*h unless include_batch_in_index)."""

    kinds = "fiu"

    def infer(self, x: Tensor) -> list[TensorSpec]:
        t = self.attrs.get("Targmax", dtypes.int64)
        if t not in (dtypes.int32, dtypes.int64):
            raise self.error(f"Targmax must be int32 or int64; got {t.name}.", cls=DTypeError)
        _, dims = self._out_spec(x)
        return [spec(dims, x.dtype), spec(dims, t)]

    def compute(self, x: np.ndarray) -> list[np.ndarray]:
        g = self._geom()
        oh, ow, pads = self._plan(x, g)
        n, h, w, c = x.shape
        taps = _Taps(x, (oh, ow), g.strides, (1, 1), pads)
        taps.first = True
        y, which = _window_max(x, taps, g.ksize, (oh, ow), g.strides, (1, 1), (pads[0], pads[2]))
        p, q = which // g.ksize[1], which % g.ksize[1]
        rows = (np.arange(oh) * g.strides[0] - pads[0])[None, :, None, None] + p
        cols = (np.arange(ow) * g.strides[1] - pads[2])[None, None, :, None] + q
        idx = (rows * w + cols) * c + np.arange(c)
        if self.attrs.get("include_batch_in_index", False):
            idx = idx + (np.arange(n) * (h * w * c))[:, None, None, None]
        return [y, idx.astype(self.attrs.get("Targmax", dtypes.int64).np)]

    def gradient(self, op: Any, dy: Tensor, _dargmax: Any = None) -> list[Any]:
        # dx = dy scattered to the argmax positions (TF's MaxPoolGradWithArgmax), as a sum over
        # segments of the flat input: its own gradient (a gather) comes for free.
        x, idx = op.inputs[0], cast_ops.cast(op.outputs[1], dtypes.int64)
        shp = array_ops.shape(x, out_type=dtypes.int64)
        if not self.attrs.get("include_batch_in_index", False):
            per_image = shp[1] * shp[2] * shp[3]
            idx = idx + reshape_ops.reshape(range_ops.range(shp[0]) * per_image, [-1, 1, 1, 1])
        total = shp[0] * shp[1] * shp[2] * shp[3]
        flat = unsorted_segment_sum(
            reshape_ops.reshape(dy, [-1]), reshape_ops.reshape(idx, [-1]), total
        )
        return [reshape_ops.reshape(flat, shp)]


def max_pool_with_argmax(
    input: Any,  # noqa: A002
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    Targmax: Any = None,  # noqa: N803
    name: str | None = None,
    output_dtype: Any = None,
    include_batch_in_index: bool = False,
) -> tuple[Tensor, Tensor]:
    """Max pooling that also returns the flat index of each max.

    Args:
        input: 4-D NHWC tensor.
        ksize, strides: 4 ints (or 1 or 2 spatial ints), batch and depth 1.
        padding: 'SAME' or 'VALID'.
        Targmax: int64 (default) or int32 (TF2's name: output_dtype).
        include_batch_in_index: whether the index counts the batch too.

    Returns:
        (output, argmax): argmax[b, i, j, c] = ((b * height + y) * width + x) * channels + c
        (without the b term unless include_batch_in_index) for the max's position (y, x).

    Example:
        >>> x = tf.reshape(tf.constant([[1., 5., 2., 0.], [3., 4., 8., 6.]]), [1, 2, 4, 1])
        >>> y, arg = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        >>> sess = tf.Session()
        >>> out, a = sess.run([y, arg])
        >>> print(out.ravel(), a.ravel())   # 5 at (0, 1): 0 * 4 + 1; 8 at (1, 2): 1 * 4 + 2
        [5. 8.] [1 6]
    """
    if data_format != "NHWC":
        raise ValueError(f"max_pool_with_argmax: data_format must be 'NHWC'; got {data_format!r}.")
    if Targmax is not None and output_dtype is not None:
        raise ValueError("max_pool_with_argmax: pass Targmax or output_dtype, not both.")
    t = dtypes.as_dtype(Targmax or output_dtype or dtypes.int64)
    attrs = _attrs(strides, padding, "NHWC", ksize=ksize)
    if attrs["padding"] not in ("SAME", "VALID"):
        raise ValueError(
            f"max_pool_with_argmax: padding must be 'SAME' or 'VALID'; got {padding!r}."
        )
    attrs.update(Targmax=t, include_batch_in_index=bool(include_batch_in_index))
    out = apply_op(MaxPoolWithArgmax, [input], attrs, name=name)
    return out[0], out[1]


# -- Dilation2D --------------------------------------------------------------------------------
class _Dilation(OpDef):
    """Geometry shared by Dilation2D and its backprop ops (NHWC; filter [fh, fw, depth])."""

    def _pair(self, name: str) -> tuple[int, int]:
        v = list(self.attrs[name])
        if len(v) != 4 or v[0] != 1 or v[3] != 1 or v[1] < 1 or v[2] < 1:
            raise self.error(
                f"{name} must be [1, {name}_height, {name}_width, 1] with positive sizes; "
                f"got {name}={v}."
            )
        return int(v[1]), int(v[2])

    def _geometry(self, xs: Any, fs: Any) -> tuple[Any, Any, tuple[int, int, int, int]]:
        s, r, pad = self._pair("strides"), self._pair("rates"), self.attrs["padding"]
        if pad not in ("SAME", "VALID"):
            raise self.error(f"padding must be 'SAME' or 'VALID'; got {pad!r}.")
        oh, t, b = _out_dim(xs[1], fs[0], s[0], r[0], pad, 0, 0) if fs[0] else (None, 0, 0)
        ow, left, rr = _out_dim(xs[2], fs[1], s[1], r[1], pad, 0, 0) if fs[1] else (None, 0, 0)
        if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
            raise self.error(
                f"the dilated filter ({(fs[0] - 1) * r[0] + 1}x{(fs[1] - 1) * r[1] + 1}) must fit "
                f"in the input with padding='VALID'; got input: {_shape_str(xs)}, filter: "
                f"{_shape_str(fs)}, rates={list(r)}."
            )
        return oh, ow, (t, b, left, rr)

    def _check(self, x: Tensor, f: Tensor) -> tuple[Any, Any, Any, Any]:
        if x.dtype is not f.dtype:
            raise self.error(
                f"input and filter must have the same dtype; got input: {x.dtype.name}, "
                f"filter: {f.dtype.name}.",
                cls=DTypeError,
            )
        if x.dtype.np.kind not in "fiu":
            raise self.error(f"input must be real numeric; got {x.dtype.name}.", cls=DTypeError)
        xs = x.shape.known if x.shape.known is not None else (None,) * 4
        fs = f.shape.known if f.shape.known is not None else (None,) * 3
        if len(xs) != 4 or len(fs) != 3:
            raise self.error(
                f"input must be rank 4 [batch, height, width, depth] and filter rank 3 "
                f"[filter_height, filter_width, depth]; got input: {x.shape}, filter: {f.shape}."
            )
        if xs[3] is not None and fs[2] is not None and xs[3] != fs[2]:
            raise self.error(
                f"input and filter must have the same depth; got input: {x.shape}, "
                f"filter: {f.shape}."
            )
        oh, ow, _ = self._geometry(xs, fs)
        return xs[0], oh, ow, xs[3] if xs[3] is not None else fs[2]

    def _forward(self, x: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
        if x.shape[3] != f.shape[2]:
            raise self.error(
                f"input and filter must have the same depth; got input: {x.shape}, "
                f"filter: {f.shape}."
            )
        oh, ow, pads = self._geometry(x.shape, f.shape)
        s, r = self._pair("strides"), self._pair("rates")
        taps = _Taps(x, (oh, ow), s, r, pads)
        y, which = _window_max(x, taps, f.shape[:2], (oh, ow), s, r, (pads[0], pads[2]), add=f)
        return y, which, (oh, ow, pads, s, r)

    def _backprop(
        self, x: np.ndarray, f: np.ndarray, dy: np.ndarray, wrt_input: bool
    ) -> np.ndarray:
        _, which, (oh, ow, pads, s, r) = self._forward(x, f)
        if dy.shape != which.shape:
            raise self.error(
                f"out_backprop must have the output's shape {which.shape}; got {dy.shape}."
            )
        n, h, w, c = x.shape
        fw = f.shape[1]
        # No valid offset (TF): the input gradient goes to the window's clamped start, the
        # filter's to its (0, 0) tap.
        p = np.where(which < 0, 0, which // fw)
        q = np.where(which < 0, 0, which % fw)
        ch = np.arange(c)
        if not wrt_input:
            flat = (p * fw + q) * c + ch
            out = np.bincount(flat.ravel(), dy.ravel().astype(np.float64), f.size)
            return out.reshape(f.shape).astype(f.dtype)
        r0 = (np.arange(oh) * s[0] - pads[0])[None, :, None, None]
        c0 = (np.arange(ow) * s[1] - pads[2])[None, None, :, None]
        rows = np.where(which < 0, np.maximum(r0, 0), r0 + p * r[0])
        cols = np.where(which < 0, np.maximum(c0, 0), c0 + q * r[1])
        flat = ((np.arange(n)[:, None, None, None] * h + rows) * w + cols) * c + ch
        out = np.bincount(flat.ravel(), dy.ravel().astype(np.float64), x.size)
        return out.reshape(x.shape).astype(x.dtype)


@register_op("Dilation2D")
class Dilation2D(_Dilation):
    """y[b, i, j, c] = max over (p, q) of x[b, i*sh + p*rh, j*sw + q*rw, c] + f[p, q, c]."""

    def infer(self, x: Tensor, f: Tensor) -> TensorSpec:
        return spec(self._check(x, f), x.dtype)

    def compute(self, x: np.ndarray, f: np.ndarray) -> np.ndarray:
        return self._forward(x, f)[0]

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, f = op.inputs
        return [
            apply_op(Dilation2DBackpropInput, [x, f, dy], dict(self.attrs)),
            apply_op(Dilation2DBackpropFilter, [x, f, dy], dict(self.attrs)),
        ]


@register_op("Dilation2DBackpropInput")
class Dilation2DBackpropInput(_Dilation):
    """dx = each out_backprop[b, i, j, c] routed to the input position of its window's max."""

    differentiable = False  # no gradient, as in TF

    def infer(self, x: Tensor, f: Tensor, dy: Tensor) -> TensorSpec:
        self._check(x, f)
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, f: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return self._backprop(x, f, dy, True)


@register_op("Dilation2DBackpropFilter")
class Dilation2DBackpropFilter(_Dilation):
    """df = each out_backprop[b, i, j, c] routed to the filter tap of its window's max."""

    differentiable = False  # no gradient, as in TF

    def infer(self, x: Tensor, f: Tensor, dy: Tensor) -> TensorSpec:
        self._check(x, f)
        return spec(f.shape, f.dtype)

    def compute(self, x: np.ndarray, f: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return self._backprop(x, f, dy, False)


def _morph_attrs(strides: Any, rates: Any, padding: Any, fn: str) -> dict[str, Any]:
    def four(v: Any, what: str) -> list[int]:
        v = [int(d) for d in v] if isinstance(v, (list, tuple)) else v
        if isinstance(v, list) and len(v) == 2:
            v = [1, *v, 1]
        if not isinstance(v, list) or len(v) != 4:
            raise ValueError(f"{fn}: {what} must be 4 ints [1, h, w, 1] (or 2); got {v!r}.")
        return v

    if isinstance(padding, bytes):
        padding = padding.decode()
    return {"strides": four(strides, "strides"), "rates": four(rates, "rates"), "padding": padding}


def dilation2d(
    input: Any,  # noqa: A002
    filter: Any = None,  # noqa: A002
    strides: Any = None,
    rates: Any = None,
    padding: Any = None,
    name: str | None = None,
    filters: Any = None,
    dilations: Any = None,
) -> Tensor:
    """Grayscale morphological dilation: the max over the window of input + filter, per depth.

    Args:
        input: 4-D [batch, height, width, depth].
        filter: 3-D [filter_height, filter_width, depth] (TF2's name: filters).
        strides: [1, stride_h, stride_w, 1].
        rates: [1, rate_h, rate_w, 1], the dilation of the filter (TF2's name: dilations).
        padding: 'SAME' or 'VALID' (positions outside the image never count).

    Example:
        >>> images = tf.reshape(tf.constant([0., 0., 1., 0., 0.]), [1, 1, 5, 1])
        >>> y = tf.nn.dilation2d(images, tf.zeros([1, 3, 1]), [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
        >>> sess = tf.Session()
        >>> print(sess.run(y).ravel())   # a flat 1x3 filter: the max of each pixel's neighbours
        [0. 1. 1. 1. 0.]
    """
    if (filter is None) == (filters is None) or (rates is None) == (dilations is None):
        raise ValueError("dilation2d: pass exactly one of filter/filters and of rates/dilations.")
    attrs = _morph_attrs(strides, rates if rates is not None else dilations, padding, "dilation2d")
    f = filter if filter is not None else filters
    g = graph_of([input, f], "dilation2d")
    with g.as_default():
        x = convert_to_tensor(input, name="input")
        return apply_op(Dilation2D, [x, convert_to_tensor(f, dtype=x.dtype)], attrs, name=name)


def erosion2d(
    value: Any,
    kernel: Any,
    strides: Any,
    rates: Any,
    padding: Any,
    name: str | None = None,
) -> Tensor:
    """Grayscale morphological erosion: the min over the window of value - kernel (with the
    kernel mirrored), i.e. -dilation2d(-value, reverse(kernel)) as TF computes it.

    Args:
        value: 4-D [batch, height, width, depth].
        kernel: 3-D [kernel_height, kernel_width, depth].
        strides, rates, padding: as dilation2d.
    """
    attrs = _morph_attrs(strides, rates, padding, "erosion2d")
    g = graph_of([value, kernel], "erosion2d")
    with g.as_default(), g.name_scope(name or "erosion2d"):
        x = convert_to_tensor(value, name="value")
        k = convert_to_tensor(kernel, dtype=x.dtype, name="kernel")
        y = apply_op(Dilation2D, [unary_ops.negative(x), manip_ops.reverse(k, [0, 1])], attrs)
        return unary_ops.negative(y)


__all__: list[str] = []  # public through tf.nn
