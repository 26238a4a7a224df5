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

Imported: tensor and tensor-slice sources, range, repeat, batch (V1 / V2), take, skip, shuffle
(V1-V3; the seeds are not TF's, so the order differs), prefetch, cache (no effect). Other
dataset ops (map and filter with their functions, readers, one-shot iterators with a dataset
factory) are refused with UnimplementedError naming the node.

Exported (`emit`): the reverse for an initializable (or reinitializable) iterator over those
sources and transformations: flowzero's MakeIterator becomes the dataset nodes, an IteratorV2
(one per iterator) and TF's MakeIterator; IteratorGetNext reads the IteratorV2. One-shot
iterators (TF: a dataset factory function) and other transformations have no TF form here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape

EXPORT_TYPES = ("MakeIterator", "IteratorGetNext")


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
        else:  # RangeDataset(start, stop, step)
            start, stop, step = (_scalar(ctx, t, "the range") for t in inputs[:3])
            ds = Dataset.range(start, stop, step)
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
        # PrefetchDataset, CacheDataset(V2), ModelDataset, OptimizeDataset: the same elements
    return [DatasetHandle(ds, ctx.name)]


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
            f"{ctx.where}: reads an iterator that is not an imported IteratorV2 node "
            "(a one-shot iterator's dataset factory function is not imported).",
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
)
HANDLE_NODE_TYPES = frozenset(SOURCES + TRANSFORMS + ("IteratorV2", "Iterator"))
IMPORTERS = {
    **{t: _source for t in SOURCES},
    **{t: _transform for t in TRANSFORMS},
    "IteratorV2": _iterator,
    "Iterator": _iterator,
    "MakeIterator": _make_iterator,
    "IteratorGetNext": _get_next,
    "IteratorToStringHandle": _string_handle,
}


# -- export ------------------------------------------------------------------------------------
def _no_form(op: Any, why: str) -> errors.UnimplementedError:
    return errors.UnimplementedError(
        None, None, f"{op.type} '{op.name}': {why} has no TensorFlow GraphDef form here."
    )


def _iterator_node(w: Any, op: Any) -> str:
    """The IteratorV2 node of op's iterator, written once per iterator."""
    a = op.opdef.attrs
    key = ("iterator", a["key"])
    if key not in w.handles:
        name = w.handles[key] = w.unique("IteratorV2")
        w.node(name, "IteratorV2", [], {"shared_name": "", "container": "", **_specs(a)})
    return w.handles[key]


def _specs(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "output_types": [dt for _, dt in a["out_specs"]],
        "output_shapes": [TensorShape(sh) for sh, _ in a["out_specs"]],
    }


def _int64(w: Any, base: str, value: Any) -> str:
    name = w.unique(base)
    arr = np.asarray(value, np.int64)
    w.node(name, "Const", [], {"dtype": dtypes.int64, "value": arr})
    return name


def _dataset_nodes(w: Any, op: Any, node: Any, types: list[Any]) -> tuple[str, list[Any]]:
    """Writes the dataset nodes of flowzero's tree `node`; (last node, element shapes)."""
    kind = node.get("op") if isinstance(node, dict) else None
    base = f"{op.name}/dataset"
    if kind in ("slices", "tensors"):
        ins = [op.inputs[t["input"]] for t in node["tensors"]]
        shapes = [
            TensorShape(None if x.shape.known is None else x.shape.known[1:])
            if kind == "slices"
            else x.shape
            for x in ins
        ]
        name = w.unique(f"{base}/{'TensorSliceDataset' if kind == 'slices' else 'TensorDataset'}")
        w.node(
            name,
            "TensorSliceDataset" if kind == "slices" else "TensorDataset",
            [w.ref(x) for x in ins],
            {"Toutput_types": [x.dtype for x in ins], "output_shapes": shapes},
        )
        return name, shapes
    if kind == "range":
        ins = [_int64(w, f"{base}/{k}", node[k]) for k in ("start", "stop", "step")]
        name = w.unique(f"{base}/RangeDataset")
        attrs = {"output_types": [dtypes.int64], "output_shapes": [TensorShape([])]}
        w.node(name, "RangeDataset", ins, attrs)
        return name, [TensorShape([])]
    if kind not in ("repeat", "batch", "shuffle", "take", "skip") or node.get("sparse"):
        raise _no_form(op, f"a dataset node {kind!r}")
    child, shapes = _dataset_nodes(w, op, node["child"], types)
    if kind == "batch":
        first = node["n"] if node["drop"] else None
        shapes = [TensorShape([first]).concatenate(s) for s in shapes]
        drop = w.unique(f"{base}/drop_remainder")
        w.node(drop, "Const", [], {"dtype": dtypes.bool, "value": np.asarray(node["drop"])})
        ins, tf_type = [child, _int64(w, f"{base}/batch_size", node["n"]), drop], "BatchDatasetV2"
        extra: dict[str, Any] = {"parallel_copy": False}
    elif kind == "shuffle":
        seed = node["seed"] or 0
        ins = [child, _int64(w, f"{base}/buffer_size", node["buffer"])]
        ins += [_int64(w, f"{base}/seed", seed), _int64(w, f"{base}/seed2", seed)]
        tf_type, extra = "ShuffleDataset", {"reshuffle_each_iteration": node["reshuffle"]}
    else:
        tf_type = {"repeat": "RepeatDataset", "take": "TakeDataset", "skip": "SkipDataset"}[kind]
        ins, extra = [child, _int64(w, f"{base}/count", node["count"])], {}
    name = w.unique(f"{base}/{tf_type}")
    w.node(name, tf_type, ins, {**extra, "output_types": types, "output_shapes": shapes})
    return name, shapes


def emit(w: Any, op: Any) -> None:
    """flowzero's MakeIterator / IteratorGetNext in TF's form (see the module docstring)."""
    a = op.opdef.attrs
    if op.type == "IteratorGetNext" and (a.get("one_shot") or a.get("by_handle")):
        raise _no_form(op, "a one-shot iterator (TF: a dataset factory) or a handle's")
    if op.type == "MakeIterator":
        types = [dt for _, dt in a["out_specs"]]
        dataset, _ = _dataset_nodes(w, op, a["tree"], types)
        inputs = [dataset, _iterator_node(w, op)]
    else:
        inputs, attrs = [_iterator_node(w, op)], _specs(a)
    node = w.node(op.name, op.type, inputs, {} if op.type == "MakeIterator" else attrs)
    node.input.extend(f"^{c.name}" for c in op.control_inputs)
