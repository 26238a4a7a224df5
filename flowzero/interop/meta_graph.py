"""TensorFlow's MetaGraphDef (`.meta` files): a GraphDef with its collections, SaverDef and
signatures.

Export writes what TensorFlow's own `import_meta_graph` + `Saver.restore` need: the graph
(graph_def.to_graph_def), a saver subgraph in TF's layout (`save/Const` filename,
`save/SaveV2`, `save/RestoreV2`, one `save/Assign_k` per variable, `save/restore_all`) and its
SaverDef, and the collections (variables as VariableDef bytes, tensors and ops by name, numbers
and strings as lists). flowzero's Saver adds no graph ops itself; the saver nodes exist only
in the file.

Import builds the graph without the saver subgraph (flowzero restores without graph ops),
rebuilds `tf.Variable` objects from the variable collections, fills the other collections, and
returns a flowzero Saver over the variables, whose checkpoint keys are TF's (the op names).
"""

from __future__ import annotations

import os
import re
import warnings
import weakref
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Graph, GraphKeys, Operation, Tensor, get_default_graph
from flowzero.framework.serialization import (
    atomic_write,
    open_regular,
    variable_from_nodes,
    variables_by_name,
)
from flowzero.interop import convert, op_mapping
from flowzero.interop.graph_def import refuse_marked, to_graph_def
from flowzero.interop.importer import _supported, import_graph_def
from flowzero.platform import tf_logging
from flowzero.proto import meta_graph_pb2, saver_pb2, variable_pb2

# Graphs whose meta graph was written as JSON (told once per graph; see export_meta_graph).
_JSON_FALLBACK_SAID: weakref.WeakSet[Graph] = weakref.WeakSet()

# TF's saver ops: import leaves them (and what depends on them) out unless flowzero has them
# all (SaveV2 / RestoreV2 / MergeV2Checkpoints are flowzero ops; a sharded saver's string ops
# are not).
SAVER_OP_TYPES = frozenset(
    {
        "SaveV2",
        "RestoreV2",
        "MergeV2Checkpoints",
        "ShardedFilename",
        "ShardedFilespec",
        "StringJoin",
        "Save",
        "SaveSlices",
        "Restore",
        "RestoreSlice",
    }
)
# Collections whose items are variables (VariableDef bytes in a MetaGraphDef).
VARIABLE_COLLECTIONS = frozenset(
    {
        GraphKeys.GLOBAL_VARIABLES,
        GraphKeys.TRAINABLE_VARIABLES,
        GraphKeys.LOCAL_VARIABLES,
        GraphKeys.MODEL_VARIABLES,
        GraphKeys.MOVING_AVERAGE_VARIABLES,
        GraphKeys.METRIC_VARIABLES,
        GraphKeys.GLOBAL_STEP,
    }
)
META_GRAPH_VERSION = "v1.0"


def _is_variable(obj: Any) -> bool:
    return hasattr(obj, "initializer") and hasattr(obj, "_snapshot") and hasattr(obj, "op")


def variable_def(v: Any) -> Any:
    """The VariableDef of a flowzero Variable (names of its nodes)."""
    return variable_pb2.VariableDef(
        variable_name=v.op.name + ":0",
        initializer_name=v.initializer.name,
        snapshot_name=v.value().name,
        initial_value_name=v.initial_value.name,
        trainable=bool(v.trainable),
    )


def _unique_scope(names: set[str], base: str) -> str:
    scope, k = base, 0
    while scope in names or any(n.startswith(scope + "/") for n in names):
        k += 1
        scope = f"{base}_{k}"
    return scope


def _add_node(gd: Any, name: str, op: str, inputs: list[str], attrs: dict[str, Any]) -> None:
    node = gd.node.add(name=name, op=op)
    node.input.extend(inputs)
    for key, value in attrs.items():
        node.attr[key].CopyFrom(
            value if hasattr(value, "WhichOneof") else convert.attr_value(value)
        )


