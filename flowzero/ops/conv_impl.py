"""N-D convolution and pooling front ends (TF's nn_ops.py composites, no kernels of their own):
convolution, conv_transpose, conv1d_transpose, atrous_conv2d(_transpose), pool, the max/avg
pool 1d/2d/v2 spellings, and the depthwise backprop ops under their public names.

Each dispatches on the number of spatial dimensions to the 1-D (a 2-D op over a height of 1),
2-D (conv_ops, pool_ops) or 3-D (conv3d_ops) kernels.
"""

# TF's argument names (input, filter) shadow Python builtins on purpose.
# ruff: noqa: A002

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.ops import array_ops, manip_ops, reshape_ops
from flowzero.ops.conv3d_ops import avg_pool3d, conv3d, conv3d_transpose, max_pool3d
from flowzero.ops.conv_ops import _attrs, conv2d, conv2d_backprop_input, conv2d_transpose
from flowzero.ops.depthwise_conv_ops import (
    DepthwiseConv2dNativeBackpropFilter,
    DepthwiseConv2dNativeBackpropInput,
)
from flowzero.ops.nn_impl import conv1d
from flowzero.ops.pool_ops import avg_pool, max_pool


def _ints(v: Any, n: int, what: str, fn: str) -> list[int]:
    """An int or n ints (TF's `_get_sequence` for spatial-only arguments)."""
    if v is None:
        return [1] * n
    if isinstance(v, (int, np.integer)):
        return [int(v)] * n
    vals = [int(getattr(d, "value", d)) for d in v]
    if len(vals) == 1:
        return vals * n
    if len(vals) != n:
        raise ValueError(f"{fn}: {what} must have 1 or {n} entries; got {list(v)}.")
    return vals


def _spatial(v: Any, n: int, channels_last: bool, what: str, fn: str) -> list[int]:
    """An int, 1, n or n+2 ints (batch and channels 1) as the n spatial values."""
    if v is None:
        return [1] * n
    if isinstance(v, (int, np.integer)):
        return [int(v)] * n
    vals = [int(getattr(d, "value", d)) for d in v]
    if len(vals) == n + 2:
        outer = (vals[0], vals[-1]) if channels_last else (vals[0], vals[1])
        if outer != (1, 1):
            raise ValueError(
                f"{fn}: {what} in the batch and channel dimensions must be 1; got {vals}."
            )
        return vals[1:-1] if channels_last else vals[2:]
    return _ints(vals, n, what, fn)


def _formats(n: int, data_format: Any, fn: str) -> tuple[str, bool]:
    """The data_format for n spatial dims (default channels last) and whether it is."""
    last = {1: "NWC", 2: "NHWC", 3: "NDHWC"}[n]
    first = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[n]
    fmt = data_format.decode() if isinstance(data_format, bytes) else data_format
    if fmt is None:
        return last, True
    if fmt not in (last, first):
        raise ValueError(f"{fn}: data_format must be {last!r} or {first!r}; got {fmt!r}.")
    return fmt, fmt == last


def _rank_n(x: Tensor, extra: int, fn: str, what: str = "input") -> int:
    r = x.shape.ndims
    if r is None:
        raise ValueError(f"{fn}: {what} must have a known rank; got {x.shape}.")
    n = r - extra
    if n not in (1, 2, 3):
        raise ValueError(
            f"{fn}: {what} must have 1 to 3 spatial dimensions (rank {3 + extra - 2} to "
            f"{5 + extra - 2}); got {what}: {x.shape}."
        )
    return n


# -- pooling -----------------------------------------------------------------------------------
def _pool_nd(
    kind: str, x: Any, ksize: Any, strides: Any, padding: Any, data_format: Any, name: Any, fn: str
) -> Tensor:
    x = convert_to_tensor(x, name="input")
    n = _rank_n(x, 2, fn)
    fmt, last = _formats(n, data_format, fn)
    k = _spatial(ksize, n, last, "ksize", fn)
    s = _spatial(strides, n, last, "strides", fn)
    if n == 3:
        f3 = max_pool3d if kind == "max" else avg_pool3d
        return f3(x, k, s, padding, data_format=fmt, name=name)
    f2 = max_pool if kind == "max" else avg_pool
    if n == 2:
        return f2(x, k, s, padding, data_format=fmt, name=name)
    g = graph_of([x], fn)
    with g.as_default(), g.name_scope(name or fn):
        axis = 1 if last else 2  # NWC -> N1WC, NCW -> NC1W
        y = f2(
            reshape_ops.expand_dims(x, axis),
            [1, k[0]],
            [1, s[0]],
            padding,
            data_format="NHWC" if last else "NCHW",
        )
        return reshape_ops.squeeze(y, [axis])


