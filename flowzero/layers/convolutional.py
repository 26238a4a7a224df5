"""Convolution layers: Conv2D (alias Convolution2D) and conv2d; Conv2DTranspose (alias
Convolution2DTranspose) and conv2d_transpose; SeparableConv2D and separable_conv2d."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.layers.base import _ZEROS, _data_format, _KernelLayer, _padding, _tuple
from flowzero.ops import array_ops, conv_ops, depthwise_conv_ops
from flowzero.variables import Variable


# -- conv2d ------------------------------------------------------------------------------------
class Conv2D(_KernelLayer):
    """2-D convolution layer: `activation(conv2d(inputs, kernel) + bias)`.

    Variables: `kernel` [kh, kw, in_channels, filters] and `bias` [filters], scope "conv2d".
    """

    _base_name = "conv2d"

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str = "channels_last",
        dilation_rate: Any = (1, 1),
        activation: Callable[[Any], Any] | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = _ZEROS,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            trainable,
            name,
            **kwargs,
        )
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.strides = _tuple(strides, 2, "strides")
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)

    def build(self, input_shape: TensorShape) -> None:
        if input_shape.ndims is not None and input_shape.ndims != 4:
            raise ValueError(
                f"Input 0 of layer {self.name} is incompatible with the layer: "
                f"expected ndim=4, found ndim={input_shape.ndims}. Full shape "
                f"received: {input_shape}"
            )
        axis = 1 if self.data_format == "NCHW" else -1
        channels = input_shape[axis].value if input_shape.ndims else None
        if channels is None:
            raise ValueError(
                "The channel dimension of the inputs should be defined. Found "
                f"`None`. (layer '{self.name}', inputs of shape {input_shape})"
            )
        self._build_kernel_and_bias(self._kernel_shape(channels), self.filters)

    def _kernel_shape(self, channels: int) -> list[int]:
        return [*self.kernel_size, channels, self.filters]

    def call(self, inputs: Tensor) -> Tensor:
        out = conv_ops.conv2d(
            inputs,
            self.kernel,
            strides=list(self.strides),
            padding=self.padding,
            data_format=self.data_format,
            dilations=list(self.dilation_rate),
            name="Conv2D",
        )
        return self._bias_and_activation(out, self.data_format)


def conv2d(
    inputs: Any,
    filters: int,
    kernel_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: Any = (1, 1),
    activation: Callable[[Any], Any] | None = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = _ZEROS,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Functional 2-D convolution layer.

    Args:
        inputs: 4-D tensor, [batch, height, width, channels] ('channels_last') or [batch,
            channels, height, width] ('channels_first'); channels must be known.
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or 2 ints.
        padding: 'valid' or 'same' (case-insensitive).
        Others: as dense.

    Example:
        >>> images = tf.placeholder(tf.float32, [None, 28, 28, 1])
        >>> h = tf.layers.conv2d(images, 32, 5, padding="same", activation=tf.nn.relu)
        >>> h.shape
        TensorShape([None, 28, 28, 32])
    """
    layer = Conv2D(
        filters,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        activation,
        use_bias,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer,
        bias_regularizer,
        activity_regularizer,
        kernel_constraint,
        bias_constraint,
        trainable,
        name,
        _reuse=reuse,
    )
    return layer(inputs)


# -- conv2d_transpose --------------------------------------------------------------------------
def _deconv_length(size: Any, kernel: int, stride: int, padding: str) -> Any:
    """The output length of a transposed convolution along one axis (TF's deconv rule)."""
    if padding == "VALID":
        return size * stride + max(kernel - stride, 0)
    return size * stride


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution layer ("deconvolution"): the gradient of a conv2d with respect
    to its input, plus a bias and an activation.

    Variables: `kernel` [kh, kw, filters, in_channels] (note the order, as TF) and `bias`
    [filters], scope "conv2d_transpose". The output is `in * stride` per spatial axis for
    'same' padding, `in * stride + max(kernel - stride, 0)` for 'valid'.
    """

    _base_name = "conv2d_transpose"

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str = "channels_last",
        activation: Callable[[Any], Any] | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = None,
        bias_initializer: Any = _ZEROS,
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            (1, 1),
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            trainable,
            name,
            **kwargs,
        )

    def _kernel_shape(self, channels: int) -> list[int]:
        return [*self.kernel_size, self.filters, channels]

    def call(self, inputs: Tensor) -> Tensor:
        nchw = self.data_format == "NCHW"
        h_axis, w_axis = (2, 3) if nchw else (1, 2)
        dyn = array_ops.shape(inputs)
        static = inputs.shape.as_list()

        def dim(axis: int) -> Any:
            return static[axis] if static[axis] is not None else dyn[axis]

        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        out_h = _deconv_length(dim(h_axis), kh, sh, self.padding)
        out_w = _deconv_length(dim(w_axis), kw, sw, self.padding)
        batch = dyn[0]
        dims = [batch, self.filters, out_h, out_w] if nchw else [batch, out_h, out_w, self.filters]
        strides = [1, 1, sh, sw] if nchw else [1, sh, sw, 1]
        out = conv_ops.conv2d_transpose(
            inputs,
            self.kernel,
            array_ops.stack(dims),
            strides,
            padding=self.padding,
            data_format=self.data_format,
            name="conv2d_transpose",
        )
        known = [
            static[0],
            *([self.filters] if nchw else []),
            out_h if isinstance(out_h, int) else None,
            out_w if isinstance(out_w, int) else None,
            *([] if nchw else [self.filters]),
        ]
        out.set_shape(known)
        return self._bias_and_activation(out, self.data_format)


def conv2d_transpose(
    inputs: Any,
    filters: int,
    kernel_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    activation: Callable[[Any], Any] | None = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = _ZEROS,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Functional transposed 2-D convolution layer (the generator's upsampling in a DCGAN).

    Args:
        inputs: 4-D tensor with known channels (see conv2d).
        filters: number of output channels.
        kernel_size, strides: an int or 2 ints.
        padding: 'valid' or 'same'; the output is `in * stride` ('same') or
            `in * stride + max(kernel - stride, 0)` ('valid') per spatial axis.
        Others: as conv2d.

    Example:
        >>> h = tf.placeholder(tf.float32, [None, 7, 7, 128])
        >>> up = tf.layers.conv2d_transpose(h, 64, 5, strides=2, padding="same")  # 7x7 -> 14x14
        >>> up.shape
        TensorShape([None, 14, 14, 64])
    """
    layer = Conv2DTranspose(
        filters,
        kernel_size,
        strides,
        padding,
        data_format,
        activation,
        use_bias,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer,
        bias_regularizer,
        activity_regularizer,
        kernel_constraint,
        bias_constraint,
        trainable,
        name,
        _reuse=reuse,
    )
    return layer(inputs)


