"""flowzero Graph <-> TensorFlow GraphDef.

`to_graph_def(graph)` writes one NodeDef per Operation with TF's op types and attrs (through
op_mapping.export_node), so that TensorFlow's `import_graph_def` builds the same computation.
`import_graph_def(graph_def, ...)` is TF's `tf.import_graph_def`: it checks the whole GraphDef
first (unique names, known op types, inputs that exist, no cycle) and only then builds flowzero
ops, in a topological order, through op_mapping's table.
"""

from __future__ import annotations

import contextlib
import os
import re
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Graph, Operation, Tensor, get_default_graph
from flowzero.framework.registry import get_op_class, registered_ops
from flowzero.interop import convert, op_mapping
from flowzero.proto import attr_value_pb2, graph_pb2

# GraphDef version stamps written (TF 1.15's producer; any TF since reads it).
PRODUCER = 134
MIN_CONSUMER = 0
# Attr tensors up to this size stay in the TensorBoard form of a graph (TensorBoard drops
# larger ones anyway).
TENSORBOARD_MAX_TENSOR_BYTES = 1024


def _set_attr(node: Any, key: str, value: Any, where: str) -> None:
    av = convert.attr_value(value)
    if av is not None:
        node.attr[key].CopyFrom(av)


def to_graph_def(graph: Graph, add_shapes: bool = False, tensorboard: bool = False) -> Any:
    """The GraphDef of a flowzero Graph.

    Args:
        graph: a `tf.Graph`.
        add_shapes: add each node's `_output_shapes` attr (TF's `add_shapes=True`).
        tensorboard: the form for TensorBoard's Graphs tab: exactly one node per Operation
            (no helper Const nodes), every node with a `dtype`, large constants left out, and
            no error for ops TF could not run.

    Returns:
        A `GraphDef` (flowzero.proto.graph_pb2) with nodes in creation order.

    Raises:
        tf.errors.UnimplementedError: an op has no TF form (not in `tensorboard` mode).
    """
    gd = graph_pb2.GraphDef()
    gd.versions.producer = PRODUCER
    gd.versions.min_consumer = MIN_CONSUMER
    used = {op.name for op in graph.get_operations()}
    for op in graph.get_operations():
        try:
            ex = op_mapping.export_node(op)
        except errors.UnimplementedError:
            if not tensorboard:
                raise
            ex = op_mapping.ExportedNode(
                op.type, dict(op.opdef.attrs), [op_mapping.tensor_ref(t) for t in op.inputs]
            )
        if tensorboard:
            ex.extra = []
            ex.inputs = [op_mapping.tensor_ref(t) for t in op.inputs]
        for name, op_type, inputs, attrs in ex.extra:
            if name in used:  # a helper node's name taken by an op of the graph
                k, base = 1, name
                while f"{base}_{k}" in used:
                    k += 1
                name = f"{base}_{k}"
                ex.inputs = [name if i == base else i for i in ex.inputs]
            used.add(name)
            extra = gd.node.add(name=name, op=op_type)
            extra.input.extend(inputs)
            for key, value in attrs.items():
                _set_attr(extra, key, value, name)
        node = gd.node.add(name=op.name, op=ex.op_type)
        node.input.extend(ex.inputs)
        node.input.extend(f"^{c.name}" for c in op.control_inputs)
        for key, value in ex.attrs.items():
            if (
                tensorboard
                and isinstance(value, np.ndarray)
                and _approx_bytes(value) > TENSORBOARD_MAX_TENSOR_BYTES
            ):
                continue
            try:
                _set_attr(node, key, value, op.name)
            except errors.InvalidArgumentError:
                if not tensorboard:
                    raise
        outputs = op.outputs
        if tensorboard and outputs and "dtype" not in node.attr:
            with contextlib.suppress(errors.InvalidArgumentError):
                node.attr["dtype"].type = convert.dtype_enum(outputs[0].dtype)
        if add_shapes and outputs:
            node.attr["_output_shapes"].CopyFrom(
                attr_value_pb2.AttrValue(
                    list=attr_value_pb2.AttrValue.ListValue(
                        shape=[convert.shape_proto(t.shape) for t in outputs]
                    )
                )
            )
    return gd


