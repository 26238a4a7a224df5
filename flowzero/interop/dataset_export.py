"""flowzero's tf.data pipelines written in TensorFlow's GraphDef form (dataset_forms.py has
the overview and the import side).

flowzero's MakeIterator holds its dataset as a tree of Python nodes whose tensors are the op's
inputs; `_dataset_nodes` writes that tree as TF's chain of dataset nodes (a variant tensor
each), recursively, into the graph or into a FunctionDef (a flat_map function's dataset, a
one-shot iterator's dataset factory), the nodes that carry a function through
dataset_functions.function_node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.shapes import TensorShape
from flowzero.interop import dataset_functions, function_forms


def _no_form(op: Any, why: str) -> errors.UnimplementedError:
    return function_forms.no_form(op, why)


def _iterator_node(w: Any, op: Any) -> str:
    """The iterator node of op's iterator, written once per iterator: an IteratorV2, for a
    one-shot iterator a OneShotIterator whose dataset factory function builds its dataset,
    for a feedable one an IteratorFromStringHandleV2 of its handle tensor."""
    a = op.opdef.attrs
    key = ("iterator", a["key"])
    if key not in w.handles:
        attrs = {"shared_name": "", "container": "", **_specs(a)}
        if a.get("by_handle"):  # a feedable iterator: the handle fed is TF's to resolve
            del attrs["shared_name"], attrs["container"]
            w.handles[key] = name = w.unique("IteratorFromStringHandleV2")
            w.node(name, "IteratorFromStringHandleV2", [w.ref(op.inputs[0])], attrs)
        elif a.get("one_shot"):
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


_FIXED_SIZES = ("header_bytes", "record_bytes", "footer_bytes")  # (TF's input order)


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
    if kind == "files":  # a reader of TFRecord / text / fixed-length record files
        names = ins.refs[node["filenames"]["input"]]
        compression = w.unique(f"{base}/compression_type")
        value = np.array(node["compression"].encode(), dtype=object)
        w.node(compression, "Const", [], {"dtype": dtypes.string, "value": value})
        buffer = _int64(w, f"{base}/buffer_size", 256 * 1024)  # (TF's default)
        if node["format"] == "fixed":
            sizes = [_int64(w, f"{base}/{k}", node[k]) for k in _FIXED_SIZES]
            inputs = [names, *sizes, buffer, _out(w, compression)]
            tf_type = "FixedLengthRecordDatasetV2"
        else:
            inputs = [names, _out(w, compression), buffer]
            tf_type = "TFRecordDataset" if node["format"] == "tfrecord" else "TextLineDataset"
        return write(tf_type, inputs, {}), [dtypes.string], [TensorShape([])]
    known = ("repeat", "batch", "shuffle", "take", "skip", "padded_batch", "unbatch")
    known += ("ignore_errors", *dataset_functions.NODES)
    if kind not in known or node.get("sparse"):
        raise _no_form(op, f"a dataset node {kind!r}")
    if kind == "ignore_errors":
        from flowzero.interop.dataset_forms import ignores_as_tf

        if not ignores_as_tf(node["child"]):
            raise _no_form(op, "ignore_errors over more than a chain of maps and filters")
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
    elif kind == "padded_batch":
        dims = node["dims"]
        shapes = [TensorShape([node["n"] if node["drop"] else None, *d]) for d in dims]
        inputs = [child, _int64(w, f"{base}/batch_size", node["n"])]
        inputs += [
            _int64(w, f"{base}/padded_shape", [-1 if d is None else d for d in ds]) for ds in dims
        ]
        for pad, dt in zip(node["pads"], types):
            name = w.unique(f"{base}/padding_value")
            w.node(name, "Const", [], {"dtype": dt, "value": np.asarray(pad, dt.np)})
            inputs.append(_out(w, name))
        drop = w.unique(f"{base}/drop_remainder")
        w.node(drop, "Const", [], {"dtype": dtypes.bool, "value": np.asarray(node["drop"])})
        inputs.append(_out(w, drop))
        attrs = {"parallel_copy": False, "Toutput_types": types, "output_shapes": shapes}
        attrs["N"] = len(dims)
        return write("PaddedBatchDatasetV2", inputs, attrs), types, shapes
    elif kind in ("unbatch", "ignore_errors"):
        if kind == "unbatch":
            shapes = [TensorShape(None if s.known is None else s.known[1:]) for s in shapes]
        tf_type = "UnbatchDataset" if kind == "unbatch" else "IgnoreErrorsDataset"
        inputs = [child]
        extra = {} if kind == "unbatch" else {"log_warning": False}
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