def max_pool1d(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC", name: Any = None
) -> Tensor:
    """Max pooling of a 3-D [batch, width, channels] tensor (NCW: channels second): a max_pool
    over a height of 1. ksize and strides: an int, 1 int or 3 (batch and channel 1)."""
    return _pool_nd("max", input, ksize, strides, padding, data_format, name, "max_pool1d")


def avg_pool1d(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC", name: Any = None
) -> Tensor:
    """Average pooling of a 3-D [batch, width, channels] tensor; arguments as max_pool1d."""
    return _pool_nd("avg", input, ksize, strides, padding, data_format, name, "avg_pool1d")


def max_pool2d(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC", name: Any = None
) -> Tensor:
    """tf.nn.max_pool2d: max_pool of a 4-D tensor; ksize/strides an int, 2 ints or 4."""
    return _pool_nd("max", input, ksize, strides, padding, data_format, name, "max_pool2d")


def avg_pool2d(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC", name: Any = None
) -> Tensor:
    """tf.nn.avg_pool2d: avg_pool of a 4-D tensor; ksize/strides an int, 2 ints or 4."""
    return _pool_nd("avg", input, ksize, strides, padding, data_format, name, "avg_pool2d")


def max_pool_v2(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any = None, name: Any = None
) -> Tensor:
    """Max pooling of a 3-D, 4-D or 5-D tensor (1, 2 or 3 spatial dimensions, by rank)."""
    return _pool_nd("max", input, ksize, strides, padding, data_format, name, "max_pool_v2")


def avg_pool_v2(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any = None, name: Any = None
) -> Tensor:
    """Average pooling of a 3-D, 4-D or 5-D tensor (1, 2 or 3 spatial dimensions, by rank)."""
    return _pool_nd("avg", input, ksize, strides, padding, data_format, name, "avg_pool_v2")


def pool(
    input: Any,
    window_shape: Any,
    pooling_type: str,
    padding: str,
    dilation_rate: Any = None,
    strides: Any = None,
    name: str | None = None,
    data_format: str | None = None,
    dilations: Any = None,
) -> Tensor:
    """N-D pooling (TF's tf.nn.pool): 'MAX' or 'AVG' over windows of `window_shape`.

    Args:
        input: [batch, *spatial, channels] (or channels first per data_format), 1 to 3
            spatial dimensions = len(window_shape).
        window_shape: N ints.
        pooling_type: 'MAX' or 'AVG'.
        padding: 'SAME' or 'VALID'.
        dilation_rate: N ints; only 1 is supported (a larger rate raises
            NotImplementedError).
        strides: N ints (default 1).

    Raises:
        ValueError: a bad pooling_type, rank or window.
    """
    dilation_rate = dilations if dilation_rate is None else dilation_rate
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"pool: pooling_type must be 'MAX' or 'AVG'; got {pooling_type!r}.")
    win = [int(v) for v in window_shape]
    n = len(win)
    if n not in (1, 2, 3):
        raise ValueError(f"pool: window_shape must have 1 to 3 entries; got {window_shape}.")
    x = convert_to_tensor(input, name="input")
    if x.shape.ndims is not None and x.shape.ndims != n + 2:
        raise ValueError(
            f"pool: input must have rank {n + 2} for a window of {n} dimensions; got input: "
            f"{x.shape}."
        )
    rate = _ints(dilation_rate, n, "dilation_rate", "pool")
    st = _ints(strides, n, "strides", "pool")
    if any(r != 1 for r in rate):
        if any(s != 1 for s in st):
            raise ValueError(
                f"pool: strides must be 1 when dilation_rate > 1; got strides={st}, "
                f"dilation_rate={rate}."
            )
        raise NotImplementedError("pool: dilation_rate > 1 is not implemented in flowzero.")
    kind = "max" if pooling_type == "MAX" else "avg"
    return _pool_nd(kind, x, win, st, padding, data_format, name, "pool")


