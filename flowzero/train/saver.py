"""tf.train.Saver: save and restore variable values; meta graphs (export/import_meta_graph).

A save writes the checkpoint `<path>-<step>` in TensorFlow's V2 format (train/tensor_bundle.py):
the data file, the meta graph (TF's MetaGraphDef), then the `.index` (the commit), then the
`checkpoint` state file, then deletes checkpoints beyond `max_to_keep`; flowzero's earlier
format (JSON index + `.npz`, no pickle) is still read. Every file is written atomically (temp
file in the same directory, fsync, os.replace) under the directory's writer lock, so a process
killed during a save leaves the previous checkpoint restorable and never a checkpoint that
restores garbage. docs/checkpoints.md has the formats.

Saving and restoring add no graph ops: values are read from and written to the session's
variable storage directly.
"""

from __future__ import annotations

import errno
import os
import time
import warnings
from typing import Any, NamedTuple

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Graph, GraphKeys, Tensor, get_default_graph
from flowzero.framework.serialization import (
    GraphDocument,
    directory_lock,
    graph_from_dict,
    graph_to_dict,
    read_json_with_arrays,
    remove_stale_temp_files,
    variables_by_name,
    write_graph,
    write_json_with_arrays,
)
from flowzero.train.checkpoint_utils import (
    CheckpointReader,
    CheckpointState,
    NewCheckpointReader,
    checkpoint_exists,
    delete_checkpoint,
    get_checkpoint_state,
    latest_checkpoint,
    list_variables,
    load_checkpoint,
    load_variable,
    open_checkpoint,
    update_checkpoint_state,
    write_checkpoint,
)

META_GRAPH_FORMAT = "flowzero.meta_graph"
META_GRAPH_VERSION = 1
_RESERVED_SUFFIXES = {"index", "npz", "alt", "alt.npz"}


# -- session storage ------------------------------------------------------------------------
def _cell(sess: Any, op_name: str) -> Any:
    # NOTE: engine hook. A Session keeps variable values in `sess._ctx` (a RunContext of
    # VarCells); there is no public accessor yet, so this is the one place that reaches in.
    if getattr(sess, "_closed", False):
        raise RuntimeError("Attempted to use a closed Session.")
    return sess._ctx.cell(op_name)


def _ref_tensor(v: Any) -> Tensor:
    ref = v._ref() if hasattr(v, "_ref") else v
    if isinstance(ref, Tensor) and ref.op.type == "ReadVariableOp":
        ref = ref.op.inputs[0]
    if not isinstance(ref, Tensor) or ref.op.type != "VariableV2":
        raise TypeError(
            f"Saver: var_list entries must be tf.Variable objects (or their tensors); got {v!r}."
        )
    return ref


class _Entry(NamedTuple):
    key: str  # the name in the checkpoint
    ref: Tensor  # the VariableV2 output


def _entries(var_list: Any, graph: Graph) -> list[_Entry]:
    if var_list is None:
        var_list = graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
    if isinstance(var_list, dict):
        items = []
        for k, v in var_list.items():
            if not isinstance(k, str) or not k:
                raise TypeError(
                    f"Saver: var_list dict keys are checkpoint names (non-empty "
                    f"strings); got {k!r}."
                )
            items.append(_Entry(k, _ref_tensor(v)))
    elif isinstance(var_list, (list, tuple, set, frozenset)):
        items = [_Entry(r.op.name, r) for r in (_ref_tensor(v) for v in var_list)]
    else:
        raise TypeError(
            f"Saver: var_list must be a list or a dict {{name: variable}}; got "
            f"{type(var_list).__name__}."
        )
    seen: dict[str, _Entry] = {}
    for e in items:
        if e.key in seen:
            if seen[e.key].ref is e.ref and not isinstance(var_list, dict):
                continue
            raise ValueError(f"Saver: at least two variables have the same name: {e.key}")
        seen[e.key] = e
    graphs = {id(e.ref.graph) for e in seen.values()}
    if len(graphs) > 1:
        raise ValueError("Saver: all variables in var_list must be in the same graph.")
    return list(seen.values())


