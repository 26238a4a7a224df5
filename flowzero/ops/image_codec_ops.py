"""Image codecs: tf.image.decode_png / decode_jpeg / decode_bmp / decode_gif / decode_image,
encode_png / encode_jpeg, extract_jpeg_shape and is_jpeg (also in tf.io).

Decoding and JPEG encoding use Pillow (the `image` extra: `pip install flowzero[image]`),
imported only when a kernel first runs; PNG encoding is written here (zlib), so 16-bit and
any channel count are exact. The ops have no gradient (TF's neither).
"""

from __future__ import annotations

import importlib.util
import io
import struct
import zlib
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError, _graph_for

_NEEDS_PIL = "needs Pillow: pip install flowzero[image] (or pip install Pillow)."
_JPEG, _PNG, _GIF, _BMP = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"BM"


def _require_pillow(fn: str) -> None:
    """Build time: a clear ImportError when Pillow is missing (without importing it)."""
    if importlib.util.find_spec("PIL") is None:
        raise ImportError(f"tf.image.{fn} {_NEEDS_PIL}")


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - checked at build time too
        raise errors.NotFoundError(None, None, f"Image decoding {_NEEDS_PIL}") from None
    return Image


def _bytes(x: Any) -> bytes:
    return x.encode() if isinstance(x, str) else bytes(x)


def _string_out(b: bytes) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = b
    return out


def _to_channels(self: OpDef, a: np.ndarray, channels: int) -> np.ndarray:
    """[h, w, c] with c = channels (0: as decoded): gray <-> RGB, alpha added (opaque) or
    dropped."""
    c = a.shape[-1]
    if channels in (0, c):
        return a
    color = a[..., :3] if c >= 3 else np.repeat(a[..., :1], 3, axis=-1)
    alpha = a[..., c - 1 :] if c in (2, 4) else np.full_like(a[..., :1], np.iinfo(a.dtype).max)
    if channels == 1:
        if c >= 3:  # ITU-R 601 luma, rounded down, as TF's PNG decoder
            w = np.array([0.299, 0.587, 0.114])
            return np.floor(a[..., :3].astype(np.float64) @ w)[..., None].astype(a.dtype)
        return a[..., :1]
    if channels == 2:
        return np.concatenate([_to_channels(self, a, 1), alpha], axis=-1)
    if channels == 3:
        return color
    return np.concatenate([color, alpha], axis=-1)


def _pil_array(self: OpDef, im: Any) -> np.ndarray:
    """The pixels of a Pillow image as [h, w, c] (uint8, or uint16 for 16-bit gray PNGs)."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.uint32 if mode == "I" else None)
        return a.astype(np.uint16)[..., None]
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA" if "transparency" in im.info or mode == "PA" else "RGB")
    elif mode in ("1", "CMYK", "YCbCr", "LAB", "HSV", "RGBX", "F"):
        im = im.convert("RGB" if mode != "1" else "L")
    elif mode == "LA":
        pass
    a = np.asarray(im)
    return a[..., None] if a.ndim == 2 else a


class _Decode(OpDef):
    differentiable = False
    fmt = ""

    def _contents(self, x: Tensor) -> None:
        if x.dtype is not dtypes.string:
            raise self.error(f"contents must be a string; got {x.dtype.name}.", cls=DTypeError)
        if x.shape.ndims not in (None, 0):
            raise self.error(f"contents must be scalar; got shape {x.shape}.")

    def _channels(self, allowed: tuple[int, ...]) -> int:
        c = int(self.attrs.get("channels", 0))
        if c not in allowed:
            raise self.error(f"channels must be one of {list(allowed)}; got {c}.")
        return c

    def _open(self, data: bytes) -> Any:
        pil_image = _pil()
        try:
            im = pil_image.open(io.BytesIO(data))
            im.load()
        except Exception as e:  # Pillow's UnidentifiedImageError, OSError, SyntaxError
            raise self.error(f"Invalid {self.fmt} data, size {len(data)}: {e}") from None
        return im


@register_op("DecodePng")
class DecodePng(_Decode):
    """A PNG file's pixels [height, width, channels] as uint8 or uint16."""

    fmt = "PNG"

    def infer(self, contents: Tensor) -> TensorSpec:
        self._contents(contents)
        c = self._channels((0, 1, 2, 3, 4))
        dt = dtypes.as_dtype(self.attrs.get("dtype", dtypes.uint8))
        if dt not in (dtypes.uint8, dtypes.uint16):
            raise self.error(f"dtype must be uint8 or uint16; got {dt.name}.", cls=DTypeError)
        return spec([None, None, c or None], dt)

    def compute(self, contents: np.ndarray) -> np.ndarray:
        data = _bytes(contents[()])
        if not data.startswith(_PNG):
            raise self.error(f"Invalid PNG data, size {len(data)}")
        a = _png_pixels(self, data)
        return _png_convert(self, a, int(self.attrs.get("channels", 0)), self.attrs.get("dtype"))


