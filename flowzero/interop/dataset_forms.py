"""TF's tf.data graph ops (variant dataset tensors, an iterator resource) imported as
flowzero's tf.data pipeline.

TensorFlow writes `Dataset.from_tensor_slices(...).repeat().batch(n)` with an initializable
iterator as a chain of dataset nodes (TensorSliceDataset -> RepeatDataset -> BatchDatasetV2 ->
PrefetchDataset, each a variant tensor), an `IteratorV2` resource, `MakeIterator(dataset,
iterator)` (the initializer) and `IteratorGetNext(iterator)`. flowzero's pipeline is a tree of
Python nodes held by its MakeIterator / IteratorGetNext ops, so the dataset nodes become
`DatasetHandle`s (flowzero Dataset objects built from the nodes' input tensors, no op of their
own) and the iterator node an `IteratorHandle` (a reinitializable flowzero Iterator of the
node's types and shapes), which MakeIterator and IteratorGetNext build into flowzero's ops.

Imported: tensor and tensor-slice sources, range (its bounds may be tensors, inside a
function), the TFRecord, text line and fixed-length record readers, repeat, batch (V1 / V2),
padded_batch (V1 / V2), unbatch, take, skip, shuffle (V1-V3; the seeds are not TF's, so the
order differs), zip, ignore_errors (over a chain of maps and filters: `ignores_as_tf`),
prefetch, cache (no effect), and the nodes that carry a function (map, filter, flat_map,
interleave, take_while, scan; one-shot iterators: dataset_functions.py). Other dataset ops
(other experimental ones, generators) are refused with UnimplementedError naming the node.

Exported (`emit`): the reverse for an initializable (or reinitializable) or one-shot iterator
over those sources and transformations: flowzero's MakeIterator becomes the dataset nodes, an
IteratorV2 (one per iterator) and TF's MakeIterator; IteratorGetNext and
IteratorToStringHandle read the IteratorV2, or a OneShotIterator whose dataset factory
function (function_forms.py) holds the dataset's tensors as constants (TF captures them by
value: a one-shot iterator over a placeholder or a variable has no TF form). Other
transformations (generators, sparse elements, the other experimental ones,
ignore_errors over more than a chain of maps and filters) have no TF form here. A feedable
iterator (Iterator.from_string_handle) is TF's IteratorFromStringHandleV2, both ways.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.interop import dataset_functions

EXPORT_TYPES = ("MakeIterator", "IteratorGetNext", "IteratorToStringHandle")


class DatasetHandle:
    """An imported dataset node: the flowzero Dataset it stands for (not a Tensor)."""

    __slots__ = ("dataset", "name")
    op = None  # (no Operation: control dependencies on the node are dropped)
    what = "dataset"

    def __init__(self, dataset: Any, name: str) -> None:
        self.dataset, self.name = dataset, name


class IteratorHandle:
    """An imported iterator resource: a reinitializable flowzero Iterator."""

    __slots__ = ("iterator", "name")
    op = None
    what = "iterator"

    def __init__(self, iterator: Any, name: str) -> None:
        self.iterator, self.name = iterator, name


def _dataset(ctx: Any, x: Any, what: str = "input_dataset") -> Any:
    if not isinstance(x, DatasetHandle):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: its {what} must be an imported dataset node."
        )
    return x.dataset


def _scalar(ctx: Any, t: Tensor, what: str) -> int:
    return int(np.asarray(ctx.constant(t, what)).reshape(()))


def _structure(ctx: Any) -> tuple[list[Any], list[TensorShape]]:
    types = list(ctx.attrs.get("output_types") or ctx.attrs.get("Toutput_types") or [])
    shapes = list(ctx.attrs.get("output_shapes") or [])
    shapes = [s if isinstance(s, TensorShape) else TensorShape(None) for s in shapes]
    return types, shapes or [TensorShape(None)] * len(types)


def _source(ctx: Any, inputs: list[Any]) -> list[Any]:
    from flowzero.data.dataset import Dataset

    with ctx.graph.as_default():
        if ctx.tf_type == "TensorSliceDataset":
            ds = Dataset.from_tensor_slices(tuple(inputs))
        elif ctx.tf_type == "TensorDataset":
            ds = Dataset.from_tensors(tuple(inputs))
        else:  # RangeDataset(start, stop, step): constants, or tensors (in a function)
            bounds = inputs[:3]
            if all(ctx.const_value(t) is not None for t in bounds):
                bounds = [_scalar(ctx, t, "the range") for t in bounds]
            ds = Dataset.range(*bounds)
    return [DatasetHandle(ds, ctx.name)]


def _reader(ctx: Any, inputs: list[Any]) -> list[Any]:
    """TFRecordDataset(V2) / TextLineDataset (filenames, compression_type, buffer_size, ...),
    FixedLengthRecordDataset(V2) (filenames, header_bytes, record_bytes, footer_bytes,
    buffer_size[, compression_type]): flowzero's readers of the same files (TF writes them
    inside a flat_map over the file names)."""
    from flowzero.data import readers

    t = ctx.tf_type
    fixed = t.startswith("FixedLength")
    where = 5 if fixed else 1
    compression = b""
    if len(inputs) > where:
        compression = np.asarray(ctx.constant(inputs[where], "the compression type"))[()]
    kind = compression.decode() if isinstance(compression, bytes) else str(compression)
    with ctx.graph.as_default():
        if fixed:
            header, record, footer = (_scalar(ctx, x, "a record size") for x in inputs[1:4])
            ds = readers.FixedLengthRecordDataset(inputs[0], record, header, footer, None, kind)
        elif t.startswith("TFRecord"):
            ds = readers.TFRecordDataset(inputs[0], kind)
        else:
            ds = readers.TextLineDataset(inputs[0], kind)
    return [DatasetHandle(ds, ctx.name)]


def _transform(ctx: Any, inputs: list[Any]) -> list[Any]:
    ds = _dataset(ctx, inputs[0])
    t = ctx.tf_type
    with ctx.graph.as_default():
        if t == "RepeatDataset":
            ds = ds.repeat(_scalar(ctx, inputs[1], "the repeat count"))
        elif t in ("BatchDataset", "BatchDatasetV2"):
            drop = t == "BatchDatasetV2" and bool(
                np.asarray(ctx.constant(inputs[2], "drop_remainder"))
            )
            ds = ds.batch(_scalar(ctx, inputs[1], "the batch size"), drop_remainder=drop)
        elif t == "TakeDataset":
            ds = ds.take(_scalar(ctx, inputs[1], "the count"))
        elif t == "SkipDataset":
            ds = ds.skip(_scalar(ctx, inputs[1], "the count"))
        elif t.startswith("ShuffleDataset"):
            again = bool(ctx.attrs.get("reshuffle_each_iteration", True))
            ds = ds.shuffle(_scalar(ctx, inputs[1], "the buffer size"), None, again)
        elif t.startswith("PaddedBatchDataset"):
            ds = _padded_batch(ctx, ds, inputs)
        elif t in ("UnbatchDataset", "ExperimentalUnbatchDataset"):
            ds = ds.unbatch()
        elif t in ("IgnoreErrorsDataset", "ExperimentalIgnoreErrorsDataset"):
            from flowzero.data.experimental import ignore_errors

            ds = ds.apply(ignore_errors())
            if not ignores_as_tf(ds._node["child"]):
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{ctx.where}: an error below a batch (or another transformation that "
                    "is not a map or filter) loses TF's partial batch; flowzero drops only the "
                    "failing element. Not imported.",
                )
        # PrefetchDataset, CacheDataset(V2), ModelDataset, OptimizeDataset: the same elements
    return [DatasetHandle(ds, ctx.name)]


def _padded_batch(ctx: Any, ds: Any, inputs: list[Any]) -> Any:
    """PaddedBatchDataset(V2)(input, batch_size, padded_shapes (N), padding_values (N)
    [, drop_remainder])."""
    from flowzero.framework import nest

    n = len(ds._specs)
    shapes = [
        [None if d < 0 else int(d) for d in np.asarray(ctx.constant(t, "a padded shape"))]
        for t in inputs[2 : 2 + n]
    ]
    pads = [ctx.constant(t, "a padding value") for t in inputs[2 + n : 2 + 2 * n]]
    drop = len(inputs) > 2 + 2 * n and bool(
        np.asarray(ctx.constant(inputs[2 + 2 * n], "drop_remainder"))
    )
    structure = ds._structure

    def packed(xs: list[Any]) -> Any:
        return nest.pack_sequence_as(structure, xs) if nest.is_sequence(structure) else xs[0]

    size = _scalar(ctx, inputs[1], "the batch size")
    return ds.padded_batch(size, packed(shapes), packed(pads), drop_remainder=drop)


def ignores_as_tf(node: Any) -> bool:
    """Whether ignore_errors over `node` drops what TF's IgnoreErrorsDataset drops: flowzero
    drops the element whose map / filter function fails (down the chain), TF whatever element
    of its input fails, so they agree when the failing functions are those of a chain of maps
    and filters right below it, and nothing under that chain carries a function."""
    below = False
    while isinstance(node, dict):
        kind = node.get("op")
        if kind in ("map", "filter") and not below:
            node = node["child"]
            continue
        below = True
        if "body" in node or node.get("tolerant") or "children" in node:
            return False
        node = node.get("child")
    return True


def _zip(ctx: Any, inputs: list[Any]) -> list[Any]:
    from flowzero.data.dataset import Dataset

    parts = [_dataset(ctx, x, "input dataset") for x in inputs]
    with ctx.graph.as_default():
        return [DatasetHandle(Dataset.zip(tuple(parts)), ctx.name)]


def _iterator(ctx: Any, inputs: list[Any]) -> list[Any]:
    from flowzero.data.dataset import Iterator

    types, shapes = _structure(ctx)
    if not types:
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: an iterator without output_types is not imported."
        )
    with ctx.graph.as_default():
        it = Iterator.from_structure(tuple(types), tuple(shapes))
    return [IteratorHandle(it, ctx.name)]


def _from_string_handle(ctx: Any, inputs: list[Any]) -> list[Any]:
    """IteratorFromStringHandle(V2)(string_handle): a feedable iterator."""
    from flowzero.data.dataset import Iterator

    types, shapes = _structure(ctx)
    if not types or not isinstance(inputs[0], Tensor):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: needs output_types and a string handle tensor."
        )
    with ctx.graph.as_default():
        it = Iterator.from_string_handle(inputs[0], tuple(types), tuple(shapes))
    return [IteratorHandle(it, ctx.name)]


def _make_iterator(ctx: Any, inputs: list[Any]) -> list[Any]:
    ds = _dataset(ctx, inputs[0], "dataset")
    it = inputs[1]
    if not isinstance(it, IteratorHandle):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: its iterator must be an imported IteratorV2 node."
        )
    name = ctx.name if ctx.absolute else ctx.name.rstrip("/")
    with ctx.graph.as_default():
        op = it.iterator.make_initializer(ds, name=name)
    del op
    return []


def _get_next(ctx: Any, inputs: list[Any]) -> list[Any]:
    it = inputs[0]
    if not isinstance(it, IteratorHandle):
        raise errors.UnimplementedError(
            None,
            None,
            f"{ctx.where}: reads an iterator that is not an imported IteratorV2, "
            "OneShotIterator or IteratorFromStringHandle node.",
        )
    with ctx.graph.as_default():
        out = it.iterator.get_next(name=ctx.name)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _string_handle(ctx: Any, inputs: list[Any]) -> list[Any]:
    it = inputs[0]
    if not isinstance(it, IteratorHandle):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: its input must be an imported IteratorV2 node."
        )
    with ctx.graph.as_default():
        return [it.iterator.string_handle(name=ctx.name)]


SOURCES = ("TensorSliceDataset", "TensorDataset", "RangeDataset")
READERS = (
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "TextLineDataset",
    "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2",
)
TRANSFORMS = (
    "RepeatDataset",
    "BatchDataset",
    "BatchDatasetV2",
    "TakeDataset",
    "SkipDataset",
    "ShuffleDataset",
    "ShuffleDatasetV2",
    "ShuffleDatasetV3",
    "PrefetchDataset",
    "CacheDataset",
    "CacheDatasetV2",
    "ModelDataset",
    "OptimizeDataset",
    "PaddedBatchDataset",
    "PaddedBatchDatasetV2",
    "UnbatchDataset",
    "ExperimentalUnbatchDataset",
    "IgnoreErrorsDataset",
    "ExperimentalIgnoreErrorsDataset",
)
HANDLE_NODE_TYPES = (
    frozenset(SOURCES + READERS + TRANSFORMS + ("ZipDataset", "IteratorV2", "Iterator"))
    | frozenset(("IteratorFromStringHandle", "IteratorFromStringHandleV2"))
    | dataset_functions.FUNCTION_TYPES
)
IMPORTERS = {
    **{t: _source for t in SOURCES},
    **{t: _reader for t in READERS},
    **{t: _transform for t in TRANSFORMS},
    "ZipDataset": _zip,
    "IteratorV2": _iterator,
    "Iterator": _iterator,
    "IteratorFromStringHandle": _from_string_handle,
    "IteratorFromStringHandleV2": _from_string_handle,
    "MakeIterator": _make_iterator,
    "IteratorGetNext": _get_next,
    "IteratorToStringHandle": _string_handle,
}


# -- export (dataset_export.py) -------------------------------------------------------------
def emit(w: Any, op: Any) -> None:
    """flowzero's MakeIterator / IteratorGetNext / IteratorToStringHandle in TF's form."""
    from flowzero.interop import dataset_export

    dataset_export.emit(w, op)
