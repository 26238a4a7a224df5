"""Moving pixels between space and depth: space_to_depth / depth_to_space (each the other's
gradient) and extract_image_patches (whose gradient, the sum of the patches back into the
image, is its own op)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _shape_like
from flowzero.ops.conv_ops import _out_dim


def _nhwc(x: np.ndarray, fmt: str) -> np.ndarray:
    return np.transpose(x, (0, 2, 3, 1)) if fmt == "NCHW" else x


def _from_nhwc(x: np.ndarray, fmt: str) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)) if fmt == "NCHW" else x)


class _BlockOp(OpDef):
    grads_match_inputs = False

    def _check(self, x: Tensor) -> tuple[int, str, list[int | None] | None]:
        bs, fmt = self.attrs["block_size"], self.attrs["data_format"]
        if bs < 2:
            raise self.error(f"block_size must be at least 2; got {bs}.")
        if fmt not in ("NHWC", "NCHW"):
            raise self.error(f"data_format must be 'NHWC' or 'NCHW'; got {fmt!r}.")
        k = x.shape.known
        if k is not None and len(k) != 4:
            raise self.error(f"input must be 4-D; got shape {x.shape}.")
        if k is None:
            return bs, fmt, None
        b, h, w, c = (k[0], k[2], k[3], k[1]) if fmt == "NCHW" else k
        return bs, fmt, [b, h, w, c]

    def _out(self, fmt: str, b: Any, h: Any, w: Any, c: Any, dtype: Any) -> TensorSpec:
        dims = [b, c, h, w] if fmt == "NCHW" else [b, h, w, c]
        return spec(TensorShape(dims), dtype)


@register_op("SpaceToDepth")
class SpaceToDepth(_BlockOp):
    """y[b, i, j, (di * bs + dj) * C + c] = x[b, i * bs + di, j * bs + dj, c]."""

    def infer(self, x: Tensor) -> TensorSpec:
        bs, fmt, d = self._check(x)
        if d is None:
            return spec(TensorShape(None), x.dtype)
        b, h, w, c = d
        for v, nm in ((h, "height"), (w, "width")):
            if v is not None and v % bs:
                raise self.error(
                    f"{nm} {v} must be divisible by block_size {bs}; got input shape {x.shape}."
                )
        return self._out(
            fmt,
            b,
            None if h is None else h // bs,
            None if w is None else w // bs,
            None if c is None else c * bs * bs,
            x.dtype,
        )

    def compute(self, x: np.ndarray) -> np.ndarray:
        bs, fmt = self.attrs["block_size"], self.attrs["data_format"]
        v = _nhwc(x, fmt)
        b, h, w, c = v.shape
        if h % bs or w % bs:
            raise self.error(
                f"height and width must be divisible by block_size {bs}; got input shape {x.shape}."
            )
        y = v.reshape(b, h // bs, bs, w // bs, bs, c).transpose(0, 1, 3, 2, 4, 5)
        return _from_nhwc(y.reshape(b, h // bs, w // bs, bs * bs * c), fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [depth_to_space(dy, self.attrs["block_size"], data_format=self.attrs["data_format"])]


@register_op("DepthToSpace")
class DepthToSpace(_BlockOp):
    """y[b, i * bs + di, j * bs + dj, c] = x[b, i, j, (di * bs + dj) * C + c]."""

    def infer(self, x: Tensor) -> TensorSpec:
        bs, fmt, d = self._check(x)
        if d is None:
            return spec(TensorShape(None), x.dtype)
        b, h, w, c = d
        if c is not None and c % (bs * bs):
            raise self.error(
                f"depth {c} must be divisible by block_size^2 = {bs * bs}; got "
                f"input shape {x.shape}."
            )
        return self._out(
            fmt,
            b,
            None if h is None else h * bs,
            None if w is None else w * bs,
            None if c is None else c // (bs * bs),
            x.dtype,
        )

    def compute(self, x: np.ndarray) -> np.ndarray:
        bs, fmt = self.attrs["block_size"], self.attrs["data_format"]
        v = _nhwc(x, fmt)
        b, h, w, c = v.shape
        if c % (bs * bs):
            raise self.error(
                f"depth {c} must be divisible by block_size^2 = {bs * bs}; got "
                f"input shape {x.shape}."
            )
        oc = c // (bs * bs)
        y = v.reshape(b, h, w, bs, bs, oc).transpose(0, 1, 3, 2, 4, 5)
        return _from_nhwc(y.reshape(b, h * bs, w * bs, oc), fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [space_to_depth(dy, self.attrs["block_size"], data_format=self.attrs["data_format"])]


def space_to_depth(
    input: Any,  # noqa: A002
    block_size: int,
    name: str | None = None,
    data_format: str = "NHWC",
) -> Tensor:
    """Moves each block_size x block_size block of pixels into the depth dimension.

    Example:
        >>> tf.space_to_depth(tf.zeros([1, 4, 4, 3]), 2).shape   # (1, 2, 2, 12)
        TensorShape([1, 2, 2, 12])
    """
    return apply_op(
        SpaceToDepth,
        [input],
        {"block_size": int(block_size), "data_format": data_format},
        name=name,
    )


def depth_to_space(
    input: Any,  # noqa: A002
    block_size: int,
    name: str | None = None,
    data_format: str = "NHWC",
) -> Tensor:
    """Moves depth into block_size x block_size blocks of pixels (space_to_depth's inverse)."""
    return apply_op(
        DepthToSpace,
        [input],
        {"block_size": int(block_size), "data_format": data_format},
        name=name,
    )


# -- extract_image_patches ---------------------------------------------------------------------
def _four(v: Any, what: str) -> tuple[int, int]:
    v = [int(e) for e in v]
    if len(v) != 4 or v[0] != 1 or v[3] != 1 or min(v) < 1:
        raise ValueError(
            f"extract_image_patches: {what} must be [1, rows, cols, 1] with "
            f"positive entries; got {v}."
        )
    return v[1], v[2]


class _Patches(OpDef):
    def _geom(self, h: int | None, w: int | None) -> tuple[Any, Any, Any, Any]:
        (kh, kw), (sh, sw), (rh, rw) = (
            self.attrs["ksizes"],
            self.attrs["strides"],
            self.attrs["rates"],
        )
        pad = self.attrs["padding"]
        oh, t, b = _out_dim(h, kh, sh, rh, pad, 0, 0)
        ow, left, r = _out_dim(w, kw, sw, rw, pad, 0, 0)
        return oh, ow, (t, b), (left, r)

    def _patches(self, x: np.ndarray) -> np.ndarray:
        """[B, OH, OW, KH, KW, C] view of the (padded) image's patches."""
        (kh, kw), (sh, sw), (rh, rw) = (
            self.attrs["ksizes"],
            self.attrs["strides"],
            self.attrs["rates"],
        )
        oh, ow, ph, pw = self._geom(x.shape[1], x.shape[2])
        if oh is None or ow is None or oh <= 0 or ow <= 0:
            raise self.error(
                f"the patches do not fit the image {x.shape[1]}x{x.shape[2]} "
                f"(ksizes {kh}x{kw}, rates {rh}x{rw}, padding "
                f"{self.attrs['padding']!r})."
            )
        xp = np.pad(x, ((0, 0), ph, pw, (0, 0))) if (sum(ph) + sum(pw)) else x
        ekh, ekw = (kh - 1) * rh + 1, (kw - 1) * rw + 1
        win = sliding_window_view(xp, (ekh, ekw), axis=(1, 2))  # [B, H', W', C, ekh, ekw]
        win = win[:, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw, :, ::rh, ::rw]
        return win.transpose(0, 1, 2, 4, 5, 3)


@register_op("ExtractImagePatches")
class ExtractImagePatches(_Patches):
    """y[b, i, j, (r * KW + c) * C + d] = x_padded[b, i * sh + r * rh, j * sw + c * rw, d]."""

    def infer(self, x: Tensor) -> TensorSpec:
        k = x.shape.known
        if k is not None and len(k) != 4:
            raise self.error(f"images must be 4-D [batch, rows, cols, depth]; got {x.shape}.")
        if k is None:
            return spec(TensorShape(None), x.dtype)
        oh, ow, _, _ = self._geom(k[1], k[2])
        if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
            raise self.error(
                f"the patches do not fit the image {k[1]}x{k[2]}; got ksizes "
                f"{self.attrs['ksizes']}, rates {self.attrs['rates']}, padding "
                f"{self.attrs['padding']!r}."
            )
        kh, kw = self.attrs["ksizes"]
        depth = None if k[3] is None else kh * kw * k[3]
        return spec([k[0], oh, ow, depth], x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        p = self._patches(x)
        b, oh, ow, kh, kw, c = p.shape
        return np.ascontiguousarray(p).reshape(b, oh, ow, kh * kw * c)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        return [apply_op(ExtractImagePatchesGrad, [dy, _shape_like(x)], dict(self.attrs))]


@register_op("ExtractImagePatchesGrad")
class ExtractImagePatchesGrad(_Patches):
    """dx = the patch gradients dy summed back into an image of shape `shape` (the adjoint of
    ExtractImagePatches)."""

    def infer(self, dy: Tensor, shape_: Tensor) -> TensorSpec:
        from flowzero.ops.common import _static_shape_value

        return spec(_static_shape_value(shape_), dy.dtype)

    def compute(self, dy: np.ndarray, shape_: np.ndarray) -> np.ndarray:
        b, h, w, c = (int(d) for d in shape_)
        (kh, kw), (sh, sw), (rh, rw) = (
            self.attrs["ksizes"],
            self.attrs["strides"],
            self.attrs["rates"],
        )
        oh, ow, ph, pw = self._geom(h, w)
        out = np.zeros((b, h + sum(ph), w + sum(pw), c), dy.dtype)
        g = dy.reshape(b, oh, ow, kh, kw, c)
        for r in range(kh):
            for q in range(kw):
                r0, q0 = r * rh, q * rw
                out[:, r0 : r0 + (oh - 1) * sh + 1 : sh, q0 : q0 + (ow - 1) * sw + 1 : sw] += g[
                    :, :, :, r, q
                ]
        return np.ascontiguousarray(out[:, ph[0] : ph[0] + h, pw[0] : pw[0] + w])

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [apply_op(ExtractImagePatches, [ddx], dict(self.attrs)), None]


def extract_image_patches(
    images: Any,
    ksizes: Any = None,
    strides: Any = None,
    rates: Any = None,
    padding: str | None = None,
    name: str | None = None,
    sizes: Any = None,
) -> Tensor:
    """The ksizes[1] x ksizes[2] patches of `images` ([batch, rows, cols, depth]), every
    strides apart, sampled every `rates` pixels, flattened into the depth dimension.

    Args:
        images: a 4-D Tensor.
        ksizes: [1, rows, cols, 1], the patch size (`sizes` is TF 2's name for it).
        strides: [1, rows, cols, 1], how far apart patch centres are.
        rates: [1, rows, cols, 1], the sampling step inside a patch (dilation).
        padding: 'VALID' or 'SAME'.

    Example:
        >>> tf.extract_image_patches(tf.zeros([1, 10, 10, 3]), [1, 3, 3, 1], [1, 5, 5, 1],
        ...                          [1, 1, 1, 1], "VALID").shape   # (1, 2, 2, 27)
        TensorShape([1, 2, 2, 27])
    """
    ks = ksizes if ksizes is not None else sizes
    if ks is None or strides is None or rates is None or padding is None:
        raise TypeError("extract_image_patches: ksizes, strides, rates and padding are needed.")
    if padding not in ("SAME", "VALID"):
        raise ValueError(
            f"extract_image_patches: padding must be 'SAME' or 'VALID'; got {padding!r}."
        )
    attrs = {
        "ksizes": _four(ks, "ksizes"),
        "strides": _four(strides, "strides"),
        "rates": _four(rates, "rates"),
        "padding": padding,
    }
    return apply_op(ExtractImagePatches, [images], attrs, name=name)


__all__ = ["space_to_depth", "depth_to_space", "extract_image_patches"]