def _png_convert(self: OpDef, a: np.ndarray, channels: int, dtype: Any) -> np.ndarray:
    dt = dtypes.as_dtype(dtype or dtypes.uint8)
    if dt is dtypes.uint16 and a.dtype == np.uint8:
        a = a.astype(np.uint16) * 257
    elif dt is dtypes.uint8 and a.dtype == np.uint16:
        a = ((a.astype(np.uint32) * 255 + 32895) >> 16).astype(np.uint8)
    return _to_channels(self, a, channels)


def _png_pixels(self: OpDef, data: bytes) -> np.ndarray:
    """[h, w, c] of a PNG; 16-bit color files are read here (Pillow reduces them to 8 bits)."""
    ihdr = data[16:29] if len(data) >= 29 else b""
    if len(ihdr) == 13 and ihdr[8] == 16 and ihdr[9] in (2, 4, 6) and ihdr[12] == 0:
        return _decode_png16(self, data)
    return _pil_array(self, self._open(data))  # type: ignore[attr-defined]


def _decode_png16(self: OpDef, data: bytes) -> np.ndarray:
    """A non-interlaced 16-bit RGB / gray+alpha / RGBA PNG, unfiltered row by row."""
    w, h, _, color, _, _, _ = struct.unpack(">IIBBBBB", data[16:29])
    c = {2: 3, 4: 2, 6: 4}[color]
    pos, idat = 8, []
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat.append(data[pos + 8 : pos + 8 + n])
        pos += 12 + n
    try:
        raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    except zlib.error as e:
        raise self.error(f"Invalid PNG data, size {len(data)}: {e}") from None
    bpp, stride = 2 * c, 2 * c * w
    if raw.size != h * (stride + 1):
        raise self.error(f"Invalid PNG data, size {len(data)}: truncated image data")
    rows = raw.reshape(h, stride + 1)
    out = np.zeros((h, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        f, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if f == 0:
            cur = line
        elif f == 1:
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) % 256
        elif f == 2:
            cur = (line + prev) % 256
        else:
            cur = np.zeros(stride, np.int64)
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                if f == 3:
                    cur[i] = (line[i] + (a + b) // 2) % 256
                else:
                    cc = prev[i - bpp] if i >= bpp else 0
                    p = a + b - cc
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
                    cur[i] = (line[i] + pred) % 256
        out[y] = cur
        prev = cur
    return out.astype(np.uint8).view(">u2").astype(np.uint16).reshape(h, w, c)


@register_op("DecodeJpeg")
class DecodeJpeg(_Decode):
    """A JPEG file's pixels [height, width, channels] (uint8), scaled down by `ratio`."""

    fmt = "JPEG"

    def infer(self, contents: Tensor) -> TensorSpec:
        self._contents(contents)
        c = self._channels((0, 1, 3))
        if int(self.attrs.get("ratio", 1)) not in (1, 2, 4, 8):
            raise self.error(f"ratio must be 1, 2, 4 or 8; got {self.attrs['ratio']}.")
        return spec([None, None, c or None], dtypes.uint8)

    def compute(self, contents: np.ndarray) -> np.ndarray:
        data = _bytes(contents[()])
        pil_image = _pil()
        c, ratio = int(self.attrs.get("channels", 0)), int(self.attrs.get("ratio", 1))
        try:
            im = pil_image.open(io.BytesIO(data))
            if im.format != "JPEG":
                raise ValueError("not a JPEG")
            # libjpeg itself scales by 1/ratio and converts to gray (the Y channel), as TF's.
            w, h = im.size
            mode = "L" if c == 1 else ("RGB" if c == 3 or im.mode != "L" else "L")
            im.draft(mode, (-(-w // ratio), -(-h // ratio)))
            # TF's default DCT is libjpeg's fast integer one; Pillow's draft flag selects it,
            # but also turns off fancy chroma upsampling, so it is TF's exactly only where no
            # chroma is upsampled (gray output, or a scaled decode). NOTE: a full-size color
            # decode uses the accurate DCT instead (TF's INTEGER_ACCURATE; a few levels off
            # TF's default).
            fast = self.attrs.get("dct_method", "") in ("", "INTEGER_FAST")
            if fast and (mode == "L" or ratio > 1):
                im.decoderconfig = (im.decoderconfig[0], 1)
            im.load()
        except Exception as e:
            raise self.error(
                f"Invalid JPEG data or crop window, data size {len(data)}: {e}"
            ) from None
        return _to_channels(self, _pil_array(self, im), c)


@register_op("DecodeBmp")
class DecodeBmp(_Decode):
    """A BMP file's pixels [height, width, channels] (uint8)."""

    fmt = "BMP"

    def infer(self, contents: Tensor) -> TensorSpec:
        self._contents(contents)
        c = self._channels((0, 1, 3, 4))
        return spec([None, None, c or None], dtypes.uint8)

    def compute(self, contents: np.ndarray) -> np.ndarray:
        data = _bytes(contents[()])
        if not data.startswith(_BMP):
            raise self.error(f"Invalid BMP data, size {len(data)}")
        return _to_channels(self, _pil_array(self, self._open(data)), int(self.attrs["channels"]))


def _gif_frames(self: _Decode, data: bytes) -> np.ndarray:
    if not data.startswith(_GIF):
        raise self.error(f"Invalid GIF data, size {len(data)}")
    im = self._open(data)
    frames = []
    for k in range(getattr(im, "n_frames", 1)):
        im.seek(k)
        frames.append(np.asarray(im.convert("RGB")))
    return np.stack(frames)


@register_op("DecodeGif")
class DecodeGif(_Decode):
    """A GIF's frames [num_frames, height, width, 3] (uint8, RGB)."""

    fmt = "GIF"

    def infer(self, contents: Tensor) -> TensorSpec:
        self._contents(contents)
        return spec([None, None, None, 3], dtypes.uint8)

    def compute(self, contents: np.ndarray) -> np.ndarray:
        return _gif_frames(self, _bytes(contents[()]))


@register_op("DecodeImage")
class DecodeImage(_Decode):
    """Any of JPEG, PNG, GIF, BMP, sniffed from the first bytes; GIF is 4-D unless
    expand_animations=False (its first frame)."""

    def infer(self, contents: Tensor) -> TensorSpec:
        self._contents(contents)
        self._channels((0, 1, 3, 4))
        dt = dtypes.as_dtype(self.attrs["dtype"])
        if dt not in (dtypes.uint8, dtypes.uint16, dtypes.float32):
            raise self.error(f"dtype must be uint8, uint16 or float32; got {dt.name}.")
        c = int(self.attrs["channels"]) or None
        return spec(TensorShape(None) if self.attrs["expand_animations"] else [None, None, c], dt)

    def compute(self, contents: np.ndarray) -> np.ndarray:
        data = _bytes(contents[()])
        c = int(self.attrs["channels"])
        if data.startswith(_GIF):
            self.fmt = "GIF"
            if c not in (0, 3):
                raise self.error(f"channels must be 0 or 3 for GIF; got {c}.")
            a = _gif_frames(self, data)
            if not self.attrs["expand_animations"]:
                a = a[0]
        elif data.startswith(_PNG):
            self.fmt = "PNG"
            a = _png_pixels(self, data)
            if a.dtype == np.uint16 and self.attrs["dtype"] is not dtypes.uint16:
                a = _png_convert(self, a, c, dtypes.uint8)
            a = _to_channels(self, a, c)
        elif data.startswith(_JPEG) or data.startswith(_BMP):
            self.fmt = "JPEG" if data.startswith(_JPEG) else "BMP"
            a = _to_channels(self, _pil_array(self, self._open(data)), c)
        else:
            raise self.error("Unknown image file format. One of JPEG, PNG, GIF, BMP required.")
        return _convert(a, dtypes.as_dtype(self.attrs["dtype"]))


def _convert(a: np.ndarray, dt: dtypes.DType) -> np.ndarray:
    """convert_image_dtype of a decoded uint8 (or uint16) image."""
    if dt is dtypes.float32:
        return (a.astype(np.float32) * np.float32(1.0 / np.iinfo(a.dtype).max)).astype(np.float32)
    if dt is dtypes.uint16 and a.dtype == np.uint8:
        return a.astype(np.uint16) * 257
    return a.astype(dt.np)


# -- encoders -----------------------------------------------------------------------------------
def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(a: np.ndarray, level: int = -1) -> bytes:
    """A PNG file of an [h, w, c] uint8/uint16 image (c in 1..4; no filtering)."""
    h, w, c = a.shape
    depth = 16 if a.dtype == np.uint16 else 8
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.ascontiguousarray(a.astype(">u2" if depth == 16 else np.uint8)).reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows.view(np.uint8)], axis=1).tobytes()
    head = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)
    body = zlib.compress(raw, level if -1 <= level <= 9 else -1)
    return _PNG + _chunk(b"IHDR", head) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


class _Encode(OpDef):
    differentiable = False

    def _image(
        self, image: Tensor, types: tuple[dtypes.DType, ...], chans: tuple[int, ...]
    ) -> None:
        if image.dtype not in types:
            raise self.error(
                f"image must be {' or '.join(t.name for t in types)}; got {image.dtype.name}.",
                cls=DTypeError,
            )
        if image.shape.ndims not in (None, 3):
            raise self.error(f"image must be 3-D [height, width, channels]; got {image.shape}.")
        c = image.shape.known[-1] if image.shape.ndims == 3 else None  # type: ignore[index]
        if c is not None and c not in chans:
            raise self.error(f"image must have {list(chans)} channels; got {c}.")

    def _check(self, a: np.ndarray, chans: tuple[int, ...]) -> None:
        if a.ndim != 3 or a.shape[-1] not in chans:
            raise self.error(
                f"image must be 3-D with {list(chans)} channels; got shape {list(a.shape)}."
            )


@register_op("EncodePng")
class EncodePng(_Encode):
    """A PNG file (scalar string) of an [height, width, channels] uint8/uint16 image."""

    def infer(self, image: Tensor) -> TensorSpec:
        self._image(image, (dtypes.uint8, dtypes.uint16), (1, 2, 3, 4))
        return spec([], dtypes.string)

    def compute(self, image: np.ndarray) -> np.ndarray:
        self._check(image, (1, 2, 3, 4))
        return _string_out(png_bytes(image, int(self.attrs.get("compression", -1))))


@register_op("EncodeJpeg")
class EncodeJpeg(_Encode):
    """A JPEG file (scalar string) of an [height, width, 1 or 3] uint8 image."""

    def infer(self, image: Tensor) -> TensorSpec:
        self._image(image, (dtypes.uint8,), (1, 3))
        return spec([], dtypes.string)

    def compute(self, image: np.ndarray) -> np.ndarray:
        self._check(image, (1, 3))
        a = self.attrs
        fmt = a["format"]
        if fmt == "grayscale" and image.shape[-1] != 1 or fmt == "rgb" and image.shape[-1] != 3:
            raise self.error(f"format '{fmt}' does not match {image.shape[-1]} channels.")
        pil_image = _pil()
        im = pil_image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        buf = io.BytesIO()
        opts: dict[str, Any] = {"quality": int(a["quality"]), "progressive": a["progressive"]}
        opts["optimize"] = a["optimize_size"]
        if image.shape[-1] == 3:
            opts["subsampling"] = 2 if a["chroma_downsampling"] else 0
        unit = {"in": 1, "cm": 2}.get(a["density_unit"], 1)
        opts["dpi" if unit == 1 else "dpc"] = (a["x_density"], a["y_density"])
        if unit == 2:
            opts["dpi"] = (a["x_density"] * 2.54, a["y_density"] * 2.54)
            del opts["dpc"]
        im.save(buf, format="JPEG", **opts)
        return _string_out(buf.getvalue())


@register_op("ExtractJpegShape")
class ExtractJpegShape(_Decode):
    """[height, width, channels] of a JPEG, read from its header (no decoding)."""

    fmt = "JPEG"

    def infer(self, contents: Tensor) -> TensorSpec:
        self._contents(contents)
        dt = dtypes.as_dtype(self.attrs["output_type"])
        if dt not in (dtypes.int32, dtypes.int64):
            raise self.error(f"output_type must be int32 or int64; got {dt.name}.", cls=DTypeError)
        return spec([3], dt)

    def compute(self, contents: np.ndarray) -> np.ndarray:
        data = _bytes(contents[()])
        if not data.startswith(_JPEG):
            raise self.error(f"Invalid JPEG data, size {len(data)}")
        pil_image = _pil()
        try:
            im = pil_image.open(io.BytesIO(data))  # reads the header only
            w, h = im.size
            c = {"L": 1, "RGB": 3, "CMYK": 4}.get(im.mode, len(im.getbands()))
        except Exception as e:
            raise self.error(f"Invalid JPEG data, size {len(data)}: {e}") from None
        return np.array([h, w, c], dtypes.as_dtype(self.attrs["output_type"]).np)


@register_op("IsJpeg")
class IsJpeg(OpDef):
    """Whether a string starts with JPEG's magic bytes (TF builds this from Substr + Equal;
    flowzero has one op for it)."""

    differentiable = False

    def infer(self, contents: Tensor) -> TensorSpec:
        if contents.dtype is not dtypes.string:
            raise self.error(f"contents must be a string; got {contents.dtype.name}.")
        return spec(contents.shape, dtypes.bool)

    def compute(self, contents: np.ndarray) -> np.ndarray:
        flat = [_bytes(s).startswith(_JPEG) for s in contents.reshape(-1)]
        return np.array(flat, dtype=bool).reshape(contents.shape)


# -- the Python API -----------------------------------------------------------------------------
def _decode(cls: type[OpDef], fn: str, contents: Any, attrs: dict[str, Any], name: Any) -> Any:
    _require_pillow(fn)
    with _graph_for(contents):
        x = convert_to_tensor(contents, dtype=dtypes.string)
        return apply_op(cls, [x], attrs, name=name or cls.type)


def decode_png(
    contents: Any, channels: int = 0, dtype: Any = dtypes.uint8, name: str | None = None
) -> Tensor:
    """Decodes a PNG file into a uint8 or uint16 [height, width, channels] tensor; channels
    0 keeps the file's, 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.

    Example:
        >>> image = tf.image.decode_png(tf.read_file("digit.png"), channels=1)
    """
    return _decode(
        DecodePng,
        "decode_png",
        contents,
        {"channels": channels, "dtype": dtypes.as_dtype(dtype)},
        name,
    )


def decode_jpeg(
    contents: Any,
    channels: int = 0,
    ratio: int = 1,
    fancy_upscaling: bool = True,
    try_recover_truncated: bool = False,
    acceptable_fraction: float = 1,
    dct_method: str = "",
    name: str | None = None,
) -> Tensor:
    """Decodes a JPEG file into a uint8 [height, width, channels] tensor (channels 0, 1 or 3),
    downscaled by `ratio` (1, 2, 4, 8) while decoding. fancy_upscaling, try_recover_truncated,
    acceptable_fraction and dct_method are accepted; libjpeg's defaults are used."""
    attrs = {"channels": channels, "ratio": ratio, "dct_method": dct_method}
    return _decode(DecodeJpeg, "decode_jpeg", contents, attrs, name)


def decode_bmp(contents: Any, channels: int = 0, name: str | None = None) -> Tensor:
    """Decodes a BMP file into a uint8 [height, width, channels] tensor."""
    return _decode(DecodeBmp, "decode_bmp", contents, {"channels": channels}, name)


def decode_gif(contents: Any, name: str | None = None) -> Tensor:
    """Decodes a GIF file into its frames, uint8 [num_frames, height, width, 3]."""
    return _decode(DecodeGif, "decode_gif", contents, {}, name)


def decode_image(
    contents: Any,
    channels: Any = None,
    dtype: Any = dtypes.uint8,
    name: str | None = None,
    expand_animations: bool = True,
) -> Tensor:
    """Decodes a JPEG, PNG, GIF or BMP file (the format sniffed from its first bytes) into
    [height, width, channels] ([frames, height, width, 3] for a GIF unless
    expand_animations=False), converted to `dtype` (uint8, uint16 or float32 in [0, 1]).

    Raises:
        InvalidArgumentError (at run time): an unknown format or bad data.
    """
    attrs = {
        "channels": channels or 0,
        "dtype": dtypes.as_dtype(dtype),
        "expand_animations": bool(expand_animations),
    }
    return _decode(DecodeImage, "decode_image", contents, attrs, name)


def encode_png(image: Any, compression: int = -1, name: str | None = None) -> Tensor:
    """A PNG file (scalar string) of a uint8 or uint16 [height, width, channels] image;
    compression -1 (zlib's default) or 0..9."""
    with _graph_for(image):
        x = convert_to_tensor(image)
        return apply_op(EncodePng, [x], {"compression": int(compression)}, name=name or "EncodePng")


def encode_jpeg(
    image: Any,
    format: str = "",  # noqa: A002 - TF's argument name
    quality: int = 95,
    progressive: bool = False,
    optimize_size: bool = False,
    chroma_downsampling: bool = True,
    density_unit: str = "in",
    x_density: int = 300,
    y_density: int = 300,
    xmp_metadata: str = "",
    name: str | None = None,
) -> Tensor:
    """A JPEG file (scalar string) of a uint8 [height, width, 1 or 3] image at `quality`
    (0-100)."""
    if format not in ("", "grayscale", "rgb"):
        raise ValueError(f"encode_jpeg: format must be '', 'grayscale' or 'rgb'; got {format!r}.")
    if not 0 <= int(quality) <= 100:
        raise ValueError(f"encode_jpeg: quality must be in [0, 100]; got {quality}.")
    _require_pillow("encode_jpeg")
    attrs = {
        "format": format,
        "quality": int(quality),
        "progressive": bool(progressive),
        "optimize_size": bool(optimize_size),
        "chroma_downsampling": bool(chroma_downsampling),
        "density_unit": density_unit,
        "x_density": int(x_density),
        "y_density": int(y_density),
    }
    with _graph_for(image):
        x = convert_to_tensor(image)
        return apply_op(EncodeJpeg, [x], attrs, name=name or "EncodeJpeg")


def extract_jpeg_shape(
    contents: Any, output_type: Any = dtypes.int32, name: str | None = None
) -> Tensor:
    """[height, width, channels] of a JPEG file, from its header."""
    attrs = {"output_type": dtypes.as_dtype(output_type)}
    return _decode(ExtractJpegShape, "extract_jpeg_shape", contents, attrs, name)


def is_jpeg(contents: Any, name: str | None = None) -> Tensor:
    """Whether each string is a JPEG file (starts with JPEG's magic bytes)."""
    with _graph_for(contents):
        x = convert_to_tensor(contents, dtype=dtypes.string)
        return apply_op(IsJpeg, [x], {}, name=name or "is_jpeg")


__all__ = [
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
