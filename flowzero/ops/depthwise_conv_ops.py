"""Depthwise convolution (tf.nn.depthwise_conv2d, MobileNet's building block) and the separable
convolution built on it (tf.nn.separable_conv2d): TF's DepthwiseConv2dNative op and its two
backprop ops, sharing conv_ops' geometry (strides, SAME/VALID/explicit padding, dilations,
NHWC/NCHW).

Each input channel c has its own `channel_multiplier` filters:

    y[n, i, j, c*m + k] = sum_{p, q} x_pad[n, i*sh + p*dh, j*sw + q*dw, c] * w[p, q, c, k]

computed one filter tap at a time (kh*kw strided views, no im2col matrix).
"""

# TF's argument names (input, filter) shadow Python builtins on purpose.
# ruff: noqa: A002

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import TensorSpec, register_op, spec
from flowzero.ops import conv_ops
from flowzero.ops.array_ops import _shape_like
from flowzero.ops.conv_ops import (
    _attrs,
    _Conv,
    _crop,
    _fmt_dims,
    _from_nhwc,
    _Geom,
    _nhwc_dims,
    _pad,
    _shape_str,
    _tap,
    _to_nhwc,
)


class _Depthwise(_Conv):
    _forward = "DepthwiseConv2dNative"
    _out_words = "in_channels * channel_multiplier"

    def _out_channels(self, wd: Any) -> Any:
        return None if None in (wd[2], wd[3]) else wd[2] * wd[3]

    def _taps(self, g: _Geom, kh: int, kw: int) -> list[tuple[int, int, int, int]]:
        (dh, dw) = g.dilations
        return [(p, q, p * dh, q * dw) for p in range(kh) for q in range(kw)]


