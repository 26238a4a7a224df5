"""flowzero Graph -> TensorFlow GraphDef, and GraphDef files.

`to_graph_def(graph)` writes one NodeDef per Operation with TF's op types and attrs (through
op_mapping.export_node), so that TensorFlow's `import_graph_def` builds the same computation;
the other direction is importer.py. `write_graph` / `read_graph_def` are TF's `.pb` / `.pbtxt`
files.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Graph
from flowzero.framework.serialization import open_regular
from flowzero.interop import convert, dataset_forms, op_mapping, tf1_export, tf1_loop_grads
from flowzero.proto import attr_value_pb2, graph_pb2

# GraphDef version stamps written (TF 1.15's producer; any TF since reads it).
PRODUCER = 134
MIN_CONSUMER = 0
# Attr tensors up to this size stay in the TensorBoard form of a graph (TensorBoard drops
# larger ones anyway).
TENSORBOARD_MAX_TENSOR_BYTES = 1024


# The attr of a node that `Graph.as_graph_def()` writes for an op with no TF form (flowzero's
# type, inputs and this attr: why). Freezing, write_graph and import refuse such a node with
# that message; a frozen subgraph without it is TF's (e.g. the forward part of a graph whose
# while-loop gradients have no TF form).
NO_TF_FORM_ATTR = "_flowzero_no_tf_form"


def to_graph_def(
    graph: Graph, add_shapes: bool = False, tensorboard: bool = False, lenient: bool = False
) -> Any:
    """The GraphDef of a flowzero Graph.

    Args:
        graph: a `tf.Graph`.
        add_shapes: add each node's `_output_shapes` attr (TF's `add_shapes=True`).
        tensorboard: the form for TensorBoard's Graphs tab: exactly one node per Operation
            (no helper Const nodes), every node with a `dtype`, large constants left out, and
            no error for ops TF could not run.
        lenient: an op with no TF form is written as a node marked with NO_TF_FORM_ATTR
            instead of failing (`Graph.as_graph_def()`, whose result is often only frozen).

    Returns:
        A `GraphDef` (flowzero.proto.graph_pb2) with nodes in creation order.

    Raises:
        tf.errors.UnimplementedError: an op has no TF form (not in `tensorboard` mode).
    """
    gd = graph_pb2.GraphDef()
    gd.versions.producer = PRODUCER
    gd.versions.min_consumer = MIN_CONSUMER
    w = _Writer(gd, graph, add_shapes, tensorboard)
    w.lenient = lenient
    for op in graph.get_operations():
        if not tensorboard and op._body is not None:
            continue  # written with its loop (tf1_export)
        w.emit(op)
    return gd


_FLOAT = dtypes.float32  # (the dtype of a TensorArray's flow)


class _Writer:
    """Writes Operations as NodeDefs. Inside a loop written in TF1's form, tensors are renamed
    (`remap`: a body argument is its `Merge` / `Identity`) and TensorArray handles stand for TF's
    (handle, flow) pairs (`tensor_arrays`)."""

    def __init__(self, gd: Any, graph: Graph, add_shapes: bool, tensorboard: bool) -> None:
        self.gd = gd
        self.add_shapes = add_shapes
        self.tensorboard = tensorboard
        self.used = {op.name for op in graph.get_operations()}
        self.remap: dict[str, str] = {}
        self.tensor_arrays: dict[Any, tuple[str, str]] = {}
        self.handles: dict[str, str] = {}  # queue / reader key -> its handle node's name
        self.lenient = False  # see to_graph_def
        # Inside a loop's frame or a cond's branch: the node that input-less nodes hang on.
        self.pivot: str | None = None

    def ref(self, t: Any) -> str:
        r = op_mapping.tensor_ref(t)
        return self.remap.get(r, r)

    def unique(self, name: str) -> str:
        return convert.fresh_name(self.used, name)

    def node(self, name: str, op_type: str, inputs: list[str], attrs: dict[str, Any]) -> Any:
        node = self.gd.node.add(name=name, op=op_type)
        node.input.extend(inputs)
        convert.set_attrs(node, attrs)
        return node

    def marked(self, op: Any, why: str) -> None:
        """`op` as a node TF cannot run: flowzero's type, its inputs, and why (lenient)."""
        refs = [self.remap.get(r, r) for r in map(op_mapping.tensor_ref, op.inputs)]
        node = self.node(op.name, op.type, refs, {})
        node.input.extend(f"^{c.name}" for c in op.control_inputs)
        node.attr[NO_TF_FORM_ATTR].s = why.encode("utf-8", "replace")

    def emit(self, op: Any, pivot: str | None = None) -> None:
        """Writes `op`; inside a TF1 loop, `pivot` is the node that puts input-less nodes (and
        helper constants) in the loop's frame."""
        controls = (f"^{pivot}",) if pivot and not op.inputs else ()
        tensorboard = self.tensorboard
        if (
            not tensorboard
            and op.type == "Identity"
            and op.inputs[0] in self.tensor_arrays
            and not op.control_inputs
        ):
            # An Identity of a TensorArray (e.g. a loop's Enter read through its own Identity
            # on import): TF's `TensorArray.identity()`, an Identity of the flow.
            handle, flow = self.tensor_arrays[op.inputs[0]]
            self.node(op.name, "Identity", [flow, *controls], {"T": _FLOAT})
            self.tensor_arrays[op.outputs[0]] = (handle, op.name)
            return
        if not tensorboard and (
            op.type in ("While", "If", "IfSaved")
            or op.type in tf1_export.TENSOR_ARRAY_TYPES
            or op.type in dataset_forms.EXPORT_TYPES
            or op.type in tf1_loop_grads.EXPORT_TYPES
        ):
            before = len(self.gd.node)
            outer_pivot, self.pivot = self.pivot, pivot  # (a loop or cond nested in another)
            names = (dict(self.remap), dict(self.tensor_arrays))
            try:
                if op.type in dataset_forms.EXPORT_TYPES:
                    dataset_forms.emit(self, op)
                elif op.type in tf1_loop_grads.EXPORT_TYPES:
                    tf1_loop_grads.emit(self, op)
                else:
                    tf1_export.emit(self, op)
            except errors.UnimplementedError as e:
                if not self.lenient:
                    raise
                del self.gd.node[before:]
                self.remap, self.tensor_arrays = names  # (no name of a node left out)
                self.marked(op, e.message)
            finally:
                self.pivot = outer_pivot
            return
        try:
            ex = op_mapping.export_node(op)
        except errors.UnimplementedError as e:
            if self.lenient:
                self.marked(op, e.message)
                return
            if not tensorboard:
                raise
            ex = op_mapping.ExportedNode(
                op.type, dict(op.opdef.attrs), [op_mapping.tensor_ref(t) for t in op.inputs]
            )
        if tensorboard:
            ex.extra, ex.after, ex.renames, ex.handles = [], [], {}, []
            ex.inputs = [op_mapping.tensor_ref(t) for t in op.inputs]
        ex.inputs = [self.remap.get(i, i) for i in ex.inputs]
        for pos, key, name, op_type, attrs in ex.handles:  # each written once, where first used
            if key not in self.handles:
                self.handles[key] = name = self.unique(name)
                self.node(name, op_type, [f"^{pivot}"] if pivot else [], attrs)
            ex.inputs[pos] = self.handles[key]
        renamed: dict[str, str] = {}  # helper nodes whose names an op of the graph took

        def helper_ref(ref: str) -> str:
            name, colon, index = ref.partition(":")
            return renamed[name] + colon + index if name in renamed else ref

        def helpers(nodes: list[tuple[str, str, list[str], dict[str, Any]]]) -> None:
            for name, op_type, inputs, attrs in nodes:
                if name in self.used:
                    renamed[name] = self.unique(name)
                    name = renamed[name]
                self.used.add(name)
                ins = [self.remap.get(i, i) for i in map(helper_ref, inputs)]
                self.node(name, op_type, ins or ([f"^{pivot}"] if pivot else []), attrs)

        helpers(ex.extra)
        ex.inputs = [helper_ref(i) for i in ex.inputs]
        node = self.gd.node.add(name=op.name, op=ex.op_type)
        node.input.extend(ex.inputs)
        node.input.extend(f"^{c.name}" for c in op.control_inputs)
        node.input.extend(controls)
        for key, value in ex.attrs.items():
            if (
                tensorboard
                and isinstance(value, np.ndarray)
                and _approx_bytes(value) > TENSORBOARD_MAX_TENSOR_BYTES
            ):
                continue
            try:
                convert.set_attrs(node, {key: value})
            except errors.InvalidArgumentError:
                if not tensorboard:
                    raise
        if ex.after:
            helpers(ex.after)
        for k, ref in ex.renames.items():
            self.remap[op_mapping.tensor_ref(op.outputs[k])] = helper_ref(ref)
        outputs = op.outputs
        if tensorboard and outputs and "dtype" not in node.attr:
            with contextlib.suppress(errors.InvalidArgumentError):
                node.attr["dtype"].type = convert.dtype_enum(outputs[0].dtype)
        if self.add_shapes and outputs:
            node.attr["_output_shapes"].CopyFrom(
                attr_value_pb2.AttrValue(
                    list=attr_value_pb2.AttrValue.ListValue(
                        shape=[convert.shape_proto(t.shape) for t in outputs]
                    )
                )
            )


