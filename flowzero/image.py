"""tf.image: TF1's image functions (TF 1.15 semantics) — resizing, flips and rotations, crops
and pads, brightness/contrast/gamma, dtype conversion, grayscale, standardization, and the
random augmentations of TF1's CIFAR-10 input pipeline.

Images are 3-D [height, width, channels] or 4-D [batch, height, width, channels]. Everything
here is a composite of ops in flowzero/ops/ (resizes: image_ops.py), so gradients flow through
what is differentiable.

Example:
    >>> img = tf.placeholder(tf.float32, [32, 32, 3])
    >>> img = tf.image.random_flip_left_right(tf.random_crop(img, [24, 24, 3]))
    >>> img = tf.image.per_image_standardization(img)
    >>> img.shape
    TensorShape([24, 24, 3])
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.image_color import (  # noqa: E402, I001 - appended names (tf.image)
    adjust_hue,
    adjust_saturation,
    hsv_to_rgb,
    random_hue,
    random_saturation,
    rgb_to_hsv,
    rgb_to_yiq,
    rgb_to_yuv,
    yiq_to_rgb,
    yuv_to_rgb,
)
from flowzero.image_metrics import psnr, ssim, ssim_multiscale  # noqa: E402, I001
from flowzero.ops import (
    array_ops,
    cast_ops,
    control_flow_ops,
    control_ops,
    indexing_ops,
    manip_ops,
    math_ops,
    random_ops,
    reduction_ops,
    reshape_ops,
    slicing_ops,
    unary_ops,
)
from flowzero.ops.image_ops import (
    crop_and_resize,
    resize_area,
    resize_bicubic,
    resize_bilinear,
    resize_nearest_neighbor,
)
from flowzero.ops.random_ops import random_crop


class ResizeMethod(enum.IntEnum):
    """tf.image.ResizeMethod (TF1's integer values)."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


# -- helpers -------------------------------------------------------------------------------------
def _image(image: Any, fn: str) -> tuple[Tensor, bool]:
    """(a 4-D batch, whether the input was a single 3-D image)."""
    x = convert_to_tensor(image, name="image")
    nd = x.shape.ndims
    if nd not in (3, 4):
        raise ValueError(
            f"{fn}: 'image' must be 3-D [height, width, channels] or 4-D [batch, "
            f"height, width, channels]; got shape {x.shape}."
        )
    if nd == 3:
        return reshape_ops.expand_dims(x, 0), True
    return x, False


def _back(x: Tensor, single: bool) -> Tensor:
    return reshape_ops.squeeze(x, [0]) if single else x


def _hw(x: Tensor) -> tuple[Any, Any]:
    """Height and width of a 4-D batch: ints when static, else scalar tensors."""
    k = x.shape.as_list()
    dyn = array_ops.shape(x)
    return (k[1] if k[1] is not None else dyn[1]), (k[2] if k[2] is not None else dyn[2])


def _int(v: Any, what: str, fn: str) -> Any:
    if isinstance(v, Tensor):
        return v
    if not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"{fn}: {what} must be a non-negative int; got {v!r}.")
    return int(v)


# -- resizing ------------------------------------------------------------------------------------
def resize_images(
    images: Any,
    size: Any,
    method: Any = ResizeMethod.BILINEAR,
    align_corners: bool = False,
    preserve_aspect_ratio: bool = False,
    name: str | None = None,
) -> Tensor:
    """Resizes images to `size` = [new_height, new_width] (TF1's tf.image.resize_images).

    Args:
        images: 3-D or 4-D image(s).
        size: 2 ints or a 1-D int32 tensor.
        method: ResizeMethod.BILINEAR (default), BICUBIC or AREA (float32 results) or
            NEAREST_NEIGHBOR (images' dtype).
        align_corners: align the corner pixels of input and output.
        preserve_aspect_ratio: fit inside `size` keeping the aspect ratio (static sizes).

    Example:
        >>> img = tf.placeholder(tf.float32, [None, 28, 28, 1])
        >>> small = tf.image.resize_images(img, [14, 14])
        >>> small.shape
        TensorShape([None, 14, 14, 1])
    """
    method = (
        ResizeMethod(int(method)) if not isinstance(method, str) else ResizeMethod[method.upper()]
    )
    with name_scope(name, "resize"):
        x, single = _image(images, "resize_images")
        if preserve_aspect_ratio:
            h, w = _hw(x)
            if isinstance(size, Tensor) or not isinstance(h, int) or not isinstance(w, int):
                raise ValueError("resize_images: preserve_aspect_ratio needs static sizes.")
            scale = min(size[0] / h, size[1] / w)
            size = [max(int(round(h * scale)), 1), max(int(round(w * scale)), 1)]
        if method is ResizeMethod.BILINEAR:
            y = resize_bilinear(x, size, align_corners=align_corners)
        elif method is ResizeMethod.NEAREST_NEIGHBOR:
            y = resize_nearest_neighbor(x, size, align_corners=align_corners)
        elif method is ResizeMethod.BICUBIC:
            y = resize_bicubic(x, size, align_corners=align_corners)
        else:
            y = resize_area(x, size, align_corners=align_corners)
        return _back(y, single)