def _check_save_path(save_path: Any, what: str = "save_path", step_follows: bool = False) -> str:
    """`save_path` as a str, or ValueError. With `step_follows` (a save with global_step) it
    may name a directory, as in TF: the prefix is then `<dir>-<step>`, beside it."""
    if save_path is None:
        raise ValueError(f"Can't use {what} when it is None.")
    p = os.fspath(save_path)
    if not isinstance(p, str) or not p.strip():
        raise ValueError(
            f"{what} must be a non-empty path prefix like 'ckpt/model.ckpt'; got {save_path!r}."
        )
    if not step_follows and (p.endswith(("/", os.sep)) or os.path.isdir(p)):
        raise ValueError(
            f"{what} {p!r} is a directory; pass a file prefix inside it, such as "
            f"{os.path.join(p, 'model.ckpt')!r}."
        )
    return p


class Saver:
    """Saves and restores variables (TF1's tf.train.Saver).

    Args:
        var_list: the variables to save: None (all global variables), a list (each saved under
            its op name, e.g. 'two_layer_net/W1'), or a dict {checkpoint name: variable}.
        max_to_keep: how many recent checkpoints to keep; older ones are deleted (None or 0 =
            keep all).
        keep_checkpoint_every_n_hours: additionally keep one checkpoint per this many hours.
        save_relative_paths: write paths in the `checkpoint` file relative to its directory
            (default; the directory can then be moved) instead of absolute.
        pad_step_number: name checkpoints `path-00000100` instead of `path-100`.
        allow_empty: allow a Saver with no variables (its save writes an empty checkpoint).
        saver_def: a dict from `as_saver_def()` (import_meta_graph uses it).
        Other TF arguments (reshape, sharded, name, restore_sequentially, builder, defer_build,
        write_version, filename) are accepted and ignored.

    Example:
        >>> w = tf.Variable([1.0, 2.0], name="w")
        >>> saver = tf.train.Saver(max_to_keep=3)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> saver.save(sess, "ckpt/model.ckpt", global_step=100)
        'ckpt/model.ckpt-100'
        >>> _ = sess.run(w.assign([0.0, 0.0]))
        >>> saver.restore(sess, tf.train.latest_checkpoint("ckpt"))
        >>> sess.run(w)
        array([1., 2.], dtype=float32)
    """

    def __init__(
        self,
        var_list: Any = None,
        reshape: bool = False,
        sharded: bool = False,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        name: str | None = None,
        restore_sequentially: bool = False,
        saver_def: dict[str, Any] | None = None,
        builder: Any = None,
        defer_build: bool = False,
        allow_empty: bool = False,
        write_version: Any = None,
        pad_step_number: bool = False,
        save_relative_paths: bool = True,
        filename: str | None = None,
    ) -> None:
        graph = _graph_of(var_list)
        if saver_def is not None:
            max_to_keep = saver_def.get("max_to_keep", max_to_keep)
            keep_checkpoint_every_n_hours = saver_def.get(
                "keep_checkpoint_every_n_hours", keep_checkpoint_every_n_hours
            )
            pad_step_number = saver_def.get("pad_step_number", pad_step_number)
            if var_list is None:
                var_list = _variables_named(graph, saver_def["var_list"], "")
        self._entries = _entries(var_list, graph)
        if not self._entries and not allow_empty:
            raise ValueError("No variables to save")
        self._graph = self._entries[0].ref.graph if self._entries else graph
        self._max_to_keep = max_to_keep
        self._keep_hours = float(keep_checkpoint_every_n_hours)
        self._next_keep_time = time.time() + self._keep_hours * 3600
        self._pad_step_number = bool(pad_step_number)
        self._save_relative_paths = bool(save_relative_paths)
        self._filename = filename
        self._last_checkpoints: list[tuple[str, float]] = []
        self._to_delete: list[tuple[str, float]] = []
        self._last_preserved_timestamp = time.time()

    # -- properties ----------------------------------------------------------------------------
    @property
    def last_checkpoints(self) -> list[str]:
        """The checkpoints this Saver kept, oldest first (as save() returned them)."""
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints: list[str]) -> None:
        self._last_checkpoints = [(p, time.time()) for p in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time: list[Any]) -> None:
        self._last_checkpoints = [(p, float(t)) for p, t in last_checkpoints_with_time]

    def recover_last_checkpoints(self, checkpoint_paths: list[str]) -> None:
        """Adopts existing checkpoints (e.g. a CheckpointState's all_model_checkpoint_paths)
        so that max_to_keep also deletes them after a restart."""
        kept = [p for p in checkpoint_paths if checkpoint_exists(p)]
        self._last_checkpoints = [(p, os.path.getmtime(p + ".index")) for p in kept]

    def as_saver_def(self) -> dict[str, Any]:
        """The JSON-able description a meta graph stores (TF's SaverDef)."""
        return {
            "version": 1,
            "var_list": {e.key: e.ref.op.name for e in self._entries},
            "max_to_keep": self._max_to_keep,
            "keep_checkpoint_every_n_hours": self._keep_hours,
            "pad_step_number": self._pad_step_number,
        }

    saver_def = property(as_saver_def)

    def build(self) -> None:
        """Nothing to build: flowzero's Saver adds no graph ops."""

    # -- save / restore ------------------------------------------------------------------------
    def _check_session(self, sess: Any) -> Any:
        if sess is None and getattr(self._graph, "_eager", False):
            # Eager mode (TF: "None in eager mode"): the eager program's variable cells.
            from flowzero.eager.saving import EagerSession

            return EagerSession(self._graph)
        if sess is None:
            raise TypeError("Saver needs a Session; got None.")
        if self._entries and sess.graph is not self._graph:
            raise ValueError("The session's graph is not the graph of the Saver's variables.")
        return sess

    def save(
        self,
        sess: Any,
        save_path: str,
        global_step: Any = None,
        latest_filename: str | None = None,
        meta_graph_suffix: str = "meta",
        write_meta_graph: bool = True,
        write_state: bool = True,
        strip_default_attrs: bool = False,
        save_debug_info: bool = False,
    ) -> str:
        """Saves the variables' values in `sess` to the checkpoint `save_path[-global_step]`.

        Args:
            sess: the Session holding the values.
            save_path: the checkpoint path prefix, e.g. 'ckpt/model.ckpt' (directories are
                created as needed).
            global_step: an int, or a global-step Variable/Tensor (its value is used); the
                checkpoint is then named `save_path-<step>`.
            latest_filename: name of the state file (default 'checkpoint').
            meta_graph_suffix: the meta graph goes to `<prefix>.<suffix>` (+ `.npz`).
            write_meta_graph: also write the meta graph.
            write_state: update the state file and delete checkpoints beyond max_to_keep.

        Returns:
            The checkpoint prefix, spelled like `save_path` (relative stays relative).

        Raises:
            tf.errors.FailedPreconditionError: a variable is not initialized.
            ValueError: bad paths or a session of another graph.
        """
        sess = self._check_session(sess)
        if getattr(self._graph, "_eager", False):
            write_meta_graph = False  # (as TF: no meta graph for an eager program)
        save_path = _check_save_path(save_path, step_follows=global_step is not None)
        name = latest_filename or "checkpoint"
        if os.path.basename(name) != name:
            raise ValueError(f"latest_filename must be a file name; got {name!r}.")
        if os.path.basename(save_path) == name:
            raise ValueError(
                f"'latest_filename' collides with 'save_path': '{name}' and '{save_path}'"
            )
        if meta_graph_suffix in _RESERVED_SUFFIXES or "/" in meta_graph_suffix:
            raise ValueError(f"meta_graph_suffix {meta_graph_suffix!r} is reserved or invalid.")
        step = _step_value(sess, global_step)
        if step is None:
            prefix = save_path
        else:
            prefix = f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
            _check_save_path(prefix)
        values = {e.key: _cell(sess, e.ref.op.name).read() for e in self._entries}
        abs_prefix = os.path.abspath(prefix)
        save_dir = os.path.dirname(abs_prefix)
        try:
            os.makedirs(save_dir, exist_ok=True)
            # NOTE: writers of one directory take turns (two of them saving the same step at
            # once would otherwise pick the same file names and remove each other's).
            with directory_lock(save_dir, name):
                self._save_files(
                    sess,
                    save_path,
                    prefix,
                    abs_prefix,
                    save_dir,
                    step,
                    values,
                    name,
                    latest_filename,
                    meta_graph_suffix,
                    write_meta_graph,
                    write_state,
                )
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise errors.ResourceExhaustedError(
                    None,
                    None,
                    f"Saving checkpoint {prefix}: no space left on device "
                    f"({e.filename or save_dir}); nothing of this checkpoint was kept.",
                ) from None
            raise
        return prefix

    def _save_files(
        self,
        sess: Any,
        save_path: str,
        prefix: str,
        abs_prefix: str,
        save_dir: str,
        step: int | None,
        values: dict[str, np.ndarray],
        name: str,
        latest_filename: str | None,
        meta_graph_suffix: str,
        write_meta_graph: bool,
        write_state: bool,
    ) -> None:
        remove_stale_temp_files(save_dir, os.path.basename(save_path))
        remove_stale_temp_files(save_dir, name)
        existed = checkpoint_exists(abs_prefix)
        kept = (list(self._last_checkpoints), list(self._to_delete))
        meta_file = None
        try:
            if write_meta_graph:
                try:
                    self.export_meta_graph(f"{abs_prefix}.{meta_graph_suffix}", graph=sess.graph)
                    meta_file = f"{os.path.basename(abs_prefix)}.{meta_graph_suffix}"
                except TypeError as e:  # an attr the graph format cannot store: keep the values
                    warnings.warn(
                        f"Saver.save: the meta graph was not written ({e}); the "
                        "checkpoint itself is.",
                        RuntimeWarning,
                        stacklevel=3,
                    )
            write_checkpoint(abs_prefix, values, step, meta_file)
            if write_state:
                self._record(prefix)
                update_checkpoint_state(
                    save_dir,
                    abs_prefix,
                    [os.path.abspath(p) for p, _ in self._last_checkpoints],
                    latest_filename,
                    [t for _, t in self._last_checkpoints],
                    self._last_preserved_timestamp,
                    self._save_relative_paths,
                )
        except BaseException:
            # (e.g. a full disk) a new checkpoint that the state file does not list is removed
            # whole: index, data and meta graph. An overwritten one keeps its previous index
            # and data (write_bundle removes the new data), and the meta graph of this graph.
            self._last_checkpoints, self._to_delete = kept
            if not existed:
                delete_checkpoint(abs_prefix, meta_graph_suffix)
            raise
        if write_state:
            self._delete_old(meta_graph_suffix)

    def _record(self, prefix: str) -> None:
        ap = os.path.abspath(prefix)
        self._last_checkpoints = [
            (p, t) for p, t in self._last_checkpoints if os.path.abspath(p) != ap
        ]
        self._last_checkpoints.append((prefix, time.time()))
        if self._max_to_keep and len(self._last_checkpoints) > self._max_to_keep:
            self._to_delete.append(self._last_checkpoints.pop(0))

    def _delete_old(self, meta_graph_suffix: str) -> None:
        while self._to_delete:
            p, t = self._to_delete.pop(0)
            if t > self._next_keep_time:  # TF's keep_checkpoint_every_n_hours rule
                self._next_keep_time += self._keep_hours * 3600
                self._last_preserved_timestamp = t
                continue
            delete_checkpoint(os.path.abspath(p), meta_graph_suffix)

    def restore(self, sess: Any, save_path: str) -> None:
        """Restores the variables' values in `sess` from the checkpoint `save_path`.

        Every value is checked before any variable changes: the restore is all or nothing.

        Raises:
            tf.errors.NotFoundError: no checkpoint at `save_path` (also a ValueError), or a
                variable's key is not in it (names the key and the checkpoint).
            tf.errors.InvalidArgumentError: a value's shape or dtype differs from its
                variable's (names the key and both shapes / dtypes).
            tf.errors.DataLossError: the checkpoint's files are corrupted or truncated.
        """
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        sess = self._check_session(sess)
        save_path = os.fspath(save_path)
        reader = open_checkpoint(save_path)
        try:
            self._restore_from(sess, save_path, reader)
        finally:
            reader.close()

    def _restore_from(self, sess: Any, save_path: str, reader: Any) -> None:
        wanted = []
        for e in self._entries:  # check names, dtypes and shapes before reading any data
            if e.key not in reader:
                raise errors.NotFoundError(
                    None,
                    None,
                    f"Key {e.key} not found in checkpoint {save_path} (needed to "
                    f"restore variable '{e.ref.op.name}'). Build the same model, or pass "
                    f"var_list to restore a subset; tf.train.list_variables lists the keys.",
                )
            dtype, shape = reader.dtype_and_shape(e.key)
            want = e.ref.dtype
            if dtype != want.np:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Restoring '{e.key}' from checkpoint {save_path}: the "
                    f"checkpoint holds dtype {dtype.name}, the variable '{e.ref.op.name}' "
                    f"has dtype {want.name}.",
                )
            if not e.ref.shape.is_compatible_with(shape):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Restoring '{e.key}' from checkpoint {save_path}: shapes "
                    f"differ; the variable '{e.ref.op.name}' has shape {e.ref.shape}, the "
                    f"checkpoint has shape {_shape_str(shape)}. (Assign requires shapes "
                    f"of both tensors to match. lhs shape= {e.ref.shape} rhs shape= "
                    f"{_shape_str(shape)})",
                )
            wanted.append(e)
        # Every value is read (and its checksum verified) before any variable changes. The
        # arrays are the reader's own (fresh, C-contiguous, writable, one buffer per tensor),
        # so they become the variables' storage without a copy.
        values = reader.read_many([e.key for e in wanted])
        for e in wanted:
            _cell(sess, e.ref.op.name).value = np.require(values[e.key], requirements=["C", "W"])

    # -- meta graph ----------------------------------------------------------------------------
    def export_meta_graph(
        self,
        filename: str | None = None,
        collection_list: Any = None,
        as_text: bool = False,
        export_scope: Any = None,
        clear_devices: bool = False,
        clear_extraneous_savers: bool = False,
        strip_default_attrs: bool = False,
        save_debug_info: bool = False,
        graph: Graph | None = None,
    ) -> GraphDocument:
        """tf.train.export_meta_graph of this Saver's graph, recording this Saver: TensorFlow's
        MetaGraphDef (flowzero/interop/meta_graph.py), or flowzero's JSON meta graph for a
        graph whose ops have no TensorFlow form (flowzero's control-flow bodies)."""
        from flowzero.interop import meta_graph

        return meta_graph.export_meta_graph(
            filename,
            collection_list=collection_list,
            as_text=as_text,
            graph=graph if graph is not None else self._graph,
            saver=self,
        )


