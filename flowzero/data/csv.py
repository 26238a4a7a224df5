"""CSV files as datasets: tf.data.experimental.CsvDataset (one tuple of scalars per row) and
make_csv_dataset (batches of {column name: values}, the column types inferred from the
first rows where not given), both TextLineDataset lines through tf.io.decode_csv.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import numpy as np

from flowzero.data.dataset import Dataset
from flowzero.data.readers import _compression, _filenames, _make
from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor

_TYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64, dtypes.string)


def _default(d: Any) -> Any:
    """A decode_csv record default: a dtype means a required column of that type."""
    from flowzero.ops.array_ops import constant

    if isinstance(d, Tensor):
        return d
    if not isinstance(d, dtypes.DType):
        return d if isinstance(d, (list, tuple)) else [d]
    dt = d
    if dt not in _TYPES:
        raise TypeError(f"CsvDataset: a column's type must be one of {_TYPES}; got {dt.name}.")
    return constant([], dt)


def CsvDataset(  # noqa: N802 - TF's class name
    filenames: Any,
    record_defaults: Any,
    compression_type: Any = None,
    buffer_size: Any = None,
    header: bool = False,
    field_delim: str = ",",
    use_quote_delim: bool = True,
    na_value: str = "",
    select_cols: Any = None,
) -> Dataset:
    """The rows of CSV files, each a tuple of scalars (one per column read).

    Args:
        filenames: a string scalar or vector of file names.
        record_defaults: per column read, a default value (a Python value or a scalar
            tensor) or a dtype (the column is then required).
        compression_type: '', 'ZLIB' or 'GZIP'.
        buffer_size: accepted (files are read as a stream).
        header: skip the first line of each file.
        field_delim, use_quote_delim, na_value, select_cols: as tf.io.decode_csv.

    Example:
        >>> ds = tf.data.experimental.CsvDataset("a.csv", [tf.float32, 0], header=True)
    """
    from flowzero.ops.decode_ops import decode_csv

    c = _compression(compression_type, "CsvDataset")
    t = _filenames(filenames, "CsvDataset")
    lines = _make(
        {"op": "files", "format": "text", "filenames": t, "compression": c, "header": header}
    )
    defaults = [_default(d) for d in record_defaults]

    def parse(line: Tensor) -> tuple[Tensor, ...]:
        cols = decode_csv(line, defaults, field_delim, use_quote_delim, None, na_value, select_cols)
        return tuple(cols)

    return lines.map(parse)


# -- make_csv_dataset ---------------------------------------------------------------------------
def _rows(path: str, delim: str, quote: bool, header: bool) -> Iterator[list[str]]:
    from flowzero.platform.gfile import GFile

    with GFile(path, "r") as f:
        reader = csv.reader(
            f, delimiter=delim, quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE
        )
        if header:
            next(reader, None)
        yield from reader


def _fits(text: str, dt: dtypes.DType) -> bool:
    try:
        if dt.is_integer:
            v = int(text)
            return bool(np.iinfo(dt.np).min <= v <= np.iinfo(dt.np).max)
        with np.errstate(over="ignore"):
            return bool(dt.np.type(text) < np.inf)  # TF's test: NaN and overflow do not fit
    except (ValueError, OverflowError):
        return False


def _infer(text: str, na_value: str, prev: dtypes.DType | None) -> dtypes.DType | None:
    """The narrowest of int32, int64, float32, float64, string holding `text` and every
    value before it (a missing value tells nothing), as TF infers."""
    if text in ("", na_value):
        return prev
    start = 0 if prev is None else _TYPES.index(prev)
    for dt in _TYPES[start:]:
        if dt is dtypes.string or _fits(text, dt):
            return dt
    return dtypes.string


def _inferred_defaults(types: list[dtypes.DType | None]) -> list[Any]:
    """TF's defaults for inferred columns: 0 or "" (a column with no value read: string)."""
    from flowzero.ops.array_ops import constant

    out = []
    for t in types:
        t = t or dtypes.string
        out.append(constant([b"" if t is dtypes.string else 0], t))
    return out


