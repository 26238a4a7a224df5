"""The tf.data nodes that carry a function (a FunctionDef of the graph's library), both ways:
map (MapDataset, ParallelMapDataset(V2), MapAndBatchDataset), filter, flat_map, interleave
(InterleaveDataset, ParallelInterleaveDatasetV2-V4), take_while, scan, and one-shot iterators
(OneShotIterator: a dataset factory function). The rest of the tf.data forms, and the handles
these build on, are dataset_forms.py's.

Import (`build_with_function`, reached through tf2_functions.build_functional, which holds the
library): flowzero's Dataset method with a Python function that builds the FunctionDef's nodes
on the element's parts (flat, as TF passes them), then the captured tensors (`Targuments`).
Export (`function_node`): the function written by function_forms.write_body, the captured
tensors as the node's `other_arguments`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.interop import function_forms

# -- import ------------------------------------------------------------------------------------
_MAPS = ("MapDataset", "ParallelMapDataset", "ParallelMapDatasetV2")
_INTERLEAVES = (
    "InterleaveDataset",
    "ParallelInterleaveDatasetV2",
    "ParallelInterleaveDatasetV3",
    "ParallelInterleaveDatasetV4",
    # tf.data.experimental.parallel_interleave (TF 1.x; TF 2.x's Legacy...): in order unless
    # sloppy / not deterministic, where any order is TF's
    "ParallelInterleaveDataset",
    "ExperimentalParallelInterleaveDataset",
    "LegacyParallelInterleaveDatasetV2",
)
_MAP_AND_BATCH = ("MapAndBatchDataset", "ExperimentalMapAndBatchDataset")  # (TF 1.x)
_TAKE_WHILE = ("TakeWhileDataset", "ExperimentalTakeWhileDataset")
_SCAN = ("ScanDataset", "ExperimentalScanDataset")
FUNCTION_TYPES = frozenset(
    _MAPS
    + _INTERLEAVES
    + _MAP_AND_BATCH
    + _TAKE_WHILE
    + _SCAN
    + ("FilterDataset", "FlatMapDataset", "OneShotIterator")
)


def _func(node: Any, key: str, where: str) -> str:
    name = node.attr[key].func.name if key in node.attr else ""
    if not name:
        raise errors.InvalidArgumentError(
            None, None, f"{where}: attr '{key}' must name a function of the graph's library."
        )
    return str(name)


def _int_input(t: Any, what: str, where: str) -> int:
    from flowzero.ops.common import static_value

    value = static_value(t) if isinstance(t, Tensor) else None
    if value is None:
        raise errors.UnimplementedError(
            None, None, f"{where}: its {what} must be a constant to be imported."
        )
    return int(np.asarray(value).reshape(()))


def build_with_function(
    tf_type: str,
    node: Any,
    inputs: list[Any],
    name: str,
    call: Callable[[str, list[Any]], list[Any]],
    where: str,
) -> list[Any]:
    """A dataset node whose attr names a function (map, filter, flat_map, interleave), or a
    one-shot iterator (its dataset factory function): flowzero's Dataset method with a Python
    function that builds the FunctionDef's nodes (`call(function name, args)`)."""
    from flowzero.data.dataset import Iterator
    from flowzero.interop.dataset_forms import DatasetHandle, IteratorHandle

    if tf_type == "OneShotIterator":
        from flowzero.framework.graph import get_default_graph

        # (under the iterator's name: the factory's node names are the outer graph's too)
        with get_default_graph().name_scope(name.rstrip("/")):
            made = call(_func(node, "dataset_factory", where), [])
        if len(made) != 1 or not isinstance(made[0], DatasetHandle):
            raise errors.UnimplementedError(
                None, None, f"{where}: its dataset factory must return one dataset."
            )
        return [IteratorHandle(Iterator(made[0].dataset, initializable=False), name)]
    if not inputs or not isinstance(inputs[0], DatasetHandle):
        raise errors.UnimplementedError(
            None, None, f"{where}: its input_dataset must be an imported dataset node."
        )
    ds = inputs[0].dataset
    n = len(node.attr["Targuments"].list.type) if "Targuments" in node.attr else 0
    ns = len(node.attr["Tstate"].list.type) if tf_type in _SCAN else 0  # (scan's state first)
    state = inputs[1 : 1 + ns]
    captured, rest = inputs[1 + ns : 1 + ns + n], inputs[1 + ns + n :]
    for c in captured:
        if not isinstance(c, Tensor):
            raise errors.UnimplementedError(
                None, None, f"{where}: its function captures the {c.what} '{c.name}'."
            )
    fname = _func(node, "f" if "f" in node.attr else "predicate", where)

    def run(*args: Any) -> list[Any]:  # (TF's functions take the element's parts, flat)
        from flowzero.framework import nest

        return call(fname, [*nest.flatten(args), *captured])

    def inner(*args: Any) -> Any:
        made = run(*args)
        if len(made) != 1 or not isinstance(made[0], DatasetHandle):
            raise errors.UnimplementedError(
                None, None, f"{where}: function '{fname}' must return one dataset."
            )
        return made[0].dataset

    if tf_type in _MAPS:
        out = ds.map(lambda *args: tuple(run(*args)))
    elif tf_type in _MAP_AND_BATCH:  # (batch_size, num_parallel_calls, drop_remainder)
        drop = rest[2] if len(rest) > 2 else None
        from flowzero.ops.common import static_value

        flag = static_value(drop) if isinstance(drop, Tensor) else None
        if flag is None:
            raise errors.UnimplementedError(
                None, None, f"{where}: its drop_remainder must be a constant to be imported."
            )
        out = ds.map(lambda *args: tuple(run(*args)))
        out = out.batch(_int_input(rest[0], "batch_size", where), bool(np.asarray(flag)))
    elif tf_type == "FilterDataset":
        out = ds.filter(lambda *args: run(*args)[0])
    elif tf_type in _TAKE_WHILE:
        from flowzero.data.transforms import take_while

        out = ds.apply(take_while(lambda *args: run(*args)[0]))
    elif tf_type in _SCAN:
        from flowzero.data.transforms import scan

        def step(st: Any, element: Any) -> Any:
            made = run(st, element)
            return tuple(made[:ns]), tuple(made[ns:])

        out = ds.apply(scan(tuple(state), step))
    elif tf_type == "FlatMapDataset":
        out = ds.flat_map(inner)
    else:  # (a parallel interleave's order, when deterministic, is the same)
        cycle = _int_input(rest[0], "cycle_length", where)
        block = _int_input(rest[1], "block_length", where)
        if cycle < 1 or block < 1:
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: cycle_length {cycle} and block_length {block} must be >= 1 (TF's "
                "AUTOTUNE, -1, depends on the machine's cores; not imported).",
            )
        out = ds.interleave(inner, cycle, block)
    return [DatasetHandle(out, name)]


