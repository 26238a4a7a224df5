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
function), repeat, batch (V1 / V2), take, skip, shuffle (V1-V3; the seeds are not TF's, so the
order differs), zip, prefetch, cache (no effect), and the nodes that carry a function (map,
filter, flat_map, interleave, take_while, scan; one-shot iterators: dataset_functions.py).
Other dataset ops (readers, other experimental ones) are refused with UnimplementedError
naming the node.

Exported (`emit`): the reverse for an initializable (or reinitializable) or one-shot iterator
over those sources and transformations: flowzero's MakeIterator becomes the dataset nodes, an
IteratorV2 (one per iterator) and TF's MakeIterator; IteratorGetNext and
IteratorToStringHandle read the IteratorV2, or a OneShotIterator whose dataset factory
function (function_forms.py) holds the dataset's tensors as constants (TF captures them by
value: a one-shot iterator over a placeholder or a variable has no TF form). Other
transformations (padded_batch, unbatch, ignore_errors, generators, readers, sparse elements)
and iterators read by their string handle have no TF form here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.interop import dataset_functions, function_forms

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
            f"{ctx.where}: reads an iterator that is not an imported IteratorV2 or "
            "OneShotIterator node.",
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
HANDLE_NODE_TYPES = (
    frozenset(SOURCES + TRANSFORMS + ("IteratorV2", "Iterator", "ZipDataset"))
    | dataset_functions.FUNCTION_TYPES
)
IMPORTERS = {
    **{t: _source for t in SOURCES},
    **{t: _transform for t in TRANSFORMS},
    "ZipDataset": _zip,
    "IteratorV2": _iterator,
    "Iterator": _iterator,
    "MakeIterator": _make_iterator,
    "IteratorGetNext": _get_next,
    "IteratorToStringHandle": _string_handle,
}


# -- export ------------------------------------------------------------------------------------
def _no_form(op: Any, why: str) -> errors.UnimplementedError:
    return function_forms.no_form(op, why)


def _iterator_node(w: Any, op: Any) -> str:
    """The iterator node of op's iterator, written once per iterator: an IteratorV2, or for a
    one-shot iterator a OneShotIterator whose dataset factory function builds its dataset."""
    a = op.opdef.attrs
    key = ("iterator", a["key"])
    if key not in w.handles:
        attrs = {"shared_name": "", "container": "", **_specs(a)}
        if a.get("one_shot"):
            attrs["dataset_factory"] = function_forms.func_attr(_factory(w, op))
            w.handles[key] = name = w.unique("OneShotIterator")
            w.node(name, "OneShotIterator", [], attrs)
        else:
            w.handles[key] = name = w.unique("IteratorV2")
            w.node(name, "IteratorV2", [], attrs)
    return w.handles[key]


def _factory(w: Any, op: Any) -> str:
    """The dataset factory function of a one-shot iterator: the tensors its dataset reads,
    copied in as constants (TF captures them by value), then the dataset nodes."""
    from flowzero.ops.common import static_value

    a = op.opdef.attrs
    name, fw = function_forms.new_function(w, ("factory", a["key"]), "make_dataset")
    if fw is None:
        return name
    refs = []
    for t in op.inputs:
        value = static_value(t)
        if value is None:
            raise _no_form(
                op,
                f"a one-shot iterator whose dataset reads '{t.name}', which is not a constant "
                "(TF's dataset factory captures values; use an initializable iterator),",
            )
        const = fw.unique(t.op.name)
        value = np.asarray(value, dtype=object if t.dtype is dtypes.string else t.dtype.np)
        fw.node(const, "Const", [], {"dtype": t.dtype, "value": value})
        refs.append(fw.out(const))
    ref, _, _ = _dataset_nodes(fw, op, a["tree"], _Refs(refs, op.inputs))
    fw.add_output("handle", dtypes.variant, ref)
    fw.fdef.signature.is_stateful = True
    return function_forms.finish(fw)


class _Refs:
    """The tensors a dataset tree reads ({"input": k}): their references and specs."""

    def __init__(self, refs: list[str], tensors: list[Any]) -> None:
        self.refs, self.tensors = refs, tensors


def _specs(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "output_types": [dt for _, dt in a["out_specs"]],
        "output_shapes": [TensorShape(sh) for sh, _ in a["out_specs"]],
    }


def _out(w: Any, name: str) -> str:
    """The reference to a node's (only) output: its name in a graph, `name:arg:0` in a
    function."""
    return w.out(name) if isinstance(w, function_forms.FunctionWriter) else name


def _int64(w: Any, base: str, value: Any) -> str:
    name = w.unique(base)
    arr = np.asarray(value, np.int64)
    w.node(name, "Const", [], {"dtype": dtypes.int64, "value": arr})
    return _out(w, name)