def add_saver_nodes(
    gd: Any,
    entries: list[tuple[str, Tensor]],
    max_to_keep: int | None = 5,
    keep_hours: float = 10000.0,
) -> Any:
    """Adds TF's V2 saver subgraph for `entries` [(checkpoint key, variable storage tensor)] to
    `gd` and returns its SaverDef."""
    names = {n.name for n in gd.node}
    s = _unique_scope(names, "save")
    string = dtypes.string
    scalar = convert.shape_proto([])
    _add_node(
        gd,
        f"{s}/filename/input",
        "Const",
        [],
        {"dtype": string, "value": np.array(b"model", dtype=object)},
    )
    _add_node(
        gd,
        f"{s}/filename",
        "PlaceholderWithDefault",
        [f"{s}/filename/input"],
        {"dtype": string, "shape": convert.attr_value(convert.shape_from_proto(scalar, "saver"))},
    )
    _add_node(
        gd,
        f"{s}/Const",
        "PlaceholderWithDefault",
        [f"{s}/filename"],
        {"dtype": string, "shape": convert.attr_value(convert.shape_from_proto(scalar, "saver"))},
    )
    entries = sorted(entries, key=lambda e: e[0])  # TF writes keys sorted
    keys = np.array([k.encode() for k, _ in entries], dtype=object)
    slices = np.array([b""] * len(entries), dtype=object)
    types = [t.dtype for _, t in entries]
    for what in ("SaveV2", "RestoreV2"):
        _add_node(gd, f"{s}/{what}/tensor_names", "Const", [], {"dtype": string, "value": keys})
        _add_node(
            gd, f"{s}/{what}/shape_and_slices", "Const", [], {"dtype": string, "value": slices}
        )
    base = [f"{s}/Const", f"{s}/SaveV2/tensor_names", f"{s}/SaveV2/shape_and_slices"]
    _add_node(
        gd, f"{s}/SaveV2", "SaveV2", base + [t.op.name for _, t in entries], {"dtypes": types}
    )
    _add_node(
        gd, f"{s}/control_dependency", "Identity", [f"{s}/Const", f"^{s}/SaveV2"], {"T": string}
    )
    _add_node(
        gd,
        f"{s}/RestoreV2",
        "RestoreV2",
        [f"{s}/Const", f"{s}/RestoreV2/tensor_names", f"{s}/RestoreV2/shape_and_slices"],
        {"dtypes": types},
    )
    assigns = []
    for i, (_, t) in enumerate(entries):
        name = f"{s}/Assign" if i == 0 else f"{s}/Assign_{i}"
        _add_node(
            gd,
            name,
            "Assign",
            [t.op.name, f"{s}/RestoreV2" + (f":{i}" if i else "")],
            {"T": t.dtype, "validate_shape": True, "use_locking": True},
        )
        assigns.append("^" + name)
    _add_node(gd, f"{s}/restore_all", "NoOp", assigns, {})
    return saver_pb2.SaverDef(
        filename_tensor_name=f"{s}/Const:0",
        save_tensor_name=f"{s}/control_dependency:0",
        restore_op_name=f"{s}/restore_all",
        max_to_keep=int(max_to_keep or 0),
        keep_checkpoint_every_n_hours=float(keep_hours),
        version=saver_pb2.SaverDef.V2,
    )


# The collections whose variables TF writes as VariableDef protos (its registered proto
# functions); a variable in any other collection (`tf.add_to_collection("lr", lr_var)`, as
# TF's PTB tutorial does) is written as its tensor's name, as TF writes it, and comes back as
# the tf.Variable.
_VARIABLE_DEF_KEYS = frozenset(
    {
        GraphKeys.GLOBAL_VARIABLES,
        GraphKeys.TRAINABLE_VARIABLES,
        GraphKeys.LOCAL_VARIABLES,
        GraphKeys.MODEL_VARIABLES,
        GraphKeys.MOVING_AVERAGE_VARIABLES,
        GraphKeys.GLOBAL_STEP,
        "metric_variables",
        "trainable_resource_variables",
    }
)


def _node_of(x: Any) -> str | None:
    """The node name of a collection item that is a graph element, else None."""
    if isinstance(x, Operation):
        return x.name
    if isinstance(x, Tensor) or _is_variable(x):
        return x.op.name
    return None


