"""TensorFlow's SavedModel layout, read and written:

```
export_dir/
  saved_model.pb                           a SavedModel message: one MetaGraphDef per tag set
                                           (graph, saver subgraph + SaverDef, collections,
                                           signature_def), as meta_graph.py builds them
  variables/variables.index                the variables: a V2 checkpoint (tensor bundle),
  variables/variables.data-00000-of-00001  keyed by variable op name
  assets/                                  files the graph reads (a vocabulary), whose paths
                                           the loader feeds to their tensors (asset_file_def)
                                           when it runs the main op
```

`load` restores a SavedModel written by TensorFlow 1.x graph code (`simple_save`,
`SavedModelBuilder`) or by flowzero into a Session and returns flowzero's MetaGraphDef
(signatures as `flowzero.saved_model.signature_def_utils.SignatureDef`), so serving treats both
alike. The builder (flowzero/saved_model/builder.py) writes this layout whenever every op of
the graph has a TensorFlow form.
"""

from __future__ import annotations

import os
import re
from typing import Any

from flowzero.framework import errors
from flowzero.framework.graph import Graph
from flowzero.framework.serialization import open_regular
from flowzero.interop import convert
from flowzero.interop.meta_graph import build_meta_graph, import_meta_graph_def
from flowzero.platform import tf_logging
from flowzero.proto import meta_graph_pb2, saved_model_pb2
from flowzero.saved_model.constants import ASSETS_DIRECTORY, ASSETS_KEY

PB_FILENAME = "saved_model.pb"
PBTXT_FILENAME = "saved_model.pbtxt"
SCHEMA_VERSION = 1
# A saved_model.pb larger than this is refused before it is read (TF's own limit is 2 GiB,
# protobuf's message size limit).
MAX_PB_BYTES = (1 << 31) - 1
_TENSOR_NAME_RE = re.compile(r"^[^:\s]+:\d+$")
# Collections holding the op TF's loader runs after restoring (initializing tables).
MAIN_OP_COLLECTIONS = ("saved_model_main_op", "legacy_init_op")


def saved_model_file(export_dir: Any) -> str | None:
    """The TF SavedModel file in `export_dir` (`saved_model.pb`, else `.pbtxt`), or None."""
    for name in (PB_FILENAME, PBTXT_FILENAME):
        path = os.path.join(os.fspath(export_dir), name)
        if os.path.lexists(path) and not os.path.isdir(path):  # (read_saved_model refuses
            return path  # a FIFO or a device as such)
    return None


def read_saved_model(export_dir: Any) -> Any:
    """The SavedModel message of `export_dir`.

    Raises:
        tf.errors.NotFoundError: no saved_model.pb / .pbtxt there.
        tf.errors.DataLossError: the file does not parse (names it).
    """
    from google.protobuf import text_format
    from google.protobuf.message import DecodeError

    path = saved_model_file(export_dir)
    if path is None:
        raise errors.NotFoundError(
            None,
            None,
            f"SavedModel file does not exist at: "
            f"{os.fspath(export_dir)}/{{{PB_FILENAME}|{PBTXT_FILENAME}}}",
        )
    # Regular files only, within the read limits (read_limits): size checked before reading.
    with open_regular(path, "SavedModel file") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_PB_BYTES:
            raise errors.DataLossError(
                None, None, f"{path} is {size} bytes; a SavedModel file is at most 2 GiB."
            )
        data = f.read()
    sm = saved_model_pb2.SavedModel()
    try:
        if path.endswith(".pbtxt"):
            text_format.Parse(data, sm, allow_unknown_field=True)
        else:
            sm.ParseFromString(data)
    except (DecodeError, text_format.ParseError, RuntimeError, ValueError, UnicodeDecodeError) as e:
        raise errors.DataLossError(
            None, None, f"{path} is not a valid SavedModel (truncated or corrupted?): {e}"
        ) from None
    if not sm.meta_graphs:
        raise errors.DataLossError(None, None, f"{path} holds no meta graph.")
    return sm


def find_meta_graph(sm: Any, tags: Any, where: str) -> Any:
    tag_set = {tags} if isinstance(tags, str) else set(tags)
    for mg in sm.meta_graphs:
        if set(mg.meta_info_def.tags) == tag_set:
            return mg
    available = [list(mg.meta_info_def.tags) for mg in sm.meta_graphs]
    raise RuntimeError(
        f"MetaGraphDef associated with tags {sorted(tag_set)!r} could not be "
        f"found in SavedModel {where}. Available tag-sets: {available}."
    )


