"""Neural-network composites built from registered ops (no kernels of their own): dropout,
moments, batch_normalization, fused_batch_norm, l2_normalize, crelu, xw_plus_b, relu_layer,
embedding_lookup (TF's nn_impl)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor, graph_of
from flowzero.ops import (
    array_ops,
    cast_ops,
    control_ops,
    division_ops,
    indexing_ops,
    linalg_ops,
    logic_ops,
    manip_ops,
    math_ops,
    reduction_ops,
    reshape_ops,
    unary_ops,
)
from flowzero.ops.activation_ops import relu, sigmoid
from flowzero.ops.conv_ops import conv2d
from flowzero.ops.nn_ops import _channel_axis, bias_add


# -- composites --------------------------------------------------------------------------------
def _scope(values: list[Any], name: str | None, default: str) -> Any:
    g = graph_of(values, default)
    return g, g.name_scope(name or default)


def dropout(
    x: Any,
    keep_prob: Any = None,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
    rate: Any = None,
) -> Tensor:
    """Inverted dropout: zeroes each element with probability `rate` = 1 - `keep_prob` and
    scales the kept ones by 1 / keep_prob, so the expected value is unchanged.

    Args:
        x: a floating-point tensor.
        keep_prob: probability of keeping an element (TF1); a float or a scalar tensor
            (e.g. a placeholder fed 1.0 at evaluation time).
        noise_shape: shape of the random keep/drop mask, broadcast against x (default
            x's shape), e.g. [batch, 1] to drop whole rows.
        seed: op-level seed; with a graph seed, results repeat in every new Session.
        rate: probability of dropping (the TF2 spelling); give this or keep_prob, not both.

    Raises:
        ValueError: both or neither of rate/keep_prob given, a Python rate outside [0, 1),
            or a non-float x.

    Example:
        >>> h = tf.ones([10, 10])
        >>> h = tf.nn.dropout(h, keep_prob=0.5)   # kept entries are scaled by 1 / keep_prob
        >>> sess = tf.Session()
        >>> np.unique(sess.run(h))
        array([0., 2.], dtype=float32)
    """
    from flowzero.ops import random_ops

    if keep_prob is not None and rate is not None:
        raise ValueError("dropout: give either rate or keep_prob, not both.")
    if keep_prob is None and rate is None:
        raise ValueError("dropout: you must provide a rate (or keep_prob).")
    g, scope = _scope([x, keep_prob, rate], name, "dropout")
    with g.as_default(), scope as sc:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(
                f"dropout: x has to be a floating point tensor since it is going "
                f"to be scaled; got a {x.dtype.name} tensor instead."
            )
        if keep_prob is not None and not isinstance(keep_prob, Tensor):
            keep_prob = float(keep_prob)
            if not 0 < keep_prob <= 1:
                raise ValueError(
                    f"dropout: keep_prob must be a scalar tensor or a float in "
                    f"the range (0, 1]; got {keep_prob}."
                )
            if keep_prob == 1:
                return x
            keep = convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
        elif keep_prob is not None:
            keep = cast_ops.cast(keep_prob, x.dtype)
        elif not isinstance(rate, Tensor):
            rate = float(rate)
            if not 0 <= rate < 1:
                raise ValueError(
                    f"dropout: rate must be a scalar tensor or a float in the "
                    f"range [0, 1); got {rate}."
                )
            if rate == 0:
                return x
            keep = convert_to_tensor(1.0 - rate, dtype=x.dtype, name="keep_prob")
        else:
            keep = 1 - cast_ops.cast(rate, x.dtype)
        shape = array_ops._shape_like(x) if noise_shape is None else noise_shape
        # floor(keep + U[0, 1)) is 1 with probability keep, else 0.
        mask = unary_ops.floor(keep + random_ops.random_uniform(shape, seed=seed, dtype=x.dtype))
        out = math_ops.multiply(division_ops.realdiv(x, keep), mask, name=sc)
        if noise_shape is None:
            out.set_shape(x.shape)
        return out


def _reshape_like(t: Tensor, like: Tensor) -> Tensor:
    if like.shape.is_fully_defined():
        return reshape_ops.reshape(t, like.shape.as_list())
    return reshape_ops.reshape(t, array_ops.shape(like))


def moments(
    x: Any,
    axes: Any,
    shift: Any = None,
    name: str | None = None,
    keep_dims: bool | None = None,
    keepdims: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """Mean and (biased) variance of `x` over `axes`.

    Args:
        x: a floating-point tensor.
        axes: the axes to reduce, e.g. [0] for a batch of vectors, [0, 1, 2] for NHWC images.
        shift: unused (as in TF1).
        keep_dims / keepdims: keep the reduced axes as size 1.

    Returns:
        (mean, variance). The variance divides by N, not N - 1. float16 inputs are computed in
        float32 and cast back.

    Example:
        >>> x = tf.constant([[1., 2.], [3., 6.]])
        >>> mean, var = tf.nn.moments(x, axes=[0])
        >>> sess = tf.Session()
        >>> sess.run([mean, var])
        [array([2., 4.], dtype=float32), array([1., 4.], dtype=float32)]
    """
    if keep_dims is not None and keepdims is not None:
        raise ValueError("moments: cannot specify both 'keep_dims' and 'keepdims'.")
    kd = bool(keepdims if keepdims is not None else keep_dims)
    axes = [axes] if np.isscalar(axes) else list(axes)
    g, scope = _scope([x], name, "moments")
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        y = cast_ops.cast(x, dtypes.float32) if x.dtype is dtypes.float16 else x
        mean_k = reduction_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        # d var / d mean = -2 mean(x - mean) = 0, so stopping that gradient is exact.
        sq = math_ops.squared_difference(y, control_ops.stop_gradient(mean_k))
        variance = reduction_ops.reduce_mean(sq, axes, keepdims=kd, name="variance")
        mean = mean_k if kd else _reshape_like(mean_k, variance)
        if x.dtype is dtypes.float16:
            return cast_ops.cast(mean, x.dtype), cast_ops.cast(variance, x.dtype)
        return mean, variance


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Tensor:
    """(x - mean) / sqrt(variance + variance_epsilon) * scale + offset.

    `offset` and `scale` may be None (0 and 1). mean/variance/offset/scale broadcast against
    x (for NHWC, shape [C]).
    """
    g, scope = _scope([x, mean, variance, offset, scale], name, "batchnorm")
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        inv = unary_ops.rsqrt(
            convert_to_tensor(variance, dtype=_dt(variance, x)) + variance_epsilon
        )
        if scale is not None:
            inv = inv * convert_to_tensor(scale, dtype=_dt(scale, x))
        shift = -convert_to_tensor(mean, dtype=_dt(mean, x)) * inv
        if offset is not None:
            shift = shift + convert_to_tensor(offset, dtype=_dt(offset, x))
        return x * inv + shift


def _dt(v: Any, x: Tensor) -> Any:
    """x's dtype for Python values (a Tensor keeps its own)."""
    return None if isinstance(v, Tensor) or hasattr(v, "_as_tensor") else x.dtype


def fused_batch_norm(
    x: Any,
    scale: Any,
    offset: Any = None,
    mean: Any = None,
    variance: Any = None,
    epsilon: float = 0.001,
    data_format: str = "NHWC",
    is_training: bool = True,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Batch normalization of a (4-D) tensor over all but the channel axis.

    Args:
        x: input, NHWC (channels last) or NCHW.
        scale, offset: per-channel gamma and beta, shape [C] (offset None means 0).
        mean, variance: per-channel population statistics; required when not training.
        epsilon: added to the variance (at least 1.001e-5, as TF).
        is_training: normalize with the batch's own statistics.

    Returns:
        (y, batch_mean, batch_variance). As TF, when training y uses the biased batch
        variance while the returned batch_variance is the unbiased one (times N / (N - 1)),
        ready for moving averages; when not training the given mean and variance are
        returned.
    """
    axis = _channel_axis(data_format)
    epsilon = max(float(epsilon), 1.001e-5)
    g, scope = _scope([x, scale, offset, mean, variance], name, "FusedBatchNorm")
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        nd = x.shape.ndims
        if nd is None:
            raise ValueError("fused_batch_norm: x must have a known rank.")
        axis = axis % nd
        axes = [i for i in range(nd) if i != axis]

        def per_channel(t: Tensor) -> Tensor:  # [C] -> broadcastable against x
            if axis == nd - 1:
                return t
            return reshape_ops.reshape(t, [-1] + [1] * (nd - 1 - axis))

        scale_t = convert_to_tensor(scale, dtype=_dt(scale, x))
        offset_t = None if offset is None else convert_to_tensor(offset, dtype=_dt(offset, x))
        if is_training:
            # NOTE: as TF, a given mean/variance is ignored when training.
            batch_mean, batch_var = moments(x, axes)
            y = batch_normalization(
                x,
                per_channel(batch_mean),
                per_channel(batch_var),
                None if offset_t is None else per_channel(offset_t),
                per_channel(scale_t),
                epsilon,
            )
            n_static = [x.shape.known[i] for i in axes]  # type: ignore[index]
            if all(d is not None for d in n_static):
                n = float(np.prod(n_static))
                factor: Any = n / max(n - 1.0, 1.0)
            else:
                count = reduction_ops.reduce_sum(array_ops.ones_like(x), axes)
                factor = count / math_ops.maximum(count - 1, 1)
            return y, batch_mean, batch_var * factor
        if mean is None or variance is None:
            raise ValueError(
                "fused_batch_norm: mean and variance are required when is_training=False."
            )
        mean_t = convert_to_tensor(mean, dtype=_dt(mean, x))
        var_t = convert_to_tensor(variance, dtype=_dt(variance, x))
        y = batch_normalization(
            x,
            per_channel(mean_t),
            per_channel(var_t),
            None if offset_t is None else per_channel(offset_t),
            per_channel(scale_t),
            epsilon,
        )
        return y, mean_t, var_t


def l2_normalize(
    x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None
) -> Tensor:
    """x / sqrt(max(sum(x ** 2, axis), epsilon)): unit L2 norm along `axis` (all if None)."""
    if axis is not None and dim is not None:
        raise ValueError("l2_normalize: cannot specify both 'axis' and 'dim'.")
    axis = dim if axis is None else axis
    g, scope = _scope([x], name, "l2_normalize")
    with g.as_default(), scope as sc:
        x = convert_to_tensor(x)
        square_sum = reduction_ops.reduce_sum(unary_ops.square(x), axis, keepdims=True)
        inv_norm = unary_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, inv_norm, name=sc)


def crelu(features: Any, name: str | None = None, axis: int = -1) -> Tensor:
    """Concatenated ReLU: concat([relu(x), relu(-x)], axis) (doubles that dimension)."""
    g, scope = _scope([features], name, "CRelu")
    with g.as_default(), scope:
        x = convert_to_tensor(features)
        return manip_ops.concat([relu(x), relu(unary_ops.negative(x))], axis)


def xw_plus_b(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """matmul(x, weights) + biases (biases along the last axis)."""
    g, scope = _scope([x, weights, biases], name, "xw_plus_b")
    with g.as_default(), scope as sc:
        return bias_add(linalg_ops.matmul(x, weights), biases, name=sc)


def relu_layer(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """relu(matmul(x, weights) + biases)."""
    g, scope = _scope([x, weights, biases], name, "relu_layer")
    with g.as_default(), scope as sc:
        return relu(bias_add(linalg_ops.matmul(x, weights), biases), name=sc)


def embedding_lookup(
    params: Any,
    ids: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    validate_indices: bool = True,
    max_norm: Any = None,
) -> Tensor:
    """Rows of `params` picked by `ids` (a gather on axis 0); `params` may be a one-element
    list (unpartitioned)."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError(
                "embedding_lookup: partitioned params (a list of more "
                "than one tensor) are not supported."
            )
        params = params[0]
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup: max_norm is not supported.")
    return indexing_ops.gather(params, ids, name=name or "embedding_lookup")


def weighted_moments(
    x: Any,
    axes: Any,
    frequency_weights: Any,
    name: str | None = None,
    keep_dims: bool | None = None,
    keepdims: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """Frequency-weighted mean and (biased) variance of `x` over `axes` (TF's
    tf.nn.weighted_moments): sum(w x) / sum(w), sum(w (x - mean)^2) / sum(w), with the
    weights broadcast against x."""
    kd = bool(keepdims if keepdims is not None else keep_dims)
    axes = [axes] if np.isscalar(axes) else list(axes)
    g, scope = _scope([x, frequency_weights], name, "weighted_moments")
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        w = cast_ops.cast(convert_to_tensor(frequency_weights), x.dtype)
        w_sum = reduction_ops.reduce_sum(w * array_ops.ones_like(x), axes, keepdims=True)
        divisor = division_ops.truediv(1.0, w_sum)
        mean_k = math_ops.multiply(reduction_ops.reduce_sum(w * x, axes, keepdims=True), divisor)
        dev = math_ops.squared_difference(x, control_ops.stop_gradient(mean_k))
        var_k = math_ops.multiply(reduction_ops.reduce_sum(w * dev, axes, keepdims=True), divisor)
        if kd:
            return mean_k, var_k
        return (
            reduction_ops.reduce_sum(mean_k, axes, name="mean"),
            reduction_ops.reduce_sum(var_k, axes, name="variance"),
        )


def conv1d(
    value: Any = None,
    filters: Any = None,
    stride: Any = None,
    padding: Any = None,
    use_cudnn_on_gpu: Any = None,
    data_format: str | None = None,
    name: str | None = None,
    input: Any = None,  # noqa: A002
    dilations: Any = None,  # noqa: A002
) -> Tensor:
    """1-D convolution of [batch, width, in_channels] with filters [filter_width, in_channels,
    out_channels] (NWC; "NCW" too), as TF: a conv2d over a height of 1."""
    value = input if value is None else value
    if value is None or filters is None or stride is None or padding is None:
        raise TypeError("conv1d: value, filters, stride and padding are required.")
    fmt = data_format or "NWC"
    if fmt not in ("NWC", "NCW"):
        raise ValueError(f"conv1d: data_format must be 'NWC' or 'NCW'; got {fmt!r}.")
    s = int(stride[0] if isinstance(stride, (list, tuple)) else stride)
    d = (
        1
        if dilations is None
        else int(dilations[0] if isinstance(dilations, (list, tuple)) else dilations)
    )
    g, scope = _scope([value, filters], name, "conv1d")
    with g.as_default(), scope:
        x = reshape_ops.expand_dims(convert_to_tensor(value), 1 if fmt == "NWC" else 2)
        w = reshape_ops.expand_dims(convert_to_tensor(filters), 0)
        if fmt == "NWC":
            y = conv2d(x, w, [1, 1, s, 1], padding, data_format="NHWC", dilations=[1, 1, d, 1])
            return reshape_ops.squeeze(y, [1])
        y = conv2d(x, w, [1, 1, 1, s], padding, data_format="NCHW", dilations=[1, 1, 1, d])
        return reshape_ops.squeeze(y, [2])


def swish(features: Any, name: str | None = None) -> Tensor:
    """x * sigmoid(x) (Ramachandran et al. 2017), TF's tf.nn.swish."""
    x = convert_to_tensor(features)
    return math_ops.multiply(x, sigmoid(x), name=name or "swish")


def zero_fraction(value: Any, name: str | None = None) -> Tensor:
    """The fraction of zeros in `value` (a float32 scalar), e.g. of a ReLU's outputs."""
    v = convert_to_tensor(value)
    zero = cast_ops.cast(logic_ops.equal(v, array_ops.zeros_like(v)), dtypes.float32)
    return reduction_ops.reduce_mean(zero, name=name or "zero_fraction")


__all__ = [
    "conv1d",
    "swish",
    "weighted_moments",
    "zero_fraction",
    "dropout",
    "moments",
    "batch_normalization",
    "fused_batch_norm",
    "l2_normalize",
    "crelu",
    "xw_plus_b",
    "relu_layer",
    "embedding_lookup",
]