def _collection_def(key: str, items: list[Any]) -> Any:
    """A CollectionDef for one collection, or None (with a warning) if it has no TF form."""
    cd = meta_graph_pb2.CollectionDef()
    if not items:
        return None
    if key in _VARIABLE_DEF_KEYS and all(_is_variable(x) for x in items):
        cd.bytes_list.value.extend(variable_def(x).SerializeToString() for x in items)
    elif all(hasattr(x, "to_proto") and hasattr(x, "enqueue_ops") for x in items):
        # QueueRunners: QueueRunnerDef bytes, as TF writes its `queue_runners` collection
        cd.bytes_list.value.extend(x.to_proto().SerializeToString() for x in items)
    elif all(isinstance(x, (Tensor, Operation)) or _is_variable(x) for x in items):
        cd.node_list.value.extend(
            x.name if not _is_variable(x) else x.op.name + ":0" for x in items
        )
    elif all(isinstance(x, (bool, int, np.integer)) for x in items):
        cd.int64_list.value.extend(int(x) for x in items)
    elif all(isinstance(x, (float, np.floating, int, np.integer)) for x in items):
        cd.float_list.value.extend(float(x) for x in items)
    elif all(isinstance(x, (str, bytes)) for x in items):
        cd.bytes_list.value.extend(x.encode() if isinstance(x, str) else x for x in items)
    else:
        warnings.warn(
            f"export_meta_graph skips collection '{key}': its items have no MetaGraphDef form.",
            RuntimeWarning,
            stacklevel=4,
        )
        return None
    return cd


def build_meta_graph(
    graph: Graph | None = None,
    saver: Any = None,
    collection_list: Any = None,
    signature_def: dict[str, Any] | None = None,
    tags: Any = (),
    strip_default_attrs: bool = False,
    serving_roots: Any = None,
) -> Any:
    """The MetaGraphDef of `graph` (default graph), with `saver`'s SaverDef and subgraph.

    Args:
        graph: the graph.
        saver: a flowzero Saver (its variables and max_to_keep); None = a saver over all
            global variables when the graph has any.
        collection_list: names of the collections to write (default: all with string keys).
        signature_def: {key: SignatureDef message}.
        tags: the meta graph's tags (SavedModel).
        serving_roots: node names (a SavedModel's signature tensors, main op): only they,
            the variables (with initializers) and what they depend on are written, and the
            collections' items among them; the rest of the graph may lack a TF form.

    Raises:
        tf.errors.UnimplementedError: the graph (or with serving_roots, the part written)
            has an op without a TF form.
    """
    g = graph if graph is not None else get_default_graph()
    mg = meta_graph_pb2.MetaGraphDef()
    info = mg.meta_info_def
    info.meta_graph_version = META_GRAPH_VERSION
    info.tags.extend(tags or ())
    info.stripped_default_attrs = bool(strip_default_attrs)
    kept: set[str] | None = None
    if serving_roots is None:
        mg.graph_def.CopyFrom(to_graph_def(g))
    else:
        from flowzero.interop.graph_util import extract_sub_graph

        full = to_graph_def(g, lenient=True)
        roots = set(serving_roots)
        for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES) + g.get_collection(
            GraphKeys.LOCAL_VARIABLES
        ):
            roots.update((v.op.name, v.initializer.name, v.value().op.name))
        names = {n.name for n in full.node}
        part = extract_sub_graph(full, sorted(roots & names))
        refuse_marked(part, "the SavedModel's serving part")
        mg.graph_def.CopyFrom(part)
        kept = {n.name for n in part.node}
    entries = _saver_entries(g, saver)
    if entries:
        mg.saver_def.CopyFrom(
            add_saver_nodes(
                mg.graph_def,
                entries,
                getattr(saver, "_max_to_keep", 5),
                getattr(saver, "_keep_hours", 10000.0),
            )
        )
    keys = g.get_all_collection_keys() if collection_list is None else list(collection_list)
    for key in keys:
        if not isinstance(key, str):
            continue
        items = g.get_collection(key)
        if kept is not None:
            items = [x for x in items if _node_of(x) is None or _node_of(x) in kept]
        cd = _collection_def(key, items)
        if cd is not None:
            mg.collection_def[key].CopyFrom(cd)
    for key, sig in (signature_def or {}).items():
        mg.signature_def[key].CopyFrom(sig)
    return mg


def _saver_entries(g: Graph, saver: Any) -> list[tuple[str, Tensor]]:
    if saver is not None:
        return [(e.key, e.ref) for e in getattr(saver, "_entries", [])]
    return [
        (v.op.name, v.op.outputs[0])
        for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES)
        if _is_variable(v)
    ]


