"""CRC-32C (Castagnoli), the checksum of TensorFlow's checkpoint files, and its masked form.

`extend(crc, data)` continues a CRC over a bytes-like object or a C-contiguous ndarray without
copying it. It uses the `crc32c` package (hardware instructions, ~10 GB/s) when installed,
else a NumPy version that runs thousands of independent lanes side by side and joins their
CRCs with the CRC's linearity (zlib's crc32_combine idea) — tens of times slower than the
package but far faster than a byte loop in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_POLY = 0x82F63B78  # reflected Castagnoli polynomial
_MASK_DELTA = 0xA282EAD8


def mask(crc: int) -> int:
    """TF's masked CRC (stored in files, so that CRCs of data holding CRCs stay strong)."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def _byte_view(data: Any) -> np.ndarray:
    if isinstance(data, np.ndarray):
        if not data.flags.c_contiguous:
            data = np.ascontiguousarray(data)
        return data.reshape(-1).view(np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


# -- NumPy fallback -----------------------------------------------------------------------------
_TABLES: np.ndarray | None = None
_LANE = 4096  # bytes per lane
_BATCH_LANES = 4096  # lanes processed together (16 MiB of data per batch)


def _tables() -> np.ndarray:
    """T[k][b]: the CRC register after byte b followed by k zero bytes (slicing-by-4)."""
    global _TABLES
    if _TABLES is None:
        t = np.arange(256, dtype=np.uint32)
        for _ in range(8):
            t = np.where(t & 1, (t >> 1) ^ np.uint32(_POLY), t >> 1).astype(np.uint32)
        tables = [t]
        for _ in range(3):
            prev = tables[-1]
            tables.append((prev >> 8) ^ t[prev & 0xFF])
        _TABLES = np.stack(tables)
    return _TABLES


def _gf2_times(mat: list[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[i]) for i in range(32)]


def _zeros_operator(nbytes: int) -> list[int]:
    """The 32x32 GF(2) matrix that advances a CRC register over `nbytes` zero bytes."""
    one_bit = [_POLY] + [1 << i for i in range(31)]  # one zero bit
    op = _gf2_square(_gf2_square(_gf2_square(one_bit)))  # one zero byte
    result = [1 << i for i in range(32)]
    while nbytes:
        if nbytes & 1:
            result = [_gf2_times(op, result[i]) for i in range(32)]
        nbytes >>= 1
        if nbytes:
            op = _gf2_square(op)
    return result


def _byte_tables(mat: list[int]) -> list[list[int]]:
    # mat applied to a 32-bit value = XOR of four 256-entry lookups, one per byte.
    return [[_gf2_times(mat, b << (8 * k)) for b in range(256)] for k in range(4)]


def _lanes_crc(lanes: np.ndarray) -> np.ndarray:
    """Register values after each row of `lanes` (uint8 [n, _LANE]), starting from 0."""
    t0, t1, t2, t3 = _tables()
    words = np.ascontiguousarray(lanes).view("<u4").T.copy()  # [_LANE // 4, n], row-contiguous
    reg = np.zeros(lanes.shape[0], dtype=np.uint32)
    for w in words:
        reg ^= w
        reg = t3[reg & 0xFF] ^ t2[(reg >> 8) & 0xFF] ^ t1[(reg >> 16) & 0xFF] ^ t0[reg >> 24]
    return reg


def _extend_numpy(crc: int, buf: np.ndarray) -> int:
    reg = crc ^ 0xFFFFFFFF
    n = buf.size
    head = n % _LANE
    if head:  # a byte loop for the remainder, done first
        t = _tables()[0]
        for b in buf[:head].tolist():
            reg = int(t[(reg ^ b) & 0xFF]) ^ (reg >> 8)
    if n >= _LANE:
        shift = _byte_tables(_zeros_operator(_LANE))
        s0, s1, s2, s3 = shift
        body = buf[head:].reshape(-1, _LANE)
        for start in range(0, body.shape[0], _BATCH_LANES):
            for lane_reg in _lanes_crc(body[start : start + _BATCH_LANES]).tolist():
                reg = (
                    s0[reg & 0xFF]
                    ^ s1[(reg >> 8) & 0xFF]
                    ^ s2[(reg >> 16) & 0xFF]
                    ^ s3[reg >> 24]
                    ^ lane_reg
                )
    return reg ^ 0xFFFFFFFF


# -- public -----------------------------------------------------------------------------------
def _impl() -> Any:
    global _IMPL
    if _IMPL is None:
        try:
            import crc32c as fast  # type: ignore[import-not-found]

            _IMPL = fast.crc32c
        except ImportError:
            _IMPL = False
    return _IMPL


_IMPL: Any = None


def extend(crc: int, data: Any) -> int:
    """The CRC-32C of (the data crc was computed over) + `data`; extend(0, d) = value(d)."""
    buf = _byte_view(data)
    if buf.size == 0:
        return crc
    fast = _impl()
    if fast:
        return int(fast(buf, crc))
    return _extend_numpy(crc, buf)


# -- joining the CRCs of adjacent pieces ----------------------------------------------------------
# A CRC register is a polynomial over GF(2) (bit 31 = x^0, reflected). Appending n zero bytes
# multiplies it by x^(8n) mod P, so CRC(a + b) = CRC(a) * x^(8 len(b)) mod P  XOR  CRC(b)
# (the pre- and post-inversions cancel between the two terms). _X2N[k] = x^(2^k) mod P.
def _mul_mod(a: int, b: int) -> int:
    """a(x) * b(x) mod P, both reflected 32-bit polynomials."""
    out = 0
    bit = 1 << 31
    while a:
        if a & bit:
            out ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return out


_X2N: list[int] = []


def _x2n() -> list[int]:
    if not _X2N:  # made on first use: `import flowzero` imports this module
        table = [1 << 30]  # x^1
        for _ in range(63):
            table.append(_mul_mod(table[-1], table[-1]))
        _X2N[:] = table
    return _X2N


def combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32C of a + b from crc1 = value(a), crc2 = value(b) and len2 = len(b) (zlib's
    crc32_combine for CRC-32C): what lets pieces of one buffer be checksummed apart."""
    if len2 <= 0:
        return crc1
    n = len2 * 8  # bits of zeros to append to a
    x2n = _x2n()
    k = 0
    while n:
        if n & 1:
            crc1 = _mul_mod(x2n[k], crc1)
        n >>= 1
        k += 1
    return crc1 ^ crc2


def value(data: Any) -> int:
    """The CRC-32C of `data` (bytes-like or ndarray)."""
    return extend(0, data)


def accelerated() -> bool:
    """True when the hardware-accelerated `crc32c` package is in use."""
    return bool(_impl())


__all__ = ["accelerated", "combine", "extend", "mask", "unmask", "value"]