def _graph_of(var_list: Any) -> Graph:
    items = (
        list(var_list.values())
        if isinstance(var_list, dict)
        else list(var_list)
        if isinstance(var_list, (list, tuple, set, frozenset))
        else []
    )
    for v in items:
        try:
            return _ref_tensor(v).graph
        except TypeError:
            continue
    return get_default_graph()


def _variables_named(graph: Graph, names: dict[str, str], prefix: str) -> dict[str, Any]:
    # {key: op name} -> {key: the graph's Variable of that name (or its VariableV2 tensor)}
    found = variables_by_name(graph)
    out: dict[str, Any] = {}
    for key, op_name in names.items():
        v = found.get(prefix + op_name)
        out[key] = v if v is not None else graph.get_tensor_by_name(f"{prefix}{op_name}:0")
    return out


def _shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _step_value(sess: Any, global_step: Any) -> int | None:
    if global_step is None:
        return None
    if isinstance(global_step, (int, np.integer)) and not isinstance(global_step, bool):
        return int(global_step)
    value = np.asarray(sess.run(global_step))
    if value.shape != () or value.dtype.kind not in "iu":
        raise TypeError(
            f"global_step must be an int or an integer scalar variable/tensor; got "
            f"a value of dtype {value.dtype} and shape {value.shape}."
        )
    return int(value)