# -- convolution -------------------------------------------------------------------------------
def convolution(
    input: Any,
    filter: Any = None,
    padding: Any = None,
    strides: Any = None,
    dilation_rate: Any = None,
    name: str | None = None,
    data_format: str | None = None,
    filters: Any = None,
    dilations: Any = None,
) -> Tensor:
    """N-D convolution (tf.nn.convolution): conv1d, conv2d or conv3d by the filter's rank.

    Args:
        input: [batch, *spatial, in_channels] (channels first with data_format 'NCW', 'NCHW'
            or 'NCDHW').
        filter: [*spatial_filter, in_channels, out_channels] (TF2 name: `filters`).
        padding: 'SAME' or 'VALID'.
        strides, dilation_rate: N ints (default 1); strides must be 1 where a rate is above 1.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 32, 32, 3])
        >>> w = tf.Variable(tf.truncated_normal([3, 3, 3, 8], stddev=0.1))
        >>> y = tf.nn.convolution(x, w, "SAME", dilation_rate=[2, 2])
        >>> y.shape
        TensorShape([None, 32, 32, 8])
    """
    if (filter is None) == (filters is None):
        raise ValueError("convolution: pass exactly one of filter or filters.")
    filter = filter if filter is not None else filters  # noqa: A001
    dilation_rate = dilations if dilation_rate is None else dilation_rate
    g = graph_of([input, filter], "convolution")
    with g.as_default():
        x = convert_to_tensor(input, name="input")
        w = convert_to_tensor(filter, name="filter", dtype=x.dtype)
        n = _rank_n(w, 2, "convolution", "filter") if w.shape.ndims is not None else None
        if n is None:
            n = _rank_n(x, 2, "convolution")
        if x.shape.ndims is not None and x.shape.ndims != n + 2:
            raise ValueError(
                f"convolution: input must have rank {n + 2} for a filter of rank {n + 2}; got "
                f"input: {x.shape}, filter: {w.shape}."
            )
        fmt, last = _formats(n, data_format, "convolution")
        st = _ints(strides, n, "strides", "convolution")
        rate = _ints(dilation_rate, n, "dilation_rate", "convolution")
        if any(r != 1 for r in rate) and any(s != 1 for s in st):
            raise ValueError(
                f"convolution: strides must be 1 when dilation_rate > 1; got strides={st}, "
                f"dilation_rate={rate}."
            )
        if n == 1:
            return conv1d(x, w, st[0], padding, data_format=fmt, dilations=rate[0], name=name)
        if n == 2:
            return conv2d(x, w, st, padding, data_format=fmt, dilations=rate, name=name)
        return conv3d(x, w, st, padding, data_format=fmt, dilations=rate, name=name)


def _shape_vector(shape: Any) -> Any:
    if isinstance(shape, Tensor):
        return shape
    return [int(getattr(d, "value", d)) for d in shape]