def _approx_bytes(arr: np.ndarray) -> int:
    if arr.dtype.kind not in "OSU":
        return arr.nbytes
    if arr.size > TENSORBOARD_MAX_TENSOR_BYTES:
        return arr.size
    return sum(len(x) if isinstance(x, (bytes, str)) else 8 for x in arr.flat)


# -- import ---------------------------------------------------------------------------------
_INPUT_RE = re.compile(r"^(\^)?([^:^]+)(?::(\d+))?$")


def _parse_input(s: str, where: str) -> tuple[bool, str, int]:
    m = _INPUT_RE.match(s)
    if m is None:
        raise errors.InvalidArgumentError(None, None, f"{where}: malformed input {s!r}.")
    return bool(m.group(1)), m.group(2), int(m.group(3) or 0)


def _supported(op_type: str) -> bool:
    if op_type in op_mapping.IMPORTERS:
        return True
    return op_mapping.RENAMED.get(op_type, op_type) in registered_ops()


def _find_cycle(remaining: set[str], deps: dict[str, list[str]]) -> list[str]:
    """One cycle among `remaining` (nodes Kahn's sort could not order), as a list of names."""
    start = min(remaining)
    path, seen = [start], {start: 0}
    node = start
    while True:
        nxt = next(d for d in deps[node] if d in remaining)
        if nxt in seen:
            return path[seen[nxt] :] + [nxt]
        seen[nxt] = len(path)
        path.append(nxt)
        node = nxt


def _topological_order(nodes: list[Any], deps: dict[str, list[str]], where: str) -> list[Any]:
    by_name = {n.name: n for n in nodes}
    waiting = {n.name: len(set(deps[n.name])) for n in nodes}
    users: dict[str, list[str]] = {n.name: [] for n in nodes}
    for name, ds in deps.items():
        for d in set(ds):
            users[d].append(name)
    ready = [n.name for n in nodes if waiting[n.name] == 0]
    order = []
    i = 0
    while i < len(ready):
        name = ready[i]
        i += 1
        order.append(by_name[name])
        for u in users[name]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    if len(order) != len(nodes):
        remaining = {n for n, k in waiting.items() if k > 0}
        cycle = _find_cycle(remaining, deps)
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{where}: the graph has a cycle: {' <- '.join(cycle)} (nodes are "
            f"listed consumer first; {len(remaining)} nodes cannot be ordered). TF1 while "
            "loops (Enter/Merge/NextIteration) are not supported.",
        )
    return order


def _normalize_input_map(input_map: Any) -> dict[str, Tensor]:
    out: dict[str, Tensor] = {}
    for key, value in (input_map or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"input_map keys must be tensor names (str); got {key!r}.")
        if not isinstance(value, Tensor):
            raise TypeError(f"input_map['{key}'] must be a tf.Tensor; got {type(value).__name__}.")
        key = key.lstrip("^")
        out[key if ":" in key else f"{key}:0"] = value
    return out


