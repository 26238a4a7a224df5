"""More tf.image kernels: SampleDistortedBoundingBoxV2 (a random crop covering part of the
given boxes), ExtractGlimpse (windows at offsets, noise outside the image) and
EncodeJpegVariableQuality (a JPEG at a run-time quality; Pillow loads when it first runs).
None has a gradient (as in TF)."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for
from flowzero.ops.random_ops import _RandomOp, _seeded


# -- sample_distorted_bounding_box -------------------------------------------------------------
def _random_crop(
    rng: np.random.Generator, h: int, w: int, ratio: float, area_range: tuple[float, float]
) -> tuple[int, int, int, int] | None:
    """(y, x, height, width) of a crop with width / height ~ ratio and area in area_range of
    the image, or None when no such crop fits."""
    min_area, max_area = area_range[0] * h * w, area_range[1] * h * w
    lo = int(round(math.sqrt(min_area / ratio)))
    hi = int(round(math.sqrt(max_area / ratio)))
    if round(hi * ratio) > w:  # the widest crop of this ratio the image holds
        hi = int((w + 0.5 - 1e-7) / ratio)
    hi = min(hi, h)
    lo = min(lo, hi)
    height = lo + int(rng.integers(0, hi - lo + 1)) if lo < hi else lo
    width = int(round(height * ratio))
    area = width * height
    if area < min_area:  # one pixel taller may reach the minimum area
        height += 1
        width = int(round(height * ratio))
        area = width * height
    if not (min_area <= area <= max_area) or height > h or width > w or height < 1 or width < 1:
        return None
    y = int(rng.integers(0, h - height + 1))
    x = int(rng.integers(0, w - width + 1))
    return y, x, height, width


def _covers(crop: tuple[int, int, int, int], boxes: np.ndarray, min_covered: float) -> bool:
    """Whether some box has at least min_covered of its area inside the crop."""
    y, x, ch, cw = crop
    y0, x0, y1, x1 = boxes.T
    inter = np.maximum(np.minimum(y1, y + ch) - np.maximum(y0, y), 0) * np.maximum(
        np.minimum(x1, x + cw) - np.maximum(x0, x), 0
    )
    area = (y1 - y0) * (x1 - x0)
    with np.errstate(all="ignore"):
        frac = np.where(area > 0, inter / np.where(area > 0, area, 1), 0.0)
    return bool(np.any(frac >= min_covered))


@register_op("SampleDistortedBoundingBoxV2")
class SampleDistortedBoundingBoxV2(_RandomOp):
    """begin, size, bboxes: a random crop of the image (aspect ratio and area in the given
    ranges) covering at least min_object_covered of one of the boxes; the whole image when
    max_attempts tries find none."""

    def infer(self, image_size: Tensor, boxes: Tensor, min_covered: Tensor) -> list[TensorSpec]:
        if image_size.dtype.np.kind not in "iu":
            raise self.error(
                f"image_size must be integers; got {image_size.dtype.name}.", cls=DTypeError
            )
        if (
            image_size.shape.ndims not in (None, 1)
            or image_size.shape.as_list()
            not in (
                [None],
                [3],
            )
            and image_size.shape.ndims == 1
        ):
            raise self.error(
                f"image_size must be [height, width, channels]; got shape {image_size.shape}."
            )
        if boxes.dtype is not dtypes.float32:
            raise self.error(
                f"bounding_boxes must be float32; got {boxes.dtype.name}.", cls=DTypeError
            )
        dt = image_size.dtype
        return [spec([3], dt), spec([3], dt), spec([1, 1, 4], dtypes.float32)]

    def compute(self, ctx: Any, image_size: Any, boxes: Any, min_covered: Any) -> list:
        a = self.attrs
        if np.shape(image_size) != (3,):
            raise self.error(f"image_size must be 1-D of 3 values; got shape {image_size.shape}.")
        h, w = int(image_size[0]), int(image_size[1])
        if h <= 0 or w <= 0:
            raise self.error(f"image height and width must be positive; got {h} x {w}.")
        flat = np.asarray(boxes, np.float64).reshape(-1, 4) if np.size(boxes) else np.zeros((0, 4))
        if np.size(boxes) % 4:
            raise self.error(f"bounding_boxes must be [..., 4]; got shape {np.shape(boxes)}.")
        if not len(flat):
            if not a["use_image_if_no_bounding_boxes"]:
                raise self.error(
                    "No bounding boxes provided as input. One must enable "
                    "use_image_if_no_bounding_boxes if you wish to not provide any bounding "
                    "boxes."
                )
            flat = np.array([[0.0, 0.0, 1.0, 1.0]])
        bad = (
            (flat < 0).any(1)
            | (flat > 1).any(1)
            | (flat[:, 0] > flat[:, 2])
            | (flat[:, 1] > flat[:, 3])
        )
        if bad.any():
            raise self.error(
                f"bounding boxes must be [y_min, x_min, y_max, x_max] within [0, 1]; got "
                f"{flat[bad][0].tolist()}."
            )
        px = np.stack([flat[:, 0] * h, flat[:, 1] * w, flat[:, 2] * h, flat[:, 3] * w], 1)
        px = px.astype(np.int64)  # whole pixels, as TF's rectangles
        min_cov = float(min_covered)
        rng = self._rng(ctx)
        lo_r, hi_r = a["aspect_ratio_range"]
        crop = None
        for _ in range(a["max_attempts"]):
            ratio = float(rng.uniform(lo_r, hi_r))
            c = _random_crop(rng, h, w, ratio, tuple(a["area_range"]))
            if c is not None and _covers(c, px, min_cov):
                crop = c
                break
        y, x, ch, cw = crop if crop is not None else (0, 0, h, w)
        dt = image_size.dtype
        box = np.array([[[y / h, x / w, (y + ch) / h, (x + cw) / w]]], np.float32)
        return [np.array([y, x, 0], dt), np.array([ch, cw, -1], dt), box]


def _pair(v: Any, default: tuple[float, float], what: str) -> list[float]:
    v = list(default) if v is None else [float(t) for t in v]
    if len(v) != 2 or v[0] > v[1]:
        raise ValueError(f"sample_distorted_bounding_box: {what} must be [low, high]; got {v}.")
    return v


def sample_distorted_bounding_box(
    image_size: Any,
    bounding_boxes: Any,
    seed: Any = None,
    seed2: Any = None,
    min_object_covered: Any = 0.1,
    aspect_ratio_range: Any = None,
    area_range: Any = None,
    max_attempts: int | None = None,
    use_image_if_no_bounding_boxes: bool | None = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """A random crop for data augmentation: (begin, size, bboxes) for tf.slice(image, begin,
    size) and for drawing it ([1, 1, 4]). The crop's width / height lies in
    aspect_ratio_range (default [0.75, 1.33]), its area in area_range (default [0.05, 1]) of
    the image, and it covers at least min_object_covered of the area of one of
    bounding_boxes ([batch, N, 4] fractions); after max_attempts (default 100) failed draws it
    is the whole image. Seeded like every random op (TF's draws are not reproduced).

    Example:
        >>> img = tf.zeros([32, 32, 3])
        >>> boxes = tf.constant([[[0.1, 0.1, 0.9, 0.9]]])
        >>> begin, size, _ = tf.image.sample_distorted_bounding_box(tf.shape(img), boxes, seed=1)
        >>> crop = tf.slice(img, begin, size)
        >>> tf.Session().run(crop).ndim
        3
    """
    with _graph_for(image_size, bounding_boxes, min_object_covered):
        if seed2 is not None and seed is not None:
            attrs: dict[str, Any] = {"seed": int(seed), "seed2": int(seed2)}
        else:
            attrs = _seeded(seed)
        attrs.update(
            aspect_ratio_range=_pair(aspect_ratio_range, (0.75, 1.33), "aspect_ratio_range"),
            area_range=_pair(area_range, (0.05, 1.0), "area_range"),
            max_attempts=100 if max_attempts is None else int(max_attempts),
            use_image_if_no_bounding_boxes=bool(use_image_if_no_bounding_boxes),
        )
        if attrs["max_attempts"] < 1:
            raise ValueError(
                f"sample_distorted_bounding_box: max_attempts must be positive; got "
                f"{attrs['max_attempts']}."
            )
        size = convert_to_tensor(image_size)
        boxes = convert_to_tensor(bounding_boxes, dtype=dtypes.float32)
        cov = convert_to_tensor(min_object_covered, dtype=dtypes.float32)
        begin, sz, box = apply_op(SampleDistortedBoundingBoxV2, [size, boxes, cov], attrs, name)
        return begin, sz, box


# -- extract_glimpse ---------------------------------------------------------------------------
@register_op("ExtractGlimpse")
class ExtractGlimpse(_RandomOp):
    """glimpses [batch, gh, gw, channels]: the window of each image at its offset (y, x);
    pixels outside the image are noise (uniform in the channel's range, or gaussian with
    its mean and deviation) or 0."""

    def infer(self, x: Tensor, size: Tensor, offsets: Tensor) -> TensorSpec:
        from flowzero.ops.common import static_value

        if x.dtype is not dtypes.float32 or offsets.dtype is not dtypes.float32:
            raise self.error(
                f"input and offsets must be float32; got {x.dtype.name} and {offsets.dtype.name}.",
                cls=DTypeError,
            )
        if x.shape.ndims not in (None, 4):
            raise self.error(f"input must be 4-D [batch, height, width, channels]; got {x.shape}.")
        k = x.shape.as_list() if x.shape.ndims == 4 else [None] * 4
        sv = static_value(size)
        gh, gw = (None, None) if sv is None else (int(sv[0]), int(sv[1]))
        return spec([k[0], gh, gw, k[3]], x.dtype)

    def compute(self, ctx: Any, x: np.ndarray, size: np.ndarray, offsets: np.ndarray) -> Any:
        b, h, w, c = x.shape
        if np.shape(size) != (2,) or np.shape(offsets) != (b, 2):
            raise self.error(
                f"size must be [2] and offsets [batch, 2]; got size: {np.shape(size)}, "
                f"offsets: {np.shape(offsets)}, input: {x.shape}."
            )
        gh, gw = int(size[0]), int(size[1])
        a = self.attrs
        out = np.empty((b, gh, gw, c), x.dtype)
        rng = self._rng(ctx) if a["noise"] != "zero" else None
        for i in range(b):
            y, xx = float(offsets[i, 0]), float(offsets[i, 1])
            if a["normalized"]:
                y, xx = y * h, xx * w
            if a["centered"]:
                y, xx = y / 2.0 + h / 2.0, xx / 2.0 + w / 2.0
            top, left = int(y - gh / 2.0), int(xx - gw / 2.0)  # truncation, as TF 1.15
            img = x[i]
            if rng is None:
                patch = np.zeros((gh, gw, c), x.dtype)
            elif a["noise"] == "uniform":
                lo, hi = img.min(axis=(0, 1)), img.max(axis=(0, 1))
                patch = (lo + (hi - lo) * rng.random((gh, gw, c))).astype(x.dtype)
            else:
                mu, sd = img.mean(axis=(0, 1)), img.std(axis=(0, 1))
                patch = (mu + sd * rng.standard_normal((gh, gw, c))).astype(x.dtype)
            r0, r1 = max(top, 0), min(top + gh, h)
            c0, c1 = max(left, 0), min(left + gw, w)
            if r0 < r1 and c0 < c1:
                patch[r0 - top : r1 - top, c0 - left : c1 - left] = img[r0:r1, c0:c1]
            out[i] = patch
        return out


def extract_glimpse(
    input: Any,  # noqa: A002
    size: Any,
    offsets: Any,
    centered: bool = True,
    normalized: bool = True,
    uniform_noise: bool = True,
    name: str | None = None,
) -> Tensor:
    """Windows of `size` [gh, gw] from images [batch, h, w, c] at offsets [batch, 2] (y, x of
    each window's centre): with `centered`, offsets are relative to the image centre (in
    [-1, 1] when `normalized`), else to the top left corner (in [0, 1] when `normalized`);
    pixels outside the image are random noise (uniform, or gaussian when not
    uniform_noise), as TF 1.15.

    Example:
        >>> images = tf.zeros([2, 16, 16, 1])
        >>> glimpses = tf.image.extract_glimpse(images, [8, 8], [[0., 0.]] * 2)   # central 8 x 8
        >>> glimpses.shape.as_list()
        [2, 8, 8, 1]
    """
    with _graph_for(input, size, offsets):
        x = convert_to_tensor(input, dtype=dtypes.float32)
        attrs = _seeded(None)
        attrs.update(
            centered=bool(centered),
            normalized=bool(normalized),
            uniform_noise=bool(uniform_noise),
            noise="uniform" if uniform_noise else "gaussian",
        )
        s = convert_to_tensor(size, dtype=dtypes.int32)
        o = convert_to_tensor(offsets, dtype=dtypes.float32)
        return apply_op(ExtractGlimpse, [x, s, o], attrs, name=name)


# -- JPEG at a run-time quality ----------------------------------------------------------------
@register_op("EncodeJpegVariableQuality")
class EncodeJpegVariableQuality(OpDef):
    """A JPEG file (scalar string) of an [height, width, 1 or 3] uint8 image at quality q."""

    differentiable = False

    def infer(self, image: Tensor, quality: Tensor) -> TensorSpec:
        if image.dtype is not dtypes.uint8:
            raise self.error(f"images must be uint8; got {image.dtype.name}.", cls=DTypeError)
        if quality.dtype is not dtypes.int32 or quality.shape.ndims not in (None, 0):
            raise self.error(
                f"quality must be an int32 scalar; got {quality.dtype.name} {quality.shape}."
            )
        if image.shape.ndims not in (None, 3):
            raise self.error(f"images must be 3-D [height, width, channels]; got {image.shape}.")
        return spec([], dtypes.string)

    def compute(self, image: np.ndarray, quality: np.ndarray) -> np.ndarray:
        from flowzero.ops.image_codec_ops import _pil, _string_out

        if image.ndim != 3 or image.shape[-1] not in (1, 3):
            raise self.error(f"images must be [height, width, 1 or 3]; got {list(image.shape)}.")
        q = int(quality)
        if not 0 <= q <= 100:
            raise self.error(f"quality must be in [0, 100]; got {q}.")
        im = _pil().fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=q)
        return _string_out(buf.getvalue())


def adjust_jpeg_quality(
    image: Any, jpeg_quality: Any, dct_method: str = "", name: str | None = None
) -> Tensor:
    """The image after a JPEG round trip at jpeg_quality (0-100, an int or int32 tensor): to
    uint8, encoded, decoded, and back to the image's dtype. A 3-D image with 1 or 3 channels.

    Example:
        >>> img = tf.zeros([8, 8, 3], tf.uint8)
        >>> noisy = tf.image.adjust_jpeg_quality(img, 30)
        >>> tf.Session().run(noisy).shape
        (8, 8, 3)
    """
    from flowzero.image import convert_image_dtype
    from flowzero.ops.image_codec_ops import _require_pillow, decode_jpeg

    _require_pillow("adjust_jpeg_quality")
    if not isinstance(jpeg_quality, Tensor) and not 0 <= int(jpeg_quality) <= 100:
        raise ValueError(
            f"adjust_jpeg_quality: jpeg_quality must be in [0, 100]; got {jpeg_quality}."
        )
    with _graph_for(image, jpeg_quality):
        x = convert_to_tensor(image)
        with x.graph.name_scope(name or "adjust_jpeg_quality"):
            u8 = convert_image_dtype(x, dtypes.uint8, saturate=True)
            q = convert_to_tensor(jpeg_quality, dtype=dtypes.int32)
            data = apply_op(EncodeJpegVariableQuality, [u8, q])
            return convert_image_dtype(decode_jpeg(data, dct_method=dct_method), x.dtype)


def random_jpeg_quality(
    image: Any, min_jpeg_quality: int, max_jpeg_quality: int, seed: Any = None
) -> Tensor:
    """adjust_jpeg_quality at a quality drawn uniformly from [min_jpeg_quality,
    max_jpeg_quality) per run."""
    from flowzero.ops.random_ops import random_uniform

    lo, hi = int(min_jpeg_quality), int(max_jpeg_quality)
    if lo < 0 or hi < 0 or lo > 100 or hi > 100:
        raise ValueError("random_jpeg_quality: jpeg quality must be in [0, 100].")
    if lo >= hi:
        raise ValueError("random_jpeg_quality: min_jpeg_quality must be < max_jpeg_quality.")
    with _graph_for(image):
        q = random_uniform([], lo, hi, dtype=dtypes.int32, seed=seed)
        return adjust_jpeg_quality(image, q)