resize = resize_images  # tf.compat.v1.image.resize


def resize_image_with_crop_or_pad(image: Any, target_height: int, target_width: int) -> Tensor:
    """Centrally crops or zero-pads `image` to the target size (TF1's
    resize_image_with_crop_or_pad), per axis: crop if larger, pad if smaller."""
    with name_scope(None, "resize_image_with_crop_or_pad"):
        x, single = _image(image, "resize_image_with_crop_or_pad")
        h, w = _hw(x)
        th = _int(target_height, "target_height", "resize_image_with_crop_or_pad")
        tw = _int(target_width, "target_width", "resize_image_with_crop_or_pad")
        if not all(isinstance(v, int) for v in (h, w, th, tw)):
            raise ValueError("resize_image_with_crop_or_pad: needs static sizes.")
        off_h, off_w = max((h - th) // 2, 0), max((w - tw) // 2, 0)
        cropped = _crop(x, off_h, off_w, min(th, h), min(tw, w))
        pad_h, pad_w = max((th - h) // 2, 0), max((tw - w) // 2, 0)
        y = _pad(cropped, pad_h, pad_w, th, tw)
        return _back(y, single)


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def resize_image_with_pad(
    image: Any,
    target_height: int,
    target_width: int,
    method: Any = ResizeMethod.BILINEAR,
    align_corners: bool = False,
) -> Tensor:
    """Resizes `image` keeping its aspect ratio to fit target_height x target_width, then
    zero-pads it (centred) to exactly that size (TF1's resize_image_with_pad; static sizes).

    Raises:
        ValueError: unknown image height/width, or a non-positive target.
    """
    fn = "resize_image_with_pad"
    with name_scope(None, fn):
        x, single = _image(image, fn)
        h, w = _hw(x)
        th, tw = _int(target_height, "target_height", fn), _int(target_width, "target_width", fn)
        if not all(isinstance(v, int) for v in (h, w, th, tw)):
            raise ValueError(f"{fn}: needs static image and target sizes; got {x.shape}.")
        if th <= 0 or tw <= 0:
            raise ValueError(f"{fn}: target sizes must be positive; got {th}x{tw}.")
        # TF's arithmetic, in float32 as its kernels run it.
        f32 = np.float32
        ratio = max(f32(w) / f32(tw), f32(h) / f32(th))
        rh, rw = f32(h) / ratio, f32(w) / ratio
        ph = max(0, int(np.floor((f32(th) - rh) / f32(2))))
        pw = max(0, int(np.floor((f32(tw) - rw) / f32(2))))
        resized = resize_images(x, [int(np.floor(rh)), int(np.floor(rw))], method, align_corners)
        return _back(_pad(resized, ph, pw, th, tw), single)


# -- crops and pads --------------------------------------------------------------------------
def _crop(x: Tensor, off_h: Any, off_w: Any, th: Any, tw: Any) -> Tensor:
    return slicing_ops.slice(
        x, array_ops.stack([0, off_h, off_w, 0]), array_ops.stack([-1, th, tw, -1])
    )


def _pad(x: Tensor, off_h: Any, off_w: Any, th: Any, tw: Any) -> Tensor:
    h, w = _hw(x)
    pads = [[0, 0], [off_h, th - off_h - h], [off_w, tw - off_w - w], [0, 0]]
    if all(isinstance(v, int) for row in pads for v in row):
        if any(v < 0 for row in pads for v in row):
            raise ValueError(
                f"pad_to_bounding_box: the image ({h}x{w}) does not fit at offset "
                f"({off_h}, {off_w}) in {th}x{tw}."
            )
        return slicing_ops.pad(x, pads)
    return slicing_ops.pad(x, array_ops.stack([array_ops.stack(r) for r in pads]))


def _box(off_h: Any, off_w: Any, th: Any, tw: Any, fn: str) -> list[Any]:
    names = ("offset_height", "offset_width", "target_height", "target_width")
    return [_int(v, n, fn) for v, n in zip((off_h, off_w, th, tw), names)]


def crop_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Tensor:
    """image[offset_height : offset_height + target_height, offset_width : ...]."""
    with name_scope(None, "crop_to_bounding_box"):
        x, single = _image(image, "crop_to_bounding_box")
        args = _box(
            offset_height, offset_width, target_height, target_width, "crop_to_bounding_box"
        )
        h, w = _hw(x)
        if all(isinstance(v, int) for v in (*args, h, w)) and (
            args[0] + args[2] > h or args[1] + args[3] > w
        ):
            raise ValueError(
                f"crop_to_bounding_box: the box {args} does not fit in the {h}x{w} image."
            )
        return _back(_crop(x, *args), single)


def pad_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Tensor:
    """Zero-pads `image` to target_height x target_width, placing it at the offsets."""
    with name_scope(None, "pad_to_bounding_box"):
        x, single = _image(image, "pad_to_bounding_box")
        args = _box(offset_height, offset_width, target_height, target_width, "pad_to_bounding_box")
        return _back(_pad(x, *args), single)


def central_crop(image: Any, central_fraction: float) -> Tensor:
    """The central `central_fraction` (0 < f <= 1) of the image in both axes."""
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError(
            f"central_crop: central_fraction must be within (0, 1]; got {central_fraction}."
        )
    with name_scope(None, "central_crop"):
        x, single = _image(image, "central_crop")
        if central_fraction == 1.0:
            return _back(x, single)
        h, w = _hw(x)
        if not (isinstance(h, int) and isinstance(w, int)):
            raise ValueError("central_crop: needs a static height and width.")
        off_h = int((h - h * central_fraction) / 2)
        off_w = int((w - w * central_fraction) / 2)
        return _back(_crop(x, off_h, off_w, h - 2 * off_h, w - 2 * off_w), single)


# -- flips and rotations -------------------------------------------------------------------------
def flip_left_right(image: Any) -> Tensor:
    """Mirrors the width axis."""
    x, single = _image(image, "flip_left_right")
    return _back(manip_ops.reverse(x, [2]), single)


def flip_up_down(image: Any) -> Tensor:
    """Mirrors the height axis."""
    x, single = _image(image, "flip_up_down")
    return _back(manip_ops.reverse(x, [1]), single)


def _random_flip(image: Any, axis: int, seed: Any, fn: str) -> Tensor:
    with name_scope(None, fn):
        x, single = _image(image, fn)
        if single:  # one coin for the image, as TF1
            coin = random_ops.random_uniform([], 0, 1.0, seed=seed) < 0.5
            y = control_flow_ops.cond(coin, lambda: manip_ops.reverse(x, [axis]), lambda: x)
        else:  # one coin per image of the batch
            n = array_ops.shape(x)[0]
            coin = random_ops.random_uniform(array_ops.stack([n]), 0, 1.0, seed=seed) < 0.5
            mask = reshape_ops.reshape(coin, array_ops.stack([n, 1, 1, 1]))
            mask = array_ops.broadcast_to(mask, array_ops.shape(x))
            y = indexing_ops.where(mask, manip_ops.reverse(x, [axis]), x)
        return _back(y, single)


def random_flip_left_right(image: Any, seed: Any = None) -> Tensor:
    """Mirrors the width axis with probability 1/2 (per image of a batch)."""
    return _random_flip(image, 2, seed, "random_flip_left_right")


def random_flip_up_down(image: Any, seed: Any = None) -> Tensor:
    """Mirrors the height axis with probability 1/2 (per image of a batch)."""
    return _random_flip(image, 1, seed, "random_flip_up_down")


def transpose_image(image: Any) -> Tensor:
    """Swaps height and width."""
    x, single = _image(image, "transpose_image")
    return _back(reshape_ops.transpose(x, [0, 2, 1, 3]), single)


transpose = transpose_image


def rot90(image: Any, k: int = 1, name: str | None = None) -> Tensor:
    """Rotates by 90 degrees counter-clockwise, `k` times (a Python int)."""
    if isinstance(k, Tensor):
        raise TypeError("rot90: k must be a Python int in flowzero.")
    with name_scope(name, "rot90"):
        x, single = _image(image, "rot90")
        k = int(k) % 4
        if k == 1:
            x = manip_ops.reverse(reshape_ops.transpose(x, [0, 2, 1, 3]), [1])
        elif k == 2:
            x = manip_ops.reverse(x, [1, 2])
        elif k == 3:
            x = manip_ops.reverse(reshape_ops.transpose(x, [0, 2, 1, 3]), [2])
        return _back(x, single)


# -- dtype, colour -------------------------------------------------------------------------------
def convert_image_dtype(
    image: Any, dtype: Any, saturate: bool = False, name: str | None = None
) -> Tensor:
    """Converts between image dtypes, rescaling: integers span [0, MAX], floats [0, 1).

    uint8 -> float32 divides by 255; float -> uint8 multiplies by 255.5 and truncates (as TF1);
    integer <-> integer shifts by the bit-width difference.
    """
    x = convert_to_tensor(image, name="image")
    dst = dtypes.as_dtype(dtype)
    src = x.dtype
    with name_scope(name, "convert_image"):
        if src is dst:
            return control_ops.identity(x)
        if src.is_integer and dst.is_integer:
            s_range, d_range = int(src.max) + 1, int(dst.max) + 1
            if s_range > d_range:
                return cast_ops.cast(math_ops.floordiv(x, s_range // d_range), dst)
            return math_ops.multiply(cast_ops.cast(x, dst), d_range // s_range)
        if src.is_floating and dst.is_floating:
            return cast_ops.cast(x, dst)
        if src.is_integer:  # int -> float
            return math_ops.multiply(cast_ops.cast(x, dst), 1.0 / float(src.max))
        scaled = math_ops.multiply(x, float(dst.max) + 0.5)  # float -> int
        return math_ops.saturate_cast(scaled, dst) if saturate else cast_ops.cast(scaled, dst)


def rgb_to_grayscale(images: Any, name: str | None = None) -> Tensor:
    """Weighted sum of the RGB channels (ITU-R 601: 0.2989, 0.5870, 0.1140), keeping a
    channel axis of size 1."""
    with name_scope(name, "rgb_to_grayscale"):
        x = convert_to_tensor(images, name="images")
        flt = convert_image_dtype(x, dtypes.float32)
        w = array_ops.constant(np.array([0.2989, 0.5870, 0.1140], np.float32))
        gray = reduction_ops.reduce_sum(flt * w, axis=-1, keepdims=True)
        return convert_image_dtype(gray, x.dtype)


def grayscale_to_rgb(images: Any, name: str | None = None) -> Tensor:
    """Repeats the single channel three times."""
    with name_scope(name, "grayscale_to_rgb"):
        x = convert_to_tensor(images, name="images")
        if x.shape.ndims is not None and x.shape[-1].value not in (None, 1):
            raise ValueError(f"grayscale_to_rgb: the last dimension must be 1; got {x.shape}.")
        return manip_ops.concat([x, x, x], axis=-1)


# -- brightness, contrast, gamma, standardization ------------------------------------------------
def _as_float(x: Tensor) -> tuple[Tensor, dtypes.DType]:
    return (
        (x, x.dtype) if x.dtype.is_floating else (convert_image_dtype(x, dtypes.float32), x.dtype)
    )


def adjust_brightness(image: Any, delta: Any) -> Tensor:
    """image + delta (in [0, 1) units for integer images, converted back)."""
    with name_scope(None, "adjust_brightness"):
        x, orig = _as_float(convert_to_tensor(image, name="image"))
        d = cast_ops.cast(delta, x.dtype) if isinstance(delta, Tensor) else delta
        y = math_ops.add(x, d)
        return convert_image_dtype(y, orig, saturate=True)


def random_brightness(image: Any, max_delta: float, seed: Any = None) -> Tensor:
    """adjust_brightness by a delta drawn uniformly from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("random_brightness: max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def adjust_contrast(images: Any, contrast_factor: Any) -> Tensor:
    """(x - mean) * contrast_factor + mean, the mean per image and channel."""
    with name_scope(None, "adjust_contrast"):
        x, orig = _as_float(convert_to_tensor(images, name="images"))
        nd = x.shape.ndims
        axes = [nd - 3, nd - 2] if nd is not None else [-3, -2]
        mean = reduction_ops.reduce_mean(x, axis=axes, keepdims=True)
        y = (x - mean) * contrast_factor + mean
        return convert_image_dtype(y, orig, saturate=True)


def random_contrast(image: Any, lower: float, upper: float, seed: Any = None) -> Tensor:
    """adjust_contrast by a factor drawn uniformly from [lower, upper)."""
    if upper <= lower:
        raise ValueError("random_contrast: upper must be > lower.")
    if lower < 0:
        raise ValueError("random_contrast: lower must be non-negative.")
    factor = random_ops.random_uniform([], lower, upper, seed=seed)
    return adjust_contrast(image, factor)


def adjust_gamma(image: Any, gamma: float = 1, gain: float = 1) -> Tensor:
    """gain * image ** gamma (in [0, 1) units for integer images, converted back)."""
    if not isinstance(gamma, Tensor) and gamma < 0:
        raise ValueError("adjust_gamma: gamma must be non-negative.")
    with name_scope(None, "adjust_gamma"):
        x, orig = _as_float(convert_to_tensor(image, name="image"))
        y = math_ops.pow(x, gamma) * gain
        return convert_image_dtype(y, orig, saturate=True)


def per_image_standardization(image: Any) -> Tensor:
    """(x - mean) / max(stddev, 1 / sqrt(num_pixels)) per image (TF1's formula), float32 for
    integer images."""
    with name_scope(None, "per_image_standardization"):
        x = convert_to_tensor(image, name="image")
        if x.shape.ndims not in (3, 4):
            raise ValueError(
                f"per_image_standardization: 'image' must be 3-D or 4-D; got shape {x.shape}."
            )
        if not x.dtype.is_floating:
            x = cast_ops.cast(x, dtypes.float32)
        axes = [-1, -2, -3]
        n = cast_ops.cast(reduction_ops.reduce_prod(array_ops.shape(x)[-3:]), x.dtype)
        mean = reduction_ops.reduce_mean(x, axis=axes, keepdims=True)
        var = reduction_ops.reduce_mean(unary_ops.square(x - mean), axis=axes, keepdims=True)
        adjusted = math_ops.maximum(unary_ops.sqrt(var), unary_ops.rsqrt(n))
        return (x - mean) / adjusted


def total_variation(images: Any, name: str | None = None) -> Tensor:
    """Sum of absolute differences of neighbouring pixels, per image (a scalar for one)."""
    with name_scope(name, "total_variation"):
        x = convert_to_tensor(images, name="images")
        if x.shape.ndims == 3:
            dh = x[1:, :, :] - x[:-1, :, :]
            dw = x[:, 1:, :] - x[:, :-1, :]
            axes: Any = None
        elif x.shape.ndims == 4:
            dh = x[:, 1:, :, :] - x[:, :-1, :, :]
            dw = x[:, :, 1:, :] - x[:, :, :-1, :]
            axes = [1, 2, 3]
        else:
            raise ValueError(f"total_variation: 'images' must be 3-D or 4-D; got {x.shape}.")
        return reduction_ops.reduce_sum(unary_ops.abs(dh), axis=axes) + reduction_ops.reduce_sum(
            unary_ops.abs(dw), axis=axes
        )


def image_gradients(image: Any) -> tuple[Tensor, Tensor]:
    """(dy, dx): forward differences along height and width of a 4-D batch, zero in the last
    row / column (TF's shapes)."""
    x = convert_to_tensor(image, name="image")
    if x.shape.ndims != 4:
        raise ValueError(f"image_gradients expects a 4-D tensor [batch, h, w, d]; got {x.shape}.")
    dy = x[:, 1:, :, :] - x[:, :-1, :, :]
    dx = x[:, :, 1:, :] - x[:, :, :-1, :]
    dy = slicing_ops.pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]])
    dx = slicing_ops.pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return dy, dx


__all__ = [
    "ResizeMethod",
    "resize_images",
    "resize",
    "resize_bilinear",
    "resize_nearest_neighbor",
    "resize_image_with_crop_or_pad",
    "resize_image_with_pad",
    "resize_area",
    "resize_bicubic",
    "crop_and_resize",
    "resize_with_crop_or_pad",
    "crop_to_bounding_box",
    "pad_to_bounding_box",
    "central_crop",
    "flip_left_right",
    "flip_up_down",
    "random_flip_left_right",
    "random_flip_up_down",
    "transpose_image",
    "transpose",
    "rot90",
    "convert_image_dtype",
    "rgb_to_grayscale",
    "grayscale_to_rgb",
    "adjust_brightness",
    "random_brightness",
    "adjust_contrast",
    "random_contrast",
    "adjust_gamma",
    "per_image_standardization",
    "total_variation",
    "image_gradients",
    "random_crop",
    "adjust_hue",
    "adjust_saturation",
    "hsv_to_rgb",
    "random_hue",
    "random_saturation",
    "rgb_to_hsv",
    "rgb_to_yiq",
    "rgb_to_yuv",
    "yiq_to_rgb",
    "yuv_to_rgb",
    "psnr",
    "ssim",
    "ssim_multiscale",
]

# The image codecs (flowzero/ops/image_codec_ops.py; Pillow loads when one first runs).
from flowzero.ops.image_codec_ops import (  # noqa: E402
    decode_bmp,
    decode_gif,
    decode_image,
    decode_jpeg,
    decode_png,
    encode_jpeg,
    encode_png,
    extract_jpeg_shape,
    is_jpeg,
)

__all__ += [
    "decode_bmp",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "encode_jpeg",
    "encode_png",
    "extract_jpeg_shape",
    "is_jpeg",
]


def __getattr__(name: str) -> object:
    """A name TF 1.15's tf.image has and flowzero lacks says so (flowzero.compat)."""
    import importlib

    from flowzero.compat import missing_attribute

    raise missing_attribute("image", name, importlib.import_module(__name__))


# Boxes (flowzero/ops/box_ops.py), patches (space_ops.py) and edges.
from flowzero.ops.box_ops import (  # noqa: E402
    combined_non_max_suppression,
    draw_bounding_boxes,
    non_max_suppression,
    non_max_suppression_overlaps,
    non_max_suppression_padded,
    non_max_suppression_with_scores,
)
from flowzero.ops.space_ops import extract_image_patches  # noqa: E402


def extract_patches(
    images: Any, sizes: Any, strides: Any, rates: Any, padding: str, name: str | None = None
) -> Tensor:
    """The sizes[1] x sizes[2] patches of images [batch, rows, cols, depth], flattened into the
    depth dimension (tf.extract_image_patches with TF 2's argument names)."""
    return extract_image_patches(images, sizes, strides, rates, padding, name=name)


def sobel_edges(image: Any) -> Tensor:
    """The Sobel gradients of each channel of images [batch, h, w, d]: [batch, h, w, d, 2]
    with dy then dx, from 3x3 Sobel kernels on the image reflect-padded by one pixel (as TF).
    Differentiable.

    Example:
        >>> images = tf.zeros([1, 8, 8, 3])
        >>> dy_dx = tf.image.sobel_edges(images)   # [..., 0] vertical, [..., 1] horizontal
        >>> dy_dx.shape.as_list()
        [1, 8, 8, 3, 2]
    """
    x = convert_to_tensor(image, name="image")
    if x.shape.ndims not in (None, 4):
        raise ValueError(f"sobel_edges: 'image' must be 4-D [batch, h, w, d]; got {x.shape}.")
    with name_scope("sobel_edges"):
        p = slicing_ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")

        def at(r: int, c: int) -> Tensor:  # the window shifted by (r, c) in the padded image
            return p[:, r : _end(r), c : _end(c), :]

        smooth_h = at(2, 0) + 2.0 * at(2, 1) + at(2, 2) - at(0, 0) - 2.0 * at(0, 1) - at(0, 2)
        smooth_w = at(0, 2) + 2.0 * at(1, 2) + at(2, 2) - at(0, 0) - 2.0 * at(1, 0) - at(2, 0)
        return array_ops.stack([smooth_h, smooth_w], -1)


def _end(k: int) -> int | None:
    return None if k == 2 else k - 2


__all__ += [
    "combined_non_max_suppression",
    "draw_bounding_boxes",
    "non_max_suppression",
    "non_max_suppression_overlaps",
    "non_max_suppression_padded",
    "non_max_suppression_with_scores",
    "extract_image_patches",
    "extract_patches",
    "sobel_edges",
]

from flowzero.ops.image_extra_ops import (  # noqa: E402
    adjust_jpeg_quality,
    extract_glimpse,
    random_jpeg_quality,
    sample_distorted_bounding_box,
)

__all__ += [
    "adjust_jpeg_quality",
    "extract_glimpse",
    "random_jpeg_quality",
    "sample_distorted_bounding_box",
]
