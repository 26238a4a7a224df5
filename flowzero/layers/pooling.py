"""Pooling layers: MaxPooling2D, AveragePooling2D (aliases MaxPool2D, AvgPool2D) and their
functions."""

from __future__ import annotations

from typing import Any

from flowzero.framework.graph import Tensor
from flowzero.layers.base import Layer, _data_format, _padding, _tuple


# -- pooling -----------------------------------------------------------------------------------
class _Pooling2D(Layer):
    _op = ""

    def __init__(
        self,
        pool_size: Any,
        strides: Any,
        padding: str = "valid",
        data_format: str = "channels_last",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = _tuple(pool_size, 2, "pool_size")
        self.strides = _tuple(strides, 2, "strides")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)

    def call(self, inputs: Tensor) -> Tensor:
        from flowzero.ops import pool_ops

        fn = pool_ops.max_pool if self._op == "MaxPool" else pool_ops.avg_pool
        return fn(
            inputs,
            ksize=list(self.pool_size),
            strides=list(self.strides),
            padding=self.padding,
            data_format=self.data_format,
            name=self._op,
        )


class MaxPooling2D(_Pooling2D):
    """Max pooling over height and width (scope "max_pooling2d")."""

    _base_name, _op = "max_pooling2d", "MaxPool"


class AveragePooling2D(_Pooling2D):
    """Average pooling over height and width (scope "average_pooling2d")."""

    _base_name, _op = "average_pooling2d", "AvgPool"


def max_pooling2d(
    inputs: Any,
    pool_size: Any,
    strides: Any,
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Tensor:
    """Max pooling: pool_size and strides are an int or 2 ints; padding 'valid' or 'same'.

    Example:
        >>> h = tf.placeholder(tf.float32, [None, 28, 28, 32])
        >>> tf.layers.max_pooling2d(h, pool_size=2, strides=2).shape
        TensorShape([None, 14, 14, 32])
    """
    return MaxPooling2D(pool_size, strides, padding, data_format, name)(inputs)


def average_pooling2d(
    inputs: Any,
    pool_size: Any,
    strides: Any,
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Tensor:
    """Average pooling; arguments as max_pooling2d."""
    return AveragePooling2D(pool_size, strides, padding, data_format, name)(inputs)


# TF1's alternative class names.
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D

__all__ = [
    "MaxPooling2D",
    "MaxPool2D",
    "AveragePooling2D",
    "AvgPool2D",
    "max_pooling2d",
    "average_pooling2d",
]
