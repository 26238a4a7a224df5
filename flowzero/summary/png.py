"""A minimal PNG encoder (8-bit grayscale, RGB or RGBA) for image summaries.

PNG is zlib-compressed scanlines in CRC-checked chunks; this writes the three required chunks
(IHDR, IDAT, IEND) with filter type 0 on every row, which every PNG decoder reads.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

# channels -> PNG colour type: 0 grayscale, 2 truecolour (RGB), 6 truecolour with alpha (RGBA)
_COLOR_TYPE = {1: 0, 3: 2, 4: 6}
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(image: np.ndarray, level: int = 6) -> bytes:
    """PNG bytes of a uint8 image of shape (height, width, channels), channels 1, 3 or 4."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim != 3 or img.shape[2] not in _COLOR_TYPE:
        raise ValueError(
            f"encode_png: image must have shape (height, width, 1|3|4); got {image.shape}."
        )
    h, w, c = img.shape
    # Each scanline starts with its filter-type byte (0 = None).
    rows = np.zeros((h, 1 + w * c), dtype=np.uint8)
    rows[:, 1:] = img.reshape(h, w * c)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, _COLOR_TYPE[c], 0, 0, 0)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), level))
        + _chunk(b"IEND", b"")
    )


def decode_png(data: bytes) -> np.ndarray:
    """Decodes what `encode_png` writes (filter type 0 only), for tests and round trips."""
    if data[:8] != _SIGNATURE:
        raise ValueError("decode_png: not a PNG (bad signature).")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"decode_png: CRC mismatch in chunk {kind!r}.")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if header is None:
        raise ValueError("decode_png: no IHDR chunk.")
    w, h, depth, ctype = header[:4]
    channels = {v: k for k, v in _COLOR_TYPE.items()}.get(ctype)
    if depth != 8 or channels is None:
        raise ValueError(
            f"decode_png: only 8-bit gray/RGB/RGBA; got depth {depth}, colour type {ctype}."
        )
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * channels)
    if rows[:, 0].any():
        raise ValueError("decode_png: only filter type 0 is supported.")
    return rows[:, 1:].reshape(h, w, channels).copy()
