"""SavedModelBuilder: writes a SavedModel directory (graph + variables + signatures), in
TensorFlow's layout (saved_model.pb, flowzero/interop/saved_model.py) when every op of the graph
has a TensorFlow form, else in flowzero's JSON layout (saved_model/format.py).

Everything is written into a hidden temp directory next to `export_dir`
(`.<name>.tmp-<pid>-<hex>`) and renamed onto `export_dir` in `save()`, so a model server that
polls the parent directory never sees half an export, and a crash leaves no `export_dir` at
all. Like TF, an existing non-empty `export_dir` is refused (an empty one is replaced).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import GraphKeys, Operation, Tensor
from flowzero.framework.serialization import _fsync_dir, _json_bytes, _pid_alive, atomic_write
from flowzero.saved_model import format as fmt
from flowzero.saved_model.constants import ASSETS_DIRECTORY, LEGACY_INIT_OP_KEY, MAIN_OP_KEY
from flowzero.saved_model.signature_def_utils import SignatureDef
from flowzero.train.saver import Saver, export_meta_graph

_TMP_DIR_RE = re.compile(r"^\.(?P<target>.+)\.tmp-(?P<pid>\d+)-[0-9a-f]{8}$")


def _check_not_exported(export_dir: str) -> None:
    if os.path.lexists(export_dir):
        if not os.path.isdir(export_dir) or os.listdir(export_dir):
            raise fmt.ExportDirectoryExistsError(
                f"Export directory already exists, and isn't empty. Please choose a different "
                f"export directory (for a model server, the next version number), or delete "
                f"all the contents of the specified directory: {export_dir}"
            )


def remove_stale_export_dirs(parent: str) -> list[str]:
    """Deletes temp export directories left in `parent` by builders whose process is gone."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        m = _TMP_DIR_RE.match(name)
        path = os.path.join(parent, name)
        if not m or not os.path.isdir(path) or os.path.islink(path):
            continue
        pid = int(m.group("pid"))
        if pid == os.getpid() or _pid_alive(pid):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _tags(tags: Any) -> tuple[str, ...]:
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, Iterable):
        raise TypeError(f"tags must be a list of strings; got {tags!r}.")
    out = tuple(tags)
    if not out or not all(isinstance(t, str) and t for t in out):
        raise ValueError(f"tags must be a non-empty list of non-empty strings; got {tags!r}.")
    return out


def _signature_map(signature_def_map: Any) -> dict[str, SignatureDef]:
    if signature_def_map is None:
        return {}
    if not isinstance(signature_def_map, Mapping):
        raise TypeError("signature_def_map must be a dict {name: SignatureDef}.")
    out = {}
    for k, v in signature_def_map.items():
        if not isinstance(k, str) or not k or not isinstance(v, SignatureDef):
            raise TypeError(
                f"signature_def_map entries must be name -> SignatureDef (from "
                f"signature_def_utils.predict_signature_def); got {k!r}: {v!r}."
            )
        out[k] = v
    return out


def _asset_path(t: Any) -> str:
    """The path an asset tensor holds (TF's checks and messages)."""
    if not isinstance(t, Tensor):
        raise TypeError("Asset path tensor must be a Tensor.")
    if t.op.type != "Const":
        raise TypeError("Asset path tensor must be of type constant.")
    if t.dtype is not dtypes.string:
        raise TypeError("Asset path tensor must be of type string.")
    value = t.op.opdef.attrs.get("value")
    if value is None or np.ndim(value) != 0:
        raise TypeError("Asset path tensor must be a scalar.")
    path = np.asarray(value, dtype=object).item()
    path = path.decode("utf-8") if isinstance(path, bytes) else str(path)
    if not path:
        raise ValueError(f"Invalid asset filepath tensor {t.name}")
    return path


def _same_file(a: str, b: str) -> bool:
    import filecmp

    try:
        return a == b or filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _add_main_op(graph: Any, main_op: Any) -> None:
    if not isinstance(main_op, Operation):
        raise TypeError(f"main_op needs to be an Operation: {main_op!r}")
    for key in (MAIN_OP_KEY, LEGACY_INIT_OP_KEY):
        if graph.get_collection(key):
            raise ValueError(
                f"Graph already contains one or more main ops under the collection {key}."
            )
    graph.add_to_collection(MAIN_OP_KEY, main_op)


