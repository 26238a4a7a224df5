"""Files as graph ops: tf.io.read_file, write_file, matching_files and
tf.train.match_filenames_once (local file system only, as flowzero's gfile).

These ops touch the file system, so they are stateful: never pruned as constants, never
folded at build time.
"""

from __future__ import annotations

import glob
import os
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for, op_input


def _path(x: Any) -> str:
    from flowzero.platform.gfile import _local

    return _local(x.decode() if isinstance(x, bytes) else str(x))


class _FileOp(OpDef):
    stateful = True
    differentiable = False

    def _scalar_string(self, t: Tensor, what: str) -> None:
        if t.dtype is not dtypes.string:
            raise self.error(f"{what} must be a string; got {t.dtype.name}.", cls=DTypeError)
        if t.shape.ndims not in (None, 0):
            raise self.error(f"{what} must be a scalar; got shape {t.shape}.")


@register_op("ReadFile")
class ReadFile(_FileOp):
    """The whole contents of the named file, as one string."""

    def infer(self, filename: Tensor) -> TensorSpec:
        self._scalar_string(filename, "filename")
        return spec([], dtypes.string)

    def compute(self, filename: np.ndarray) -> np.ndarray:
        path = _path(filename[()])
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise self.error(
                f"{path}; No such file or directory", cls=errors.NotFoundError
            ) from None
        except IsADirectoryError:
            raise self.error(f"{path} is a directory", cls=errors.FailedPreconditionError) from None
        out = np.empty((), dtype=object)
        out[()] = data
        return out


@register_op("WriteFile")
class WriteFile(_FileOp):
    """Writes `contents` to the named file (replacing it), creating its directory."""

    def infer(self, filename: Tensor, contents: Tensor) -> list[TensorSpec]:
        self._scalar_string(filename, "filename")
        self._scalar_string(contents, "contents")
        return []

    def compute(self, filename: np.ndarray, contents: np.ndarray) -> None:
        path = _path(filename[()])
        data = contents[()]
        try:
            if os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data.encode() if isinstance(data, str) else bytes(data))
        except OSError as e:
            raise self.error(
                f"cannot write {path}: {e.strerror}", cls=errors.PermissionDeniedError
            ) from None


@register_op("MatchingFiles")
class MatchingFiles(_FileOp):
    """The sorted file names matching a glob pattern (or any of a vector of patterns)."""

    def infer(self, pattern: Tensor) -> TensorSpec:
        if pattern.dtype is not dtypes.string:
            raise self.error(f"pattern must be a string; got {pattern.dtype.name}.", cls=DTypeError)
        if pattern.shape.ndims not in (None, 0, 1):
            raise self.error(f"pattern must be a scalar or a vector; got shape {pattern.shape}.")
        return spec([None], dtypes.string)

    def compute(self, pattern: np.ndarray) -> np.ndarray:
        names: list[str] = []
        for p in pattern.reshape(-1):
            names += sorted(glob.glob(_path(p)))
        out = np.empty(len(names), dtype=object)
        out[:] = [n.encode() for n in names]
        return out


def read_file(filename: Any, name: str | None = None) -> Tensor:
    """The contents of a file, as a scalar string tensor.

    Raises:
        NotFoundError (at run time): no such file.

    Example:
        >>> image = tf.image.decode_png(tf.read_file("cat.png"))
    """
    with _graph_for(filename):
        f = op_input(filename, dtypes.string, "ReadFile", "filename")
        return apply_op(ReadFile, [f], {}, name=name or "ReadFile")


def write_file(filename: Any, contents: Any, name: str | None = None) -> Any:
    """An op that writes `contents` (a scalar string) to `filename` when run; the file's
    directory is created if needed."""
    with _graph_for(filename, contents):
        f = op_input(filename, dtypes.string, "WriteFile", "filename")
        c = op_input(contents, dtypes.string, "WriteFile", "contents")
        return apply_op(WriteFile, [f, c], {}, name=name or "WriteFile")


def matching_files(pattern: Any, name: str | None = None) -> Tensor:
    """The sorted names of the files matching a glob pattern (a string or a vector of them);
    empty when nothing matches."""
    with _graph_for(pattern):
        p = op_input(pattern, dtypes.string, "MatchingFiles", "pattern")
        return apply_op(MatchingFiles, [p], {}, name=name or "MatchingFiles")


def match_filenames_once(pattern: Any, name: str | None = None) -> Any:
    """A local variable holding the files matching `pattern`, listed once when it is
    initialized (tf.local_variables_initializer()), as TF.

    Example:
        >>> files = tf.train.match_filenames_once("/data/*.tfrecord")
        >>> queue = tf.train.string_input_producer(files)
    """
    from flowzero.framework.graph import GraphKeys, get_default_graph
    from flowzero.variables import Variable

    with get_default_graph().name_scope(name or "matching_filenames") as scope:
        return Variable(
            matching_files(pattern),
            trainable=False,
            collections=[GraphKeys.LOCAL_VARIABLES],
            validate_shape=False,
            name=scope.rstrip("/") or None,
        )


__all__ = ["matching_files", "read_file", "write_file"]