# -- separable_conv2d --------------------------------------------------------------------------
class SeparableConv2D(Conv2D):
    """Depthwise-separable 2-D convolution layer: a depthwise convolution (each input channel
    with `depth_multiplier` filters), then a 1x1 convolution to `filters` channels, bias and
    activation.

    Variables: `depthwise_kernel` [kh, kw, in_channels, depth_multiplier], `pointwise_kernel`
    [1, 1, in_channels * depth_multiplier, filters] and `bias`, scope "separable_conv2d".
    """

    _base_name = "separable_conv2d"

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str = "channels_last",
        dilation_rate: Any = (1, 1),
        depth_multiplier: int = 1,
        activation: Callable[[Any], Any] | None = None,
        use_bias: bool = True,
        depthwise_initializer: Any = None,
        pointwise_initializer: Any = None,
        bias_initializer: Any = _ZEROS,
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        trainable: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            None,
            bias_initializer,
            None,
            bias_regularizer,
            activity_regularizer,
            None,
            bias_constraint,
            trainable,
            name,
            **kwargs,
        )
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer, self.pointwise_initializer = (
            depthwise_initializer,
            pointwise_initializer,
        )
        self.depthwise_regularizer, self.pointwise_regularizer = (
            depthwise_regularizer,
            pointwise_regularizer,
        )
        self.depthwise_constraint, self.pointwise_constraint = (
            depthwise_constraint,
            pointwise_constraint,
        )
        self.depthwise_kernel: Variable | None = None
        self.pointwise_kernel: Variable | None = None

    def build(self, input_shape: TensorShape) -> None:
        axis = 1 if self.data_format == "NCHW" else -1
        if input_shape.ndims != 4 or input_shape[axis].value is None:
            raise ValueError(
                f"Inputs to layer {self.name} must be 4-D with known channels; got {input_shape}."
            )
        channels = input_shape[axis].value
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel",
            [*self.kernel_size, channels, self.depth_multiplier],
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            [1, 1, channels * self.depth_multiplier, self.filters],
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._build_bias(self.filters)

    def call(self, inputs: Tensor) -> Tensor:
        nchw = self.data_format == "NCHW"
        sh, sw = self.strides
        strides = [1, 1, sh, sw] if nchw else [1, sh, sw, 1]
        out = depthwise_conv_ops.separable_conv2d(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides,
            self.padding,
            rate=list(self.dilation_rate),
            data_format=self.data_format,
        )
        return self._bias_and_activation(out, self.data_format)


def separable_conv2d(
    inputs: Any,
    filters: int,
    kernel_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: Any = (1, 1),
    depth_multiplier: int = 1,
    activation: Callable[[Any], Any] | None = None,
    use_bias: bool = True,
    depthwise_initializer: Any = None,
    pointwise_initializer: Any = None,
    bias_initializer: Any = _ZEROS,
    depthwise_regularizer: Any = None,
    pointwise_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    depthwise_constraint: Any = None,
    pointwise_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Functional depthwise-separable convolution layer (MobileNet's block).

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 32, 32, 16])
        >>> h = tf.layers.separable_conv2d(x, 64, 3, padding="same", activation=tf.nn.relu)
        >>> h.shape
        TensorShape([None, 32, 32, 64])
    """
    layer = SeparableConv2D(
        filters,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        depth_multiplier,
        activation,
        use_bias,
        depthwise_initializer,
        pointwise_initializer,
        bias_initializer,
        depthwise_regularizer,
        pointwise_regularizer,
        bias_regularizer,
        activity_regularizer,
        depthwise_constraint,
        pointwise_constraint,
        bias_constraint,
        trainable,
        name,
        _reuse=reuse,
    )
    return layer(inputs)


# TF1's alternative class names.
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D

__all__ = [
    "Conv2D",
    "Convolution2D",
    "conv2d",
    "Conv2DTranspose",
    "Convolution2DTranspose",
    "conv2d_transpose",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "separable_conv2d",
]