def make_csv_dataset(
    file_pattern: Any,
    batch_size: int,
    column_names: Any = None,
    column_defaults: Any = None,
    label_name: str | None = None,
    select_columns: Any = None,
    field_delim: str = ",",
    use_quote_delim: bool = True,
    na_value: str = "",
    header: bool = True,
    num_epochs: int | None = None,
    shuffle: bool = True,
    shuffle_buffer_size: int = 10000,
    shuffle_seed: int | None = None,
    prefetch_buffer_size: Any = None,
    num_parallel_reads: int | None = None,
    sloppy: bool = False,
    num_rows_for_inference: int | None = 100,
    compression_type: Any = None,
    ignore_errors: bool = False,
) -> Dataset:
    """Batches of CSV rows as {column name: [batch] values} (and the label column apart,
    as (features, label), where `label_name` is given), as TF's make_csv_dataset.

    Column names come from the first file's header where not given; column types from the
    first `num_rows_for_inference` rows (None: all) where `column_defaults` is not given
    (int32, int64, float32, float64 or string; a missing value is then 0 or ""). The files are
    shuffled (shuffle=True), read `num_parallel_reads` at a time, the rows shuffled and
    repeated `num_epochs` times (None: forever, and then every batch is full).

    Raises:
        ValueError: no file matches, no column names, a label or selected column that is not
            a column, duplicate names, or column_defaults of another length.

    Example:
        >>> with open("train.csv", "w") as f:
        ...     _ = f.write("x,y\\n1.5,0\\n2.5,1\\n")
        >>> ds = tf.data.experimental.make_csv_dataset(
        ...     "train.csv", 2, label_name="y", shuffle=False, num_epochs=1)
        >>> features, label = ds.make_one_shot_iterator().get_next()
        >>> sess = tf.Session()
        >>> f, y = sess.run((features, label))
        >>> print(f["x"], y)
        [1.5 2.5] [0 1]
    """
    from flowzero.data import experimental
    from flowzero.platform.gfile import glob

    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    files = [f for p in patterns for f in glob(p.decode() if isinstance(p, bytes) else p)]
    if not files:
        raise ValueError(f"make_csv_dataset: no files match {file_pattern!r}.")
    if not shuffle:
        files = sorted(files)
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` argument to be specified.")
        first = next(_rows(files[0], field_delim, use_quote_delim, False), None)
        column_names = list(first or [])
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError(f"make_csv_dataset: column names must be unique; got {column_names}.")
    cols = list(range(len(column_names)))
    if select_columns is not None:
        try:
            cols = sorted(
                column_names.index(c) if isinstance(c, str) else int(c) for c in select_columns
            )
        except ValueError:
            raise ValueError(
                f"make_csv_dataset: select_columns {list(select_columns)} must be names in "
                f"{column_names} or indices."
            ) from None
        if any(c >= len(column_names) for c in cols):
            raise ValueError(f"make_csv_dataset: select_columns index beyond {column_names}.")
        column_names = [column_names[c] for c in cols]
    if label_name is not None and label_name not in column_names:
        raise ValueError(
            f"`label_name` provided must be one of the columns: {column_names}; got {label_name!r}."
        )
    if column_defaults is None:
        types: list[dtypes.DType | None] = [None] * len(cols)
        rows = (r for f in files for r in _rows(f, field_delim, use_quote_delim, header))
        for k, row in enumerate(rows):
            if num_rows_for_inference is not None and k >= num_rows_for_inference:
                break
            for j, c in enumerate(cols):
                if c < len(row):
                    types[j] = _infer(row[c], na_value, types[j])
        column_defaults = _inferred_defaults(types)
    if len(column_defaults) != len(column_names):
        raise ValueError(
            f"make_csv_dataset: column_defaults has {len(column_defaults)} entries for "
            f"{len(column_names)} columns."
        )
    select = None if select_columns is None else cols

    def file_rows(name: Tensor) -> Dataset:
        ds = CsvDataset(
            name, column_defaults, compression_type, None, header, field_delim,
            use_quote_delim, na_value, select,
        )  # fmt: skip
        return ds.apply(experimental.ignore_errors()) if ignore_errors else ds

    ds = Dataset.from_tensor_slices(np.array([f.encode() for f in files], dtype=object))
    if shuffle:
        ds = ds.shuffle(len(files), shuffle_seed)
    ds = ds.interleave(file_rows, cycle_length=num_parallel_reads or 1)
    if num_epochs != 1 and shuffle:
        ds = ds.apply(
            experimental.shuffle_and_repeat(shuffle_buffer_size, num_epochs, shuffle_seed)
        )
    elif num_epochs != 1:
        ds = ds.repeat(num_epochs)
    elif shuffle:
        ds = ds.shuffle(shuffle_buffer_size, shuffle_seed)
    ds = ds.batch(batch_size, drop_remainder=num_epochs is None)

    def to_dict(*columns: Tensor) -> Any:
        features = dict(zip(column_names, columns))
        if label_name is None:
            return features
        label = features.pop(label_name)
        return features, label

    return ds.map(to_dict)


__all__ = ["CsvDataset", "make_csv_dataset"]