def _dataset_nodes(
    w: Any, op: Any, node: Any, ins: _Refs
) -> tuple[str, list[Any], list[TensorShape]]:
    """Writes the dataset nodes of flowzero's tree `node`, whose {"input": k} are ins's;
    (the reference to the last node, element types, element shapes)."""
    kind = node.get("op") if isinstance(node, dict) else None
    in_function = isinstance(w, function_forms.FunctionWriter)
    base = "dataset" if in_function else f"{op.name}/dataset"

    def write(tf_type: str, inputs: list[str], attrs: dict[str, Any]) -> str:
        name = w.unique(f"{base}/{tf_type}")
        w.node(name, tf_type, inputs, attrs)
        return _out(w, name)

    if kind in ("slices", "tensors"):
        ks = [t["input"] for t in node["tensors"]]
        xs = [ins.tensors[k] for k in ks]
        shapes = [
            TensorShape(None if x.shape.known is None else x.shape.known[1:])
            if kind == "slices"
            else x.shape
            for x in xs
        ]
        types = [x.dtype for x in xs]
        tf_type = "TensorSliceDataset" if kind == "slices" else "TensorDataset"
        attrs = {"Toutput_types": types, "output_shapes": shapes}
        return write(tf_type, [ins.refs[k] for k in ks], attrs), types, shapes
    if kind == "range":
        if any(isinstance(node[k], dict) for k in ("start", "stop", "step")):
            bounds = [
                ins.refs[node[k]["input"]]
                if isinstance(node[k], dict)
                else _int64(w, f"{base}/{k}", node[k])
                for k in ("start", "stop", "step")
            ]
        else:
            bounds = [_int64(w, f"{base}/{k}", node[k]) for k in ("start", "stop", "step")]
        attrs = {"output_types": [dtypes.int64], "output_shapes": [TensorShape([])]}
        return write("RangeDataset", bounds, attrs), [dtypes.int64], [TensorShape([])]
    if kind == "zip":
        parts = [_dataset_nodes(w, op, c, ins) for c in node["children"]]
        types = [t for _, ts, _ in parts for t in ts]
        shapes = [sh for _, _, ss in parts for sh in ss]
        attrs = {"output_types": types, "output_shapes": shapes, "N": len(parts)}
        return write("ZipDataset", [r for r, _, _ in parts], attrs), types, shapes
    known = ("repeat", "batch", "shuffle", "take", "skip", *dataset_functions.NODES)
    if kind not in known or node.get("sparse") or node.get("tolerant"):
        raise _no_form(op, f"a dataset node {kind!r}")
    child, types, shapes = _dataset_nodes(w, op, node["child"], ins)
    extra: dict[str, Any] = {}
    if kind in dataset_functions.NODES:
        child_nodes = (child, types, shapes)
        return dataset_functions.function_node(w, op, node, ins, child_nodes, write)
    if kind == "batch":
        first = node["n"] if node["drop"] else None
        shapes = [TensorShape([first]).concatenate(s) for s in shapes]
        drop = w.unique(f"{base}/drop_remainder")
        w.node(drop, "Const", [], {"dtype": dtypes.bool, "value": np.asarray(node["drop"])})
        inputs = [child, _int64(w, f"{base}/batch_size", node["n"]), _out(w, drop)]
        tf_type, extra = "BatchDatasetV2", {"parallel_copy": False}
    elif kind == "shuffle":
        seed = node["seed"] or 0
        inputs = [child, _int64(w, f"{base}/buffer_size", node["buffer"])]
        inputs += [_int64(w, f"{base}/seed", seed), _int64(w, f"{base}/seed2", seed)]
        tf_type, extra = "ShuffleDataset", {"reshuffle_each_iteration": node["reshuffle"]}
    else:
        tf_type = {"repeat": "RepeatDataset", "take": "TakeDataset", "skip": "SkipDataset"}[kind]
        inputs = [child, _int64(w, f"{base}/count", node["count"])]
    attrs = {**extra, "output_types": types, "output_shapes": shapes}
    return write(tf_type, inputs, attrs), types, shapes


def emit(w: Any, op: Any) -> None:
    """flowzero's MakeIterator / IteratorGetNext in TF's form (see the module docstring)."""
    a = op.opdef.attrs
    if op.type == "IteratorGetNext" and a.get("by_handle"):
        raise _no_form(op, "an iterator read by its string handle")
    functions, handles = len(w.gd.library.function), dict(w.handles)
    try:
        _emit(w, op, a)
    except errors.UnimplementedError:  # (the writer drops the nodes; the functions go too)
        del w.gd.library.function[functions:]
        w.handles.clear()
        w.handles.update(handles)
        raise


def _emit(w: Any, op: Any, a: dict[str, Any]) -> None:
    if op.type == "MakeIterator":
        dataset, _, _ = _dataset_nodes(
            w, op, a["tree"], _Refs([w.ref(x) for x in op.inputs], op.inputs)
        )
        inputs = [dataset, _iterator_node(w, op)]
        attrs = {}
    elif op.type == "IteratorToStringHandle":
        inputs, attrs = [_iterator_node(w, op)], {}
    else:
        inputs, attrs = [_iterator_node(w, op)], _specs(a)
    node = w.node(op.name, op.type, inputs, attrs)
    node.input.extend(f"^{c.name}" for c in op.control_inputs)
