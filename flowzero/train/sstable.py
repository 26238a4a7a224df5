"""The sorted string table of a TensorFlow checkpoint's `.index` file (LevelDB's table format).

Layout, all integers little-endian:

    data block 0 | trailer | data block 1 | trailer | ... | meta-index block | trailer
    | index block | trailer | footer (48 bytes)

- A block is a run of entries, each `varint32 shared | varint32 unshared | varint32 value
  length | key[shared:] | value`: a key is stored as the number of bytes it shares with the
  previous key plus the rest. Every `restart_interval` entries the sharing restarts at 0 and
  the entry's offset is listed at the block's end (`fixed32` offsets, then `fixed32` count).
- A trailer is one byte of compression type (0: none; TensorFlow writes no other) and the
  masked CRC-32C of the block plus that byte.
- The index block maps, for each data block, a key >= the block's last key and < the next
  block's first key to the block's handle (`varint64 offset | varint64 size`).
- The footer holds the meta-index and index handles, zero padding to 40 bytes, and the magic
  number 0xdb4775248b80fb57.

`read_table` checks every length, offset and CRC against the file before using it and raises
DataLossError naming the file; nothing is allocated beyond the file's own size.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from flowzero.framework import errors
from flowzero.train import crc32c

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5
BLOCK_SIZE = 262144  # TensorFlow's table::Options default
RESTART_INTERVAL = 16


class _Corrupt(Exception):
    """Internal: a malformed table; read_table re-raises it as DataLossError with the file."""


def _varint(buf: bytes, pos: int, limit: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= limit or shift > 63:
            raise _Corrupt("bad varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _block(buf: bytes, offset: int, size: int, limit: int, what: str) -> bytes:
    if offset < 0 or size < 0 or offset + size + TRAILER_SIZE > limit:
        raise _Corrupt(f"the {what} block (offset {offset}, size {size}) lies outside the file")
    contents = buf[offset : offset + size]
    kind = buf[offset + size]
    (stored,) = struct.unpack_from("<I", buf, offset + size + 1)
    actual = crc32c.extend(crc32c.value(contents), bytes([kind]))
    if crc32c.unmask(stored) != actual:
        raise _Corrupt(f"the {what} block at offset {offset} fails its checksum")
    if kind != 0:
        raise _Corrupt(
            f"the {what} block at offset {offset} has compression type {kind}; "
            "only uncompressed blocks (TensorFlow's) are supported"
        )
    return contents


def _entries(block: bytes, what: str) -> list[tuple[bytes, bytes]]:
    n = len(block)
    if n < 4:
        raise _Corrupt(f"the {what} block is too short ({n} bytes)")
    (num_restarts,) = struct.unpack_from("<I", block, n - 4)
    end = n - 4 - 4 * num_restarts
    if end < 0:
        raise _Corrupt(f"the {what} block claims {num_restarts} restart points in {n} bytes")
    out: list[tuple[bytes, bytes]] = []
    key = b""
    pos = 0
    while pos < end:
        shared, pos = _varint(block, pos, end)
        unshared, pos = _varint(block, pos, end)
        vlen, pos = _varint(block, pos, end)
        if shared > len(key) or pos + unshared + vlen > end:
            raise _Corrupt(f"an entry of the {what} block runs past its end")
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        out.append((key, block[pos : pos + vlen]))
        pos += vlen
    return out


def _handle(buf: bytes, pos: int, limit: int) -> tuple[int, int, int]:
    offset, pos = _varint(buf, pos, limit)
    size, pos = _varint(buf, pos, limit)
    return offset, size, pos


def read_table(buf: bytes, filename: str) -> list[tuple[bytes, bytes]]:
    """All (key, value) pairs of the table `buf` (the bytes of `filename`), in key order.

    Raises:
        tf.errors.DataLossError: the table is truncated or corrupted (names `filename`).
    """
    try:
        n = len(buf)
        if n < FOOTER_SIZE:
            raise _Corrupt(f"{n} bytes is shorter than the {FOOTER_SIZE}-byte footer")
        footer = n - FOOTER_SIZE
        (magic,) = struct.unpack_from("<Q", buf, n - 8)
        if magic != MAGIC:
            raise _Corrupt("bad magic number (not a TensorFlow checkpoint index, or truncated)")
        _, _, pos = _handle(buf, footer, n - 8)  # the meta-index: nothing TF puts there is used
        index_offset, index_size, _ = _handle(buf, pos, n - 8)
        index = _block(buf, index_offset, index_size, footer, "index")
        out: list[tuple[bytes, bytes]] = []
        for _, handle in _entries(index, "index"):
            offset, size, end = _handle(handle, 0, len(handle))
            if end != len(handle):
                raise _Corrupt("an index entry is not a block handle")
            block = _block(buf, offset, size, footer, "data")
            for key, value in _entries(block, f"data (offset {offset})"):
                if out and key <= out[-1][0]:
                    raise _Corrupt(f"keys out of order: {out[-1][0]!r} then {key!r}")
                out.append((key, value))
        return out
    except _Corrupt as e:
        raise errors.DataLossError(
            None,
            None,
            f"Unable to read checkpoint index {filename}: {e}. The file is truncated or corrupted.",
        ) from None


# -- writing ------------------------------------------------------------------------------------
class _BlockBuilder:
    def __init__(self, restart_interval: int) -> None:
        self.interval = restart_interval
        self.buf = bytearray()
        self.restarts = [0]
        self.count = 0
        self.last = b""

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.count < self.interval:
            limit = min(len(key), len(self.last))
            while shared < limit and key[shared] == self.last[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.count = 0
        put_varint(self.buf, shared)
        put_varint(self.buf, len(key) - shared)
        put_varint(self.buf, len(value))
        self.buf += key[shared:]
        self.buf += value
        self.last = key
        self.count += 1

    def size(self) -> int:
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self) -> bytes:
        return bytes(self.buf) + struct.pack(
            f"<{len(self.restarts) + 1}I", *self.restarts, len(self.restarts)
        )


def build_table(
    items: Iterable[tuple[bytes, bytes]],
    block_size: int = BLOCK_SIZE,
    restart_interval: int = RESTART_INTERVAL,
) -> bytes:
    """The bytes of a table holding `items` (keys strictly increasing, uncompressed blocks)."""
    out = bytearray()
    index = _BlockBuilder(1)

    def emit(contents: bytes) -> tuple[int, int]:
        offset = len(out)
        out.extend(contents)
        out.append(0)
        out.extend(struct.pack("<I", crc32c.mask(crc32c.extend(crc32c.value(contents), b"\0"))))
        return offset, len(contents)

    def handle(offset: int, size: int) -> bytes:
        h = bytearray()
        put_varint(h, offset)
        put_varint(h, size)
        return bytes(h)

    block = _BlockBuilder(restart_interval)
    last: bytes | None = None
    for key, value in items:
        if last is not None and key <= last:
            raise ValueError(f"table keys must be strictly increasing; got {last!r} then {key!r}")
        block.add(key, value)
        last = key
        if block.size() >= block_size:
            index.add(key, handle(*emit(block.finish())))
            block = _BlockBuilder(restart_interval)
    if block.count:
        index.add(block.last, handle(*emit(block.finish())))
    meta = emit(_BlockBuilder(restart_interval).finish())
    idx = emit(index.finish())
    footer = bytearray(handle(*meta) + handle(*idx))
    footer += bytes(FOOTER_SIZE - 8 - len(footer))
    footer += struct.pack("<Q", MAGIC)
    out += footer
    return bytes(out)


__all__ = ["build_table", "read_table"]
