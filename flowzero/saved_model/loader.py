"""loader.load: a SavedModel back into a Session (TF's tf.saved_model.loader.load).

Two layouts are read: TensorFlow's (`saved_model.pb` + a V2 checkpoint in `variables/`, written
by TensorFlow or by flowzero; flowzero/interop/saved_model.py) and flowzero's earlier one
(`saved_model.json`). Reading an export never unpickles anything: the descriptor and the meta
graph are JSON or protobuf, arrays are read with allow_pickle=False and checked (SHA-256,
CRC-32C).
"""

from __future__ import annotations

import os
from typing import Any

from flowzero.saved_model import format as fmt
from flowzero.saved_model.format import MetaGraphDef, MetaInfoDef, contains_saved_model
from flowzero.train.saver import import_meta_graph, read_meta_graph


def _find(desc: fmt.Descriptor, tags: tuple[str, ...]) -> fmt.MetaGraphEntry:
    for entry in desc.meta_graphs:
        if set(entry.tags) == set(tags):
            return entry
    available = [list(e.tags) for e in desc.meta_graphs]
    raise RuntimeError(
        f"MetaGraphDef associated with tags {list(tags)!r} could not be found "
        f"in SavedModel {desc.export_dir}. Available tag-sets: {available}."
    )


def _path(export_dir: Any) -> Any:
    """`export_dir` as a str: TF1 also takes bytes (what Estimator.export_saved_model
    returns); anything else is passed on as it is, to be refused where it is used."""
    return os.fsdecode(export_dir) if isinstance(export_dir, bytes) else export_dir


def _tf_format(export_dir: Any) -> bool:
    """Whether `export_dir` holds TensorFlow's layout (saved_model.pb / .pbtxt) rather than
    flowzero's earlier one (saved_model.json)."""
    path = fmt.model_file(export_dir)
    return path is not None and os.path.basename(path) != fmt.DESCRIPTOR_FILENAME


def load(
    sess: Any, tags: Any, export_dir: Any, import_scope: str | None = None, **saver_kwargs: Any
) -> MetaGraphDef:
    """Imports the meta graph tagged `tags` into `sess.graph` and restores its variables.

    Args:
        sess: the Session to restore into; its graph receives the ops.
        tags: the tag set to load, e.g. [tf.saved_model.tag_constants.SERVING].
        export_dir: the SavedModel directory (str, path-like or bytes).
        import_scope: optional prefix for every imported name (signature tensor names in the
            returned MetaGraphDef are not prefixed, as in TF).

    Returns:
        The MetaGraphDef: `.signature_def[key].inputs[name].name` is a tensor name to feed,
        `.dtype` its DType and `.shape` its static shape (None for the batch dim).

    Raises:
        tf.errors.NotFoundError: `export_dir` holds no SavedModel.
        RuntimeError: no meta graph has exactly these tags.
        tf.errors.DataLossError: a file is corrupted or malformed.
    """
    tag_tuple = (tags,) if isinstance(tags, str) else tuple(tags)
    export_dir = _path(export_dir)
    if _tf_format(export_dir):  # saved_model.pb: TensorFlow's layout (flowzero/interop)
        from flowzero.interop import saved_model as tf_saved_model

        return tf_saved_model.load(sess, tag_tuple, export_dir, import_scope)
    desc = fmt.read_descriptor(os.fspath(export_dir))
    entry = _find(desc, tag_tuple)
    meta_path = os.path.join(desc.export_dir, entry.file)
    meta = read_meta_graph(meta_path)
    sigs = fmt.signatures_from_meta(meta.doc, f"meta graph {meta_path}")
    info = meta.doc.get("meta_info_def") or {}
    with sess.graph.as_default():
        saver = import_meta_graph(meta, import_scope=import_scope)
    if saver is not None:
        saver.restore(sess, desc.variables_prefix)
    ops = info.get("stripped_op_list", [])
    return MetaGraphDef(
        MetaInfoDef(
            tuple(entry.tags),
            str(info.get("flowzero_version", "")),
            tuple(ops) if isinstance(ops, list) else (),
        ),
        sigs,
        meta.doc.get("saver_def"),
    )


def maybe_saved_model_directory(export_dir: Any) -> bool:
    """True when `export_dir` holds a SavedModel."""
    return contains_saved_model(_path(export_dir))


def read_saved_model_signatures(export_dir: Any, tags: Any = ("serve",)) -> dict[str, Any]:
    """The signatures of the meta graph tagged `tags`, without importing anything."""
    tag_tuple = (tags,) if isinstance(tags, str) else tuple(tags)
    export_dir = _path(export_dir)
    if _tf_format(export_dir):
        from flowzero.interop import saved_model as tf_saved_model

        return tf_saved_model.read_signatures(export_dir, tag_tuple)
    desc = fmt.read_descriptor(os.fspath(export_dir))
    entry = _find(desc, tag_tuple)
    meta_path = os.path.join(desc.export_dir, entry.file)
    return fmt.signatures_from_meta(read_meta_graph(meta_path).doc, f"meta graph {meta_path}")


__all__ = ["load", "maybe_saved_model_directory", "read_saved_model_signatures"]
