"""Image resizing kernels: ResizeBilinear and ResizeNearestNeighbor (TF1's resize ops, with
`align_corners` and `half_pixel_centers`) and their gradient ops.

Both resizes are separable and linear in the image: out = Ry · image · Rxᵀ per channel, with
Ry [out_h, in_h] and Rx [out_w, in_w] the interpolation matrices (two nonzeros per row for
bilinear, one for nearest). A kernel is two tensordots with them, and the gradient the same
with the matrices transposed — whose own gradient is the resize again.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import array_ops
from flowzero.ops.common import DTypeError, static_value


def _cubic(t: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel at distances t (TF: a = -0.75 legacy, -0.5 with
    half_pixel_centers)."""
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


@functools.lru_cache(maxsize=256)
def _matrix(out: int, inp: int, kind: Any, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """The [out, inp] matrix taking a length-`inp` axis to length `out`, as TF's kernels.

    kind: True/"bilinear", False/"nearest", "bicubic" or "area".
    """
    bilinear = kind is True or kind == "bilinear"
    if align_corners and out > 1:
        scale = (inp - 1) / (out - 1)
    else:
        scale = inp / out
    m = np.zeros((out, inp), np.float64)
    dst = np.arange(out, dtype=np.float64)
    rows = np.arange(out)
    if kind == "area":
        # Output pixel y covers [y*scale, (y+1)*scale) of the input; each input pixel counts
        # by the length of its overlap, the sum divided by scale (TF's ResizeArea).
        lo, hi = dst * scale, (dst + 1) * scale
        for k in range(int(np.ceil(scale)) + 1):
            i = np.floor(lo) + k
            w = np.minimum(i + 1, hi) - np.maximum(i, lo)
            ok = (i < np.ceil(hi)) & (w > 0)
            np.add.at(m, (rows[ok], np.minimum(i[ok], inp - 1).astype(np.int64)), w[ok] / scale)
        return m
    if kind == "bicubic":
        # NOTE: TF reads the weights from a 1024-entry table (the fractional offset rounded
        # to 1/1024), with float32 source coordinates; so do we, to agree to float precision.
        f32 = np.float32
        d32 = dst.astype(f32)
        src = (d32 + f32(0.5)) * f32(scale) - f32(0.5) if half_pixel else d32 * f32(scale)
        base = np.floor(src).astype(np.float64)
        t = np.rint((src - base) * 1024) / 1024
        for k in (-1, 0, 1, 2):
            i = base + k
            w = _cubic(t - k, -0.5 if half_pixel else -0.75)
            inside = (i >= 0) & (i <= inp - 1)
            if half_pixel:  # Keys' rule: taps outside the image get no weight (renormalised)
                w = np.where(inside, w, 0.0)
            np.add.at(m, (rows, np.clip(i, 0, inp - 1).astype(np.int64)), w)
        if half_pixel:
            m /= m.sum(axis=1, keepdims=True)
        return m
    if bilinear:
        src = (dst + 0.5) * scale - 0.5 if half_pixel else dst * scale
        lo_f = np.floor(src)
        lerp = src - lo_f
        lo = np.clip(lo_f, 0, inp - 1).astype(np.int64)
        hi = np.clip(np.ceil(src), 0, inp - 1).astype(np.int64)
        np.add.at(m, (np.arange(out), lo), 1.0 - lerp)
        np.add.at(m, (np.arange(out), hi), lerp)
    else:
        if align_corners:
            src = np.round(dst * scale)
        elif half_pixel:
            src = np.floor((dst + 0.5) * scale)
        else:
            src = np.floor(dst * scale)
        m[np.arange(out), np.minimum(src.astype(np.int64), inp - 1)] = 1.0
    return m


class _Resize(OpDef):
    bilinear: bool = True  # a float result (also bicubic and area)
    kind: Any = True  # _matrix's kind

    def _mats(
        self, out_h: int, out_w: int, in_h: int, in_w: int, dt: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        a = self.attrs
        args = (self.kind, bool(a["align_corners"]), bool(a.get("half_pixel_centers", False)))
        return _matrix(out_h, in_h, *args).astype(dt), _matrix(out_w, in_w, *args).astype(dt)

    def _apply(self, x: np.ndarray, ry: np.ndarray, rx: np.ndarray) -> np.ndarray:
        # [b, h, w, c] -> [b, out_h, w, c] -> [b, out_h, out_w, c]
        y = np.einsum("oh,bhwc->bowc", ry, x, optimize=True)
        return np.einsum("pw,bowc->bopc", rx, y, optimize=True)


def _check_images(op: OpDef, x: Tensor, what: str) -> None:
    if x.shape.ndims not in (None, 4):
        raise op.error(f"{what} must be 4-D [batch, height, width, channels]; got shape {x.shape}.")
    if x.dtype.np.kind not in "fiu":
        raise op.error(f"{what} must be a real number tensor; got {x.dtype.name}.", cls=DTypeError)


def _size_value(op: OpDef, size: np.ndarray) -> tuple[int, int]:
    s = np.asarray(size).reshape(-1)
    if s.shape != (2,) or (s <= 0).any():
        raise op.error(f"size must be 2 positive ints [new_height, new_width]; got {s.tolist()}.")
    return int(s[0]), int(s[1])


class _ResizeForward(_Resize):
    def infer(self, images: Tensor, size: Tensor) -> TensorSpec:
        _check_images(self, images, "images")
        sv = static_value(size)
        known = images.shape.known
        b = known[0] if known else None
        c = known[3] if known else None
        hw: list[int | None] = [None, None]
        if sv is not None:
            hw = list(_size_value(self, sv))
        return spec(TensorShape([b, *hw, c]), self._out_dtype(images.dtype))

    def _out_dtype(self, dt: dtypes.DType) -> dtypes.DType:
        return (
            dtypes.float32
            if self.bilinear and dt.np.kind != "f"
            else (dtypes.float32 if self.bilinear and dt is dtypes.float16 else dt)
        )

    def compute(self, x: np.ndarray, size: np.ndarray) -> np.ndarray:
        out_h, out_w = _size_value(self, size)
        out_dt = self._out_dtype(dtypes.as_dtype(x.dtype)).np
        ry, rx = self._mats(
            out_h, out_w, x.shape[1], x.shape[2], np.float64 if out_dt == np.float64 else np.float32
        )
        y = self._apply(x.astype(ry.dtype, copy=False), ry, rx)
        if not self.bilinear and x.dtype.kind in "iu":
            return np.rint(y).astype(x.dtype)
        return y.astype(out_dt, copy=False)


@register_op("ResizeBilinear")
class ResizeBilinear(_ResizeForward):
    """y[b, i, j, c] = bilinear interpolation of images at the source point of (i, j)."""

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(ResizeBilinearGrad, [dy, op.inputs[0]], dict(self.attrs)), None]


@register_op("ResizeNearestNeighbor")
class ResizeNearestNeighbor(_ResizeForward):
    """y[b, i, j, c] = images at the nearest source pixel of (i, j)."""

    bilinear = False
    kind = False

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [
            apply_op(
                ResizeNearestNeighborGrad,
                [dy, array_ops.shape(op.inputs[0])[1:3]],
                dict(self.attrs),
            ),
            None,
        ]


class _ResizeBackward(_Resize):
    """dx of a resize: dy taken back through the transposed interpolation matrices."""

    def _in_hw(self, ref: np.ndarray) -> tuple[int, int]:
        raise NotImplementedError

    def compute(self, dy: np.ndarray, ref: np.ndarray) -> np.ndarray:
        in_h, in_w = self._in_hw(ref)
        ry, rx = self._mats(dy.shape[1], dy.shape[2], in_h, in_w, dy.dtype)
        return self._apply(dy, ry.T, rx.T).astype(dy.dtype, copy=False)


@register_op("ResizeBilinearGrad")
class ResizeBilinearGrad(_ResizeBackward):
    """dx[b, h, w, c] of ResizeBilinear, from dy and the original image (for its shape)."""

    def infer(self, dy: Tensor, original: Tensor) -> TensorSpec:
        return spec(original.shape, dy.dtype)

    def _in_hw(self, ref: np.ndarray) -> tuple[int, int]:
        return ref.shape[1], ref.shape[2]

    def compute(self, dy: np.ndarray, ref: np.ndarray) -> np.ndarray:
        return super().compute(dy, ref).astype(ref.dtype if ref.dtype.kind == "f" else dy.dtype)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        # Linear in dy: its gradient is the forward resize, to dy's size.
        size = array_ops.shape(op.inputs[0])[1:3]
        return [apply_op(ResizeBilinear, [ddx, size], dict(self.attrs)), None]


@register_op("ResizeNearestNeighborGrad")
class ResizeNearestNeighborGrad(_ResizeBackward):
    """dx of ResizeNearestNeighbor: each dy pixel added to its source pixel."""

    bilinear = False
    kind = False

    def infer(self, dy: Tensor, size: Tensor) -> TensorSpec:
        sv = static_value(size)
        known = dy.shape.known
        hw = [None, None] if sv is None else [int(v) for v in np.asarray(sv).reshape(-1)]
        return spec(
            TensorShape([known[0] if known else None, *hw, known[3] if known else None]), dy.dtype
        )

    def _in_hw(self, ref: np.ndarray) -> tuple[int, int]:
        return _size_value(self, ref)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        size = array_ops.shape(op.inputs[0])[1:3]
        return [apply_op(ResizeNearestNeighbor, [ddx, size], dict(self.attrs)), None]


@register_op("ResizeBicubic")
class ResizeBicubic(_ResizeForward):
    """y[b, i, j, c] = Keys cubic interpolation of images (4x4 taps) at the source point."""

    kind = "bicubic"

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(ResizeBicubicGrad, [dy, op.inputs[0]], dict(self.attrs)), None]