def refuse_marked(gd: Any, where: str = "GraphDef") -> None:
    """Raises for the first node that `as_graph_def()` could not write in TF's form.

    Raises:
        tf.errors.UnimplementedError: naming the node and why.
    """
    for n in gd.node:
        if NO_TF_FORM_ATTR in n.attr:
            why = n.attr[NO_TF_FORM_ATTR].s.decode("utf-8", "replace")
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: node '{n.name}' ({n.op}) has no TensorFlow form: {why} (freeze or "
                "extract the subgraph of your outputs: it may not need this node).",
            )


def _approx_bytes(arr: np.ndarray) -> int:
    if arr.dtype.kind not in "OSU":
        return arr.nbytes
    if arr.size > TENSORBOARD_MAX_TENSOR_BYTES:
        return arr.size
    return sum(len(x) if isinstance(x, (bytes, str)) else 8 for x in arr.flat)


def parse_graph_def(data: bytes, where: str) -> Any:
    """A GraphDef from its binary form.

    Raises:
        tf.errors.DataLossError: the bytes are not a GraphDef (truncated or corrupted).
    """
    from google.protobuf.message import DecodeError

    gd = graph_pb2.GraphDef()
    try:
        gd.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as e:
        raise errors.DataLossError(
            None, None, f"{where} is not a valid GraphDef (truncated or corrupted?): {e}"
        ) from None
    return gd