@register_op("DepthwiseConv2dNative")
class DepthwiseConv2dNative(_Depthwise):
    """y[n, i, j, c*m + k] = sum_{p, q} x_pad[n, i*sh + p*dh, j*sw + q*dw, c] * w[p, q, c, k]."""

    def infer(self, x: Tensor, w: Tensor) -> TensorSpec:
        g = self._geom()
        self._float(("input", x), ("filter", w))
        xd, wd = self._dims4(x, "input"), self._dims4(w, "filter")
        oh, ow, _ = self._conv_geometry(xd, wd, g, lambda: f"input: {x.shape}, filter: {w.shape}")
        co = None if None in (wd[2], wd[3]) else wd[2] * wd[3]
        if co is None and _nhwc_dims(xd, g.fmt)[3] is not None and wd[3] is not None:
            co = _nhwc_dims(xd, g.fmt)[3] * wd[3]
        return spec(_fmt_dims(_nhwc_dims(xd, g.fmt)[0], oh, ow, co, g.fmt), x.dtype)

    def compute(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        g = self._geom()
        x = _to_nhwc(x, g.fmt)
        kh, kw, c, m = w.shape
        oh, ow, pads = self._conv_geometry(
            _fmt_dims(*x.shape, g.fmt),
            w.shape,
            g,
            lambda: f"input: {_shape_str(x.shape)} (NHWC), filter: {_shape_str(w.shape)}",
        )
        xp = _pad(x, pads)
        sh, sw = g.strides
        y = np.zeros((x.shape[0], oh, ow, c, m), dtype=x.dtype)
        for p, q, i, j in self._taps(g, kh, kw):
            y += _tap(xp, i, j, oh, ow, sh, sw)[..., None] * w[p, q]
        return _from_nhwc(y.reshape(x.shape[0], oh, ow, c * m), g.fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, w = op.inputs
        a = dict(self.attrs)
        return [
            apply_op(DepthwiseConv2dNativeBackpropInput, [_shape_like(x), w, dy], a),
            apply_op(DepthwiseConv2dNativeBackpropFilter, [x, _shape_like(w), dy], a),
        ]


@register_op("DepthwiseConv2dNativeBackpropInput")
class DepthwiseConv2dNativeBackpropInput(_Depthwise):
    """dx of DepthwiseConv2dNative for an input of shape input_sizes."""

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
        n, h, wd_, c = _nhwc_dims(xd, g.fmt)
        dy = _to_nhwc(dy, g.fmt)
        kh, kw, _, m = w.shape
        oh, ow, pads = self._check_out(
            _fmt_dims(n, h, wd_, c, g.fmt),
            w.shape,
            _fmt_dims(*dy.shape, g.fmt),
            g,
            lambda: (
                f"input_sizes: {list(xd)}, filter: {_shape_str(w.shape)}, out_backprop: "
                f"{_shape_str(dy.shape)} (NHWC)"
            ),
        )
        sh, sw = g.strides
        dy5 = dy.reshape(n, oh, ow, c, m)
        dxp = np.zeros((n, h + pads[0] + pads[1], wd_ + pads[2] + pads[3], c), dtype=dy.dtype)
        for p, q, i, j in self._taps(g, kh, kw):
            _tap(dxp, i, j, oh, ow, sh, sw)[...] += np.einsum("nhwcm,cm->nhwc", dy5, w[p, q])
        return _from_nhwc(_crop(dxp, pads, h, wd_), g.fmt)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        _, w, dy = op.inputs
        a = dict(self.attrs)
        return [
            None,
            apply_op(DepthwiseConv2dNativeBackpropFilter, [ddx, _shape_like(w), dy], a),
            apply_op(DepthwiseConv2dNative, [ddx, w], a),
        ]


@register_op("DepthwiseConv2dNativeBackpropFilter")
class DepthwiseConv2dNativeBackpropFilter(_Depthwise):
    """dw of DepthwiseConv2dNative for a filter of shape filter_sizes."""

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

    def compute(self, x: np.ndarray, sizes: np.ndarray, dy: np.ndarray) -> np.ndarray:
        g = self._geom()
        x, dy = _to_nhwc(x, g.fmt), _to_nhwc(dy, g.fmt)
        kh, kw, c, m = (int(s) for s in sizes)
        oh, ow, pads = self._check_out(
            _fmt_dims(*x.shape, g.fmt),
            (kh, kw, c, m),
            _fmt_dims(*dy.shape, g.fmt),
            g,
            lambda: (
                f"input: {_shape_str(x.shape)}, filter_sizes: {[kh, kw, c, m]}, "
                f"out_backprop: {_shape_str(dy.shape)} (NHWC)"
            ),
        )
        xp = _pad(x, pads)
        sh, sw = g.strides
        dy5 = dy.reshape(x.shape[0], oh, ow, c, m)
        dw = np.empty((kh, kw, c, m), dtype=x.dtype)
        for p, q, i, j in self._taps(g, kh, kw):
            dw[p, q] = np.einsum("nhwc,nhwcm->cm", _tap(xp, i, j, oh, ow, sh, sw), dy5)
        return dw

    def gradient(self, op: Any, ddw: Tensor) -> list[Any]:
        x, _, dy = op.inputs
        a = dict(self.attrs)
        return [
            apply_op(DepthwiseConv2dNativeBackpropInput, [_shape_like(x), ddw, dy], a),
            None,
            apply_op(DepthwiseConv2dNative, [x, ddw], a),
        ]


# -- public functions --------------------------------------------------------------------------
def depthwise_conv2d_native(
    input: Any,
    filter: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """TF's raw depthwise op: filter [kh, kw, in_channels, channel_multiplier], output
    in_channels * channel_multiplier channels."""
    g = graph_of([input, filter], "depthwise_conv2d_native")
    with g.as_default():
        x, w = convert_to_tensor(input, name="input"), convert_to_tensor(filter, name="filter")
        return apply_op(
            DepthwiseConv2dNative,
            [x, w],
            _attrs(strides, padding, data_format, dilations),
            name=name,
        )


def depthwise_conv2d(
    input: Any,
    filter: Any,
    strides: Any,
    padding: Any,
    rate: Any = None,
    name: str | None = None,
    data_format: str = "NHWC",
    dilations: Any = None,
) -> Tensor:
    """Depthwise 2-D convolution (TF1's tf.nn.depthwise_conv2d): each input channel convolved
    with its own `channel_multiplier` filters, the results concatenated.

    Args:
        input: 4-D [batch, height, width, in_channels] (NHWC) or NCHW.
        filter: [kh, kw, in_channels, channel_multiplier].
        strides: 4 ints (batch and depth 1); with a rate > 1 they must be 1, as TF.
        padding: 'SAME' or 'VALID'.
        rate: the dilation rate, 1 or 2 ints (TF1's name; `dilations` in TF2).

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 32, 32, 3])
        >>> w = tf.Variable(tf.truncated_normal([3, 3, 3, 1], stddev=0.1))   # [3, 3, C, 1]
        >>> dw = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")
        >>> dw.shape
        TensorShape([None, 32, 32, 3])
    """
    rate = dilations if rate is None else rate
    if rate is not None:
        r = [int(rate)] * 2 if isinstance(rate, (int, np.integer)) else [int(v) for v in rate]
        if r != [1, 1] and any(
            int(s) != 1 for s in (strides if isinstance(strides, (list, tuple)) else [strides])
        ):
            raise ValueError(
                f"depthwise_conv2d: strides must be 1 when the rate is above 1; "
                f"got strides={strides}, rate={rate}."
            )
        rate = r
    return depthwise_conv2d_native(
        input, filter, strides, padding, data_format, rate, name=name or "depthwise"
    )


def separable_conv2d(
    input: Any,
    depthwise_filter: Any,
    pointwise_filter: Any,
    strides: Any,
    padding: Any,
    rate: Any = None,
    name: str | None = None,
    data_format: str = "NHWC",
    dilations: Any = None,
) -> Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution mixing the channels
    (TF1's tf.nn.separable_conv2d).

    Args:
        depthwise_filter: [kh, kw, in_channels, channel_multiplier].
        pointwise_filter: [1, 1, in_channels * channel_multiplier, out_channels].
        Others: as depthwise_conv2d.
    """
    g = graph_of([input, depthwise_filter, pointwise_filter], "separable_conv2d")
    with g.as_default(), g.name_scope(name or "separable_conv2d"):
        pw = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        if pw.shape.ndims is not None and pw.shape.as_list()[:2] not in ([1, 1], [None, None]):
            raise ValueError(
                f"separable_conv2d: pointwise_filter must be [1, 1, in, out]; got {pw.shape}."
            )
        depthwise = depthwise_conv2d(
            input,
            depthwise_filter,
            strides,
            padding,
            rate,
            data_format=data_format,
            dilations=dilations,
        )
        return conv_ops.conv2d(depthwise, pw, [1, 1, 1, 1], "VALID", data_format=data_format)


__all__: list[str] = []  # public through tf.nn