# -- signatures -----------------------------------------------------------------------------
def signature_from_proto(sig: Any, where: str) -> Any:
    """flowzero's SignatureDef of a TF SignatureDef message (every field checked)."""
    from flowzero.saved_model.signature_def_utils import SignatureDef, TensorInfo

    parts = {}
    for part in ("inputs", "outputs"):
        infos = {}
        # Sorted: a protobuf map has no order (TF Serving's outputs have none either).
        for key, info in sorted(getattr(sig, part).items()):
            w = f"{where} {part[:-1]} {key!r}"
            if info.WhichOneof("encoding") != "name":
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{w}: only dense tensors are supported (this one is "
                    f"{info.WhichOneof('encoding')}).",
                )
            if not _TENSOR_NAME_RE.match(info.name):
                raise errors.DataLossError(None, None, f"{w}: bad tensor name {info.name!r}.")
            dtype = convert.dtype_from_enum(info.dtype, w)
            shape = convert.shape_from_proto(info.tensor_shape, w).known
            infos[key] = TensorInfo(info.name, dtype, None if shape is None else tuple(shape))
        parts[part] = infos
    return SignatureDef(parts["inputs"], parts["outputs"], sig.method_name)


def signature_to_proto(sig: Any) -> Any:
    """The TF SignatureDef message of a flowzero SignatureDef."""
    out = meta_graph_pb2.SignatureDef(method_name=sig.method_name)
    for part in ("inputs", "outputs"):
        target = getattr(out, part)
        for key, info in getattr(sig, part).items():
            target[key].name = info.name
            target[key].dtype = convert.dtype_enum(info.dtype)
            target[key].tensor_shape.CopyFrom(convert.shape_proto(info.tensor_shape))
    return out


# -- write ----------------------------------------------------------------------------------
def meta_graph_for(
    graph: Graph,
    saver: Any,
    tags: Any,
    signatures: dict[str, Any],
    assets: list[tuple[str, Any]] | None = None,
) -> Any:
    """The MetaGraphDef a SavedModel stores for one tag set; `assets` [(file name in
    assets/, path tensor)] become its `asset_file_def`s.

    Raises:
        tf.errors.UnimplementedError: the graph has an op without a TensorFlow form.
    """
    from flowzero.saved_model.signature_def_utils import build_tensor_info

    sig_protos = {k: signature_to_proto(v) for k, v in signatures.items()}
    try:
        mg = build_meta_graph(graph, saver=saver, tags=list(tags), signature_def=sig_protos)
    except errors.UnimplementedError as e:
        # The training part of the graph (e.g. the gradients of a while loop) has no TF
        # form: the serving part is written, which TensorFlow's loader loads.
        roots = {
            t.name.split(":")[0]
            for sig in sig_protos.values()
            for t in (*sig.inputs.values(), *sig.outputs.values())
        }
        for key in MAIN_OP_COLLECTIONS:
            roots.update(op.name for op in graph.get_collection(key))
        roots.update(t.op.name for _, t in assets or [])
        try:
            mg = build_meta_graph(
                graph, saver=saver, tags=list(tags), signature_def=sig_protos, serving_roots=roots
            )
        except errors.UnimplementedError:
            raise e from None
        tf_logging.warning(
            "SavedModel: wrote only what the signatures, the main op and the variables need "
            "(TensorFlow's layout); the rest of the graph has no TensorFlow form: %s",
            e.message,
        )
    for filename, tensor in assets or []:
        info = build_tensor_info(tensor)
        a = mg.asset_file_def.add(filename=filename)
        a.tensor_info.name = info.name
        a.tensor_info.dtype = convert.dtype_enum(info.dtype)
        a.tensor_info.tensor_shape.CopyFrom(convert.shape_proto(info.tensor_shape))
    return mg