def import_graph_def(
    graph_def: Any,
    input_map: Any = None,
    return_elements: Any = None,
    name: str | None = None,
    op_dict: Any = None,
    producer_op_list: Any = None,
    *,
    graph: Graph | None = None,
    skip_types: frozenset[str] = frozenset(),
    skip_scopes: tuple[str, ...] = (),
    where: str = "GraphDef",
) -> Any:
    """Imports a TensorFlow GraphDef into the default graph, as TF's `tf.import_graph_def`.

    Args:
        graph_def: a GraphDef message (flowzero.proto or TensorFlow's own), or its bytes.
        input_map: `{"name:i": tensor}` — uses of those outputs read `tensor` instead.
        return_elements: names to return: `"node"` gives the Operation, `"node:i"` the Tensor.
        name: prefix for the imported names (default "import"; "" for none).
        op_dict, producer_op_list: accepted for TF's signature; unused.
        graph: the graph to import into (default: the default graph).
        skip_types: op types to leave out, with everything that depends on them (the saver
            subgraph of a MetaGraphDef).
        skip_scopes: name scopes (`save/`) whose nodes are left out, likewise.
        where: how errors name the source (e.g. the file path).

    Returns:
        The list of `return_elements`, or None.

    Raises:
        tf.errors.NotFoundError: a node's op type is not implemented by flowzero.
        tf.errors.InvalidArgumentError: duplicate names, a missing input, a cycle, a bad attr
            value (unknown dtype, bad shape, bad tensor), or ops that do not fit together.
    """
    del op_dict, producer_op_list
    if isinstance(graph_def, (bytes, bytearray, memoryview)):
        graph_def = parse_graph_def(bytes(graph_def), where)
    nodes = list(graph_def.node)
    if len(graph_def.library.function):
        fn = graph_def.library.function[0].signature.name
        raise errors.UnimplementedError(
            None,
            None,
            f"{where}: the graph has a function library (e.g. '{fn}'); flowzero "
            "imports graphs without functions (TF1 graph mode).",
        )
    imap = _normalize_input_map(input_map)
    g = graph if graph is not None else get_default_graph()

    by_name: dict[str, Any] = {}
    for n in nodes:
        if not n.name:
            raise errors.InvalidArgumentError(None, None, f"{where}: a node has no name.")
        if n.name in by_name:
            raise errors.InvalidArgumentError(
                None, None, f"{where}: node name '{n.name}' is used twice."
            )
        by_name[n.name] = n
    parsed: dict[str, list[tuple[bool, str, int]]] = {}
    for n in nodes:
        parsed[n.name] = [_parse_input(s, f"{where}: node '{n.name}'") for s in n.input]
        for ctrl, src, _ in parsed[n.name]:
            if src not in by_name:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{where}: node '{n.name}' ({n.op}) has input "
                    f"'{'^' if ctrl else ''}{src}', which is not a node of the graph.",
                )

    # Leave out the skipped types and everything downstream of them.
    skipped = {
        n.name
        for n in nodes
        if n.op in skip_types or (skip_scopes and n.name.startswith(skip_scopes))
    }
    changed = bool(skipped)
    while changed:
        changed = False
        for n in nodes:
            if n.name not in skipped and any(src in skipped for _, src, _ in parsed[n.name]):
                skipped.add(n.name)
                changed = True
    kept = [n for n in nodes if n.name not in skipped]
    if any(n.op in op_mapping.SUMMARY_TYPES for n in kept):
        import flowzero.summary  # noqa: F401 - registers the summary op types
    for n in kept:
        if not _supported(n.op):
            raise errors.NotFoundError(
                None,
                None,
                f"{where}: node '{n.name}' has op type '{n.op}', which flowzero "
                "does not implement.",
            )
    deps = {
        n.name: [src for ctrl, src, k in parsed[n.name] if ctrl or f"{src}:{k}" not in imap]
        for n in kept
    }
    order = _topological_order(kept, deps, where)

    if name is None:
        name = "import"
    prefix = ""
    if name:
        prefix = g.unique_name(name.rstrip("/")) + "/"
    used_map: set[str] = set()
    outputs: dict[str, list[Tensor]] = {}
    node_ops: dict[str, Operation] = {}

    def const_value(t: Tensor) -> Any:
        return t.op.opdef.attrs.get("value") if t.op.type == "Const" else None

    with g.as_default(), g.control_dependencies(None):
        for n in order:
            node_where = f"{where}: node '{n.name}' ({n.op})"
            inputs: list[Tensor] = []
            controls: list[Operation] = []
            for ctrl, src, k in parsed[n.name]:
                if ctrl:
                    controls.append(node_ops[src])
                    continue
                key = f"{src}:{k}"
                if key in imap:
                    inputs.append(imap[key])
                    used_map.add(key)
                    continue
                outs = outputs[src]
                if k >= len(outs):
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"{node_where}: input '{key}' does not exist; "
                        f"'{src}' has {len(outs)} outputs.",
                    )
                inputs.append(outs[k])
            attrs = {
                key: convert.value_from_attr(av, f"{node_where} attr '{key}'")
                for key, av in n.attr.items()
                if not key.startswith("_")
            }
            before = len(g._ops)
            try:
                with g.control_dependencies(controls):
                    outs = _build(g, prefix + n.name, n.op, inputs, attrs, node_where, const_value)
            except errors.OpError as e:
                if node_where in str(e.message):
                    raise
                raise type(e)(None, None, f"{node_where}: {e.message}") from None
            except (ValueError, TypeError, KeyError, IndexError) as e:
                raise errors.InvalidArgumentError(
                    None, None, f"{node_where}: cannot be built: {e}"
                ) from None
            made = g._ops[before:]
            outputs[n.name] = outs
            node_ops[n.name] = next(
                (o for o in made if o.name == prefix + n.name),
                made[-1] if made else (outs[0].op if outs else None),
            )
    unused = set(imap) - used_map
    if unused:
        raise ValueError(
            f"Attempted to map inputs that were not found in graph_def: "
            f"[{', '.join(sorted(unused))}]"
        )
    if return_elements is None:
        return None
    result = []
    for r in return_elements:
        ctrl, src, k = _parse_input(r, f"{where}: return_elements")
        if src not in node_ops and src not in outputs:
            raise ValueError(f"Requested return_element '{r}' not found in graph_def.")
        if ":" in r:
            result.append(outputs[src][k])
        else:
            result.append(node_ops[src])
    return result


