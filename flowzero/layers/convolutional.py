"""Convolution layers: Conv2D (alias Convolution2D) and conv2d."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.layers.base import _ZEROS, Layer, _bias_add, _data_format, _padding, _tuple
from flowzero.ops import activation_ops
from flowzero.variables import Variable


# -- conv2d ------------------------------------------------------------------------------------
class Conv2D(Layer):
    """2-D convolution layer: `activation(conv2d(inputs, kernel) + bias)`.

    Variables: `kernel` [kh, kw, in_channels, filters] and `bias` [filters], scope "conv2d".
    """

    _base_name = "conv2d"

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str = "channels_last",
                 dilation_rate: Any = (1, 1), activation: Callable[[Any], Any] | None = None,
                 use_bias: bool = True, kernel_initializer: Any = None,
                 bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.strides = _tuple(strides, 2, "strides")
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)
        self.activation = activation_ops.resolve(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel: Variable | None = None
        self.bias: Variable | None = None

    def build(self, input_shape: TensorShape) -> None:
        if input_shape.ndims is not None and input_shape.ndims != 4:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim=4, found ndim={input_shape.ndims}. Full shape "
                             f"received: {input_shape}")
        axis = 1 if self.data_format == "NCHW" else -1
        channels = input_shape[axis].value if input_shape.ndims else None
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found "
                             f"`None`. (layer '{self.name}', inputs of shape {input_shape})")
        self.kernel = self.add_weight("kernel", [*self.kernel_size, channels, self.filters],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def call(self, inputs: Tensor) -> Tensor:
        from flowzero.ops import conv_ops

        out = conv_ops.conv2d(inputs, self.kernel, strides=list(self.strides),
                              padding=self.padding, data_format=self.data_format,
                              dilations=list(self.dilation_rate), name="Conv2D")
        if self.bias is not None:
            out = _bias_add(out, self.bias, data_format=self.data_format)
        return self.activation(out) if self.activation is not None else out


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
           padding: str = "valid", data_format: str = "channels_last",
           dilation_rate: Any = (1, 1), activation: Callable[[Any], Any] | None = None,
           use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
           bias_regularizer: Any = None, activity_regularizer: Any = None,
           kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
           name: str | None = None, reuse: Any = None) -> Tensor:
    """Functional 2-D convolution layer.

    Args:
        inputs: 4-D tensor, [batch, height, width, channels] ('channels_last') or [batch,
            channels, height, width] ('channels_first'); channels must be known.
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or 2 ints.
        padding: 'valid' or 'same' (case-insensitive).
        Others: as dense.

    Example:
        >>> h = tf.layers.conv2d(images, 32, 5, padding="same", activation=tf.nn.relu)
    """
    layer = Conv2D(filters, kernel_size, strides, padding, data_format, dilation_rate,
                   activation, use_bias, kernel_initializer, bias_initializer,
                   kernel_regularizer, bias_regularizer, activity_regularizer,
                   kernel_constraint, bias_constraint, trainable, name, _reuse=reuse)
    return layer(inputs)


# TF1's alternative class name.
Convolution2D = Conv2D

__all__ = ["Conv2D", "Convolution2D", "conv2d"]
