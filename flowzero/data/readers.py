"""tf.data's file sources: TFRecordDataset, TextLineDataset and FixedLengthRecordDataset.

Each is a Dataset whose node names its file names (a string scalar or vector tensor, read at
run time) and the file format; the elements (scalar strings) are read lazily, file after
file, as the iterator advances.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import convert_to_tensor
from flowzero.framework.registry import spec
from flowzero.platform import tf_record
from flowzero.platform.gfile import _local


def _filenames(filenames: Any, cls: str) -> Any:
    t = convert_to_tensor(filenames, dtype=dtypes.string)
    if t.dtype is not dtypes.string:
        raise TypeError(f"{cls}: filenames must be a string tensor; got {t.dtype.name}.")
    if t.shape.ndims not in (None, 0, 1):
        raise ValueError(f"{cls}: filenames must be a scalar or a vector; got shape {t.shape}.")
    return t


def _compression(compression_type: Any, cls: str) -> str:
    try:
        return tf_record.compression_string(compression_type)
    except ValueError:
        raise ValueError(
            f"{cls}: compression_type must be '', 'ZLIB' or 'GZIP'; got {compression_type!r}."
        ) from None


def _make(node: dict[str, Any]) -> Any:
    from flowzero.data.dataset import Dataset

    return Dataset(node, 0, [spec([], dtypes.string)])


def TFRecordDataset(  # noqa: N802 - TF's class name
    filenames: Any,
    compression_type: Any = None,
    buffer_size: Any = None,
    num_parallel_reads: Any = None,
) -> Any:
    """The records of one or more TFRecord files, in order (buffer_size and
    num_parallel_reads are accepted; files are read one after the other).

    Example:
        >>> with tf.io.TFRecordWriter("a.tfrecord") as w:
        ...     for i in range(3):
        ...         w.write(tf.train.Example(features=tf.train.Features(feature={
        ...             "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[i]))}))
        ...             .SerializeToString())
        >>> def parse(record):
        ...     return tf.parse_single_example(record, {"y": tf.FixedLenFeature([], tf.int64)})
        >>> ds = tf.data.TFRecordDataset(["a.tfrecord"]).map(parse).batch(32)
        >>> sess = tf.Session()
        >>> sess.run(ds.make_one_shot_iterator().get_next())["y"]
        array([0, 1, 2])
    """
    c = _compression(compression_type, "TFRecordDataset")
    t = _filenames(filenames, "TFRecordDataset")
    return _make({"op": "files", "format": "tfrecord", "filenames": t, "compression": c})


def TextLineDataset(  # noqa: N802 - TF's class name
    filenames: Any,
    compression_type: Any = None,
    buffer_size: Any = None,
    num_parallel_reads: Any = None,
) -> Any:
    """The lines of one or more text files, without their line endings (\\n or \\r\\n).
    Skip a header with `.skip(1)`.

    Example:
        >>> with open("data.csv", "w") as f:
        ...     _ = f.write("x,y\\n1.5,2\\n3.5,4\\n")
        >>> def parse_line(line):
        ...     return tf.decode_csv(line, record_defaults=[[0.0], [0]])
        >>> ds = tf.data.TextLineDataset("data.csv").skip(1).map(parse_line)   # skip the header
        >>> sess = tf.Session()
        >>> print(*sess.run(ds.make_one_shot_iterator().get_next()))
        1.5 2
    """
    c = _compression(compression_type, "TextLineDataset")
    t = _filenames(filenames, "TextLineDataset")
    return _make({"op": "files", "format": "text", "filenames": t, "compression": c})


def FixedLengthRecordDataset(  # noqa: N802 - TF's class name
    filenames: Any,
    record_bytes: int,
    header_bytes: int | None = None,
    footer_bytes: int | None = None,
    buffer_size: Any = None,
    compression_type: Any = None,
    num_parallel_reads: Any = None,
) -> Any:
    """Records of `record_bytes` bytes each from binary files, after skipping
    `header_bytes` and before the last `footer_bytes` of each file (CIFAR-10's format). A
    partial record at a file's end is left out, as TF does for uncompressed files.

    Example:
        >>> with open("data_batch_1.bin", "wb") as f:   # CIFAR-10's layout: label, pixels
        ...     _ = f.write(bytes(2 * (1 + 32 * 32 * 3)))
        >>> files = ["data_batch_1.bin"]
        >>> ds = tf.data.FixedLengthRecordDataset(files, 1 + 32 * 32 * 3)
        >>> record = ds.make_one_shot_iterator().get_next()
        >>> sess = tf.Session()
        >>> len(sess.run(record))
        3073
    """
    sizes = {"record_bytes": record_bytes, "header_bytes": header_bytes or 0}
    sizes["footer_bytes"] = footer_bytes or 0
    for k, v in sizes.items():
        if not isinstance(v, (int, np.integer)) or v < 0 or (k == "record_bytes" and v == 0):
            raise ValueError(f"FixedLengthRecordDataset: {k} must be a positive int; got {v!r}.")
    c = _compression(compression_type, "FixedLengthRecordDataset")
    t = _filenames(filenames, "FixedLengthRecordDataset")
    node = {"op": "files", "format": "fixed", "filenames": t, "compression": c}
    return _make({**node, **{k: int(v) for k, v in sizes.items()}})


# -- run time ----------------------------------------------------------------------------------
def _scalar(b: bytes) -> np.ndarray:
    a = np.empty((), dtype=object)
    a[()] = b
    return a


def _lines(path: str, compression: str) -> Iterator[bytes]:
    with tf_record.open_stream(path, compression) as f:
        for line in f:
            if line.endswith(b"\n"):
                line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
            yield line


def _fixed(path: str, node: dict[str, Any]) -> Iterator[bytes]:
    n, head, foot = node["record_bytes"], node["header_bytes"], node["footer_bytes"]
    with tf_record.open_stream(path, node["compression"]) as f:
        data = f.read()
    end = len(data) - foot
    for start in range(head, end - n + 1, n):
        yield data[start : start + n]


def file_elements(node: dict[str, Any], filenames: np.ndarray) -> Iterator[tuple[np.ndarray]]:
    """The elements of a file-source node, given its file names' value."""
    for name in np.ravel(filenames):
        path = _local(name.decode() if isinstance(name, bytes) else str(name))
        fmt = node["format"]
        if fmt == "tfrecord":
            src = tf_record.records(path, node["compression"])
        elif fmt == "text":
            src = _lines(path, node["compression"])
            if node.get("header"):  # CsvDataset(header=True): each file's first line
                next(src, None)
        elif fmt == "fixed":
            src = _fixed(path, node)
        else:  # pragma: no cover - nodes are built above
            raise errors.DataLossError(None, None, f"unknown file format {fmt!r}")
        for rec in src:
            yield (_scalar(rec),)


__all__ = ["FixedLengthRecordDataset", "TFRecordDataset", "TextLineDataset"]