# -- export ------------------------------------------------------------------------------------
NODES = {  # flowzero's node kind -> TF's node type
    "map": "MapDataset",
    "filter": "FilterDataset",
    "flat_map": "FlatMapDataset",
    "interleave": "InterleaveDataset",
    "take_while": "TakeWhileDataset",
    "scan": "ScanDataset",
}


def function_node(
    w: Any,
    op: Any,
    node: dict[str, Any],
    ins: Any,
    child: tuple[str, list[Any], list[TensorShape]],
    write: Any,
) -> tuple[str, list[Any], list[TensorShape]]:
    """map / filter / flat_map / interleave: the node, its function written to the library,
    the captured tensors as its `other_arguments`."""
    from flowzero.interop.dataset_export import _dataset_nodes, _int64, _Refs

    kind = node["op"]
    body = node["body"]
    caps = [t["input"] for t in node["captures"]]
    if kind in ("flat_map", "interleave"):
        specs_key = ("inner specs", id(body))

        def results(fw: function_forms.FunctionWriter) -> list[tuple[str, Any]]:
            refs = [fw.ref(t) for t in body.outputs]
            ref, ts, ss = _dataset_nodes(fw, op, node["inner"], _Refs(refs, body.outputs))
            w.handles[specs_key] = (ts, ss)
            return [(ref, dtypes.variant)]

        fname = function_forms.write_body(w, body, kind, results)
        types, shapes = w.handles[specs_key]  # (written once per body)
    elif kind == "map":
        fname = function_forms.write_body(w, body, kind)
        types = [t.dtype for t in body.outputs]
        shapes = [t.shape for t in body.outputs]
    elif kind == "scan":  # f(state..., element..., captured...) -> (state..., element...)
        fname = function_forms.write_body(w, body, kind)
        ns = len(node["init"])
        types = [t.dtype for t in body.outputs[ns:]]
        shapes = [t.shape for t in body.outputs[ns:]]
    else:  # filter, take_while: the elements it keeps
        fname = function_forms.write_body(w, body, kind)
        _, types, shapes = child
    state = [ins.refs[t["input"]] for t in node.get("init", [])]
    inputs = [child[0], *state] + [ins.refs[k] for k in caps]
    if kind == "interleave":
        base = "dataset" if isinstance(w, function_forms.FunctionWriter) else f"{op.name}/dataset"
        inputs += [_int64(w, f"{base}/cycle_length", node["cycle"])]
        inputs += [_int64(w, f"{base}/block_length", node["block"])]
    predicate = kind in ("filter", "take_while")
    attrs: dict[str, Any] = {
        "predicate" if predicate else "f": function_forms.func_attr(fname),
        "Targuments": [ins.tensors[k].dtype for k in caps],
        "output_types": types,
        "output_shapes": shapes,
    }
    if kind == "map":
        attrs.update(use_inter_op_parallelism=True, preserve_cardinality=False)
    if kind == "scan":
        attrs["Tstate"] = [ins.tensors[t["input"]].dtype for t in node["init"]]
        attrs.update(preserve_cardinality=False, use_default_device=True)
    return write(NODES[kind], inputs, attrs), types, shapes