def conv1d_transpose(
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: str = "SAME",
    data_format: str = "NWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """Transposed 1-D convolution, the gradient of conv1d w.r.t. its input.

    Args:
        input: [batch, width, in_channels] (NCW: channels second).
        filters: [width, output_channels, in_channels].
        output_shape: 3 ints or a 1-D int32 tensor, data_format order.
        strides, dilations: an int, 1 int or 3 (batch and channel 1).
    """
    fmt, last = _formats(1, data_format, "conv1d_transpose")
    s = _spatial(strides, 1, last, "strides", "conv1d_transpose")[0]
    d = _spatial(dilations, 1, last, "dilations", "conv1d_transpose")[0]
    g = graph_of([input, filters], "conv1d_transpose")
    with g.as_default(), g.name_scope(name or "conv1d_transpose"):
        x = convert_to_tensor(input, name="input")
        w = reshape_ops.expand_dims(convert_to_tensor(filters, name="filters", dtype=x.dtype), 0)
        axis = 1 if last else 2
        out = _shape_vector(output_shape)
        if isinstance(out, Tensor):
            out = manip_ops.concat(
                [out[:axis], array_ops.constant([1], dtype=out.dtype), out[axis:]], 0
            )
        else:
            if len(out) != 3:
                raise ValueError(
                    f"conv1d_transpose: output_shape must have 3 entries; got {output_shape}."
                )
            out = out[:axis] + [1] + out[axis:]
        y = conv2d_backprop_input(
            out,
            w,
            reshape_ops.expand_dims(x, axis),
            [1, 1, s, 1] if last else [1, 1, 1, s],
            padding,
            data_format="NHWC" if last else "NCHW",
            dilations=[1, 1, d, 1] if last else [1, 1, 1, d],
        )
        return reshape_ops.squeeze(y, [axis])


def conv_transpose(
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: str = "SAME",
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """Transposed N-D convolution: conv1d_transpose, conv2d_transpose or conv3d_transpose by
    the length of `output_shape` (or the filters' rank)."""
    n = None
    if not isinstance(output_shape, Tensor):
        n = len(list(output_shape)) - 2
    elif output_shape.shape.is_fully_defined():
        n = output_shape.shape.as_list()[0] - 2
    if n is None:
        w = convert_to_tensor(filters)
        n = _rank_n(w, 2, "conv_transpose", "filters")
    if n not in (1, 2, 3):
        raise ValueError(
            f"conv_transpose: output_shape must have 3, 4 or 5 entries; got {output_shape}."
        )
    fmt, last = _formats(n, data_format, "conv_transpose")
    if n == 1:
        return conv1d_transpose(
            input, filters, output_shape, strides, padding, fmt, dilations, name
        )
    st = _spatial(strides, n, last, "strides", "conv_transpose")
    dil = _spatial(dilations, n, last, "dilations", "conv_transpose")
    if n == 2:
        return conv2d_transpose(
            input, filters, output_shape, st, padding, fmt, name=name, dilations=dil
        )
    return conv3d_transpose(
        input, filters, output_shape, st, padding, fmt, name=name, dilations=dil
    )


def _rate(rate: Any, fn: str) -> int:
    r = int(rate)
    if r < 1:
        raise ValueError(f"{fn}: rate must be a positive int; got {rate!r}.")
    return r


def atrous_conv2d(
    value: Any, filters: Any, rate: int, padding: str, name: str | None = None
) -> Tensor:
    """Atrous (dilated) 2-D convolution, stride 1: conv2d with dilations [1, rate, rate, 1].

    Args:
        value: [batch, height, width, in_channels].
        filters: [filter_height, filter_width, in_channels, out_channels].
        rate: a positive int, the spacing of the filter taps.
        padding: 'SAME' or 'VALID'.
    """
    r = _rate(rate, "atrous_conv2d")
    return conv2d(value, filters, [1, 1, 1, 1], padding, dilations=[1, r, r, 1], name=name)


def atrous_conv2d_transpose(
    value: Any,
    filters: Any,
    output_shape: Any,
    rate: int,
    padding: str,
    name: str | None = None,
) -> Tensor:
    """The transpose (gradient w.r.t. the input) of atrous_conv2d.

    Args:
        value: [batch, height, width, in_channels].
        filters: [filter_height, filter_width, out_channels, in_channels].
        output_shape: the 4 ints [batch, height, width, out_channels] of the result.
        rate, padding: as atrous_conv2d.
    """
    r = _rate(rate, "atrous_conv2d_transpose")
    return conv2d_backprop_input(
        _shape_vector(output_shape),
        filters,
        value,
        [1, 1, 1, 1],
        padding,
        dilations=[1, r, r, 1],
        name=name or "atrous_conv2d_transpose",
    )


# -- depthwise backprop under TF's public names ------------------------------------------------
def _sizes(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v
    return np.asarray([int(getattr(d, "value", d)) for d in v], dtype=np.int32)


def depthwise_conv2d_native_backprop_input(
    input_sizes: Any,
    filter: Any,
    out_backprop: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """The gradient of depthwise_conv2d_native w.r.t. its input (of shape input_sizes).

    Args:
        input_sizes: the input's shape, 4 ints or an int32 tensor.
        filter: [kh, kw, in_channels, channel_multiplier].
        out_backprop: the gradient of the depthwise output.
        strides, padding, data_format, dilations: those of the forward op.
    """
    g = graph_of([filter, out_backprop], "depthwise_conv2d_native_backprop_input")
    with g.as_default():
        w = convert_to_tensor(filter, name="filter")
        dy = convert_to_tensor(out_backprop, name="out_backprop", dtype=w.dtype)
        return apply_op(
            DepthwiseConv2dNativeBackpropInput,
            [_sizes(input_sizes), w, dy],
            _attrs(strides, padding, data_format, dilations),
            name=name,
        )


def depthwise_conv2d_native_backprop_filter(
    input: Any,
    filter_sizes: Any,
    out_backprop: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """The gradient of depthwise_conv2d_native w.r.t. its filter (of shape filter_sizes)."""
    g = graph_of([input, out_backprop], "depthwise_conv2d_native_backprop_filter")
    with g.as_default():
        x = convert_to_tensor(input, name="input")
        dy = convert_to_tensor(out_backprop, name="out_backprop", dtype=x.dtype)
        return apply_op(
            DepthwiseConv2dNativeBackpropFilter,
            [x, _sizes(filter_sizes), dy],
            _attrs(strides, padding, data_format, dilations),
            name=name,
        )


# TF binds these public names to the native ops.
depthwise_conv2d_backprop_input = depthwise_conv2d_native_backprop_input
depthwise_conv2d_backprop_filter = depthwise_conv2d_native_backprop_filter

__all__: list[str] = []  # public through tf.nn
