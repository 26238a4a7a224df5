"""Checkpoint files and the `checkpoint` state file; reading checkpoints without a graph.

A checkpoint with prefix P (e.g. `ckpt/model.ckpt-100`) is written in TensorFlow's V2 format
(flowzero/train/tensor_bundle.py), so TensorFlow restores it:

- `P.index`: a sorted string table of BundleEntryProtos (dtype, shape, place in the data file,
  CRC-32C) — written last, so it is the commit of the checkpoint;
- `P.data-00000-of-00001` (or shard 0 of 2 when P was overwritten): the raw tensors;
- `P.meta`: the meta graph, optional (see tf.train.export_meta_graph).

Checkpoints written by earlier flowzero versions (a JSON `P.index` + `P.npz`) still read: the
format is told by the index's content. The `checkpoint` state file next to them is TF's text
format (CheckpointState). The full description is in docs/checkpoints.md.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from typing import Any

import numpy as np

from flowzero.framework import dtypes as _dtypes
from flowzero.framework import errors
from flowzero.framework.serialization import (
    atomic_write,
    delete_json_with_arrays,
    open_regular,
    read_json_with_arrays,
    write_json_with_arrays,
)
from flowzero.train import tensor_bundle

CHECKPOINT_FORMAT = "flowzero.checkpoint"
CHECKPOINT_VERSION = 1
INDEX_SUFFIX = ".index"


class _MissingCheckpointError(errors.NotFoundError, ValueError):
    """No checkpoint at a path (TF1 raises ValueError here, TF2 NotFoundError: both catch it)."""


# -- checkpoint files -----------------------------------------------------------------------
def checkpoint_exists(checkpoint_prefix: str) -> bool:
    """True if a complete checkpoint with this prefix exists (its index file is committed)."""
    return os.path.isfile(os.fspath(checkpoint_prefix) + INDEX_SUFFIX)


def write_checkpoint(
    prefix: str,
    values: dict[str, np.ndarray],
    global_step: int | None = None,
    meta_graph_file: str | None = None,
) -> None:
    """Writes the checkpoint `prefix` in TensorFlow's V2 format, atomically (data, then index).

    `global_step` and `meta_graph_file` are not stored: TF's format keeps the step in the name
    and the meta graph beside the checkpoint as `<prefix>.meta`.

    Raises:
        tf.errors.InvalidArgumentError: a value's dtype has no TensorFlow counterpart.
    """
    tensor_bundle.write_bundle(prefix, values)
    # An older flowzero-format checkpoint at this prefix is superseded: drop its data.
    for stale in (prefix + ".npz", prefix + ".alt.npz"):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass


def write_flowzero_checkpoint(
    prefix: str,
    values: dict[str, np.ndarray],
    global_step: int | None = None,
    meta_graph_file: str | None = None,
) -> None:
    """Writes the checkpoint `prefix` in flowzero's earlier format (JSON index + `.npz`).

    Kept so that tools and tests can make such checkpoints; Saver writes TF's format.

    Raises:
        tf.errors.UnimplementedError: a value is a string (object) array.
    """
    variables = []
    for key, arr in values.items():
        if arr.dtype.hasobject:
            raise errors.UnimplementedError(
                None,
                None,
                f"Cannot save '{key}': string variables are not supported by the "
                "flowzero checkpoint format (it stores plain NumPy arrays, never pickle).",
            )
        variables.append(
            {"key": key, "dtype": _dtypes.as_dtype(arr.dtype).name, "shape": list(arr.shape)}
        )
    from flowzero import __version__

    doc = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "global_step": global_step,
        "timestamp": time.time(),
        "flowzero_version": __version__,
        "meta_graph_file": meta_graph_file,
        "variables": variables,
    }
    write_json_with_arrays(prefix + INDEX_SUFFIX, doc, values, as_text=True, sidecar_base=prefix)


def read_checkpoint_index(prefix: str) -> dict[str, Any]:
    """A description of checkpoint `prefix` without reading its data: `format`, `variables`
    ([{key, dtype, shape}] sorted by key), `global_step` (TF's format: from a `-N` name
    suffix) and `meta_graph_file` (the `.meta` beside it, or None)."""
    from flowzero.framework.serialization import read_json

    prefix = os.fspath(prefix)
    path = prefix + INDEX_SUFFIX
    if not os.path.lexists(path):
        _raise_missing(prefix)
    if not _is_flowzero_format(prefix):
        with tensor_bundle.BundleReader(prefix) as reader:
            return _bundle_doc(prefix, reader)
    doc = read_json(path, "checkpoint index")
    _check_index(doc, path)
    return doc


def _bundle_doc(prefix: str, reader: tensor_bundle.BundleReader) -> dict[str, Any]:
    variables = []
    for key in reader.keys():
        dt, shape = reader.dtype_and_shape(key)
        variables.append({"key": key, "dtype": _dtype_name(dt), "shape": list(shape)})
    m = re.search(r"-(\d+)$", prefix)
    meta = prefix + ".meta"
    return {
        "format": "tensorflow.v2",
        "global_step": int(m.group(1)) if m else None,
        "meta_graph_file": os.path.basename(meta) if os.path.isfile(meta) else None,
        "variables": variables,
    }


def _dtype_name(dt: np.dtype) -> str:
    try:
        return _dtypes.as_dtype(dt).name
    except (TypeError, ValueError, KeyError):
        return np.dtype(dt).name


class _LegacyReader:
    """A flowzero-format checkpoint behind BundleReader's interface (all read at once)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.index, self._values = _read_legacy(prefix)

    def keys(self) -> list[str]:
        return sorted(self._values)

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def dtype_and_shape(self, name: str) -> tuple[np.dtype, tuple[int, ...]]:
        arr = self._get(name)
        return arr.dtype, arr.shape

    def read(self, name: str) -> np.ndarray:
        return self._get(name).copy()

    def read_many(self, names: list[str]) -> dict[str, np.ndarray]:
        # The arrays were loaded for this reader alone: no copy needed.
        return {k: np.require(self._get(k), requirements=["C", "W", "O"]) for k in names}

    def close(self) -> None:
        """Nothing to close: the files were read at once."""

    def _get(self, name: str) -> np.ndarray:
        try:
            return self._values[name]
        except KeyError:
            raise errors.NotFoundError(
                None, None, f"Key {name} not found in checkpoint {self.prefix}"
            ) from None