def asset_feeds(mg: Any, export_dir: str, import_scope: str | None, where: str) -> dict[str, str]:
    """{asset tensor name: its file in export_dir/assets/}: what TF's loader feeds when it
    runs the main op (the asset_file_defs, else the ASSETS_KEY collection's)."""
    protos = list(mg.asset_file_def)
    if not protos and ASSETS_KEY in mg.collection_def:
        for packed in mg.collection_def[ASSETS_KEY].any_list.value:
            a = meta_graph_pb2.AssetFileDef()
            if not packed.Unpack(a):
                raise errors.DataLossError(
                    None, None, f"{where}: collection {ASSETS_KEY} holds a {packed.type_url}."
                )
            protos.append(a)
    out = {}
    directory = os.path.join(export_dir, ASSETS_DIRECTORY)
    for a in protos:
        name = a.tensor_info.name
        if not _TENSOR_NAME_RE.match(name) or not a.filename:
            raise errors.DataLossError(
                None, None, f"{where}: bad asset file def (tensor {name!r}, file {a.filename!r})."
            )
        if os.path.basename(a.filename) != a.filename or a.filename in (".", ".."):
            raise errors.DataLossError(
                None, None, f"{where}: asset file name {a.filename!r} is not a plain name."
            )
        if import_scope:
            name = f"{import_scope.rstrip('/')}/{name}"
        out[name] = os.path.join(directory, a.filename)
    return out


def saved_model_bytes(meta_graphs: list[Any]) -> bytes:
    sm = saved_model_pb2.SavedModel(saved_model_schema_version=SCHEMA_VERSION)
    sm.meta_graphs.extend(meta_graphs)
    return sm.SerializeToString()


# -- load -----------------------------------------------------------------------------------
def load(sess: Any, tags: Any, export_dir: Any, import_scope: str | None = None) -> Any:
    """Imports the meta graph tagged `tags` of a TF-format SavedModel into `sess.graph`,
    restores its variables from `variables/variables` and runs its main op, if any.

    Returns:
        flowzero's MetaGraphDef (tags, signatures, saver settings).
    """
    from flowzero.saved_model.format import MetaGraphDef, MetaInfoDef
    from flowzero.train.saver import Saver

    export_dir = os.fspath(export_dir)
    sm = read_saved_model(export_dir)
    mg = find_meta_graph(sm, tags, export_dir)
    where = saved_model_file(export_dir) or export_dir
    sigs = {
        k: signature_from_proto(v, f"{where} signature {k!r}") for k, v in mg.signature_def.items()
    }
    feeds = asset_feeds(mg, export_dir, import_scope, where)
    g = sess.graph
    with g.as_default():
        serving = {
            t.name.split(":")[0].lstrip("^")
            for sig in mg.signature_def.values()
            for t in (*sig.inputs.values(), *sig.outputs.values())
        }
        for key in MAIN_OP_COLLECTIONS:
            if key in mg.collection_def:
                serving.update(n.split(":")[0] for n in mg.collection_def[key].node_list.value)
        variables = import_meta_graph_def(mg, import_scope, where, g, frozenset(serving))
        prefix = f"{import_scope.rstrip('/')}/" if import_scope else ""
        # The saver's variables: the global ones (local variables, e.g. what the main op
        # fills, are not in the checkpoint).
        local = {id(v) for v in g.get_collection("local_variables")}
        var_list = {name[len(prefix) :]: v for name, v in variables.items() if id(v) not in local}
        if var_list:
            Saver(var_list, max_to_keep=None).restore(
                sess, os.path.join(export_dir, "variables", "variables")
            )
        # The main op, else the legacy init op (TF runs one), with the assets' paths fed.
        for key in MAIN_OP_COLLECTIONS:
            ops = g.get_collection(key)
            if ops:
                sess.run(ops[0], feeds)
                break
    info = MetaInfoDef(
        tuple(mg.meta_info_def.tags),
        "",
        tuple(op.name for op in mg.meta_info_def.stripped_op_list.op),
    )
    saver_def = None
    if mg.HasField("saver_def"):
        saver_def = {
            "max_to_keep": mg.saver_def.max_to_keep,
            "keep_checkpoint_every_n_hours": mg.saver_def.keep_checkpoint_every_n_hours,
        }
    return MetaGraphDef(info, sigs, saver_def)


def read_signatures(export_dir: Any, tags: Any) -> dict[str, Any]:
    """The signatures of the meta graph tagged `tags`, without importing anything."""
    sm = read_saved_model(export_dir)
    mg = find_meta_graph(sm, tags, os.fspath(export_dir))
    where = saved_model_file(export_dir) or os.fspath(export_dir)
    return {
        k: signature_from_proto(v, f"{where} signature {k!r}") for k, v in mg.signature_def.items()
    }


__all__ = [
    "PB_FILENAME",
    "saved_model_file",
    "read_saved_model",
    "load",
    "read_signatures",
    "meta_graph_for",
    "saved_model_bytes",
    "signature_from_proto",
    "signature_to_proto",
]
