"""tf.data.experimental: the transformations TF1 programs apply with `dataset.apply(...)`
(shuffle_and_repeat, map_and_batch, parallel_interleave, unbatch, ignore_errors,
prefetch_to_device), the cardinality constants, and a few sources.

Each transformation is a function of a dataset built from Dataset's own methods: flowzero
runs a pipeline in the session's thread, so the parallel and device variants yield exactly
what their sequential forms do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.data.csv import CsvDataset, make_csv_dataset
from flowzero.data.dataset import Dataset
from flowzero.data.dataset_ops import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    cardinality,
)
from flowzero.data.example_datasets import make_batched_features_dataset, parse_example_dataset
from flowzero.data.options import OptimizationOptions, ThreadingOptions
from flowzero.data.transforms import (
    choose_from_datasets,
    sample_from_datasets,
    scan,
    take_while,
    unique,
)

Transformation = Callable[[Dataset], Dataset]


def shuffle_and_repeat(
    buffer_size: int, count: int | None = None, seed: int | None = None
) -> Transformation:
    """`dataset.apply(shuffle_and_repeat(n, count))`: shuffle(n, seed) then repeat(count), a
    new order each epoch."""
    return lambda ds: ds.shuffle(buffer_size, seed).repeat(count)


def map_and_batch(
    map_func: Callable[..., Any],
    batch_size: int,
    num_parallel_batches: Any = None,
    drop_remainder: bool = False,
    num_parallel_calls: Any = None,
) -> Transformation:
    """map(map_func) then batch(batch_size, drop_remainder)."""
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError(
            "map_and_batch: give at most one of num_parallel_batches and num_parallel_calls."
        )
    return lambda ds: ds.map(map_func).batch(batch_size, drop_remainder)


def parallel_interleave(
    map_func: Callable[..., Any],
    cycle_length: int,
    block_length: int = 1,
    sloppy: bool = False,
    buffer_output_elements: Any = None,
    prefetch_input_elements: Any = None,
) -> Transformation:
    """interleave(map_func, cycle_length, block_length): the same elements in the same order
    (sloppy=True allows any order; this one is deterministic)."""
    return lambda ds: ds.interleave(map_func, cycle_length, block_length)


def unbatch() -> Transformation:
    """Dataset.unbatch as a transformation."""
    return lambda ds: ds.unbatch()


def _tolerant(node: dict[str, Any]) -> dict[str, Any]:
    """A copy of the tree whose map and filter nodes drop an element their function fails on
    (down the chain of one-input transformations)."""
    out = dict(node)
    if out["op"] in ("map", "filter"):
        out["tolerant"] = True
    if "child" in out:
        out["child"] = _tolerant(out["child"])
    return out


def ignore_errors() -> Transformation:
    """Drops the elements whose computation fails (a map or filter function raising, e.g. a
    tf.debugging check or a decode error), instead of ending the pipeline with the error.

    Example:
        >>> ds = tf.data.Dataset.from_tensor_slices(np.array([1.0, np.nan, 3.0], np.float32))
        >>> ds = ds.map(lambda x: tf.check_numerics(x, "bad"))
        >>> ds = ds.apply(tf.data.experimental.ignore_errors())
        >>> x = ds.make_one_shot_iterator().get_next()
        >>> sess = tf.Session()
        >>> print(sess.run(x), sess.run(x))
        1.0 3.0
    """
    return lambda ds: ds._derive({"op": "ignore_errors", "child": _tolerant(ds._node)})


def prefetch_to_device(device: str, buffer_size: Any = None) -> Transformation:
    """Accepted: flowzero has one device, the elements are already where ops read them."""
    return lambda ds: ds


def copy_to_device(target_device: str, source_device: str = "/cpu:0") -> Transformation:
    """Accepted: flowzero has one device."""
    return lambda ds: ds


def Counter(start: Any = 0, step: Any = 1, dtype: Any = None) -> Dataset:  # noqa: N802 - TF's
    """start, start + step, ... without end (int64 unless `dtype` is given)."""
    import sys

    from flowzero.framework import dtypes

    step = int(step)
    ds = Dataset.range(int(start), sys.maxsize if step > 0 else -sys.maxsize, step)
    if dtype is not None and dtypes.as_dtype(dtype) is not dtypes.int64:
        from flowzero.ops.cast_ops import cast

        ds = ds.map(lambda x: cast(x, dtype))
    return ds


def enumerate_dataset(start: int = 0) -> Transformation:
    """Pairs each element with its index: (start, e0), (start + 1, e1), ..."""
    return lambda ds: Dataset.zip((Counter(start), ds))


def get_single_element(dataset: Dataset) -> Any:
    """The one element of `dataset`, as tensors (InvalidArgumentError at run time where it
    has none or more than one)."""
    from flowzero.data.dataset_ops import single_element

    return single_element(dataset)


__all__ = [
    "AUTOTUNE",
    "Counter",
    "CsvDataset",
    "INFINITE_CARDINALITY",
    "OptimizationOptions",
    "ThreadingOptions",
    "UNKNOWN_CARDINALITY",
    "cardinality",
    "choose_from_datasets",
    "copy_to_device",
    "enumerate_dataset",
    "get_single_element",
    "ignore_errors",
    "make_batched_features_dataset",
    "make_csv_dataset",
    "map_and_batch",
    "parallel_interleave",
    "parse_example_dataset",
    "prefetch_to_device",
    "sample_from_datasets",
    "scan",
    "shuffle_and_repeat",
    "take_while",
    "unbatch",
    "unique",
]