def _build(
    g: Graph,
    name: str,
    tf_type: str,
    inputs: list[Tensor],
    attrs: dict[str, Any],
    where: str,
    const_value: Any,
) -> list[Tensor]:
    ctx = op_mapping.ImportContext(g, name, tf_type, attrs, where, const_value)
    importer = op_mapping.IMPORTERS.get(tf_type)
    if importer is not None:
        return list(importer(ctx, inputs))
    fz_type = op_mapping.RENAMED.get(tf_type, tf_type)
    fz_attrs = op_mapping.import_attrs(tf_type, attrs)
    if fz_type == "Identity" and len(inputs) == 1 and inputs[0].op.type == "VariableV2":
        fz_type = "ReadVariableOp"  # TF's read of a reference variable
        fz_attrs = {}
    elif fz_type not in op_mapping.REF_CONSUMERS and any(t.op.type == "VariableV2" for t in inputs):
        inputs = [_read(g, t) if t.op.type == "VariableV2" else t for t in inputs]
    if tf_type == "Const":
        value = fz_attrs.get("value")
        if not isinstance(value, np.ndarray):
            raise errors.InvalidArgumentError(None, None, f"{where}: has no tensor 'value'.")
        dt = fz_attrs.get("dtype")
        if dt is not None and dt.np != value.dtype and not (dt.name == "string"):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: dtype attr {dt.name} differs from its value's dtype {value.dtype}.",
            )
    op = g.create_op(get_op_class(fz_type), inputs, fz_attrs, name + "/")
    return op.outputs


def _read(g: Graph, ref: Tensor) -> Tensor:
    """A ReadVariableOp of a variable's storage (TF reads reference tensors implicitly)."""
    return g.create_op(
        get_op_class("ReadVariableOp"), [ref], {}, g.unique_name(f"{ref.op.name}/read") + "/"
    ).outputs[0]


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
    try:
        text_format.Parse(text, gd, allow_unknown_field=True)
    except (text_format.ParseError, UnicodeDecodeError, ValueError) as e:
        raise errors.DataLossError(
            None, None, f"{where} is not a valid text GraphDef: {e}"
        ) from None
    return gd


def read_graph_def(path: str) -> Any:
    """A GraphDef file, binary (`.pb`) or text (`.pbtxt`, `.txt`, or any file that is not a
    valid binary GraphDef but is valid text)."""
    with open(path, "rb") as f:
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
    path = os.path.join(os.fspath(logdir), os.fspath(name))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    data = text_format.MessageToString(gd).encode() if as_text else gd.SerializeToString()
    serialization.atomic_write(path, lambda f: f.write(data))
    return path
