"""TFRecord files (tf.io / tf.python_io): TFRecordWriter, tf_record_iterator, TFRecordOptions.

A TFRecord file is a sequence of records, each

    uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes
    data (length bytes)           | uint32 masked CRC-32C of data

optionally compressed as a whole (one GZIP or ZLIB stream over the entire file). The CRCs are
TF's masked CRC-32C (flowzero/train/crc32c.py). Files written here are read by TensorFlow and
the other way round; a record whose CRC does not match is a DataLossError naming the file and
the record's offset in the (uncompressed) stream.
"""

from __future__ import annotations

import enum
import gzip
import io
import struct
import zlib
from collections.abc import Iterator
from typing import IO, Any

from flowzero.framework import errors
from flowzero.platform.gfile import _local
from flowzero.train import crc32c

_HEADER = struct.Struct("<QI")  # length, masked crc of the length
_FOOTER = struct.Struct("<I")


class TFRecordCompressionType(enum.IntEnum):
    """The compression of a whole TFRecord file (TF1's integer values)."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_NAMES = {
    TFRecordCompressionType.NONE: "",
    TFRecordCompressionType.ZLIB: "ZLIB",
    TFRecordCompressionType.GZIP: "GZIP",
}


class TFRecordOptions:
    """How a TFRecord file is compressed: `TFRecordOptions("GZIP")` or
    `TFRecordOptions(TFRecordCompressionType.ZLIB, compression_level=9)`. The buffer, flush
    and memory settings are accepted; zlib's defaults are used for them."""

    compression_type_map = {
        TFRecordCompressionType.ZLIB: "ZLIB",
        TFRecordCompressionType.GZIP: "GZIP",
        TFRecordCompressionType.NONE: "",
    }

    def __init__(
        self,
        compression_type: Any = None,
        flush_mode: Any = None,
        input_buffer_size: Any = None,
        output_buffer_size: Any = None,
        window_bits: Any = None,
        compression_level: Any = None,
        compression_method: Any = None,
        mem_level: Any = None,
        compression_strategy: Any = None,
    ) -> None:
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy
        compression_string(self)  # reject an unknown type now, not at the first write

    @classmethod
    def get_compression_type_string(cls, options: Any) -> str:
        """ "", "ZLIB" or "GZIP" for options (a TFRecordOptions, a type, a string or None)."""
        return compression_string(options)


def compression_string(options: Any) -> str:
    """The compression of `options` as TF's string: "", "ZLIB" or "GZIP".

    Raises:
        ValueError: an unknown compression type.
    """
    c = options.compression_type if isinstance(options, TFRecordOptions) else options
    if c is None:
        return ""
    if isinstance(c, bytes):
        c = c.decode()
    if isinstance(c, str):
        if c.upper() in ("", "ZLIB", "GZIP"):
            return c.upper()
    elif isinstance(c, int) and c in (0, 1, 2):
        return _NAMES[TFRecordCompressionType(c)]
    raise ValueError(
        f"TFRecord compression_type must be '', 'ZLIB' or 'GZIP' (or a "
        f"TFRecordCompressionType); got {c!r}."
    )


def _level(options: Any) -> int:
    lvl = getattr(options, "compression_level", None)
    return zlib.Z_DEFAULT_COMPRESSION if lvl is None else int(lvl)


def encode_record(data: bytes) -> bytes:
    """One record's bytes in the file: header, data, footer."""
    n = struct.pack("<Q", len(data))
    return b"".join(
        (
            n,
            _FOOTER.pack(crc32c.mask(crc32c.value(n))),
            data,
            _FOOTER.pack(crc32c.mask(crc32c.value(data))),
        )
    )


class _ZlibWriter:
    """A binary file that writes one zlib stream (TF's ZLIB compression)."""

    def __init__(self, f: IO[bytes], level: int) -> None:
        self._f = f
        self._z = zlib.compressobj(level)

    def write(self, b: bytes) -> None:
        self._f.write(self._z.compress(b))

    def flush(self) -> None:
        self._f.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._f.flush()

    def close(self) -> None:
        self._f.write(self._z.flush(zlib.Z_FINISH))
        self._f.close()


