"""TF1's tensorflow.python.layers.utils: the argument and shape helpers that layer code (and
TF1 programs that write their own layers) import: smart_cond, constant_value,
conv_output_length, conv_input_length, deconv_output_length, normalize_tuple,
normalize_data_format, normalize_padding, convert_data_format.

Example:
    >>> from flowzero.python.layers import utils
    >>> utils.conv_output_length(28, 5, "valid", 2)
    12
    >>> x = tf.constant(3.0)
    >>> y = utils.smart_cond(True, lambda: x * 2, lambda: x)   # no tf.cond: the branch is known
    >>> print(tf.Session().run(y))
    6.0
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor
from flowzero.variables import Variable


def normalize_tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    """`value` (an int, or an iterable of n ints) as a tuple of n ints.

    Raises:
        ValueError: `value` is neither, naming the argument `name`.
    """
    if isinstance(value, (numbers.Integral, np.integer)):
        return (int(value),) * n
    try:
        out = tuple(value)
    except TypeError:
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received: {value}"
        ) from None
    if len(out) != n:
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received: {value}"
        )
    for v in out:
        if not isinstance(v, (numbers.Integral, np.integer)):
            raise ValueError(
                f"The `{name}` argument must be a tuple of {n} integers. Received: {value} "
                f"including element {v!r} of type {type(v)}"
            )
    return tuple(int(v) for v in out)


def normalize_data_format(value: str) -> str:
    """'channels_first' or 'channels_last' (any case).

    Raises:
        ValueError: any other value.
    """
    data_format = str(value).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            'The `data_format` argument must be one of "channels_first", "channels_last". '
            f"Received: {value}"
        )
    return data_format


def normalize_padding(value: str) -> str:
    """'valid' or 'same' (any case).

    Raises:
        ValueError: any other value.
    """
    padding = str(value).lower()
    if padding not in ("valid", "same"):
        raise ValueError(
            f'The `padding` argument must be one of "valid", "same". Received: {padding}'
        )
    return padding


def convert_data_format(data_format: str, ndim: int) -> str:
    """The ops' format string ('NHWC', 'NCHW', 'NWC', 'NCDHW', ...) of a layers data_format
    for inputs of rank `ndim` (3, 4 or 5).

    Raises:
        ValueError: an unknown data_format or an unsupported rank.
    """
    formats = {
        "channels_last": {3: "NWC", 4: "NHWC", 5: "NDHWC"},
        "channels_first": {3: "NCW", 4: "NCHW", 5: "NCDHW"},
    }
    if data_format not in formats:
        raise ValueError(f"Invalid data_format: {data_format}")
    if ndim not in formats[data_format]:
        raise ValueError(f"Input rank not supported: {ndim}")
    return formats[data_format][ndim]


def _check_padding(padding: str, allowed: tuple[str, ...]) -> None:
    if padding not in allowed:
        raise ValueError(f"padding must be one of {', '.join(allowed)}; got {padding!r}.")


def conv_output_length(
    input_length: int | None, filter_size: int, padding: str, stride: int, dilation: int = 1
) -> int | None:
    """The output length of a convolution along one axis ('same', 'valid' or 'full' padding);
    None for an unknown input length."""
    _check_padding(padding, ("same", "valid", "full"))
    if input_length is None:
        return None
    span = filter_size + (filter_size - 1) * (dilation - 1)
    length = {"same": input_length, "valid": input_length - span + 1}.get(
        padding, input_length + span - 1
    )
    return (length + stride - 1) // stride


def conv_input_length(
    output_length: int | None, filter_size: int, padding: str, stride: int
) -> int | None:
    """The input length that a convolution maps to `output_length` (the inverse of
    conv_output_length); None for an unknown output length."""
    _check_padding(padding, ("same", "valid", "full"))
    if output_length is None:
        return None
    pad = {"same": filter_size // 2, "valid": 0}.get(padding, filter_size - 1)
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_output_length(
    input_length: int | None, filter_size: int, padding: str, stride: int
) -> int | None:
    """The output length of a transposed convolution along one axis; None for an unknown
    input length."""
    _check_padding(padding, ("same", "valid", "full"))
    if input_length is None:
        return None
    length = input_length * stride
    if padding == "valid":
        length += max(filter_size - stride, 0)
    elif padding == "full":
        length -= stride + filter_size - 2
    return length


def _smart_constant_value(pred: Any) -> bool | None:
    if isinstance(pred, Tensor):
        from flowzero.tensor_util import get_static_value

        value = get_static_value(pred)
        return None if value is None else bool(np.asarray(value))
    if isinstance(pred, (bool, np.bool_)):
        return bool(pred)
    if isinstance(pred, (numbers.Integral, np.integer)) and pred in (0, 1):
        return bool(pred)
    raise TypeError(
        f"`pred` must be a Tensor, or a Python bool, or 1 or 0. Found instead: {type(pred)}"
    )


def constant_value(pred: Any) -> bool | None:
    """The Python bool `pred` holds when known at build time (a bool, 0 or 1, or a Tensor whose
    value is known without running anything), else None (a Variable is never known).

    Raises:
        TypeError: `pred` is none of these.
    """
    if isinstance(pred, Variable):
        return None
    return _smart_constant_value(pred)


def smart_cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    name: str | None = None,
) -> Any:
    """`true_fn()` or `false_fn()` called directly when `pred` is known at build time (see
    constant_value), else tf.cond(pred, true_fn, false_fn).

    Raises:
        TypeError: a branch that is not callable, or a `pred` of another type.
    """
    if not callable(true_fn):
        raise TypeError(f"`true_fn` must be callable; got {true_fn!r}.")
    if not callable(false_fn):
        raise TypeError(f"`false_fn` must be callable; got {false_fn!r}.")
    from flowzero.ops.control_flow_ops import cond

    if isinstance(pred, Variable):
        return cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)
    value = _smart_constant_value(pred)
    if value is None:
        return cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)
    return true_fn() if value else false_fn()


__all__ = [
    "smart_cond",
    "constant_value",
    "conv_output_length",
    "conv_input_length",
    "deconv_output_length",
    "normalize_tuple",
    "normalize_data_format",
    "normalize_padding",
    "convert_data_format",
]
