"""tf.contrib.layers' convolution, pooling, dropout, layer_norm, one_hot_encoding, repeat and
stack (TF 1.15 semantics, argument names and variable names: `Conv/weights`, `Conv/biases`,
`LayerNorm/beta`, ...). Composites of public ops only, as flowzero/contrib/layers.py; each
function takes its defaults from arg_scope (flowzero.contrib.framework).

Example:
    >>> from flowzero.contrib import layers
    >>> x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    >>> is_training = tf.placeholder(tf.bool, [])
    >>> h = layers.conv2d(x, 32, [5, 5])             # Conv/weights [5, 5, 1, 32], ReLU
    >>> h = layers.max_pool2d(h, [2, 2])
    >>> h.shape.as_list()
    [None, 14, 14, 32]
    >>> h = layers.dropout(layers.flatten(h), 0.5, is_training=is_training)
    >>> h.shape.as_list()
    [None, 6272]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flowzero.contrib.framework import add_arg_scope
from flowzero.contrib.initializers import _collect, _var_collections, xavier_initializer
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.layers.base import _bias_add
from flowzero.layers.core import Dropout
from flowzero.layers.utils import deconv_output_length, normalize_tuple
from flowzero.ops import activation_ops
from flowzero.variables import get_variable, ones_initializer, variable_scope, zeros_initializer

_RELU = "relu"  # TF's default activation_fn (tf.nn.relu), resolved at call time


def _nn() -> Any:
    from flowzero import nn

    return nn


def _data_format(data_format: str | None) -> str:
    if data_format in (None, "NHWC"):
        return "NHWC"
    if data_format == "NCHW":
        return "NCHW"
    raise ValueError(f"data_format has to be either NCHW or NHWC; got {data_format!r}.")


def _input_4d(inputs: Any, what: str) -> Tensor:
    x = convert_to_tensor(inputs)
    if x.shape.ndims != 4:
        raise ValueError(
            f"{what}: the inputs must be a 4-D tensor [batch, height, width, channels]; got "
            f"{x.name} of shape {x.shape}."
        )
    return x


class _Common(NamedTuple):
    """The arguments every contrib conv layer takes after its geometry, as TF names them."""

    activation_fn: Any
    normalizer_fn: Any
    normalizer_params: Any
    weights_initializer: Any
    weights_regularizer: Any
    biases_initializer: Any
    biases_regularizer: Any
    reuse: Any
    variables_collections: Any
    outputs_collections: Any
    trainable: bool
    scope: str | None


def _conv_layer(
    what: str,
    default_scope: str,
    inputs: Any,
    num_outputs: int,
    kernel_size: Any,
    stride: Any,
    data_format: str | None,
    weights_shape: Callable[[int, int, int], list[int]],
    build: Callable[[Tensor, Any, str, tuple[int, int], tuple[int, int]], Tensor],
    a: _Common,
) -> Tensor:
    """A contrib conv layer: its `weights` variable (weights_shape(kh, kw, in channels),
    Xavier by default) in scope `default_scope`, `build(x, weights, data format, kernel size,
    stride)`, then normalizer_fn or the biases, then activation_fn."""
    fmt = _data_format(data_format)
    x = _input_4d(inputs, what)
    in_ch = x.shape[1 if fmt == "NCHW" else 3].value
    if in_ch is None:
        raise ValueError(f"{what}: the channels of the inputs must be defined; got {x.shape}.")
    kh, kw = normalize_tuple(kernel_size, 2, "kernel_size")
    sh, sw = normalize_tuple(stride, 2, "stride")
    return _weighted_layer(
        x,
        default_scope,
        weights_shape(kh, kw, in_ch),
        lambda x, w: build(x, w, fmt, (kh, kw), (sh, sw)),
        num_outputs,
        fmt,
        a,
    )


def _weighted_layer(
    x: Tensor,
    default_scope: str,
    weights_shape: list[int],
    build: Callable[[Tensor, Any], Tensor],
    num_outputs: int,
    data_format: str,
    a: _Common,
) -> Tensor:
    """What every contrib layer with weights does (conv2d, conv2d_transpose,
    fully_connected): in scope `default_scope`, its `weights` variable (Xavier by default),
    `build(x, weights)`, then normalizer_fn or the `biases`, then activation_fn; the output
    goes to outputs_collections."""
    biases_initializer = a.biases_initializer
    if biases_initializer == "zeros":
        biases_initializer = zeros_initializer()
    cols = _var_collections(a.variables_collections)
    with variable_scope(a.scope, default_name=default_scope, reuse=a.reuse) as sc:
        w = get_variable(
            "weights",
            weights_shape,
            dtype=x.dtype,
            initializer=a.weights_initializer or xavier_initializer(),
            regularizer=a.weights_regularizer,
            trainable=a.trainable,
            collections=cols,
        )
        out = build(x, w)
        if a.normalizer_fn is not None:
            out = a.normalizer_fn(out, **(a.normalizer_params or {}))
        elif biases_initializer is not None:
            b = get_variable(
                "biases",
                [num_outputs],
                dtype=x.dtype,
                initializer=biases_initializer,
                regularizer=a.biases_regularizer,
                trainable=a.trainable,
                collections=cols,
            )
            out = _bias_add(out, b, data_format)
        activation_fn = activation_ops.relu if a.activation_fn == _RELU else a.activation_fn
        if activation_fn is not None:
            out = activation_fn(out)
    _collect(a.outputs_collections, out, alias=sc.original_name_scope)
    return out


@add_arg_scope
def dropout(
    inputs: Any,
    keep_prob: Any = 0.5,
    noise_shape: Any = None,
    is_training: Any = True,
    outputs_collections: Any = None,
    scope: str | None = None,
    seed: int | None = None,
) -> Tensor:
    """Keeps each input with probability `keep_prob` (scaled by 1 / keep_prob) when
    `is_training` (a Python bool or a bool Tensor); the identity otherwise. Scope "Dropout"."""
    with variable_scope(scope, default_name="Dropout") as sc:
        x = convert_to_tensor(inputs)
        layer = Dropout(rate=1 - keep_prob, noise_shape=noise_shape, seed=seed, name=sc.name)
        out = layer(x, training=is_training)
    _collect(outputs_collections, out)
    return out


@add_arg_scope
def convolution2d(
    inputs: Any,
    num_outputs: int,
    kernel_size: Any,
    stride: Any = 1,
    padding: str = "SAME",
    data_format: str | None = None,
    rate: Any = 1,
    activation_fn: Any = _RELU,
    normalizer_fn: Any = None,
    normalizer_params: Any = None,
    weights_initializer: Any = None,
    weights_regularizer: Any = None,
    biases_initializer: Any = "zeros",
    biases_regularizer: Any = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    scope: str | None = None,
) -> Tensor:
    """contrib's 2-D convolution: variables `Conv/weights` [kh, kw, in, num_outputs] (Xavier)
    and `Conv/biases` (zeros; none with a normalizer_fn or biases_initializer=None), atrous with
    rate > 1, then activation_fn (tf.nn.relu by default; None for a linear layer).

    Raises:
        ValueError: inputs not 4-D or of unknown channels, or a bad data_format.
    """
    rh, rw = normalize_tuple(rate, 2, "rate")

    def build(x: Tensor, w: Any, fmt: str, _: Any, stride: tuple[int, int]) -> Tensor:
        (sh, sw), nchw = stride, fmt == "NCHW"
        strides = [1, 1, sh, sw] if nchw else [1, sh, sw, 1]
        dil = [1, 1, rh, rw] if nchw else [1, rh, rw, 1]
        return _nn().conv2d(
            x, w, strides, padding.upper(), data_format=fmt, dilations=dil, name="Conv2D"
        )

    common = _Common(
        activation_fn, normalizer_fn, normalizer_params, weights_initializer,
        weights_regularizer, biases_initializer, biases_regularizer, reuse,
        variables_collections, outputs_collections, trainable, scope,
    )  # fmt: skip
    return _conv_layer(
        "conv2d",
        "Conv",
        inputs,
        num_outputs,
        kernel_size,
        stride,
        data_format,
        lambda kh, kw, c: [kh, kw, c, num_outputs],
        build,
        common,
    )


conv2d = convolution2d
convolution = convolution2d


@add_arg_scope
def convolution2d_transpose(
    inputs: Any,
    num_outputs: int,
    kernel_size: Any,
    stride: Any = 1,
    padding: str = "SAME",
    data_format: str = "NHWC",
    activation_fn: Any = _RELU,
    normalizer_fn: Any = None,
    normalizer_params: Any = None,
    weights_initializer: Any = None,
    weights_regularizer: Any = None,
    biases_initializer: Any = "zeros",
    biases_regularizer: Any = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    scope: str | None = None,
) -> Tensor:
    """contrib's transposed 2-D convolution: variables `Conv2d_transpose/weights`
    [kh, kw, num_outputs, in] and `.../biases`; the output size is TF's
    deconv_output_length of each spatial size (a dynamic batch size is kept dynamic).

    Raises:
        ValueError: inputs not 4-D or of unknown channels, or a bad data_format.
    """
    pad = padding.lower()

    def build(
        x: Tensor, w: Any, fmt: str, kernel: tuple[int, int], stride: tuple[int, int]
    ) -> Tensor:
        from flowzero import shape as _shape
        from flowzero import stack as _stack

        (kh, kw), (sh, sw), nchw = kernel, stride, fmt == "NCHW"
        h_axis, w_axis = (2, 3) if nchw else (1, 2)
        dyn = _shape(x)
        sizes = []
        for axis, k, s in ((h_axis, kh, sh), (w_axis, kw, sw)):
            n = x.shape[axis].value
            sizes.append(
                deconv_output_length(n, k, pad, s)
                if n is not None
                else dyn[axis] * s + (max(k - s, 0) if pad == "valid" else 0)
            )
        dims = [dyn[0], num_outputs, *sizes] if nchw else [dyn[0], *sizes, num_outputs]
        strides = [1, 1, sh, sw] if nchw else [1, sh, sw, 1]
        return _nn().conv2d_transpose(
            x, w, _stack(dims), strides, padding.upper(), data_format=fmt, name="conv2d_transpose"
        )

    common = _Common(
        activation_fn, normalizer_fn, normalizer_params, weights_initializer,
        weights_regularizer, biases_initializer, biases_regularizer, reuse,
        variables_collections, outputs_collections, trainable, scope,
    )  # fmt: skip
    return _conv_layer(
        "conv2d_transpose",
        "Conv2d_transpose",
        inputs,
        num_outputs,
        kernel_size,
        stride,
        data_format,
        lambda kh, kw, c: [kh, kw, num_outputs, c],
        build,
        common,
    )


conv2d_transpose = convolution2d_transpose


def _pool(
    kind: str,
    inputs: Any,
    kernel_size: Any,
    stride: Any,
    padding: str,
    data_format: str,
    outputs_collections: Any,
    scope: str | None,
) -> Tensor:
    fmt = _data_format(data_format)
    x = _input_4d(inputs, kind)
    kh, kw = normalize_tuple(kernel_size, 2, "kernel_size")
    sh, sw = normalize_tuple(stride, 2, "stride")
    ksize = [1, 1, kh, kw] if fmt == "NCHW" else [1, kh, kw, 1]
    strides = [1, 1, sh, sw] if fmt == "NCHW" else [1, sh, sw, 1]
    pool = _nn().max_pool if kind == "MaxPool2D" else _nn().avg_pool
    with name_scope(scope, kind):
        out = pool(x, ksize, strides, padding.upper(), data_format=fmt)
    _collect(outputs_collections, out)
    return out


@add_arg_scope
def max_pool2d(
    inputs: Any,
    kernel_size: Any,
    stride: Any = 2,
    padding: str = "VALID",
    data_format: str = "NHWC",
    outputs_collections: Any = None,
    scope: str | None = None,
) -> Tensor:
    """2-D max pooling (name scope "MaxPool2D"); kernel_size and stride are an int or a pair."""
    return _pool(
        "MaxPool2D", inputs, kernel_size, stride, padding, data_format, outputs_collections, scope
    )


@add_arg_scope
def avg_pool2d(
    inputs: Any,
    kernel_size: Any,
    stride: Any = 2,
    padding: str = "VALID",
    data_format: str = "NHWC",
    outputs_collections: Any = None,
    scope: str | None = None,
) -> Tensor:
    """2-D average pooling (name scope "AvgPool2D"); kernel_size and stride are an int or a
    pair."""
    return _pool(
        "AvgPool2D", inputs, kernel_size, stride, padding, data_format, outputs_collections, scope
    )


@add_arg_scope
def one_hot_encoding(
    labels: Any,
    num_classes: int,
    on_value: float = 1.0,
    off_value: float = 0.0,
    outputs_collections: Any = None,
    scope: str | None = None,
) -> Tensor:
    """tf.one_hot of integer `labels` (name scope "OneHotEncoding"), float32 on/off values."""
    from flowzero import one_hot

    with name_scope(scope, "OneHotEncoding"):
        labels = convert_to_tensor(labels)
        out = one_hot(labels, num_classes, on_value=on_value, off_value=off_value)
    _collect(outputs_collections, out)
    return out


@add_arg_scope
def layer_norm(
    inputs: Any,
    center: bool = True,
    scale: bool = True,
    activation_fn: Any = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    begin_norm_axis: int = 1,
    begin_params_axis: int = -1,
    scope: str | None = None,
) -> Tensor:
    """Layer normalization (Ba et al. 2016): normalizes over the axes from begin_norm_axis on,
    then scales by `LayerNorm/gamma` and shifts by `LayerNorm/beta`, both of the shape
    inputs.shape[begin_params_axis:] (variance epsilon 1e-12, as TF).

    Raises:
        ValueError: inputs of unknown rank, axes out of range, or undefined parameter dims.
    """
    x = convert_to_tensor(inputs)
    rank = x.shape.ndims
    if rank is None:
        raise ValueError(f"layer_norm: inputs {x.name} has undefined rank.")
    norm_axis = begin_norm_axis + rank if begin_norm_axis < 0 else begin_norm_axis
    params_axis = begin_params_axis + rank if begin_params_axis < 0 else begin_params_axis
    if not (0 <= norm_axis < rank and 0 <= params_axis < rank):
        raise ValueError(
            f"layer_norm: begin_params_axis ({begin_params_axis}) and begin_norm_axis "
            f"({begin_norm_axis}) must be < rank(inputs) ({rank})"
        )
    params_shape = x.shape[params_axis:]
    if not params_shape.is_fully_defined():
        raise ValueError(
            f"layer_norm: inputs {x.name} has undefined dimensions {x.shape} at "
            f"begin_params_axis {begin_params_axis}."
        )
    cols = _var_collections(variables_collections)
    with variable_scope(scope, default_name="LayerNorm", reuse=reuse) as sc:
        dims = params_shape.as_list()
        beta = gamma = None
        if center:
            beta = get_variable(
                "beta", dims, x.dtype, zeros_initializer(), trainable=trainable, collections=cols
            )
        if scale:
            gamma = get_variable(
                "gamma", dims, x.dtype, ones_initializer(), trainable=trainable, collections=cols
            )
        nn = _nn()
        mean, variance = nn.moments(x, list(range(norm_axis, rank)), keep_dims=True)
        out = nn.batch_normalization(x, mean, variance, beta, gamma, 1e-12)
        if activation_fn is not None:
            out = activation_fn(out)
    _collect(outputs_collections, out, alias=sc.original_name_scope)
    return out


def _layer_name(layer: Any, default: str) -> str:
    if hasattr(layer, "__name__"):
        return layer.__name__
    func = getattr(layer, "func", None)  # a functools.partial
    return getattr(func, "__name__", default)


def repeat(inputs: Any, repetitions: int, layer: Any, *args: Any, **kwargs: Any) -> Any:
    """Applies `layer(outputs, *args, **kwargs)` `repetitions` times, the i-th in scope
    `<scope>/<scope>_<i>` (scope defaults to the layer's name, inside "Repeat")."""
    scope = kwargs.pop("scope", None)
    with variable_scope(scope, default_name="Repeat"):
        outputs = convert_to_tensor(inputs)
        base = scope if scope is not None else _layer_name(layer, "repeat")
        for i in range(repetitions):
            kwargs["scope"] = f"{base}_{i + 1}"
            outputs = layer(outputs, *args, **kwargs)
    return outputs


def stack(inputs: Any, layer: Any, stack_args: Any, **kwargs: Any) -> Any:
    """Applies `layer` once per entry of `stack_args` (each a tuple of extra positional args, or
    one arg), the i-th in scope `<scope>_<i>` (scope defaults to the layer's name, inside
    "Stack"): stack(x, fully_connected, [32, 64, 128], scope="fc").

    Raises:
        ValueError: stack_args is not a list or tuple.
    """
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    with variable_scope(scope, default_name="Stack"):
        outputs = convert_to_tensor(inputs)
        base = scope if scope is not None else _layer_name(layer, "stack")
        for i, layer_args in enumerate(stack_args):
            kwargs["scope"] = f"{base}_{i + 1}"
            if not isinstance(layer_args, (list, tuple)):
                layer_args = [layer_args]
            outputs = layer(outputs, *layer_args, **kwargs)
    return outputs


__all__ = [
    "dropout",
    "conv2d",
    "convolution",
    "convolution2d",
    "conv2d_transpose",
    "convolution2d_transpose",
    "max_pool2d",
    "avg_pool2d",
    "one_hot_encoding",
    "layer_norm",
    "repeat",
    "stack",
]
