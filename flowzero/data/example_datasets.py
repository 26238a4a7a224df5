"""tf.data.experimental.parse_example_dataset and make_batched_features_dataset: batches of
serialized tf.train.Examples parsed by tf.io.parse_example (VarLenFeatures give SparseTensor
parts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.data.dataset import Dataset


def parse_example_dataset(features: Any, num_parallel_calls: Any = 1) -> Callable[..., Dataset]:
    """A transformation: each element, a string vector of serialized Examples, parsed into
    `features` (a dict as tf.io.parse_example's).

    Example:
        >>> x = tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2]))
        >>> ex = tf.train.Example(features=tf.train.Features(feature={"x": x}))
        >>> record = ex.SerializeToString()
        >>> ds = tf.data.Dataset.from_tensor_slices([record, record]).batch(2).apply(
        ...     tf.data.experimental.parse_example_dataset({"x": tf.io.VarLenFeature(tf.int64)}))
        >>> parsed = ds.make_one_shot_iterator().get_next()
        >>> print(tf.Session().run(parsed["x"]).values)
        [1 2 1 2]
    """
    from flowzero.ops.parsing_ops import _configs, parse_example

    _configs(features)  # a bad config fails here, not inside the map

    def apply(ds: Dataset) -> Dataset:
        from flowzero.framework import dtypes

        if ds.output_types != dtypes.string:
            raise TypeError(
                f"parse_example_dataset: the elements must be string vectors of serialized "
                f"Examples; got {ds.output_types}."
            )
        return ds.map(lambda s: parse_example(s, features))

    return apply


def _files(file_pattern: Any, shuffle: bool) -> list[str]:
    from flowzero.platform.gfile import glob

    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    files = [f for p in patterns for f in glob(p.decode() if isinstance(p, bytes) else p)]
    if not files:
        raise ValueError(f"no files match {file_pattern!r}.")
    return files if shuffle else sorted(files)


def make_batched_features_dataset(
    file_pattern: Any,
    batch_size: int,
    features: Any,
    reader: Any = None,
    label_key: str | None = None,
    reader_args: Any = None,
    num_epochs: int | None = None,
    shuffle: bool = True,
    shuffle_buffer_size: int = 10000,
    shuffle_seed: int | None = None,
    prefetch_buffer_size: Any = None,
    reader_num_threads: int | None = None,
    parser_num_threads: int | None = None,
    sloppy_ordering: bool = False,
    drop_final_batch: bool = False,
) -> Dataset:
    """Batches of parsed tf.train.Examples from files, as TF's: the files (shuffled where
    `shuffle`) read `reader_num_threads` at a time by `reader` (TFRecordDataset), the records
    shuffled and repeated `num_epochs` times (None: forever, every batch then full), batched,
    then parsed into `features`; with `label_key`, (features, label).

    Raises:
        ValueError: no file matches, or label_key is not a feature.

    Example:
        >>> def example(ids, y):
        ...     f = {"ids": tf.train.Feature(int64_list=tf.train.Int64List(value=ids)),
        ...          "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[y]))}
        ...     return tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString()
        >>> with tf.python_io.TFRecordWriter("train-0.tfrecord") as w:
        ...     w.write(example([1, 2], 0))
        ...     w.write(example([3], 1))
        >>> ds = tf.data.experimental.make_batched_features_dataset(
        ...     "train-*.tfrecord", 2, {"ids": tf.io.VarLenFeature(tf.int64),
        ...                             "y": tf.io.FixedLenFeature([], tf.int64)},
        ...     label_key="y", num_epochs=1, shuffle=False)
        >>> features, label = ds.make_one_shot_iterator().get_next()
        >>> f, y = tf.Session().run((features, label))
        >>> print(f["ids"].values, y)
        [1 2 3] [0 1]
    """
    from flowzero.data import experimental
    from flowzero.data.readers import TFRecordDataset

    if label_key is not None and label_key not in features:
        raise ValueError(
            f"The `label_key` provided ({label_key}) must be one of the `features` keys."
        )
    files = _files(file_pattern, shuffle)
    read = reader or TFRecordDataset
    args = list(reader_args or [])
    ds = Dataset.from_tensor_slices(np.array([f.encode() for f in files], dtype=object))
    if shuffle:
        ds = ds.shuffle(len(files), shuffle_seed)
    ds = ds.interleave(lambda name: read(name, *args), cycle_length=reader_num_threads or 1)
    if num_epochs != 1 and shuffle:
        ds = ds.apply(
            experimental.shuffle_and_repeat(shuffle_buffer_size, num_epochs, shuffle_seed)
        )
    elif num_epochs != 1:
        ds = ds.repeat(num_epochs)
    elif shuffle:
        ds = ds.shuffle(shuffle_buffer_size, shuffle_seed)
    ds = ds.batch(batch_size, drop_remainder=drop_final_batch or num_epochs is None)
    ds = ds.apply(parse_example_dataset(features, parser_num_threads))
    if label_key is None:
        return ds

    def split(parsed: dict[str, Any]) -> Any:
        parsed = dict(parsed)
        label = parsed.pop(label_key)
        return parsed, label

    return ds.map(split)


__all__ = ["make_batched_features_dataset", "parse_example_dataset"]