@register_op("ResizeBicubicGrad")
class ResizeBicubicGrad(ResizeBilinearGrad):
    """dx[b, h, w, c] of ResizeBicubic, from dy and the original image (for its shape)."""

    kind = "bicubic"

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        size = array_ops.shape(op.inputs[0])[1:3]
        return [apply_op(ResizeBicubic, [ddx, size], dict(self.attrs)), None]


@register_op("ResizeArea")
class ResizeArea(_ResizeForward):
    """y[b, i, j, c] = the mean of images over the area pixel (i, j) covers (overlap-weighted).
    No gradient, as TF."""

    kind = "area"
    differentiable = False

    def _out_dtype(self, dt: dtypes.DType) -> dtypes.DType:
        return dtypes.float32  # TF's ResizeArea: float32 for every input dtype (float64 too)


def _resize(
    cls: type[OpDef],
    images: Any,
    size: Any,
    align_corners: bool,
    half_pixel_centers: bool,
    name: str | None,
) -> Tensor:
    if align_corners and half_pixel_centers:
        raise ValueError("If half_pixel_centers is True, align_corners must be False.")
    if not isinstance(size, Tensor):
        size = array_ops.constant(np.asarray(size, np.int32), name="size")
    return apply_op(
        cls,
        [images, size],
        {"align_corners": bool(align_corners), "half_pixel_centers": bool(half_pixel_centers)},
        name=name,
    )