# -- meta graphs ----------------------------------------------------------------------------
def export_meta_graph(
    filename: str | None = None,
    meta_info_def: Any = None,
    graph_def: Any = None,
    saver_def: dict[str, Any] | None = None,
    collection_list: Any = None,
    as_text: bool = False,
    graph: Graph | None = None,
    export_scope: Any = None,
    clear_devices: bool = False,
    clear_extraneous_savers: bool = False,
    strip_default_attrs: bool = False,
    save_debug_info: bool = False,
    saver: Saver | None = None,
    signature_def: dict[str, Any] | None = None,
) -> GraphDocument:
    """Serializes a graph, its collections and a Saver (TF's MetaGraphDef) and maybe writes it.

    Args:
        filename: if given, the JSON goes there and the arrays (Const values) to
            `<filename>.npz` (written atomically; directories created).
        graph: the graph (default graph); `graph_def` may instead be a GraphDocument.
        collection_list: collections to include (default all).
        saver / saver_def: the Saver to record, so import_meta_graph can rebuild it.
        signature_def: JSON-able signatures to store (for serving exports).
        as_text: indent the JSON (default compact).

    Returns:
        GraphDocument(doc, arrays) of the meta graph.
    """
    g = graph if graph is not None else get_default_graph()
    if graph_def is not None:
        gdoc = graph_def if isinstance(graph_def, GraphDocument) else GraphDocument(*graph_def)
    else:
        gdoc = graph_to_dict(g, collection_list)
    if saver_def is None and saver is not None:
        saver_def = saver.as_saver_def()
    from flowzero import __version__

    ops = sorted({n["op"] for n in gdoc.doc["nodes"]})
    info = {
        "flowzero_version": __version__,
        "stripped_op_list": ops,
        "tags": [],
        **(meta_info_def or {}),
    }
    doc = {
        "format": META_GRAPH_FORMAT,
        "version": META_GRAPH_VERSION,
        "meta_info_def": info,
        "graph_def": gdoc.doc,
        "saver_def": saver_def,
        "signature_def": signature_def or {},
    }
    if filename is not None:
        path = os.path.abspath(os.fspath(filename))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_json_with_arrays(path, doc, gdoc.arrays, as_text=as_text)
    return GraphDocument(doc, dict(gdoc.arrays))


