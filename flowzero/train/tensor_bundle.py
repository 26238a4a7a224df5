"""TensorFlow's V2 checkpoint format (the "tensor bundle"), read and written.

A bundle with prefix P is two files:

- `P.index`: a sorted string table (flowzero/train/sstable.py). The empty key holds a
  BundleHeaderProto (number of data shards, byte order, format version); every other key is a
  tensor name whose value is a BundleEntryProto: dtype, shape, shard, offset and size in the
  data file, and the masked CRC-32C of the tensor's bytes.
- `P.data-00000-of-00001` (shard s of n: `P.data-<s:05d>-of-<n:05d>`): the tensors' bytes one
  after the other, little-endian, C order. A string tensor is its lengths as varint64s, the
  masked CRC-32C of the lengths (each as a little-endian uint32, or uint64 when larger), then
  the bytes of each string; its entry's CRC covers the lengths, that CRC and the strings.

A variable saved in slices (tf.fixed_size_partitioner) has an entry with its full shape and
the slices' extents, and one entry per slice under a binary key (TF's OrderedCode encoding of
the name and the extents); `read` assembles the full value.

Reading checks every length, offset and shape against the files before allocating, reads each
tensor straight into the array that is returned (one copy in memory), and verifies its CRC.
Files are opened as a stranger's (serialization.open_regular: regular files only, within the
read limits). The data files are opened right after the index, and kept open, so a writer that
replaces the bundle meanwhile (its new data goes to another file name) cannot pull them away.
"""

from __future__ import annotations

import glob
import os
import struct
import threading
from typing import IO, Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.serialization import atomic_write, open_regular
from flowzero.train import crc32c, sstable

INDEX_SUFFIX = ".index"
MAX_DIMS = 254  # TensorShape's limit
_HEADER_KEY = b""
_BUNDLE_VERSION = 1  # kTensorBundleVersion: what this code writes and reads
_CHUNK = 1 << 20  # bytes read, then checksummed while still in the CPU's cache
# Numeric tensors totalling _PARALLEL_MIN bytes or more are read by a few threads side by side
# (preadv and the hardware CRC both release the GIL), each taking pieces of up to _PIECE
# bytes: reading into fresh memory is bound by page faults and copies on one core, not by the
# disk (the page cache), so two readers take about half the time. Tensors under _PIECE are
# read by the calling thread meanwhile. Only when other processes leave a core free
# (runtime.threads.free_cores): on a busy machine the readers would wait for a core.
_PARALLEL_MIN = 1 << 24
_PIECE = 1 << 23
_MAX_READERS = 4
_POOL: Any = None
_POOL_PID = 0


def _aligned_empty(shape: tuple[int, ...], dt: Any, nbytes: int) -> np.ndarray:
    """An uninitialised array of `shape` and `dt` (`nbytes` bytes) at a 64-byte boundary."""
    raw = np.empty(nbytes + 64, dtype=np.uint8)
    skip = -raw.ctypes.data % 64
    return raw[skip : skip + nbytes].view(dt).reshape(shape)


def _free_cores() -> int:
    from flowzero.runtime.threads import free_cores

    return free_cores()


def _reader_pool() -> Any:
    """The shared reader threads (None on one core); made again in a forked child, whose
    copy of the parent's pool has no threads behind it."""
    global _POOL, _POOL_PID
    if _POOL_PID != os.getpid():
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cores = os.cpu_count() or 1
        n = min(_MAX_READERS, cores)
        if n < 2:
            _POOL = None
        else:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(n, thread_name_prefix="flowzero-ckpt-read")
        _POOL_PID = os.getpid()
    return _POOL


_OPEN_ATTEMPTS = 5  # index + data files read again while a writer keeps replacing them