def parse_graph_def_text(text: str | bytes, where: str) -> Any:
    """A GraphDef from TF's text format (`.pbtxt`); unknown fields are ignored.

    Raises:
        tf.errors.DataLossError: the text does not parse as a GraphDef.
    """
    from google.protobuf import text_format

    gd = graph_pb2.GraphDef()
    try:  # (RecursionError: crafted text nested deeper than the parser recurses)
        text_format.Parse(text, gd, allow_unknown_field=True)
    except (text_format.ParseError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise errors.DataLossError(
            None, None, f"{where} is not a valid text GraphDef: {e}"
        ) from None
    return gd


def read_graph_def(path: str) -> Any:
    """A GraphDef file, binary (`.pb`) or text (`.pbtxt`, `.txt`, or any file that is not a
    valid binary GraphDef but is valid text)."""
    with open_regular(path, "GraphDef file") as f:
        data = f.read()
    if path.endswith((".pbtxt", ".txt")):
        return parse_graph_def_text(data, path)
    try:
        return parse_graph_def(data, path)
    except errors.DataLossError:
        try:
            return parse_graph_def_text(data, path)
        except errors.DataLossError:
            pass
        raise


def write_graph(graph_or_graph_def: Any, logdir: str, name: str, as_text: bool = True) -> str:
    """Writes a graph as TensorFlow does (`tf.train.write_graph` / `tf.io.write_graph`): a
    GraphDef, binary or text (`as_text=True`, TF's default), atomically; directories are
    created as needed.

    Args:
        graph_or_graph_def: a `tf.Graph` or a GraphDef message (flowzero's or TensorFlow's);
            a flowzero graph document (`serialization.graph_to_dict`) is written in flowzero's
            JSON format instead, as before.
        logdir, name: the file is `logdir/name`.

    Returns:
        The path written.
    """
    from google.protobuf import text_format

    from flowzero.framework import serialization

    if isinstance(graph_or_graph_def, (tuple, dict)):
        return serialization.write_graph(graph_or_graph_def, logdir, name, as_text)
    if isinstance(graph_or_graph_def, Graph):
        gd = graph_or_graph_def.as_graph_def()
    elif getattr(getattr(graph_or_graph_def, "DESCRIPTOR", None), "name", None) == "GraphDef":
        gd = graph_or_graph_def
    else:
        raise TypeError(
            f"write_graph expects a tf.Graph or a GraphDef; got "
            f"{type(graph_or_graph_def).__name__}."
        )
    refuse_marked(gd)
    path = os.path.join(os.fspath(logdir), os.fspath(name))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    data = text_format.MessageToString(gd).encode() if as_text else gd.SerializeToString()
    serialization.atomic_write(path, lambda f: f.write(data))
    return path
