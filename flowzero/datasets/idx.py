"""The IDX file format of MNIST: parse, read (plain or gzip) and write.

An IDX file is a 4-byte magic number — two zero bytes, a type code, the number of dimensions —
then one big-endian uint32 per dimension, then the values in C order, big-endian. MNIST's image
files have magic 0x00000803 (2051: uint8, 3 dims) and its label files 0x00000801 (2049: uint8,
1 dim). Everything here is checked; a bad file raises `IDXError` naming it.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

# type code -> big-endian dtype, as in LeCun's description of the format.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}


class DataIntegrityError(ValueError):
    """A data file is not what it should be (checksum, size, header or contents)."""


class IDXError(DataIntegrityError):
    """A malformed IDX file: bad magic number, unknown type, truncated or trailing data."""


def parse_idx(buf: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decodes the bytes of one (uncompressed) IDX file.

    Args:
        buf: the whole file.
        name: how errors name the file.

    Returns:
        A new, writable array in native byte order with the file's dtype and shape.

    Raises:
        IDXError: the magic number, the header or the data length is wrong.
    """
    if len(buf) < 4:
        raise IDXError(
            f"{name}: not an IDX file: {len(buf)} bytes, shorter than the 4-byte "
            "magic number. The file is truncated; delete it and fetch it again."
        )
    zero0, zero1, code, ndim = buf[0], buf[1], buf[2], buf[3]
    magic = int.from_bytes(buf[:4], "big")
    if zero0 or zero1:
        raise IDXError(
            f"{name}: bad IDX magic number 0x{magic:08X}; the first two bytes must be "
            "zero. Is this an IDX file (gzip files must be decompressed first)?"
        )
    if code not in IDX_DTYPES:
        raise IDXError(
            f"{name}: unknown IDX type code 0x{code:02X} in magic number "
            f"0x{magic:08X}; expected one of "
            f"{', '.join(f'0x{c:02X}' for c in IDX_DTYPES)}."
        )
    if ndim == 0:
        raise IDXError(f"{name}: IDX magic number 0x{magic:08X} declares 0 dimensions.")
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise IDXError(
            f"{name}: truncated IDX header: {ndim} dimensions need {header} bytes; "
            f"the file has {len(buf)}."
        )
    dims = tuple(int(d) for d in np.frombuffer(buf, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    want = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(buf) - header
    if have < want:
        raise IDXError(
            f"{name}: truncated IDX data: shape {dims} of {dtype.newbyteorder('=')} "
            f"needs {want} bytes after the header; the file has {have}. Delete the "
            "file and fetch it again."
        )
    if have > want:
        raise IDXError(
            f"{name}: {have - want} unexpected trailing bytes after the IDX data "
            f"(shape {dims} needs {want} bytes; the file has {have})."
        )
    flat = np.frombuffer(buf, dtype=dtype, count=want // dtype.itemsize, offset=header)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def decompress(raw: bytes, name: str) -> bytes:
    """gunzips `raw`, re-raising a corrupt or truncated stream as IDXError naming the file."""
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
        raise IDXError(
            f"{name}: corrupt or truncated gzip data ({e}). Delete the file and fetch it again."
        ) from e


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Reads an IDX file, gzip-compressed (detected by its content) or not.

    Raises:
        IDXError: the file is corrupt, truncated or not an IDX file.
        OSError: the file cannot be read.
    """
    p = Path(path)
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = decompress(raw, str(p))
    return parse_idx(raw, str(p))


def to_idx_bytes(array: np.ndarray) -> bytes:
    """Encodes an array as an IDX file (uncompressed); the inverse of `parse_idx`.

    Raises:
        ValueError: the dtype has no IDX type code, or the array is 0-dimensional or has more
            than 255 dimensions.
    """
    a = np.asarray(array)
    code = _CODES.get(a.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(
            f"to_idx_bytes: IDX has no type for dtype {a.dtype}; use one of "
            "uint8, int8, int16, int32, float32, float64."
        )
    if not 1 <= a.ndim <= 255:
        raise ValueError(f"to_idx_bytes: IDX needs 1 to 255 dimensions; got {a.ndim}.")
    head = bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
    return head + np.ascontiguousarray(a, dtype=IDX_DTYPES[code]).tobytes()


def write_idx(array: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Writes `array` as an IDX file, gzip-compressed when the name ends in `.gz`."""
    data = to_idx_bytes(array)
    p = Path(path)
    p.write_bytes(gzip.compress(data, mtime=0) if p.suffix == ".gz" else data)
