"""tf.image's colour-space functions (composites, so gradients flow): rgb_to_hsv/hsv_to_rgb,
rgb_to_yiq/yiq_to_rgb, rgb_to_yuv/yuv_to_rgb, adjust_hue/adjust_saturation and their random_
forms. Images are [..., 3] floats in [0, 1] (adjust_* also take integer images, converted to
float and back as TF does).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.ops import (
    array_ops,
    cast_ops,
    division_ops,
    indexing_ops,
    linalg_ops,
    logic_ops,
    math_ops,
    random_ops,
    reduction_ops,
)

# TF's conversion matrices (rows: input channel, columns: output channel).
_RGB_TO_YIQ = [
    [0.299, 0.59590059, 0.2115],
    [0.587, -0.27455667, -0.52273617],
    [0.114, -0.32134392, 0.31119955],
]
_YIQ_TO_RGB = [
    [1, 1, 1],
    [0.95598634, -0.27201283, -1.10674021],
    [0.6208248, -0.64720424, 1.70423049],
]
_RGB_TO_YUV = [
    [0.299, -0.14714119, 0.61497538],
    [0.587, -0.28886916, -0.51496512],
    [0.114, 0.43601035, -0.10001026],
]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _rgb(images: Any, fn: str, what: str = "images") -> Tensor:
    x = convert_to_tensor(images, name=what)
    if x.dtype.np.kind != "f":
        raise TypeError(f"{fn}: {what} must be a floating-point tensor; got {x.dtype.name}.")
    if x.shape.ndims == 0 or (x.shape.ndims is not None and x.shape[-1].value not in (None, 3)):
        raise ValueError(f"{fn}: the last dimension of {what} must be 3; got {x.shape}.")
    return x


def _linear(images: Any, kernel: list[list[float]], fn: str, name: str | None) -> Tensor:
    with name_scope(name, fn):
        x = _rgb(images, fn)
        k = array_ops.constant(np.asarray(kernel, dtype=x.dtype.np), name="kernel")
        return (
            linalg_ops.tensordot(x, k, axes=[[-1], [0]])
            if x.shape.ndims is None
            else (linalg_ops.tensordot(x, k, axes=[[x.shape.ndims - 1], [0]]))
        )


def rgb_to_yiq(images: Any, name: str | None = None) -> Tensor:
    """RGB to YIQ: Y in [0, 1], I in [-0.5957, 0.5957], Q in [-0.5226, 0.5226]."""
    return _linear(images, _RGB_TO_YIQ, "rgb_to_yiq", name)


def yiq_to_rgb(images: Any, name: str | None = None) -> Tensor:
    """YIQ to RGB (the inverse of rgb_to_yiq)."""
    return _linear(images, _YIQ_TO_RGB, "yiq_to_rgb", name)


def rgb_to_yuv(images: Any, name: str | None = None) -> Tensor:
    """RGB to YUV: Y in [0, 1], U in [-0.436, 0.436], V in [-0.615, 0.615]."""
    return _linear(images, _RGB_TO_YUV, "rgb_to_yuv", name)


def yuv_to_rgb(images: Any, name: str | None = None) -> Tensor:
    """YUV to RGB (the inverse of rgb_to_yuv)."""
    return _linear(images, _YUV_TO_RGB, "yuv_to_rgb", name)


def _channels(x: Tensor) -> list[Tensor]:
    return [x[..., i] for i in range(3)]


def rgb_to_hsv(images: Any, name: str | None = None) -> Tensor:
    """RGB to HSV, each in [0, 1]: v = max, s = (max - min) / max (0 for black), h the hue
    as a fraction of the circle (0 for greys), as TF's RGBToHSV kernel.

    Example:
        >>> img = tf.constant([[1.0, 0.0, 0.0], [0.0, 0.0, 0.5]])   # red, dark blue
        >>> hsv = tf.image.rgb_to_hsv(img)    # img: float [..., 3] in [0, 1]
        >>> sess = tf.Session()
        >>> sess.run(hsv)
        array([[0.       , 1.       , 1.       ],
               [0.6666667, 1.       , 0.5      ]], dtype=float32)
    """
    with name_scope(name, "rgb_to_hsv"):
        x = _rgb(images, "rgb_to_hsv")
        r, g, b = _channels(x)
        v = reduction_ops.reduce_max(x, -1)
        rng = v - reduction_ops.reduce_min(x, -1)
        zero, one = array_ops.zeros_like(v), array_ops.ones_like(v)
        # Safe denominators: the unselected branch of a where must not be inf/nan (gradients).
        s = rng / indexing_ops.where(v > 0, v, one)
        pos = rng > 0
        d6 = 6 * indexing_ops.where(pos, rng, one)
        h = indexing_ops.where(
            logic_ops.equal(r, v),
            (g - b) / d6,
            indexing_ops.where(logic_ops.equal(g, v), (b - r) / d6 + 2 / 6, (r - g) / d6 + 4 / 6),
        )
        h = indexing_ops.where(pos, h, zero)
        h = indexing_ops.where(h < 0, h + 1, h)
        return array_ops.stack([h, s, v], axis=-1)


def hsv_to_rgb(images: Any, name: str | None = None) -> Tensor:
    """HSV to RGB (the inverse of rgb_to_hsv): channel n of {r: 5, g: 3, b: 1} is
    v - v * s * clip(min(k, 4 - k), 0, 1) with k = (n + 6 h) mod 6."""
    with name_scope(name, "hsv_to_rgb"):
        x = _rgb(images, "hsv_to_rgb")
        h, s, v = _channels(x)
        out = []
        for n in (5.0, 3.0, 1.0):
            k = division_ops.floormod(n + 6 * h, 6.0)
            w = cast_ops.clip_by_value(math_ops.minimum(k, 4 - k), 0.0, 1.0)
            out.append(v - v * s * w)
        return array_ops.stack(out, axis=-1)


def _float_image(image: Any, fn: str) -> tuple[Tensor, Any]:
    from flowzero.image import convert_image_dtype

    x = convert_to_tensor(image, name="image")
    if x.shape.ndims is not None and (x.shape.ndims < 3 or x.shape[-1].value not in (None, 3)):
        raise ValueError(f"{fn}: image must be [..., height, width, 3]; got {x.shape}.")
    orig = x.dtype
    if not x.dtype.is_floating:
        x = convert_image_dtype(x, "float32")
    return x, orig


def _back(y: Tensor, orig: Any) -> Tensor:
    from flowzero.image import convert_image_dtype

    return y if y.dtype is orig else convert_image_dtype(y, orig, saturate=True)


def adjust_hue(image: Any, delta: Any, name: str | None = None) -> Tensor:
    """Rotates the hue of RGB image(s) by `delta` (a fraction of the circle, in [-1, 1]).

    Raises:
        ValueError: the last dimension is not 3.
    """
    with name_scope(name, "adjust_hue"):
        x, orig = _float_image(image, "adjust_hue")
        h, s, v = _channels(rgb_to_hsv(x))
        d = cast_ops.cast(delta, x.dtype) if isinstance(delta, Tensor) else delta
        h = division_ops.floormod(h + d, 1.0)
        return _back(hsv_to_rgb(array_ops.stack([h, s, v], axis=-1)), orig)


def adjust_saturation(image: Any, saturation_factor: Any, name: str | None = None) -> Tensor:
    """Scales the saturation of RGB image(s) by `saturation_factor` (clipped to [0, 1])."""
    with name_scope(name, "adjust_saturation"):
        x, orig = _float_image(image, "adjust_saturation")
        h, s, v = _channels(rgb_to_hsv(x))
        f = (
            cast_ops.cast(saturation_factor, x.dtype)
            if isinstance(saturation_factor, Tensor)
            else saturation_factor
        )
        s = cast_ops.clip_by_value(s * f, 0.0, 1.0)
        return _back(hsv_to_rgb(array_ops.stack([h, s, v], axis=-1)), orig)


def random_hue(image: Any, max_delta: float, seed: Any = None) -> Tensor:
    """adjust_hue by a delta drawn uniformly from [-max_delta, max_delta).

    Raises:
        ValueError: max_delta outside [0, 0.5].
    """
    if max_delta > 0.5:
        raise ValueError("random_hue: max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("random_hue: max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_hue(image, delta)


def random_saturation(image: Any, lower: float, upper: float, seed: Any = None) -> Tensor:
    """adjust_saturation by a factor drawn uniformly from [lower, upper).

    Raises:
        ValueError: upper <= lower, or lower < 0.
    """
    if upper <= lower:
        raise ValueError("random_saturation: upper must be > lower.")
    if lower < 0:
        raise ValueError("random_saturation: lower must be non-negative.")
    factor = random_ops.random_uniform([], lower, upper, seed=seed)
    return adjust_saturation(image, factor)


__all__ = [
    "rgb_to_hsv",
    "hsv_to_rgb",
    "rgb_to_yiq",
    "yiq_to_rgb",
    "rgb_to_yuv",
    "yuv_to_rgb",
    "adjust_hue",
    "adjust_saturation",
    "random_hue",
    "random_saturation",
]