# TF DataType enum value <-> NumPy dtype (types.proto).
_NP_BY_ENUM: dict[int, np.dtype] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    4: np.dtype("u1"),
    5: np.dtype("<i2"),
    6: np.dtype("i1"),
    8: np.dtype("<c8"),
    9: np.dtype("<i8"),
    10: np.dtype("?"),
    17: np.dtype("<u2"),
    18: np.dtype("<c16"),
    19: np.dtype("<f2"),
    22: np.dtype("<u4"),
    23: np.dtype("<u8"),
}
_DT_STRING = 7
_ENUM_BY_KIND = {(d.kind, d.itemsize): e for e, d in _NP_BY_ENUM.items()}
_UNSUPPORTED = {
    11: "qint8",
    12: "quint8",
    13: "qint32",
    14: "bfloat16",
    15: "qint16",
    16: "quint16",
    20: "resource",
    21: "variant",
}


def data_filename(prefix: str, shard: int = 0, num_shards: int = 1) -> str:
    """`<prefix>.data-<shard>-of-<num_shards>`, as TF names a bundle's data files."""
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def _pb() -> Any:
    from flowzero.proto import tensor_bundle_pb2

    return tensor_bundle_pb2


def dtype_enum(dtype: np.dtype) -> int:
    """The TF DataType enum value of a NumPy dtype (object and bytes/str arrays: DT_STRING)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "OSU":
        return _DT_STRING
    e = _ENUM_BY_KIND.get((dtype.kind, dtype.itemsize))
    if e is None:
        raise errors.InvalidArgumentError(
            None, None, f"dtype {dtype} has no TensorFlow DataType that a checkpoint can hold."
        )
    return e


# -- slices (partitioned variables) -------------------------------------------------------------
def _num_increasing(out: bytearray, v: int) -> None:
    raw = v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""
    out.append(len(raw))
    out += raw


def _signed_num_increasing(out: bytearray, v: int) -> None:
    x = ~v if v < 0 else v
    n = 1
    while x >= 1 << (7 * n - 1):
        n += 1
    if n > 8:
        raise ValueError(f"slice extent {v} is too large")
    raw = bytearray((v & ((1 << (8 * n)) - 1)).to_bytes(n, "big"))
    raw[0] ^= (0xFF << (8 - n)) & 0xFF
    out += raw


def slice_key(name: str, extents: list[tuple[int, int]]) -> bytes:
    """The key TF stores one slice of tensor `name` under ((start, length) per dimension;
    length -1 = the whole dimension): OrderedCode of 0, the name, the rank, the extents."""
    out = bytearray()
    _num_increasing(out, 0)
    for b in name.encode("utf-8"):  # 0x00 and 0xff are escaped, 0x00 0x01 ends the string
        out += b"\x00\xff" if b == 0 else b"\xff\x00" if b == 0xFF else bytes((b,))
    out += b"\x00\x01"
    _num_increasing(out, len(extents))
    for start, length in extents:
        _signed_num_increasing(out, start)
        _signed_num_increasing(out, length)
    return bytes(out)


# -- reading ------------------------------------------------------------------------------------
class BundleReader:
    """Reads a V2 checkpoint (TensorFlow's tensor bundle) with prefix `prefix`.

    Raises (from the constructor):
        tf.errors.NotFoundError: `<prefix>.index` does not exist.
        tf.errors.DataLossError: the index is truncated or corrupted, or its header is bad.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = os.fspath(prefix)
        self.index_path = self.prefix + INDEX_SUFFIX
        self._files: dict[int, IO[bytes]] = {}
        self._lock = threading.Lock()
        for attempt in range(_OPEN_ATTEMPTS):
            buf = self._read_index()
            self._load_index(buf)
            # NOTE: the index read again after its data files are open: unchanged, those files
            # are the ones it names (a writer renames new data in before it commits an index).
            self._open_data_files()
            if attempt == _OPEN_ATTEMPTS - 1 or self._read_index() == buf:
                break

    def _read_index(self) -> bytes:
        try:
            with open_regular(self.index_path, "checkpoint index") as f:
                return f.read()
        except errors.NotFoundError:
            raise errors.NotFoundError(
                None, None, f"Checkpoint index {self.index_path} not found."
            ) from None
        except OSError as e:
            raise errors.DataLossError(
                None, None, f"Cannot read checkpoint index {self.index_path}: {e}"
            ) from None

    def _open_data_files(self) -> None:
        """Opens the data shards, up to the first one missing (reading a tensor there reports
        it)."""
        self.close()
        for shard in range(self.num_shards):
            try:
                self._files[shard] = open_regular(
                    data_filename(self.prefix, shard, self.num_shards), "checkpoint data file"
                )
            except errors.NotFoundError:
                return

    def close(self) -> None:
        """Closes the data files (reading after this opens them again)."""
        files, self._files = self._files, {}
        for f in files.values():
            f.close()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_files", None):
            self.close()

    def _load_index(self, buf: bytes) -> None:
        items = sstable.read_table(buf, self.index_path)
        if not items or items[0][0] != _HEADER_KEY:
            self._loss("", "it has no header entry (the empty key)")
        header = _pb().BundleHeaderProto()
        self._parse(header, items[0][1], "", "header")
        if header.num_shards < 1 or header.num_shards > 1 << 20:
            self._loss("", f"the header names {header.num_shards} data shards")
        if (
            header.version.min_consumer > _BUNDLE_VERSION
            or _BUNDLE_VERSION in header.version.bad_consumers
        ):
            raise errors.UnimplementedError(
                None,
                None,
                f"Checkpoint {self.index_path} needs a newer reader (format version "
                f"{header.version.producer}, min consumer {header.version.min_consumer}).",
            )
        self.num_shards = int(header.num_shards)
        self.big_endian = header.endianness == 1
        self._raw: dict[str, bytes] = {}
        self._slices: dict[bytes, bytes] = {}
        for key, value in items[1:]:
            if key[:1] == b"\x00":  # a slice of a partitioned variable
                self._slices[key] = value
                continue
            try:
                self._raw[key.decode("utf-8")] = value
            except UnicodeDecodeError:
                self._loss(repr(key), "a tensor name is not UTF-8")
        self._entries: dict[str, Any] = {}

    # -- helpers ------------------------------------------------------------------------------
    def _loss(self, name: str, what: str, file: str | None = None) -> None:
        raise errors.DataLossError(
            None,
            None,
            f"Checkpoint {file or self.index_path}"
            + (f", tensor '{name}'" if name else "")
            + f": {what}. The checkpoint is truncated or corrupted.",
        )

    def _parse(self, msg: Any, raw: bytes, name: str, what: str) -> None:
        from google.protobuf.message import DecodeError

        try:
            msg.ParseFromString(raw)
        except (DecodeError, ValueError, RuntimeError) as e:
            self._loss(name, f"its {what} record does not parse ({e})")

    def _entry(self, name: str, raw: bytes | None = None) -> Any:
        entry = self._entries.get(name) if raw is None else None
        if entry is None:
            if raw is None:
                raw = self._raw.get(name)
                if raw is None:
                    raise errors.NotFoundError(
                        None, None, f"Key {name} not found in checkpoint {self.prefix}."
                    )
            entry = _pb().BundleEntryProto()
            self._parse(entry, raw, name, "entry")
            self._entries[name] = entry
        return entry

    def _shape(self, name: str, entry: Any) -> tuple[int, ...]:
        if entry.shape.unknown_rank or len(entry.shape.dim) > MAX_DIMS:
            self._loss(name, "its shape is not a valid tensor shape")
        shape = tuple(int(d.size) for d in entry.shape.dim)
        n = 1
        for d in shape:
            if d < 0:
                self._loss(name, f"its shape {list(shape)} has a negative dimension")
            n *= d
        if n >= 1 << 62:
            self._loss(name, f"its shape {list(shape)} is absurdly large")
        return shape

    def _np_dtype(self, name: str, enum: int) -> np.dtype | None:
        if enum == _DT_STRING:
            return None
        dt = _NP_BY_ENUM.get(enum)
        if dt is None:
            if enum in _UNSUPPORTED:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"Checkpoint {self.index_path}, tensor '{name}': dtype "
                    f"{_UNSUPPORTED[enum]} is not supported by flowzero.",
                )
            self._loss(name, f"unknown dtype enum {enum}")
        return dt.newbyteorder(">") if self.big_endian and dt.itemsize > 1 else dt

    def _data_file(self, shard: int) -> IO[bytes]:
        f = self._files.get(shard)
        if f is None:
            path = data_filename(self.prefix, shard, self.num_shards)
            try:
                f = open_regular(path, "checkpoint data file")
            except errors.NotFoundError:
                raise errors.DataLossError(
                    None, None, f"Checkpoint {self.prefix}: its data file {path} is missing."
                ) from None
            self._files[shard] = f
        return f

    def _data_size(self, shard: int) -> int:
        return os.fstat(self._data_file(shard).fileno()).st_size

    def _read_at(self, shard: int, offset: int, view: memoryview) -> int:
        """Reads into `view` from byte `offset` of data file `shard`; the count read."""
        f = self._data_file(shard)
        if hasattr(os, "preadv"):  # no shared file position: threads may read at once
            return os.preadv(f.fileno(), [view], offset)
        with self._lock:
            f.seek(offset)
            return f.readinto(view)

    # -- public -------------------------------------------------------------------------------
    def keys(self) -> list[str]:
        """The tensor names, sorted (slices of partitioned variables appear as the whole)."""
        return list(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def dtype_and_shape(self, name: str) -> tuple[np.dtype, tuple[int, ...]]:
        """(NumPy dtype, shape) of tensor `name`; dtype object for strings."""
        entry = self._entry(name)
        dt = self._np_dtype(name, entry.dtype)
        return (np.dtype(object) if dt is None else dt.newbyteorder("=")), self._shape(name, entry)

    def read(self, name: str) -> np.ndarray:
        """The value of tensor `name` (a fresh array; strings as an object array of bytes).

        Raises:
            tf.errors.NotFoundError: no tensor `name`.
            tf.errors.DataLossError: its entry or bytes are inconsistent, truncated or fail the
                CRC (names the file and the tensor).
        """
        entry = self._entry(name)
        if len(entry.slices):
            return self._read_sliced(name, entry)
        return self._read_entry(name, entry)

    def read_many(self, names: list[str]) -> dict[str, np.ndarray]:
        """{name: value} for `names`, every entry checked before anything is read.

        Each numeric tensor is read into its own C-contiguous, writable, 64-byte aligned
        buffer, the size of the tensor. A restore replaces values of the same sizes, so with
        flowzero's malloc tuning (runtime/allocator.py: requests up to 32 MB served from the
        heap, freed memory kept) each tensor reuses pages that the values it replaces freed:
        no page faults and no zeroing. (One buffer for all tensors was tried first: above the
        tuning's 32 MB it went to fresh memory every time; W10, 100 MB in 4 tensors, restore
        after restore in one process: 25.5 ms and ~400 page faults against 19.0 ms and 0.)
        """
        checked = []  # (name, entry, (dtype, shape) of a numeric tensor, else None)
        for name in names:
            entry = self._entry(name)
            numeric = not len(entry.slices) and entry.dtype != _DT_STRING
            checked.append((name, entry, self._check(name, entry)[:2] if numeric else None))
        jobs = [
            (name, entry, _aligned_empty(found[1], found[0], int(entry.size)))
            for name, entry, found in checked
            if found is not None
        ]
        values = dict(zip([j[0] for j in jobs], self._read_numeric(jobs)))
        return {
            name: values[name] if found is not None else self.read(name)
            for name, _, found in checked
        }

    def _check(self, name: str, entry: Any) -> tuple[Any, tuple[int, ...], int, str, int]:
        dt = self._np_dtype(name, entry.dtype)
        shape = self._shape(name, entry)
        shard, offset, size = int(entry.shard_id), int(entry.offset), int(entry.size)
        if not 0 <= shard < self.num_shards:
            self._loss(name, f"its shard {shard} is not one of the {self.num_shards} data files")
        path = data_filename(self.prefix, shard, self.num_shards)
        count = int(np.prod(shape, dtype=object))
        if dt is not None and size != count * dt.itemsize:
            self._loss(
                name,
                f"its entry says {size} bytes, but shape {list(shape)} of "
                f"{dt.name} takes {count * dt.itemsize}",
                path,
            )
        if offset < 0 or size < 0 or offset + size > self._data_size(shard):
            self._loss(
                name,
                f"its bytes [{offset}, {offset + size}) lie past the end of the "
                f"data file ({self._data_size(shard)} bytes)",
                path,
            )
        return dt, shape, count, path, size

    def _read_entry(self, name: str, entry: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Reads tensor `name` into `out` (a fresh array if None) and checks its CRC-32C."""
        dt, shape, count, path, size = self._check(name, entry)
        if dt is None:
            return self._read_strings(name, entry, shape, count, path)
        if out is None:
            out = np.empty(shape, dtype=dt)
        return self._read_numeric([(name, entry, out)])[0]

    def _read_numeric(self, jobs: list[tuple[str, Any, np.ndarray]]) -> list[np.ndarray]:
        """Reads each numeric tensor (name, entry, its array, already _check-ed) into its array,
        verifies the CRC-32Cs, and returns the arrays (native byte order)."""
        total = sum(int(entry.size) for _, entry, _ in jobs)
        pool = (
            _reader_pool()
            if total >= _PARALLEL_MIN and crc32c.accelerated() and _free_cores() > 1
            else None
        )
        crcs: list[Any] = []
        pending: list[Any] = []
        try:
            for name, entry, out in jobs:
                size = int(entry.size)
                if pool is None or size < _PIECE:
                    crcs.append(None)  # read below, by this thread
                    continue
                flat = out.reshape(-1).view(np.uint8)
                pieces = []
                for start in range(0, size, _PIECE):
                    view = flat[start : start + _PIECE]
                    pieces.append((pool.submit(self._fill, name, entry, start, view), view.size))
                pending += [f for f, _ in pieces]
                crcs.append(pieces)
            for i, (name, entry, out) in enumerate(jobs):
                if crcs[i] is None:
                    crcs[i] = self._fill(name, entry, 0, out.reshape(-1).view(np.uint8))
            results = []
            for (name, entry, out), crc in zip(jobs, crcs):
                if not isinstance(crc, int):  # pieces, joined in order
                    pieces, crc = crc, 0
                    for future, n in pieces:
                        crc = crc32c.combine(crc, future.result(), n)
                results.append(self._verified(name, entry, out, crc))
            return results
        finally:
            for f in pending:  # no reader is left writing into the arrays
                f.cancel() or f.exception()

    def _fill(self, name: str, entry: Any, start: int, flat: np.ndarray) -> int:
        """Reads bytes [start, start + flat.size) of tensor `name` into `flat` (uint8), a
        cache-sized chunk at a time, and returns their CRC-32C (unmasked)."""
        shard, offset, size = int(entry.shard_id), int(entry.offset) + start, flat.size
        crc = 0
        pos = 0
        while pos < size:
            view = flat[pos : pos + _CHUNK]
            got = self._read_at(shard, offset + pos, memoryview(view))
            if not got:
                path = data_filename(self.prefix, shard, self.num_shards)
                self._loss(name, f"the data file ended at byte {offset + pos}", path)
            crc = crc32c.extend(crc, view[:got])
            pos += got
        return crc

    def _verified(self, name: str, entry: Any, out: np.ndarray, crc: int) -> np.ndarray:
        if crc32c.mask(crc) != entry.crc32c:
            self._loss(
                name,
                f"CRC-32C mismatch (stored {crc32c.unmask(entry.crc32c):#010x}, "
                f"computed {crc:#010x})",
                data_filename(self.prefix, int(entry.shard_id), self.num_shards),
            )
        if self.big_endian and out.dtype.itemsize > 1:
            return out.byteswap(inplace=True).view(out.dtype.newbyteorder("="))
        return out

    def _read_strings(
        self, name: str, entry: Any, shape: tuple[int, ...], count: int, path: str
    ) -> np.ndarray:
        size = int(entry.size)
        if count > size:  # every string needs at least its one-byte length
            self._loss(name, f"{count} strings cannot fit in {size} bytes", path)
        raw = bytearray(size)
        got = self._read_at(int(entry.shard_id), int(entry.offset), memoryview(raw)) if size else 0
        buf = bytes(raw[:got])
        if len(buf) != size:
            self._loss(name, "the data file is shorter than its entry says", path)
        out = np.empty(count, dtype=object)
        crc = 0
        lengths = []
        pos = 0
        try:
            for _ in range(count):
                n, pos = sstable._varint(buf, pos, size)
                lengths.append(n)
                crc = crc32c.extend(crc, struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n))
        except sstable._Corrupt:
            self._loss(name, "a string length is malformed", path)
        if pos + 4 + sum(lengths) != size:
            self._loss(name, "its string lengths do not add up to its size", path)
        (stored,) = struct.unpack_from("<I", buf, pos)
        if crc32c.unmask(stored) != crc:
            self._loss(name, "the CRC-32C of its string lengths does not match", path)
        crc = crc32c.extend(crc, buf[pos : pos + 4])
        pos += 4
        for i, n in enumerate(lengths):
            out[i] = buf[pos : pos + n]
            pos += n
        crc = crc32c.extend(crc, buf[pos - sum(lengths) : pos])
        if crc32c.mask(crc) != entry.crc32c:
            self._loss(name, "CRC-32C mismatch", path)
        return out.reshape(shape)

    def _read_sliced(self, name: str, entry: Any) -> np.ndarray:
        shape = self._shape(name, entry)
        dt = self._np_dtype(name, entry.dtype)
        if dt is None:
            raise errors.UnimplementedError(
                None,
                None,
                f"Checkpoint {self.index_path}: '{name}' is a partitioned string tensor.",
            )
        out = np.empty(shape, dtype=dt.newbyteorder("="))
        covered = 0
        for sl in entry.slices:
            if len(sl.extent) not in (0, len(shape)):
                self._loss(name, f"a slice has {len(sl.extent)} extents for rank {len(shape)}")
            extents = []
            index = []
            for d, ext in enumerate(sl.extent or [None] * len(shape)):
                start = int(ext.start) if ext is not None else 0
                full = ext is None or not ext.HasField("length")
                length = shape[d] if full else int(ext.length)
                if start < 0 or length < 0 or start + length > shape[d]:
                    self._loss(
                        name,
                        f"a slice's extent {start}:{start + length} is outside "
                        f"dimension {d} of {list(shape)}",
                    )
                extents.append((start, -1 if full else length))
                index.append(slice(start, start + length))
            key = slice_key(name, extents)
            raw = self._slices.get(key)
            if raw is None:
                self._loss(name, f"the slice {extents} has no entry")
            part = self._read_entry(name, self._entry(f"{name} slice {extents}", raw))
            target = out[tuple(index)]
            if part.shape != target.shape:
                self._loss(name, f"the slice {extents} holds shape {list(part.shape)}")
            target[...] = part
            covered += part.size
        if covered != out.size:
            self._loss(name, f"its slices cover {covered} of its {out.size} elements")
        return out


def read_bundle(prefix: str) -> dict[str, np.ndarray]:
    """{name: value} of every tensor of the bundle `prefix`."""
    with BundleReader(prefix) as reader:
        return reader.read_many(reader.keys())


def is_bundle(prefix: str) -> bool:
    """True if `<prefix>.index` looks like a tensor bundle's index (the table's magic number)."""
    try:
        with open_regular(os.fspath(prefix) + INDEX_SUFFIX, "checkpoint index") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() < sstable.FOOTER_SIZE:
                return False
            f.seek(-8, os.SEEK_END)
            return struct.unpack("<Q", f.read(8))[0] == sstable.MAGIC
    except (OSError, errors.OpError):
        return False


# -- writing ------------------------------------------------------------------------------------
def _string_bytes(name: str, arr: np.ndarray) -> tuple[list[bytes], bytes, int]:
    items = []
    for s in arr.reshape(-1).tolist():
        if isinstance(s, str):
            s = s.encode("utf-8")
        elif not isinstance(s, (bytes, bytearray, np.bytes_)):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Tensor '{name}': a string tensor holds a {type(s).__name__}, not bytes or str.",
            )
        items.append(bytes(s))
    lengths = bytearray()
    crc = 0
    for s in items:
        sstable.put_varint(lengths, len(s))
        crc = crc32c.extend(crc, struct.pack("<I" if len(s) <= 0xFFFFFFFF else "<Q", len(s)))
    masked = struct.pack("<I", crc32c.mask(crc))
    crc = crc32c.extend(crc, masked)
    head = bytes(lengths) + masked
    for s in items:
        crc = crc32c.extend(crc, s)
    return items, head, crc


def write_bundle(prefix: str, tensors: dict[str, np.ndarray]) -> None:
    """Writes `tensors` as a V2 checkpoint with prefix `prefix` (TF's tensor bundle).

    The data file is written first, then the index (the commit), each to a temp file renamed
    over the target, so an interrupted write leaves the previous bundle readable.

    Raises:
        tf.errors.InvalidArgumentError: an empty or non-string name, or a dtype TF cannot hold.
    """
    prefix = os.fspath(prefix)
    pb = _pb()
    arrays: list[tuple[str, np.ndarray]] = []
    for name in sorted(tensors):
        if not isinstance(name, str) or not name or name.startswith("\x00"):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Checkpoint {prefix}: tensor names must be non-empty strings; got {name!r}.",
            )
        arr = np.asarray(tensors[name])
        dtype_enum(arr.dtype)  # raises on a dtype TF cannot hold
        arrays.append((name, arr))
    entries: list[tuple[bytes, bytes]] = []

    def write_data(f: Any) -> None:
        offset = 0
        for name, arr in arrays:
            entry = pb.BundleEntryProto(dtype=dtype_enum(arr.dtype), offset=offset)
            for d in arr.shape:
                entry.shape.dim.add(size=d)
            if entry.dtype == _DT_STRING:
                items, head, crc = _string_bytes(name, arr)
                f.write(head)
                for s in items:
                    f.write(s)
                size = len(head) + sum(len(s) for s in items)
            else:
                data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
                flat = data.reshape(-1).view(np.uint8)
                crc = crc32c.value(flat)
                f.write(memoryview(flat))
                size = flat.size
            entry.size = size
            entry.crc32c = crc32c.mask(crc)
            offset += size
            entries.append((name.encode("utf-8"), entry.SerializeToString()))

    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    # NOTE: overwriting a bundle must not touch the data file its index still names, or a crash
    # between the two renames would leave an index over foreign bytes. So the data goes to the
    # other of two namings: `data-00000-of-00001`, or shard 0 of 2 (`data-00000-of-00002`,
    # plus an empty `data-00001-of-00002`), which TensorFlow reads like any sharded bundle.
    num_shards = 2 if _current_shards(prefix) == 1 else 1
    keep = {data_filename(prefix, s, num_shards) for s in range(num_shards)}
    try:
        atomic_write(data_filename(prefix, 0, num_shards), write_data)
        if num_shards == 2:
            atomic_write(data_filename(prefix, 1, 2), lambda f: None)
        header = pb.BundleHeaderProto(num_shards=num_shards, endianness=0)
        header.version.producer = _BUNDLE_VERSION
        table = sstable.build_table([(_HEADER_KEY, header.SerializeToString()), *entries])
        atomic_write(prefix + INDEX_SUFFIX, lambda f: f.write(table))
    except BaseException:
        # (e.g. a full disk) the new data files belong to no index: the previous bundle, if
        # any, names the other files and stays readable
        for path in keep:
            _unlink(path)
        raise
    for path in data_files(prefix):
        if path not in keep:
            _unlink(path)


def _current_shards(prefix: str) -> int | None:
    if not is_bundle(prefix):
        return None
    try:
        with BundleReader(prefix) as reader:
            return reader.num_shards
    except errors.OpError:
        return None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def data_files(prefix: str) -> list[str]:
    """The data files present for bundle `prefix` (any shard naming)."""
    pattern = glob.escape(os.fspath(prefix)) + ".data-[0-9][0-9][0-9][0-9][0-9]-of-[0-9]*"
    return sorted(glob.glob(pattern))


def delete_bundle(prefix: str) -> None:
    """Deletes bundle `prefix`: the index first (so nothing half-deleted reads), then its data."""
    _unlink(os.fspath(prefix) + INDEX_SUFFIX)
    for path in data_files(prefix):
        _unlink(path)


def merge_bundles(prefixes: list[str], destination: str, delete_old_dirs: bool = True) -> None:
    """Merges the bundles `prefixes` (a sharded save's parts) into one bundle `destination`,
    as TF's MergeV2Checkpoints: their data files are moved (renamed) to become the
    destination's shards, one index is written over all their entries, the parts' indexes
    are deleted, and with `delete_old_dirs` their directories too, once empty.

    Raises:
        tf.errors.NotFoundError: a part has no index.
        tf.errors.InvalidArgumentError: no parts, or two parts hold the same tensor name.
        tf.errors.DataLossError: a part's index is corrupted.
    """
    destination = os.fspath(destination)
    if not prefixes:
        raise errors.InvalidArgumentError(
            None, None, f"Merging into {destination}: no checkpoint prefixes given."
        )
    pb = _pb()
    parts = []
    total = 0
    for prefix in prefixes:
        with BundleReader(prefix) as reader:
            if reader.big_endian:
                raise errors.UnimplementedError(
                    None, None, f"Checkpoint {prefix}: a big-endian bundle cannot be merged."
                )
            raw = dict(reader._raw)
            raw.update(reader._slices)
            parts.append((os.fspath(prefix), reader.num_shards, total, raw))
            total += reader.num_shards
    entries: dict[bytes, bytes] = {}
    for prefix, _, first, raw in parts:
        for key, value in raw.items():
            k = key if isinstance(key, bytes) else key.encode("utf-8")
            if k in entries:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Merging into {destination}: tensor {k!r} is in two of the checkpoints "
                    f"(again in {prefix}).",
                )
            entry = pb.BundleEntryProto()
            entry.ParseFromString(value)
            entry.shard_id += first
            entries[k] = entry.SerializeToString()
    os.makedirs(os.path.dirname(os.path.abspath(destination)), exist_ok=True)
    for path in data_files(destination):
        _unlink(path)
    for prefix, n, first, _ in parts:
        for s in range(n):
            os.replace(data_filename(prefix, s, n), data_filename(destination, first + s, total))
    header = pb.BundleHeaderProto(num_shards=total, endianness=0)
    header.version.producer = _BUNDLE_VERSION
    table = sstable.build_table(
        [(_HEADER_KEY, header.SerializeToString()), *sorted(entries.items())]
    )
    atomic_write(destination + INDEX_SUFFIX, lambda f: f.write(table))
    for prefix, *_ in parts:
        if os.path.abspath(prefix) != os.path.abspath(destination):
            _unlink(prefix + INDEX_SUFFIX)
        if delete_old_dirs:
            d = os.path.dirname(os.path.abspath(prefix))
            if d != os.path.dirname(os.path.abspath(destination)):
                try:
                    os.rmdir(d)
                except OSError:
                    pass  # not empty (TF keeps it then too)


__all__ = [
    "BundleReader",
    "merge_bundles",
    "data_filename",
    "dtype_enum",
    "is_bundle",
    "read_bundle",
    "slice_key",
    "write_bundle",
]