class TFRecordWriter:
    """Writes records to a TFRecord file (`tf.io.TFRecordWriter(path, options)`); a context
    manager. The file is created (truncated) at once and written as records come.

    Example:
        >>> label = tf.train.Feature(int64_list=tf.train.Int64List(value=[3]))
        >>> example = tf.train.Example(features=tf.train.Features(feature={"label": label}))
        >>> with tf.io.TFRecordWriter("a.tfrecord") as w:
        ...     w.write(example.SerializeToString())
        ...     w.write(b"any bytes")
        >>> [len(record) for record in tf.io.tf_record_iterator("a.tfrecord")]
        [18, 9]
    """

    def __init__(self, path: Any, options: Any = None) -> None:
        self._path = _local(path)
        kind = compression_string(options)
        try:
            raw = open(self._path, "wb")  # noqa: SIM115 - closed by close()
        except FileNotFoundError:
            raise errors.NotFoundError(
                None, None, f"{self._path}; No such file or directory"
            ) from None
        except IsADirectoryError:
            raise errors.FailedPreconditionError(
                None, None, f"{self._path}: is a directory; TFRecordWriter needs a file path."
            ) from None
        self._f: Any
        if kind == "GZIP":
            self._f = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=_gzip_level(options))
            self._raw: Any = raw
        elif kind == "ZLIB":
            self._f = _ZlibWriter(raw, _level(options))
            self._raw = None
        else:
            self._f = raw
            self._raw = None
        self._closed = False

    def write(self, record: Any) -> None:
        """Appends one record (bytes, or a str written as UTF-8)."""
        if self._closed:
            raise errors.FailedPreconditionError(
                None, None, f"TFRecordWriter for {self._path} is closed."
            )
        if isinstance(record, str):
            record = record.encode()
        self._f.write(encode_record(bytes(record)))

    def flush(self) -> None:
        """Makes what was written so far readable by others."""
        if not self._closed:
            self._f.flush()
            if self._raw is not None:
                self._raw.flush()

    def close(self) -> None:
        """Finishes the file (ends the compressed stream). Closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        self._f.close()
        if self._raw is not None:
            self._raw.close()

    def __enter__(self) -> TFRecordWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _gzip_level(options: Any) -> int:
    lvl = _level(options)
    return 6 if lvl == zlib.Z_DEFAULT_COMPRESSION else lvl


class _ZlibReader(io.RawIOBase):
    """The decompressed bytes of one zlib stream, read as a file."""

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f
        self._z = zlib.decompressobj()
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf and not self._z.eof:
            chunk = self._f.read(1 << 16)
            if not chunk:
                break
            self._buf = self._z.decompress(chunk)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


def open_stream(path: str, compression: str) -> IO[bytes]:
    """The (decompressed) bytes of a file as a binary file object.

    Raises:
        NotFoundError: no such file.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(
            None, None, f"{path}: is a directory, not a file."
        ) from None
    if compression == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "ZLIB":
        return io.BufferedReader(_ZlibReader(raw))  # type: ignore[return-value]
    return raw


def _read_exact(f: IO[bytes], n: int, path: str, offset: int) -> bytes:
    try:
        return f.read(n)
    except (OSError, EOFError, zlib.error) as e:  # a broken compressed stream
        raise errors.DataLossError(
            None, None, f"{path}: corrupted compressed data near record offset {offset}: {e}"
        ) from None


def records(path: Any, compression: Any = "") -> Iterator[bytes]:
    """The records of one TFRecord file, their CRCs checked.

    Raises:
        NotFoundError: no such file.
        DataLossError: a corrupted or truncated record (naming the file and its offset).
    """
    path = _local(path)
    kind = compression_string(compression)
    with open_stream(path, kind) as f:
        offset = 0
        while True:
            head = _read_exact(f, _HEADER.size, path, offset)
            if not head:
                return
            if len(head) < _HEADER.size:
                raise errors.DataLossError(None, None, f"{path}: truncated record at {offset}")
            n, masked = _HEADER.unpack(head)
            if crc32c.mask(crc32c.value(head[:8])) != masked:
                raise errors.DataLossError(
                    None, None, f"{path}: corrupted record at {offset} (length CRC mismatch)"
                )
            body = _read_exact(f, n + _FOOTER.size, path, offset)
            if len(body) < n + _FOOTER.size:
                raise errors.DataLossError(None, None, f"{path}: truncated record at {offset}")
            data = body[:n]
            if crc32c.mask(crc32c.value(data)) != _FOOTER.unpack(body[n:])[0]:
                raise errors.DataLossError(
                    None, None, f"{path}: corrupted record at {offset} (data CRC mismatch)"
                )
            yield data
            offset += _HEADER.size + n + _FOOTER.size


def tf_record_iterator(path: Any, options: Any = None) -> Iterator[bytes]:
    """The records of a TFRecord file, one bytes object each (CRCs checked).

    Example:
        >>> label = tf.train.Feature(int64_list=tf.train.Int64List(value=[3]))
        >>> example = tf.train.Example(features=tf.train.Features(feature={"label": label}))
        >>> with tf.io.TFRecordWriter("a.tfrecord") as w:
        ...     w.write(example.SerializeToString())
        >>> for record in tf.io.tf_record_iterator("a.tfrecord"):
        ...     example = tf.train.Example.FromString(record)
        ...     print(example.features.feature["label"].int64_list.value)
        [3]

    Raises:
        NotFoundError: no such file (when the iteration starts).
        DataLossError: a corrupted or truncated record, naming the file and its offset.
    """
    return records(path, compression_string(options))


__all__ = [
    "TFRecordCompressionType",
    "TFRecordOptions",
    "TFRecordWriter",
    "tf_record_iterator",
]
