"""tf.image's image-quality measures (composites, differentiable): psnr, ssim and
ssim_multiscale, with TF's Gaussian window, constants and multiscale weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.ops import (
    activation_ops,
    array_ops,
    cast_ops,
    math_ops,
    reduction_ops,
    reshape_ops,
    slicing_ops,
    unary_ops,
)
from flowzero.ops.depthwise_conv_ops import depthwise_conv2d
from flowzero.ops.pool_ops import avg_pool

# Wang, Simoncelli and Bovik's weights of the five scales (TF's _MSSSIM_WEIGHTS).
_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _pair(a: Any, b: Any, fn: str) -> tuple[Tensor, Tensor]:
    x, y = convert_to_tensor(a, name="a"), convert_to_tensor(b, name="b")
    for t in (x, y):
        if t.shape.ndims is not None and t.shape.ndims < 3:
            raise ValueError(
                f"{fn}: images must be at least 3-D [height, width, channels]; got {t.shape}."
            )
    if not x.shape.is_compatible_with(y.shape):
        raise ValueError(
            f"{fn}: the two images must have the same shape; got {x.shape} and {y.shape}."
        )
    if x.dtype is not y.dtype:
        raise TypeError(
            f"{fn}: the two images must have the same dtype; got {x.dtype.name} and {y.dtype.name}."
        )
    return x, y


def _floats(x: Tensor, y: Tensor, max_val: Any) -> tuple[Tensor, Tensor, Tensor]:
    """The images and max_val in float32 (max_val in the images' dtype first, then converted
    like them: 255 for uint8 images is 1.0), as TF."""
    from flowzero.image import convert_image_dtype

    mv = convert_image_dtype(cast_ops.cast(convert_to_tensor(max_val), x.dtype), "float32")
    return convert_image_dtype(x, "float32"), convert_image_dtype(y, "float32"), mv


def psnr(a: Any, b: Any, max_val: Any, name: str | None = None) -> Tensor:
    """Peak signal-to-noise ratio between images a and b, per image (over the last three
    dimensions): 10 * log10(max_val^2 / mse). Integer images are converted to float first.

    Example:
        >>> img1 = tf.zeros([1, 4, 4, 1])
        >>> img2 = tf.fill([1, 4, 4, 1], 0.1)   # MSE 0.01 -> 10 log10(1 / 0.01) = 20 dB
        >>> sess = tf.Session()
        >>> sess.run(tf.image.psnr(img1, img2, max_val=1.0))   # img: float [batch, h, w, c]
        array([20.], dtype=float32)
    """
    with name_scope(name, "PSNR"):
        x, y, mv = _floats(*_pair(a, b, "psnr"), max_val)
        mse = reduction_ops.reduce_mean(math_ops.squared_difference(x, y), [-3, -2, -1])
        return math_ops.subtract(
            20 * unary_ops.log(mv) / np.log(10.0),
            10 / np.log(10.0) * unary_ops.log(mse),
            name="psnr",
        )


def _gauss(size: int, sigma: float) -> np.ndarray:
    coords = np.arange(size, dtype=np.float32) - np.float32(size - 1) / 2
    g = coords**2 * np.float32(-0.5 / sigma**2)
    g = (g[None, :] + g[:, None]).reshape(-1)
    g = np.exp(g - g.max())
    return (g / g.sum()).reshape(size, size).astype(np.float32)


def _ssim_per_channel(
    x: Tensor, y: Tensor, mv: Tensor, size: int, sigma: float, k1: float, k2: float, fn: str
) -> tuple[Tensor, Tensor]:
    """(mean of luminance * contrast-structure, mean of contrast-structure) per channel."""
    dims = x.shape.as_list() if x.shape.ndims is not None else None
    if dims is None or dims[-1] is None:
        raise ValueError(f"{fn}: the images need a known rank and channel count; got {x.shape}.")
    h, w, c = dims[-3:]
    if (h is not None and h < size) or (w is not None and w < size):
        raise ValueError(
            f"{fn}: the images ({h}x{w}) must be at least filter_size ({size}) in height and "
            f"width; use a smaller filter_size."
        )
    k = np.tile(_gauss(size, sigma)[:, :, None, None], [1, 1, c, 1])
    kernel = array_ops.constant(k.astype(x.dtype.np), name="gaussian")

    def reducer(t: Tensor) -> Tensor:
        shape = array_ops.shape(t)
        flat = reshape_ops.reshape(t, manip_concat([[-1], shape[-3:]]))
        out = depthwise_conv2d(flat, kernel, [1, 1, 1, 1], "VALID")
        return reshape_ops.reshape(out, manip_concat([shape[:-3], array_ops.shape(out)[1:]]))

    c1, c2 = (k1 * mv) ** 2, (k2 * mv) ** 2
    mean0, mean1 = reducer(x), reducer(y)
    num0 = mean0 * mean1 * 2.0
    den0 = unary_ops.square(mean0) + unary_ops.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(unary_ops.square(x) + unary_ops.square(y))
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return (
        reduction_ops.reduce_mean(luminance * cs, [-3, -2]),
        reduction_ops.reduce_mean(cs, [-3, -2]),
    )


def manip_concat(parts: list[Any]) -> Tensor:
    from flowzero.ops.manip_ops import concat

    return concat([cast_ops.cast(convert_to_tensor(p), "int32") for p in parts], 0)


def ssim(
    img1: Any,
    img2: Any,
    max_val: Any,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> Tensor:
    """Structural similarity of img1 and img2 per image (Wang et al. 2004, TF's constants: an
    11x11 Gaussian window of sigma 1.5, VALID), averaged over the channels.

    Args:
        img1, img2: [..., height, width, channels], at least filter_size high and wide.
        max_val: the dynamic range (1.0 for float images in [0, 1], 255 for uint8).

    Raises:
        ValueError: different shapes, or images smaller than the filter.
    """
    with name_scope(None, "SSIM"):
        x, y, mv = _floats(*_pair(img1, img2, "ssim"), max_val)
        val, _ = _ssim_per_channel(x, y, mv, filter_size, filter_sigma, k1, k2, "ssim")
        return reduction_ops.reduce_mean(val, [-1])


def ssim_multiscale(
    img1: Any,
    img2: Any,
    max_val: Any,
    power_factors: Any = _MSSSIM_WEIGHTS,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> Tensor:
    """Multiscale SSIM (Wang, Simoncelli and Bovik 2003): the contrast-structure term at each
    scale but the last and SSIM at the last, each to its power factor, multiplied; between
    scales the images are halved by 2x2 average pooling (odd sizes padded symmetrically).

    Args:
        power_factors: one weight per scale (TF's five by default; images must then be at
            least filter_size * 16 high and wide).
    """
    with name_scope(None, "MS-SSIM"):
        x, y, mv = _floats(*_pair(img1, img2, "ssim_multiscale"), max_val)
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if dims is None or None in dims[-3:]:
            raise ValueError(
                f"ssim_multiscale: the images need static height, width and channels; got "
                f"{x.shape}."
            )
        lead = array_ops.shape(x)[:-3]
        flat = [-1, *dims[-3:]]
        xs = [reshape_ops.reshape(x, flat)]
        ys = [reshape_ops.reshape(y, flat)]
        weights = [float(p) for p in power_factors]
        mcs: list[Tensor] = []
        val: Any = None
        for k in range(len(weights)):
            if k > 0:
                h, w = xs[-1].shape.as_list()[1:3]
                pads = [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]
                xs.append(
                    avg_pool(
                        slicing_ops.pad(xs[-1], pads, "SYMMETRIC"),
                        [1, 2, 2, 1],
                        [1, 2, 2, 1],
                        "VALID",
                    )
                )
                ys.append(
                    avg_pool(
                        slicing_ops.pad(ys[-1], pads, "SYMMETRIC"),
                        [1, 2, 2, 1],
                        [1, 2, 2, 1],
                        "VALID",
                    )
                )
            val, cs = _ssim_per_channel(
                xs[-1], ys[-1], mv, filter_size, filter_sigma, k1, k2, "ssim_multiscale"
            )
            mcs.append(cs)
        parts = [activation_ops.relu(t) for t in [*mcs[:-1], val]]
        stacked = array_ops.stack(parts, axis=-1)
        ms = reduction_ops.reduce_prod(
            math_ops.pow(stacked, array_ops.constant(np.float32(weights))), [-1]
        )
        out = reduction_ops.reduce_mean(ms, [-1])
        return reshape_ops.reshape(out, lead)


__all__ = ["psnr", "ssim", "ssim_multiscale"]