def read_meta_graph(filename: str) -> Any:
    """Reads a meta graph file without importing it: TensorFlow's MetaGraphDef (returned as
    the message), or flowzero's JSON meta graph (verifying its arrays' SHA-256)."""
    from flowzero.interop import meta_graph

    if not meta_graph.is_json_meta_graph(os.fspath(filename)):
        return meta_graph.read_meta_graph(os.fspath(filename))
    doc, arrays = read_json_with_arrays(os.fspath(filename), "meta graph file")
    if not isinstance(doc, dict) or doc.get("format") != META_GRAPH_FORMAT:
        raise errors.DataLossError(None, None, f"{filename} is not a flowzero meta graph.")
    if not isinstance(doc.get("version"), int) or doc["version"] > META_GRAPH_VERSION:
        raise errors.UnimplementedError(
            None,
            None,
            f"{filename} has meta graph version "
            f"{doc.get('version')!r}; this flowzero reads up to "
            f"{META_GRAPH_VERSION}.",
        )
    return GraphDocument({k: v for k, v in doc.items() if not k.startswith("arrays_")}, arrays)


def import_meta_graph(
    meta_graph_or_file: Any,
    clear_devices: bool = False,
    import_scope: str | None = None,
    **kwargs: Any,
) -> Saver | None:
    """Re-creates a meta graph's ops, collections and variables in the default graph.

    Args:
        meta_graph_or_file: a path written by export_meta_graph / Saver.save (`*.meta`), or
            the GraphDocument export_meta_graph returned.
        import_scope: prefix for every imported name.

    Returns:
        A Saver over the imported variables (the recorded Saver's settings and keys when the
        meta graph has one), or None if it has no variables.

    Example:
        >>> with tf.variable_scope("net"):
        ...     x = tf.placeholder(tf.float32, [None, 2], name="x")
        ...     w = tf.Variable([[1.0], [2.0]], name="w")
        ...     logits = tf.matmul(x, w, name="logits")
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> tf.train.Saver().save(sess, "ckpt/model.ckpt", global_step=100)
        'ckpt/model.ckpt-100'
        >>> tf.reset_default_graph()   # a new program: no ops yet
        >>> saver = tf.train.import_meta_graph("ckpt/model.ckpt-100.meta")
        >>> sess = tf.Session()
        >>> saver.restore(sess, "ckpt/model.ckpt-100")
        >>> graph = tf.get_default_graph()
        >>> logits = graph.get_tensor_by_name("net/logits:0")
        >>> sess.run(logits, {graph.get_tensor_by_name("net/x:0"): [[1.0, 1.0]]})
        array([[3.]], dtype=float32)
    """
    if isinstance(meta_graph_or_file, (str, os.PathLike)):
        meta = read_meta_graph(meta_graph_or_file)
    elif isinstance(meta_graph_or_file, tuple) and len(meta_graph_or_file) == 2:
        meta = GraphDocument(*meta_graph_or_file)
    else:
        raise TypeError(
            f"import_meta_graph takes a file name or the GraphDocument that "
            f"export_meta_graph returned; got {type(meta_graph_or_file).__name__}."
        )
    g = get_default_graph()
    before = set(variables_by_name(g))
    graph_from_dict(meta.doc["graph_def"], meta.arrays, graph=g, import_scope=import_scope)
    prefix = f"{import_scope.rstrip('/')}/" if import_scope else ""
    saver_def = meta.doc.get("saver_def")
    if saver_def:
        var_list = _variables_named(g, saver_def["var_list"], prefix)
        return Saver(var_list, saver_def=saver_def, allow_empty=True)
    new = [v for n, v in variables_by_name(g).items() if n not in before]
    if not new:
        return None
    if import_scope:
        return Saver({v.op.name[len(prefix) :]: v for v in new})
    return Saver(new)


__all__ = [
    "Saver",
    "export_meta_graph",
    "import_meta_graph",
    "read_meta_graph",
    "write_graph",
    "latest_checkpoint",
    "get_checkpoint_state",
    "update_checkpoint_state",
    "checkpoint_exists",
    "CheckpointState",
    "CheckpointReader",
    "NewCheckpointReader",
    "load_checkpoint",
    "load_variable",
    "list_variables",
]