def resize_bilinear(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:
    """Bilinear resize of a 4-D [batch, height, width, channels] batch to `size` (float32 out,
    float64 for float64 images), as TF1's tf.image.resize_bilinear."""
    return _resize(ResizeBilinear, images, size, align_corners, half_pixel_centers, name)


def resize_nearest_neighbor(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:
    """Nearest-neighbour resize of a 4-D batch to `size` (images' dtype), as TF1's
    tf.image.resize_nearest_neighbor."""
    return _resize(ResizeNearestNeighbor, images, size, align_corners, half_pixel_centers, name)


def resize_bicubic(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:
    """Bicubic resize of a 4-D batch to `size` (float32 out, float64 for float64 images), as
    TF1's tf.image.resize_bicubic (Keys' kernel, a = -0.75; -0.5 with half_pixel_centers)."""
    return _resize(ResizeBicubic, images, size, align_corners, half_pixel_centers, name)


def resize_area(
    images: Any, size: Any, align_corners: bool = False, name: str | None = None
) -> Tensor:
    """Area resize of a 4-D batch to `size` (each output pixel the overlap-weighted mean of
    the input pixels it covers; float32 out, float64 for float64 images), as TF1's
    tf.image.resize_area. Not differentiable (TF has no gradient)."""
    return _resize(ResizeArea, images, size, align_corners, False, name)


# -- crop_and_resize ---------------------------------------------------------------------------
def _crop_coords(
    boxes: np.ndarray, size: int, crop: int, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates [num_boxes, crop] along one axis (boxes[:, lo]..boxes[:, hi] in
    normalised units, size pixels) and whether each is inside the image."""
    b0, b1 = boxes[:, lo].astype(np.float32), boxes[:, hi].astype(np.float32)
    if crop > 1:
        scale = (b1 - b0) * np.float32(size - 1) / np.float32(crop - 1)
        src = (
            b0[:, None] * np.float32(size - 1) + np.arange(crop, dtype=np.float32) * scale[:, None]
        )
    else:
        src = np.repeat((np.float32(0.5) * (b0 + b1) * np.float32(size - 1))[:, None], crop, 1)
    return src, (src >= 0) & (src <= size - 1)


class _CropResize(OpDef):
    def _method(self) -> str:
        m = self.attrs.get("method", "bilinear")
        if m not in ("bilinear", "nearest"):
            raise self.error(f"method must be 'bilinear' or 'nearest'; got {m!r}.")
        return m

    def _check_boxes(self, boxes: Tensor, box_ind: Tensor) -> None:
        if boxes.shape.ndims not in (None, 2) or (
            boxes.shape.ndims == 2 and boxes.shape[1].value not in (None, 4)
        ):
            raise self.error(f"boxes must be [num_boxes, 4]; got boxes: {boxes.shape}.")
        if box_ind.shape.ndims not in (None, 1):
            raise self.error(f"box_ind must be [num_boxes]; got box_ind: {box_ind.shape}.")
        if box_ind.dtype.np.kind not in "iu":
            raise self.error(f"box_ind must be int32; got {box_ind.dtype.name}.", cls=DTypeError)
        nb, ni = boxes.shape[0].value if boxes.shape.ndims else None, None
        if box_ind.shape.ndims:
            ni = box_ind.shape[0].value
        if nb is not None and ni is not None and nb != ni:
            raise self.error(
                f"boxes and box_ind must have the same number of boxes; got boxes: "
                f"{boxes.shape}, box_ind: {box_ind.shape}."
            )

    def _plan(
        self, boxes: np.ndarray, box_ind: np.ndarray, h: int, w: int, ch: int, cw: int, batch: int
    ) -> tuple[Any, ...]:
        """Per output pixel: image index, the 2 (or 1) source rows/cols with their weights,
        and the inside-the-image mask."""
        if boxes.shape[0] != box_ind.shape[0]:
            raise self.error(
                f"boxes and box_ind must have the same number of boxes; got {boxes.shape[0]} "
                f"and {box_ind.shape[0]}."
            )
        if box_ind.size and (box_ind.min() < 0 or box_ind.max() >= batch):
            raise self.error(
                f"box_ind must be in [0, {batch}); got values {box_ind.min()}..{box_ind.max()}."
            )
        ys, yin = _crop_coords(boxes, h, ch, 0, 2)
        xs, xin = _crop_coords(boxes, w, cw, 1, 3)
        inside = yin[:, :, None] & xin[:, None, :]
        return ys, xs, inside


@register_op("CropAndResize")
class CropAndResize(_CropResize):
    """y[b, i, j, c] = image[box_ind[b]] sampled (bilinear or nearest) at the i, j-th grid point
    of box b; extrapolation_value where that point is outside the image."""

    def infer(self, image: Tensor, boxes: Tensor, box_ind: Tensor, size: Tensor) -> TensorSpec:
        _check_images(self, image, "image")
        self._method()
        self._check_boxes(boxes, box_ind)
        if boxes.dtype.np.kind != "f":
            raise self.error(f"boxes must be float; got {boxes.dtype.name}.", cls=DTypeError)
        sv = static_value(size)
        hw: list[Any] = [None, None] if sv is None else list(_size_value(self, sv))
        nb = boxes.shape[0].value if boxes.shape.ndims else None
        c = image.shape[3].value if image.shape.ndims else None
        return spec(TensorShape([nb, *hw, c]), dtypes.float32)

    def compute(
        self, image: np.ndarray, boxes: np.ndarray, box_ind: np.ndarray, size: np.ndarray
    ) -> np.ndarray:
        ch, cw = _size_value(self, size)
        n, h, w, c = image.shape
        ys, xs, inside = self._plan(boxes, box_ind, h, w, ch, cw, n)
        img = image.astype(np.float32, copy=False)
        bi = box_ind.astype(np.int64)[:, None, None]
        if self._method() == "nearest":
            yi = np.clip(np.floor(ys + 0.5), 0, h - 1).astype(np.int64)[:, :, None]
            xi = np.clip(np.floor(xs + 0.5), 0, w - 1).astype(np.int64)[:, None, :]
            out = img[bi, yi, xi]
        else:
            y0 = np.clip(np.floor(ys), 0, h - 1).astype(np.int64)
            y1 = np.clip(np.ceil(ys), 0, h - 1).astype(np.int64)
            x0 = np.clip(np.floor(xs), 0, w - 1).astype(np.int64)
            x1 = np.clip(np.ceil(xs), 0, w - 1).astype(np.int64)
            ly = (ys - np.floor(ys))[:, :, None, None]
            lx = (xs - np.floor(xs))[:, None, :, None]
            tl = img[bi, y0[:, :, None], x0[:, None, :]]
            tr = img[bi, y0[:, :, None], x1[:, None, :]]
            bl = img[bi, y1[:, :, None], x0[:, None, :]]
            br = img[bi, y1[:, :, None], x1[:, None, :]]
            top = tl + (tr - tl) * lx
            bottom = bl + (br - bl) * lx
            out = top + (bottom - top) * ly
        ext = np.float32(self.attrs.get("extrapolation_value", 0.0))
        return np.where(inside[..., None], out, ext).astype(np.float32)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        image, boxes, box_ind, _ = op.inputs
        dimg = apply_op(
            CropAndResizeGradImage,
            [dy, boxes, box_ind, array_ops.shape(image)],
            {"method": self._method(), "T": image.dtype},
        )
        return [dimg, None, None, None]


@register_op("CropAndResizeGradImage")
class CropAndResizeGradImage(_CropResize):
    """dimage: each grads[b, i, j, c] added to the source pixels of grid point (i, j) of box b
    with its bilinear (or nearest) weights; nothing for points outside the image."""

    def infer(self, dy: Tensor, boxes: Tensor, box_ind: Tensor, size: Tensor) -> TensorSpec:
        self._method()
        self._check_boxes(boxes, box_ind)
        sv = static_value(size)
        shape = TensorShape(None if sv is None else [int(v) for v in np.asarray(sv)])
        if sv is None:
            shape = TensorShape([None, None, None, dy.shape[3].value if dy.shape.ndims else None])
        return spec(shape, dtypes.as_dtype(self.attrs.get("T", dtypes.float32)))

    def compute(
        self, dy: np.ndarray, boxes: np.ndarray, box_ind: np.ndarray, size: np.ndarray
    ) -> np.ndarray:
        n, h, w, c = (int(v) for v in size)
        _, ch, cw, _ = dy.shape
        ys, xs, inside = self._plan(boxes, box_ind, h, w, ch, cw, n)
        g = np.where(inside[..., None], dy, 0).astype(np.float64)
        out = np.zeros((n, h, w, c), np.float64)
        bi = np.broadcast_to(box_ind.astype(np.int64)[:, None, None], inside.shape)
        if self._method() == "nearest":
            yi = np.broadcast_to(
                np.clip(np.floor(ys + 0.5), 0, h - 1).astype(np.int64)[:, :, None], bi.shape
            )
            xi = np.broadcast_to(
                np.clip(np.floor(xs + 0.5), 0, w - 1).astype(np.int64)[:, None, :], bi.shape
            )
            np.add.at(out, (bi, yi, xi), g)
        else:
            fy, fx = np.floor(ys), np.floor(xs)
            ly = (ys - fy)[:, :, None]
            lx = (xs - fx)[:, None, :]
            y0 = np.clip(fy, 0, h - 1).astype(np.int64)[:, :, None]
            y1 = np.clip(np.ceil(ys), 0, h - 1).astype(np.int64)[:, :, None]
            x0 = np.clip(fx, 0, w - 1).astype(np.int64)[:, None, :]
            x1 = np.clip(np.ceil(xs), 0, w - 1).astype(np.int64)[:, None, :]
            for yy, xx, wt in (
                (y0, x0, (1 - ly) * (1 - lx)),
                (y0, x1, (1 - ly) * lx),
                (y1, x0, ly * (1 - lx)),
                (y1, x1, ly * lx),
            ):
                yy, xx = np.broadcast_to(yy, bi.shape), np.broadcast_to(xx, bi.shape)
                np.add.at(out, (bi, yy, xx), g * wt[..., None])
        dt = dtypes.as_dtype(self.attrs.get("T", dtypes.float32)).np
        return out.astype(dt)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        _, boxes, box_ind, size = op.inputs
        crop = array_ops.shape(op.inputs[0])[1:3]
        attrs = {"method": self._method(), "extrapolation_value": 0.0}
        return [apply_op(CropAndResize, [ddx, boxes, box_ind, crop], attrs), None, None, None]


def crop_and_resize(
    image: Any,
    boxes: Any,
    box_ind: Any = None,
    crop_size: Any = None,
    method: str = "bilinear",
    extrapolation_value: float = 0.0,
    name: str | None = None,
    box_indices: Any = None,
) -> Tensor:
    """Crops boxes out of a batch of images and resizes each to crop_size (float32 result).

    Args:
        image: [batch, height, width, channels].
        boxes: [num_boxes, 4] float, each [y1, x1, y2, x2] in normalised coordinates (0..1 spans
            the image; y1 > y2 flips the crop; outside 0..1 extrapolates).
        box_ind: [num_boxes] int32, the image of each box (TF2 name: box_indices).
        crop_size: [crop_height, crop_width].
        method: 'bilinear' or 'nearest'.
        extrapolation_value: the value of grid points outside the image.

    Returns:
        [num_boxes, crop_height, crop_width, channels] float32; differentiable w.r.t. image
        (not boxes).
    """
    box_ind = box_indices if box_ind is None else box_ind
    if box_ind is None or crop_size is None:
        raise TypeError("crop_and_resize: box_ind and crop_size are required.")
    if not isinstance(crop_size, Tensor):
        crop_size = array_ops.constant(np.asarray(crop_size, np.int32), name="crop_size")
    if not isinstance(boxes, Tensor):
        boxes = array_ops.constant(np.asarray(boxes, np.float32), name="boxes")
    if not isinstance(box_ind, Tensor):
        box_ind = array_ops.constant(np.asarray(box_ind, np.int32), name="box_ind")
    return apply_op(
        CropAndResize,
        [image, boxes, box_ind, crop_size],
        {"method": method, "extrapolation_value": float(extrapolation_value)},
        name=name,
    )


__all__: list[str] = []  # public through tf.image (flowzero/image.py)
