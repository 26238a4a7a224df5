"""The SavedModel directory format, shared by the builder and the loader.

```
export_dir/
  saved_model.json                 the descriptor, written last (see below)
  meta_graph_0.json (+ .npz)       one meta graph per tag set (tf.train.export_meta_graph's
                                   format; its signature_def holds the signatures)
  variables/variables.index        the variable values: a flowzero checkpoint (JSON index +
  variables/variables.npz          .npz, no pickle), shared by all the meta graphs
```

The descriptor:

```json
{"format": "flowzero.saved_model", "version": 1, "flowzero_version": "0.1.0",
 "created": 1715000000.25, "variables": "variables/variables",
 "meta_graphs": [{"tags": ["serve"], "file": "meta_graph_0.json",
                  "signatures": ["serving_default"]}]}
```

docs/deploy.md describes it for operators.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from flowzero.framework import errors
from flowzero.framework.serialization import read_json
from flowzero.saved_model.signature_def_utils import SignatureDef

SAVED_MODEL_FORMAT = "flowzero.saved_model"
SAVED_MODEL_VERSION = 1
DESCRIPTOR_FILENAME = "saved_model.json"
# TensorFlow's layout (flowzero/interop/saved_model.py), which the builder writes when it can.
TF_SAVED_MODEL_FILENAMES = ("saved_model.pb", "saved_model.pbtxt")
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
_FILE_RE = re.compile(r"^meta_graph_\d{1,6}\.json$")


class ExportDirectoryExistsError(FileExistsError, AssertionError):
    """The export directory exists and is not empty (TF raised AssertionError here)."""


@dataclass(frozen=True)
class MetaInfoDef:
    tags: tuple[str, ...]
    flowzero_version: str = ""
    stripped_op_list: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetaGraphDef:
    """What loader.load returns (TF's MetaGraphDef): tags, signatures, the saver settings."""

    meta_info_def: MetaInfoDef
    signature_def: dict[str, SignatureDef] = field(default_factory=dict)
    saver_def: dict[str, Any] | None = None


@dataclass(frozen=True)
class MetaGraphEntry:
    tags: tuple[str, ...]
    file: str
    signatures: tuple[str, ...]


@dataclass(frozen=True)
class Descriptor:
    export_dir: str
    meta_graphs: tuple[MetaGraphEntry, ...]
    variables_prefix: str  # absolute
    flowzero_version: str
    created: float


def descriptor_path(export_dir: str) -> str:
    return os.path.join(os.fspath(export_dir), DESCRIPTOR_FILENAME)


def contains_saved_model(export_dir: Any) -> bool:
    """True when `export_dir` holds a SavedModel descriptor (TF's
    tf.saved_model.contains_saved_model / loader.maybe_saved_model_directory)."""
    return model_file(export_dir) is not None


def model_file(export_dir: Any) -> str | None:
    """The file that makes `export_dir` a SavedModel: flowzero's descriptor or TensorFlow's
    saved_model.pb / .pbtxt; None if there is none.

    Any entry of that name but a directory counts (a FIFO, a device, a symlink): reading it
    then refuses it with a DataLossError, rather than the export passing unseen.
    """
    try:
        d = os.fspath(export_dir)
    except TypeError:
        return None
    for name in (DESCRIPTOR_FILENAME, *TF_SAVED_MODEL_FILENAMES):
        path = os.path.join(d, name)
        if os.path.lexists(path) and not os.path.isdir(path):
            return path
    return None


def read_descriptor(export_dir: str) -> Descriptor:
    """Reads and checks `export_dir/saved_model.json`.

    Raises:
        tf.errors.NotFoundError: there is no SavedModel in `export_dir` (also an OSError).
        tf.errors.DataLossError: the descriptor is malformed.
        tf.errors.UnimplementedError: it was written by a newer flowzero.
    """
    export_dir = os.fspath(export_dir)
    path = descriptor_path(export_dir)
    if not os.path.lexists(path):
        raise errors.NotFoundError(
            None,
            None,
            f"SavedModel file does not exist at: {path} "
            f"(no {DESCRIPTOR_FILENAME} in {export_dir}).",
        )
    doc = read_json(path, "SavedModel descriptor")
    where = f"SavedModel descriptor {path}"
    if not isinstance(doc, dict) or doc.get("format") != SAVED_MODEL_FORMAT:
        raise errors.DataLossError(None, None, f"{where} is not a flowzero SavedModel.")
    version = doc.get("version")
    if type(version) is not int or version < 1:
        raise errors.DataLossError(None, None, f"{where} has an invalid version {version!r}.")
    if version > SAVED_MODEL_VERSION:
        raise errors.UnimplementedError(
            None,
            None,
            f"{where} has format version {version}; "
            f"this flowzero reads up to {SAVED_MODEL_VERSION}.",
        )
    if doc.get("variables") != f"{VARIABLES_DIRECTORY}/{VARIABLES_FILENAME}":
        raise errors.DataLossError(
            None,
            None,
            f"{where}: 'variables' must be '{VARIABLES_DIRECTORY}/{VARIABLES_FILENAME}'.",
        )
    entries = []
    mgs = doc.get("meta_graphs")
    if not isinstance(mgs, list) or not mgs:
        raise errors.DataLossError(None, None, f"{where}: 'meta_graphs' must be a non-empty list.")
    for i, mg in enumerate(mgs):
        if not isinstance(mg, dict):
            raise errors.DataLossError(None, None, f"{where}: meta graph {i} is not an object.")
        tags, file, sigs = mg.get("tags"), mg.get("file"), mg.get("signatures", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise errors.DataLossError(None, None, f"{where}: meta graph {i} has invalid tags.")
        # NOTE: a bare, fixed-pattern file name: the descriptor can never point outside.
        if not isinstance(file, str) or not _FILE_RE.match(file):
            raise errors.DataLossError(
                None, None, f"{where}: meta graph {i} names an invalid file {file!r}."
            )
        if not isinstance(sigs, list) or not all(isinstance(s, str) for s in sigs):
            raise errors.DataLossError(
                None, None, f"{where}: meta graph {i} has invalid signature names."
            )
        entries.append(MetaGraphEntry(tuple(tags), file, tuple(sigs)))
    return Descriptor(
        export_dir=os.path.abspath(export_dir),
        meta_graphs=tuple(entries),
        variables_prefix=os.path.join(
            os.path.abspath(export_dir), VARIABLES_DIRECTORY, VARIABLES_FILENAME
        ),
        flowzero_version=str(doc.get("flowzero_version", "")),
        created=float(doc.get("created", 0.0))
        if isinstance(doc.get("created"), (int, float))
        else 0.0,
    )


def signatures_from_meta(doc: dict[str, Any], where: str) -> dict[str, SignatureDef]:
    sigs = doc.get("signature_def") or {}
    if not isinstance(sigs, dict):
        raise errors.DataLossError(None, None, f"{where}: 'signature_def' must be an object.")
    return {k: SignatureDef.from_json(v, f"{where} signature {k!r}") for k, v in sigs.items()}


__all__ = [
    "SAVED_MODEL_FORMAT",
    "SAVED_MODEL_VERSION",
    "DESCRIPTOR_FILENAME",
    "ExportDirectoryExistsError",
    "MetaGraphDef",
    "MetaInfoDef",
    "Descriptor",
    "read_descriptor",
    "contains_saved_model",
]