def open_checkpoint(prefix: str) -> Any:
    """A reader of checkpoint `prefix` in either format: `.keys()`, `.dtype_and_shape(key)`,
    `.read(key)`, `.read_many(keys)` (tensor_bundle.BundleReader for TF's format).

    Raises:
        tf.errors.NotFoundError (also a ValueError): there is no checkpoint at `prefix`.
        tf.errors.DataLossError: the index is corrupted or truncated.
    """
    prefix = os.fspath(prefix)
    # (lexists, not isfile: a FIFO or a device in the index's place is refused as such)
    if not os.path.lexists(prefix + INDEX_SUFFIX):
        _raise_missing(prefix)
    if not _is_flowzero_format(prefix):
        return tensor_bundle.BundleReader(prefix)
    return _LegacyReader(prefix)


def _is_flowzero_format(prefix: str) -> bool:
    """True if `<prefix>.index` is flowzero's earlier JSON index (it starts with '{'); anything
    else, a damaged file included, is read as TensorFlow's format."""
    try:
        with open_regular(os.fspath(prefix) + INDEX_SUFFIX, "checkpoint index") as f:
            return f.read(64).lstrip()[:1] == b"{"
    except (OSError, errors.OpError):  # (the reader of TF's format reports it)
        return False


def read_checkpoint(prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(index, {key: array}) of checkpoint `prefix` (either format), verifying the data.

    Raises:
        tf.errors.NotFoundError (also a ValueError): there is no checkpoint at `prefix`.
        tf.errors.DataLossError: the index or the data is corrupted, truncated or missing.
    """
    reader = open_checkpoint(prefix)
    if isinstance(reader, _LegacyReader):
        return reader.index, reader._values
    with reader:
        return _bundle_doc(os.fspath(prefix), reader), reader.read_many(reader.keys())


def _read_legacy(prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    path = os.fspath(prefix) + INDEX_SUFFIX
    if not os.path.lexists(path):
        _raise_missing(prefix)
    doc, arrays = read_json_with_arrays(path, "checkpoint index", _declared_variables)
    _check_index(doc, path)
    for v in doc["variables"]:
        arr = arrays.get(v["key"])
        if (
            arr is None
            or list(arr.shape) != v["shape"]
            or _dtypes.as_dtype(arr.dtype).name != v["dtype"]
        ):
            raise errors.DataLossError(
                None,
                None,
                f"Checkpoint {prefix}: the data for '{v['key']}' does not match its index entry.",
            )
    return doc, arrays


def _declared_variables(doc: Any) -> dict[str, tuple[Any, list[int]]] | None:
    """{key: (dtype, shape)} the index lists: the only arrays its data file may hold."""
    out: dict[str, tuple[Any, list[int]]] = {}
    for v in doc.get("variables") or [] if isinstance(doc, dict) else []:
        try:
            shape = v["shape"]
            if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
                raise TypeError("bad shape")
            out[v["key"]] = (_dtypes.as_dtype(v["dtype"]).np, shape)
        except (KeyError, TypeError, ValueError):
            raise errors.DataLossError(
                None, None, f"Checkpoint index entry {v!r:.120} is malformed."
            ) from None
    return out


def _check_index(doc: Any, path: str) -> None:
    if (
        not isinstance(doc, dict)
        or doc.get("format") != CHECKPOINT_FORMAT
        or not isinstance(doc.get("variables"), list)
    ):
        raise errors.DataLossError(None, None, f"{path} is not a flowzero checkpoint index.")
    if not isinstance(doc.get("version"), int) or doc["version"] > CHECKPOINT_VERSION:
        raise errors.UnimplementedError(
            None,
            None,
            f"{path} has checkpoint format version {doc.get('version')!r}; this "
            f"flowzero reads up to version {CHECKPOINT_VERSION}.",
        )


def _raise_missing(prefix: str) -> None:
    hint = ""
    if os.path.isdir(prefix):
        hint = (
            " It is a directory: pass a checkpoint prefix such as tf.train.latest_checkpoint(dir)."
        )
    elif (
        os.path.exists(prefix + ".npz")
        or os.path.exists(prefix + ".alt.npz")
        or tensor_bundle.data_files(prefix)
    ):
        hint = " Its data file exists but the index does not: the save did not complete."
    raise _MissingCheckpointError(
        None,
        None,
        f"The passed save_path is not a valid checkpoint: {prefix} "
        f"({prefix}{INDEX_SUFFIX} not found).{hint}",
    )


def delete_checkpoint(prefix: str, meta_graph_suffix: str = "meta") -> None:
    """Deletes checkpoint `prefix`'s files, the index first (so nothing half-deleted restores)."""
    tensor_bundle.delete_bundle(prefix)
    delete_json_with_arrays(prefix + INDEX_SUFFIX, sidecar_base=prefix)
    delete_json_with_arrays(f"{prefix}.{meta_graph_suffix}")


# -- the `checkpoint` state file ------------------------------------------------------------
_ESCAPES = {
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "v": b"\v",
    "\\": b"\\",
    "'": b"'",
    '"': b'"',
    "?": b"?",
}
_QUOTE = re.compile(r'[\\"\x00-\x1f\x7f]')


def _quote(s: str) -> str:
    """A protobuf text-format string literal: C escapes, non-ASCII kept as UTF-8."""

    def esc(m: re.Match[str]) -> str:
        c = m.group()
        named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
        return named.get(c, f"\\{ord(c):03o}")

    return '"' + _QUOTE.sub(esc, s) + '"'


def _unquote(body: str) -> str:
    """The inverse of _quote, also reading TF's octal-escaped UTF-8 and \\xHH escapes."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError("string ends with a backslash")
        e = body[i + 1]
        if e in _ESCAPES:
            out += _ESCAPES[e]
            i += 2
        elif e in "01234567":
            j = i + 1
            while j < min(i + 4, len(body)) and body[j] in "01234567":
                j += 1
            out.append(int(body[i + 1 : j], 8) & 0xFF)
            i = j
        elif e in "xX":
            j = i + 2
            while j < min(i + 4, len(body)) and body[j] in "0123456789abcdefABCDEF":
                j += 1
            if j == i + 2:
                raise ValueError("\\x escape without hex digits")
            out.append(int(body[i + 2 : j], 16))
            i = j
        else:
            raise ValueError(f"unknown escape \\{e}")
    return out.decode("utf-8")


class CheckpointState:
    """TF's CheckpointState: the newest checkpoint and the ones still kept, oldest first."""

    def __init__(
        self,
        model_checkpoint_path: str = "",
        all_model_checkpoint_paths: list[str] | None = None,
        all_model_checkpoint_timestamps: list[float] | None = None,
        last_preserved_timestamp: float | None = None,
    ) -> None:
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths or [])
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps or [])
        self.last_preserved_timestamp = last_preserved_timestamp

    def to_text(self) -> str:
        """The protobuf text format TF writes (and `tf.train.get_checkpoint_state` reads)."""

        q = _quote
        lines = [f"model_checkpoint_path: {q(self.model_checkpoint_path)}"]
        lines += [f"all_model_checkpoint_paths: {q(p)}" for p in self.all_model_checkpoint_paths]
        lines += [
            f"all_model_checkpoint_timestamps: {t!r}" for t in self.all_model_checkpoint_timestamps
        ]
        if self.last_preserved_timestamp is not None:
            lines.append(f"last_preserved_timestamp: {self.last_preserved_timestamp!r}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> CheckpointState:
        """Parses the text format; ValueError on a malformed line."""
        st = cls()
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, raw = line.partition(":")
            if not sep:
                raise ValueError(f"line {n}: expected 'field: value'; got {line!r}")
            key, raw = key.strip(), raw.strip()
            if key in ("model_checkpoint_path", "all_model_checkpoint_paths"):
                if len(raw) < 2 or raw[0] != raw[-1] or raw[0] not in "\"'":
                    raise ValueError(f"line {n}: {key} must be a quoted string; got {raw!r}")
                value = _unquote(raw[1:-1])
                if key == "model_checkpoint_path":
                    st.model_checkpoint_path = value
                else:
                    st.all_model_checkpoint_paths.append(value)
            elif key == "all_model_checkpoint_timestamps":
                st.all_model_checkpoint_timestamps.append(float(raw))
            elif key == "last_preserved_timestamp":
                st.last_preserved_timestamp = float(raw)
            else:
                raise ValueError(f"line {n}: unknown field {key!r}")
        return st

    def __repr__(self) -> str:
        return self.to_text()


def _state_path(checkpoint_dir: str, latest_filename: str | None) -> str:
    name = latest_filename or "checkpoint"
    if os.path.basename(name) != name or name in (".", ".."):
        raise ValueError(f"latest_filename must be a file name, not a path; got {name!r}.")
    return os.path.join(os.fspath(checkpoint_dir), name)


def update_checkpoint_state(
    save_dir: str,
    model_checkpoint_path: str,
    all_model_checkpoint_paths: list[str] | None = None,
    latest_filename: str | None = None,
    all_model_checkpoint_timestamps: list[float] | None = None,
    last_preserved_timestamp: float | None = None,
    save_relative_paths: bool = True,
) -> None:
    """Writes the state file `save_dir/checkpoint` atomically.

    Paths are stored relative to `save_dir` when `save_relative_paths` (so the directory can be
    moved), else absolute; never relative to the current directory.
    """
    all_paths = list(all_model_checkpoint_paths or [])
    if not all_paths or all_paths[-1] != model_checkpoint_path:
        all_paths = [p for p in all_paths if p != model_checkpoint_path] + [model_checkpoint_path]
    base = os.path.abspath(save_dir)

    def fmt(p: str) -> str:
        p = os.path.abspath(p)
        if save_relative_paths and os.path.dirname(p) == base:
            return os.path.basename(p)
        return p

    st = CheckpointState(
        fmt(model_checkpoint_path),
        [fmt(p) for p in all_paths],
        all_model_checkpoint_timestamps,
        last_preserved_timestamp,
    )
    path = _state_path(save_dir, latest_filename)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    atomic_write(path, lambda f: f.write(st.to_text().encode("utf-8")))


def get_checkpoint_state(
    checkpoint_dir: str, latest_filename: str | None = None
) -> CheckpointState | None:
    """The CheckpointState in `checkpoint_dir/checkpoint`, or None if there is none.

    Relative paths in the file are resolved against `checkpoint_dir`; an absolute path whose
    file is gone but whose name exists in `checkpoint_dir` (the directory was moved) resolves
    there. A corrupted state file warns and gives None.
    """
    path = _state_path(checkpoint_dir, latest_filename)
    try:
        with open_regular(path, "checkpoint state file") as f:
            st = CheckpointState.from_text(f.read().decode("utf-8"))
    except errors.NotFoundError:
        return None
    except (ValueError, UnicodeDecodeError, errors.DataLossError) as e:
        warnings.warn(
            f"{path}: cannot parse the checkpoint state file ({e}).", RuntimeWarning, stacklevel=2
        )
        return None
    if not st.model_checkpoint_path:
        return None

    def resolve(p: str) -> str:
        if not os.path.isabs(p):
            return os.path.join(os.fspath(checkpoint_dir), p)
        moved = os.path.join(os.fspath(checkpoint_dir), os.path.basename(p))
        if not checkpoint_exists(p) and checkpoint_exists(moved):
            return moved
        return p

    st.model_checkpoint_path = resolve(st.model_checkpoint_path)
    st.all_model_checkpoint_paths = [resolve(p) for p in st.all_model_checkpoint_paths]
    return st


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest complete checkpoint in `checkpoint_dir`, or None.

    That is the state file's model_checkpoint_path if its index exists, else the newest of
    all_model_checkpoint_paths that does (a checkpoint deleted by hand is skipped).
    """
    st = get_checkpoint_state(checkpoint_dir, latest_filename)
    if st is None:
        return None
    for p in [st.model_checkpoint_path] + st.all_model_checkpoint_paths[::-1]:
        if checkpoint_exists(p):
            return p
    return None


# -- reading checkpoints without a graph ----------------------------------------------------
def _resolve(ckpt_dir_or_file: str) -> str:
    if ckpt_dir_or_file is None:
        raise ValueError("Checkpoint path is None.")
    p = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(p):
        latest = latest_checkpoint(p)
        if latest is None:
            raise ValueError(
                f"Couldn't find 'checkpoint' file or checkpoints in given directory {p}"
            )
        return latest
    return p


class CheckpointReader:
    """Reads the values of one checkpoint (TF's NewCheckpointReader), either format.

    Tensors are read (and their CRCs verified) when asked for, one at a time.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = _resolve(prefix)
        self._reader = open_checkpoint(self.prefix)

    def has_tensor(self, name: str) -> bool:
        return name in self._reader

    def get_tensor(self, name: str) -> np.ndarray:
        if name not in self._reader:
            raise errors.NotFoundError(
                None, None, f"Key {name} not found in checkpoint {self.prefix}"
            )
        return self._reader.read(name)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {k: list(self._reader.dtype_and_shape(k)[1]) for k in self._reader.keys()}

    def get_variable_to_dtype_map(self) -> dict[str, Any]:
        return {k: _as_dtype(self._reader.dtype_and_shape(k)[0]) for k in self._reader.keys()}

    def debug_string(self) -> bytes:
        """One line per tensor, `name (DT_FLOAT) [2,3]`, sorted by name (as TF's)."""
        lines = []
        for k in self._reader.keys():
            dt, shape = self._reader.dtype_and_shape(k)
            enum = tensor_bundle.dtype_enum(dt)
            from flowzero.proto import types_pb2

            dims = ",".join(str(d) for d in shape)
            lines.append(f"{k} ({types_pb2.DataType.Name(enum)}) [{dims}]\n")
        return "".join(lines).encode("utf-8")

    @property
    def index(self) -> dict[str, Any]:
        if isinstance(self._reader, _LegacyReader):
            return self._reader.index
        return _bundle_doc(self.prefix, self._reader)

    @property
    def global_step(self) -> int | None:
        return self.index.get("global_step")


def _as_dtype(dt: np.dtype) -> Any:
    try:
        return _dtypes.as_dtype(dt)
    except (TypeError, ValueError, KeyError):
        return np.dtype(dt)


def load_checkpoint(ckpt_dir_or_file: str) -> CheckpointReader:
    """A CheckpointReader for a checkpoint prefix, or the latest checkpoint of a directory."""
    return CheckpointReader(ckpt_dir_or_file)


NewCheckpointReader = load_checkpoint


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """The value of variable `name` (its key, e.g. 'dense/kernel') in a checkpoint."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def list_variables(ckpt_dir_or_file: str) -> list[tuple[str, list[int]]]:
    """[(key, shape)] of a checkpoint's variables, sorted by key (reads only the index)."""
    reader = open_checkpoint(_resolve(ckpt_dir_or_file))
    try:
        return sorted((k, list(reader.dtype_and_shape(k)[1])) for k in reader.keys())
    finally:
        reader.close()


__all__ = [
    "CheckpointState",
    "CheckpointReader",
    "NewCheckpointReader",
    "checkpoint_exists",
    "get_checkpoint_state",
    "latest_checkpoint",
    "update_checkpoint_state",
    "load_checkpoint",
    "load_variable",
    "list_variables",
    "open_checkpoint",
    "read_checkpoint",
    "read_checkpoint_index",
    "write_checkpoint",
    "write_flowzero_checkpoint",
]