class SavedModelBuilder:
    """Builds a SavedModel (TF's tf.saved_model.builder.SavedModelBuilder).

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 2], name="x")
        >>> w = tf.Variable([[1.0, -1.0], [0.0, 1.0]], name="w")
        >>> probs = tf.nn.softmax(tf.matmul(x, w))
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> b = tf.saved_model.builder.SavedModelBuilder("models/demo/1")
        >>> sig = tf.saved_model.signature_def_utils.predict_signature_def(
        ...     {"x": x}, {"probabilities": probs})
        >>> b.add_meta_graph_and_variables(sess, [tf.saved_model.tag_constants.SERVING],
        ...     signature_def_map={"serving_default": sig})
        >>> b.save()
        'models/demo/1'
    """

    def __init__(self, export_dir: Any) -> None:
        self._export_dir = os.fspath(export_dir)
        _check_not_exported(self._export_dir)
        self._tmp: str | None = None
        self._graph: Any = None
        self._meta: list[dict[str, Any]] = []
        self._pending: list[tuple[str, Any, Any, tuple[str, ...], dict[str, Any]]] = []
        self._tf_meta_graphs: list[Any] | None = []
        self._assets: dict[str, str] = {}  # file name in assets/ -> source path
        self._saved = False

    def _tmp_dir(self) -> str:
        if self._tmp is None:
            target = os.path.abspath(self._export_dir)
            parent = os.path.dirname(target)
            os.makedirs(parent, exist_ok=True)
            remove_stale_export_dirs(parent)
            tmp = os.path.join(
                parent, f".{os.path.basename(target)}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
            )
            os.mkdir(tmp)
            self._tmp = tmp
        return self._tmp

    def _add(
        self,
        sess: Any,
        graph: Any,
        tags: Any,
        signature_def_map: Any,
        assets_collection: Any = None,
        main_op: Any = None,
    ) -> None:
        if self._saved:
            raise RuntimeError("This SavedModelBuilder has already saved; make a new one.")
        tag_tuple = _tags(tags)
        if any(set(m["tags"]) == set(tag_tuple) for m in self._meta):
            raise ValueError(f"A meta graph with tags {list(tag_tuple)} was already added.")
        sigs = _signature_map(signature_def_map)
        for name, sig in sigs.items():
            for part in (sig.inputs, sig.outputs):
                for info in part.values():
                    try:
                        graph.get_tensor_by_name(info.name)
                    except (KeyError, ValueError):
                        raise ValueError(
                            f"Signature {name!r} names tensor {info.name!r}, "
                            "which is not in the session's graph."
                        ) from None
        if main_op is not None:
            _add_main_op(graph, main_op)
        tmp = self._tmp_dir()
        assets = self._save_assets(tmp, assets_collection)
        file = f"meta_graph_{len(self._meta)}.json"
        var_list = graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
        saver = Saver(var_list, allow_empty=True, max_to_keep=None)
        # TensorFlow's layout (saved_model.pb) when every op has a TF form; else flowzero's
        # JSON layout for the whole export, written in save().
        self._pending.append((file, graph, saver, tag_tuple, sigs))
        if self._tf_meta_graphs is not None:
            from flowzero.interop import saved_model as tf_saved_model

            try:
                self._tf_meta_graphs.append(
                    tf_saved_model.meta_graph_for(graph, saver, tag_tuple, sigs, assets)
                )
            except errors.UnimplementedError:
                self._tf_meta_graphs = None
        if assets and self._tf_meta_graphs is None:
            raise errors.UnimplementedError(
                None,
                None,
                "SavedModelBuilder: assets are written in TensorFlow's SavedModel layout only, "
                "and this graph has an op without a TensorFlow form.",
            )
        if sess is not None:
            prefix = os.path.join(tmp, fmt.VARIABLES_DIRECTORY, fmt.VARIABLES_FILENAME)
            saver.save(sess, prefix, write_meta_graph=False, write_state=False)
            # The export holds TF's files only: the writers' lock of this private temp
            # directory is not one of them.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(os.path.dirname(prefix), ".checkpoint.lock"))
        self._meta.append({"tags": list(tag_tuple), "file": file, "signatures": list(sigs)})

    def _save_assets(self, tmp: str, assets_collection: Any) -> list[tuple[str, Any]]:
        """Copies each asset file (a Const string tensor's path) to `assets/`; returns
        [(file name in assets/, path tensor)], as TF's builder (same base name, other file:
        `name_1`)."""
        if assets_collection is None:
            return []
        if isinstance(assets_collection, Tensor):
            assets_collection = [assets_collection]
        out = []
        for t in assets_collection:
            source = _asset_path(t)
            base = os.path.basename(source)
            name, i = base, 1
            while name in self._assets and not _same_file(self._assets[name], source):
                name = f"{base}_{i}"
                i += 1
            directory = os.path.join(tmp, ASSETS_DIRECTORY)
            if name not in self._assets:
                os.makedirs(directory, exist_ok=True)
                try:
                    shutil.copyfile(source, os.path.join(directory, name))
                except FileNotFoundError:
                    raise errors.NotFoundError(
                        None, None, f"Asset file {source} (tensor '{t.name}') does not exist."
                    ) from None
                self._assets[name] = source
            out.append((name, t))
        return out

    def add_meta_graph_and_variables(
        self,
        sess: Any,
        tags: Any,
        signature_def_map: Any = None,
        assets_collection: Any = None,
        legacy_init_op: Any = None,
        clear_devices: bool = False,
        main_op: Any = None,
        strip_default_attrs: bool = False,
        saver: Any = None,
        **_: Any,
    ) -> None:
        """Adds the session's graph under `tags` with its signatures, and saves the values of
        all its global variables. Call it once, first.

        Args:
            assets_collection: the asset files: Const scalar string tensors holding their
                paths (usually `tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)`); each file
                is copied to `assets/`, and the loader feeds its new path to the tensor when it
                runs the main op.
            main_op (or legacy_init_op): an Operation the loader runs after restoring.
            clear_devices, strip_default_attrs, saver: accepted; unused.
        """
        if self._graph is not None:
            raise AssertionError(
                "Variables and assets have already been saved. Please invoke "
                "`add_meta_graph()` instead."
            )
        if sess is None:
            raise TypeError("add_meta_graph_and_variables needs a Session; got None.")
        self._add(
            sess,
            sess.graph,
            tags,
            signature_def_map,
            assets_collection,
            main_op if main_op is not None else legacy_init_op,
        )
        self._graph = sess.graph

    def add_meta_graph(
        self,
        tags: Any,
        signature_def_map: Any = None,
        assets_collection: Any = None,
        legacy_init_op: Any = None,
        clear_devices: bool = False,
        main_op: Any = None,
        **_: Any,
    ) -> None:
        """Adds another tag set for the same graph (same variables), e.g. other signatures."""
        if self._graph is None:
            raise AssertionError(
                "Graph state including variables and assets has not been "
                "saved yet. Please invoke `add_meta_graph_and_variables()` "
                "first."
            )
        self._add(
            None,
            self._graph,
            tags,
            signature_def_map,
            assets_collection,
            main_op if main_op is not None else legacy_init_op,
        )

    def save(self, as_text: bool = False) -> str:
        """Writes the descriptor and renames the export into place. Returns `export_dir`.

        Raises:
            ExportDirectoryExistsError: `export_dir` was created (non-empty) meanwhile; the
                export stays nowhere (its temp directory is removed).
        """
        if self._graph is None or self._tmp is None:
            raise AssertionError("Nothing to save: call add_meta_graph_and_variables() first.")
        if self._saved:
            raise RuntimeError("This SavedModelBuilder has already saved.")
        from flowzero import __version__

        tmp = self._tmp
        if self._tf_meta_graphs is not None:
            from flowzero.interop import saved_model as tf_saved_model

            data = tf_saved_model.saved_model_bytes(self._tf_meta_graphs)
            atomic_write(os.path.join(tmp, tf_saved_model.PB_FILENAME), lambda f: f.write(data))
        else:
            for file, graph, saver, tag_tuple, sigs in self._pending:
                export_meta_graph(
                    os.path.join(tmp, file),
                    graph=graph,
                    saver=saver,
                    meta_info_def={"tags": list(tag_tuple)},
                    signature_def={k: v.to_json() for k, v in sigs.items()},
                )
            doc = {
                "format": fmt.SAVED_MODEL_FORMAT,
                "version": fmt.SAVED_MODEL_VERSION,
                "flowzero_version": __version__,
                "created": time.time(),
                "variables": f"{fmt.VARIABLES_DIRECTORY}/{fmt.VARIABLES_FILENAME}",
                "meta_graphs": self._meta,
            }
            atomic_write(
                os.path.join(tmp, fmt.DESCRIPTOR_FILENAME),
                lambda f: f.write(_json_bytes(doc, as_text=True)),
            )
        _fsync_dir(os.path.join(tmp, fmt.VARIABLES_DIRECTORY))
        _fsync_dir(tmp)
        target = os.path.abspath(self._export_dir)
        try:
            _check_not_exported(target)
            os.rename(tmp, target)  # atomic; replaces an empty directory, as TF allows
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            self._tmp = None
            raise
        _fsync_dir(os.path.dirname(target))
        self._saved = True
        self._tmp = None
        return self._export_dir

    def __del__(self) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp and not getattr(self, "_saved", True):
            shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["SavedModelBuilder", "remove_stale_export_dirs"]