# -- files ----------------------------------------------------------------------------------
def write_meta_graph(path: str, mg: Any, as_text: bool = False) -> None:
    """Writes a MetaGraphDef, binary or text, atomically (directories created)."""
    from google.protobuf import text_format

    path = os.path.abspath(os.fspath(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = text_format.MessageToString(mg).encode() if as_text else mg.SerializeToString()
    atomic_write(path, lambda f: f.write(data))


def is_json_meta_graph(path: str) -> bool:
    """Whether `path` is a flowzero JSON meta graph (the format before TF's)."""
    try:
        with open_regular(path, "meta graph file") as f:
            head = f.read(64).lstrip()
    except (OSError, errors.OpError):  # (read_meta_graph reports it)
        return False
    return head.startswith(b"{")


def read_meta_graph(path: str) -> Any:
    """A MetaGraphDef file (binary, or text for `.pbtxt` / when binary does not parse).

    Raises:
        tf.errors.NotFoundError: no such file.
        tf.errors.DataLossError: the bytes are not a MetaGraphDef (names the file).
    """
    from google.protobuf import text_format
    from google.protobuf.message import DecodeError

    # Regular files only, within the read limits (read_limits): size checked before reading.
    with open_regular(path, "meta graph file") as f:
        data = f.read()
    mg = meta_graph_pb2.MetaGraphDef()
    try:
        mg.ParseFromString(data)
        return mg
    except (DecodeError, RuntimeError, ValueError) as e:
        binary_error = e
    try:  # (RecursionError: crafted text nested deeper than the parser recurses)
        return text_format.Parse(data, meta_graph_pb2.MetaGraphDef(), allow_unknown_field=True)
    except (text_format.ParseError, UnicodeDecodeError, ValueError, RecursionError):
        raise errors.DataLossError(
            None,
            None,
            f"{path} is not a valid MetaGraphDef (truncated or corrupted?): {binary_error}",
        ) from None


# -- import ---------------------------------------------------------------------------------
def import_meta_graph_def(
    mg: Any,
    import_scope: str | None = None,
    where: str = "MetaGraphDef",
    graph: Graph | None = None,
    serving: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Imports a MetaGraphDef's graph and collections into `graph` (default graph).

    `serving`: node names (a SavedModel's signature tensors and main op). Where the whole
    graph holds a form flowzero cannot import (e.g. the gradients of a TF1 while loop in a
    SavedModel that `simple_save` wrote from a training session), only these nodes, the
    variables, the saver and what they depend on are imported, with a warning.

    Returns:
        {op name: tf.Variable} of the variables rebuilt from the variable collections.

    Raises:
        as import_graph_def; DataLossError for a malformed collection (names it and the file).
    """
    g = graph if graph is not None else get_default_graph()
    scope = (import_scope or "").rstrip("/")
    # The saver's own scope (`save/` of `save/restore_all`) goes too where it holds an op
    # flowzero lacks (then flowzero's Saver restores instead).
    saver_scope = mg.saver_def.restore_op_name.rpartition("/")[0]
    # A saver subgraph of ops flowzero has (SaveV2 / RestoreV2 / Assign: TF's plain Saver) is
    # imported and runs as in TF (`sess.run(restore_op_name, {filename_tensor_name: path})`).
    saver_nodes = [
        n
        for n in mg.graph_def.node
        if n.op in SAVER_OP_TYPES or (saver_scope and n.name.startswith(saver_scope + "/"))
    ]
    runnable = bool(saver_nodes) and all(_supported(n.op) for n in saver_nodes)
    skips = {
        "skip_types": frozenset() if runnable else SAVER_OP_TYPES,
        "skip_scopes": (saver_scope + "/",) if saver_scope and not runnable else (),
    }
    before_ops = len(g.get_operations())
    pruned = False
    try:
        import_graph_def(mg.graph_def, name=scope, graph=g, where=where, **skips)
    except (errors.NotFoundError, errors.UnimplementedError) as e:
        # (Both are raised before any op is built; a partial import is not retried.)
        if len(g.get_operations()) != before_ops:
            raise
        pruned = True
        if serving:
            keep = frozenset(serving) | _variable_nodes(mg) | {n.name for n in saver_nodes}
            import_graph_def(
                mg.graph_def, name=scope, graph=g, where=where, keep_only=keep, **skips
            )
            tf_logging.warning(
                "%s: imported only what the signatures, the main op, the variables and the "
                "saver need; the rest of the graph holds what flowzero cannot import: %s",
                where,
                e.message,
            )
        else:
            _import_without_training_part(mg, scope, g, where, skips, e)
    prefix = f"{scope}/" if scope else ""
    kinds = op_mapping.handle_node_types()
    handles = {n.name for n in mg.graph_def.node if n.op in kinds}
    made: dict[str, Any] = dict(variables_by_name(g))
    before = set(made)
    for key in sorted(mg.collection_def, key=lambda k: k not in VARIABLE_COLLECTIONS):
        cd = mg.collection_def[key]
        if pruned:
            cd = _present_items(g, cd, prefix)
        elif handles:  # (a dataset or iterator node: no op of its own in flowzero)
            cd = _present_items(g, cd, prefix, handles)
        try:
            _import_collection(g, key, cd, prefix, made)
        except (KeyError, ValueError) as e:
            raise errors.DataLossError(
                None,
                None,
                f"{where}: collection '{key}' refers to something not in the graph ({e}).",
            ) from None
    return {name: v for name, v in made.items() if name not in before}


_GRADIENT_SCOPE = re.compile(r"^gradients(_\d+)?/")


def _import_without_training_part(
    mg: Any, scope: str, g: Graph, where: str, skips: dict[str, Any], e: errors.OpError
) -> None:
    """A `.meta` whose training part holds forms flowzero cannot import (the gradients of a
    TF1 while loop or tf.cond, an op flowzero lacks): its gradients (the `gradients/` name
    scopes of tf.gradients / minimize) and everything that depends on them (the train op)
    are left out, with a warning; the model itself (restore, predict) is imported. When that
    still fails, the first error is raised."""
    grads = {m.group(0) for n in mg.graph_def.node if (m := _GRADIENT_SCOPE.match(n.name))}
    if not grads:
        raise e
    try:
        import_graph_def(
            mg.graph_def,
            name=scope,
            graph=g,
            where=where,
            skip_types=skips["skip_types"],
            skip_scopes=skips["skip_scopes"] + tuple(sorted(grads)),
        )
    except (errors.NotFoundError, errors.UnimplementedError):
        raise e from None
    tf_logging.warning(
        "%s: imported without its training part (the %s scope and what depends on it, e.g. "
        "the train op), which holds what flowzero cannot import: %s",
        where,
        ", ".join(sorted(grads)),
        e.message,
    )


def _variable_nodes(mg: Any) -> set[str]:
    """The nodes the variable collections name (variable, initializer, snapshot)."""
    out = set()
    for key in VARIABLE_COLLECTIONS:
        if key in mg.collection_def and mg.collection_def[key].WhichOneof("kind") == "bytes_list":
            for raw in mg.collection_def[key].bytes_list.value:
                vd = variable_pb2.VariableDef.FromString(raw)
                for name in (vd.variable_name, vd.initializer_name, vd.snapshot_name):
                    if name:
                        out.add(name.split(":")[0])
    return out


def _present_items(g: Graph, cd: Any, prefix: str, absent: set[str] | None = None) -> Any:
    """A node_list collection without the items that a pruned import left out (or, given
    `absent`, without those nodes)."""
    if cd.WhichOneof("kind") != "node_list":
        return cd
    if absent is None:
        have = {op.name for op in g.get_operations()}
        keep = [n for n in cd.node_list.value if prefix + n.split(":")[0].lstrip("^") in have]
    else:
        keep = [n for n in cd.node_list.value if n.split(":")[0].lstrip("^") not in absent]
    out = meta_graph_pb2.CollectionDef()
    out.node_list.value.extend(keep)
    return out


def _import_collection(g: Graph, key: str, cd: Any, prefix: str, made: dict[str, Any]) -> None:
    kind = cd.WhichOneof("kind")
    if kind == "bytes_list" and key in VARIABLE_COLLECTIONS:
        for raw in cd.bytes_list.value:
            vd = variable_pb2.VariableDef()
            vd.ParseFromString(raw)
            name = prefix + vd.variable_name.split(":")[0]
            v = made.get(name)
            if v is None:
                storage = g.get_tensor_by_name(prefix + vd.variable_name)
                v = made[name] = variable_from_nodes(
                    storage,
                    g.get_operation_by_name(prefix + vd.initializer_name),
                    g.get_tensor_by_name(prefix + vd.snapshot_name),
                    g.get_tensor_by_name(prefix + (vd.initial_value_name or vd.snapshot_name)),
                    bool(vd.trainable) or key == GraphKeys.TRAINABLE_VARIABLES,
                )
            if v not in g.get_collection(key):
                g.add_to_collection(key, v)
    elif kind == "bytes_list" and key == GraphKeys.QUEUE_RUNNERS:
        from google.protobuf.message import DecodeError

        from flowzero.proto import queue_runner_pb2
        from flowzero.train.queue_runner import QueueRunner

        for raw in cd.bytes_list.value:
            try:
                qr_def = queue_runner_pb2.QueueRunnerDef.FromString(raw)
            except DecodeError as e:
                raise ValueError(f"a QueueRunnerDef does not parse: {e}") from None
            with g.as_default():
                g.add_to_collection(key, QueueRunner(queue_runner_def=qr_def, import_scope=prefix))
    elif kind == "node_list":
        for name in cd.node_list.value:
            full = prefix + name
            if ":" in name:
                item = made.get(full.split(":")[0])
                if item is None or not full.endswith(":0"):
                    item = g.get_tensor_by_name(full)
            else:
                item = g.get_operation_by_name(full)
            g.add_to_collection(key, item)
    elif kind == "int64_list":
        for x in cd.int64_list.value:
            g.add_to_collection(key, int(x))
    elif kind == "float_list":
        for x in cd.float_list.value:
            g.add_to_collection(key, float(x))
    elif kind == "bytes_list":
        # Other collections of serialized protos (while_context, cond_context, savers, ...)
        # describe TF structures flowzero does not rebuild.
        return


def saver_keys(mg: Any) -> dict[str, str]:
    """{variable op name: checkpoint key} read from the saver subgraph (RestoreV2's
    tensor_names and the Assigns of its outputs); empty when there is none or it is not the
    plain form (partitioned variables are restored under their own names)."""
    scope = mg.saver_def.restore_op_name.rpartition("/")[0]
    if not scope:
        return {}
    nodes = {n.name: n for n in mg.graph_def.node if n.name.startswith(scope + "/")}
    restore = next((n for n in nodes.values() if n.op == "RestoreV2"), None)
    if restore is None or len(restore.input) < 3:
        return {}
    names_node = nodes.get(restore.input[1])
    slices_node = nodes.get(restore.input[2])
    if names_node is None or names_node.op != "Const" or "value" not in names_node.attr:
        return {}
    keys = [k.decode("utf-8", "replace") for k in names_node.attr["value"].tensor.string_val]
    if slices_node is not None and any(slices_node.attr["value"].tensor.string_val):
        return {}
    out: dict[str, str] = {}
    for n in nodes.values():
        if n.op != "Assign" or len(n.input) < 2:
            continue
        src, _, k = n.input[1].partition(":")
        if src == restore.name and int(k or 0) < len(keys):
            out[n.input[0].split(":")[0]] = keys[int(k or 0)]
    return out


def _global_variable_names(mg: Any) -> set[str] | None:
    """The op names of the `variables` collection's VariableDefs (None: no such collection)."""
    cd = mg.collection_def.get(GraphKeys.GLOBAL_VARIABLES)
    if cd is None or cd.WhichOneof("kind") != "bytes_list":
        return None
    names = set()
    for raw in cd.bytes_list.value:
        vd = variable_pb2.VariableDef()
        vd.ParseFromString(raw)
        names.add(vd.variable_name.split(":")[0])
    return names


def saver_from_meta_graph(mg: Any, variables: dict[str, Any], import_scope: str | None) -> Any:
    """A flowzero Saver over the imported variables, keyed as the checkpoint (op names)."""
    from flowzero.train.saver import Saver

    prefix = f"{import_scope.rstrip('/')}/" if import_scope else ""
    var_list = {name[len(prefix) :]: v for name, v in variables.items() if name.startswith(prefix)}
    saved = _global_variable_names(mg)
    if saved is not None:  # as TF's: local variables (e.g. epoch counters) are not saved
        var_list = {name: v for name, v in var_list.items() if name in saved}
    if not var_list:
        return None
    keys = saver_keys(mg)  # a Saver built with other names than the variables' own
    if keys:
        by_op = dict(var_list)
        var_list = {keys.get(op_name, op_name): v for op_name, v in by_op.items()}
    sd = mg.saver_def
    kwargs: dict[str, Any] = {}
    if mg.HasField("saver_def"):
        kwargs = {
            "max_to_keep": sd.max_to_keep,
            "keep_checkpoint_every_n_hours": sd.keep_checkpoint_every_n_hours or 10000.0,
        }
    return Saver(var_list, **kwargs)


def export_meta_graph(
    filename: str | None = None,
    meta_info_def: Any = None,
    graph_def: Any = None,
    saver_def: Any = None,
    collection_list: Any = None,
    as_text: bool = False,
    graph: Graph | None = None,
    export_scope: Any = None,
    clear_devices: bool = False,
    clear_extraneous_savers: bool = False,
    strip_default_attrs: bool = False,
    save_debug_info: bool = False,
    saver: Any = None,
    signature_def: dict[str, Any] | None = None,
) -> Any:
    """`tf.train.export_meta_graph`: the MetaGraphDef of `graph` (default graph), written to
    `filename` if given (binary, or text with `as_text=True`, atomically).

    A graph with ops that have no TensorFlow form (flowzero's control-flow bodies) is
    written in flowzero's JSON meta graph format instead (which import_meta_graph reads).

    Returns:
        The MetaGraphDef message (a flowzero GraphDocument in the JSON case).
    """
    try:
        mg = build_meta_graph(
            graph,
            saver=saver,
            collection_list=collection_list,
            signature_def=signature_def,
            strip_default_attrs=strip_default_attrs,
        )
    except errors.UnimplementedError as e:
        # flowzero-only ops (e.g. a softmax over axis 0): flowzero's JSON meta graph, which
        # import_meta_graph also reads. Said once per graph: a Saver writes one per checkpoint.
        from flowzero.train import saver as json_saver

        g = graph if graph is not None else get_default_graph()
        if g not in _JSON_FALLBACK_SAID:
            _JSON_FALLBACK_SAID.add(g)
            tf_logging.warning(
                "export_meta_graph: %s The meta graph is written in flowzero's JSON format, "
                "which flowzero reads back but TensorFlow cannot import.",
                e.message,
            )

        return json_saver.export_meta_graph(
            filename, collection_list=collection_list, as_text=as_text, graph=graph, saver=saver
        )
    if graph_def is not None and hasattr(graph_def, "node"):
        mg.graph_def.CopyFrom(graph_def)
    if saver_def is not None and hasattr(saver_def, "restore_op_name"):
        mg.saver_def.CopyFrom(saver_def)
    if meta_info_def is not None and hasattr(meta_info_def, "tags"):
        mg.meta_info_def.MergeFrom(meta_info_def)
    if filename is not None:
        write_meta_graph(filename, mg, as_text)
    return mg


def import_meta_graph(
    meta_graph_or_file: Any,
    clear_devices: bool = False,
    import_scope: str | None = None,
    **kwargs: Any,
) -> Any:
    """`tf.train.import_meta_graph`: builds a meta graph's ops, variables and collections in
    the default graph and returns a Saver over its variables (None if it has none).

    Reads TensorFlow's MetaGraphDef (binary or text `.meta`) and flowzero's older JSON meta
    graphs.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 2], name="x")
        >>> w = tf.Variable([[1.0], [2.0]], name="w")
        >>> y = tf.matmul(x, w, name="y")
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> tf.train.Saver().save(sess, "ckpt/model.ckpt", global_step=7)  # writes a TF .meta
        'ckpt/model.ckpt-7'
        >>> tf.reset_default_graph()
        >>> saver = tf.train.import_meta_graph("ckpt/model.ckpt-7.meta")
        >>> sess = tf.Session()
        >>> saver.restore(sess, "ckpt/model.ckpt-7")
        >>> sess.run("y:0", {"x:0": [[1.0, 1.0]]})
        array([[3.]], dtype=float32)
    """
    if isinstance(meta_graph_or_file, (str, os.PathLike)):
        path = os.fspath(meta_graph_or_file)
        if is_json_meta_graph(path):
            from flowzero.train import saver as json_saver

            return json_saver.import_meta_graph(path, clear_devices, import_scope, **kwargs)
        mg, where = read_meta_graph(path), path
    elif hasattr(meta_graph_or_file, "graph_def") and hasattr(meta_graph_or_file, "collection_def"):
        mg, where = meta_graph_or_file, "MetaGraphDef"
        if not isinstance(mg, meta_graph_pb2.MetaGraphDef):  # TensorFlow's own message
            mg = meta_graph_pb2.MetaGraphDef.FromString(mg.SerializeToString())
    else:
        from flowzero.train import saver as json_saver

        return json_saver.import_meta_graph(
            meta_graph_or_file, clear_devices, import_scope, **kwargs
        )
    variables = import_meta_graph_def(mg, import_scope, where)
    return saver_from_meta_graph(mg, variables, import_scope)
